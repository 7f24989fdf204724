package alert

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// SafetyRound asks every school of an alert's region for a safety report (平安报) by DueAt.
type SafetyRound struct {
	ID            int64      `json:"id"`
	AlertID       int64      `json:"alert_id"`
	Label         string     `json:"label"` // e.g. "2026-09-15 08:00", "升级为橙色时", "解除时"
	OpenedAt      time.Time  `json:"opened_at"`
	DueAt         time.Time  `json:"due_at"`
	SummarySentAt *time.Time `json:"summary_sent_at"`
}

// SafetyState is what a school reports.
type SafetyState string

// The safety states.
const (
	SafetySafe      SafetyState = "safe"      // 零报告: nothing to report
	SafetySuspended SafetyState = "suspended" // classes suspended, no damage
	SafetyDamage    SafetyState = "damage"    // injuries or property loss
)

// SafetyReport is one school's 平安报 for a round.
type SafetyReport struct {
	ID           int64       `json:"id"`
	RoundID      int64       `json:"round_id"`
	SchoolID     int64       `json:"school_id"`
	DistrictID   int64       `json:"district_id"`
	State        SafetyState `json:"state"`
	Injured      int         `json:"injured"`
	PropertyLoss int64       `json:"property_loss"` // yuan
	Description  string      `json:"description"`
	ReporterName string      `json:"reporter_name"`
	ContactID    *int64      `json:"contact_id"`
	UserID       *int64      `json:"user_id"`
	FiledAt      time.Time   `json:"filed_at"`
	Late         bool        `json:"late"`
}

// SafetyReportInput is what a school files.
type SafetyReportInput struct {
	State        string `json:"state"`
	Injured      int    `json:"injured"`
	PropertyLoss int64  `json:"property_loss"`
	Description  string `json:"description"`
	ReporterName string `json:"reporter_name"`
}

func (in SafetyReportInput) validate() models.Problems {
	p := models.Problems{}
	switch SafetyState(in.State) {
	case SafetySafe, SafetySuspended:
		if in.Injured != 0 || in.PropertyLoss != 0 {
			p.Add("state", "有人员受伤或财产损失时请选择“有损失”")
		}
	case SafetyDamage:
		if in.Injured == 0 && in.PropertyLoss == 0 && strings.TrimSpace(in.Description) == "" {
			p.Add("description", "请说明受灾情况")
		}
	default:
		p.Add("state", "请选择 safe（平安）、suspended（已停课）或 damage（有损失）")
	}
	if in.Injured < 0 || in.Injured > 100000 {
		p.Add("injured", "受伤人数须为0–100000")
	}
	if in.PropertyLoss < 0 || in.PropertyLoss > 100_000_000_000 {
		p.Add("property_loss", "财产损失（元）须为非负数")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		p.Add("description", "情况说明不超过2000字")
	}
	if utf8.RuneCountInString(in.ReporterName) > 64 {
		p.Add("reporter_name", "填报人不超过64字")
	}
	return p
}

