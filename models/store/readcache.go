package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
	"gorm.io/gorm"

	"dutydesk/models"
)

// The read cache keeps, for a few seconds, the two answers read on nearly every request: whom a
// session token belongs to, and who is on duty now. Without it each request is two round trips
// to PostgreSQL before any work; with it, none. The answers are kept beside their concept
// (models/directory's session cache, models/roster's on-duty cache); this file is what decides
// when they may be used: the generation and whether the cache is on.
//
// Staleness is what matters here — a revoked session must be refused at once, on every replica —
// so the cache is emptied whenever the rows behind it change, and it is only on while that can be
// known:
//   - Triggers (migration 00013) NOTIFY cacheChannel in the transaction of every write to users,
//     sessions (other than a new login) and assignments, whoever writes — any replica, a CLI
//     command, psql. PostgreSQL delivers the notification at commit, and every replica's listener
//     (WatchChanges) empties its cache.
//   - Writes through this process's GORM empty it at once, before commit (a callback), and again
//     after commit (Store.Transact), so that this replica refuses a logout on the very next
//     request without waiting for its own notification.
//   - Emptying starts a new generation. Each fill carries the generation it read under and holds
//     only while that generation is current; a fill that raced an emptying is dropped.
//   - While the listener is not connected (starting, PostgreSQL restarting) the cache is off and
//     every request reads the database; on reconnecting it starts empty. A connection can also
//     die without a word (a failover behind a virtual IP, a cut cable): every replica sends a
//     heartbeat notification each second through its pool, and a listener that has heard
//     nothing — its own heartbeats included — for maxSilence counts as disconnected.
//   - Answers handed out are copies: callers may not change what the next request gets.
//
// On SQLite there is no listener (and other processes may write the file), so the cache stays off.

// cacheChannel is the PostgreSQL notification channel of migration 00013's triggers.
const cacheChannel = "dutydesk_cache"

// cachedTables are the tables the cached answers are read from.
var cachedTables = []string{"users", "sessions", "assignments"}

// DefaultReadCacheTTL bounds how long an answer is kept even if no change is heard of.
const DefaultReadCacheTTL = 5 * time.Second

// heartbeat is how often WatchChanges notifies cacheChannel so that its listener hears something;
// maxSilence is how long the listener may hear nothing before the cache counts as off.
const (
	heartbeat     = time.Second
	maxSilence    = 3 * heartbeat
	heartbeatPing = "ping"
)

// ReadCache is the read cache's invalidation: a generation that every change to the cached
// tables moves on, and whether the cache is on at all. The cached answers themselves live beside
// their concept (models/directory's sessions, models/roster's on-duty answer); each is valid only
// while the generation it was read under is current, on, and younger than the TTL.
type ReadCache struct {
	clock models.Clock

	mu       sync.Mutex
	on       bool
	heard    time.Time // when the listener last heard a notification (wall time, not the clock's)
	schema   string    // the schema whose changes concern this cache
	listener uint32    // the listening connection's backend PID, for diagnostics and tests
	ttl      time.Duration
	gen      uint64
}

func newReadCache(clock models.Clock) *ReadCache {
	return &ReadCache{clock: clock, ttl: DefaultReadCacheTTL}
}

// Generation returns the current generation and whether the cache is on. A nil cache is off.
func (c *ReadCache) Generation() (uint64, bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.live()
}

// live tells whether the cache is on and its listener has been heard lately. c.mu is held.
func (c *ReadCache) live() bool { return c.on && time.Since(c.heard) < maxSilence }

// empty starts a new generation: every answer read before now is dropped, and so is any fill
// that read under the old one.
func (c *ReadCache) empty() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emptyLocked()
}

func (c *ReadCache) emptyLocked() { c.gen++ }

// setOn switches the cache on or off; either way it starts empty.
func (c *ReadCache) setOn(on bool, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emptyLocked()
	c.on = on && ttl > 0
	c.ttl = ttl
	c.heard = time.Now()
}

// notified handles a notification on cacheChannel: a change in the schema empties the cache; any
// notification, a heartbeat or a change elsewhere, shows the listener is alive.
func (c *ReadCache) notified(payload string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if schema, _, ok := strings.Cut(payload, "."); (ok && schema == c.schema) || time.Since(c.heard) >= maxSilence {
		c.emptyLocked() // a change, or the first word after a silence that counted as disconnected
	}
	c.heard = time.Now()
}

