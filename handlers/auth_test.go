package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

func TestLoginMeLogout(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)

		t.Run("WrongPassword", func(t *testing.T) {
			r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "duty1", "password": "nope-nope-nope"})
			expect(t, r, http.StatusUnauthorized)
			if e := r.Err(t); e.Error.Code != "unauthorized" || e.Error.Message != "用户名或密码错误" {
				t.Fatalf("error %+v", e.Error)
			}
		})
		t.Run("UnknownUserLooksTheSame", func(t *testing.T) {
			r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "ghost", "password": "nope-nope-nope"})
			expect(t, r, http.StatusUnauthorized)
			if e := r.Err(t); e.Error.Message != "用户名或密码错误" {
				t.Fatalf("error %+v", e.Error)
			}
		})
		t.Run("LoginThenMe", func(t *testing.T) {
			r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "duty1", "password": testenv.Password})
			expect(t, r, http.StatusOK)
			var out struct {
				Token     string
				ExpiresAt time.Time `json:"expires_at"`
			}
			r.JSON(t, &out)
			if len(out.Token) < 40 || !out.ExpiresAt.Equal(h.clock.Now().Add(12*time.Hour)) {
				t.Fatalf("login answer %+v", out)
			}
			me := h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+out.Token)
			expect(t, me, http.StatusOK)
			var u models.User
			me.JSON(t, &u)
			if u.Username != "duty1" || u.Role != models.RoleDutyOfficer {
				t.Fatalf("me = %+v", u)
			}
			if string(me.Body) != "" && containsKey(me.Body, "password_hash") {
				t.Fatalf("me leaks the password hash: %s", me.Body)
			}

			expect(t, h.do("POST", "/api/v1/auth/logout", nil, nil, "Authorization", "Bearer "+out.Token), http.StatusNoContent)
			expect(t, h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+out.Token), http.StatusUnauthorized)
		})
		t.Run("TokenExpires", func(t *testing.T) {
			tok := h.token(h.dir.Leader)
			expect(t, h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+tok), http.StatusOK)
			h.clock.Advance(12*time.Hour + time.Second)
			expect(t, h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+tok), http.StatusUnauthorized)
		})
		t.Run("NoToken", func(t *testing.T) {
			r := h.do("GET", "/api/v1/schools", nil, nil)
			expect(t, r, http.StatusUnauthorized)
			expect(t, h.do("GET", "/api/v1/schools", nil, nil, "Authorization", "Bearer forged"), http.StatusUnauthorized)
		})
		t.Run("DisabledUserLosesSessions", func(t *testing.T) {
			tok := h.token(h.dir.Reporter)
			disabled := true
			expect(t, h.do("PATCH", "/api/v1/users/"+models.FormatID(h.dir.Reporter.ID), h.dir.Admin, directory.UserInput{Disabled: &disabled}), http.StatusOK)
			expect(t, h.do("GET", "/api/v1/me", nil, nil, "Authorization", "Bearer "+tok), http.StatusUnauthorized)
			r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": h.dir.Reporter.Username, "password": testenv.Password})
			expect(t, r, http.StatusUnauthorized)
		})
	})
}

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t, store.SQLite)
	// The harness allows 1000 a minute; build a router with the default limit of 10.
	h.router = rebuildRouter(t, h, 10)
	for i := 0; i < 10; i++ {
		r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "duty1", "password": "wrong-password"})
		expect(t, r, http.StatusUnauthorized)
	}
	r := h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "duty1", "password": testenv.Password})
	expect(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" || r.Err(t).Error.Code != "too_many_requests" {
		t.Fatalf("rate-limited answer %v %s", r.Header, r.Body)
	}
	// Another account is unaffected (the per-address limit is five times larger).
	r = h.do("POST", "/api/v1/auth/login", nil, map[string]string{"username": "leader1", "password": testenv.Password}, "X-Forwarded-For", "10.0.0.9")
	expect(t, r, http.StatusOK)
}
