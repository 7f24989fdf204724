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
// fills them from the rotations, round-robin, continuing after whoever last held the role. It
// skips people on leave, already on duty, or who would rest less than the minimum. Shifts that are
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
		cal, err := tx.calendar(ctx, in.From, in.To)
		if err != nil {
			return err
		}
		g, err := tx.newGenerator(ctx, first, end)
		if err != nil {
			return err
		}
		existing, err := tx.clearDrafts(ctx, first, end, tx.db.Now())
		if err != nil {
			return err
		}
		if err := g.loadBusy(ctx, tx, first, end); err != nil {
			return err
		}
		var spanFrom, spanTo time.Time
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
				unfilled, err := g.fill(ctx, tx, &sh, t, day)
				if err != nil {
					return err
				}
				res.Unfilled = append(res.Unfilled, unfilled...)
			}
		}
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

// interval is a stretch of time one person is taken.
type interval struct{ from, to time.Time }

// generator fills shifts from the rotations, remembering whom it placed.
type generator struct {
	minRest       time.Duration
	extraOfficers int
	loc           *time.Location
	rotations     map[RotationRole][]int64
	cursor        map[RotationRole]int
	busy          map[int64][]interval // assignments and leave, by person
}

// newGenerator loads the rotations and where each stands before from: just after the last person
// of the rotation who held its role.
func (s *Store) newGenerator(ctx context.Context, from, to time.Time) (*generator, error) {
	opts := s.rosterOpts()
	g := &generator{minRest: opts.MinRest, extraOfficers: opts.EnhancedExtraOfficers, loc: s.db.Location(),
		rotations: map[RotationRole][]int64{}, cursor: map[RotationRole]int{}, busy: map[int64][]interval{}}
	for _, role := range []RotationRole{RotationLeaders, RotationBureauLeaders, RotationOfficers} {
		ids, err := s.rotation(ctx, role)
		if err != nil {
			return nil, fmt.Errorf("load rotation %s: %w", role, err)
		}
		g.rotations[role] = ids
		if len(ids) == 0 {
			continue
		}
		var last []int64
		err = s.db.Conn(ctx).Model(&Assignment{}).
			Where("starts_at < ? AND role IN ? AND user_id IN ?", from.UTC(), role.dutyRoles(), ids).
			Order("starts_at DESC, id DESC").Limit(1).Pluck("user_id", &last).Error
		if err != nil {
			return nil, fmt.Errorf("rotation %s position: %w", role, err)
		}
		for i, id := range ids {
			if len(last) == 1 && id == last[0] {
				g.cursor[role] = (i + 1) % len(ids)
			}
		}
	}
	return g, nil
}

// loadBusy records every assignment and leave near [from, to).
func (g *generator) loadBusy(ctx context.Context, s *Store, from, to time.Time) error {
	lo, hi := from.Add(-restWindow), to.Add(restWindow)
	var as []Assignment
	if err := s.db.Conn(ctx).Where("starts_at < ? AND ends_at > ?", hi.UTC(), lo.UTC()).Find(&as).Error; err != nil {
		return fmt.Errorf("load assignments: %w", err)
	}
	for _, a := range as {
		g.busy[a.UserID] = append(g.busy[a.UserID], interval{a.StartsAt, a.EndsAt})
	}
	var leaves []Leave
	if err := s.db.Conn(ctx).Where("starts_at < ? AND ends_at > ?", hi.UTC(), lo.UTC()).Find(&leaves).Error; err != nil {
		return fmt.Errorf("load leave: %w", err)
	}
	for _, l := range leaves {
		// Leave blocks its own span only, with no rest around it: available widens every busy
		// interval by minRest, so shrink leave by as much to test plain overlap.
		g.busy[l.UserID] = append(g.busy[l.UserID], interval{l.StartsAt.Add(g.minRest), l.EndsAt.Add(-g.minRest)})
	}
	return nil
}

// available tells whether the person may take [from, to): not on duty or leave then, and with at
// least minRest before and after every other shift.
func (g *generator) available(userID int64, from, to time.Time) bool {
	for _, b := range g.busy[userID] {
		if b.from.Before(to.Add(g.minRest)) && b.to.After(from.Add(-g.minRest)) {
			return false
		}
	}
	return true
}

// pick returns the next available person of the rotation, moving its cursor past them.
func (g *generator) pick(role RotationRole, from, to time.Time) (int64, bool) {
	ids := g.rotations[role]
	for i := range ids {
		at := (g.cursor[role] + i) % len(ids)
		if g.available(ids[at], from, to) {
			g.cursor[role] = (at + 1) % len(ids)
			return ids[at], true
		}
	}
	return 0, false
}

// fill assigns the template's places on sh and returns the places left empty.
func (g *generator) fill(ctx context.Context, s *Store, sh *Shift, t ShiftTemplate, day CalendarDay) ([]string, error) {
	type place struct {
		rotation RotationRole
		role     DutyRole
	}
	leaders := RotationLeaders
	if day.Has(RuleBureauLeader) {
		leaders = RotationBureauLeaders
	}
	var places []place
	for range t.Leaders {
		places = append(places, place{leaders, DutyLeader})
	}
	for range t.Officers {
		places = append(places, place{RotationOfficers, DutyOfficer})
	}
	if sh.Enhanced && t.Officers > 0 {
		for range g.extraOfficers {
			places = append(places, place{RotationOfficers, DutyExtra})
		}
	}
	var unfilled []string
	for _, pl := range places {
		uid, ok := g.pick(pl.rotation, sh.StartsAt, sh.EndsAt)
		if !ok {
			why := "无人可排"
			if len(g.rotations[pl.rotation]) == 0 {
				why = "轮值表为空"
			}
			unfilled = append(unfilled, fmt.Sprintf("%s %s：%s%s", sh.StartsAt.In(g.loc).Format("01月02日"), sh.Name, rotationName(pl.rotation), why))
			continue
		}
		a := Assignment{ShiftID: sh.ID, UserID: uid, Role: pl.role, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt}
		if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
			return nil, fmt.Errorf("assign: %w", err)
		}
		g.busy[uid] = append(g.busy[uid], interval{a.StartsAt, a.EndsAt})
	}
	return unfilled, nil
}

func rotationName(r RotationRole) string {
	switch r {
	case RotationLeaders:
		return "带班领导"
	case RotationBureauLeaders:
		return "局领导"
	}
	return "值班员"
}
