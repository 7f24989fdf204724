package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/store"
)

// outcome is one request's answer as the load generator saw it.
type outcome struct {
	phase   string // before, during, recovering, after, partition, healing, final (x→y: straddles a change)
	write   bool
	email   string // the contact a write created
	status  int
	code    string // the error envelope's code
	elapsed time.Duration
	err     error
}

// TestDatabaseOutageUnderLoad runs the router over PostgreSQL through a TCP proxy and keeps four
// clients writing and reading. It cuts the proxy for 3 s (a PostgreSQL restart, seen by this
// service only) and restores it; then it turns the proxy into a black hole for 4 s (a network
// partition: connections stay open, nothing answers) and heals it. Meanwhile /readyz says 503 and
// requests fail with 503 and the error envelope, fast on a restart and within the request timeout
// on a partition; afterwards the service recovers by itself; every write answered 201 is there.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	base := os.Getenv(testenv.PostgresURLVar)
	if base == "" {
		t.Skip("needs PostgreSQL; CI sets " + testenv.PostgresURLVar)
	}
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.Addr
	clock := models.SystemClock{}
	db, err := store.OpenPostgres(u.String(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stores := app.New(db, clock, testenv.Options())
	dir := testenv.SeedDirectory(t, stores)
	cfg := config.Defaults()
	cfg.LoginRatePerMinute = 1000
	cfg.RequestTimeout = 2 * time.Second
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping}))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 10 * time.Second} // a request that takes this long has hung

	request := func(method, path, token string, body any) (int, string, error) {
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var env struct {
			Error struct{ Code string }
			Token string
		}
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &env)
		if resp.StatusCode == http.StatusOK && env.Token != "" {
			return resp.StatusCode, env.Token, nil
		}
		return resp.StatusCode, env.Error.Code, nil
	}
	_, token, err := request("POST", "/api/v1/auth/login", "", map[string]string{"username": dir.Officer.Username, "password": testenv.Password})
	if err != nil || len(token) < 20 {
		t.Fatalf("login: %q %v", token, err)
	}

	var phase atomic.Value
	phase.Store("before")
	var mu sync.Mutex
	var outcomes []outcome
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := outcome{phase: phase.Load().(string), write: i%2 == 0}
				start := time.Now()
				if o.write {
					o.email = fmt.Sprintf("load.%d.%d@example.org", w, i)
					o.status, o.code, o.err = request("POST", fmt.Sprintf("/api/v1/schools/%d/contacts", dir.School1A.ID), token,
						map[string]any{"name": fmt.Sprintf("负载%d-%d", w, i), "role": "值班", "email": o.email})
				} else {
					o.status, o.code, o.err = request("GET", "/api/v1/schools?limit=10", token, nil)
				}
				o.elapsed = time.Since(start)
				if end := phase.Load().(string); end != o.phase {
					o.phase = o.phase + "→" + end // straddles a change: judged by the general rules only
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	ready := func() int {
		st, _, err := request("GET", "/readyz", "", nil)
		if err != nil {
			t.Errorf("/readyz: %v", err)
		}
		return st
	}

	time.Sleep(time.Second)
	if st := ready(); st != http.StatusOK {
		t.Fatalf("/readyz before the outage: %d", st)
	}
	phase.Store("during")
	proxy.Cut()
	time.Sleep(200 * time.Millisecond)
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", st)
	}
	// readyAgain waits (up to 15 s) for /readyz to answer 200 after the database is back.
	readyAgain := func(after string) {
		t.Helper()
		since := time.Now()
		for ready() != http.StatusOK {
			if time.Since(since) > 15*time.Second {
				t.Fatalf("/readyz still not 200 15 s after %s", after)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("ready again %s after %s", time.Since(since).Round(time.Millisecond), after)
	}
	time.Sleep(3 * time.Second)
	proxy.Restore()
	phase.Store("recovering")
	readyAgain("the database came back")
	time.Sleep(500 * time.Millisecond)
	phase.Store("after")
	time.Sleep(time.Second)

	phase.Store("partition")
	proxy.Blackhole()
	time.Sleep(200 * time.Millisecond)
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the partition: %d, want 503", st)
	}
	time.Sleep(4 * time.Second)
	proxy.Heal()
	phase.Store("healing")
	readyAgain("the partition healed")
	time.Sleep(500 * time.Millisecond)
	phase.Store("final")
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	// What the clients saw.
	counts := map[string]map[int]int{}
	var accepted []string
	for _, o := range outcomes {
		if counts[o.phase] == nil {
			counts[o.phase] = map[int]int{}
		}
		counts[o.phase][o.status]++
		switch {
		case o.err != nil:
			t.Errorf("%s: request failed without an answer after %s: %v", o.phase, o.elapsed, o.err)
		case o.status >= 500 && (o.status != http.StatusServiceUnavailable || o.code != "unavailable"):
			t.Errorf("%s: status %d code %q, want 503 unavailable", o.phase, o.status, o.code)
		case o.status == http.StatusServiceUnavailable && o.elapsed > cfg.RequestTimeout+time.Second:
			t.Errorf("%s: 503 only after %s (hanging past the %s request timeout)", o.phase, o.elapsed, cfg.RequestTimeout)
		case o.status < 500 && o.status != http.StatusOK && o.status != http.StatusCreated:
			t.Errorf("%s: unexpected status %d %q", o.phase, o.status, o.code)
		}
		if (o.phase == "after" || o.phase == "final") && o.status != http.StatusOK && o.status != http.StatusCreated {
			t.Errorf("after recovery: status %d %q", o.status, o.code)
		}
		if o.write && o.status == http.StatusCreated {
			accepted = append(accepted, o.email)
		}
	}
	t.Logf("answers by phase and status: %v", counts)
	if counts["during"][http.StatusServiceUnavailable] == 0 {
		t.Error("no request saw the outage; the test proved nothing")
	}
	if counts["partition"][http.StatusServiceUnavailable] == 0 {
		t.Error("no request saw the partition; the test proved nothing")
	}
	if counts["after"][http.StatusCreated] == 0 || counts["final"][http.StatusCreated] == 0 {
		t.Error("no write succeeded after recovery")
	}
	// No accepted write lost.
	var stored []string
	if err := db.DB.Raw("SELECT email FROM contacts WHERE email LIKE 'load.%'").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range stored {
		have[e] = true
	}
	lost := 0
	for _, e := range accepted {
		if !have[e] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d accepted writes are not in the database", lost, len(accepted))
	}
	t.Logf("%d writes accepted, %d lost; %d contacts stored", len(accepted), lost, len(stored))
}
