package store

import "context"

// Internals that tests in store_test look at.

// SilenceChangeListener makes db's change listener look as if it had heard nothing for too long.
func SilenceChangeListener(db *DB) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.heard = db.cache.heard.Add(-maxSilence)
}

// ThroughPGX tells whether Take and Insert go through pgx for the model v holds, in a
// PostgreSQL transaction.
func ThroughPGX(ctx context.Context, s *Store, v any) (take, insert bool, err error) {
	err = s.Transact(ctx, func(tx *Store) error {
		m, err := tx.viaPGX(v)
		if m != nil {
			take, insert = m.takeable, m.insertable
		}
		return err
	})
	return take, insert, err
}
