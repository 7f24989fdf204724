package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"dutydesk/models/demo"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeDemo is the newcomer's first run: serve --demo on an empty data dir, then log in as the
// printed admin and list the demo city's schools.
func TestServeDemo(t *testing.T) {
	addr := freeAddr(t)
	dataDir := t.TempDir()
	env := envOf(map[string]string{"DUTYDESK_ADDR": addr, "DUTYDESK_DATA_DIR": dataDir, "DUTYDESK_PASSWORD_COST": "4", "DUTYDESK_LOG_LEVEL": "error"})
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--demo"}, env, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}()

	base := "http://" + addr
	// Seeding the demo city comes first; under -race on two busy cores (the rest of the suite runs
	// beside it) that has taken over 30 s. This is a wait, not a measure: generous on purpose.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "as admin / "+demoAdminPassword) {
		t.Fatalf("start-up message does not say how to log in:\n%s", out.String())
	}
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": demoAdminPassword})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin login: %v %v", resp, err)
	}
	var login struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/schools?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []json.RawMessage
		Total int
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if list.Total < 1000 || len(list.Items) != 1000 {
		t.Fatalf("demo city lists %d schools (page of %d)", list.Total, len(list.Items))
	}
	if _, err := os.Stat(filepath.Join(dataDir, "dutydesk.db")); err != nil {
		t.Fatalf("no SQLite file in the data dir: %v", err)
	}

	// The console: / leads to the login form, and a demo duty officer lands on a dashboard that
	// shows who is on duty, from the demo roster.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func(resp *http.Response, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.Request.URL.Path, string(raw)
	}
	path, html := page(browser.Get(base + "/"))
	token := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(html)
	if path != "/console/login" || token == nil {
		t.Fatalf("/ leads to %s", path)
	}
	path, html = page(browser.PostForm(base+"/console/login", url.Values{"username": {"duty01"}, "password": {demo.DemoPassword}, "csrf": {token[1]}}))
	if path != "/console/" || !strings.Contains(html, "带班领导：<strong>") || strings.Contains(html, "当前没有排班") {
		t.Fatalf("after login a demo officer sees %s:\n%s", path, html)
	}
}

func TestInvalidConfigStopsStartup(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, envOf(map[string]string{"DUTYDESK_TIMEZONE": "Nowhere/Land"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DUTYDESK_TIMEZONE") {
		t.Fatalf("error %v does not name DUTYDESK_TIMEZONE", err)
	}
}

func TestImportCommand(t *testing.T) {
	dataDir := t.TempDir()
	env := envOf(map[string]string{"DUTYDESK_DATA_DIR": dataDir, "DUTYDESK_PASSWORD_COST": "4"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, env, &out); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "schools.csv")
	csv := "区县,学校名称,学校类型,联系人,邮箱\n东湖区,东湖区外国语学校,初中,周杰,zhou@example.org\n"
	os.WriteFile(file, []byte(csv), 0o600)
	out.Reset()
	if err := run(context.Background(), []string{"import", "schools", file}, env, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "schools 1 new") {
		t.Fatalf("import said %q", out.String())
	}
	os.WriteFile(file, []byte(csv+"火星区,某校,小学,某人,x@example.org\n"), 0o600)
	out.Reset()
	err := run(context.Background(), []string{"import", "schools", file}, env, &out)
	if err == nil || !strings.Contains(out.String(), "row 3, 区县: 区县“火星区”不存在") {
		t.Fatalf("bad import: %v, %q", err, out.String())
	}
}
