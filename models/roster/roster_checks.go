package roster

import (
	"fmt"
	"sort"
	"strings"
	"time"
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
	DoubleBooking ConflictKind = "double_booking" // two shifts at once
	ShortRest     ConflictKind = "short_rest"     // less rest than the minimum between two shifts
)

// Conflict is a pair of one person's assignments that break a rule.
type Conflict struct {
	Kind    ConflictKind  `json:"kind"`
	UserID  int64         `json:"user_id"`
	First   Assignment    `json:"first"`
	Second  Assignment    `json:"second"`
	Rest    time.Duration `json:"rest_ns"`
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

// describe explains the conflict in zh-CN, naming the person and the two shifts.
func (c Conflict) describe(names map[int64]string, loc *time.Location) string {
	name := names[c.UserID]
	if name == "" {
		name = fmt.Sprintf("用户%d", c.UserID)
	}
	span := func(a Assignment) string {
		return a.StartsAt.In(loc).Format("01月02日 15:04") + "–" + a.EndsAt.In(loc).Format("01月02日 15:04")
	}
	if c.Kind == DoubleBooking {
		return fmt.Sprintf("重复排班：%s 已安排在 %s 值班，不能同时安排 %s 的班次", name, span(c.First), span(c.Second))
	}
	return fmt.Sprintf("休息不足：%s 在 %s 与 %s 两个班次之间仅休息 %s，少于规定的最短休息时间",
		name, span(c.First), span(c.Second), c.Rest.Round(time.Minute))
}
