package handlers_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

func id(n int64) string { return models.FormatID(n) }

// TestDirectoryRoleBoundaries walks every role over the directory routes and checks who may read
// and write what, and that a refused request changes nothing.
func TestDirectoryRoleBoundaries(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := h.dir
		s1a, s1b, s2a := "/api/v1/schools/"+id(d.School1A.ID), "/api/v1/schools/"+id(d.School1B.ID), "/api/v1/schools/"+id(d.School2A.ID)

		t.Run("SchoolListsAreScoped", func(t *testing.T) {
			want := map[*models.User]int{d.Admin: 3, d.Officer: 3, d.Leader: 3, d.DistrictOfficer: 2, d.Reporter: 1}
			for u, n := range want {
				r := h.do("GET", "/api/v1/schools", u, nil)
				expect(t, r, http.StatusOK)
				var list struct {
					Items []directory.School
					Total int64
				}
				r.JSON(t, &list)
				if len(list.Items) != n || list.Total != int64(n) {
					t.Errorf("%s sees %d schools (total %d), want %d", u.Role, len(list.Items), list.Total, n)
				}
			}
		})
		t.Run("OtherSchoolsAreNotFound", func(t *testing.T) {
			cases := []struct {
				user   *models.User
				path   string
				status int
			}{
				{d.Reporter, s1a, 200}, {d.Reporter, s1b, 404}, {d.Reporter, s2a, 404},
				{d.DistrictOfficer, s1a, 200}, {d.DistrictOfficer, s1b, 200}, {d.DistrictOfficer, s2a, 404},
				{d.Leader, s2a, 200}, {d.Officer, s2a, 200},
				{d.Reporter, s2a + "/contacts", 404}, {d.Reporter, s1a + "/contacts", 200},
				{d.Admin, "/api/v1/schools/999999", 404}, {d.Admin, "/api/v1/schools/abc", 404},
			}
			for _, c := range cases {
				if r := h.do("GET", c.path, c.user, nil); r.Status != c.status {
					t.Errorf("%s GET %s = %d, want %d: %s", c.user.Role, c.path, r.Status, c.status, r.Body)
				}
			}
		})
		t.Run("ContactWrites", func(t *testing.T) {
			body := map[string]any{"name": "新联系人", "role": "值班电话", "mobile": "0571-88880000"}
			cases := []struct {
				user   *models.User
				school string
				status int
			}{
				{d.Reporter, s1a, 201}, {d.Reporter, s2a, 404},
				{d.DistrictOfficer, s1b, 201}, {d.DistrictOfficer, s2a, 404},
				{d.Officer, s2a, 201}, {d.Leader, s2a, 403},
			}
			for i, c := range cases {
				body["name"] = fmt.Sprintf("新联系人%d", i)
				if r := h.do("POST", c.school+"/contacts", c.user, body); r.Status != c.status {
					t.Errorf("%s POST %s/contacts = %d, want %d: %s", c.user.Role, c.school, r.Status, c.status, r.Body)
				}
			}
			var sc directory.School
			r := h.do("GET", s2a, d.Admin, nil)
			r.JSON(t, &sc)
			if len(sc.Contacts) != 3 { // 2 fixture contacts + the duty officer's
				t.Fatalf("school 2A has %d contacts after refused writes, want 3", len(sc.Contacts))
			}
		})
		t.Run("SchoolWrites", func(t *testing.T) {
			rename := map[string]any{"address": "东湖区新址1号"}
			expect(t, h.do("PATCH", s1a, d.DistrictOfficer, rename), http.StatusOK)
			expect(t, h.do("PATCH", s2a, d.DistrictOfficer, rename), http.StatusNotFound)
			expect(t, h.do("PATCH", s1a, d.Reporter, rename), http.StatusForbidden)
			expect(t, h.do("PATCH", s1a, d.Officer, rename), http.StatusForbidden)
			r := h.do("PATCH", s1a, d.DistrictOfficer, map[string]any{"district_id": d.District2.ID})
			expect(t, r, http.StatusForbidden)
			if r.Err(t).Error.Fields["district_id"] == "" {
				t.Errorf("moving a school names no field: %s", r.Body)
			}
			create := map[string]any{"district_id": d.District1.ID, "name": "东湖区新学校", "type": "primary"}
			for _, u := range []*models.User{d.Officer, d.Leader, d.DistrictOfficer, d.Reporter} {
				expect(t, h.do("POST", "/api/v1/schools", u, create), http.StatusForbidden)
			}
			expect(t, h.do("POST", "/api/v1/schools", d.Admin, create), http.StatusCreated)
			expect(t, h.do("POST", "/api/v1/schools", d.Admin, create), http.StatusConflict)
		})
		t.Run("OnlyAdminsManageUsers", func(t *testing.T) {
			newUser := map[string]any{"username": "newduty", "display_name": "新值班员", "role": "duty_officer", "password": "long-enough-password"}
			for _, u := range []*models.User{d.Officer, d.Leader, d.DistrictOfficer, d.Reporter} {
				expect(t, h.do("POST", "/api/v1/users", u, newUser), http.StatusForbidden)
				expect(t, h.do("GET", "/api/v1/users", u, nil), http.StatusForbidden)
				expect(t, h.do("PATCH", "/api/v1/users/"+id(d.Admin.ID), u, map[string]any{"role": "school_reporter"}), http.StatusForbidden)
				expect(t, h.do("GET", "/api/v1/audit", u, nil), http.StatusForbidden)
			}
			expect(t, h.do("GET", "/api/v1/users/"+id(d.Reporter.ID), d.Reporter, nil), http.StatusOK)
			expect(t, h.do("GET", "/api/v1/users/"+id(d.Admin.ID), d.Reporter, nil), http.StatusNotFound)
			expect(t, h.do("POST", "/api/v1/users", d.Admin, newUser), http.StatusCreated)
			r := h.do("POST", "/api/v1/users", d.Admin, map[string]any{"username": "x", "display_name": "", "role": "school_reporter", "password": "short"})
			expect(t, r, http.StatusUnprocessableEntity)
			fields := r.Err(t).Error.Fields
			for _, f := range []string{"username", "display_name", "school_id", "password"} {
				if fields[f] == "" {
					t.Errorf("no message for %s: %v", f, fields)
				}
			}
		})
		t.Run("MutationsAreAudited", func(t *testing.T) {
			r := h.do("GET", "/api/v1/audit?action=contact.create", d.Admin, nil)
			expect(t, r, http.StatusOK)
			var list struct{ Items []store.AuditEntry }
			r.JSON(t, &list)
			// 6 fixture contacts (by the system) + 3 created above through the API.
			var byAPI []store.AuditEntry
			for _, e := range list.Items {
				if e.ActorID != nil {
					byAPI = append(byAPI, e)
				}
			}
			if len(list.Items) != 9 || len(byAPI) != 3 || byAPI[0].RequestID == "" {
				t.Fatalf("audit has %d contact.create entries (%d by API users): %+v", len(list.Items), len(byAPI), byAPI)
			}
		})
	})
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	h := newHarness(t, store.SQLite)
	admin := h.dir.Admin
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"Empty", "", 400, "bad_request", ""},
		{"NotJSON", "name=x", 400, "bad_request", ""},
		{"Truncated", `{"code":"1"`, 400, "bad_request", ""},
		{"UnknownField", `{"code":"9","name":"某区","mayor":"x"}`, 400, "bad_request", "mayor"},
		{"WrongType", `{"code":9,"name":"某区"}`, 400, "bad_request", "code"},
		{"TwoObjects", `{"code":"9","name":"某区"}{}`, 400, "bad_request", ""},
		{"Array", `[1,2]`, 400, "bad_request", ""},
		{"MissingName", `{"code":"9"}`, 422, "validation_failed", "name"},
		{"InvalidUTF8", "{\"code\":\"9\",\"name\":\"\xff\xfe\"}", 400, "bad_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("POST", "/api/v1/districts", admin, c.body)
			expect(t, r, c.status)
			e := r.Err(t)
			if e.Error.Code != c.code || (c.field != "" && e.Error.Fields[c.field] == "") {
				t.Fatalf("error %+v", e.Error)
			}
		})
	}
	t.Run("Oversized", func(t *testing.T) {
		big := `{"code":"9","name":"` + strings.Repeat("长", 400_000) + `"}`
		r := h.do("POST", "/api/v1/districts", admin, big)
		expect(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("BadQuery", func(t *testing.T) {
		expect(t, h.do("GET", "/api/v1/schools?limit=abc", admin, nil), http.StatusBadRequest)
		expect(t, h.do("GET", "/api/v1/schools?limit=5000", admin, nil), http.StatusUnprocessableEntity)
		expect(t, h.do("GET", "/api/v1/schools?type=university", admin, nil), http.StatusBadRequest)
		expect(t, h.do("GET", "/api/v1/audit?from=yesterday", admin, nil), http.StatusBadRequest)
	})
	t.Run("NothingWasCreated", func(t *testing.T) {
		r := h.do("GET", "/api/v1/districts", admin, nil)
		var list struct{ Items []directory.District }
		r.JSON(t, &list)
		if len(list.Items) != 2 {
			t.Fatalf("%d districts after refused requests, want 2", len(list.Items))
		}
	})
	t.Run("UnknownRouteAndMethod", func(t *testing.T) {
		expect(t, h.do("GET", "/api/v1/nothing", admin, nil), http.StatusNotFound)
		r := h.do("PUT", "/api/v1/schools", admin, "{}")
		expect(t, r, http.StatusMethodNotAllowed)
		r.Err(t)
	})
}

func TestPaginationWalksEverySchool(t *testing.T) {
	h := newHarness(t, store.SQLite)
	seen := map[int64]bool{}
	path := "/api/v1/schools?limit=2"
	for pages := 0; ; pages++ {
		r := h.do("GET", path, h.dir.Admin, nil)
		expect(t, r, http.StatusOK)
		var list struct {
			Items      []directory.School
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(t, &list)
		for _, s := range list.Items {
			if seen[s.ID] {
				t.Fatalf("school %d on two pages", s.ID)
			}
			seen[s.ID] = true
		}
		if list.NextCursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		path = "/api/v1/schools?limit=2&cursor=" + list.NextCursor
	}
	if len(seen) != 3 {
		t.Fatalf("walked %d schools, want 3", len(seen))
	}
}

func TestIdempotencyKey(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		body := map[string]any{"name": "重试联系人", "mobile": "13800001111"}
		path := "/api/v1/schools/" + id(h.dir.School1A.ID) + "/contacts"
		first := h.do("POST", path, h.dir.Reporter, body, "Idempotency-Key", "k-1")
		expect(t, first, http.StatusCreated)
		again := h.do("POST", path, h.dir.Reporter, body, "Idempotency-Key", "k-1")
		expect(t, again, http.StatusCreated)
		if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry answered %s, first %s", again.Body, first.Body)
		}
		other := h.do("POST", path, h.dir.Reporter, map[string]any{"name": "别人", "mobile": "13800001112"}, "Idempotency-Key", "k-1")
		expect(t, other, http.StatusUnprocessableEntity)
		var sc directory.School
		h.do("GET", "/api/v1/schools/"+id(h.dir.School1A.ID), h.dir.Admin, nil).JSON(t, &sc)
		if len(sc.Contacts) != 3 {
			t.Fatalf("%d contacts after a retried create, want 3", len(sc.Contacts))
		}
		// The same key from another user is a different request.
		expect(t, h.do("POST", path, h.dir.Officer, map[string]any{"name": "值班员添加", "mobile": "13800001113"}, "Idempotency-Key", "k-1"), http.StatusCreated)
	})
}

