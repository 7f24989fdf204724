package roster

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"dutydesk/notify"
)

// Gap is a stretch of time without a full desk: fewer than one leader or two officers.
type Gap struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Leaders  int       `json:"leaders"`
	Officers int       `json:"officers"`
}

// RequiredLeaders and RequiredOfficers are the desk's minimum at every minute: one leader on duty
// and two duty officers (双人双岗).
const (
	RequiredLeaders  = 1
	RequiredOfficers = 2
)

// CoverageGaps returns, in order, the stretches of [from, to) during which the shifts' assignments
// put fewer than RequiredLeaders leaders or RequiredOfficers officers on duty. Adjacent stretches
// with the same staffing are merged.
func CoverageGaps(shifts []Shift, from, to time.Time) []Gap {
	var as []Assignment
	points := []time.Time{from, to}
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			as = append(as, a)
			for _, t := range []time.Time{a.StartsAt, a.EndsAt} {
				if t.After(from) && t.Before(to) {
					points = append(points, t)
				}
			}
		}
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Before(points[j]) })
	gaps := []Gap{}
	for i := 0; i+1 < len(points); i++ {
		start, end := points[i], points[i+1]
		if !end.After(start) {
			continue
		}
		leaders, officers := 0, 0
		for _, a := range as {
			if a.StartsAt.After(start) || !a.EndsAt.After(start) {
				continue
			}
			if a.Role == DutyLeader {
				leaders++
			} else if a.Role.staffs() {
				officers++
			}
		}
		if leaders >= RequiredLeaders && officers >= RequiredOfficers {
			continue
		}
		if n := len(gaps); n > 0 && gaps[n-1].To.Equal(start) && gaps[n-1].Leaders == leaders && gaps[n-1].Officers == officers {
			gaps[n-1].To = end
			continue
		}
		gaps = append(gaps, Gap{From: start, To: end, Leaders: leaders, Officers: officers})
	}
	return gaps
}

// describe says what the gap lacks, in the bureau's zone.
func (g Gap) describe(loc *time.Location) string {
	var lacks []string
	if g.Leaders < RequiredLeaders {
		lacks = append(lacks, "带班领导")
	}
	if g.Officers < RequiredOfficers {
		lacks = append(lacks, fmt.Sprintf("值班员（仅%d人）", g.Officers))
	}
	return fmt.Sprintf("%s 至 %s 缺%s", g.From.In(loc).Format("01月02日 15:04"), g.To.In(loc).Format("01月02日 15:04"), strings.Join(lacks, "、"))
}

// ConflictKind names a rule one person's shifts break.
type ConflictKind string

// The conflicts.
const (
	DoubleBooking ConflictKind = "double_booking" // 重复排班: two shifts at once
	ShortRest     ConflictKind = "short_rest"     // 休息不足: less rest than the minimum between two shifts
	OnLeave       ConflictKind = "on_leave"       // 请假期间排班: a shift during the person's leave
)

// Name is the conflict kind in Chinese: 重复排班, 休息不足, 请假期间排班.
func (k ConflictKind) Name() string {
	switch k {
	case DoubleBooking:
		return "重复排班"
	case ShortRest:
		return "休息不足"
	case OnLeave:
		return "请假期间排班"
	}
	return string(k)
}

// Conflict is a pair of one person's assignments that break a rule, or (OnLeave) one assignment
// during the person's leave: then First is that assignment, the one to override, Second is
// empty and Leave is the leave.
type Conflict struct {
	Kind    ConflictKind  `json:"kind"`
	UserID  int64         `json:"user_id"`
	First   Assignment    `json:"first"`
	Second  Assignment    `json:"second,omitzero"`
	Rest    time.Duration `json:"rest_ns"`
	Leave   *Leave        `json:"leave,omitempty"`
	Message string        `json:"message"`
}

// ScheduleConflicts returns every double booking and every rest shorter than minRest among the
// assignments, person by person, in time order.
func ScheduleConflicts(as []Assignment, minRest time.Duration) []Conflict {
	byUser := map[int64][]Assignment{}
	var users []int64
	for _, a := range as {
		a.User = nil
		if _, seen := byUser[a.UserID]; !seen {
			users = append(users, a.UserID)
		}
		byUser[a.UserID] = append(byUser[a.UserID], a)
	}
	sort.Slice(users, func(i, j int) bool { return users[i] < users[j] })
	var out []Conflict
	for _, u := range users {
		list := byUser[u]
		sortAssignments(list)
		latest := list[0] // the assignment ending last so far
		for _, next := range list[1:] {
			rest := next.StartsAt.Sub(latest.EndsAt)
			switch {
			case rest < 0:
				out = append(out, Conflict{Kind: DoubleBooking, UserID: u, First: latest, Second: next})
			case rest < minRest:
				out = append(out, Conflict{Kind: ShortRest, UserID: u, First: latest, Second: next, Rest: rest})
			}
			if next.EndsAt.After(latest.EndsAt) {
				latest = next
			}
		}
	}
	return out
}

// LeaveConflicts returns, in the shifts' order, every assignment of the shifts that falls (even in
// part) within a leave of its person: one OnLeave conflict per assignment, with the earliest such
// leave. Leave and assignments are half-open intervals, so a leave ending as the shift begins, or
// beginning as it ends, does not conflict.
func LeaveConflicts(shifts []Shift, leaves []Leave) []Conflict {
	byUser := map[int64][]Leave{}
	for _, l := range leaves {
		byUser[l.UserID] = append(byUser[l.UserID], l)
	}
	for _, ls := range byUser {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].StartsAt.Before(ls[j].StartsAt) })
	}
	var out []Conflict
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			for _, l := range byUser[a.UserID] {
				if a.StartsAt.Before(l.EndsAt) && l.StartsAt.Before(a.EndsAt) {
					a.User = nil
					out = append(out, Conflict{Kind: OnLeave, UserID: a.UserID, First: a, Leave: &l})
					break
				}
			}
		}
	}
	return out
}

// describe explains the conflict in zh-CN, naming the person and the shifts (and the leave).
func (c Conflict) describe(names map[int64]string, loc *time.Location) string {
	name := names[c.UserID]
	if name == "" {
		name = fmt.Sprintf("用户%d", c.UserID)
	}
	span := func(a Assignment) string {
		return a.StartsAt.In(loc).Format("01月02日 15:04") + "–" + a.EndsAt.In(loc).Format("01月02日 15:04")
	}
	if c.Kind == OnLeave && c.Leave != nil {
		leave := c.Leave.StartsAt.In(loc).Format("01月02日 15:04") + "–" + c.Leave.EndsAt.In(loc).Format("01月02日 15:04") + " 请假"
		if c.Leave.Reason != "" {
			leave += "（" + c.Leave.Reason + "）"
		}
		return fmt.Sprintf("请假期间排班：%s %s，但已安排在 %s 担任%s，请调整排班（顶岗）", name, leave, span(c.First), c.First.Role.Name())
	}
	if c.Kind == DoubleBooking {
		return fmt.Sprintf("重复排班：%s 已安排在 %s 值班，不能同时安排 %s 的班次", name, span(c.First), span(c.Second))
	}
	return fmt.Sprintf("休息不足：%s 在 %s 与 %s 两个班次之间仅休息 %s，少于规定的最短休息时间",
		name, span(c.First), span(c.Second), notify.Duration(c.Rest))
}
