package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Handover is a 交接班 record: the outgoing officer's summary, notes and the open items at the
// shift change; the incoming officer signs it (签收), after which it never changes.
type Handover struct {
	ID          int64      `json:"id"`
	ShiftID     int64      `json:"shift_id"`
	OutgoingID  int64      `json:"outgoing_id"`
	Summary     string     `json:"summary"`
	Notes       string     `json:"notes"`
	OpenItems   []OpenItem `json:"open_items" gorm:"serializer:json"`
	SubmittedAt time.Time  `json:"submitted_at"`
	DueAt       time.Time  `json:"due_at"`
	SignedBy    *int64     `json:"signed_by"`
	SignedAt    *time.Time `json:"signed_at"`
}

// OpenItem is something awaited at the shift change: an open deadline (a report to sign or
// forward, a follow-up due, an alert unacknowledged, an instruction unanswered…).
type OpenItem struct {
	DeadlineID  int64        `json:"deadline_id"`
	Kind        DeadlineKind `json:"kind"`
	SubjectType string       `json:"subject_type"`
	SubjectID   int64        `json:"subject_id"`
	SchoolID    *int64       `json:"school_id"`
	Label       string       `json:"label"`
	DueAt       time.Time    `json:"due_at"`
}

// maxOpenItems bounds the open items copied into one handover.
const maxOpenItems = 500

// HandoverInput is what the outgoing officer writes.
type HandoverInput struct {
	ShiftID int64  `json:"shift_id"`
	Summary string `json:"summary"`
	Notes   string `json:"notes"`
}

