package handlers

import (
	"dutydesk/models/roster"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// queryRange reads the required ?from=&to= of roster reads: RFC 3339 times, or days (YYYY-MM-DD,
// bureau zone) where to is inclusive.
func (a *api) queryRange(c *gin.Context) (time.Time, time.Time, error) {
	loc := a.store.Location()
	read := func(name string, dayEnd bool) (time.Time, error) {
		raw := c.Query(name)
		if day, err := time.ParseInLocation(time.DateOnly, raw, loc); err == nil {
			if dayEnd {
				day = day.AddDate(0, 0, 1)
			}
			return day, nil
		}
		t, err := queryTime(c, name)
		if err == nil && t.IsZero() {
			err = &models.Error{Code: models.EINVALID, Message: "查询参数有误", Fields: map[string]string{name: "必填，RFC 3339 时间或 YYYY-MM-DD 日期"}}
		}
		return t, err
	}
	from, err := read("from", false)
	if err != nil {
		return from, from, err
	}
	to, err := read("to", true)
	return from, to, err
}

func (a *api) getRoster(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	shifts, err := a.store.Roster.Roster(c.Request.Context(), currentUser(c), from, to)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(shifts, 0))
}

// dutyPerson is someone on duty as /roster/now shows them: staff see the e-mail too.
type dutyPerson struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	Email  string `json:"email,omitempty"`
}

func newDutyPerson(u *models.User, withEmail bool) dutyPerson {
	p := dutyPerson{ID: u.ID, Name: u.DisplayName, Mobile: u.Mobile}
	if withEmail {
		p.Email = u.Email
	}
	return p
}

func (a *api) rosterNow(c *gin.Context) {
	user := currentUser(c)
	od, err := a.store.Roster.RosterNow(c.Request.Context(), user)
	if err != nil {
		respondError(c, err)
		return
	}
	staff := user.Can(models.ReadRoster)
	out := struct {
		At       time.Time    `json:"at"`
		Leader   *dutyPerson  `json:"leader"`
		Officers []dutyPerson `json:"officers"`
		EndsAt   *time.Time   `json:"ends_at"`
	}{At: od.At, Officers: []dutyPerson{}}
	if od.Leader != nil {
		p := newDutyPerson(od.Leader, staff)
		out.Leader = &p
	}
	for _, o := range od.Officers {
		out.Officers = append(out.Officers, newDutyPerson(o, staff))
	}
	if !od.EndsAt.IsZero() {
		out.EndsAt = &od.EndsAt
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) rosterGaps(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	checks, err := a.store.Roster.CheckRoster(c.Request.Context(), currentUser(c), from, to)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, checks)
}

func (a *api) generateRoster(c *gin.Context) {
	var in roster.GenerateInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	res, err := a.store.Roster.GenerateRoster(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (a *api) confirmRoster(c *gin.Context) {
	var in struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	}
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	n, err := a.store.Roster.ConfirmShifts(c.Request.Context(), currentUser(c), in.From, in.To)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"confirmed": n})
}

func (a *api) listShiftTemplates(c *gin.Context) {
	ts, err := a.store.Roster.ShiftTemplates(c.Request.Context(), currentUser(c))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ts, 0))
}

func (a *api) createShiftTemplate(c *gin.Context) {
	var in roster.TemplateInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	t, err := a.store.Roster.CreateShiftTemplate(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (a *api) updateShiftTemplate(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in roster.TemplateInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	t, err := a.store.Roster.UpdateShiftTemplate(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (a *api) listRotations(c *gin.Context) {
	rs, err := a.store.Roster.Rotations(c.Request.Context(), currentUser(c))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rs)
}

func (a *api) setRotation(c *gin.Context) {
	var in struct {
		UserIDs []int64 `json:"user_ids"`
	}
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	ms, err := a.store.Roster.SetRotation(c.Request.Context(), currentUser(c), roster.RotationRole(c.Param("role")), in.UserIDs)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ms, 0))
}

func (a *api) listLeaves(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	ls, err := a.store.Roster.Leaves(c.Request.Context(), currentUser(c), from, to)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ls, 0))
}

func (a *api) createLeave(c *gin.Context) {
	var in roster.LeaveInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	l, err := a.store.Roster.CreateLeave(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, l)
}

func (a *api) deleteLeave(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	if err := a.store.Roster.DeleteLeave(c.Request.Context(), currentUser(c), id); err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) listHolidays(c *gin.Context) {
	year := a.store.Now().In(a.store.Location()).Year()
	if raw := c.Query("year"); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil {
			respondError(c, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{"year": "应为年份，如 2026"}})
			return
		}
		year = y
	}
	days, err := a.store.Roster.Holidays(c.Request.Context(), currentUser(c), year)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(days, 0))
}

func (a *api) setHoliday(c *gin.Context) {
	var in roster.HolidayInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	day, err := a.store.Roster.SetHoliday(c.Request.Context(), currentUser(c), c.Param("date"), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, day)
}

func (a *api) resetHoliday(c *gin.Context) {
	if err := a.store.Roster.ResetHoliday(c.Request.Context(), currentUser(c), c.Param("date")); err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) addAssignment(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in roster.AssignmentInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	as, err := a.store.Roster.AddAssignment(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, as)
}

func (a *api) replaceAssignment(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	as, err := a.store.Roster.ReplaceAssignment(c.Request.Context(), currentUser(c), id, in.UserID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, as)
}

func (a *api) removeAssignment(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	if err := a.store.Roster.RemoveAssignment(c.Request.Context(), currentUser(c), id); err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
