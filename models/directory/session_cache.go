package directory

import (
	"sync"
	"time"

	"dutydesk/models/store"
)

// maxCachedSessions bounds the session map; past it the map starts over.
const maxCachedSessions = 10000

// sessionCache keeps, for a few seconds, whom a session token belongs to: the answer read on
// nearly every request. An answer holds only while the read cache's generation it was read under
// is current (store.ReadCache, which every change to users or sessions moves on).
type sessionCache struct {
	rc *store.ReadCache

	mu   sync.Mutex
	gen  uint64 // the generation the rows were read under
	rows map[string]cachedSession
}

type cachedSession struct {
	row      AuthRow
	storedAt time.Time
}

func newSessionCache(rc *store.ReadCache) *sessionCache {
	return &sessionCache{rc: rc, rows: map[string]cachedSession{}}
}

// get returns a copy of the cached row of the session with token hash hash.
func (c *sessionCache) get(hash string) (AuthRow, bool) {
	gen, on := c.rc.Generation()
	if !on {
		return AuthRow{}, false
	}
	c.mu.Lock()
	e, ok := c.rows[hash]
	ok = ok && c.gen == gen
	c.mu.Unlock()
	if !ok || !c.rc.Fresh(e.storedAt) {
		return AuthRow{}, false
	}
	return e.row.Clone(), true
}

// put keeps row, read under generation gen, unless the generation has moved on since.
func (c *sessionCache) put(gen uint64, hash string, row AuthRow) {
	if now, on := c.rc.Generation(); !on || now != gen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || len(c.rows) >= maxCachedSessions {
		clear(c.rows)
		c.gen = gen
	}
	c.rows[hash] = cachedSession{row: row.Clone(), storedAt: c.rc.Now()}
}
