package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"dutydesk/models"
)

// OpenDeadline inserts an open deadline. Call it inside the transaction of the change that
// creates the awaited action.
func (s *Store) OpenDeadline(ctx context.Context, d *models.Deadline) error {
	d.ID, d.DoneAt, d.Late, d.Missed = 0, nil, false, false
	if err := s.Conn(ctx).Create(d).Error; err != nil {
		return fmt.Errorf("open deadline %s %s/%d: %w", d.Kind, d.SubjectType, d.SubjectID, err)
	}
	return nil
}

// InsertDeadlines writes ds as they are, in one statement, and sets their ids: open deadlines, or
// already closed ones when the change that opens them also fulfils them.
func (s *Store) InsertDeadlines(ctx context.Context, ds []models.Deadline) error {
	if len(ds) == 0 {
		return nil
	}
	if err := s.Insert(ctx, &ds); err != nil {
		return fmt.Errorf("open %d deadlines of %s/%d: %w", len(ds), ds[0].SubjectType, ds[0].SubjectID, err)
	}
	return nil
}

// CloseDeadlines marks the open deadlines of kind on a subject done at at, late when past due,
// and returns them. Closing a deadline stops its escalation ladder.
func (s *Store) CloseDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, at time.Time) ([]models.Deadline, error) {
	return s.finishDeadlines(ctx, kind, subjectType, subjectID, at, false)
}

// MissDeadlines closes the open deadlines of kind on a subject as missed (漏报): the action will
// never come, for example because a later report supersedes it; at is when that became known.
func (s *Store) MissDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, at time.Time) ([]models.Deadline, error) {
	return s.finishDeadlines(ctx, kind, subjectType, subjectID, at, true)
}

// WithdrawDeadlines deletes the open deadlines of kind on a subject not yet due at now, and
// returns how many: the action is no longer awaited (a final report once the incident is
// reopened), and was never owed late. A deadline due at now or before is kept (OverdueDeadlines
// may have escalated it): close it instead, for its record and its escalations.
func (s *Store) WithdrawDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, now time.Time) (int64, error) {
	res := s.openDeadlines(ctx, kind, subjectType, subjectID).Where("due_at > ?", now.UTC()).Delete(&models.Deadline{})
	if res.Error != nil {
		return 0, fmt.Errorf("withdraw deadlines %s %s/%d: %w", kind, subjectType, subjectID, res.Error)
	}
	return res.RowsAffected, nil
}

// openDeadlines selects the open deadlines of kind on a subject.
func (s *Store) openDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64) *gorm.DB {
	return s.Conn(ctx).Model(&models.Deadline{}).
		Where("kind = ? AND subject_type = ? AND subject_id = ? AND done_at IS NULL", kind, subjectType, subjectID)
}

// HasOpenDeadline tells whether a subject has an open deadline of kind.
func (s *Store) HasOpenDeadline(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64) (bool, error) {
	var n int64
	err := s.openDeadlines(ctx, kind, subjectType, subjectID).Count(&n).Error
	return n > 0, err
}

func (s *Store) finishDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, at time.Time, missed bool) ([]models.Deadline, error) {
	var open []models.Deadline
	if err := s.openDeadlines(ctx, kind, subjectType, subjectID).Find(&open).Error; err != nil {
		return nil, fmt.Errorf("find deadlines %s %s/%d: %w", kind, subjectType, subjectID, err)
	}
	at = at.UTC()
	for i := range open {
		d := &open[i]
		d.DoneAt, d.Missed, d.Late = &at, missed, !missed && at.After(d.DueAt)
		if err := s.Conn(ctx).Model(d).Select("done_at", "missed", "late").Updates(d).Error; err != nil {
			return nil, fmt.Errorf("close deadline %d: %w", d.ID, err)
		}
	}
	return open, nil
}

// RescheduleDeadlines moves the open deadlines of kind on a subject to dueAt (e.g. after a change
// of severity). An escalation already fired stays fired.
func (s *Store) RescheduleDeadlines(ctx context.Context, kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, dueAt time.Time) error {
	err := s.openDeadlines(ctx, kind, subjectType, subjectID).Update("due_at", dueAt.UTC()).Error
	if err != nil {
		return fmt.Errorf("reschedule deadlines %s %s/%d: %w", kind, subjectType, subjectID, err)
	}
	return nil
}

// SubjectDeadlines returns every deadline of a subject, by due time.
func (s *Store) SubjectDeadlines(ctx context.Context, subjectType models.SubjectType, subjectID int64) ([]models.Deadline, error) {
	var ds []models.Deadline
	err := s.Conn(ctx).Where("subject_type = ? AND subject_id = ?", subjectType, subjectID).Order("due_at, id").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("deadlines of %s/%d: %w", subjectType, subjectID, err)
	}
	return ds, nil
}

// OverdueDeadlines returns up to limit open deadlines due before now, oldest first. It reads only
// the partial index of open rows.
func (s *Store) OverdueDeadlines(ctx context.Context, now time.Time, limit int) ([]models.Deadline, error) {
	var ds []models.Deadline
	err := s.Conn(ctx).Where("done_at IS NULL AND due_at <= ?", now.UTC()).Order("due_at, id").Limit(limit).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("overdue deadlines: %w", err)
	}
	return ds, nil
}
