package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/store"
)

// backup writes a consistent copy of the SQLite database to path; the service may keep running.
// For PostgreSQL it says how to use pg_dump and refuses.
func backup(ctx context.Context, cfg config.Config, path string, stdout io.Writer) error {
	if cfg.DatabaseURL != "" {
		return store.ErrNotSQLite
	}
	db, err := openDB(ctx, cfg, models.SystemClock{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, path); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: %s written (schema version %d)\n", path, v)
	return nil
}

// restore replaces the SQLite database with the backup at path, after checking that it is an
// intact DutyDesk database. The service must be stopped: restore takes the data directory's
// lock, which serve holds while it runs. The replaced database is kept beside it.
func restore(ctx context.Context, cfg config.Config, path string, stdout io.Writer) error {
	if cfg.DatabaseURL != "" {
		return store.ErrNotSQLite
	}
	target := cfg.SQLitePath()
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg)
	if err != nil {
		return err
	}
	defer unlock()

	// Check a copy, so neither the backup nor the live database is touched until it passes.
	staged := target + ".restoring"
	removeDB(staged)
	if err := copyFile(path, staged); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	version, err := checkStaged(ctx, staged)
	if err != nil {
		removeDB(staged)
		return fmt.Errorf("restore: %s: %w", path, err)
	}
	var kept string
	if _, err := os.Stat(target); err == nil {
		kept = fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(target, kept); err != nil {
			return fmt.Errorf("restore: keep the current database: %w", err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			_ = os.Rename(target+suffix, kept+suffix)
		}
	}
	if err := os.Rename(staged, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restore: %s installed as %s (schema version %d)\n", path, target, version)
	if kept != "" {
		fmt.Fprintf(stdout, "restore: the previous database is kept as %s\n", kept)
	}
	return nil
}

// checkStaged opens the staged copy, checks it and folds its write-ahead log into the file.
func checkStaged(ctx context.Context, path string) (int64, error) {
	db, err := store.OpenSQLite(path, models.SystemClock{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	version, err := db.CheckRestorable(ctx)
	if err != nil {
		return 0, err
	}
	return version, db.Checkpoint(ctx)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// removeDB removes an SQLite file with its write-ahead log and shared-memory file.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix) // best effort: a leftover is replaced next time
	}
}
