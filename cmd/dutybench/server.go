package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
)

// adminPassword is the password of the built-in admin account of every benchmark database.
const adminPassword = "bench-admin-password"

// buildBinary builds cmd/dutydesk into a temporary directory.
func buildBinary(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "dutydesk-bench-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "dutydesk")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dutydesk")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build ./cmd/dutydesk (run the bench from the module root, or pass -binary): %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// databaseURL returns the URL of database name on the server of base.
func databaseURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// freshDatabase drops and creates database dutydesk_bench_<scenario>, migrates it and opens it.
// The returned function closes it and, unless keep, drops it.
func freshDatabase(ctx context.Context, o options, scenario string) (*store.DB, string, func(), error) {
	name := "dutydesk_bench_" + scenario
	admin, err := store.OpenPostgres(o.db, models.SystemClock{})
	if err != nil {
		return nil, "", nil, err
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if err := admin.WithContext(ctx).Exec(q).Error; err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	dbURL, err := databaseURL(o.db, name)
	if err != nil {
		return nil, "", nil, err
	}
	db, err := store.OpenPostgres(dbURL, models.SystemClock{})
	if err != nil {
		return nil, "", nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, "", nil, err
	}
	cleanup := func() {
		db.Close()
		if o.keep {
			return
		}
		if admin, err := store.OpenPostgres(o.db, models.SystemClock{}); err == nil {
			_ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
			admin.Close()
		}
	}
	return db, dbURL, cleanup, nil
}

// server is a running `dutydesk serve` process.
type server struct {
	cmd     *exec.Cmd
	baseURL string
	logPath string
	done    chan error
	once    sync.Once
}

// startServer runs `dutydesk serve` on a free loopback port over dbURL with the extra environment,
// and waits until it answers /readyz.
func startServer(ctx context.Context, bin, dbURL string, env ...string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	dataDir, err := os.MkdirTemp("", "dutydesk-bench-data-")
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dataDir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DUTYDESK_DATABASE_URL="+dbURL, "DUTYDESK_ADDR="+addr, "DUTYDESK_DATA_DIR="+dataDir,
		"DUTYDESK_ADMIN_PASSWORD="+adminPassword, "DUTYDESK_BASE_URL=http://"+addr,
		"DUTYDESK_SECRET=bench-secret-bench-secret-bench-secret-0123456789")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, baseURL: "http://" + addr, logPath: logFile.Name(), done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("dutydesk serve exited (%v); see %s", err, s.logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("dutydesk serve not ready after 60 s; see %s", s.logPath)
		}
	}
}

// peakRSS reads the process's high-water mark of resident memory (VmHWM) in bytes.
func (s *server) peakRSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// stop ends the process with SIGTERM (SIGKILL after 20 s) and removes its data directory.
// It may be called more than once.
func (s *server) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		os.RemoveAll(filepath.Dir(s.logPath))
	})
}

// login returns a bearer token for the admin account.
func (s *server) login(ctx context.Context) (string, error) {
	var out struct{ Token string }
	status, err := s.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": adminPassword}, &out)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || out.Token == "" {
		return "", fmt.Errorf("login: status %d", status)
	}
	return out.Token, nil
}

// call sends a JSON request and decodes the JSON answer into out (when not nil).
func (s *server) call(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.baseURL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}