// openSafetyRound opens a round for alert a unless one with the same label exists, queues a
// request with a personal link to every contact of the region, and opens the round's deadline.
// schools are the region's schools when the caller has them; nil reads them (only once the round
// is known to be new). It returns the round, or nil when it already existed.
func (s *Store) openSafetyRound(ctx context.Context, a *Alert, label string, now time.Time, schools []regionSchool) (*SafetyRound, error) {
	opts := s.opts
	var n int64
	if err := s.db.Conn(ctx).Model(&SafetyRound{}).Where("alert_id = ? AND label = ?", a.ID, label).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	r := &SafetyRound{AlertID: a.ID, Label: label, OpenedAt: now, DueAt: now.Add(opts.SafetyDue)}
	if err := s.db.Conn(ctx).Create(r).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("open safety round: %w", err)
	}
	if err := s.db.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineSafetyReport, SubjectType: models.SubjectSafetyRound, SubjectID: r.ID,
		Label: a.Title() + " 平安报（" + label + "）", DueAt: r.DueAt}); err != nil {
		return nil, err
	}
	if schools == nil {
		var err error
		if schools, err = s.regionSchools(ctx, a); err != nil {
			return nil, err
		}
	}
	loc := s.db.Location()
	// Rendered as they are queued, so the round holds a few of its requests at a time, not all.
	msgs := func(yield func(notify.Message, error) bool) {
		for _, sc := range schools {
			for _, c := range sc.Contacts {
				if c.Email == "" {
					continue
				}
				link := s.link("/s/", directory.LinkClaims{Purpose: directory.LinkSafetyReport, RecipientID: c.ID, SchoolID: sc.ID, SubjectID: r.ID, ExpiresAt: now.Add(opts.LinkTTL)})
				rendered, err := notify.Render(notify.KindSafetyRequest, notify.SafetyRequestData{Contact: c.Name, School: sc.Name, Alert: a.Title(), DueAt: r.DueAt.In(loc), Link: link})
				if err != nil {
					yield(notify.Message{}, err)
					return
				}
				if !yield(notify.Message{
					ID:      s.db.MessageID("safety", models.FormatID(r.ID), "contact", models.FormatID(c.ID)),
					Channel: notify.ChannelEmail, Kind: notify.KindSafetyRequest, To: c.Email, ToName: c.Name,
					Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML, SubjectType: string(models.SubjectSafetyRound), SubjectID: r.ID,
				}, nil) {
					return
				}
			}
		}
	}
	if _, err := s.db.EnqueueSeq(ctx, msgs); err != nil {
		return nil, err
	}
	return r, nil
}

// OpenScheduledSafetyRounds opens, for every active orange or red alert, the round of the latest
// configured time of day (SafetyTimes, bureau zone) that has come since the alert was issued. A
// round opens once however often this runs; the scheduler calls it every minute.
func (s *Store) OpenScheduledSafetyRounds(ctx context.Context, now time.Time) (int, error) {
	opts := s.opts
	var alerts []Alert
	if err := s.db.Conn(ctx).Where("status = ? AND drill = ? AND level IN ?", AlertActive, false, []AlertLevel{LevelOrange, LevelRed}).Find(&alerts).Error; err != nil {
		return 0, fmt.Errorf("alerts needing safety rounds: %w", err)
	}
	opened := 0
	for i := range alerts {
		slot, ok := latestSlot(opts.SafetyTimes, now.In(s.db.Location()))
		if !ok || !slot.After(alerts[i].IssuedAt) {
			continue
		}
		err := s.transact(ctx, func(tx *Store) error {
			a, err := tx.loadAlert(ctx, alerts[i].ID)
			if err != nil {
				return err
			}
			r, err := tx.openSafetyRound(ctx, a, slot.Format("2006-01-02 15:04"), now, nil)
			if r != nil {
				opened++
			}
			return err
		})
		if err != nil {
			return opened, err
		}
	}
	return opened, nil
}

// latestSlot returns the latest of the times of day ("08:00") at or before now, today or yesterday.
func latestSlot(times []string, now time.Time) (time.Time, bool) {
	var best time.Time
	for _, t := range times {
		hm, err := time.Parse("15:04", t)
		if err != nil {
			continue
		}
		for _, day := range []time.Time{now, now.AddDate(0, 0, -1)} {
			at := time.Date(day.Year(), day.Month(), day.Day(), hm.Hour(), hm.Minute(), 0, 0, now.Location())
			if !at.After(now) && at.After(best) {
				best = at
			}
		}
	}
	return best, !best.IsZero()
}

// SafetyLink is what a safety-report link shows.
type SafetyLink struct {
	Round  *SafetyRound  `json:"round"`
	Alert  *Alert        `json:"alert"`
	School string        `json:"school"`
	Report *SafetyReport `json:"report"`
}

