package escalation

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"dutydesk/models"
	"dutydesk/notify"
)

// startOfDay is midnight of t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// QueueDutyReminders queues a reminder to everyone whose duty starts tomorrow (bureau zone).
// Running it again the same day queues nothing new. Errors: models.ErrNoRoster when nobody is
// rostered tomorrow.
func (s *Store) QueueDutyReminders(ctx context.Context, now time.Time) (int, error) {
	from := startOfDay(now, s.db.Location()).AddDate(0, 0, 1)
	queued := 0
	err := s.transact(ctx, func(tx *Store) error {
		duties, err := tx.duty.AssignmentsStarting(ctx, tx.db, from, from.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, d := range duties {
			if d.User.Email == "" || d.User.Disabled {
				continue
			}
			data := notify.DutyReminderData{
				Name: d.User.DisplayName, Role: d.RoleName, Shift: d.Shift,
				Start: d.Start.In(tx.db.Location()), End: d.End.In(tx.db.Location()),
			}
			n, err := tx.db.QueueNotice(ctx, notify.KindDutyReminder, data, []models.Recipient{{Name: d.User.DisplayName, Email: d.User.Email}},
				"user", d.User.ID, "duty_reminder", "user/"+models.FormatID(d.User.ID), d.Start.UTC().Format(time.RFC3339))
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
	to := startOfDay(now, s.db.Location())
	from := to.AddDate(0, 0, -1)
	data := notify.DailyBriefData{Day: from}
	queued := 0
	err := s.transact(ctx, func(tx *Store) error {
		var due []models.Deadline
		if err := tx.db.DB().Select("done_at, late, missed").Where("due_at >= ? AND due_at < ?", from.UTC(), to.UTC()).Find(&due).Error; err != nil {
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
		if err := tx.db.DB().Model(&Escalation{}).Where("fired_at >= ? AND fired_at < ?", from.UTC(), to.UTC()).Count(&fired).Error; err != nil {
			return err
		}
		data.Escalations = int(fired)
		var overdue int64
		if err := tx.db.DB().Model(&models.Deadline{}).Where("done_at IS NULL AND due_at <= ?", now.UTC()).Count(&overdue).Error; err != nil {
			return err
		}
		listed, err := tx.db.OverdueDeadlines(ctx, now, briefOverdueListed)
		if err != nil {
			return err
		}
		for _, d := range listed {
			item := notify.BriefItem{What: d.Kind.Name(), Label: d.Label, DueAt: d.DueAt.In(tx.db.Location()), Overdue: now.Sub(d.DueAt)}
			if d.SchoolID != nil {
				schools, err := tx.dir.SchoolRefs(ctx, tx.db, []int64{*d.SchoolID})
				if err != nil {
					return err
				}
				if len(schools) == 1 {
					item.School = schools[0].Name
				}
			}
			data.Overdue = append(data.Overdue, item)
		}
		data.MoreOverdue = int(overdue) - len(listed)
		if tx.brief != nil {
			if data.Extra, err = tx.brief.BriefLines(ctx, tx.db, from, to); err != nil {
				return err
			}
		}
		leadership, err := tx.leadership(ctx)
		if err != nil {
			return err
		}
		queued, err = tx.db.QueueNotice(ctx, notify.KindDailyBrief, data, leadership, "", 0, "daily_brief", from.Format("2006-01-02"))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("daily brief: %w", err)
	}
	return queued, nil
}

// leadership returns the configured leadership list, or every active leader when there is none.
func (s *Store) leadership(ctx context.Context) ([]models.Recipient, error) {
	var out []models.Recipient
	for _, raw := range s.opts.Leadership {
		if addr, err := mail.ParseAddress(raw); err == nil {
			out = append(out, models.Recipient{Name: addr.Name, Email: addr.Address})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	leaders, err := s.dir.Leaders(ctx, s.db)
	if err != nil {
		return nil, err
	}
	for _, u := range leaders {
		out = append(out, models.Recipient{Name: u.DisplayName, Email: u.Email})
	}
	return out, nil
}
