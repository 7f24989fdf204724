package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"dutydesk/notify"
)

// Escalation records one fired step of a deadline's ladder (design.md, mechanism 2): which step,
// whom it reached and when. The unique (deadline_id, step) key makes each step fire exactly once,
// however many replicas sweep.
type Escalation struct {
	ID         int64
	DeadlineID int64
	Step       int
	Target     string // the step's audiences, comma-separated
	Recipients string // one "Name <address>" per line
	FiredAt    time.Time
}

// Recipient is a person a message goes to.
type Recipient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// String writes the recipient as people read it: "Name <address>".
func (r Recipient) String() string {
	if r.Name == "" {
		return "<" + r.Email + ">"
	}
	return r.Name + " <" + r.Email + ">"
}

// OnDutyFunc says who is on duty at a moment: the leader(s) on duty and the duty officers on
// shift. It runs on the Store (or transaction) of the caller.
type OnDutyFunc func(ctx context.Context, s *Store, at time.Time) (leaders, officers []User, err error)

// SetOnDuty replaces how the Store finds who is on duty (the roster). Call it while wiring, before
// the Store is in use.
func (s *Store) SetOnDuty(fn OnDutyFunc) { s.opts.Notices.OnDuty = fn }

// EveryoneOnDuty is the OnDutyFunc used until a roster says otherwise: every active leader and
// every active duty officer.
func EveryoneOnDuty(ctx context.Context, s *Store, _ time.Time) (leaders, officers []User, err error) {
	var users []User
	err = s.conn(ctx).Where("role IN ? AND disabled = ?", []Role{RoleLeader, RoleDutyOfficer}, false).Order("id").Find(&users).Error
	if err != nil {
		return nil, nil, fmt.Errorf("users on duty: %w", err)
	}
	for _, u := range users {
		if u.Role == RoleLeader {
			leaders = append(leaders, u)
		} else {
			officers = append(officers, u)
		}
	}
	return leaders, officers, nil
}

// SweepResult tells what one sweep did.
type SweepResult struct {
	Overdue  int // open overdue deadlines looked at
	Fired    int // steps fired by this sweep
	Messages int // messages queued
}

// sweepPage is how many overdue deadlines a sweep reads at a time.
const sweepPage = 200

// Sweep fires every escalation step that is due at now: for each open deadline past its due time,
// each step of its kind's ladder whose time (due_at + delay) has come and that has not fired yet.
// Each step fires in its own transaction that records it and queues its messages; a step another
// replica fired first is skipped. A closed deadline fires nothing more. An error with one deadline
// does not stop the others; the errors are returned together.
func (s *Store) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	now = now.UTC() // stored times are UTC; SQLite compares them as text
	var res SweepResult
	policies, err := s.escalationPolicies(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	var last *Deadline
	for {
		// Like OverdueDeadlines, in due order through the partial index of open deadlines, but
		// paged (keyset on due_at, id) so that old deadlines whose ladders are complete cannot
		// crowd out newer ones.
		q := s.conn(ctx).Where("done_at IS NULL AND due_at <= ?", now)
		if last != nil {
			q = q.Where("(due_at > ? OR (due_at = ? AND id > ?))", last.DueAt.UTC(), last.DueAt.UTC(), last.ID)
		}
		var page []Deadline
		if err := q.Order("due_at, id").Limit(sweepPage).Find(&page).Error; err != nil {
			return res, errors.Join(append(errs, fmt.Errorf("sweep: overdue deadlines: %w", err))...)
		}
		res.Overdue += len(page)
		fired, err := s.firedSteps(ctx, page)
		if err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		for _, d := range page {
			ladder := policies[d.Kind].Steps
			for i, st := range ladder {
				if fired[d.ID][i] || d.DueAt.Add(st.Delay()).After(now) {
					continue
				}
				n, err := s.fireStep(ctx, d, i, ladder, now)
				if err != nil {
					errs = append(errs, err)
					break
				}
				if n >= 0 {
					res.Fired++
					res.Messages += n
				}
			}
		}
		if len(page) < sweepPage {
			break
		}
		last = &page[len(page)-1]
	}
	return res, errors.Join(errs...)
}

// firedSteps returns the steps already fired for the deadlines, by deadline id.
func (s *Store) firedSteps(ctx context.Context, ds []Deadline) (map[int64]map[int]bool, error) {
	fired := map[int64]map[int]bool{}
	if len(ds) == 0 {
		return fired, nil
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	var rows []Escalation
	if err := s.conn(ctx).Select("deadline_id, step").Where("deadline_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sweep: fired steps: %w", err)
	}
	for _, r := range rows {
		if fired[r.DeadlineID] == nil {
			fired[r.DeadlineID] = map[int]bool{}
		}
		fired[r.DeadlineID][r.Step] = true
	}
	return fired, nil
}