func TestIdempotencyKeyAfterRefusal(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		path := "/api/v1/schools/" + id(h.dir.School1A.ID) + "/contacts"
		wrong := map[string]any{"name": "", "mobile": "13800002222"}
		refused := h.do("POST", path, h.dir.Reporter, wrong, "Idempotency-Key", "k-fix")
		expect(t, refused, http.StatusUnprocessableEntity)
		// The same wrong request again is handled again, not replayed: a refusal is not kept.
		again := h.do("POST", path, h.dir.Reporter, wrong, "Idempotency-Key", "k-fix")
		expect(t, again, http.StatusUnprocessableEntity)
		if again.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("a 422 was replayed: %v", again.Header)
		}
		corrected := map[string]any{"name": "更正后的联系人", "mobile": "13800002222"}
		created := h.do("POST", path, h.dir.Reporter, corrected, "Idempotency-Key", "k-fix")
		expect(t, created, http.StatusCreated)
		if created.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("the corrected request was a replay: %v", created.Header)
		}
		// From now on the key holds the 201 and replays it.
		retry := h.do("POST", path, h.dir.Reporter, corrected, "Idempotency-Key", "k-fix")
		expect(t, retry, http.StatusCreated)
		if !bytes.Equal(retry.Body, created.Body) || retry.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry answered %s, first %s", retry.Body, created.Body)
		}
		var sc directory.School
		h.do("GET", "/api/v1/schools/"+id(h.dir.School1A.ID), h.dir.Admin, nil).JSON(t, &sc)
		if len(sc.Contacts) != 3 {
			t.Fatalf("%d contacts, want 3 (2 seeded + the corrected one)", len(sc.Contacts))
		}
	})
}

