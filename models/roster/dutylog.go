package roster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"dutydesk/models"
)

// DutyLogEntry is one line of the 值班日志: a call received, an instruction given, an event.
// Entries are never changed; a correction is a new entry whose CorrectsID names the old one.
type DutyLogEntry struct {
	ID          int64        `json:"id"`
	ShiftID     *int64       `json:"shift_id"`
	AuthorID    int64        `json:"author_id"`
	OccurredAt  time.Time    `json:"occurred_at"`
	Source      string       `json:"source"`
	Content     string       `json:"content"`
	ActionTaken string       `json:"action_taken"`
	CorrectsID  *int64       `json:"corrects_id"`
	CreatedAt   time.Time    `json:"created_at"`
	Author      *models.User `json:"author,omitempty" gorm:"foreignKey:AuthorID"`
}

// DutyLogInput is a new entry. OccurredAt defaults to now.
type DutyLogInput struct {
	OccurredAt  *time.Time `json:"occurred_at"`
	Source      string     `json:"source"`
	Content     string     `json:"content"`
	ActionTaken string     `json:"action_taken"`
	CorrectsID  *int64     `json:"corrects_id"`
}

// AddDutyLogEntry appends an entry to the duty log. Only officers and leaders on shift now may.
// Errors: forbidden, invalid.
func (s *Store) AddDutyLogEntry(ctx context.Context, actor *models.User, in DutyLogInput) (*DutyLogEntry, error) {
	if !actor.Can(models.KeepDutyLog) {
		return nil, models.ErrForbidden
	}
	now := s.db.Now()
	shift, err := s.shiftOf(ctx, actor.ID, now)
	if err != nil {
		return nil, err
	}
	if shift == nil {
		return nil, models.Errorf(models.EFORBIDDEN, "只有当班人员可以记录值班日志")
	}
	e := &DutyLogEntry{ShiftID: &shift.ID, AuthorID: actor.ID, OccurredAt: now, Source: strings.TrimSpace(in.Source),
		Content: strings.TrimSpace(in.Content), ActionTaken: strings.TrimSpace(in.ActionTaken), CorrectsID: in.CorrectsID}
	p := models.Problems{}
	if in.OccurredAt != nil {
		e.OccurredAt = in.OccurredAt.UTC()
		if e.OccurredAt.After(now.Add(time.Minute)) {
			p.Add("occurred_at", "不能晚于当前时间")
		}
	}
	if e.Content == "" || utf8.RuneCountInString(e.Content) > 4000 {
		p.Add("content", "请填写内容（不超过4000字）")
	}
	if utf8.RuneCountInString(e.Source) > 100 {
		p.Add("source", "不超过100字")
	}
	if utf8.RuneCountInString(e.ActionTaken) > 4000 {
		p.Add("action_taken", "不超过4000字")
	}
	if in.CorrectsID != nil {
		if err := s.db.Conn(ctx).Select("id").Take(&DutyLogEntry{}, *in.CorrectsID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			p.Add("corrects_id", "要更正的日志不存在")
		} else if err != nil {
			return nil, err
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	err = s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Omit("Author").Create(e).Error; err != nil {
			return fmt.Errorf("add duty log entry: %w", err)
		}
		summary := models.Truncate(e.Content, 200)
		if e.CorrectsID != nil {
			summary = fmt.Sprintf("更正 #%d：%s", *e.CorrectsID, summary)
		}
		return tx.db.Audit(ctx, actor, "duty_log.add", "duty_log_entry", e.ID, summary)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// DutyLog lists the entries that occurred in [from, to), in time order. Staff only.
// Errors: forbidden, invalid.
func (s *Store) DutyLog(ctx context.Context, actor *models.User, from, to time.Time) ([]DutyLogEntry, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	var es []DutyLogEntry
	err := s.db.Conn(ctx).Preload("Author").Where("occurred_at >= ? AND occurred_at < ?", from.UTC(), to.UTC()).
		Order("occurred_at, id").Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("list duty log: %w", err)
	}
	return es, nil
}

// shiftOf returns the shift the person is on at t, or nil.
func (s *Store) shiftOf(ctx context.Context, userID int64, t time.Time) (*Shift, error) {
	var a Assignment
	err := s.db.Conn(ctx).Where("user_id = ? AND starts_at <= ? AND ends_at > ?", userID, t.UTC(), t.UTC()).
		Order("starts_at DESC").Limit(1).Find(&a).Error
	if err != nil || a.ID == 0 {
		return nil, err
	}
	var sh Shift
	if err := s.db.Conn(ctx).Take(&sh, a.ShiftID).Error; err != nil {
		return nil, err
	}
	return &sh, nil
}
