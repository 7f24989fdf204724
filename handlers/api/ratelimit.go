package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter is a token bucket per key (a username, a client address). Buckets idle for longer
// than it takes to refill are forgotten, so the map stays small under a spray of usernames.
type keyedLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
	seen    map[string]time.Time
	swept   time.Time
}

func NewKeyedLimiter(perMinute int) *keyedLimiter {
	return &keyedLimiter{
		limit:   rate.Limit(float64(perMinute) / 60),
		burst:   perMinute,
		buckets: map[string]*rate.Limiter{},
		seen:    map[string]time.Time{},
	}
}

// allow takes one token from key's bucket at now, reporting whether there was one.
func (l *keyedLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, t := range l.seen {
			if now.Sub(t) > time.Minute {
				delete(l.seen, k)
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	l.seen[key] = now
	return b.AllowN(now, 1)
}
