package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// TestBackupRestoreRoundTrip backs up the demo city, changes the database, restores the backup and
// finds the city as it was; a running service, a foreign file and PostgreSQL are refused.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	env := envOf(map[string]string{"DUTYDESK_DATA_DIR": dataDir, "DUTYDESK_PASSWORD_COST": "4", "DUTYDESK_LOG_LEVEL": "error"})
	var out bytes.Buffer
	if err := run(ctx, []string{"demo"}, env, &out); err != nil {
		t.Fatal(err)
	}
	count := func(table string) int64 {
		t.Helper()
		db, err := store.OpenSQLite(filepath.Join(dataDir, "dutydesk.db"), models.SystemClock{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int64
		if err := db.DB.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	schools, districts := count("schools"), count("districts")
	if schools < 900 {
		t.Fatalf("demo city has %d schools", schools)
	}

	backupFile := filepath.Join(t.TempDir(), "dutydesk-backup.db")
	if err := run(ctx, []string{"backup", backupFile}, env, &out); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := run(ctx, []string{"backup", backupFile}, env, &out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second backup onto the same file: %v", err)
	}

	// Life goes on after the backup: a district is added.
	db, err := store.OpenSQLite(filepath.Join(dataDir, "dutydesk.db"), models.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	stores := app.New(db, models.SystemClock{}, app.Options{Directory: directory.Options{PasswordCost: 4}})
	code, name := "330199", "新设区"
	if _, err := stores.Directory.CreateDistrict(ctx, models.System, directory.DistrictInput{Code: &code, Name: &name}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if count("districts") != districts+1 {
		t.Fatal("the district was not added")
	}

	t.Run("RefusedWhileServing", func(t *testing.T) {
		cfg := config.Defaults()
		cfg.DataDir = dataDir
		unlock, err := lockDataDir(cfg) // as serve holds it
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		err = run(ctx, []string{"restore", backupFile}, env, &out)
		if err == nil || !strings.Contains(err.Error(), "stop the service") {
			t.Fatalf("restore under a running service: %v", err)
		}
	})
	t.Run("RefusesForeignFiles", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk.db")
		os.WriteFile(junk, []byte("this is not a database"), 0o600)
		empty := filepath.Join(t.TempDir(), "empty.db")
		if edb, err := store.OpenSQLite(empty, models.SystemClock{}); err == nil {
			edb.DB.Exec("CREATE TABLE notes (id INTEGER)")
			edb.Close()
		}
		for _, f := range []string{junk, empty, filepath.Join(t.TempDir(), "missing.db")} {
			if err := run(ctx, []string{"restore", f}, env, &out); err == nil {
				t.Errorf("restore %s succeeded", filepath.Base(f))
			}
		}
		if count("districts") != districts+1 {
			t.Fatal("a refused restore changed the database")
		}
	})
	t.Run("PostgreSQLIsPgDumps", func(t *testing.T) {
		pg := envOf(map[string]string{"DUTYDESK_DATA_DIR": dataDir, "DUTYDESK_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
		for _, cmd := range []string{"backup", "restore"} {
			if err := run(ctx, []string{cmd, backupFile + ".pg"}, pg, &out); err == nil || !strings.Contains(err.Error(), "pg_dump") {
				t.Errorf("%s on PostgreSQL: %v", cmd, err)
			}
		}
	})

	out.Reset()
	if err := run(ctx, []string{"restore", backupFile}, env, &out); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "previous database is kept") {
		t.Errorf("restore said %q", out.String())
	}
	if got := count("districts"); got != districts {
		t.Fatalf("after restore %d districts, want %d as backed up", got, districts)
	}
	if got := count("schools"); got != schools {
		t.Fatalf("after restore %d schools, want %d", got, schools)
	}
	// The restored database serves: migrate (as serve does at start) and log in as a demo account.
	if err := run(ctx, []string{"migrate"}, env, &out); err != nil {
		t.Fatalf("migrate after restore: %v", err)
	}
}