// SafetyLinkInfo checks a safety-report token and says what it is about. Errors: not_found.
func (s *Store) SafetyLinkInfo(ctx context.Context, token string) (*SafetyLink, *directory.Contact, error) {
	claims, c, err := s.dir.LinkContact(ctx, token, directory.LinkSafetyReport)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.safetyLink(ctx, claims.SubjectID, claims.SchoolID)
	return info, c, err
}

func (s *Store) safetyLink(ctx context.Context, roundID, schoolID int64) (*SafetyLink, error) {
	var r SafetyRound
	if err := s.db.Conn(ctx).Take(&r, roundID).Error; err != nil {
		return nil, models.Errorf(models.ENOTFOUND, "链接无效或已失效")
	}
	a, err := s.loadAlert(ctx, r.AlertID)
	if err != nil {
		return nil, err
	}
	var school directory.School
	if err := s.db.Conn(ctx).Select("id", "name").Take(&school, schoolID).Error; err != nil {
		return nil, models.NotFound("学校", err)
	}
	info := &SafetyLink{Round: &r, Alert: a, School: school.Name}
	var rep SafetyReport
	if err := s.db.Conn(ctx).Where("round_id = ? AND school_id = ?", roundID, schoolID).Limit(1).Find(&rep).Error; err != nil {
		return nil, err
	}
	if rep.ID != 0 {
		info.Report = &rep
	}
	return info, nil
}

// FileSafetyReportByLink files (or corrects) the 平安报 of the link's school. Errors: not_found, invalid.
func (s *Store) FileSafetyReportByLink(ctx context.Context, token string, in SafetyReportInput) (*SafetyReport, error) {
	claims, c, err := s.dir.LinkContact(ctx, token, directory.LinkSafetyReport)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.ReporterName) == "" {
		in.ReporterName = c.Name
	}
	actor := &models.User{Username: "contact:" + models.FormatID(c.ID), DisplayName: c.Name}
	return s.fileSafetyReport(ctx, actor, claims.SubjectID, claims.SchoolID, &c.ID, nil, in)
}

// FileSafetyReport files (or corrects) a school's 平安报 through the API: a school reporter for its
// own school, the desk for any school (e.g. taken by phone). Errors: not_found, forbidden, invalid.
func (s *Store) FileSafetyReport(ctx context.Context, actor *models.User, roundID, schoolID int64, in SafetyReportInput) (*SafetyReport, error) {
	if actor.Role == models.RoleSchoolReporter {
		if actor.SchoolID == nil || (schoolID != 0 && schoolID != *actor.SchoolID) {
			return nil, models.Errorf(models.ENOTFOUND, "学校不存在")
		}
		schoolID = *actor.SchoolID
	} else if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	if strings.TrimSpace(in.ReporterName) == "" {
		in.ReporterName = actor.DisplayName
	}
	return s.fileSafetyReport(ctx, actor, roundID, schoolID, nil, &actor.ID, in)
}