// fireStep records step i of d's ladder and queues its messages, in one transaction. It returns
// the number of messages queued, or -1 when the step was not fired here (another replica fired
// it, or the deadline was closed meanwhile).
func (s *Store) fireStep(ctx context.Context, d Deadline, i int, ladder []EscalationStep, now time.Time) (int, error) {
	queued := -1
	err := s.transact(ctx, func(tx *Store) error {
		var open int64
		if err := tx.db.Model(&Deadline{}).Where("id = ? AND done_at IS NULL", d.ID).Count(&open).Error; err != nil || open == 0 {
			return err
		}
		st := ladder[i]
		to, err := tx.recipients(ctx, d, st.Targets, now)
		if err != nil {
			return err
		}
		lines := make([]string, len(to))
		for j, r := range to {
			lines[j] = r.String()
		}
		esc := Escalation{DeadlineID: d.ID, Step: i, Target: joinAudiences(st.Targets), Recipients: strings.Join(lines, "\n"), FiredAt: now}
		res := tx.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "deadline_id"}, {Name: "step"}}, DoNothing: true}).Create(&esc)
		if res.Error != nil {
			return fmt.Errorf("record escalation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // another replica fired this step
		}
		data, err := tx.escalationData(ctx, d, i, ladder, now)
		if err != nil {
			return err
		}
		content, err := notify.Render(notify.KindEscalation, data)
		if err != nil {
			return err
		}
		n, err := tx.enqueueNotice(ctx, notify.KindEscalation, content, to, "deadline", d.ID,
			"escalation", "deadline/"+FormatID(d.ID), fmt.Sprintf("step/%d", i))
		if err != nil {
			return err
		}
		if len(to) == 0 {
			slog.WarnContext(ctx, "escalation step reached nobody", "deadline", d.ID, "kind", d.Kind, "step", i, "targets", esc.Target)
		}
		queued = n
		return tx.audit(ctx, System, "escalation.fire", "deadline", d.ID,
			fmt.Sprintf("%s 第%d级 → %s：%d人", d.Kind.Name(), i, esc.Target, len(to)))
	})
	if err != nil {
		return -1, fmt.Errorf("escalate deadline %d step %d: %w", d.ID, i, err)
	}
	return queued, nil
}

// escalationData fills the escalation template for step i of d.
func (s *Store) escalationData(ctx context.Context, d Deadline, i int, ladder []EscalationStep, now time.Time) (notify.EscalationData, error) {
	names := make([]string, len(ladder[i].Targets))
	for j, a := range ladder[i].Targets {
		names[j] = audienceNames[a]
	}
	data := notify.EscalationData{
		Step: i, StepCount: len(ladder), Audience: strings.Join(names, "、"), What: d.Kind.Name(), Label: d.Label,
		DueAt: d.DueAt.In(s.opts.Location), Overdue: now.Sub(d.DueAt), Reference: d.SubjectType + "/" + FormatID(d.SubjectID),
	}
	if d.SchoolID != nil {
		var school School
		if err := s.conn(ctx).Select("name").Take(&school, *d.SchoolID).Error; err != nil {
			return data, fmt.Errorf("school of deadline %d: %w", d.ID, err)
		}
		data.School = school.Name
	}
	return data, nil
}