func TestImportUpload(t *testing.T) {
	h := newHarness(t, store.SQLite)
	upload := func(user *models.User, name, content string) response {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", name)
		part.Write([]byte(content))
		w.Close()
		req := httptest.NewRequest("POST", "/api/v1/schools/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+h.token(user))
		rec := httptest.NewRecorder()
		h.router.ServeHTTP(rec, req)
		return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}
	csv := "区县,学校名称,学校类型,联系人,邮箱\n东湖区,东湖区第五小学,小学,周杰,zhou@example.org\n"
	expect(t, upload(h.dir.Officer, "s.csv", csv), http.StatusForbidden)
	r := upload(h.dir.Admin, "s.csv", csv)
	expect(t, r, http.StatusOK)
	var res directory.ImportResult
	r.JSON(t, &res)
	if res.SchoolsCreated != 1 || res.ContactsCreated != 1 {
		t.Fatalf("result %+v", res)
	}
	r = upload(h.dir.Admin, "s.csv", csv+"西湖区,某校,小学,某人,x@example.org\n")
	expect(t, r, http.StatusUnprocessableEntity)
	e := r.Err(t)
	if !strings.Contains(string(e.Error.Details), `"row":3`) || !strings.Contains(string(e.Error.Details), `"column":"区县"`) {
		t.Fatalf("details %s", e.Error.Details)
	}
	expect(t, upload(h.dir.Admin, "s.pdf", csv), http.StatusUnprocessableEntity)
	expect(t, h.do("POST", "/api/v1/schools/import", h.dir.Admin, "{}"), http.StatusBadRequest)
}

func TestOperationsEndpoints(t *testing.T) {
	h := newHarness(t, store.SQLite)
	expect(t, h.do("GET", "/healthz", nil, nil), http.StatusOK)
	r := h.do("GET", "/readyz", nil, nil)
	expect(t, r, http.StatusOK)
	if r.Header.Get("X-Request-ID") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", r.Header)
	}
	h.do("GET", "/api/v1/schools", h.dir.Admin, nil)
	m := h.do("GET", "/metrics", nil, nil)
	expect(t, m, http.StatusOK)
	if !strings.Contains(string(m.Body), `dutydesk_http_requests_total{method="GET",route="/api/v1/schools",status="200"} 1`) {
		t.Fatalf("metrics lack the request counter:\n%.2000s", m.Body)
	}
	h.db.Close()
	expect(t, h.do("GET", "/readyz", nil, nil), http.StatusServiceUnavailable)
}
