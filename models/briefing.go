package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"dutydesk/notify"
)

// NoticeOptions say whom escalations, duty reminders and the daily brief reach beyond the
// directory. The roster plugs in through OnDuty and Shifts.
type NoticeOptions struct {
	// OnDuty finds who is on duty; nil means EveryoneOnDuty until the roster is wired in.
	OnDuty OnDutyFunc
	// Shifts lists the duty assignments starting in [from, to); nil means there is no roster yet.
	Shifts ShiftsFunc
	// BriefExtra adds paragraphs to the daily brief for the day [from, to) (e.g. incidents).
	BriefExtra func(ctx context.Context, s *Store, from, to time.Time) ([]string, error)
	// Leadership is the bureau leadership list (e-mail addresses, optionally "Name <address>").
	// Empty means every active leader account.
	Leadership []string
}

// DutyAssignment is one person's duty: who, in what role, from when to when.
type DutyAssignment struct {
	User     User
	RoleName string // e.g. "带班领导", "值班员"
	Shift    string // e.g. "白班", "夜班"
	Start    time.Time
	End      time.Time
}

// ShiftsFunc lists the duty assignments that start in [from, to).
type ShiftsFunc func(ctx context.Context, s *Store, from, to time.Time) ([]DutyAssignment, error)

// SetShifts replaces how the Store lists duty assignments (the roster). Call it while wiring.
func (s *Store) SetShifts(fn ShiftsFunc) { s.opts.Notices.Shifts = fn }

// ErrNoRoster means there are no duty assignments to remind anyone of yet.
var ErrNoRoster = errors.New("no roster yet")

// startOfDay is midnight of t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// QueueDutyReminders queues a reminder to everyone whose duty starts tomorrow (bureau zone).
// Running it again the same day queues nothing new. Errors: ErrNoRoster when no roster is wired in.
func (s *Store) QueueDutyReminders(ctx context.Context, now time.Time) (int, error) {
	shifts := s.opts.Notices.Shifts
	if shifts == nil {
		return 0, ErrNoRoster
	}
	from := startOfDay(now, s.opts.Location).AddDate(0, 0, 1)
	queued := 0
	err := s.transact(ctx, func(tx *Store) error {
		duties, err := shifts(ctx, tx, from, from.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, d := range duties {
			if d.User.Email == "" || d.User.Disabled {
				continue
			}
			data := notify.DutyReminderData{
				Name: d.User.DisplayName, Role: d.RoleName, Shift: d.Shift,
				Start: d.Start.In(tx.opts.Location), End: d.End.In(tx.opts.Location),
			}
			n, err := tx.QueueNotice(ctx, notify.KindDutyReminder, data, []Recipient{{Name: d.User.DisplayName, Email: d.User.Email}},
				"user", d.User.ID, "duty_reminder", "user/"+FormatID(d.User.ID), d.Start.UTC().Format(time.RFC3339))
			if err != nil {
				return err
			}
			queued += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("duty reminders: %w", err)
	}
	return queued, nil
}

// briefOverdueListed is how many overdue deadlines the daily brief lists by name.
const briefOverdueListed = 20

// QueueDailyBrief queues the daily brief for yesterday (bureau zone) to the leadership: the
// deadlines due that day and how they ended, the escalations fired, and what is overdue now.
// Running it again the same day queues nothing new.
func (s *Store) QueueDailyBrief(ctx context.Context, now time.Time) (int, error) {
	to := startOfDay(now, s.opts.Location)
	from := to.AddDate(0, 0, -1)
	data := notify.DailyBriefData{Day: from}
	queued := 0
	err := s.transact(ctx, func(tx *Store) error {
		var due []Deadline
		if err := tx.db.Select("done_at, late, missed").Where("due_at >= ? AND due_at < ?", from.UTC(), to.UTC()).Find(&due).Error; err != nil {
			return err
		}
		data.Due = len(due)
		for _, d := range due {
			switch {
			case d.Missed:
				data.Missed++
			case d.DoneAt == nil:
				data.Open++
			case d.Late:
				data.Late++
			default:
				data.Met++
			}
		}
		var fired int64
		if err := tx.db.Model(&Escalation{}).Where("fired_at >= ? AND fired_at < ?", from.UTC(), to.UTC()).Count(&fired).Error; err != nil {
			return err
		}
		data.Escalations = int(fired)
		var overdue int64
		if err := tx.db.Model(&Deadline{}).Where("done_at IS NULL AND due_at <= ?", now.UTC()).Count(&overdue).Error; err != nil {
			return err
		}
		listed, err := tx.OverdueDeadlines(ctx, now, briefOverdueListed)
		if err != nil {
			return err
		}
		for _, d := range listed {
			item := notify.BriefItem{What: d.Kind.Name(), Label: d.Label, DueAt: d.DueAt.In(tx.opts.Location), Overdue: now.Sub(d.DueAt)}
			if d.SchoolID != nil {
				var school School
				if err := tx.db.Select("name").Take(&school, *d.SchoolID).Error; err == nil {
					item.School = school.Name
				}
			}
			data.Overdue = append(data.Overdue, item)
		}
		data.MoreOverdue = int(overdue) - len(listed)
		if extra := tx.opts.Notices.BriefExtra; extra != nil {
			if data.Extra, err = extra(ctx, tx, from, to); err != nil {
				return err
			}
		}
		leadership, err := tx.leadership(ctx)
		if err != nil {
			return err
		}
		queued, err = tx.QueueNotice(ctx, notify.KindDailyBrief, data, leadership, "", 0, "daily_brief", from.Format("2006-01-02"))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("daily brief: %w", err)
	}
	return queued, nil
}

// leadership returns the configured leadership list, or every active leader when there is none.
func (s *Store) leadership(ctx context.Context) ([]Recipient, error) {
	var out []Recipient
	for _, raw := range s.opts.Notices.Leadership {
		if addr, err := mail.ParseAddress(raw); err == nil {
			out = append(out, Recipient{Name: addr.Name, Email: addr.Address})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	var leaders []User
	if err := s.conn(ctx).Where("role = ? AND disabled = ? AND email <> ''", RoleLeader, false).Order("id").Find(&leaders).Error; err != nil {
		return nil, fmt.Errorf("leaders: %w", err)
	}
	for _, u := range leaders {
		out = append(out, Recipient{Name: u.DisplayName, Email: u.Email})
	}
	return out, nil
}