// Now is the time by the cache's clock, to stamp an answer with before keeping it.
func (c *ReadCache) Now() time.Time { return c.clock.Now() }

// Fresh tells whether an answer stamped at storedAt (Now) is still young enough.
func (c *ReadCache) Fresh(storedAt time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	return !now.Before(storedAt) && now.Sub(storedAt) < c.ttl
}

// Horizon is how far ahead an answer may be kept; 0 for a nil cache.
func (c *ReadCache) Horizon() time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ttl
}

// registerCallbacks empties the cache after any GORM write that may touch its tables: after the
// write's own transaction, if GORM opened one; inside a caller's transaction, right after the
// statement (and transact empties it again after the commit). Writes through Raw(…).Scan are not
// seen here, only by their notification.
func (c *ReadCache) registerCallbacks(db *gorm.DB) error {
	after := func(write string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			if touchesCache(write, tx.Statement.Table, tx.Statement.SQL.String()) {
				c.empty()
			}
		}
	}
	cb, name := db.Callback(), "dutydesk:read_cache"
	return errors.Join(
		cb.Create().After("gorm:commit_or_rollback_transaction").Register(name, after("create")),
		cb.Update().After("gorm:commit_or_rollback_transaction").Register(name, after("update")),
		cb.Delete().After("gorm:commit_or_rollback_transaction").Register(name, after("delete")),
		cb.Raw().After("gorm:raw").Register(name, after("raw")),
	)
}

// touchesCache tells whether a GORM write (create, update, delete, or raw SQL) may change a
// cached answer. A new session cannot: only sessions that were found are kept.
func touchesCache(write, table, sql string) bool {
	if write == "raw" {
		sql = strings.ToLower(sql)
		for _, t := range cachedTables {
			if strings.Contains(sql, t) {
				return true
			}
		}
		return false
	}
	if write == "create" && table == "sessions" {
		return false
	}
	for _, t := range cachedTables {
		if table == t {
			return true
		}
	}
	return false
}

// WatchChanges turns the read cache on, keeping answers at most ttl, for as long as it holds a
// LISTEN on PostgreSQL: it returns only when ctx ends, reconnecting after a lost connection (the
// cache is off until then). logf hears of connection errors. On SQLite, or with ttl ≤ 0, it
// returns at once and the cache stays off.
func (db *DB) WatchChanges(ctx context.Context, ttl time.Duration, logf func(error)) error {
	if db.Dialect != Postgres || ttl <= 0 || db.cache == nil {
		return nil
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, db.url) },
		LogError: func(ctx context.Context, err error) {
			db.cache.setOn(false, ttl)
			if ctx.Err() == nil && logf != nil {
				logf(err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(cacheChannel, cacheListener{cache: db.cache, ttl: ttl})
	defer db.cache.setOn(false, ttl)
	go func() {
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// A failed heartbeat is only not heard: the listener then counts as silent.
				_ = db.DB.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", cacheChannel, heartbeatPing).Error
			}
		}
	}()
	return l.Listen(ctx)
}

// ListenerPID is the backend PID of the change listener's connection (WatchChanges), 0 before it
// first connects: which connection to look for in pg_stat_activity.
func (db *DB) ListenerPID() uint32 {
	if db.cache == nil {
		return 0
	}
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	return db.cache.listener
}

// ReadCacheOn tells whether the read cache is on (WatchChanges is connected).
func (db *DB) ReadCacheOn() bool {
	_, on := db.cache.Generation()
	return on
}

type cacheListener struct {
	cache *ReadCache
	ttl   time.Duration
}

// HandleBacklog runs once LISTEN is in place after each (re)connect: changes missed while not
// listening are unknown, so the cache starts empty.
func (h cacheListener) HandleBacklog(ctx context.Context, _ string, conn *pgx.Conn) error {
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err // the cache stays off until the next connection
	}
	h.cache.mu.Lock()
	h.cache.schema, h.cache.listener = schema, conn.PgConn().PID()
	h.cache.mu.Unlock()
	h.cache.setOn(true, h.ttl)
	return nil
}

func (h cacheListener) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.cache.notified(n.Payload)
	return nil
}
