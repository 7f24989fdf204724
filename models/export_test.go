package models

import (
	"context"

	"gorm.io/gorm"
)

// Internals that tests in models_test look at.

// CachedSession tells whether s's read cache holds the session of token.
func CachedSession(s *Store, token string) bool {
	_, ok := s.cache.session(hashToken(token))
	return ok
}

// ChangeListenerPID is the backend PID of db's change listener's connection, 0 before it connects.
func ChangeListenerPID(db *DB) uint32 {
	if db.cache == nil {
		return 0
	}
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	return db.cache.listener
}

// SilenceChangeListener makes db's change listener look as if it had heard nothing for too long.
func SilenceChangeListener(db *DB) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.heard = db.cache.heard.Add(-maxSilence)
}

// Insert writes rows as the Store's transactions do (insert).
func Insert(ctx context.Context, s *Store, rows any) error { return s.insert(ctx, rows) }

// Transact runs fn in one transaction, as the Store's mutating methods do.
func Transact(ctx context.Context, s *Store, fn func(tx *Store) error) error {
	return s.transact(ctx, fn)
}

// ThroughPGX tells whether take and insert go through pgx for the model v holds, in a
// PostgreSQL transaction.
func ThroughPGX(ctx context.Context, s *Store, v any) (take, insert bool, err error) {
	err = s.transact(ctx, func(tx *Store) error {
		m, err := tx.viaPGX(v)
		if m != nil {
			take, insert = m.takeable, m.insertable
		}
		return err
	})
	return take, insert, err
}

// Take reads a row by id as the Store's transactions do (take).
func Take(ctx context.Context, s *Store, dest any, id int64) error { return s.take(ctx, dest, id) }

// TxDB is the GORM handle of s: in a transaction, the transaction's.
func TxDB(s *Store) *gorm.DB { return s.db }
