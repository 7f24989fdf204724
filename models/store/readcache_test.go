package store_test

import (
	"slices"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/store"
)

// TestReadCacheHeartbeat: a listener that hears nothing, not even the heartbeats, may be on a
// connection that died without a word; its cache is off at once, and back, with a new generation
// (every answer read before dropped), when it hears again.
func TestReadCacheHeartbeat(t *testing.T) {
	if !slices.Contains(testenv.Dialects(), store.Postgres) {
		t.Skipf("the read cache runs on PostgreSQL only (%s is not set)", testenv.PostgresURLVar)
	}
	clock := testenv.Clock()
	_, db := testenv.OpenDBPair(t, store.Postgres, clock)
	cache := store.New(db, clock, store.Options{}).ReadCache()
	before, on := cache.Generation()
	if !on {
		t.Fatal("the read cache is off before the silence")
	}
	store.SilenceChangeListener(db)
	if _, on := cache.Generation(); on || db.ReadCacheOn() {
		t.Fatal("a silent listener's cache is still on")
	}
	for deadline := time.Now().Add(10 * time.Second); !db.ReadCacheOn(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after 10 s the heartbeat has not brought the cache back")
		}
	}
	if after, _ := cache.Generation(); after == before {
		t.Fatalf("after a silence the cache kept generation %d: answers read before it would still be given", before)
	}
}
