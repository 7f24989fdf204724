package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"dutydesk/config"
)

// Options are the settings the Store needs from the configuration.
type Options struct {
	// PasswordCost is the bcrypt cost for new password hashes.
	PasswordCost int
	// SessionTTL is how long a login token stays valid.
	SessionTTL time.Duration
	// Location is the bureau's time zone.
	Location *time.Location
	// Outbox sets retries of queued messages; Notices says whom escalations, reminders and the
	// daily brief reach.
	Outbox  OutboxOptions
	Notices NoticeOptions
	// BaseURL is where users reach the service, for links in messages; Links signs them.
	BaseURL string
	Links   *LinkSigner
	// Alerts and CAP are the settings for severe-weather warnings.
	Alerts AlertOptions
	CAP    CAPOptions
	// ReportRules are the incident report deadlines; zero means config.DefaultReportRules.
	ReportRules config.ReportRules
	// Roster holds the duty roster's settings; the zero value means the defaults.
	Roster RosterOptions
}

// Store is DutyDesk's data access and domain rules over one database. Its methods are safe for
// concurrent use. Mutating methods take the acting user, check that they may act, and write an
// audit entry in the same transaction.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	clock   Clock
	opts    Options
	cache   *readCache
	// txConn is the connection of the PostgreSQL transaction the Store is bound to, nil outside
	// one: a fan-out COPYs its outbox rows over it (copyOutbox), which database/sql cannot do.
	txConn *sql.Conn
}

// NewStore returns a Store over db, telling time by clock.
func NewStore(db *DB, clock Clock, opts Options) *Store {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.PasswordCost == 0 {
		opts.PasswordCost = 12
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	if opts.Links == nil {
		// Links signed with a throwaway key work until restart; serve always passes the real one.
		opts.Links = NewLinkSigner(randomSecret())
	}
	if opts.Notices.OnDuty == nil {
		opts.Notices.OnDuty = RosterOnDuty
	}
	if opts.Notices.Shifts == nil {
		opts.Notices.Shifts = RosterShifts
	}
	if opts.Notices.BriefExtra == nil {
		opts.Notices.BriefExtra = IncidentBrief
	}
	if len(opts.ReportRules.Rules) == 0 {
		opts.ReportRules = config.DefaultReportRules()
	}
	return &Store{db: db.DB, dialect: db.Dialect, clock: clock, opts: opts, cache: db.cache}
}

// Now returns the Store's current time.
func (s *Store) Now() time.Time { return s.clock.Now() }

// Dialect tells which database the Store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Location returns the bureau's time zone.
func (s *Store) Location() *time.Location { return s.opts.Location }

// conn returns the database handle bound to ctx.
func (s *Store) conn(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// transact runs fn in one transaction on a Store bound to it; an error rolls everything back.
// If it emptied the read cache, it empties it again after commit, so that no answer read from
// before the commit, by a request racing this one, outlives it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	gen, _ := s.cache.generation()
	err := s.inTransaction(ctx, fn)
	if now, _ := s.cache.generation(); now != gen {
		s.cache.empty()
	}
	return err
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
		return s.conn(ctx).Transaction(func(gtx *gorm.DB) error { return bound(gtx, s.txConn) })
	}
	return s.conn(ctx).Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("transaction: connection is a %T, not a *sql.Conn", c.Statement.ConnPool)
		}
		return c.Transaction(func(gtx *gorm.DB) error { return bound(gtx, conn) })
	})
}

// isUniqueViolation tells whether err is a unique-key conflict on either dialect.
func isUniqueViolation(err error) bool {
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

// Page asks for one page of a list: up to Limit items after the item with ID Cursor.
type Page struct {
	Limit  int
	Cursor int64
}

// DefaultPageSize and MaxPageSize bound list pages.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// normalize clamps the page size into [1, MaxPageSize].
func (p Page) normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	return p
}

// apply restricts q to the page, ordered by id; it asks for one extra row to learn whether more follow.
func (p Page) apply(q *gorm.DB, table string) *gorm.DB {
	if p.Cursor > 0 {
		q = q.Where(table+".id > ?", p.Cursor)
	}
	return q.Order(table + ".id").Limit(p.Limit + 1)
}

// pageResult trims the extra row fetched by Page.apply and returns the next cursor (0 at the end).
func pageResult[T any](items []T, p Page, id func(T) int64) ([]T, int64) {
	if len(items) <= p.Limit {
		return items, 0
	}
	items = items[:p.Limit]
	return items, id(items[len(items)-1])
}

// FormatID writes an id in decimal.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }
