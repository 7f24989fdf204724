package roster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/store"
)

// Options are the duty roster's settings (config.Config's roster knobs); the zero value means the defaults.
type Options struct {
	// DayStart and NightStart (HH:MM, bureau zone) bound the default day and night templates.
	DayStart, NightStart string
	// MinRest is the shortest rest allowed between two shifts of one person.
	MinRest time.Duration
	// SwapNotice is how long before the earlier shift a swap must be requested.
	SwapNotice time.Duration
	// HandoverGrace is how long after the shift change a handover must be signed.
	HandoverGrace time.Duration
	// EnhancedExtraOfficers is how many officers enhanced duty adds to a shift.
	EnhancedExtraOfficers int
}

// DefaultOptions returns the defaults of domain.md.
func DefaultOptions() Options {
	return Options{DayStart: "08:30", NightStart: "17:30", MinRest: 8 * time.Hour,
		SwapNotice: 24 * time.Hour, HandoverGrace: 30 * time.Minute, EnhancedExtraOfficers: 1}
}

// rosterOpts returns the Store's roster settings; a Store built without them uses the defaults.
func (s *Store) rosterOpts() Options {
	if s.opts == (Options{}) {
		return DefaultOptions()
	}
	return s.opts
}

// DutyRole is what a person does on a shift.
type DutyRole string

// The duty roles.
const (
	DutyLeader  DutyRole = "leader"  // 带班领导: one per shift
	DutyOfficer DutyRole = "officer" // 值班员: two per shift (双人双岗)
	DutyExtra   DutyRole = "extra"   // an extra officer for enhanced duty (加强值班)
)

// Name is the duty role in Chinese.
func (r DutyRole) Name() string {
	switch r {
	case DutyLeader:
		return "带班领导"
	case DutyOfficer:
		return "值班员"
	case DutyExtra:
		return "加强值班员"
	}
	return string(r)
}

// Valid tells whether r is a known duty role.
func (r DutyRole) Valid() bool { return r == DutyLeader || r == DutyOfficer || r == DutyExtra }

// staffs tells whether r counts as an officer for coverage.
func (r DutyRole) staffs() bool { return r == DutyOfficer || r == DutyExtra }

// accountRole is the account role a person needs to take a duty role.
func (r DutyRole) accountRole() models.Role {
	if r == DutyLeader {
		return models.RoleLeader
	}
	return models.RoleDutyOfficer
}

