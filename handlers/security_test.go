package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, store.SQLite)
	for _, c := range []struct {
		name, baseURL string
		hsts          bool
	}{{"HTTP", "http://dutydesk.test", false}, {"HTTPS", "https://duty.example.gov.cn", true}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Defaults()
			cfg.BaseURL = c.baseURL
			h.router = handlers.NewRouter(handlers.Deps{Config: cfg, Store: h.store, Ping: h.db.Ping})
			for _, path := range []string{"/healthz", "/api/v1/schools", "/nowhere"} {
				r := h.do("GET", path, nil, nil)
				for header, want := range map[string]string{
					"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
				} {
					if got := r.Header.Get(header); got != want {
						t.Errorf("%s: %s = %q, want %q", path, header, got, want)
					}
				}
				if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
					t.Errorf("%s: Content-Security-Policy %q", path, csp)
				}
				if got := r.Header.Get("Strict-Transport-Security"); (got != "") != c.hsts {
					t.Errorf("%s: Strict-Transport-Security %q with base URL %s", path, got, c.baseURL)
				}
			}
		})
	}
}

func TestSignedLinksCannotBeBent(t *testing.T) {
	h := newHarness(t, store.SQLite)
	d := h.dir
	r := h.do("POST", "/api/v1/alerts", d.Officer, map[string]any{"type": "typhoon", "level": "orange", "district_ids": []int64{d.District1.ID}})
	expect(t, r, http.StatusCreated)
	var alert struct{ ID int64 }
	r.JSON(t, &alert)
	signer := directory.NewLinkSigner(testenv.Secret)
	valid := directory.LinkClaims{Purpose: directory.LinkAlertAck, RecipientID: contactOf(t, h, d.School1A.ID), SchoolID: d.School1A.ID,
		SubjectID: alert.ID, ExpiresAt: h.clock.Now().Add(time.Hour)}
	good := signer.Sign(valid)

	otherSchool := valid // a genuine signature over School1A's contact named for School1B
	otherSchool.SchoolID = d.School1B.ID
	outOfRegion := valid // School2A is outside the alert's region
	outOfRegion.RecipientID, outOfRegion.SchoolID = contactOf(t, h, d.School2A.ID), d.School2A.ID
	safetyPurpose := valid
	safetyPurpose.Purpose = directory.LinkSafetyReport
	enc, sig, _ := strings.Cut(good, ".")
	for name, token := range map[string]string{
		"Altered":            flipLast(enc) + "." + sig,
		"OtherSecret":        directory.NewLinkSigner("another-secret-another-secret-xx").Sign(valid),
		"ContactOfAnother":   signer.Sign(otherSchool),
		"SchoolOutOfRegion":  signer.Sign(outOfRegion),
		"SafetyLinkForAck":   signer.Sign(safetyPurpose),
		"SignatureSwapped":   sig + "." + enc,
		"Huge":               strings.Repeat("a", 4000) + "." + sig,
		"PercentEncodedJunk": "%00%ff.%2e",
	} {
		t.Run(name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				r := h.do(method, "/api/v1/links/ack/"+token, nil, nil)
				expect(t, r, http.StatusNotFound)
				if msg := r.Err(t).Error.Message; msg != "链接无效或已失效" {
					t.Fatalf("message %q", msg)
				}
			}
		})
	}
	t.Run("ExpiredAfterItsTime", func(t *testing.T) {
		expect(t, h.do("GET", "/api/v1/links/ack/"+good, nil, nil), http.StatusOK)
		h.clock.Advance(time.Hour)
		expect(t, h.do("POST", "/api/v1/links/ack/"+good, nil, nil), http.StatusNotFound)
	})
}

// flipLast changes the last character of s.
func flipLast(s string) string {
	last := "A"
	if strings.HasSuffix(s, "A") {
		last = "B"
	}
	return s[:len(s)-1] + last
}

func TestPasswordPolicy(t *testing.T) {
	h := newHarness(t, store.SQLite)
	create := func(pw string) response {
		return h.do("POST", "/api/v1/users", h.dir.Admin, map[string]any{"username": "newbie", "display_name": "新人",
			"role": "duty_officer", "email": "newbie@bureau.example.org", "password": pw})
	}
	for name, pw := range map[string]string{
		"TooShort": strings.Repeat("a", config.MinPasswordLength-1),
		"TooLong":  strings.Repeat("密", 25), // 75 bytes: bcrypt would silently ignore the rest
	} {
		t.Run(name, func(t *testing.T) {
			r := create(pw)
			expect(t, r, http.StatusUnprocessableEntity)
			if r.Err(t).Error.Fields["password"] == "" {
				t.Fatalf("no password problem in %s", r.Body)
			}
		})
	}
	expect(t, create(strings.Repeat("a", config.MinPasswordLength)), http.StatusCreated)
}

