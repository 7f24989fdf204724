// Package testenv gives tests real databases: a fresh SQLite file always, and a fresh PostgreSQL
// schema whenever DUTYDESK_TEST_DATABASE_URL is set. When it is set, PostgreSQL must be reachable:
// the tests fail rather than skip, so CI cannot pass without really running them.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

// PostgresURLVar names the environment variable with the PostgreSQL test database URL.
const PostgresURLVar = "DUTYDESK_TEST_DATABASE_URL"

// Dialects lists the databases to test against.
func Dialects() []store.Dialect {
	if os.Getenv(PostgresURLVar) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// ForEachDB runs fn as a subtest named for each dialect.
func ForEachDB(t *testing.T, fn func(t *testing.T, dialect store.Dialect)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// Shanghai is the bureau's zone, for tests that need wall-clock times.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// OpenDB opens a fresh, migrated database of the dialect, dropped when the test ends.
func OpenDB(t testing.TB, dialect store.Dialect, clock models.Clock) *store.DB {
	t.Helper()
	var db *store.DB
	var err error
	switch dialect {
	case store.SQLite:
		db, err = store.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), clock)
	case store.Postgres:
		db, err = store.OpenPostgres(freshSchema(t), clock)
	default:
		t.Fatalf("unknown dialect %q", dialect)
	}
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	WatchChanges(t, db)
	return db
}

// WatchChanges turns the read cache of a PostgreSQL database on, as serve does, and waits until
// it is on, so that tests on PostgreSQL run with it; it is turned off when the test ends. On
// SQLite it does nothing.
func WatchChanges(t testing.TB, db *store.DB) {
	t.Helper()
	if db.Dialect != store.Postgres {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.WatchChanges(ctx, store.DefaultReadCacheTTL, func(err error) { t.Logf("read cache: %v", err) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(30 * time.Second); !db.ReadCacheOn(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("read cache: the change listener did not connect within 30 s")
		}
	}
}

// OpenDBPair opens two handles (two connection pools) on one fresh, migrated database of the
// dialect, as two replicas of the service would have.
func OpenDBPair(t testing.TB, dialect store.Dialect, clock models.Clock) (*store.DB, *store.DB) {
	t.Helper()
	open := func() func() (*store.DB, error) {
		if dialect == store.Postgres {
			url := freshSchema(t)
			return func() (*store.DB, error) { return store.OpenPostgres(url, clock) }
		}
		path := filepath.Join(t.TempDir(), "test.db")
		return func() (*store.DB, error) { return store.OpenSQLite(path, clock) }
	}()
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := open()
		if err != nil {
			t.Fatalf("open %s: %v", dialect, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	WatchChanges(t, dbs[0])
	WatchChanges(t, dbs[1])
	return dbs[0], dbs[1]
}

// PostgresURL returns the URL of a fresh PostgreSQL schema of this test's own, dropped when the
// test ends, for a database opened by another process (the fault tests run the real binary).
func PostgresURL(t testing.TB) string {
	t.Helper()
	return freshSchema(t)
}

// freshSchema creates a schema of its own for this test and returns a URL whose search_path is it.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLVar)
	if base == "" {
		t.Fatalf("%s is not set", PostgresURLVar)
	}
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable: %v", PostgresURLVar, err)
	}
	sqlDB, _ := admin.DB()
	t.Cleanup(func() { sqlDB.Close() })
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	schema := "t_" + hex.EncodeToString(buf)
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("PostgreSQL at %s: create schema: %v", PostgresURLVar, err)
	}
	t.Cleanup(func() {
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Store opens a fresh database and returns a Store over it with a cheap password hash.
func Store(t testing.TB, dialect store.Dialect, clock models.Clock) (*app.Stores, *store.DB) {
	t.Helper()
	db := OpenDB(t, dialect, clock)
	return app.New(db, clock, Options()), db
}

// Secret signs the links of test stores.
const Secret = "test-secret-test-secret-test-secret"

// BaseURL is the address test stores put in links.
const BaseURL = "http://dutydesk.test"

// Options are the Store options tests use: a cheap password hash, the Shanghai zone, test links.
func Options() app.Options {
	return app.Options{
		Location:   Shanghai,
		Directory:  directory.Options{PasswordCost: 4, SessionTTL: 12 * time.Hour, Links: directory.NewLinkSigner(Secret)},
		Alerts:     alert.Options{BaseURL: BaseURL, CAP: alert.CAPOptions{CityCode: "330100", CityName: "本市"}},
		Escalation: escalation.Options{BaseURL: BaseURL},
		Incidents:  incident.Options{BaseURL: BaseURL},
	}
}

// Clock returns a fake clock at a fixed, ordinary moment: 2026-10-08 10:00 in Shanghai.
func Clock() *models.FakeClock {
	return models.NewFakeClock(time.Date(2026, 10, 8, 10, 0, 0, 0, Shanghai))
}

// Core returns a core store over db, for fixtures that write what only the domain stores write
// in production (deadlines, queued messages): app.Stores does not offer those writes.
func Core(db *store.DB, clock models.Clock) *store.Store {
	return store.New(db, clock, store.Options{Location: Shanghai})
}
