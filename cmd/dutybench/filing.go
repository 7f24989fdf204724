package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// filingSQL is the pgbench script: the statements one POST /api/v1/incidents executes (see
// -trace-filing; the session and user come from the server's read cache), with pgbench variables
// for the values.
//
//go:embed filing.sql
var filingSQL string

// incidentBody is a complete initial report, filed as the admin for a school.
func incidentBody(schoolID int64, occurred time.Time) map[string]any {
	return map[string]any{
		"school_id": schoolID, "title": "学生在体育课上摔伤", "category": "accident", "subtype": "other_accident", "severity": 4,
		"occurred_at": occurred.Format(time.RFC3339), "place": "操场", "summary": "一名学生体育课跑步时摔倒，右臂擦伤，已送校医室处理。",
		"injured": 1, "measures": "校医处理伤口，通知家长。", "reporter_name": "张老师", "reporter_phone": "13800000000",
	}
}

// benchFiling: POST /api/v1/incidents by many concurrent clients on the real server, against
// pgbench running the same SQL transaction with as many clients, in the same run.
func benchFiling(ctx context.Context, o options, bin string, r *report) error {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		return fmt.Errorf("pgbench not found (apt-get install -y postgresql-contrib): %w", err)
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return fmt.Errorf("wrk not found (apt-get install -y wrk): %w", err)
	}
	db, dbURL, cleanup, err := freshDatabase(ctx, o, "filing")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedCity(ctx, db, 1000, 2); err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, dbURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	token, err := srv.login(ctx)
	if err != nil {
		return err
	}

	// The baseline first: pgbench, as the token's user (the audit entry's actor).
	dir, err := os.MkdirTemp("", "dutydesk-bench-pgbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "filing.sql")
	if err := os.WriteFile(script, []byte(filingSQL), 0o600); err != nil {
		return err
	}
	var userID int64
	if err := db.WithContext(ctx).Raw(`SELECT id FROM users WHERE username = 'admin'`).Row().Scan(&userID); err != nil {
		return err
	}
	secs := max(int(o.filingDuration.Seconds()), 1)
	cmd := exec.CommandContext(ctx, pgbench, "-n", "-M", "prepared", "-c", strconv.Itoa(o.filingClients), "-j", "2", "-T", strconv.Itoa(secs),
		"-D", "user_id="+strconv.FormatInt(userID, 10), "-f", script, dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	lat := regexp.MustCompile(`latency average = ([0-9.]+) ms`).FindSubmatch(out)
	if m == nil || lat == nil {
		return fmt.Errorf("pgbench output without tps:\n%s", out)
	}
	pgTPS, _ := strconv.ParseFloat(string(m[1]), 64)
	pgLatency, _ := strconv.ParseFloat(string(lat[1]), 64)

	// Then the real thing: clients filing complete initial reports for schools in turn, driven
	// by wrk, a load generator in C as pgbench is, so that the client takes as little of the
	// shared cores on one side as on the other. The bodies are encoded beforehand.
	occurred := time.Now().Add(-10 * time.Minute)
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i], _ = json.Marshal(incidentBody(int64(i+1), occurred))
	}
	url := srv.baseURL + "/api/v1/incidents"
	got, err := wrkPost(ctx, wrk, dir, url, token, bodies, o.filingClients, o.filingDuration)
	if err != nil {
		return err
	}
	r.add(result{scenario: "filing", measure: fmt.Sprintf("POST /api/v1/incidents throughput (%d clients, wrk)", o.filingClients),
		value: fmt.Sprintf("%.0f req/s", got.rate), baseline: fmt.Sprintf("%.0f tx/s (pgbench, same SQL)", pgTPS),
		target: "≥ 50% of pgbench", ok: check(got.rate >= 0.5*pgTPS)})
	r.add(result{scenario: "filing", measure: "POST /api/v1/incidents latency p50 / p99 (wrk)", value: ms(got.p50) + " / " + ms(got.p99),
		baseline: fmt.Sprintf("%.2f ms average (pgbench)", pgLatency), target: "p99 reported"})
	r.note("filing: the server answered at %.0f%% of pgbench's rate", 100*got.rate/pgTPS)

	// The same load from a Go client in this process, for comparison with earlier runs: it
	// takes about a fifth of a core from the server and the database.
	var n atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.filingClients}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	goGot, err := runLoad(ctx, o.filingClients, o.filingDuration, func() error {
		return post(ctx, client, url, token, bodies[n.Add(1)%1000])
	})
	if err != nil {
		return err
	}
	r.add(result{scenario: "filing", measure: "the same with a Go load client: throughput, p99",
		value: fmt.Sprintf("%.0f req/s, %s", goGot.rate, ms(goGot.p99)), baseline: fmt.Sprintf("%.0f%% of pgbench", 100*goGot.rate/pgTPS)})
	return nil
}