// TestNoSecretInLogs logs in, fails a login, calls with the token and follows a signed link with
// everything logged at debug level, then looks for the secrets in the log.
func TestNoSecretInLogs(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := newHarness(t, store.SQLite)
	wrong := "Wrong-Password-7731"
	expect(t, h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "duty1", "password": wrong}), http.StatusUnauthorized)
	token := h.token(h.dir.Officer)
	expect(t, h.do("GET", "/api/v1/me", h.dir.Officer, nil), http.StatusOK)
	expect(t, h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+token+"x"), http.StatusUnauthorized)
	newPassword := "Fresh-Password-9245"
	expect(t, h.do("PATCH", "/api/v1/users/"+models.FormatID(h.dir.Reporter.ID), h.dir.Admin, map[string]any{"password": newPassword}), http.StatusOK)
	link := directory.NewLinkSigner(testenv.Secret).Sign(directory.LinkClaims{Purpose: directory.LinkAlertAck, RecipientID: 1, SchoolID: 1, SubjectID: 99, ExpiresAt: h.clock.Now().Add(time.Hour)})
	expect(t, h.do("GET", "/api/v1/links/ack/"+link, nil, nil), http.StatusNotFound)
	expect(t, h.do("GET", "/api/v1/roster/feeds/secret-feed-token-4410", nil, nil), http.StatusNotFound)

	out := logs.String()
	if !strings.Contains(out, `"route":"/api/v1/auth/login"`) {
		t.Fatalf("the requests were not logged at all: %s", out)
	}
	for what, secret := range map[string]string{
		"fixture password": testenv.Password, "wrong password": wrong, "new password": newPassword,
		"bearer token": token, "link token": link, "feed token": "secret-feed-token-4410", "link secret": testenv.Secret,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the %s appears in the log", what)
		}
	}
}

func TestHostileBodiesAreRefused(t *testing.T) {
	h := newHarness(t, store.SQLite)
	admin := h.dir.Admin
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	cases := map[string]struct {
		body   string
		status int
	}{
		"Oversized":      {`{"name":"` + strings.Repeat("x", 2<<20) + `"}`, http.StatusRequestEntityTooLarge},
		"DeeplyNested":   {deep, http.StatusBadRequest},
		"DeepArray":      {`{"district_ids":` + strings.Repeat("[", 50000) + strings.Repeat("]", 50000) + "}", http.StatusBadRequest},
		"InvalidUTF8":    {"{\"name\":\"\xff\xfe\"}", http.StatusBadRequest},
		"NotAnObject":    {`[1,2,3]`, http.StatusBadRequest},
		"TwoObjects":     {`{}{}`, http.StatusBadRequest},
		"NullByteInName": {`{"code":"330199","name":"a\u0000b"}`, 0},
		"HugeNumber":     {`{"code":"330199","name":"x","id":1e999999}`, http.StatusBadRequest},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := h.do("POST", "/api/v1/districts", admin, c.body)
			if c.status == 0 {
				if r.Status < 400 && r.Status != http.StatusCreated || r.Status >= 500 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				return
			}
			expect(t, r, c.status)
			r.Err(t)
		})
	}
	t.Run("HugeUpload", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", "schools.csv")
		_, _ = io.CopyN(part, strings.NewReader(strings.Repeat("东湖区,学校,小学,某人,a@example.org\n", 400000)), 11<<20)
		w.Close()
		req := httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/schools/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+h.token(admin))
		rec := httptest.NewRecorder()
		h.router.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
	t.Run("UploadWithoutLength", func(t *testing.T) {
		// A chunked upload declares no length; the limit still holds while reading.
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", "schools.csv")
		_, _ = part.Write(bytes.Repeat([]byte("x"), 11<<20))
		w.Close()
		req := httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/schools/import", io.NopCloser(&buf))
		req.ContentLength = -1
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+h.token(admin))
		rec := httptest.NewRecorder()
		h.router.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
