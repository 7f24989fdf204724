package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"dutydesk/models"
)

// Options are the settings of the core Store; each domain package takes its own.
type Options struct {
	// Location is the bureau's time zone.
	Location *time.Location
	// Outbox sets retries of queued messages.
	Outbox OutboxOptions
}

// Store is the database as the domain packages use it: one connection pool (or the transaction
// it is bound to), the clock, and the tables every domain shares — audit, idempotency keys,
// deadlines and the outbox. Its methods are safe for concurrent use. Each domain package's Store
// embeds it.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	clock   models.Clock
	opts    Options
	cache   *ReadCache
	// txConn is the connection of the PostgreSQL transaction the Store is bound to, nil outside
	// one: a fan-out COPYs its outbox rows over it (copyOutbox), which database/sql cannot do.
	txConn *sql.Conn
}

// New returns a Store over db, telling time by clock.
func New(db *DB, clock models.Clock, opts Options) *Store {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	return &Store{db: db.DB, dialect: db.Dialect, clock: clock, opts: opts, cache: db.cache}
}

// DB is the GORM handle of the Store: in a transaction, the transaction's (already bound to its
// context). Outside one, prefer Conn.
func (s *Store) DB() *gorm.DB { return s.db }

// Clock is the Store's clock.
func (s *Store) Clock() models.Clock { return s.clock }

// ReadCache is the read cache's invalidation (readcache.go), which the cached answers of
// models/directory and models/roster consult; nil on SQLite.
func (s *Store) ReadCache() *ReadCache { return s.cache }

// Now returns the Store's current time.
func (s *Store) Now() time.Time { return s.clock.Now() }

// Dialect tells which database the Store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Location returns the bureau's time zone.
func (s *Store) Location() *time.Location { return s.opts.Location }

// Conn returns the database handle bound to ctx.
func (s *Store) Conn(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Transact runs fn in one transaction on a Store bound to it; an error rolls everything back.
// If it emptied the read cache, it empties it again after commit, so that no answer read from
// before the commit, by a request racing this one, outlives it.
func (s *Store) Transact(ctx context.Context, fn func(tx *Store) error) error {
	gen, _ := s.cache.Generation()
	err := s.inTransaction(ctx, fn)
	if now, _ := s.cache.Generation(); now != gen {
		s.cache.empty()
	}
	return Translate(err) // a connection that failed before GORM could translate it
}

// inTransaction runs fn in a transaction. On PostgreSQL a transaction that is not nested runs on
// a connection taken from the pool for it, which the bound Store keeps (txConn); a nested one is
// a savepoint on the same connection.
func (s *Store) inTransaction(ctx context.Context, fn func(tx *Store) error) error {
	bound := func(gtx *gorm.DB, conn *sql.Conn) error {
		tx := *s
		tx.db, tx.txConn = gtx, conn
		return fn(&tx)
	}
	if s.dialect != Postgres || s.txConn != nil {
		return s.Conn(ctx).Transaction(func(gtx *gorm.DB) error { return bound(gtx, s.txConn) })
	}
	return s.Conn(ctx).Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("transaction: connection is a %T, not a *sql.Conn", c.Statement.ConnPool)
		}
		return c.Transaction(func(gtx *gorm.DB) error { return bound(gtx, conn) })
	})
}

// IsUniqueViolation tells whether err is a unique-key conflict on either dialect.
func IsUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	// PostgreSQL errors that did not pass through GORM (a COPY) are not translated either.
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	// The pure-Go SQLite driver's errors are not translated by GORM's dialector.
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
