// Package escalation is the ladder engine: overdue deadlines climb their policy's steps, each step
// exactly once, until someone acts; it also sends the duty reminders and the daily brief. It
// reaches the directory, the roster, the awaited subjects and incidents only through the small
// interfaces below, which models/directory, models/roster, models/alert and models/incident
// implement.
package escalation

import (
	"context"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// Each interface method reads in tx, the transaction (or the plain core Store) of the caller, so
// that an escalation sees what its own transaction sees.

// Directory is what escalation reads of the directory.
type Directory interface {
	// SchoolRefs returns the schools with the given ids, in id order.
	SchoolRefs(ctx context.Context, tx *store.Store, ids []int64) ([]models.SchoolRef, error)
	// ContactRecipients returns the contacts of the schools, school by school, primary first.
	ContactRecipients(ctx context.Context, tx *store.Store, schoolIDs []int64) ([]models.Recipient, error)
	// DistrictOfficers returns the active district officers of the districts.
	DistrictOfficers(ctx context.Context, tx *store.Store, districtIDs []int64) ([]models.User, error)
	// Leaders returns the active leader accounts that have an e-mail address.
	Leaders(ctx context.Context, tx *store.Store) ([]models.User, error)
}

// Duty tells who is on duty.
type Duty interface {
	// OnDutyAt returns the leader(s) on duty and the duty officers on shift at a moment.
	OnDutyAt(ctx context.Context, tx *store.Store, at time.Time) (leaders, officers []models.User, err error)
	// AssignmentsStarting lists the duty assignments starting in [from, to). Errors:
	// models.ErrNoRoster when nobody is rostered then.
	AssignmentsStarting(ctx context.Context, tx *store.Store, from, to time.Time) ([]models.DutyAssignment, error)
}

// Subjects tells which schools still owe what a deadline awaits of many schools at once (a
// warning's acknowledgement, a safety round); none for any other deadline.
type Subjects interface {
	PendingSchools(ctx context.Context, tx *store.Store, d models.Deadline) ([]int64, error)
}

// Brief adds paragraphs to the daily brief for the day [from, to) (the incidents).
type Brief interface {
	BriefLines(ctx context.Context, tx *store.Store, from, to time.Time) ([]string, error)
}

// Describer tells what a deadline's subject is, for the message that chases it: an incident's
// school, severity, casualties and summary, whom to call, where to act. It answers nil for a
// subject that is not its domain's.
type Describer interface {
	Describe(ctx context.Context, tx *store.Store, d models.Deadline) (*notify.SubjectFacts, error)
}

// Linker gives each recipient of a deadline's chase the link that acts on it without a login — a
// school contact's acknowledgement or 平安报 link — by lower-case e-mail address; none for a
// deadline that has no such links.
type Linker interface {
	ActionLinks(ctx context.Context, tx *store.Store, d models.Deadline) (map[string]string, error)
}

// Options say whom escalations, duty reminders and the daily brief reach beyond the directory.
type Options struct {
	// Leadership is the bureau leadership list (e-mail addresses, optionally "Name <address>").
	// Empty means every active leader account.
	Leadership []string
	// BaseURL is where users reach the service, for the links in messages.
	BaseURL string
}

// Deps are the other domains escalation reaches; Brief may be nil.
type Deps struct {
	Directory Directory
	Duty      Duty
	Subjects  Subjects
	Brief     Brief
	// Describers tell what the subjects of deadlines are (incidents, warnings, shifts).
	Describers []Describer
	// Linker gives the chased their own links to act; nil means none.
	Linker Linker
}

// Store fires escalations and keeps their policies.
type Store struct {
	db       *store.Store
	opts     Options
	dir      Directory
	duty     Duty
	subjects Subjects
	brief    Brief
	describe []Describer
	linker   Linker
}

// New returns the escalation engine over db.
func New(db *store.Store, deps Deps, opts Options) *Store {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	return &Store{db: db, opts: opts, dir: deps.Directory, duty: deps.Duty, subjects: deps.Subjects, brief: deps.Brief,
		describe: deps.Describers, linker: deps.Linker}
}

// WithTx returns the engine bound to tx.
func (s *Store) WithTx(tx *store.Store) *Store {
	bound := *s
	bound.db = tx
	return &bound
}

// transact runs fn in one transaction on the engine bound to it.
func (s *Store) transact(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.Transact(ctx, func(tx *store.Store) error { return fn(s.WithTx(tx)) })
}
