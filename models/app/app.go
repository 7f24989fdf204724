// Package app wires the domain stores into one set over one database: the directory, the roster,
// incident reporting, warnings, the escalation engine, the statistics and the demo city, each
// given the others it reaches (escalation's interfaces among them). The binary, the scheduler,
// the HTTP layer, the benchmark and the tests all build the same set here.
package app

import (
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

// Stores is the set of domain stores over one database. The embedded core Store answers for the
// shared tables (audit, idempotency keys, deadlines, the outbox).
type Stores struct {
	*store.Store
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
	s := &Stores{Store: core}
	s.Directory = directory.New(core, opts.Directory)
	s.Roster = roster.New(core, s.Directory, opts.Roster)
	s.Incidents = incident.New(core, s.Directory, opts.Incidents)
	s.Escalation = escalation.New(core, escalation.Deps{
		Directory: s.Directory, Duty: s.Roster, Subjects: alert.Pending{}, Brief: s.Incidents,
	}, opts.Escalation)
	s.Alerts = alert.New(core, s.Directory, s.Escalation, opts.Alerts)
	s.Stats = stats.New(core)
	s.Demo = demo.New(core, s.Directory, s.Roster)
	return s
}
