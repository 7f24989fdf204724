package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"dutydesk/models"
	"dutydesk/models/roster"
)

// feedPast and feedAhead bound what a subscribed calendar feed shows.
const (
	feedPast  = 31 * 24 * time.Hour
	feedAhead = 183 * 24 * time.Hour
)

var weekdays = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// ExportRosterXLSX writes the printable 值班表: one row per day with the day's leaders, officers
// and their phones, in the bureau's wall-clock time; and a second sheet, 公平性统计, with each
// person's hours, nights, weekend and holiday shifts (the fairness table).
func (a *API) ExportRosterXLSX(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	loc := a.Store.Location()
	user := CurrentUser(c)
	shifts, err := a.Store.Roster.Roster(c.Request.Context(), user, from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	firstDay := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day(), 0, 0, 0, 0, loc)
	holidays := map[string]string{}
	for y := firstDay.Year(); y <= to.In(loc).Year(); y++ {
		days, err := a.Store.Roster.Holidays(c.Request.Context(), user, y)
		if err != nil {
			RespondError(c, err)
			return
		}
		for _, d := range days {
			holidays[d.Date] = d.Name
		}
	}
	fairness, err := a.Store.Roster.Fairness(c.Request.Context(), user, from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	byDay := map[string][]roster.Shift{}
	for _, sh := range shifts {
		day := sh.StartsAt.In(loc).Format(time.DateOnly)
		byDay[day] = append(byDay[day], sh)
	}

	f := excelize.NewFile()
	defer f.Close()
	const sheet = "值班表"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		RespondError(c, err)
		return
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		RespondError(c, err)
		return
	}
	for col, width := range []float64{12, 8, 14, 28, 40, 48} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			RespondError(c, err)
			return
		}
	}
	lastDay := to.Add(-time.Nanosecond).In(loc)
	title := fmt.Sprintf("值班表（%s 至 %s）", firstDay.Format("2006年01月02日"), lastDay.Format("2006年01月02日"))
	if err := sw.MergeCell("A1", "F1"); err != nil {
		RespondError(c, err)
		return
	}
	rows := [][]any{{title}, {"日期", "星期", "节假日", "带班领导", "值班员", "联系电话"}}
	for d := firstDay; d.Before(to); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		leaders, officers, phones := dayColumns(byDay[key])
		rows = append(rows, []any{key, weekdays[d.Weekday()], holidays[key], leaders, officers, phones})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			RespondError(c, err)
			return
		}
	}
	if err := sw.Flush(); err != nil {
		RespondError(c, err)
		return
	}
	if err := writeFairnessSheet(f, fairness, firstDay, lastDay); err != nil {
		RespondError(c, err)
		return
	}
	name := fmt.Sprintf("值班表_%s_%s.xlsx", firstDay.Format("20060102"), lastDay.Format("20060102"))
	c.Header("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	c.Status(http.StatusOK)
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if err := f.Write(c.Writer); err != nil {
		slog.ErrorContext(c.Request.Context(), "write xlsx", "err", err, "request_id", RequestID(c))
	}
}

// fairnessSheet is the export's second sheet.
const fairnessSheet = "公平性统计"

// writeFairnessSheet adds the fairness table to the workbook: one row per person.
func writeFairnessSheet(f *excelize.File, rows []roster.FairnessRow, firstDay, lastDay time.Time) error {
	if _, err := f.NewSheet(fairnessSheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(fairnessSheet)
	if err != nil {
		return err
	}
	for col, width := range []float64{16, 12, 16, 8, 10, 12, 10} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return err
		}
	}
	if err := sw.MergeCell("A1", "G1"); err != nil {
		return err
	}
	title := fmt.Sprintf("公平性统计（%s 至 %s）", firstDay.Format("2006年01月02日"), lastDay.Format("2006年01月02日"))
	lines := [][]any{{title}, {"姓名", "轮值", "值班时长（小时）", "夜班", "周末班次", "节假日班次", "班次合计"}}
	for _, r := range rows {
		rotation := "不在轮值表"
		if r.Rotation != "" {
			rotation = r.Rotation.Name()
		}
		lines = append(lines, []any{r.Name, rotation, r.Hours, r.Nights, r.Weekends, r.Holidays, r.Shifts})
	}
	for i, line := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, line); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// dayColumns renders one day's shifts as the leader, officer and phone columns: "白班 张三；夜班 李四".
