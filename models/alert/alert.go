package alert

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm/clause"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// AlertStatus is where an alert stands in its lifecycle.
type AlertStatus string

// The alert statuses.
const (
	AlertActive AlertStatus = "active" // issued, possibly updated since
	AlertLifted AlertStatus = "lifted" // 解除
)

// Alert is a severe-weather warning (台风/暴雨预警…) sent to every contact of every school in its
// region, which each school must acknowledge.
type Alert struct {
	ID           int64       `json:"id"`
	Type         AlertType   `json:"type"`
	Level        AlertLevel  `json:"level"`
	Status       AlertStatus `json:"status"`
	WholeCity    bool        `json:"whole_city"`
	DistrictIDs  []int64     `json:"district_ids" gorm:"-"`
	Headline     string      `json:"headline"`
	Instructions string      `json:"instructions"`
	IssuedAt     time.Time   `json:"issued_at"`
	ExpectedEnd  *time.Time  `json:"expected_end"`
	LiftedAt     *time.Time  `json:"lifted_at"`
	Version      int         `json:"version"`
	Source       string      `json:"source"` // "desk" or "cap"
	Drill        bool        `json:"drill"`  // from a CAP Exercise/Test message: sent to nobody
	IssuedBy     *int64      `json:"issued_by"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// Title is how messages name the alert: 台风橙色预警.
func (a *Alert) Title() string { return AlertTitle(a.Type, a.Level) }

// AlertDistrict puts an alert's region on a district.
type AlertDistrict struct {
	AlertID    int64
	DistrictID int64
}

// AlertEvent is one step of an alert's timeline.
type AlertEvent struct {
	ID       int64      `json:"id"`
	AlertID  int64      `json:"alert_id"`
	Version  int        `json:"version"`
	Action   string     `json:"action"` // issued, updated, lifted
	Level    AlertLevel `json:"level"`
	Summary  string     `json:"summary"`
	Actor    string     `json:"actor"`
	At       time.Time  `json:"at"`
	Messages int        `json:"messages"` // messages queued for this step
}

// AlertSchool is a school's state for an alert.
type AlertSchool struct {
	ID             int64      `json:"-"`
	AlertID        int64      `json:"alert_id"`
	SchoolID       int64      `json:"school_id"`
	DistrictID     int64      `json:"district_id"`
	NotifiedAt     time.Time  `json:"notified_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AckContactID   *int64     `json:"ack_contact_id"`
	AckUserID      *int64     `json:"ack_user_id"`
	AckByName      string     `json:"ack_by_name"`
}

// Options are the bureau's settings for warnings.
type Options struct {
	// AckDue is how long after a notice schools have to acknowledge it before reminders start (30 min).
	AckDue time.Duration
	// LinkTTL is how long acknowledgement and safety-report links stay valid (7 days).
	LinkTTL time.Duration
	// SuspensionRules turn type, level, school type and time of issue into instructions.
	SuspensionRules []SuspensionRule
	// SafetyTimes are the local times of day ("08:00") when safety-report rounds open.
	SafetyTimes []string
	// SafetyDue is how long a round stays open before missing reports escalate (2 h).
	SafetyDue time.Duration
	// BaseURL is where users reach the service, for the links in messages.
	BaseURL string
	// CAP says which CAP areas are the city's.
	CAP CAPOptions
}

func (o Options) withDefaults() Options {
	if o.AckDue <= 0 {
		o.AckDue = 30 * time.Minute
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 7 * 24 * time.Hour
	}
	if o.SuspensionRules == nil {
		o.SuspensionRules = DefaultSuspensionRules
	}
	if o.SafetyTimes == nil {
		o.SafetyTimes = []string{"08:00", "20:00"}
	}
	if o.SafetyDue <= 0 {
		o.SafetyDue = 2 * time.Hour
	}
	return o
}

// AlertInput issues an alert or, with fields left nil, updates some of them.
type AlertInput struct {
	Type         *string    `json:"type"`
	Level        *string    `json:"level"`
	WholeCity    *bool      `json:"whole_city"`
	DistrictIDs  *[]int64   `json:"district_ids"`
	Headline     *string    `json:"headline"`
	Instructions *string    `json:"instructions"`
	ExpectedEnd  *time.Time `json:"expected_end"`
}

