//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"dutydesk/config"
)

// lockDataDir takes the SQLite data directory's lock without waiting: serve holds it while it
// runs, so restore cannot replace the database under a running service. PostgreSQL needs none.
func lockDataDir(cfg config.Config) (unlock func(), err error) {
	if cfg.DatabaseURL != "" {
		return func() {}, nil
	}
	path := filepath.Join(cfg.DataDir, "dutydesk.lock")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the database in %s is in use by a running dutydesk; stop the service first", cfg.DataDir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
