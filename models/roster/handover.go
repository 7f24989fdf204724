package roster

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/models/store"
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
	DeadlineID  int64               `json:"deadline_id"`
	Kind        models.DeadlineKind `json:"kind"`
	SubjectType models.SubjectType  `json:"subject_type"`
	SubjectID   int64               `json:"subject_id"`
	SchoolID    *int64              `json:"school_id"`
	Label       string              `json:"label"`
	DueAt       time.Time           `json:"due_at"`
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
func (s *Store) SubmitHandover(ctx context.Context, actor *models.User, in HandoverInput) (*Handover, error) {
	if !actor.Can(models.KeepDutyLog) {
		return nil, models.ErrForbidden
	}
	var shift Shift
	if err := s.db.Conn(ctx).Take(&shift, in.ShiftID).Error; err != nil {
		return nil, models.NotFound("班次", err)
	}
	var mine int64
	if err := s.db.Conn(ctx).Model(&Assignment{}).Where("shift_id = ? AND user_id = ? AND role IN ?", shift.ID, actor.ID,
		[]DutyRole{DutyOfficer, DutyExtra}).Count(&mine).Error; err != nil {
		return nil, err
	}
	if mine == 0 {
		return nil, models.Errorf(models.EFORBIDDEN, "只有本班值班员可以提交交接班")
	}
	now := s.db.Now()
	h := &Handover{ShiftID: shift.ID, OutgoingID: actor.ID, Summary: strings.TrimSpace(in.Summary),
		Notes: strings.TrimSpace(in.Notes), SubmittedAt: now, DueAt: shift.EndsAt.Add(s.rosterOpts().HandoverGrace)}
	p := models.Problems{}
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
		if err := tx.db.Conn(ctx).Create(h).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return models.Errorf(models.ECONFLICT, "本班次已提交交接班")
			}
			return fmt.Errorf("create handover: %w", err)
		}
		label := fmt.Sprintf("交接班签收：%s %s", shift.StartsAt.In(tx.db.Location()).Format("01月02日"), shift.Name)
		if err := tx.db.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineHandover, SubjectType: models.SubjectHandover, SubjectID: h.ID,
			Label: label, DueAt: h.DueAt.UTC(), CreatedAt: now}); err != nil {
			return err
		}
		// A handover the watch already found missing is now submitted.
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineHandover, models.SubjectShift, shift.ID, tx.db.Now()); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "handover.submit", models.SubjectHandover, h.ID,
			fmt.Sprintf("shift %d, %d open items: %s", shift.ID, len(items), models.Truncate(h.Summary, 200)))
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// openItems lists the open deadlines other than handovers, soonest first.
func (s *Store) openItems(ctx context.Context) ([]OpenItem, error) {
	var ds []models.Deadline
	err := s.db.Conn(ctx).Where("done_at IS NULL AND kind <> ?", models.DeadlineHandover).Order("due_at, id").Limit(maxOpenItems).Find(&ds).Error
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
func (s *Store) SignHandover(ctx context.Context, actor *models.User, id int64) (*Handover, error) {
	if !actor.Can(models.KeepDutyLog) {
		return nil, models.ErrForbidden
	}
	var h Handover
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Take(&h, id).Error; err != nil {
			return models.NotFound("交接班记录", err)
		}
		if h.SignedAt != nil {
			return models.Errorf(models.ECONFLICT, "交接班已签收，不能更改")
		}
		var shift Shift
		if err := tx.db.Conn(ctx).Take(&shift, h.ShiftID).Error; err != nil {
			return err
		}
		var incoming int64
		err := tx.db.Conn(ctx).Model(&Assignment{}).
			Where("user_id = ? AND role IN ? AND shift_id <> ? AND starts_at <= ? AND ends_at > ?",
				actor.ID, []DutyRole{DutyOfficer, DutyExtra}, shift.ID, shift.EndsAt.UTC(), shift.EndsAt.UTC()).
			Count(&incoming).Error
		if err != nil {
			return err
		}
		if incoming == 0 || actor.ID == h.OutgoingID {
			return models.Errorf(models.EFORBIDDEN, "只有接班值班员可以签收交接班")
		}
		now := tx.db.Now()
		res := tx.db.Conn(ctx).Model(&Handover{}).Where("id = ? AND signed_at IS NULL", h.ID).
			Updates(map[string]any{"signed_by": actor.ID, "signed_at": now})
		if res.Error != nil {
			return fmt.Errorf("sign handover %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ECONFLICT, "交接班已签收，不能更改")
		}
		h.SignedBy, h.SignedAt = &actor.ID, &now
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineHandover, models.SubjectHandover, h.ID, tx.db.Now()); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "handover.sign", models.SubjectHandover, h.ID, fmt.Sprintf("shift %d", h.ShiftID))
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// Handover returns one handover. Staff only. Errors: forbidden, not_found.
func (s *Store) Handover(ctx context.Context, actor *models.User, id int64) (*Handover, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	var h Handover
	if err := s.db.Conn(ctx).Take(&h, id).Error; err != nil {
		return nil, models.NotFound("交接班记录", err)
	}
	return &h, nil
}

// Handovers lists the handovers submitted in [from, to), in time order. Staff only.
// Errors: forbidden, invalid.
func (s *Store) Handovers(ctx context.Context, actor *models.User, from, to time.Time) ([]Handover, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	var hs []Handover
	err := s.db.Conn(ctx).Where("submitted_at >= ? AND submitted_at < ?", from.UTC(), to.UTC()).Order("submitted_at, id").Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("list handovers: %w", err)
	}
	return hs, nil
}