func dayColumns(shifts []roster.Shift) (leaders, officers, phones string) {
	var ls, os, ps []string
	seen := map[int64]bool{}
	for _, sh := range shifts {
		var shiftLeaders, shiftOfficers []string
		for _, as := range sh.Assignments {
			if as.User == nil {
				continue
			}
			if as.Role == roster.DutyLeader {
				shiftLeaders = append(shiftLeaders, as.User.DisplayName)
			} else {
				shiftOfficers = append(shiftOfficers, as.User.DisplayName)
			}
			if !seen[as.UserID] && as.User.Mobile != "" {
				seen[as.UserID] = true
				ps = append(ps, as.User.DisplayName+" "+as.User.Mobile)
			}
		}
		if len(shiftLeaders) > 0 {
			ls = append(ls, sh.Name+" "+strings.Join(shiftLeaders, "、"))
		}
		if len(shiftOfficers) > 0 {
			os = append(os, sh.Name+" "+strings.Join(shiftOfficers, "、"))
		}
	}
	return strings.Join(ls, "；"), strings.Join(os, "；"), strings.Join(ps, "；")
}

// ExportRosterICS serves the whole roster of ?from=&to= as an ICS file.
func (a *API) ExportRosterICS(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	shifts, err := a.Store.Roster.Roster(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	a.writeICS(c, "值班表", shifts, nil)
}

// CreateCalendarFeed makes the caller's secret subscription URLs (replacing any earlier ones).
func (a *API) CreateCalendarFeed(c *gin.Context) {
	token, err := a.Store.Roster.NewCalendarFeed(c.Request.Context(), CurrentUser(c))
	if err != nil {
		RespondError(c, err)
		return
	}
	base := strings.TrimRight(a.Config.BaseURL, "/") + "/api/v1/roster/feeds/" + token + ".ics"
	c.JSON(http.StatusCreated, gin.H{"personal_url": base, "roster_url": base + "?scope=all"})
}

// CalendarFeed serves a secret feed without login: the owner's shifts, or with ?scope=all the
// whole roster, from a month back to half a year ahead.
func (a *API) CalendarFeed(c *gin.Context) {
	ctx := c.Request.Context()
	owner, err := a.Store.Roster.CalendarFeedOwner(ctx, strings.TrimSuffix(c.Param("token"), ".ics"))
	if err != nil {
		RespondError(c, err)
		return
	}
	now := a.Store.Now()
	from, to := now.Add(-feedPast), now.Add(feedAhead)
	if c.Query("scope") == "all" {
		shifts, err := a.Store.Roster.Roster(ctx, owner, from, to)
		if err != nil {
			RespondError(c, err)
			return
		}
		a.writeICS(c, "值班表", shifts, nil)
		return
	}
	shifts, err := a.Store.Roster.PersonalRoster(ctx, owner, from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	a.writeICS(c, "我的值班 - "+owner.DisplayName, shifts, owner)
}

// writeICS renders shifts as a calendar: one event per shift, or, for a person, one per shift of
// theirs titled with their role. Times are written in UTC (Z): golang-ical's TZID output is broken,
// and UTC is unambiguous in every calendar app.
func (a *API) writeICS(c *gin.Context, name string, shifts []roster.Shift, person *models.User) {
	loc := a.Store.Location()
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//DutyDesk//Roster//ZH")
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetRefreshInterval("PT1H")
	stamp := a.Store.Now()
	host := strings.TrimPrefix(strings.TrimPrefix(a.Config.BaseURL, "https://"), "http://")
	for _, sh := range shifts {
		var people []string
		title := "值班：" + sh.Name
		for _, as := range sh.Assignments {
			if as.User == nil {
				continue
			}
			people = append(people, as.Role.Name()+" "+as.User.DisplayName+" "+as.User.Mobile)
			if person != nil && as.UserID == person.ID {
				title = as.Role.Name() + "：" + sh.Name
			}
		}
		uid := fmt.Sprintf("shift-%d@%s", sh.ID, host)
		if person != nil {
			uid = fmt.Sprintf("shift-%d-user-%d@%s", sh.ID, person.ID, host)
		}
		e := cal.AddEvent(uid)
		e.SetDtStampTime(stamp)
		e.SetStartAt(sh.StartsAt)
		e.SetEndAt(sh.EndsAt)
		if sh.Holiday != "" {
			title += "（" + sh.Holiday + "）"
		}
		e.SetSummary(title)
		e.SetDescription(fmt.Sprintf("%s %s–%s\n%s", sh.Name, sh.StartsAt.In(loc).Format("2006-01-02 15:04"),
			sh.EndsAt.In(loc).Format("2006-01-02 15:04"), strings.Join(people, "\n")))
	}
	c.Header("Content-Type", "text/calendar; charset=utf-8")
	c.String(http.StatusOK, cal.Serialize(ics.WithNewLineWindows))
}
