package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"dutydesk/migrations"
	"dutydesk/models"
)

// Dialect names a supported database.
type Dialect string

// The supported databases.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// sqlitePragmas: WAL so readers never wait for the writer, a busy timeout so writers queue instead
// of failing, and immediate transactions so a read-then-write transaction takes the write lock up
// front (otherwise it fails with SQLITE_BUSY despite the timeout).
const sqlitePragmas = "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// DB is an open database and its dialect.
type DB struct {
	*gorm.DB
	Dialect Dialect
	// url is the PostgreSQL URL, for WatchChanges' own connection.
	url string
	// cache is the read cache (readcache.go), nil on SQLite.
	cache *ReadCache
}

// OpenPostgres opens a PostgreSQL database by URL; opts adjust how pgx connects (the benchmark's
// trace sets a query tracer with them).
func OpenPostgres(url string, clock models.Clock, opts ...stdlib.OptionOpenDB) (*DB, error) {
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: url, OptionOpenDB: opts}), gormConfig(clock))
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(25)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	cache := newReadCache(clock)
	if err := errors.Join(registerTranslation(db), cache.registerCallbacks(db)); err != nil {
		return nil, err
	}
	return &DB{DB: db, Dialect: Postgres, url: url, cache: cache}, nil
}

// SetPoolSize lets up to n connections to PostgreSQL be open and keeps as many when idle, so that
// a burst of n requests neither waits for a connection nor opens fresh ones. SQLite ignores it.
func (db *DB) SetPoolSize(n int) error {
	if db.Dialect != Postgres {
		return nil
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	return nil
}

// OpenSQLite opens (creating if needed) the SQLite database file at path.
func OpenSQLite(path string, clock models.Clock) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database dir: %w", err)
	}
	db, err := gorm.Open(sqlite.Open("file:"+path+sqlitePragmas), gormConfig(clock))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := registerTranslation(db); err != nil {
		return nil, err
	}
	return &DB{DB: db, Dialect: SQLite}, nil
}

func gormConfig(clock models.Clock) *gorm.Config {
	return &gorm.Config{
		TranslateError: true,
		NowFunc:        clock.Now,
		Logger:         logger.Discard,
	}
}

// Migrate applies every embedded migration not yet applied. On PostgreSQL a session lock keeps
// replicas that start together from colliding.
func (db *DB) Migrate(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	provider, err := db.migrationProvider(sqlDB)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return nil
}

// SchemaVersion returns the newest applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return 0, err
	}
	provider, err := db.migrationProvider(sqlDB)
	if err != nil {
		return 0, err
	}
	return provider.GetDBVersion(ctx)
}

func (db *DB) migrationProvider(sqlDB *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(db.Dialect))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, sqlDB, sub, opts...)
}

// Close closes the underlying connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}