// Shift is one 值班 period with its assignments.
type Shift struct {
	ID          int64        `json:"id"`
	TemplateID  *int64       `json:"template_id"`
	Name        string       `json:"name"`
	StartsAt    time.Time    `json:"starts_at"`
	EndsAt      time.Time    `json:"ends_at"`
	Holiday     string       `json:"holiday"`
	Enhanced    bool         `json:"enhanced"`
	Confirmed   bool         `json:"confirmed"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Assignments []Assignment `json:"assignments" gorm:"foreignKey:ShiftID"`
}

// Assignment puts one person on a shift in a role. It copies the shift's interval so that the
// "who is on duty at t" query reads one indexed table.
type Assignment struct {
	ID        int64        `json:"id"`
	ShiftID   int64        `json:"shift_id"`
	UserID    int64        `json:"user_id"`
	Role      DutyRole     `json:"role"`
	StartsAt  time.Time    `json:"starts_at"`
	EndsAt    time.Time    `json:"ends_at"`
	CreatedAt time.Time    `json:"created_at"`
	User      *models.User `json:"user,omitempty" gorm:"foreignKey:UserID"`
}

// maxShiftLength is the longest a shift can last: a 24-hour template across a DST change.
const maxShiftLength = 25 * time.Hour

// ShiftTemplate describes a recurring shift in wall-clock time: from StartTime to EndTime
// (the next day when EndTime is not after StartTime; equal times make a 24-hour shift), staffed
// by Leaders leaders and Officers officers.
type ShiftTemplate struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	StartTime string    `json:"start_time"`
	EndTime   string    `json:"end_time"`
	Leaders   int       `json:"leaders"`
	Officers  int       `json:"officers"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Interval returns the shift the template makes on date (a day in loc): its start and end.
func (t *ShiftTemplate) Interval(date time.Time, loc *time.Location) (time.Time, time.Time) {
	start := wallClock(date, t.StartTime, loc)
	endDay := date
	if t.EndTime <= t.StartTime {
		endDay = date.AddDate(0, 0, 1)
	}
	return start, wallClock(endDay, t.EndTime, loc)
}

// wallClock returns hh:mm on the calendar day of date, in loc.
func wallClock(date time.Time, hhmm string, loc *time.Location) time.Time {
	clock, _ := time.Parse("15:04", hhmm)
	y, m, d := date.Date()
	return time.Date(y, m, d, clock.Hour(), clock.Minute(), 0, 0, loc)
}

// defaultTemplates are the day and night shifts of the configuration, each with one leader and
// two officers.
func (o Options) defaultTemplates() []ShiftTemplate {
	return []ShiftTemplate{
		{Name: "白班", StartTime: o.DayStart, EndTime: o.NightStart, Leaders: 1, Officers: 2, Active: true},
		{Name: "夜班", StartTime: o.NightStart, EndTime: o.DayStart, Leaders: 1, Officers: 2, Active: true},
	}
}

// TemplateInput creates or changes a shift template.
type TemplateInput struct {
	Name      *string `json:"name"`
	StartTime *string `json:"start_time"`
	EndTime   *string `json:"end_time"`
	Leaders   *int    `json:"leaders"`
	Officers  *int    `json:"officers"`
	Active    *bool   `json:"active"`
}

func (in TemplateInput) apply(t *ShiftTemplate) models.Problems {
	p := models.Problems{}
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
	}
	if in.StartTime != nil {
		t.StartTime = strings.TrimSpace(*in.StartTime)
	}
	if in.EndTime != nil {
		t.EndTime = strings.TrimSpace(*in.EndTime)
	}
	if in.Leaders != nil {
		t.Leaders = *in.Leaders
	}
	if in.Officers != nil {
		t.Officers = *in.Officers
	}
	if in.Active != nil {
		t.Active = *in.Active
	}
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 32 {
		p.Add("name", "请填写班次名称（不超过32字）")
	}
	if !config.ValidClock(t.StartTime) {
		p.Add("start_time", "应为 HH:MM，如 08:30")
	}
	if !config.ValidClock(t.EndTime) {
		p.Add("end_time", "应为 HH:MM，如 17:30（不晚于开始时间表示次日）")
	}
	if t.Leaders < 0 || t.Leaders > 3 {
		p.Add("leaders", "带班领导人数应为0–3")
	}
	if t.Officers < 0 || t.Officers > 10 {
		p.Add("officers", "值班员人数应为0–10")
	}
	if t.Leaders+t.Officers == 0 {
		p.Add("officers", "班次至少需要一人")
	}
	return p
}

// ShiftTemplates lists the templates; before any is saved, the configured defaults (with id 0),
// which the first generation saves. Errors: forbidden.
func (s *Store) ShiftTemplates(ctx context.Context, actor *models.User) ([]ShiftTemplate, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	var ts []ShiftTemplate
	if err := s.db.Conn(ctx).Order("start_time, id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("list shift templates: %w", err)
	}
	if len(ts) == 0 {
		ts = s.rosterOpts().defaultTemplates()
	}
	return ts, nil
}

// ensureTemplates saves the default templates when none exist and returns the active ones, by
// start time.
func (s *Store) ensureTemplates(ctx context.Context, actor *models.User) ([]ShiftTemplate, error) {
	var count int64
	if err := s.db.Conn(ctx).Model(&ShiftTemplate{}).Count(&count).Error; err != nil {
		return nil, err
	}
	if count == 0 {
		for _, t := range s.rosterOpts().defaultTemplates() {
			if err := s.db.Conn(ctx).Create(&t).Error; err != nil {
				return nil, fmt.Errorf("save default template: %w", err)
			}
			if err := s.db.Audit(ctx, actor, "shift_template.create", "shift_template", t.ID, t.describe()); err != nil {
				return nil, err
			}
		}
	}
	var ts []ShiftTemplate
	if err := s.db.Conn(ctx).Where("active = ?", true).Order("start_time, id").Find(&ts).Error; err != nil {
		return nil, err
	}
	return ts, nil
}

func (t *ShiftTemplate) describe() string {
	return fmt.Sprintf("%s %s–%s 领导%d 值班员%d active=%v", t.Name, t.StartTime, t.EndTime, t.Leaders, t.Officers, t.Active)
}

