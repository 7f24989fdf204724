// Package incident holds incident reporting (突发事件信息报送): incidents and their reports (首报,
// 续报, 终报), the deadlines each class of incident is owed, the desk's actions on reports (sign,
// forward), leaders' instructions (批示), yearly serials (期号) and each incident's timeline.
package incident

import (
	"context"
	"time"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// Options are incident reporting's settings.
type Options struct {
	// ReportRules are the report deadlines; zero means config.DefaultReportRules.
	ReportRules config.ReportRules
	// BaseURL is where users reach the service, for the links in messages.
	BaseURL string
}

// Audiences resolves whom a notice to the desk's people reaches (escalation.Store implements it):
// here, the leader on duty and the officers on shift, told at once of a major incident's report.
type Audiences interface {
	Recipients(ctx context.Context, tx *store.Store, d models.Deadline, audiences []models.Audience, now time.Time) ([]models.Recipient, error)
}

// Store reads and changes incidents. Mutating methods take the acting user, check that they may
// act, and write an audit entry in the same transaction.
type Store struct {
	db        *store.Store
	opts      Options
	dir       *directory.Store
	audiences Audiences
}

// New returns incident reporting over db; dir is the directory it reads schools from, audiences
// whom the notices of major incidents reach.
func New(db *store.Store, dir *directory.Store, audiences Audiences, opts Options) *Store {
	if len(opts.ReportRules.Rules) == 0 {
		opts.ReportRules = config.DefaultReportRules()
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	return &Store{db: db, opts: opts, dir: dir, audiences: audiences}
}

// WithTx returns incident reporting bound to tx, a transaction of another domain's Store.
func (s *Store) WithTx(tx *store.Store) *Store {
	bound := *s
	bound.db, bound.dir = tx, s.dir.WithTx(tx)
	return &bound
}

// transact runs fn in one transaction on incident reporting bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error { return fn(s.WithTx(tx)) })
}