// wrkPost has wrk POST the bodies in turn to url, as the token's user, over conns keep-alive
// connections for d. An error status (wrk counts 4xx and 5xx) or any socket error fails the run.
func wrkPost(ctx context.Context, wrk, dir, url, token string, bodies [][]byte, conns int, d time.Duration) (loadResult, error) {
	var lua strings.Builder
	fmt.Fprintf(&lua, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")
	fmt.Fprintf(&lua, "wrk.headers[\"Authorization\"] = \"Bearer %s\"\nlocal bodies = {\n", token)
	for _, b := range bodies {
		if bytes.Contains(b, []byte("]==]")) {
			return loadResult{}, fmt.Errorf("a body holds ]==], which ends the Lua string it is put in")
		}
		fmt.Fprintf(&lua, "[==[%s]==],\n", b) // a long bracket: the JSON needs no escaping
	}
	lua.WriteString("}\nlocal n = 0\nrequest = function()\n  n = n % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[n])\nend\n")
	script := filepath.Join(dir, "filing.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		return loadResult{}, err
	}
	secs := max(int(d.Seconds()), 1)
	out, err := exec.CommandContext(ctx, wrk, "-t", strconv.Itoa(min(2, conns)), "-c", strconv.Itoa(conns), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "30s", "--latency", "-s", script, url).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		return loadResult{}, fmt.Errorf("wrk: some requests failed\n%s", out)
	}
	rate := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	p50 := regexp.MustCompile(`\s50%\s+([0-9.]+[a-z]+)`).FindSubmatch(out)
	p99 := regexp.MustCompile(`\s99%\s+([0-9.]+[a-z]+)`).FindSubmatch(out)
	if rate == nil || p50 == nil || p99 == nil {
		return loadResult{}, fmt.Errorf("wrk output without a rate or latencies:\n%s", out)
	}
	var got loadResult
	got.rate, _ = strconv.ParseFloat(string(rate[1]), 64)
	if got.p50, err = time.ParseDuration(string(p50[1])); err == nil {
		got.p99, err = time.ParseDuration(string(p99[1]))
	}
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk latency: %w\n%s", err, out)
	}
	return got, nil
}

func post(ctx context.Context, client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	return nil
}

// traceFiling prints the SQL that one POST /api/v1/incidents sends to PostgreSQL, through the
// real router in this process with a pgx query tracer on: the source of filing.sql.
func traceFiling(ctx context.Context, o options) error {
	seeded, dbURL, cleanup, err := freshDatabase(ctx, o, "trace")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedCity(ctx, seeded, 10, 2); err != nil {
		return err
	}
	tracer := &printTracer{}
	db, err := store.OpenPostgres(dbURL, models.SystemClock{}, stdlib.OptionBeforeConnect(func(_ context.Context, c *pgx.ConnConfig) error {
		c.Tracer = tracer
		return nil
	}))
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := config.Defaults()
	stores := app.New(db, models.SystemClock{}, app.Options{Directory: directory.Options{PasswordCost: 4}})
	if _, err := stores.Directory.EnsureAdmin(ctx, adminPassword); err != nil {
		return err
	}
	router := handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping})
	do := func(path, token string, body any) *httptest.ResponseRecorder {
		b, _ := json.Marshal(body)
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		return w
	}
	// As serve does: the read cache on (sessions), so the trace is of the steady state, where
	// the token was seen before.
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go func() { _ = db.WatchChanges(watchCtx, store.DefaultReadCacheTTL, nil) }()
	for deadline := time.Now().Add(10 * time.Second); !db.ReadCacheOn(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the read cache did not come on")
		}
	}
	w := do("/api/v1/auth/login", "", map[string]string{"username": "admin", "password": adminPassword})
	var login struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &login); err != nil || login.Token == "" {
		return fmt.Errorf("login: %d %s", w.Code, w.Body)
	}
	if w = do("/api/v1/incidents", login.Token, incidentBody(2, time.Now().Add(-10*time.Minute))); w.Code != http.StatusCreated {
		return fmt.Errorf("warm-up filing: %d %s", w.Code, w.Body)
	}
	fmt.Println("-- SQL of one POST /api/v1/incidents:")
	tracer.on.Store(true)
	w = do("/api/v1/incidents", login.Token, incidentBody(1, time.Now().Add(-10*time.Minute)))
	tracer.on.Store(false)
	fmt.Printf("\n-- answer: %d %s\n", w.Code, w.Body)
	return nil
}

// printTracer prints each statement pgx sends, with its arguments, while on. The read cache's
// heartbeat (pg_notify), which may fall in the traced request, is not part of it and is left out.
type printTracer struct{ on atomic.Bool }

func (t *printTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if t.on.Load() && !strings.Contains(data.SQL, "pg_notify") {
		var args []string
		for _, a := range data.Args {
			if _, ok := a.(pgx.QueryResultFormatsByOID); ok {
				continue // how to return results, not an argument
			}
			v := reflect.ValueOf(a)
			for v.Kind() == reflect.Pointer && !v.IsNil() {
				v = v.Elem()
			}
			if !v.IsValid() || v.Kind() == reflect.Pointer {
				args = append(args, "NULL")
			} else {
				args = append(args, fmt.Sprintf("%q", fmt.Sprint(v.Interface())))
			}
		}
		fmt.Printf("\n%s\n  -- args: %s\n", data.SQL, strings.Join(args, ", "))
	}
	return ctx
}

func (t *printTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
