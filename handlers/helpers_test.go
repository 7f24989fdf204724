package handlers_test

import (
	"bytes"
	"net/http"
	"testing"

	"dutydesk/config"
	"dutydesk/handlers"
)

func containsKey(body []byte, key string) bool { return bytes.Contains(body, []byte(`"`+key+`"`)) }

// rebuildRouter returns a router over h's store with a different login rate.
func rebuildRouter(t *testing.T, h *harness, loginPerMinute int) http.Handler {
	t.Helper()
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.LoginRatePerMinute = loginPerMinute
	return handlers.NewRouter(handlers.Deps{Config: cfg, Store: h.store, Ping: h.db.Ping})
}
