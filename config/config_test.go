package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dutydesk.yaml")
	if err := os.WriteFile(file, []byte("addr: \":9090\"\ntimezone: Asia/Urumqi\nsession_ttl: 2h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file, env(map[string]string{"DUTYDESK_ADDR": "127.0.0.1:7070", "DUTYDESK_PASSWORD_COST": "10"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7070" { // env beats file
		t.Errorf("Addr = %q", cfg.Addr)
	}
	if cfg.Timezone != "Asia/Urumqi" || cfg.Location.String() != "Asia/Urumqi" { // file beats default
		t.Errorf("Timezone = %q (%v)", cfg.Timezone, cfg.Location)
	}
	if cfg.SessionTTL != 2*time.Hour || cfg.PasswordCost != 10 || cfg.DataDir != "./data" {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestInvalidSettingsAreNamed(t *testing.T) {
	cases := map[string]map[string]string{
		"DUTYDESK_ADDR":           {"DUTYDESK_ADDR": "8080"},
		"DUTYDESK_TIMEZONE":       {"DUTYDESK_TIMEZONE": "Mars/Olympus"},
		"DUTYDESK_DATABASE_URL":   {"DUTYDESK_DATABASE_URL": "mysql://x"},
		"DUTYDESK_DATABASE_CONNS": {"DUTYDESK_DATABASE_CONNS": "0"},
		"DUTYDESK_SESSION_TTL":    {"DUTYDESK_SESSION_TTL": "forever"},
		"DUTYDESK_PASSWORD_COST":  {"DUTYDESK_PASSWORD_COST": "99"},
		"DUTYDESK_READ_CACHE_TTL": {"DUTYDESK_READ_CACHE_TTL": "2h"},
		"DUTYDESK_SECRET":         {"DUTYDESK_SECRET": "short"},
		"DUTYDESK_ADMIN_PASSWORD": {"DUTYDESK_ADMIN_PASSWORD": "123"},
		"DUTYDESK_LOG_LEVEL":      {"DUTYDESK_LOG_LEVEL": "loud"},
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load("", env(vars))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %v does not name %s", err, name)
			}
		})
	}
	t.Run("UnknownYAMLKey", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "c.yaml")
		_ = os.WriteFile(file, []byte("adress: \":1\"\n"), 0o600)
		if _, err := Load(file, env(nil)); err == nil || !strings.Contains(err.Error(), "adress") {
			t.Fatalf("error %v does not name the unknown key", err)
		}
	})
}

func TestEnsureSecretPersists(t *testing.T) {
	cfg := Defaults()
	cfg.DataDir = t.TempDir()
	if err := cfg.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	first := cfg.Secret
	if len(first) < 32 {
		t.Fatalf("secret %q too short", first)
	}
	again := Defaults()
	again.DataDir = cfg.DataDir
	if err := again.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	if again.Secret != first {
		t.Fatal("second start generated a new secret instead of reading the stored one")
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, "secret"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %v %v", info, err)
	}
}

func TestInstallationID(t *testing.T) {
	start := func(dataDir, secret string) string {
		t.Helper()
		cfg := Defaults() // both keep the default base URL
		cfg.DataDir, cfg.Secret = dataDir, secret
		if err := cfg.EnsureSecret(); err != nil {
			t.Fatal(err)
		}
		return cfg.InstallationID()
	}
	t.Run("StableAcrossRestarts", func(t *testing.T) {
		dir := t.TempDir()
		first := start(dir, "")
		if len(first) != 12 || strings.Trim(first, "0123456789abcdef") != "" {
			t.Fatalf("installation id %q, want 12 hex digits", first)
		}
		if again := start(dir, ""); again != first {
			t.Fatalf("restart changed the installation id from %q to %q", first, again)
		}
	})
	t.Run("TwoInstallationsDiffer", func(t *testing.T) {
		if a, b := start(t.TempDir(), ""), start(t.TempDir(), ""); a == b {
			t.Fatalf("two fresh installations share the installation id %q", a)
		}
	})
	t.Run("ReplicasOfOneConfiguredSecretAgree", func(t *testing.T) {
		secret := strings.Repeat("s", 40)
		if a, b := start(t.TempDir(), secret), start(t.TempDir(), secret); a != b {
			t.Fatalf("replicas with one secret: %q and %q", a, b)
		}
	})
}
