package roster

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
)

// GenerateInput asks for the roster of a range of days, in the bureau's zone.
type GenerateInput struct {
	From string `json:"from"` // first day, YYYY-MM-DD
	To   string `json:"to"`   // last day, YYYY-MM-DD, inclusive
}

// GenerateResult says what generation did.
type GenerateResult struct {
	Created int `json:"created"`
	// Refilled counts unconfirmed shifts that were filled again from the rotations.
	Refilled int `json:"refilled"`
	// Kept counts shifts left as they were: confirmed, or already begun.
	Kept int `json:"kept"`
	// Removed counts unconfirmed shifts dropped because no active template makes them any more.
	Removed int `json:"removed"`
	// Unfilled describes each place nobody was available for.
	Unfilled []string `json:"unfilled"`
	// Gaps are the coverage gaps over the generated period.
	Gaps []Gap `json:"gaps"`
}

// maxGenerateDays bounds one generation.
const maxGenerateDays = 92

// GenerateRoster makes the shifts of every active template for each day from in.From to in.To and
// fills them fairly from the rotations (AssignFairly): each place goes to whoever of the rotation
// has done fewest nights, weekends, holidays and hours, counting what they did in the look-back
// window before the period and the shifts of the period that are kept, so that a new period
// continues the last one. It skips people on leave, already on duty, or who would rest less than
// the minimum. Shifts that are
// confirmed or have begun are kept as they are; other existing ones are filled again, or removed
// when no active template makes them any more. Holidays with enhanced duty get
// extra officers; holidays requiring bureau leadership take the leader from that rotation.
// Only admins may. Errors: forbidden, invalid.
func (s *Store) GenerateRoster(ctx context.Context, actor *models.User, in GenerateInput) (*GenerateResult, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	loc := s.db.Location()
	p := models.Problems{}
	first, err := time.ParseInLocation(time.DateOnly, in.From, loc)
	if err != nil {
		p.Add("from", "日期应为 YYYY-MM-DD")
	}
	lastDay, err := time.ParseInLocation(time.DateOnly, in.To, loc)
	if err != nil {
		p.Add("to", "日期应为 YYYY-MM-DD")
	}
	if len(p) == 0 && lastDay.Before(first) {
		p.Add("to", "结束日期不能早于开始日期")
	}
	if len(p) == 0 && lastDay.Sub(first) > maxGenerateDays*24*time.Hour {
		p.Add("to", fmt.Sprintf("一次最多生成%d天", maxGenerateDays))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	end := lastDay.AddDate(0, 0, 1)
	res := &GenerateResult{Unfilled: []string{}}
	err = s.transact(ctx, func(tx *Store) error {
		templates, err := tx.ensureTemplates(ctx, actor)
		if err != nil {
			return err
		}
		if len(templates) == 0 {
			return models.Errorf(models.EINVALID, "没有启用的班次模板")
		}
		cal, err := tx.calendar(ctx, first.AddDate(0, 0, -lookBackDays).Format(time.DateOnly), in.To)
		if err != nil {
			return err
		}
		existing, err := tx.clearDrafts(ctx, first, end, tx.db.Now())
		if err != nil {
			return err
		}
		g, err := tx.newGenerator(ctx, first, end, cal)
		if err != nil {
			return err
		}
		var spanFrom, spanTo time.Time
		var drafts []draft
		for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
			day := cal[d.Format(time.DateOnly)]
			for _, t := range templates {
				start, stop := t.Interval(d, loc)
				if spanFrom.IsZero() || start.Before(spanFrom) {
					spanFrom = start
				}
				if stop.After(spanTo) {
					spanTo = stop
				}
				key := shiftKey{t.ID, start.Unix()}
				sh, found := existing[key]
				delete(existing, key)
				if found && sh.Confirmed {
					res.Kept++
					continue
				}
				tid := t.ID
				sh.TemplateID, sh.Name, sh.StartsAt, sh.EndsAt = &tid, t.Name, start.UTC(), stop.UTC()
				sh.Holiday, sh.Enhanced = "", day.Has(RuleEnhancedDuty)
				if day.Kind == DayHoliday {
					sh.Holiday = day.Name
				}
				if err := tx.db.Conn(ctx).Omit("Assignments").Save(&sh).Error; err != nil {
					return fmt.Errorf("save shift: %w", err)
				}
				if found {
					res.Refilled++
				} else {
					res.Created++
				}
				drafts = append(drafts, g.places(sh, t, day))
			}
		}
		unfilled, err := g.fill(ctx, tx, drafts)
		if err != nil {
			return err
		}
		res.Unfilled = append(res.Unfilled, unfilled...)
		if res.Removed, err = tx.removeDrafts(ctx, existing); err != nil {
			return err
		}
		shifts, err := tx.shiftsBetween(ctx, spanFrom, spanTo)
		if err != nil {
			return err
		}
		res.Gaps = CoverageGaps(shifts, spanFrom, spanTo)
		return tx.db.Audit(ctx, actor, "roster.generate", models.SubjectShift, 0, fmt.Sprintf("%s 至 %s：新建%d，重排%d，保留%d，删除%d，空缺%d",
			in.From, in.To, res.Created, res.Refilled, res.Kept, res.Removed, len(res.Unfilled)))
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type shiftKey struct {
	templateID int64
	start      int64
}

// clearDrafts returns the template shifts starting in [from, to) by template and start, after
// removing the assignments of the drafts: those neither confirmed nor begun by now, which
// generation fills again. Kept shifts come back marked Confirmed.
func (s *Store) clearDrafts(ctx context.Context, from, to, now time.Time) (map[shiftKey]Shift, error) {
	var shifts []Shift
	if err := s.db.Conn(ctx).Where("template_id IS NOT NULL AND starts_at >= ? AND starts_at < ?", from.UTC(), to.UTC()).
		Find(&shifts).Error; err != nil {
		return nil, fmt.Errorf("load shifts: %w", err)
	}
	out := map[shiftKey]Shift{}
	var drafts []int64
	for _, sh := range shifts {
		if !sh.StartsAt.After(now) {
			sh.Confirmed = true // history is kept like a confirmed shift
		}
		out[shiftKey{*sh.TemplateID, sh.StartsAt.Unix()}] = sh
		if !sh.Confirmed {
			drafts = append(drafts, sh.ID)
		}
	}
	if len(drafts) > 0 {
		if err := s.db.Conn(ctx).Where("shift_id IN ?", drafts).Delete(&Assignment{}).Error; err != nil {
			return nil, fmt.Errorf("clear draft shifts: %w", err)
		}
	}
	return out, nil
}

// removeDrafts deletes the unconfirmed shifts no template made again (left in drafts), unless a
// handover or a duty log entry refers to them, and returns how many went.
func (s *Store) removeDrafts(ctx context.Context, drafts map[shiftKey]Shift) (int, error) {
	var ids []int64
	for _, sh := range drafts {
		if !sh.Confirmed {
			ids = append(ids, sh.ID)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.Conn(ctx).Where("id IN ? AND id NOT IN (SELECT shift_id FROM handovers) AND "+
		"id NOT IN (SELECT shift_id FROM duty_log_entries WHERE shift_id IS NOT NULL)", ids).Delete(&Shift{})
	if res.Error != nil {
		return 0, fmt.Errorf("remove stale shifts: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// lookBackDays is how far before a period generation looks for what each person already did.
const lookBackDays = 60

// generator fills shifts fairly from the rotations.
type generator struct {
	loc           *time.Location
	extraOfficers int
	cal           map[string]CalendarDay
	in            FairInput
}

// draft is a shift to fill and the rotation of each of its places, with the duty role it takes.
type draft struct {
	shift  Shift
	places []RotationRole
	roles  []DutyRole
}

// newGenerator loads the rotations, everyone's duties and leave near [from, to), and what each
// person did from lookBackDays before from, kept shifts of [from, to) included. Call it after
// clearDrafts, so that the assignments left in [from, to) are the kept ones.
func (s *Store) newGenerator(ctx context.Context, from, to time.Time, cal map[string]CalendarDay) (*generator, error) {
	opts := s.rosterOpts()
	g := &generator{loc: s.db.Location(), extraOfficers: opts.EnhancedExtraOfficers, cal: cal, in: FairInput{
		Rotations: map[RotationRole][]int64{}, Busy: map[int64][]Span{}, Leave: map[int64][]Span{}, MinRest: opts.MinRest}}
	for _, role := range []RotationRole{RotationLeaders, RotationBureauLeaders, RotationOfficers} {
		ids, err := s.rotation(ctx, role)
		if err != nil {
			return nil, fmt.Errorf("load rotation %s: %w", role, err)
		}
		g.in.Rotations[role] = ids
	}
	lo, hi := from.Add(-restWindow), to.Add(restWindow)
	var near []Assignment
	if err := s.db.Conn(ctx).Where("starts_at < ? AND ends_at > ?", hi.UTC(), lo.UTC()).Find(&near).Error; err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	for _, a := range near {
		g.in.Busy[a.UserID] = append(g.in.Busy[a.UserID], Span{a.StartsAt, a.EndsAt})
	}
	var leaves []Leave
	if err := s.db.Conn(ctx).Where("starts_at < ? AND ends_at > ?", hi.UTC(), lo.UTC()).Find(&leaves).Error; err != nil {
		return nil, fmt.Errorf("load leave: %w", err)
	}
	for _, l := range leaves {
		g.in.Leave[l.UserID] = append(g.in.Leave[l.UserID], Span{l.StartsAt, l.EndsAt})
	}
	var done []Assignment
	if err := s.db.Conn(ctx).Where("starts_at >= ? AND starts_at < ?", from.AddDate(0, 0, -lookBackDays).UTC(), to.UTC()).
		Order("starts_at, id").Find(&done).Error; err != nil {
		return nil, fmt.Errorf("load past assignments: %w", err)
	}
	g.in.Prior, g.in.PriorPairs = Loads(done, cal, g.loc)
	return g, nil
}

// Loads counts what each person did in the assignments, and how many shifts each pair of
// officers (officers and extra officers of one shift) shared; cal is the holiday calendar over
// the days the assignments begin on.
func Loads(as []Assignment, cal map[string]CalendarDay, loc *time.Location) (map[int64]Load, map[Pair]int) {
	loads, pairs := map[int64]Load{}, map[Pair]int{}
	officers := map[int64][]int64{} // by shift
	for _, a := range as {
		day := cal[a.StartsAt.In(loc).Format(time.DateOnly)]
		l := loads[a.UserID]
		l.add(KindOf(a.StartsAt, a.EndsAt, day, loc))
		loads[a.UserID] = l
		if a.Role.staffs() {
			for _, o := range officers[a.ShiftID] {
				pairs[pairOf(a.UserID, o)]++
			}
			officers[a.ShiftID] = append(officers[a.ShiftID], a.UserID)
		}
	}
	return loads, pairs
}

// places lists the template's places on sh: its leaders (from the bureau leadership on days that
// require it), its officers, and the extra officers of enhanced duty.
func (g *generator) places(sh Shift, t ShiftTemplate, day CalendarDay) draft {
	d := draft{shift: sh}
	add := func(n int, rotation RotationRole, role DutyRole) {
		for range n {
			d.places, d.roles = append(d.places, rotation), append(d.roles, role)
		}
	}
	leaders := RotationLeaders
	if day.Has(RuleBureauLeader) {
		leaders = RotationBureauLeaders
	}
	add(t.Leaders, leaders, DutyLeader)
	add(t.Officers, RotationOfficers, DutyOfficer)
	if sh.Enhanced && t.Officers > 0 {
		add(g.extraOfficers, RotationOfficers, DutyExtra)
	}
	return d
}

// fill decides the places of the drafts with AssignFairly, saves the assignments and returns the
// places left empty.
func (g *generator) fill(ctx context.Context, s *Store, drafts []draft) ([]string, error) {
	g.in.Shifts = make([]FairShift, len(drafts))
	for i, d := range drafts {
		day := g.cal[d.shift.StartsAt.In(g.loc).Format(time.DateOnly)]
		g.in.Shifts[i] = FairShift{StartsAt: d.shift.StartsAt, EndsAt: d.shift.EndsAt,
			Kind: KindOf(d.shift.StartsAt, d.shift.EndsAt, day, g.loc), Places: d.places}
	}
	var unfilled []string
	for i, people := range AssignFairly(g.in) {
		sh := drafts[i].shift
		for p, uid := range people {
			rotation := drafts[i].places[p]
			if uid == 0 {
				why := "无人可排"
				if len(g.in.Rotations[rotation]) == 0 {
					why = "轮值表为空"
				}
				unfilled = append(unfilled, fmt.Sprintf("%s %s：%s%s", sh.StartsAt.In(g.loc).Format("01月02日"), sh.Name, rotation.Name(), why))
				continue
			}
			a := Assignment{ShiftID: sh.ID, UserID: uid, Role: drafts[i].roles[p], StartsAt: sh.StartsAt, EndsAt: sh.EndsAt}
			if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
				return nil, fmt.Errorf("assign: %w", err)
			}
		}
	}
	return unfilled, nil
}
