package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/roster"
)

// The roster page: a month calendar of shifts, its gaps and conflicts, the swaps (调班) to act
// on, and the exports.

// rosterMonth is the roster page's data.
type rosterMonth struct {
	Month, Prev, Next string // YYYY-MM
	From, To          string // the month's first and last day, for the export links
	Weeks             [][]calendarCell
	Checks            *roster.RosterChecks
	Swaps             []swapRow
	Mine              []option // my assignments this month, for a swap request
	People            []option // people on this month's roster, to swap with
	Empty             bool
	// OnLeave holds the assignments that fall within their person's leave: flagged in the
	// calendar and offered first for an override.
	OnLeave map[int64]bool
	Admin   *rosterAdmin // for those who manage the roster
}

// rosterAdmin is what those who manage the roster get on its page besides: generating and
// confirming the month, and putting someone else in an assignment (an override).
type rosterAdmin struct {
	Assignments []option // this month's assignments not yet begun
	Staff       []option // duty officers and leaders who could take one
}

// calendarCell is one day of the month calendar (Day 0 pads the first and last week).
type calendarCell struct {
	Day     int
	Today   bool
	Holiday string
	Shifts  []roster.Shift
}

// swapRow is a swap with names, and which actions the viewer may take.
type swapRow struct {
	roster.Swap
	Requester, Target, Shift string
	Actions                  []option // path suffix and label
}

func (con *Console) Roster(c *gin.Context) {
	user := api.CurrentUser(c)
	ctx := c.Request.Context()
	loc := con.Store.Location()
	now := con.Store.Now().In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	if raw := c.Query("month"); raw != "" {
		m, err := time.ParseInLocation("2006-01", raw, loc)
		if err != nil {
			con.errorPage(c, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{"month": "应为 YYYY-MM"}})
			return
		}
		first = m
	}
	next := first.AddDate(0, 1, 0)
	shifts, err := con.Store.Roster.Roster(ctx, user, first, next)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	checks, err := con.Store.Roster.CheckRoster(ctx, user, first, next)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	holidays, err := con.Store.Roster.Holidays(ctx, user, first.Year())
	if err != nil {
		con.errorPage(c, err)
		return
	}
	m := &rosterMonth{Month: first.Format("2006-01"), Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: next.Format("2006-01"),
		From: first.Format(time.DateOnly), To: next.AddDate(0, 0, -1).Format(time.DateOnly), Checks: checks, Empty: len(shifts) == 0}
	m.Weeks = calendarWeeks(first, now, shifts, holidays)
	m.OnLeave = map[int64]bool{}
	for _, c := range checks.Conflicts {
		if c.Kind == roster.OnLeave {
			m.OnLeave[c.First.ID] = true
		}
	}
	names := map[int64]string{}
	seen := map[int64]bool{}
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			if a.User == nil {
				continue
			}
			names[a.UserID] = a.User.DisplayName
			if a.UserID == user.ID && a.StartsAt.After(now) {
				m.Mine = append(m.Mine, option{models.FormatID(a.ID), sh.StartsAt.In(loc).Format("01-02 15:04") + " " + sh.Name + " " + a.Role.Name()})
			}
			if a.UserID != user.ID && !seen[a.UserID] {
				seen[a.UserID] = true
				m.People = append(m.People, option{models.FormatID(a.UserID), a.User.DisplayName})
			}
		}
	}
	if m.Swaps, err = con.swapRows(ctx, user, names); err != nil {
		con.errorPage(c, err)
		return
	}
	if user.Can(models.ManageRoster) {
		if m.Admin, err = con.rosterAdmin(ctx, user, shifts, now, m.OnLeave); err != nil {
			con.errorPage(c, err)
			return
		}
	}
	con.render(c, http.StatusOK, "roster", &view{Title: "值班表 " + m.Month, Nav: "roster", Data: m})
}

// rosterAdmin lists the assignments not yet begun for an override, those during their person's
// leave first (so the form starts on one), and the staff who could take them.
func (con *Console) rosterAdmin(ctx context.Context, user *models.User, shifts []roster.Shift, now time.Time, onLeave map[int64]bool) (*rosterAdmin, error) {
	admin := &rosterAdmin{}
	loc := con.Store.Location()
	var flagged, others []option
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			if a.User == nil || !a.StartsAt.After(now) {
				continue
			}
			label := sh.StartsAt.In(loc).Format("01-02 15:04") + " " + sh.Name + " " + a.Role.Name() + " " + a.User.DisplayName
			if onLeave[a.ID] {
				flagged = append(flagged, option{models.FormatID(a.ID), label + "（请假，需顶岗）"})
			} else {
				others = append(others, option{models.FormatID(a.ID), label})
			}
		}
	}
	admin.Assignments = append(flagged, others...)
	for _, staff := range []struct {
		role  models.Role
		title string
	}{{models.RoleDutyOfficer, "值班员"}, {models.RoleLeader, "领导"}} {
		users, _, err := con.Store.Directory.Users(ctx, user, directory.UserFilter{Role: staff.role, Page: models.Page{Limit: models.MaxPageSize}})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if !u.Disabled {
				admin.Staff = append(admin.Staff, option{models.FormatID(u.ID), u.DisplayName + "（" + staff.title + "）"})
			}
		}
	}
	return admin, nil
}

