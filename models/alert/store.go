// Package alert holds severe-weather warnings (台风/暴雨预警): issuing, updating and lifting them,
// the class-suspension rules, the fan-out to every contact of every affected school,
// acknowledgements, 平安报 rounds, and CAP ingestion.
package alert

import (
	"context"
	"time"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// Audiences resolves whom a notice to the desk's people reaches (escalation.Store implements it):
// here, the leadership and the leader on duty who get a safety round's summary.
type Audiences interface {
	Recipients(ctx context.Context, tx *store.Store, d models.Deadline, audiences []models.Audience, now time.Time) ([]models.Recipient, error)
}

// Store issues and tracks warnings. Mutating methods take the acting user, check that they may
// act, and write an audit entry in the same transaction.
type Store struct {
	db        *store.Store
	opts      Options
	dir       *directory.Store
	audiences Audiences
}

// New returns the warnings over db; dir is the directory they reach, audiences whom the
// summaries reach.
func New(db *store.Store, dir *directory.Store, audiences Audiences, opts Options) *Store {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	return &Store{db: db, opts: opts.withDefaults(), dir: dir, audiences: audiences}
}

// WithTx returns the warnings bound to tx, a transaction of another domain's Store.
func (s *Store) WithTx(tx *store.Store) *Store {
	bound := *s
	bound.db, bound.dir = tx, s.dir.WithTx(tx)
	return &bound
}

// transact runs fn in one transaction on the warnings bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error { return fn(s.WithTx(tx)) })
}
