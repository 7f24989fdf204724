// Package directory holds the bureau's directory: districts, schools and their contacts, user
// accounts and their sessions, the school import, and the signed links that let a contact act
// from a message without an account.
package directory

import (
	"context"
	"time"

	"dutydesk/models/store"
)

// Options are the directory's settings.
type Options struct {
	// PasswordCost is the bcrypt cost for new password hashes.
	PasswordCost int
	// SessionTTL is how long a login token stays valid.
	SessionTTL time.Duration
	// Links signs and verifies the links in messages; nil means a throwaway key (tests).
	Links *LinkSigner
}

// Store reads and changes the directory. Mutating methods take the acting user, check that they
// may act, and write an audit entry in the same transaction.
type Store struct {
	db       *store.Store
	opts     Options
	sessions *sessionCache
}

// New returns the directory over db.
func New(db *store.Store, opts Options) *Store {
	if opts.PasswordCost == 0 {
		opts.PasswordCost = 12
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.Links == nil {
		// Links signed with a throwaway key work until restart; serve always passes the real one.
		opts.Links = NewLinkSigner(RandomSecret())
	}
	return &Store{db: db, opts: opts, sessions: newSessionCache(db.ReadCache())}
}

// WithTx returns the directory bound to tx, a transaction of another domain's Store.
func (s *Store) WithTx(tx *store.Store) *Store {
	bound := *s
	bound.db = tx
	return &bound
}

// Links is the signer of the links in messages.
func (s *Store) Links() *LinkSigner { return s.opts.Links }

// transact runs fn in one transaction on the directory bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error { return fn(s.WithTx(tx)) })
}
