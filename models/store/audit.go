package store

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
)

// AuditEntry records one mutation: who did what to which subject, when.
type AuditEntry struct {
	ID          int64              `json:"id"`
	At          time.Time          `json:"at"`
	ActorID     *int64             `json:"actor_id"`
	ActorName   string             `json:"actor_name"`
	Action      string             `json:"action"`
	SubjectType models.SubjectType `json:"subject_type"`
	SubjectID   *int64             `json:"subject_id"`
	Summary     string             `json:"summary"`
	RequestID   string             `json:"request_id"`
}

// Audit writes an audit entry; call it inside the transaction of the change it records.
func (s *Store) Audit(ctx context.Context, actor *models.User, action string, subjectType models.SubjectType, subjectID int64, summary string) error {
	e := AuditEntry{
		At:          s.Now(),
		ActorName:   actor.Username,
		Action:      action,
		SubjectType: subjectType,
		Summary:     models.Truncate(summary, 2000),
		RequestID:   models.RequestID(ctx),
	}
	if actor.ID != 0 {
		e.ActorID = &actor.ID
	}
	if subjectID != 0 {
		e.SubjectID = &subjectID
	}
	if err := s.Insert(ctx, &e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	ActorID     int64
	Action      string
	SubjectType models.SubjectType
	SubjectID   int64
	From, To    time.Time
	Page        models.Page
}

// AuditEntries lists the audit log, oldest first. Only admins may. Errors: forbidden.
func (s *Store) AuditEntries(ctx context.Context, actor *models.User, f AuditFilter) ([]AuditEntry, int64, error) {
	if !actor.Can(models.ReadAudit) {
		return nil, 0, models.ErrForbidden
	}
	q := s.Conn(ctx).Model(&AuditEntry{})
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != 0 {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	page := f.Page.Normalize()
	var entries []AuditEntry
	if err := PageQuery(page, q, "audit_entries").Find(&entries).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	entries, next := models.PageResult(entries, page, func(e AuditEntry) int64 { return e.ID })
	return entries, next, nil
}