// recipients resolves the audiences of a step for deadline d at now, each address once.
func (s *Store) recipients(ctx context.Context, d Deadline, audiences []Audience, now time.Time) ([]Recipient, error) {
	var out []Recipient
	seen := map[string]bool{}
	add := func(name, email string) {
		key := strings.ToLower(strings.TrimSpace(email))
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Recipient{Name: name, Email: strings.TrimSpace(email)})
	}
	addUsers := func(users []User) {
		for _, u := range users {
			if !u.Disabled {
				add(u.DisplayName, u.Email)
			}
		}
	}
	for _, a := range audiences {
		switch a {
		case AudienceSchoolContacts:
			if d.SchoolID == nil {
				continue
			}
			var contacts []Contact
			if err := s.conn(ctx).Where("school_id = ?", *d.SchoolID).Order("is_primary DESC, id").Find(&contacts).Error; err != nil {
				return nil, fmt.Errorf("school contacts: %w", err)
			}
			for _, c := range contacts {
				add(c.Name, c.Email)
			}
		case AudienceOfficersOnDuty, AudienceLeaderOnDuty:
			onDuty := s.opts.Notices.OnDuty
			if onDuty == nil {
				onDuty = EveryoneOnDuty
			}
			leaders, officers, err := onDuty(ctx, s, now)
			if err != nil {
				return nil, err
			}
			if a == AudienceLeaderOnDuty {
				addUsers(leaders)
			} else {
				addUsers(officers)
			}
		case AudienceDistrictOfficers:
			if d.DistrictID == nil {
				continue
			}
			var users []User
			err := s.conn(ctx).Where("role = ? AND district_id = ? AND disabled = ?", RoleDistrictOfficer, *d.DistrictID, false).
				Order("id").Find(&users).Error
			if err != nil {
				return nil, fmt.Errorf("district officers: %w", err)
			}
			addUsers(users)
		case AudienceLeadership:
			leadership, err := s.leadership(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range leadership {
				add(r.Name, r.Email)
			}
		}
	}
	return out, nil
}

// EscalationRecord is a fired step as the API shows it, with the deadline it belongs to.
type EscalationRecord struct {
	ID          int64        `json:"id"`
	DeadlineID  int64        `json:"deadline_id"`
	Kind        DeadlineKind `json:"kind"`
	KindName    string       `json:"kind_name"`
	Label       string       `json:"label"`
	SubjectType string       `json:"subject_type"`
	SubjectID   int64        `json:"subject_id"`
	SchoolID    *int64       `json:"school_id"`
	DistrictID  *int64       `json:"district_id"`
	DueAt       time.Time    `json:"due_at"`
	Step        int          `json:"step"`
	Targets     []Audience   `json:"targets"`
	Recipients  []string     `json:"recipients"`
	FiredAt     time.Time    `json:"fired_at"`
}

// EscalationFilter narrows the list of fired steps.
type EscalationFilter struct {
	From, To   time.Time // fired in [From, To)
	Kind       DeadlineKind
	DeadlineID int64
	Page       Page
}

// Escalations lists fired escalation steps in the order they were recorded, limited to the
// schools and districts the actor may see. Errors: invalid (unknown kind).
func (s *Store) Escalations(ctx context.Context, actor *User, f EscalationFilter) ([]EscalationRecord, int64, error) {
	q := s.conn(ctx).Table("escalations").
		Select("escalations.id, escalations.deadline_id, escalations.step, escalations.target, escalations.recipients, escalations.fired_at, " +
			"deadlines.kind, deadlines.label, deadlines.subject_type, deadlines.subject_id, deadlines.school_id, deadlines.district_id, deadlines.due_at").
		Joins("JOIN deadlines ON deadlines.id = escalations.deadline_id")
	q = actor.scopeSchools(q, "deadlines.school_id", "deadlines.district_id")
	if f.Kind != "" {
		if _, ok := deadlineKindNames[f.Kind]; !ok {
			return nil, 0, Problems{"kind": "没有这类时限"}.Err()
		}
		q = q.Where("deadlines.kind = ?", f.Kind)
	}
	if f.DeadlineID != 0 {
		q = q.Where("escalations.deadline_id = ?", f.DeadlineID)
	}
	if !f.From.IsZero() {
		q = q.Where("escalations.fired_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("escalations.fired_at < ?", f.To.UTC())
	}
	page := f.Page.normalize()
	var rows []struct {
		Escalation
		Kind        DeadlineKind
		Label       string
		SubjectType string
		SubjectID   int64
		SchoolID    *int64
		DistrictID  *int64
		DueAt       time.Time
	}
	if err := page.apply(q, "escalations").Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list escalations: %w", err)
	}
	out := make([]EscalationRecord, len(rows))
	for i, r := range rows {
		out[i] = EscalationRecord{
			ID: r.ID, DeadlineID: r.DeadlineID, Kind: r.Kind, KindName: r.Kind.Name(), Label: r.Label,
			SubjectType: r.SubjectType, SubjectID: r.SubjectID, SchoolID: r.SchoolID, DistrictID: r.DistrictID,
			DueAt: r.DueAt, Step: r.Step, Targets: parseAudiences(r.Target), Recipients: []string{}, FiredAt: r.FiredAt,
		}
		if r.Recipients != "" {
			out[i].Recipients = strings.Split(r.Recipients, "\n")
		}
	}
	out, next := pageResult(out, page, func(e EscalationRecord) int64 { return e.ID })
	return out, next, nil
}
