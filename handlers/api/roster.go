package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/roster"
)

func (a *API) GetRoster(c *gin.Context) {
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

func (a *API) RosterNow(c *gin.Context) {
	user := CurrentUser(c)
	od, err := a.Store.Roster.RosterNow(c.Request.Context(), user)
	if err != nil {
		RespondError(c, err)
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

func (a *API) RosterGaps(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	checks, err := a.Store.Roster.CheckRoster(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, checks)
}

// RosterFairness answers the fairness table (公平性统计) of the shifts beginning between from and to:
// each person's hours, nights, weekend and holiday shifts.
func (a *API) RosterFairness(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	rows, err := a.Store.Roster.Fairness(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(rows, 0))
}

func (a *API) GenerateRoster(c *gin.Context) {
	var in roster.GenerateInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	res, err := a.Store.Roster.GenerateRoster(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (a *API) ConfirmRoster(c *gin.Context) {
	var in struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	from, err := rangeFrom("from", in.From, a.Store.Location())
	if err != nil {
		RespondError(c, err)
		return
	}
	to, err := rangeTo("to", in.To, a.Store.Location())
	if err != nil {
		RespondError(c, err)
		return
	}
	n, err := a.Store.Roster.ConfirmShifts(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"confirmed": n})
}

func (a *API) ListShiftTemplates(c *gin.Context) {
	ts, err := a.Store.Roster.ShiftTemplates(c.Request.Context(), CurrentUser(c))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ts, 0))
}

func (a *API) CreateShiftTemplate(c *gin.Context) {
	var in roster.TemplateInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	t, err := a.Store.Roster.CreateShiftTemplate(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (a *API) UpdateShiftTemplate(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in roster.TemplateInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	t, err := a.Store.Roster.UpdateShiftTemplate(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (a *API) ListRotations(c *gin.Context) {
	rs, err := a.Store.Roster.Rotations(c.Request.Context(), CurrentUser(c))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rs)
}

func (a *API) SetRotation(c *gin.Context) {
	var in struct {
		UserIDs []int64 `json:"user_ids"`
	}
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	ms, err := a.Store.Roster.SetRotation(c.Request.Context(), CurrentUser(c), roster.RotationRole(c.Param("role")), in.UserIDs)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ms, 0))
}

func (a *API) ListLeaves(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	ls, err := a.Store.Roster.Leaves(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ls, 0))
}

func (a *API) CreateLeave(c *gin.Context) {
	var in roster.LeaveInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	l, err := a.Store.Roster.CreateLeave(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, l)
}

func (a *API) DeleteLeave(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	if err := a.Store.Roster.DeleteLeave(c.Request.Context(), CurrentUser(c), id); err != nil {
		RespondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) ListHolidays(c *gin.Context) {
	year := a.Store.Now().In(a.Store.Location()).Year()
	if raw := c.Query("year"); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil {
			RespondError(c, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{"year": "应为年份，如 2026"}})
			return
		}
		year = y
	}
	days, err := a.Store.Roster.Holidays(c.Request.Context(), CurrentUser(c), year)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(days, 0))
}

func (a *API) SetHoliday(c *gin.Context) {
	var in roster.HolidayInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	day, err := a.Store.Roster.SetHoliday(c.Request.Context(), CurrentUser(c), c.Param("date"), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, day)
}

func (a *API) ResetHoliday(c *gin.Context) {
	if err := a.Store.Roster.ResetHoliday(c.Request.Context(), CurrentUser(c), c.Param("date")); err != nil {
		RespondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) AddAssignment(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in roster.AssignmentInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	as, err := a.Store.Roster.AddAssignment(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, as)
}

func (a *API) ReplaceAssignment(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	as, err := a.Store.Roster.ReplaceAssignment(c.Request.Context(), CurrentUser(c), id, in.UserID)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, as)
}

func (a *API) RemoveAssignment(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	if err := a.Store.Roster.RemoveAssignment(c.Request.Context(), CurrentUser(c), id); err != nil {
		RespondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