// CreateShiftTemplate adds a template (after saving the configured defaults, if none were saved
// yet). Only admins may. Errors: forbidden, invalid, conflict.
func (s *Store) CreateShiftTemplate(ctx context.Context, actor *models.User, in TemplateInput) (*ShiftTemplate, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	t := &ShiftTemplate{Active: true}
	if err := in.apply(t).Err(); err != nil {
		return nil, err
	}
	err := s.transact(ctx, func(tx *Store) error {
		// The configured defaults become data first, so that adding a template keeps them.
		if _, err := tx.ensureTemplates(ctx, actor); err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Create(t).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return &models.Error{Code: models.ECONFLICT, Message: "班次名称已存在", Fields: map[string]string{"name": "班次名称已存在"}}
			}
			return fmt.Errorf("create template: %w", err)
		}
		return tx.db.Audit(ctx, actor, "shift_template.create", "shift_template", t.ID, t.describe())
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateShiftTemplate changes a template. Shifts already made keep their times until generation
// makes them again (confirmed and begun ones never change).
// Only admins may. Errors: forbidden, not_found, invalid, conflict.
func (s *Store) UpdateShiftTemplate(ctx context.Context, actor *models.User, id int64, in TemplateInput) (*ShiftTemplate, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	var t ShiftTemplate
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Take(&t, id).Error; err != nil {
			return models.NotFound("班次模板", err)
		}
		before := t.describe()
		if err := in.apply(&t).Err(); err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Save(&t).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return &models.Error{Code: models.ECONFLICT, Message: "班次名称已存在", Fields: map[string]string{"name": "班次名称已存在"}}
			}
			return fmt.Errorf("update template %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "shift_template.update", "shift_template", t.ID, before+" → "+t.describe())
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// maxRosterSpan bounds the range of roster reads and exports.
const maxRosterSpan = 400 * 24 * time.Hour

// checkRange validates a [from, to) query range.
func checkRange(from, to time.Time) error {
	p := models.Problems{}
	if from.IsZero() {
		p.Add("from", "请指定开始时间")
	}
	if to.IsZero() {
		p.Add("to", "请指定结束时间")
	}
	if len(p) == 0 && !to.After(from) {
		p.Add("to", "结束时间须晚于开始时间")
	}
	if len(p) == 0 && to.Sub(from) > maxRosterSpan {
		p.Add("to", "查询范围不能超过400天")
	}
	return p.Err()
}

// shiftsBetween loads the shifts overlapping [from, to) with their assignments and people.
func (s *Store) shiftsBetween(ctx context.Context, from, to time.Time) ([]Shift, error) {
	var shifts []Shift
	err := s.db.Conn(ctx).
		Preload("Assignments", func(q *gorm.DB) *gorm.DB { return q.Order("role, id") }).
		Preload("Assignments.User").
		Where("starts_at < ? AND ends_at > ?", to.UTC(), from.UTC()).
		Order("starts_at, id").Find(&shifts).Error
	if err != nil {
		return nil, fmt.Errorf("load shifts: %w", err)
	}
	return shifts, nil
}

// Roster returns the shifts overlapping [from, to), with assignments and people. Staff only.
// Errors: forbidden, invalid.
func (s *Store) Roster(ctx context.Context, actor *models.User, from, to time.Time) ([]Shift, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	return s.shiftsBetween(ctx, from, to)
}

// RosterChecks is the result of checking a stretch of the roster.
type RosterChecks struct {
	Gaps      []Gap      `json:"gaps"`
	Conflicts []Conflict `json:"conflicts"`
}

// CheckRoster reports the coverage gaps in [from, to) and the conflicts of the shifts overlapping
// it: double bookings, short rests, and people rostered during their leave (each naming the
// assignment to override). Staff only. Errors: forbidden, invalid.
func (s *Store) CheckRoster(ctx context.Context, actor *models.User, from, to time.Time) (*RosterChecks, error) {
	shifts, err := s.Roster(ctx, actor, from, to)
	if err != nil {
		return nil, err
	}
	var all []Assignment
	for _, sh := range shifts {
		all = append(all, sh.Assignments...)
	}
	conflicts := ScheduleConflicts(all, s.rosterOpts().MinRest)
	if len(shifts) > 0 {
		// The shifts may reach beyond [from, to); their leave is looked up over their whole span.
		first, last := shifts[0].StartsAt, shifts[0].EndsAt
		for _, sh := range shifts {
			if sh.EndsAt.After(last) {
				last = sh.EndsAt
			}
		}
		leaves, err := s.leavesBetween(ctx, first, last)
		if err != nil {
			return nil, err
		}
		conflicts = append(conflicts, LeaveConflicts(shifts, leaves)...)
	}
	return &RosterChecks{Gaps: CoverageGaps(shifts, from, to), Conflicts: s.describeConflicts(conflicts, shifts)}, nil
}

// describeConflicts fills in each conflict's message, naming people from the shifts' assignments.
// It never returns nil, so that an empty list reads [] in JSON.
func (s *Store) describeConflicts(conflicts []Conflict, shifts []Shift) []Conflict {
	var all []Assignment
	for _, sh := range shifts {
		all = append(all, sh.Assignments...)
	}
	people := names(all)
	out := make([]Conflict, len(conflicts))
	for i, c := range conflicts {
		c.Message = c.describe(people, s.db.Location())
		out[i] = c
	}
	return out
}

// names maps user ids to display names from loaded assignments.
func names(as []Assignment) map[int64]string {
	m := map[int64]string{}
	for _, a := range as {
		if a.User != nil {
			m[a.UserID] = a.User.DisplayName
		}
	}
	return m
}

// OnDuty is who is on duty at a moment.
type OnDuty struct {
	At     time.Time    `json:"at"`
	Leader *models.User `json:"leader"`
	// Officers are the duty officers, extra officers of enhanced duty included.
	Officers []*models.User `json:"officers"`
	// EndsAt is the next shift change (the earliest end among the officers' shifts); zero if
	// nobody is on duty.
	EndsAt time.Time `json:"ends_at"`
}

// OnDuty returns the leader and officers on duty at a moment, with their e-mail and mobile, for
// other parts of the system (the escalation engine). It is one indexed query. It does not check
// permissions: callers are the system itself.
func (s *Store) OnDuty(ctx context.Context, at time.Time) (*OnDuty, error) {
	od, _, err := s.onDuty(ctx, at, 0)
	return od, err
}

// onDuty is OnDuty, also saying until when its answer holds, looking as far as horizon ahead:
// till is the earliest of at+horizon, the end of an assignment on duty at at, and the start of
// one beginning after at.
func (s *Store) onDuty(ctx context.Context, at time.Time, horizon time.Duration) (od *OnDuty, till time.Time, err error) {
	var as []Assignment
	// Bounding ends_at on both sides keeps the scan of assignments_ends_at to one shift's length.
	err = s.db.Conn(ctx).Joins("User").
		Where("assignments.ends_at > ? AND assignments.ends_at <= ? AND assignments.starts_at <= ?",
			at.UTC(), at.Add(horizon+maxShiftLength).UTC(), at.Add(horizon).UTC()).
		Order("assignments.starts_at, assignments.id").Find(&as).Error
	if err != nil {
		return nil, till, fmt.Errorf("on duty at %s: %w", at.Format(time.RFC3339), err)
	}
	od = &OnDuty{At: at, Officers: []*models.User{}}
	till = at.Add(horizon)
	var leaderEnd time.Time
	for i := range as {
		a := &as[i]
		if a.StartsAt.After(at) {
			till = earliest(till, a.StartsAt)
			continue
		}
		till = earliest(till, a.EndsAt)
		switch {
		case a.Role == DutyLeader && od.Leader == nil:
			od.Leader, leaderEnd = a.User, a.EndsAt
		case a.Role.staffs():
			od.Officers = append(od.Officers, a.User)
			if od.EndsAt.IsZero() || a.EndsAt.Before(od.EndsAt) {
				od.EndsAt = a.EndsAt
			}
		}
	}
	if od.EndsAt.IsZero() {
		od.EndsAt = leaderEnd
	}
	return od, till, nil
}

// clone returns a copy of od that shares nothing with it.
func (od OnDuty) clone() OnDuty {
	if od.Leader != nil {
		od.Leader = od.Leader.Clone()
	}
	officers := make([]*models.User, len(od.Officers))
	for i, o := range od.Officers {
		officers[i] = o.Clone()
	}
	od.Officers = officers
	return od
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// RosterNow returns who is on duty now: the desk's people and phones. Every role may read it.
// The answer may come from the read cache (ondutycache.go).
// Errors: forbidden.
func (s *Store) RosterNow(ctx context.Context, actor *models.User) (*OnDuty, error) {
	if !actor.Can(models.ReadOnDuty) {
		return nil, models.ErrForbidden
	}
	now := s.db.Now()
	if od, ok := s.onDutyNow.get(now); ok {
		od.At = now
		return &od, nil
	}
	gen, _ := s.db.ReadCache().Generation()
	od, till, err := s.onDuty(ctx, now, s.db.ReadCache().Horizon())
	if err != nil {
		return nil, err
	}
	s.onDutyNow.put(gen, *od, till)
	return od, nil
}

// ConfirmShifts marks the shifts starting in [from, to) confirmed, so that generation leaves them
// alone. Only admins may. Errors: forbidden, invalid. Returns how many were confirmed.
func (s *Store) ConfirmShifts(ctx context.Context, actor *models.User, from, to time.Time) (int64, error) {
	if !actor.Can(models.ManageRoster) {
		return 0, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return 0, err
	}
	var n int64
	err := s.transact(ctx, func(tx *Store) error {
		res := tx.db.Conn(ctx).Model(&Shift{}).Where("starts_at >= ? AND starts_at < ? AND confirmed = ?", from.UTC(), to.UTC(), false).
			Updates(map[string]any{"confirmed": true, "updated_at": tx.db.Now()})
		if res.Error != nil {
			return fmt.Errorf("confirm shifts: %w", res.Error)
		}
		n = res.RowsAffected
		return tx.db.Audit(ctx, actor, "roster.confirm", models.SubjectShift, 0,
			fmt.Sprintf("%d 个班次已确认（%s 至 %s）", n, from.In(tx.db.Location()).Format("2006-01-02 15:04"), to.In(tx.db.Location()).Format("2006-01-02 15:04")))
	})
	return n, err
}

// AssignmentInput adds a person to a shift (an admin override).
type AssignmentInput struct {
	UserID int64    `json:"user_id"`
	Role   DutyRole `json:"role"`
}

// AddAssignment puts a person on a shift. Only admins may. The change is refused when it
// double-books the person, cuts their rest short or puts someone on leave on duty.
// Errors: forbidden, not_found, invalid, conflict.
func (s *Store) AddAssignment(ctx context.Context, actor *models.User, shiftID int64, in AssignmentInput) (*Assignment, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	var a Assignment
	err := s.transact(ctx, func(tx *Store) error {
		var sh Shift
		if err := tx.db.Conn(ctx).Take(&sh, shiftID).Error; err != nil {
			return models.NotFound("班次", err)
		}
		p := models.Problems{}
		if !in.Role.Valid() {
			p.Add("role", "角色须为 leader、officer 或 extra")
		}
		if err := p.Err(); err != nil {
			return err
		}
		a = Assignment{ShiftID: sh.ID, UserID: in.UserID, Role: in.Role, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt}
		return tx.writeAssignment(ctx, actor, &a, "assignment.create", "")
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ReplaceAssignment puts another person in an assignment's place (an admin override), under the
// same checks as AddAssignment; it may not open a coverage gap. Errors: forbidden, not_found,
// invalid, conflict.
func (s *Store) ReplaceAssignment(ctx context.Context, actor *models.User, id, userID int64) (*Assignment, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	var a Assignment
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Take(&a, id).Error; err != nil {
			return models.NotFound("排班", err)
		}
		before := fmt.Sprintf("user %d", a.UserID)
		a.UserID = userID
		return tx.writeAssignment(ctx, actor, &a, "assignment.replace", before+" → ")
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// RemoveAssignment takes a person off a shift (an admin override). It is refused when it would
// open or widen a coverage gap. Errors: forbidden, not_found, conflict.
func (s *Store) RemoveAssignment(ctx context.Context, actor *models.User, id int64) error {
	if !actor.Can(models.ManageRoster) {
		return models.ErrForbidden
	}
	return s.transact(ctx, func(tx *Store) error {
		var a Assignment
		if err := tx.db.Conn(ctx).Take(&a, id).Error; err != nil {
			return models.NotFound("排班", err)
		}
		before, err := tx.gapTime(ctx, a.StartsAt, a.EndsAt)
		if err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Delete(&a).Error; err != nil {
			return fmt.Errorf("remove assignment %d: %w", id, err)
		}
		if err := tx.refuseNewGaps(ctx, a.StartsAt, a.EndsAt, before); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "assignment.delete", models.SubjectShift, a.ShiftID, fmt.Sprintf("user %d (%s) removed", a.UserID, a.Role))
	})
}

// writeAssignment validates the person for the role, saves a (new or changed) and checks the
// roster afterwards; an error rolls the write back.
func (s *Store) writeAssignment(ctx context.Context, actor *models.User, a *Assignment, action, before string) error {
	var u models.User
	if err := s.db.Conn(ctx).Take(&u, a.UserID).Error; err != nil || u.Disabled {
		return &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段", Fields: map[string]string{"user_id": "用户不存在或已停用"}}
	}
	if u.Role != a.Role.accountRole() {
		return &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段",
			Fields: map[string]string{"user_id": fmt.Sprintf("%s 的账号角色不能担任此岗位", u.DisplayName)}}
	}
	if err := s.refuseLeave(ctx, &u, a.StartsAt, a.EndsAt); err != nil {
		return err
	}
	gapsBefore, err := s.gapTime(ctx, a.StartsAt, a.EndsAt)
	if err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Save(a).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return models.Errorf(models.ECONFLICT, "%s 已在此班次中", u.DisplayName)
		}
		return fmt.Errorf("save assignment: %w", err)
	}
	if err := s.refuseConflicts(ctx, []Assignment{*a}); err != nil {
		return err
	}
	if err := s.refuseNewGaps(ctx, a.StartsAt, a.EndsAt, gapsBefore); err != nil {
		return err
	}
	return s.db.Audit(ctx, actor, action, "shift", a.ShiftID, fmt.Sprintf("%s%s (%s, user %d)", before, u.DisplayName, a.Role, u.ID))
}

// refuseLeave refuses to put someone on duty during their leave.
func (s *Store) refuseLeave(ctx context.Context, u *models.User, from, to time.Time) error {
	var n int64
	if err := s.db.Conn(ctx).Model(&Leave{}).Where("user_id = ? AND starts_at < ? AND ends_at > ?", u.ID, to.UTC(), from.UTC()).
		Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return models.Errorf(models.ECONFLICT, "%s 在此期间请假，不能安排值班", u.DisplayName)
	}
	return nil
}

// restWindow is how far around a change the rest and double-booking checks look.
const restWindow = 72 * time.Hour

// refuseConflicts checks the people of changed for double bookings and short rests that involve
// one of the changed assignments, and refuses the first it finds (409).
func (s *Store) refuseConflicts(ctx context.Context, changed []Assignment) error {
	ids := map[int64]bool{}
	var users []int64
	from, to := changed[0].StartsAt, changed[0].EndsAt
	for _, a := range changed {
		ids[a.ID] = true
		users = append(users, a.UserID)
		if a.StartsAt.Before(from) {
			from = a.StartsAt
		}
		if a.EndsAt.After(to) {
			to = a.EndsAt
		}
	}
	var near []Assignment
	err := s.db.Conn(ctx).Preload("User").
		Where("user_id IN ? AND starts_at < ? AND ends_at > ?", users, to.Add(restWindow).UTC(), from.Add(-restWindow).UTC()).
		Find(&near).Error
	if err != nil {
		return fmt.Errorf("load nearby assignments: %w", err)
	}
	for _, c := range ScheduleConflicts(near, s.rosterOpts().MinRest) {
		if ids[c.First.ID] || ids[c.Second.ID] {
			c.Message = c.describe(names(near), s.db.Location())
			return &models.Error{Code: models.ECONFLICT, Message: c.Message, Details: c}
		}
	}
	return nil
}

// gapsIn returns the coverage gaps in [from, to) and their total length.
func (s *Store) gapsIn(ctx context.Context, from, to time.Time) ([]Gap, time.Duration, error) {
	shifts, err := s.shiftsBetween(ctx, from, to)
	if err != nil {
		return nil, 0, err
	}
	gaps := CoverageGaps(shifts, from, to)
	var total time.Duration
	for _, g := range gaps {
		total += g.To.Sub(g.From)
	}
	return gaps, total, nil
}

// gapTime sums the coverage gaps in [from, to).
func (s *Store) gapTime(ctx context.Context, from, to time.Time) (time.Duration, error) {
	_, total, err := s.gapsIn(ctx, from, to)
	return total, err
}

// refuseNewGaps refuses a change that left [from, to) less covered than before (409).
func (s *Store) refuseNewGaps(ctx context.Context, from, to time.Time, before time.Duration) error {
	gaps, after, err := s.gapsIn(ctx, from, to)
	if err != nil {
		return err
	}
	if after > before {
		g := gaps[0]
		return &models.Error{Code: models.ECONFLICT, Message: "此调整会造成值班空档：" + g.describe(s.db.Location()), Details: gaps}
	}
	return nil
}

// sortAssignments orders assignments by start, then id.
func sortAssignments(as []Assignment) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].StartsAt.Equal(as[j].StartsAt) {
			return as[i].StartsAt.Before(as[j].StartsAt)
		}
		return as[i].ID < as[j].ID
	})
}
