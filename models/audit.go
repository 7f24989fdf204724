package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// AuditEntry records one mutation: who did what to which subject, when.
type AuditEntry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorID     *int64    `json:"actor_id"`
	ActorName   string    `json:"actor_name"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   *int64    `json:"subject_id"`
	Summary     string    `json:"summary"`
	RequestID   string    `json:"request_id"`
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id that audit entries record.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// System is the actor for changes the system makes by itself (start-up, cron jobs, imports from
// the command line).
var System = &User{Username: "system", DisplayName: "系统", Role: RoleAdmin}

// audit writes an audit entry; call it inside the transaction of the change it records.
func (s *Store) audit(ctx context.Context, actor *User, action, subjectType string, subjectID int64, summary string) error {
	e := AuditEntry{
		At:          s.Now(),
		ActorName:   actor.Username,
		Action:      action,
		SubjectType: subjectType,
		Summary:     truncate(summary, 2000),
		RequestID:   RequestID(ctx),
	}
	if actor.ID != 0 {
		e.ActorID = &actor.ID
	}
	if subjectID != 0 {
		e.SubjectID = &subjectID
	}
	if err := s.insert(ctx, &e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	ActorID     int64
	Action      string
	SubjectType string
	SubjectID   int64
	From, To    time.Time
	Page        Page
}

// AuditEntries lists the audit log, oldest first. Only admins may. Errors: forbidden.
func (s *Store) AuditEntries(ctx context.Context, actor *User, f AuditFilter) ([]AuditEntry, int64, error) {
	if !actor.Can(ReadAudit) {
		return nil, 0, errForbidden
	}
	q := s.conn(ctx).Model(&AuditEntry{})
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
	page := f.Page.normalize()
	var entries []AuditEntry
	if err := page.apply(q, "audit_entries").Find(&entries).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	entries, next := pageResult(entries, page, func(e AuditEntry) int64 { return e.ID })
	return entries, next, nil
}
