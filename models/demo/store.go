// Package demo seeds the demo city: districts, schools and their contacts, the desk's accounts
// and a generated roster, for a first run (`dutydesk serve --demo`) and the benchmarks.
package demo

import (
	"context"

	"dutydesk/models/directory"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// Store seeds the demo city through the directory and the roster.
type Store struct {
	db     *store.Store
	dir    *directory.Store
	roster *roster.Store
}

// New returns the demo seeder over db.
func New(db *store.Store, dir *directory.Store, r *roster.Store) *Store {
	return &Store{db: db, dir: dir, roster: r}
}

// transact runs fn in one transaction on the seeder bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error {
		return fn(&Store{db: tx, dir: s.dir.WithTx(tx), roster: s.roster.WithTx(tx)})
	})
}
