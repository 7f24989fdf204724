package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/store"
)

// jsonBodyRoutes are the routes that read a JSON body: every create and update of the API. The CAP
// upload (XML) and the school import (multipart) have fuzz targets of their own in models; the
// console's HTML forms (outside /api/) answer in HTML and are tested in console_test.go.
func jsonBodyRoutes(r *gin.Engine) []gin.RouteInfo {
	var out []gin.RouteInfo
	for _, rt := range r.Routes() {
		switch {
		case rt.Method != http.MethodPost && rt.Method != http.MethodPatch && rt.Method != http.MethodPut:
		case !strings.HasPrefix(rt.Path, "/api/"):
		case rt.Path == "/api/v1/cap" || rt.Path == "/api/v1/schools/import" || rt.Path == "/api/v1/auth/logout":
		default:
			out = append(out, rt)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Method+out[i].Path < out[j].Method+out[j].Path })
	return out
}

// FuzzJSONBodies sends arbitrary bodies to every route that reads JSON, as the admin (who gets past
// authorisation everywhere it can) and as a school reporter: no body may cause a panic or a 5xx.
func FuzzJSONBodies(f *testing.F) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // a line per request would drown the fuzzer's output
	f.Cleanup(func() { slog.SetDefault(prev) })
	clock := testenv.Clock()
	stores, db := testenv.Store(f, store.SQLite, clock)
	dir := testenv.SeedDirectory(f, stores)
	cfg := config.Defaults()
	cfg.LoginRatePerMinute = 1 << 20
	router := handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping})
	routes := jsonBodyRoutes(router)
	ctx := context.Background()
	tokens := make([]string, 2)
	for i, u := range []*models.User{dir.Admin, dir.Reporter} {
		tok, _, _, err := stores.Directory.Login(ctx, u.Username, testenv.Password)
		if err != nil {
			f.Fatal(err)
		}
		tokens[i] = tok
	}
	ids := strings.NewReplacer(":id", fmt.Sprint(dir.School1A.ID), ":contact_id", "1", ":report_id", "1",
		":instruction_id", "1", ":role", "officer", ":kind", "initial_report", ":date", "2026-10-01", ":token", "x")

	seeds := []string{`{}`, `null`, `[]`, `{"name":"东湖区","code":"330102"}`, `{"type":"typhoon","level":"red","whole_city":true}`,
		`{"school_id":1,"title":"t","category":"accident","severity":4,"occurred_at":"2026-10-08T01:00:00Z"}`,
		`{"steps":[{"delay_seconds":0,"targets":["school_contacts"]}]}`, `{"user_ids":[1,2,3]}`, `{"from":"2026-10-01","to":"2026-10-02"}`,
		`{"password":"` + strings.Repeat("x", 100) + `"}`, `{"district_ids":[1e308]}`, `{"severity":-9223372036854775808}`}
	for i := range routes { // every route once with an empty object, each other seed on a few routes
		f.Add(uint16(i), false, []byte(`{}`))
	}
	for i, s := range seeds {
		f.Add(uint16(i*7), i%2 == 1, []byte(s))
	}
	f.Fuzz(func(t *testing.T, route uint16, asReporter bool, body []byte) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequestWithContext(ctx, rt.Method, ids.Replace(rt.Path), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		tok := tokens[0]
		if asReporter {
			tok = tokens[1]
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", rt.Method, rt.Path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var env struct{ Error struct{ Code string } }
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Code == "" {
				t.Fatalf("%s %s: %d without the error envelope: %s", rt.Method, rt.Path, rec.Code, rec.Body)
			}
		}
	})
}