// SubmitHandover records the outgoing officer's handover of a shift that has started, filling in
// the open items from the open deadlines, and opens the deadline by which the incoming officer must
// sign (the shift change plus HandoverGrace). Only an officer of that shift may.
// Errors: forbidden, not_found, invalid, conflict (already submitted).
func (s *Store) SubmitHandover(ctx context.Context, actor *User, in HandoverInput) (*Handover, error) {
	if !actor.Can(KeepDutyLog) {
		return nil, errForbidden
	}
	var shift Shift
	if err := s.conn(ctx).Take(&shift, in.ShiftID).Error; err != nil {
		return nil, notFound("班次", err)
	}
	var mine int64
	if err := s.conn(ctx).Model(&Assignment{}).Where("shift_id = ? AND user_id = ? AND role IN ?", shift.ID, actor.ID,
		[]DutyRole{DutyOfficer, DutyExtra}).Count(&mine).Error; err != nil {
		return nil, err
	}
	if mine == 0 {
		return nil, Errorf(EFORBIDDEN, "只有本班值班员可以提交交接班")
	}
	now := s.Now()
	h := &Handover{ShiftID: shift.ID, OutgoingID: actor.ID, Summary: strings.TrimSpace(in.Summary),
		Notes: strings.TrimSpace(in.Notes), SubmittedAt: now, DueAt: shift.EndsAt.Add(s.rosterOpts().HandoverGrace)}
	p := Problems{}
	if now.Before(shift.StartsAt) {
		p.Add("shift_id", "班次尚未开始")
	}
	if h.Summary == "" || utf8.RuneCountInString(h.Summary) > 8000 {
		p.Add("summary", "请填写值班情况（不超过8000字）")
	}
	if utf8.RuneCountInString(h.Notes) > 8000 {
		p.Add("notes", "不超过8000字")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	err := s.transact(ctx, func(tx *Store) error {
		items, err := tx.openItems(ctx)
		if err != nil {
			return err
		}
		h.OpenItems = items
		if err := tx.conn(ctx).Create(h).Error; err != nil {
			if isUniqueViolation(err) {
				return Errorf(ECONFLICT, "本班次已提交交接班")
			}
			return fmt.Errorf("create handover: %w", err)
		}
		label := fmt.Sprintf("交接班签收：%s %s", shift.StartsAt.In(tx.Location()).Format("01月02日"), shift.Name)
		if err := tx.OpenDeadline(ctx, &Deadline{Kind: DeadlineHandover, SubjectType: "handover", SubjectID: h.ID,
			Label: label, DueAt: h.DueAt.UTC(), CreatedAt: now}); err != nil {
			return err
		}
		// A handover the watch already found missing is now submitted.
		if _, err := tx.CloseDeadlines(ctx, DeadlineHandover, "shift", shift.ID); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "handover.submit", "handover", h.ID,
			fmt.Sprintf("shift %d, %d open items: %s", shift.ID, len(items), truncate(h.Summary, 200)))
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// openItems lists the open deadlines other than handovers, soonest first.
func (s *Store) openItems(ctx context.Context) ([]OpenItem, error) {
	var ds []Deadline
	err := s.conn(ctx).Where("done_at IS NULL AND kind <> ?", DeadlineHandover).Order("due_at, id").Limit(maxOpenItems).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("open items: %w", err)
	}
	items := make([]OpenItem, len(ds))
	for i, d := range ds {
		items[i] = OpenItem{DeadlineID: d.ID, Kind: d.Kind, SubjectType: d.SubjectType, SubjectID: d.SubjectID,
			SchoolID: d.SchoolID, Label: d.Label, DueAt: d.DueAt}
	}
	return items, nil
}

// SignHandover is the incoming officer's signature (签收): it closes the handover deadline, and the
// handover is immutable from then on. Only an officer of a shift that starts at or covers the
// shift change may sign. Errors: forbidden, not_found, conflict (already signed).
func (s *Store) SignHandover(ctx context.Context, actor *User, id int64) (*Handover, error) {
	if !actor.Can(KeepDutyLog) {
		return nil, errForbidden
	}
	var h Handover
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.conn(ctx).Take(&h, id).Error; err != nil {
			return notFound("交接班记录", err)
		}
		if h.SignedAt != nil {
			return Errorf(ECONFLICT, "交接班已签收，不能更改")
		}
		var shift Shift
		if err := tx.conn(ctx).Take(&shift, h.ShiftID).Error; err != nil {
			return err
		}
		var incoming int64
		err := tx.conn(ctx).Model(&Assignment{}).
			Where("user_id = ? AND role IN ? AND shift_id <> ? AND starts_at <= ? AND ends_at > ?",
				actor.ID, []DutyRole{DutyOfficer, DutyExtra}, shift.ID, shift.EndsAt.UTC(), shift.EndsAt.UTC()).
			Count(&incoming).Error
		if err != nil {
			return err
		}
		if incoming == 0 || actor.ID == h.OutgoingID {
			return Errorf(EFORBIDDEN, "只有接班值班员可以签收交接班")
		}
		now := tx.Now()
		res := tx.conn(ctx).Model(&Handover{}).Where("id = ? AND signed_at IS NULL", h.ID).
			Updates(map[string]any{"signed_by": actor.ID, "signed_at": now})
		if res.Error != nil {
			return fmt.Errorf("sign handover %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "交接班已签收，不能更改")
		}
		h.SignedBy, h.SignedAt = &actor.ID, &now
		if _, err := tx.CloseDeadlines(ctx, DeadlineHandover, "handover", h.ID); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "handover.sign", "handover", h.ID, fmt.Sprintf("shift %d", h.ShiftID))
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// Handover returns one handover. Staff only. Errors: forbidden, not_found.
func (s *Store) Handover(ctx context.Context, actor *User, id int64) (*Handover, error) {
	if !actor.Can(ReadRoster) {
		return nil, errForbidden
	}
	var h Handover
	if err := s.conn(ctx).Take(&h, id).Error; err != nil {
		return nil, notFound("交接班记录", err)
	}
	return &h, nil
}

// Handovers lists the handovers submitted in [from, to), in time order. Staff only.
// Errors: forbidden, invalid.
func (s *Store) Handovers(ctx context.Context, actor *User, from, to time.Time) ([]Handover, error) {
	if !actor.Can(ReadRoster) {
		return nil, errForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	var hs []Handover
	err := s.conn(ctx).Where("submitted_at >= ? AND submitted_at < ?", from.UTC(), to.UTC()).Order("submitted_at, id").Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("list handovers: %w", err)
	}
	return hs, nil
}
