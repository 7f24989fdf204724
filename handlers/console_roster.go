package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// The roster page: a month calendar of shifts, its gaps and conflicts, the swaps (调班) to act
// on, and the exports.

// rosterMonth is the roster page's data.
type rosterMonth struct {
	Month, Prev, Next string // YYYY-MM
	From, To          string // the month's first and last day, for the export links
	Weeks             [][]calendarCell
	Checks            *models.RosterChecks
	Swaps             []swapRow
	Mine              []option // my assignments this month, for a swap request
	People            []option // people on this month's roster, to swap with
	Empty             bool
}

// calendarCell is one day of the month calendar (Day 0 pads the first and last week).
type calendarCell struct {
	Day     int
	Today   bool
	Holiday string
	Shifts  []models.Shift
}

// swapRow is a swap with names, and which actions the viewer may take.
type swapRow struct {
	models.Swap
	Requester, Target, Shift string
	Actions                  []option // path suffix and label
}

func (con *console) roster(c *gin.Context) {
	user := currentUser(c)
	ctx := c.Request.Context()
	loc := con.store.Location()
	now := con.store.Now().In(loc)
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
	shifts, err := con.store.Roster(ctx, user, first, next)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	checks, err := con.store.CheckRoster(ctx, user, first, next)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	holidays, err := con.store.Holidays(ctx, user, first.Year())
	if err != nil {
		con.errorPage(c, err)
		return
	}
	m := &rosterMonth{Month: first.Format("2006-01"), Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: next.Format("2006-01"),
		From: first.Format(time.DateOnly), To: next.AddDate(0, 0, -1).Format(time.DateOnly), Checks: checks, Empty: len(shifts) == 0}
	m.Weeks = calendarWeeks(first, now, shifts, holidays)
	names := map[int64]string{}
	seen := map[int64]bool{}
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			if a.User == nil {
				continue
			}
			names[a.UserID] = a.User.DisplayName
			if a.UserID == user.ID && a.StartsAt.After(now) {
				m.Mine = append(m.Mine, option{models.FormatID(a.ID), sh.StartsAt.In(loc).Format("01-02 15:04") + " " + sh.Name + " " + dutyRoleNames[a.Role]})
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
	con.render(c, http.StatusOK, "roster", &view{Title: "值班表 " + m.Month, Nav: "roster", Data: m})
}

// calendarWeeks lays the month's shifts out Monday to Sunday.
func calendarWeeks(first, now time.Time, shifts []models.Shift, holidays []models.CalendarDay) [][]calendarCell {
	loc := first.Location()
	off := map[string]string{}
	for _, h := range holidays {
		if h.Kind == models.DayHoliday {
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
func (con *console) swapRows(ctx context.Context, user *models.User, names map[int64]string) ([]swapRow, error) {
	var rows []swapRow
	for _, status := range []models.SwapStatus{models.SwapRequested, models.SwapAccepted} {
		swaps, _, err := con.store.Swaps(ctx, user, status, models.Page{})
		if err != nil {
			return nil, err
		}
		for _, sw := range swaps {
			r := swapRow{Swap: sw, Requester: nameOr(names, sw.RequesterID), Target: nameOr(names, sw.TargetID)}
			if sw.Status == models.SwapRequested && sw.TargetID == user.ID {
				r.Actions = []option{{"accept", "同意"}, {"decline", "拒绝"}}
			}
			if sw.Status == models.SwapAccepted {
				decides, err := con.store.MayDecideSwap(ctx, user, &sw)
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

// requestSwap files a swap request from the roster page.
func (con *console) requestSwap(c *gin.Context) {
	assignmentID, _ := strconv.ParseInt(c.PostForm("assignment_id"), 10, 64)
	targetID, _ := strconv.ParseInt(c.PostForm("target_user_id"), 10, 64)
	_, err := con.store.RequestSwap(c.Request.Context(), currentUser(c),
		models.SwapInput{AssignmentID: assignmentID, TargetUserID: targetID, Reason: c.PostForm("reason")})
	con.done(c, "/console/roster?month="+c.PostForm("month"), err, "调班申请已提交，等待对方同意")
}

// swapAction runs one step of a swap's life and returns to the roster.
func (con *console) swapAction(step func(s *models.Store, ctx context.Context, actor *models.User, id int64) (*models.Swap, error), okText string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err == nil {
			_, err = step(con.store, c.Request.Context(), currentUser(c), id)
		}
		con.done(c, "/console/roster?month="+c.PostForm("month"), err, okText)
	}
}
