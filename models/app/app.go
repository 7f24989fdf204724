// Package app wires the domain stores into one set over one database: the directory, the roster,
// incident reporting, warnings, the escalation engine, the statistics and the demo city, each
// given the others it reaches (escalation's interfaces among them). The binary, the scheduler,
// the HTTP layer, the benchmark and the tests all build the same set here.
package app

import (
	"context"
	"time"

	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/demo"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
	"dutydesk/models/stats"
	"dutydesk/models/store"
)

// Options are every domain's settings.
type Options struct {
	// Location is the bureau's time zone.
	Location *time.Location
	// Outbox sets retries of queued messages.
	Outbox     store.OutboxOptions
	Directory  directory.Options
	Roster     roster.Options
	Incidents  incident.Options
	Alerts     alert.Options
	Escalation escalation.Options
}

// Core is what the layers above the domains reach of the core store: the clock and the bureau's
// zone, the audit log, idempotency keys, and the outbox's list, retry and dispatch. The writes
// that take no acting user — deadlines opened and closed, messages queued — are not in it: they
// happen only inside the domain stores' own transactions.
type Core interface {
	Now() time.Time
	Location() *time.Location
	AuditEntries(ctx context.Context, actor *models.User, f store.AuditFilter) ([]store.AuditEntry, int64, error)
	ClaimIdempotencyKey(ctx context.Context, userID int64, key, requestHash string) (*store.IdempotencyKey, error)
	FinishIdempotencyKey(ctx context.Context, userID int64, key string, status int, body []byte) error
	OutboxMessages(ctx context.Context, actor *models.User, f store.OutboxFilter) ([]store.OutboxMessage, int64, error)
	RetryOutboxMessage(ctx context.Context, actor *models.User, id int64) (*store.OutboxMessage, error)
	OutboxBacklog(ctx context.Context) (pending, failed int64, err error)
	ClaimOutbox(ctx context.Context, limit int) ([]store.OutboxMessage, error)
	MarkOutboxSentAll(ctx context.Context, ms []*store.OutboxMessage) error
	MarkOutboxFailed(ctx context.Context, m *store.OutboxMessage, sendErr error) (gaveUp bool, err error)
}

// Stores is the set of domain stores over one database, and the core store's part the layers
// above may use (Core).
type Stores struct {
	Core
	Directory  *directory.Store
	Roster     *roster.Store
	Incidents  *incident.Store
	Alerts     *alert.Store
	Escalation *escalation.Store
	Stats      *stats.Store
	Demo       *demo.Store
}

// New returns the domain stores over db, telling time by clock.
func New(db *store.DB, clock models.Clock, opts Options) *Stores {
	core := store.New(db, clock, store.Options{Location: opts.Location, Outbox: opts.Outbox})
	s := &Stores{Core: core}
	s.Directory = directory.New(core, opts.Directory)
	s.Roster = roster.New(core, s.Directory, opts.Roster)
	s.Incidents = incident.New(core, s.Directory, escalationAudiences{s}, opts.Incidents)
	warnings := alert.NewDeadlines(s.Directory.Links(), opts.Alerts)
	s.Escalation = escalation.New(core, escalation.Deps{
		Directory: s.Directory, Duty: s.Roster, Subjects: warnings, Brief: s.Incidents,
		Describers: []escalation.Describer{s.Incidents, warnings, s.Roster}, Linker: warnings,
	}, opts.Escalation)
	s.Alerts = alert.New(core, s.Directory, s.Escalation, opts.Alerts)
	s.Stats = stats.New(core)
	s.Demo = demo.New(core, s.Directory, s.Roster)
	return s
}

// escalationAudiences resolves audiences through the escalation engine, which is built after the
// stores that need it (it reaches them too): by the time anything is filed, wiring is done.
type escalationAudiences struct{ s *Stores }

// Recipients resolves the audiences as escalation.Store.Recipients does.
func (a escalationAudiences) Recipients(ctx context.Context, tx *store.Store, d models.Deadline, audiences []models.Audience, now time.Time) ([]models.Recipient, error) {
	return a.s.Escalation.Recipients(ctx, tx, d, audiences, now)
}
