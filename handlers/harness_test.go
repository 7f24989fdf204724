package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/store"
)

// harness is a real router over a real database, driven through HTTP.
type harness struct {
	t      *testing.T
	router http.Handler
	store  *app.Stores
	db     *store.DB
	clock  *models.FakeClock
	dir    *testenv.Directory
	tokens map[string]string // username → bearer token
}

// newHarness builds the router over a fresh database of the dialect with the fixture directory.
func newHarness(t *testing.T, dialect store.Dialect) *harness {
	t.Helper()
	clock := testenv.Clock()
	stores, db := testenv.Store(t, dialect, clock)
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.LoginRatePerMinute = 1000
	h := &harness{t: t, store: stores, db: db, clock: clock, tokens: map[string]string{}}
	h.router = handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping})
	h.dir = testenv.SeedDirectory(t, stores)
	return h
}

// response is a recorded answer with its JSON decoded.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// apiError is the error envelope.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
		Details json.RawMessage   `json:"details"`
	} `json:"error"`
}

// Err decodes the error envelope, failing the test if there is none.
func (r response) Err(t *testing.T) apiError {
	t.Helper()
	var e apiError
	r.JSON(t, &e)
	if e.Error.Code == "" {
		t.Fatalf("expected an error envelope, got %d %s", r.Status, r.Body)
	}
	return e
}

// do sends a request as user (nil: anonymous). body may be nil, a []byte/string sent as is, or a value sent as JSON.
func (h *harness) do(method, path string, user *models.User, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if user != nil {
		req.Header.Set("Authorization", "Bearer "+h.token(user))
	}
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// token logs user in through the API once and caches the token.
func (h *harness) token(u *models.User) string {
	h.t.Helper()
	if tok, ok := h.tokens[u.Username]; ok {
		return tok
	}
	raw, _ := json.Marshal(map[string]string{"username": u.Username, "password": testenv.Password})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", u.Username, rec.Code, rec.Body)
	}
	var out struct{ Token string }
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	h.tokens[u.Username] = out.Token
	return out.Token
}

// expect fails the test unless r has the status.
func expect(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// core is the core store over the harness's database, for fixtures only the domains write.
func (h *harness) core() *store.Store { return testenv.Core(h.db, h.clock) }