// apply copies the set fields onto a and validates the result; instructions left empty are
// filled from the suspension rules.
func (in AlertInput) apply(a *Alert, rules []SuspensionRule, now time.Time, loc *time.Location) models.Problems {
	p := models.Problems{}
	if in.Type != nil {
		a.Type = AlertType(strings.TrimSpace(*in.Type))
	}
	if in.Level != nil {
		a.Level = AlertLevel(strings.TrimSpace(*in.Level))
	}
	if in.WholeCity != nil {
		a.WholeCity = *in.WholeCity
	}
	if in.DistrictIDs != nil {
		a.DistrictIDs = uniqueIDs(*in.DistrictIDs)
	}
	if in.Headline != nil {
		a.Headline = strings.TrimSpace(*in.Headline)
	}
	if in.Instructions != nil {
		a.Instructions = strings.TrimSpace(*in.Instructions)
	}
	if in.ExpectedEnd != nil {
		end := in.ExpectedEnd.UTC()
		a.ExpectedEnd = &end
	}
	if !a.Type.Valid() {
		p.Add("type", "预警类型须为 typhoon、rainstorm、high_temperature、thunderstorm、flood 或 geological")
	}
	if !a.Level.Valid() {
		p.Add("level", "预警级别须为 blue、yellow、orange 或 red")
	}
	if a.WholeCity {
		a.DistrictIDs = nil
	} else if len(a.DistrictIDs) == 0 {
		p.Add("district_ids", "请选择预警区域（全市或若干区县）")
	}
	if len(p) == 0 && a.Headline == "" {
		a.Headline = "市教育局转发" + a.Title()
	}
	if utf8.RuneCountInString(a.Headline) > 200 {
		p.Add("headline", "标题不超过200字")
	}
	if len(p) == 0 && a.Instructions == "" {
		a.Instructions = DefaultInstructions(rules, a.Type, a.Level, now.In(loc))
	}
	if utf8.RuneCountInString(a.Instructions) > 5000 {
		p.Add("instructions", "防御指引不超过5000字")
	}
	if a.ExpectedEnd != nil && !a.ExpectedEnd.After(now) {
		p.Add("expected_end", "预计结束时间须晚于现在")
	}
	return p
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// checkDistricts verifies that every district of the region exists.
func (s *Store) checkAlertDistricts(ctx context.Context, ids []int64, p models.Problems) error {
	if len(ids) == 0 {
		return nil
	}
	var n int64
	if err := s.db.Conn(ctx).Model(&directory.District{}).Where("id IN ?", ids).Count(&n).Error; err != nil {
		return err
	}
	if int(n) != len(ids) {
		p.Add("district_ids", "区县不存在")
	}
	return nil
}

// IssueAlert issues a warning: it stores the alert, opens each school's acknowledgement state,
// queues one message per contact of every school in the region (with a personal acknowledgement
// link) and opens the acknowledgement deadline — all in one transaction. Duty officers and admins
// may issue. Errors: forbidden, invalid.
func (s *Store) IssueAlert(ctx context.Context, actor *models.User, in AlertInput) (*Alert, error) {
	if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	return s.issueAlert(ctx, actor, in, "desk", false)
}

func (s *Store) issueAlert(ctx context.Context, actor *models.User, in AlertInput, source string, drill bool) (*Alert, error) {
	opts := s.opts
	now := s.db.Now()
	a := &Alert{Status: AlertActive, IssuedAt: now, Version: 1, Source: source, Drill: drill}
	if actor.ID != 0 {
		a.IssuedBy = &actor.ID
	}
	p := in.apply(a, opts.SuspensionRules, now, s.db.Location())
	if err := s.checkAlertDistricts(ctx, a.DistrictIDs, p); err != nil {
		return nil, err
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Create(a).Error; err != nil {
			return fmt.Errorf("create alert: %w", err)
		}
		if err := tx.saveAlertDistricts(a); err != nil {
			return err
		}
		queued, schools, err := tx.notifyAlert(ctx, a, "issued", now)
		if err != nil {
			return err
		}
		if err := tx.addAlertEvent(a, "issued", a.Headline, actor, queued); err != nil {
			return err
		}
		if a.Level.NeedsSafetyReports() && !a.Drill {
			if _, err := tx.openSafetyRound(ctx, a, "发布时", now, schools); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "alert.issue", models.SubjectAlert, a.ID, fmt.Sprintf("%s %s, %d messages", a.Title(), a.regionSummary(), queued))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Alert) regionSummary() string {
	if a.WholeCity {
		return "全市"
	}
	return fmt.Sprintf("%d个区县", len(a.DistrictIDs))
}

func (s *Store) saveAlertDistricts(a *Alert) error {
	if err := s.db.DB().Where("alert_id = ?", a.ID).Delete(&AlertDistrict{}).Error; err != nil {
		return fmt.Errorf("alert %d districts: %w", a.ID, err)
	}
	for _, d := range a.DistrictIDs {
		if err := s.db.DB().Create(&AlertDistrict{AlertID: a.ID, DistrictID: d}).Error; err != nil {
			return fmt.Errorf("alert %d districts: %w", a.ID, err)
		}
	}
	return nil
}

func (s *Store) addAlertEvent(a *Alert, action, summary string, actor *models.User, messages int) error {
	e := AlertEvent{AlertID: a.ID, Version: a.Version, Action: action, Level: a.Level, Summary: summary,
		Actor: actor.Username, At: s.db.Now(), Messages: messages}
	if err := s.db.DB().Create(&e).Error; err != nil {
		return fmt.Errorf("alert %d event: %w", a.ID, err)
	}
	return nil
}

// UpdateAlert changes an active alert's level, region or text and sends the change to every
// school in the (new) region. Raising the level asks every school to acknowledge again; raising
// it to orange or red opens a safety-report round. Errors: forbidden, not_found, invalid, conflict
// (the alert was lifted).
func (s *Store) UpdateAlert(ctx context.Context, actor *models.User, id int64, in AlertInput) (*Alert, error) {
	if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	return s.updateAlert(ctx, actor, id, in)
}

func (s *Store) updateAlert(ctx context.Context, actor *models.User, id int64, in AlertInput) (*Alert, error) {
	opts := s.opts
	var a *Alert
	err := s.transact(ctx, func(tx *Store) error {
		var err error
		if a, err = tx.lockAlert(ctx, id); err != nil {
			return err
		}
		if a.Status != AlertActive {
			return models.Errorf(models.ECONFLICT, "预警已解除，不能再更新")
		}
		before := *a
		if in.Type != nil && AlertType(*in.Type) != a.Type {
			return &models.Error{Code: models.EINVALID, Message: "预警类型不能更改；请解除后重新发布", Fields: map[string]string{"type": "预警类型不能更改"}}
		}
		// Instructions follow the new level unless the desk writes its own.
		if in.Level != nil && in.Instructions == nil && AlertLevel(*in.Level) != a.Level {
			a.Instructions = ""
		}
		if in.Headline == nil && in.Level != nil && AlertLevel(*in.Level) != a.Level && a.Headline == "市教育局转发"+a.Title() {
			a.Headline = ""
		}
		now := tx.db.Now()
		p := in.apply(a, opts.SuspensionRules, now, tx.db.Location())
		if err := tx.checkAlertDistricts(ctx, a.DistrictIDs, p); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		a.Version++
		if err := tx.db.DB().Omit("IssuedAt", "CreatedAt").Save(a).Error; err != nil {
			return fmt.Errorf("update alert %d: %w", id, err)
		}
		if err := tx.saveAlertDistricts(a); err != nil {
			return err
		}
		raised := a.Level.Rank() > before.Level.Rank()
		if raised {
			// A higher level must be confirmed afresh.
			if err := tx.db.DB().Model(&AlertSchool{}).Where("alert_id = ?", a.ID).
				Updates(map[string]any{"acknowledged_at": nil, "ack_contact_id": nil, "ack_user_id": nil, "ack_by_name": ""}).Error; err != nil {
				return fmt.Errorf("reset acknowledgements of alert %d: %w", a.ID, err)
			}
			if _, err := tx.db.MissDeadlines(ctx, models.DeadlineAlertAck, models.SubjectAlert, a.ID, tx.db.Now()); err != nil {
				return err
			}
		}
		queued, schools, err := tx.notifyAlert(ctx, a, "updated", now)
		if err != nil {
			return err
		}
		summary := alertChangeSummary(&before, a)
		if err := tx.addAlertEvent(a, "updated", summary, actor, queued); err != nil {
			return err
		}
		if raised && a.Level.NeedsSafetyReports() && !before.Level.NeedsSafetyReports() && !a.Drill {
			if _, err := tx.openSafetyRound(ctx, a, fmt.Sprintf("升级为%s时", a.Level.Name()), now, schools); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "alert.update", models.SubjectAlert, a.ID, summary)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func alertChangeSummary(before, after *Alert) string {
	var parts []string
	if before.Level != after.Level {
		parts = append(parts, fmt.Sprintf("级别 %s → %s", before.Level.Name(), after.Level.Name()))
	}
	if before.WholeCity != after.WholeCity || fmt.Sprint(before.DistrictIDs) != fmt.Sprint(after.DistrictIDs) {
		parts = append(parts, fmt.Sprintf("区域 %s → %s", before.regionSummary(), after.regionSummary()))
	}
	if before.Headline != after.Headline || before.Instructions != after.Instructions {
		parts = append(parts, "内容更新")
	}
	if len(parts) == 0 {
		return "重新发送"
	}
	return strings.Join(parts, "；")
}

// LiftAlert lifts (解除) an active alert: one final message to every school in the region, the
// acknowledgement ladder stops, and for orange and red alerts a last safety-report round opens.
// Errors: forbidden, not_found, conflict (already lifted).
func (s *Store) LiftAlert(ctx context.Context, actor *models.User, id int64, note string) (*Alert, error) {
	if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	return s.liftAlert(ctx, actor, id, note)
}

func (s *Store) liftAlert(ctx context.Context, actor *models.User, id int64, note string) (*Alert, error) {
	var a *Alert
	err := s.transact(ctx, func(tx *Store) error {
		var err error
		if a, err = tx.lockAlert(ctx, id); err != nil {
			return err
		}
		if a.Status != AlertActive {
			return models.Errorf(models.ECONFLICT, "预警已解除")
		}
		now := tx.db.Now()
		a.Status, a.LiftedAt = AlertLifted, &now
		a.Version++
		if err := tx.db.DB().Model(a).Select("status", "lifted_at", "version", "updated_at").Updates(a).Error; err != nil {
			return fmt.Errorf("lift alert %d: %w", id, err)
		}
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineAlertAck, models.SubjectAlert, a.ID, tx.db.Now()); err != nil {
			return err
		}
		queued, schools, err := tx.notifyAlert(ctx, a, "lifted", now)
		if err != nil {
			return err
		}
		summary := "解除" + a.Title()
		if note = strings.TrimSpace(note); note != "" {
			summary += "：" + models.Truncate(note, 500)
		}
		if err := tx.addAlertEvent(a, "lifted", summary, actor, queued); err != nil {
			return err
		}
		if a.Level.NeedsSafetyReports() && !a.Drill {
			if _, err := tx.openSafetyRound(ctx, a, "解除时", now, schools); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "alert.lift", models.SubjectAlert, a.ID, summary)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// loadAlert reads an alert with its districts. Errors: not_found.
func (s *Store) loadAlert(ctx context.Context, id int64) (*Alert, error) {
	return s.readAlert(ctx, id, false)
}

// lockAlert reads an alert for a change, locking its row until the transaction ends (PostgreSQL;
// SQLite has one writer), so that an update and a lifting at the same moment cannot both apply.
func (s *Store) lockAlert(ctx context.Context, id int64) (*Alert, error) {
	return s.readAlert(ctx, id, true)
}

func (s *Store) readAlert(ctx context.Context, id int64, forUpdate bool) (*Alert, error) {
	var a Alert
	q := s.db.Conn(ctx)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&a, id).Error; err != nil {
		return nil, models.NotFound("预警", err)
	}
	if err := s.db.Conn(ctx).Model(&AlertDistrict{}).Where("alert_id = ?", id).Order("district_id").Pluck("district_id", &a.DistrictIDs).Error; err != nil {
		return nil, fmt.Errorf("alert %d districts: %w", id, err)
	}
	return &a, nil
}

// AlertDetail is an alert with its timeline.
type AlertDetail struct {
	Alert
	Events []AlertEvent `json:"events"`
}

// Alert returns an alert with its timeline. Every signed-in user may read alerts that concern
// them: staff all, district officers and schools those whose region includes them.
// Errors: not_found.
func (s *Store) Alert(ctx context.Context, actor *models.User, id int64) (*AlertDetail, error) {
	a, err := s.loadAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.alertConcerns(ctx, actor, a); err != nil {
		return nil, err
	} else if !ok {
		return nil, models.Errorf(models.ENOTFOUND, "预警不存在")
	}
	d := &AlertDetail{Alert: *a}
	if err := s.db.Conn(ctx).Where("alert_id = ?", id).Order("id").Find(&d.Events).Error; err != nil {
		return nil, fmt.Errorf("alert %d events: %w", id, err)
	}
	return d, nil
}

// alertConcerns tells whether actor may see alert a.
func (s *Store) alertConcerns(ctx context.Context, actor *models.User, a *Alert) (bool, error) {
	switch {
	case actor.Can(models.SeeAll):
		return true, nil
	case a.WholeCity:
		return actor.Role == models.RoleDistrictOfficer || actor.Role == models.RoleSchoolReporter, nil
	case actor.Role == models.RoleDistrictOfficer && actor.DistrictID != nil:
		return slices.Contains(a.DistrictIDs, *actor.DistrictID), nil
	case actor.Role == models.RoleSchoolReporter && actor.SchoolID != nil:
		var n int64
		err := s.db.Conn(ctx).Model(&AlertSchool{}).Where("alert_id = ? AND school_id = ?", a.ID, *actor.SchoolID).Count(&n).Error
		return n > 0, err
	}
	return false, nil
}

// AlertFilter narrows a list of alerts.
type AlertFilter struct {
	Status AlertStatus
	Type   AlertType
	Page   models.Page
}

// Alerts lists the alerts actor may see, oldest first (by id), a page at a time.
func (s *Store) Alerts(ctx context.Context, actor *models.User, f AlertFilter) ([]Alert, int64, error) {
	q := s.db.Conn(ctx).Model(&Alert{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	switch {
	case actor.Can(models.SeeAll):
	case actor.Role == models.RoleDistrictOfficer && actor.DistrictID != nil:
		q = q.Where("whole_city OR id IN (SELECT alert_id FROM alert_districts WHERE district_id = ?)", *actor.DistrictID)
	case actor.Role == models.RoleSchoolReporter && actor.SchoolID != nil:
		q = q.Where("id IN (SELECT alert_id FROM alert_schools WHERE school_id = ?)", *actor.SchoolID)
	default:
		return nil, 0, nil
	}
	page := f.Page.Normalize()
	var alerts []Alert
	if err := store.PageQuery(page, q, "alerts").Find(&alerts).Error; err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	alerts, next := models.PageResult(alerts, page, func(a Alert) int64 { return a.ID })
	// The page's regions in one query, not one per alert.
	ids := make([]int64, len(alerts))
	for i := range alerts {
		ids[i] = alerts[i].ID
	}
	var regions []AlertDistrict
	if err := s.db.Conn(ctx).Where("alert_id IN ?", ids).Order("alert_id, district_id").Find(&regions).Error; err != nil {
		return nil, 0, fmt.Errorf("alert districts: %w", err)
	}
	index := make(map[int64]int, len(alerts))
	for i := range alerts {
		index[alerts[i].ID] = i
	}
	for _, r := range regions {
		a := &alerts[index[r.AlertID]]
		a.DistrictIDs = append(a.DistrictIDs, r.DistrictID)
	}
	return alerts, next, nil
}
