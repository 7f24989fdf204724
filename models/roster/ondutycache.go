package roster

import (
	"sync"
	"time"

	"dutydesk/models/store"
)

// onDutyCache keeps the answer to "who is on duty now" — read on nearly every request — for the
// span it holds (at most the read cache's TTL). It holds only while the read cache's generation it
// was read under is current (store.ReadCache, which every change to users or assignments moves on).
type onDutyCache struct {
	rc *store.ReadCache

	mu         sync.Mutex
	gen        uint64
	od         *OnDuty
	from, till time.Time
}

func newOnDutyCache(rc *store.ReadCache) *onDutyCache { return &onDutyCache{rc: rc} }

// get returns a copy of the cached answer if it holds at the moment at.
func (c *onDutyCache) get(at time.Time) (OnDuty, bool) {
	gen, on := c.rc.Generation()
	if !on {
		return OnDuty{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.od == nil || c.gen != gen || at.Before(c.from) || !at.Before(c.till) {
		return OnDuty{}, false
	}
	return c.od.clone(), true
}

// put keeps od, read under generation gen, as the answer for [od.At, till), unless the generation
// has moved on since.
func (c *onDutyCache) put(gen uint64, od OnDuty, till time.Time) {
	if now, on := c.rc.Generation(); !on || now != gen {
		return
	}
	kept := od.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen, c.od, c.from, c.till = gen, &kept, od.At, till
}
