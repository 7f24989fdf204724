package handlers_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models/store"
)

// operationsRoutes are the routes outside /api/ that the document covers too.
var operationsRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// TestOpenAPIDocument validates the served document and checks that it lists exactly the router's
// routes: a route added without documenting it, or a documented route that is gone, fails here.
func TestOpenAPIDocument(t *testing.T) {
	h := newHarness(t, store.SQLite)
	r := h.do("GET", "/api/openapi.yaml", nil, nil)
	expect(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Fatalf("Content-Type %q", ct)
	}
	if string(r.Body) != string(api.OpenAPI) {
		t.Fatal("the served document is not the embedded one")
	}

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = true
			if op.Responses == nil || op.Responses.Len() == 0 {
				t.Errorf("%s %s documents no responses", method, path)
			}
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	routed := map[string]bool{}
	for _, rt := range h.router.(*gin.Engine).Routes() {
		if !strings.HasPrefix(rt.Path, "/api/") && !operationsRoutes[rt.Path] {
			continue // the console's pages are HTML, not API
		}
		routed[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is not in handlers/openapi.yaml", k)
	}
	for _, k := range extra {
		t.Errorf("handlers/openapi.yaml documents %s, which is not a route", k)
	}

	t.Run("EveryLoginRouteSaysSo", func(t *testing.T) {
		// Routes behind login declare the bearer scheme; the public ones declare none.
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				key := method + " " + regexp.MustCompile(`\{(\w+)\}`).ReplaceAllString(path, ":$1")
				rule, ok := accessRules[key]
				if !ok {
					continue
				}
				public := len(rule) > 0 && rule[0] == anon
				bearer := op.Security != nil && len(*op.Security) > 0
				if public == bearer {
					t.Errorf("%s: security %v, but anonymous callers are %v", key, op.Security, map[bool]string{true: "let in", false: "refused"}[public])
				}
			}
		}
	})
}