func (s *Store) fileSafetyReport(ctx context.Context, actor *models.User, roundID, schoolID int64, contactID, userID *int64, in SafetyReportInput) (*SafetyReport, error) {
	in.Description, in.ReporterName = strings.TrimSpace(in.Description), strings.TrimSpace(in.ReporterName)
	if err := in.validate().Err(); err != nil {
		return nil, err
	}
	var rep SafetyReport
	err := s.transact(ctx, func(tx *Store) error {
		var r SafetyRound
		if err := tx.db.DB().Take(&r, roundID).Error; err != nil {
			return models.NotFound("平安报轮次", err)
		}
		var st AlertSchool
		if err := tx.db.DB().Where("alert_id = ? AND school_id = ?", r.AlertID, schoolID).Take(&st).Error; err != nil {
			return models.Errorf(models.ENOTFOUND, "该学校不在预警范围内")
		}
		now := tx.db.Now()
		if err := tx.db.DB().Where("round_id = ? AND school_id = ?", roundID, schoolID).Limit(1).Find(&rep).Error; err != nil {
			return err
		}
		first := rep.ID == 0
		if first {
			rep = SafetyReport{RoundID: roundID, SchoolID: schoolID, DistrictID: st.DistrictID, FiledAt: now, Late: now.After(r.DueAt)}
		}
		rep.State, rep.Injured, rep.PropertyLoss, rep.Description, rep.ReporterName = SafetyState(in.State), in.Injured, in.PropertyLoss, in.Description, in.ReporterName
		rep.ContactID, rep.UserID = contactID, userID
		if err := tx.db.DB().Save(&rep).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return models.Errorf(models.ECONFLICT, "平安报正在提交，请稍后重试")
			}
			return fmt.Errorf("file safety report: %w", err)
		}
		if first {
			if err := tx.closeRoundIfComplete(ctx, &r); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "safety.file", models.SubjectSafetyRound, roundID, fmt.Sprintf("school %d: %s injured=%d loss=%d", schoolID, rep.State, rep.Injured, rep.PropertyLoss))
	})
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// closeRoundIfComplete closes the round's deadline when every school of the region has filed.
func (s *Store) closeRoundIfComplete(ctx context.Context, r *SafetyRound) error {
	var missing int64
	err := s.db.DB().Model(&AlertSchool{}).Where("alert_id = ? AND school_id NOT IN (SELECT school_id FROM safety_reports WHERE round_id = ?)", r.AlertID, r.ID).Count(&missing).Error
	if err != nil || missing > 0 {
		return err
	}
	_, err = s.db.CloseDeadlines(ctx, models.DeadlineSafetyReport, models.SubjectSafetyRound, r.ID, s.db.Now())
	return err
}

// SafetySummary aggregates a round: "985 of 986 schools safe; No.7 Middle School: 3 trees down, ¥1,500".
type SafetySummary struct {
	Round        SafetyRound    `json:"round"`
	Schools      int            `json:"schools"`
	Filed        int            `json:"filed"`
	Safe         int            `json:"safe"`
	Suspended    int            `json:"suspended"`
	Damaged      int            `json:"damaged"`
	Late         int            `json:"late"`
	Injured      int            `json:"injured"`
	PropertyLoss int64          `json:"property_loss"`
	Damage       []DamageReport `json:"damage"`
	Missing      []string       `json:"missing"` // schools that have not filed
}

// DamageReport is one school's reported damage.
type DamageReport struct {
	School       string `json:"school"`
	Injured      int    `json:"injured"`
	PropertyLoss int64  `json:"property_loss"`
	Description  string `json:"description"`
}

// Text is the summary in one Chinese paragraph, as leaders read it.
func (sum *SafetySummary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "应报%d所，已报%d所，其中平安%d所、停课%d所、有损失%d所", sum.Schools, sum.Filed, sum.Safe, sum.Suspended, sum.Damaged)
	if len(sum.Missing) > 0 {
		fmt.Fprintf(&b, "；未报%d所", len(sum.Missing))
	}
	b.WriteString("。")
	for _, d := range sum.Damage {
		fmt.Fprintf(&b, "%s：受伤%d人，财产损失%s元", d.School, d.Injured, formatYuan(d.PropertyLoss))
		if d.Description != "" {
			b.WriteString("，" + d.Description)
		}
		b.WriteString("。")
	}
	return b.String()
}

