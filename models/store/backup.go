package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrNotSQLite says a backup or restore was asked of PostgreSQL, which has its own tools.
var ErrNotSQLite = errors.New("backup and restore by DutyDesk are for the embedded SQLite database; " +
	"for PostgreSQL use pg_dump --format=custom --file=FILE \"$DUTYDESK_DATABASE_URL\" and pg_restore --clean --if-exists --dbname=\"$DUTYDESK_DATABASE_URL\" FILE")

// Backup writes a consistent copy of the SQLite database to path with VACUUM INTO: one snapshot,
// taken while the service keeps running (writers wait for it, readers do not). path must not exist.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Dialect != SQLite {
		return ErrNotSQLite
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new file", path)
	}
	if err := db.DB.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// CheckRestorable tells whether the database is a DutyDesk database a restore may install: intact
// (PRAGMA integrity_check), with DutyDesk's migrations applied, and none newer than this binary
// knows. It returns the schema version.
func (db *DB) CheckRestorable(ctx context.Context) (int64, error) {
	if db.Dialect != SQLite {
		return 0, ErrNotSQLite
	}
	var check string
	if err := db.DB.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&check).Error; err != nil {
		return 0, fmt.Errorf("not an SQLite database: %w", err)
	}
	if check != "ok" {
		return 0, fmt.Errorf("the database is damaged: %s", check)
	}
	var tables int64
	err := db.DB.WithContext(ctx).Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'users', 'schools', 'outbox_messages')").
		Scan(&tables).Error
	if err != nil || tables != 4 {
		return 0, errors.New("not a DutyDesk database (no DutyDesk tables or migrations)")
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return 0, err
	}
	provider, err := db.migrationProvider(sqlDB)
	if err != nil {
		return 0, err
	}
	current, target, err := provider.GetVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the migrations: %w", err)
	}
	if current < 1 {
		return 0, errors.New("not a DutyDesk database: no migrations applied")
	}
	if current > target {
		return 0, fmt.Errorf("the database is at schema version %d, newer than this dutydesk (%d); restore it with a newer dutydesk", current, target)
	}
	return current, nil
}

// Checkpoint moves everything in the write-ahead log into the database file, so the file alone
// holds the data (before it is moved or copied).
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.Dialect != SQLite {
		return nil
	}
	return db.DB.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}
