package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"gorm.io/gorm/logger"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/models"
)

// filingSQL is the pgbench script: the statements one POST /api/v1/incidents executes (see
// -trace-filing), authentication included, with pgbench variables for the values.
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

	// The baseline first: pgbench, with the token's session for its authentication statements.
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

	// Then the real thing: clients filing complete initial reports for schools in turn. The
	// bodies are encoded beforehand, so that the load client spends the shared cores on the
	// requests alone, as pgbench does.
	occurred := time.Now().Add(-10 * time.Minute)
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i], _ = json.Marshal(incidentBody(int64(i+1), occurred))
	}
	var n atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.filingClients}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	got, err := runLoad(ctx, o.filingClients, o.filingDuration, func() error {
		return post(ctx, client, srv.baseURL+"/api/v1/incidents", token, bodies[n.Add(1)%1000])
	})
	if err != nil {
		return err
	}
	rate := got.rate
	r.add(result{scenario: "filing", measure: fmt.Sprintf("POST /api/v1/incidents throughput (%d clients)", o.filingClients),
		value: fmt.Sprintf("%.0f req/s", rate), baseline: fmt.Sprintf("%.0f tx/s (pgbench, same SQL)", pgTPS),
		target: "≥ 50% of pgbench", ok: check(rate >= 0.5*pgTPS)})
	r.add(result{scenario: "filing", measure: "POST /api/v1/incidents latency p50 / p99", value: ms(got.p50) + " / " + ms(got.p99),
		baseline: fmt.Sprintf("%.2f ms average (pgbench)", pgLatency), target: "p99 reported"})
	r.note("filing: the server answered at %.0f%% of pgbench's rate", 100*rate/pgTPS)
	return nil
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

// traceFiling prints the SQL that one POST /api/v1/incidents executes, through the real router
// in this process with GORM's logger on: the source of filing.sql.
func traceFiling(ctx context.Context, o options) error {
	db, _, cleanup, err := freshDatabase(ctx, o, "trace")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedCity(ctx, db, 10, 2); err != nil {
		return err
	}
	cfg := config.Defaults()
	store := models.NewStore(db, models.SystemClock{}, models.Options{PasswordCost: 4})
	if _, err := store.EnsureAdmin(ctx, adminPassword); err != nil {
		return err
	}
	router := handlers.NewRouter(handlers.Deps{Config: cfg, Store: store, Ping: db.Ping})
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
	go func() { _ = db.WatchChanges(watchCtx, models.DefaultReadCacheTTL, nil) }()
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
	db.Logger = logger.New(log.New(os.Stdout, "\n", 0), logger.Config{LogLevel: logger.Info, Colorful: false})
	fmt.Println("-- SQL of one POST /api/v1/incidents:")
	w = do("/api/v1/incidents", login.Token, incidentBody(1, time.Now().Add(-10*time.Minute)))
	fmt.Printf("\n-- answer: %d %s\n", w.Code, w.Body)
	return nil
}