func formatYuan(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// SafetyRounds returns the rounds of an alert with their summaries, within what actor may see.
// Errors: not_found.
func (s *Store) SafetyRounds(ctx context.Context, actor *models.User, alertID int64) ([]SafetySummary, error) {
	if _, err := s.Alert(ctx, actor, alertID); err != nil {
		return nil, err
	}
	var rounds []SafetyRound
	if err := s.db.Conn(ctx).Where("alert_id = ?", alertID).Order("id").Find(&rounds).Error; err != nil {
		return nil, err
	}
	out := make([]SafetySummary, 0, len(rounds))
	for _, r := range rounds {
		sum, err := s.safetySummary(ctx, actor, r)
		if err != nil {
			return nil, err
		}
		out = append(out, *sum)
	}
	return out, nil
}

func (s *Store) safetySummary(ctx context.Context, actor *models.User, r SafetyRound) (*SafetySummary, error) {
	sum := &SafetySummary{Round: r, Damage: []DamageReport{}, Missing: []string{}}
	var rows []struct {
		Name         string
		State        *string
		Injured      int
		PropertyLoss int64
		Description  string
		Late         bool
	}
	q := s.db.Conn(ctx).Table("alert_schools").
		Select("schools.name, sr.state, COALESCE(sr.injured, 0) AS injured, COALESCE(sr.property_loss, 0) AS property_loss, COALESCE(sr.description, '') AS description, COALESCE(sr.late, ?) AS late", false).
		Joins("JOIN schools ON schools.id = alert_schools.school_id").
		Joins("LEFT JOIN safety_reports sr ON sr.round_id = ? AND sr.school_id = alert_schools.school_id", r.ID).
		Where("alert_schools.alert_id = ?", r.AlertID).Order("alert_schools.school_id")
	if actor != nil {
		q = store.ScopeSchools(actor, q, "alert_schools.school_id", "alert_schools.district_id")
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("safety summary of round %d: %w", r.ID, err)
	}
	for _, row := range rows {
		sum.Schools++
		if row.State == nil {
			sum.Missing = append(sum.Missing, row.Name)
			continue
		}
		sum.Filed++
		if row.Late {
			sum.Late++
		}
		switch SafetyState(*row.State) {
		case SafetySafe:
			sum.Safe++
		case SafetySuspended:
			sum.Suspended++
		case SafetyDamage:
			sum.Damaged++
			sum.Injured += row.Injured
			sum.PropertyLoss += row.PropertyLoss
			sum.Damage = append(sum.Damage, DamageReport{School: row.Name, Injured: row.Injured, PropertyLoss: row.PropertyLoss, Description: row.Description})
		}
	}
	return sum, nil
}

// SendDueSafetySummaries sends, once per round whose due time has passed, the round's summary to
// the bureau leadership and the leader on duty. It returns the number of messages queued.
func (s *Store) SendDueSafetySummaries(ctx context.Context, now time.Time) (int, error) {
	var due []SafetyRound
	if err := s.db.Conn(ctx).Where("summary_sent_at IS NULL AND due_at <= ?", now.UTC()).Order("id").Find(&due).Error; err != nil {
		return 0, fmt.Errorf("due safety rounds: %w", err)
	}
	queued := 0
	for _, r := range due {
		err := s.transact(ctx, func(tx *Store) error {
			res := tx.db.DB().Model(&SafetyRound{}).Where("id = ? AND summary_sent_at IS NULL", r.ID).Update("summary_sent_at", now.UTC())
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error // another replica sent it
			}
			a, err := tx.loadAlert(ctx, r.AlertID)
			if err != nil {
				return err
			}
			sum, err := tx.safetySummary(ctx, nil, r)
			if err != nil {
				return err
			}
			to, err := tx.audiences.Recipients(ctx, tx.db, models.Deadline{}, []models.Audience{models.AudienceLeadership, models.AudienceLeaderOnDuty}, now)
			if err != nil {
				return err
			}
			n, err := tx.db.QueueNotice(ctx, notify.KindSafetySummary, notify.SafetySummaryData{
				Alert: a.Title(), Round: r.Label, DueAt: r.DueAt.In(tx.db.Location()), Summary: sum.Text(), Missing: sum.Missing},
				to, models.SubjectSafetyRound, r.ID, "safety_summary", models.FormatID(r.ID))
			queued += n
			return err
		})
		if err != nil {
			return queued, fmt.Errorf("safety summary of round %d: %w", r.ID, err)
		}
	}
	return queued, nil
}
