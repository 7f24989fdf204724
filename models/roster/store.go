// Package roster holds the duty roster (值班表): shift templates, rotations, holidays and leave,
// generation and its checks, swaps and overrides, the duty log and handovers, calendar feeds, and
// who is on duty at a moment.
package roster

import (
	"context"

	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// Store reads and changes the roster. Mutating methods take the acting user, check that they may
// act, and write an audit entry in the same transaction.
type Store struct {
	db        *store.Store
	opts      Options
	dir       *directory.Store
	onDutyNow *onDutyCache
}

// New returns the roster over db; dir is the directory it reads people from.
func New(db *store.Store, dir *directory.Store, opts Options) *Store {
	return &Store{db: db, opts: opts, dir: dir, onDutyNow: newOnDutyCache(db.ReadCache())}
}

// WithTx returns the roster bound to tx, a transaction of another domain's Store.
func (s *Store) WithTx(tx *store.Store) *Store {
	bound := *s
	bound.db, bound.dir = tx, s.dir.WithTx(tx)
	return &bound
}

// transact runs fn in one transaction on the roster bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error { return fn(s.WithTx(tx)) })
}
