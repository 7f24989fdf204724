package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/store"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/dutydesk once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dutydesk-faults-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "dutydesk")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "dutydesk/cmd/dutydesk")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// service is the real binary running `dutydesk serve` as a subprocess.
type service struct {
	t    *testing.T
	env  []string
	addr string
	cmd  *exec.Cmd
	log  *os.File
	// done is closed when the process has exited.
	done chan struct{}
}

// serviceEnv is the environment of a service on the database (a PostgreSQL URL, or "" for SQLite
// in dataDir) sending mail to smtpURL.
func serviceEnv(database, dataDir, smtpURL string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir,
		"DUTYDESK_DATA_DIR=" + dataDir,
		"DUTYDESK_SECRET=fault-test-secret-fault-test-secret",
		"DUTYDESK_ADMIN_PASSWORD=" + adminPassword,
		"DUTYDESK_PASSWORD_COST=4",
		"DUTYDESK_LOG_LEVEL=warn",
		"DUTYDESK_SMTP_URL=" + smtpURL,
		"DUTYDESK_SMTP_POOL_SIZE=4",
		"DUTYDESK_SMTP_TIMEOUT=2s",
		"DUTYDESK_OUTBOX_LEASE=8s",
		"DUTYDESK_OUTBOX_RETRY_BASE=1s",
		"DUTYDESK_OUTBOX_RETRY_MAX=4s",
		"DUTYDESK_SCHEDULE_OUTBOX=@every 1s",
		"DUTYDESK_SCHEDULE_ESCALATION=@every 1s",
		"DUTYDESK_LOGIN_RATE_PER_MINUTE=1000",
	}
	if database != "" {
		env = append(env, "DUTYDESK_DATABASE_URL="+database)
	}
	return env
}

const adminPassword = "fault-admin-password"

// startService runs the binary with env on a fresh port and waits until /readyz answers 200.
func startService(t *testing.T, env []string, args ...string) *service {
	t.Helper()
	addr := freeAddr(t)
	s := &service{t: t, env: env, addr: addr, done: make(chan struct{})}
	logPath := filepath.Join(t.TempDir(), "service.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.log = f
	s.cmd = exec.Command(binary(t), append([]string{"serve"}, args...)...)
	s.cmd.Env = append(append([]string(nil), env...), "DUTYDESK_ADDR="+addr, "DUTYDESK_BASE_URL=http://"+addr)
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.kill(); f.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("dutydesk serve exited at start:\n%s", s.output())
		default:
		}
		if resp, err := http.Get(s.url("/readyz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dutydesk serve not ready after 60 s:\n%s", s.output())
	return nil
}

func (s *service) url(path string) string { return "http://" + s.addr + path }

// output is what the process wrote so far.
func (s *service) output() string {
	b, _ := os.ReadFile(s.log.Name())
	return string(b)
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *service) kill() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// call sends a JSON request with the bearer token and decodes the answer into out.
func (s *service) call(method, path, token string, body, out any) int {
	s.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, s.url(path), rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// login returns a bearer token for the admin.
func (s *service) login() string {
	s.t.Helper()
	var out struct{ Token string }
	if st := s.call("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": adminPassword}, &out); st != http.StatusOK {
		s.t.Fatalf("login: %d\n%s", st, s.output())
	}
	return out.Token
}

// openDirect opens the service's database from the test, to read what the service wrote.
func openDirect(t *testing.T, database, dataDir string) *store.DB {
	t.Helper()
	var db *store.DB
	var err error
	if database != "" {
		db, err = store.OpenPostgres(database, models.SystemClock{})
	} else {
		db, err = store.OpenSQLite(filepath.Join(dataDir, "dutydesk.db"), models.SystemClock{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// outboxState counts the outbox rows by status and returns the alert messages' Message-IDs.
func outboxState(t *testing.T, db *store.DB) (byStatus map[string]int64, ids []string) {
	t.Helper()
	var rows []struct {
		Status string
		N      int64
	}
	if err := db.DB.Raw("SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	byStatus = map[string]int64{}
	for _, r := range rows {
		byStatus[r.Status] = r.N
	}
	if err := db.DB.Raw("SELECT message_id FROM outbox_messages WHERE channel = 'email' ORDER BY id").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return byStatus, ids
}

// databases lists the databases the process tests run against: SQLite in dataDir always, and a
// fresh PostgreSQL schema when the PostgreSQL suite is on.
func forEachServiceDB(t *testing.T, fn func(t *testing.T, database string)) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		database := ""
		if dialect == store.Postgres {
			database = testenv.PostgresURL(t)
		}
		fn(t, database)
	})
}

// waitFor polls cond every 50 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