// calendarWeeks lays the month's shifts out Monday to Sunday.
func calendarWeeks(first, now time.Time, shifts []roster.Shift, holidays []roster.CalendarDay) [][]calendarCell {
	loc := first.Location()
	off := map[string]string{}
	for _, h := range holidays {
		if h.Kind == roster.DayHoliday {
			off[h.Date] = h.Name
		}
	}
	var weeks [][]calendarCell
	week := make([]calendarCell, (int(first.Weekday())+6)%7) // pad to Monday
	for day := first; day.Month() == first.Month(); day = day.AddDate(0, 0, 1) {
		cell := calendarCell{Day: day.Day(), Holiday: off[day.Format(time.DateOnly)],
			Today: day.Year() == now.Year() && day.YearDay() == now.YearDay()}
		for _, sh := range shifts {
			if start := sh.StartsAt.In(loc); start.Year() == day.Year() && start.YearDay() == day.YearDay() {
				cell.Shifts = append(cell.Shifts, sh)
			}
		}
		week = append(week, cell)
		if len(week) == 7 {
			weeks, week = append(weeks, week), nil
		}
	}
	if len(week) > 0 {
		weeks = append(weeks, append(week, make([]calendarCell, 7-len(week))...))
	}
	return weeks
}

// swapRows lists the open swaps with the actions the viewer may take on each.
func (con *Console) swapRows(ctx context.Context, user *models.User, names map[int64]string) ([]swapRow, error) {
	var rows []swapRow
	for _, status := range []roster.SwapStatus{roster.SwapRequested, roster.SwapAccepted} {
		swaps, _, err := con.Store.Roster.Swaps(ctx, user, status, models.Page{})
		if err != nil {
			return nil, err
		}
		for _, sw := range swaps {
			r := swapRow{Swap: sw, Requester: nameOr(names, sw.RequesterID), Target: nameOr(names, sw.TargetID)}
			if sw.Status == roster.SwapRequested && sw.TargetID == user.ID {
				r.Actions = []option{{"accept", "同意"}, {"decline", "拒绝"}}
			}
			if sw.Status == roster.SwapAccepted {
				decides, err := con.Store.Roster.MayDecideSwap(ctx, user, &sw)
				if err != nil {
					return nil, err
				}
				if decides {
					r.Actions = []option{{"approve", "批准"}, {"reject", "驳回"}}
				}
			}
			if sw.RequesterID == user.ID {
				r.Actions = append(r.Actions, option{"cancel", "撤回"})
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func nameOr(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "用户" + models.FormatID(id)
}

// rosterReturn is the roster page of the month the form was posted from.
func rosterReturn(c *gin.Context) string {
	month := c.PostForm("month")
	if _, err := time.Parse("2006-01", month); err != nil {
		return "/console/roster"
	}
	return "/console/roster?month=" + month
}

// RequestSwap files a swap request from the roster page.
func (con *Console) RequestSwap(c *gin.Context) {
	assignmentID, _ := strconv.ParseInt(c.PostForm("assignment_id"), 10, 64)
	targetID, _ := strconv.ParseInt(c.PostForm("target_user_id"), 10, 64)
	_, err := con.Store.Roster.RequestSwap(c.Request.Context(), api.CurrentUser(c),
		roster.SwapInput{AssignmentID: assignmentID, TargetUserID: targetID, Reason: c.PostForm("reason")})
	con.done(c, rosterReturn(c), err, "调班申请已提交，等待对方同意")
}

// GenerateRoster fills the roster of the posted days from the rotations.
func (con *Console) GenerateRoster(c *gin.Context) {
	res, err := con.Store.Roster.GenerateRoster(c.Request.Context(), api.CurrentUser(c), roster.GenerateInput{From: c.PostForm("from"), To: c.PostForm("to")})
	var msg string
	if err == nil {
		msg = fmt.Sprintf("排班已生成：新建%d个班次，重排%d个，保留%d个，删除%d个", res.Created, res.Refilled, res.Kept, res.Removed)
		if len(res.Unfilled) > 0 {
			msg += fmt.Sprintf("；%d个岗位无人可排，请查看缺岗检查", len(res.Unfilled))
		}
	}
	con.done(c, rosterReturn(c), err, msg)
}

// ConfirmRoster confirms the shifts of the posted days, so that generation leaves them alone.
func (con *Console) ConfirmRoster(c *gin.Context) {
	loc := con.Store.Location()
	from, errFrom := time.ParseInLocation(time.DateOnly, c.PostForm("from"), loc)
	to, errTo := time.ParseInLocation(time.DateOnly, c.PostForm("to"), loc)
	if errFrom != nil || errTo != nil {
		con.done(c, rosterReturn(c), &models.Error{Code: models.EINVALID, Message: "日期应为 YYYY-MM-DD"}, "")
		return
	}
	n, err := con.Store.Roster.ConfirmShifts(c.Request.Context(), api.CurrentUser(c), from, to.AddDate(0, 0, 1))
	con.done(c, rosterReturn(c), err, fmt.Sprintf("已确认%d个班次", n))
}

// ReplaceAssignment puts another person in an assignment's place (an override).
func (con *Console) ReplaceAssignment(c *gin.Context) {
	assignmentID, _ := strconv.ParseInt(c.PostForm("assignment_id"), 10, 64)
	userID, _ := strconv.ParseInt(c.PostForm("user_id"), 10, 64)
	_, err := con.Store.Roster.ReplaceAssignment(c.Request.Context(), api.CurrentUser(c), assignmentID, userID)
	con.done(c, rosterReturn(c), err, "排班已调整")
}

// SwapAction runs one step of a swap's life and returns to the roster.
func (con *Console) SwapAction(step func(s *roster.Store, ctx context.Context, actor *models.User, id int64) (*roster.Swap, error), okText string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := api.PathID(c, "id")
		if err == nil {
			_, err = step(con.Store.Roster, c.Request.Context(), api.CurrentUser(c), id)
		}
		con.done(c, rosterReturn(c), err, okText)
	}
}
