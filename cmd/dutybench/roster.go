package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// benchRoster: GET /api/v1/roster/now on the real server over PostgreSQL with a generated roster,
// under a Go load client with keep-alive connections; the baseline is /healthz in the same run.
func benchRoster(ctx context.Context, o options, bin string, r *report) error {
	db, dbURL, cleanup, err := freshDatabase(ctx, o, "roster")
	if err != nil {
		return err
	}
	defer cleanup()
	stmts := []string{
		`INSERT INTO users (username, display_name, password_hash, role, email, mobile, created_at, updated_at)
		 SELECT 'leader' || g, '领导' || g, 'x', 'leader', 'leader' || g || '@bench.test', '1390000000' || g, now(), now() FROM generate_series(1, 6) g
		 UNION ALL
		 SELECT 'officer' || g, '值班员' || g, 'x', 'duty_officer', 'officer' || g || '@bench.test', '1370000' || lpad(g::text, 4, '0'), now(), now() FROM generate_series(1, 12) g`,
		`INSERT INTO shifts (name, starts_at, ends_at, confirmed, created_at, updated_at)
		 SELECT CASE WHEN night THEN '夜班' ELSE '白班' END,
		        (d + CASE WHEN night THEN time '17:30' ELSE time '08:30' END) AT TIME ZONE 'Asia/Shanghai',
		        (CASE WHEN night THEN d + 1 + time '08:30' ELSE d + time '17:30' END) AT TIME ZONE 'Asia/Shanghai',
		        true, now(), now()
		 FROM generate_series(-365, 365) g,
		      LATERAL (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + g AS d) day, -- a date: date + time is Beijing's wall clock
		      (VALUES (false), (true)) AS k(night)`,
		`INSERT INTO assignments (shift_id, user_id, role, starts_at, ends_at, created_at)
		 SELECT s.id, u.id, CASE WHEN u.role = 'leader' THEN 'leader' ELSE 'officer' END, s.starts_at, s.ends_at, now()
		 FROM (SELECT id, starts_at, ends_at, row_number() OVER (ORDER BY starts_at) AS n FROM shifts) s
		 JOIN users u ON (u.username = 'leader' || (1 + s.n % 6))
		              OR (u.username = 'officer' || (1 + (2 * s.n) % 12))
		              OR (u.username = 'officer' || (2 + (2 * s.n) % 12))`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("seed roster: %w", err)
		}
	}
	// The server as configured by default (read cache on), then with the read cache off, for
	// comparison in the same run.
	base, got, err := measureRosterNow(ctx, o, bin, dbURL)
	if err != nil {
		return err
	}
	_, uncached, err := measureRosterNow(ctx, o, bin, dbURL, "DUTYDESK_READ_CACHE_TTL=0")
	if err != nil {
		return err
	}
	r.add(result{scenario: "roster", measure: fmt.Sprintf("GET /api/v1/roster/now throughput (%d connections)", o.rosterConns),
		value: fmt.Sprintf("%.0f req/s", got.rate), baseline: fmt.Sprintf("%.0f req/s (/healthz); %.0f req/s with the read cache off", base.rate, uncached.rate),
		target: "≥ 5,000 req/s", ok: check(got.rate >= 5000)})
	r.add(result{scenario: "roster", measure: "GET /api/v1/roster/now latency p50 / p99",
		value: ms(got.p50) + " / " + ms(got.p99), baseline: ms(base.p50) + " / " + ms(base.p99) + " (/healthz); " +
			ms(uncached.p50) + " / " + ms(uncached.p99) + " with the read cache off",
		target: "p99 < 10 ms", ok: check(got.p99 < 10*time.Millisecond)})
	return nil
}

// measureRosterNow starts the server with env and loads /healthz (the baseline), then
// /api/v1/roster/now, each after a warm-up.
func measureRosterNow(ctx context.Context, o options, bin, dbURL string, env ...string) (base, got loadResult, err error) {
	srv, err := startServer(ctx, bin, dbURL, env...)
	if err != nil {
		return base, got, err
	}
	defer srv.stop()
	token, err := srv.login(ctx)
	if err != nil {
		return base, got, err
	}
	var now struct {
		Leader   *struct{ ID int64 }
		Officers []struct{ ID int64 }
	}
	if _, err := srv.call(ctx, "GET", "/api/v1/roster/now", token, nil, &now); err != nil {
		return base, got, err
	}
	if now.Leader == nil || len(now.Officers) != 2 {
		return base, got, fmt.Errorf("roster/now: want a leader and two officers on duty, got %+v", now)
	}
	// Warm both up, then measure the baseline first and the endpoint second.
	if _, err := load(ctx, srv.baseURL+"/healthz", "", o.rosterConns, time.Second); err != nil {
		return base, got, err
	}
	if _, err := load(ctx, srv.baseURL+"/api/v1/roster/now", token, o.rosterConns, time.Second); err != nil {
		return base, got, err
	}
	if base, err = load(ctx, srv.baseURL+"/healthz", "", o.rosterConns, o.rosterDuration); err != nil {
		return base, got, err
	}
	got, err = load(ctx, srv.baseURL+"/api/v1/roster/now", token, o.rosterConns, o.rosterDuration)
	return base, got, err
}

// loadResult is what a load run measured.
type loadResult struct {
	requests int
	rate     float64
	p50, p99 time.Duration
}

// load sends GET requests to url over conns keep-alive connections for d; any answer but 200 is
// an error.
func load(ctx context.Context, url, token string, conns int, d time.Duration) (loadResult, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	return runLoad(ctx, conns, d, func() error { return get(ctx, client, url, token) })
}

// runLoad calls request from workers goroutines, each as soon as its last call returned, for d;
// the first error stops the run.
func runLoad(ctx context.Context, workers int, d time.Duration, request func() error) (loadResult, error) {
	var mu sync.Mutex
	var all latencies
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine latencies
			var err error
			for time.Now().Before(stop) && ctx.Err() == nil {
				t := time.Now()
				if err = request(); err != nil {
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	return loadResult{requests: len(all), rate: float64(len(all)) / elapsed.Seconds(), p50: all.percentile(50), p99: all.percentile(99)}, nil
}

func get(ctx context.Context, client *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return nil
}
