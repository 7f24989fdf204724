package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DeadlineKind names an awaited action.
type DeadlineKind string

// The awaited actions. Each is a Deadline row with due_at and done_at (design.md, mechanism 1).
const (
	DeadlineInitialReport  DeadlineKind = "initial_report"    // 首报 (phone) due after occurrence
	DeadlineWrittenReport  DeadlineKind = "written_report"    // 首报 (written) due after occurrence
	DeadlineFollowUp       DeadlineKind = "follow_up"         // next 续报 while the incident is open
	DeadlineFinalReport    DeadlineKind = "final_report"      // 终报 after resolution
	DeadlineSignature      DeadlineKind = "signature"         // the desk signs (签收) a submitted report
	DeadlineForward        DeadlineKind = "forward"           // the desk forwards (上报) a signed I–III report
	DeadlineInstruction    DeadlineKind = "instruction_reply" // the school answers a leader's 批示
	DeadlineHandover       DeadlineKind = "handover_sign"     // the incoming officer signs the 交接班
	DeadlineAlertAck       DeadlineKind = "alert_ack"         // a school confirms a warning
	DeadlineSafetyReport   DeadlineKind = "safety_report"     // a school files its 平安报
	DeadlineSpotCheckReply DeadlineKind = "spot_check"        // a duty post answers a 查岗
)

// Deadline is one awaited action: due at DueAt, done at DoneAt (nil while open).
// Late means it was done after DueAt (迟报); Missed means it was closed without being done (漏报).
type Deadline struct {
	ID          int64        `json:"id"`
	Kind        DeadlineKind `json:"kind"`
	SubjectType string       `json:"subject_type"`
	SubjectID   int64        `json:"subject_id"`
	SchoolID    *int64       `json:"school_id"`
	DistrictID  *int64       `json:"district_id"`
	Label       string       `json:"label"`
	DueAt       time.Time    `json:"due_at"`
	DoneAt      *time.Time   `json:"done_at"`
	Late        bool         `json:"late"`
	Missed      bool         `json:"missed"`
	CreatedAt   time.Time    `json:"created_at"`
}

// State describes the deadline at now: "open", "overdue", "met", "late" or "missed".
func (d *Deadline) State(now time.Time) string {
	switch {
	case d.Missed:
		return "missed"
	case d.DoneAt != nil && d.Late:
		return "late"
	case d.DoneAt != nil:
		return "met"
	case now.After(d.DueAt):
		return "overdue"
	}
	return "open"
}

// OpenDeadline inserts an open deadline. Call it inside the transaction of the change that
// creates the awaited action.
func (s *Store) OpenDeadline(ctx context.Context, d *Deadline) error {
	d.ID, d.DoneAt, d.Late, d.Missed = 0, nil, false, false
	if err := s.conn(ctx).Create(d).Error; err != nil {
		return fmt.Errorf("open deadline %s %s/%d: %w", d.Kind, d.SubjectType, d.SubjectID, err)
	}
	return nil
}

// insertDeadlines writes ds as they are, in one statement, and sets their ids: open deadlines, or
// already closed ones when the change that opens them also fulfils them.
func (s *Store) insertDeadlines(ctx context.Context, ds []Deadline) error {
	if len(ds) == 0 {
		return nil
	}
	if err := s.insert(ctx, &ds); err != nil {
		return fmt.Errorf("open %d deadlines of %s/%d: %w", len(ds), ds[0].SubjectType, ds[0].SubjectID, err)
	}
	return nil
}

// CloseDeadlines marks the open deadlines of kind on a subject done at the Store's now, late when
// past due, and returns them. Closing a deadline stops its escalation ladder.
func (s *Store) CloseDeadlines(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64) ([]Deadline, error) {
	return s.finishDeadlines(ctx, kind, subjectType, subjectID, false)
}

// MissDeadlines closes the open deadlines of kind on a subject as missed (漏报): the action will
// never come, for example because a later report supersedes it.
func (s *Store) MissDeadlines(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64) ([]Deadline, error) {
	return s.finishDeadlines(ctx, kind, subjectType, subjectID, true)
}

// openDeadlines selects the open deadlines of kind on a subject.
func (s *Store) openDeadlines(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64) *gorm.DB {
	return s.conn(ctx).Model(&Deadline{}).
		Where("kind = ? AND subject_type = ? AND subject_id = ? AND done_at IS NULL", kind, subjectType, subjectID)
}

// hasOpenDeadline tells whether a subject has an open deadline of kind.
func (s *Store) hasOpenDeadline(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64) (bool, error) {
	var n int64
	err := s.openDeadlines(ctx, kind, subjectType, subjectID).Count(&n).Error
	return n > 0, err
}

func (s *Store) finishDeadlines(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64, missed bool) ([]Deadline, error) {
	var open []Deadline
	if err := s.openDeadlines(ctx, kind, subjectType, subjectID).Find(&open).Error; err != nil {
		return nil, fmt.Errorf("find deadlines %s %s/%d: %w", kind, subjectType, subjectID, err)
	}
	now := s.Now()
	for i := range open {
		d := &open[i]
		d.DoneAt, d.Missed, d.Late = &now, missed, !missed && now.After(d.DueAt)
		if err := s.conn(ctx).Model(d).Select("done_at", "missed", "late").Updates(d).Error; err != nil {
			return nil, fmt.Errorf("close deadline %d: %w", d.ID, err)
		}
	}
	return open, nil
}

// RescheduleDeadlines moves the open deadlines of kind on a subject to dueAt (e.g. after a change
// of severity). An escalation already fired stays fired.
func (s *Store) RescheduleDeadlines(ctx context.Context, kind DeadlineKind, subjectType string, subjectID int64, dueAt time.Time) error {
	err := s.openDeadlines(ctx, kind, subjectType, subjectID).Update("due_at", dueAt.UTC()).Error
	if err != nil {
		return fmt.Errorf("reschedule deadlines %s %s/%d: %w", kind, subjectType, subjectID, err)
	}
	return nil
}

// SubjectDeadlines returns every deadline of a subject, by due time.
func (s *Store) SubjectDeadlines(ctx context.Context, subjectType string, subjectID int64) ([]Deadline, error) {
	var ds []Deadline
	err := s.conn(ctx).Where("subject_type = ? AND subject_id = ?", subjectType, subjectID).Order("due_at, id").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("deadlines of %s/%d: %w", subjectType, subjectID, err)
	}
	return ds, nil
}

// OverdueDeadlines returns up to limit open deadlines due before now, oldest first. It reads only
// the partial index of open rows.
func (s *Store) OverdueDeadlines(ctx context.Context, now time.Time, limit int) ([]Deadline, error) {
	var ds []Deadline
	err := s.conn(ctx).Where("done_at IS NULL AND due_at <= ?", now.UTC()).Order("due_at, id").Limit(limit).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("overdue deadlines: %w", err)
	}
	return ds, nil
}

// InTx runs fn inside one transaction, on a Store bound to it. Domain code in other files of this
// package uses transact; InTx is for callers (tests, jobs) that must group Store calls.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.transact(ctx, fn)
}
