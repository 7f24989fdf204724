package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models/roster"
)

// The duty log and handover page (值班日志 / 交接班): today's entries with a form to add one, the
// recent handovers with their open items, a form to hand over the current shift, and signing.

// dutyLogPage is the page's data.
type dutyLogPage struct {
	Entries   []roster.DutyLogEntry
	Handovers []roster.Handover
	// MyShift is the shift the viewer is on now as an officer (0: none), which a handover covers.
	MyShift int64
	OnShift bool
	Names   map[int64]string
}

// dutyLogWindow and handoverWindow are how far back the page looks.
const (
	dutyLogWindow  = 24 * time.Hour
	handoverWindow = 3 * 24 * time.Hour
)

func (con *Console) DutyLog(c *gin.Context) { con.showDutyLog(c, http.StatusOK, &view{}) }

func (con *Console) showDutyLog(c *gin.Context, status int, v *view) {
	user := api.CurrentUser(c)
	ctx := c.Request.Context()
	now := con.Store.Now()
	p := &dutyLogPage{Names: map[int64]string{}}
	var err error
	if p.Entries, err = con.Store.Roster.DutyLog(ctx, user, now.Add(-dutyLogWindow), now.Add(time.Minute)); err != nil {
		con.errorPage(c, err)
		return
	}
	if p.Handovers, err = con.Store.Roster.Handovers(ctx, user, now.Add(-handoverWindow), now.Add(time.Minute)); err != nil {
		con.errorPage(c, err)
		return
	}
	// The day ahead too, so that the incoming officers' names are known.
	shifts, err := con.Store.Roster.Roster(ctx, user, now.Add(-handoverWindow), now.Add(24*time.Hour))
	if err != nil {
		con.errorPage(c, err)
		return
	}
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			if a.User != nil {
				p.Names[a.UserID] = a.User.DisplayName
			}
			if a.UserID == user.ID && !sh.StartsAt.After(now) && now.Before(sh.EndsAt) {
				p.OnShift = true
				if a.Role != roster.DutyLeader {
					p.MyShift = sh.ID
				}
			}
		}
	}
	v.Title, v.Nav, v.Data = "值班日志与交接班", "dutylog", p
	con.render(c, status, "dutylog", v)
}

func (con *Console) AddDutyLogEntry(c *gin.Context) {
	in := roster.DutyLogInput{Source: c.PostForm("source"), Content: c.PostForm("content"), ActionTaken: c.PostForm("action_taken")}
	t, ok := con.localInput(c.PostForm("occurred_at"))
	if !ok {
		con.showDutyLog(c, http.StatusUnprocessableEntity, &view{Error: "输入有误，请检查标出的字段", Form: formValues(c),
			Errors: map[string]string{"occurred_at": "请按“年-月-日 时:分”填写"}})
		return
	}
	in.OccurredAt = t
	_, err := con.Store.Roster.AddDutyLogEntry(c.Request.Context(), api.CurrentUser(c), in)
	con.submitted(c, err, con.showDutyLog, "/console/dutylog", "已记入值班日志")
}

func (con *Console) SubmitHandover(c *gin.Context) {
	shiftID, _ := strconv.ParseInt(c.PostForm("shift_id"), 10, 64)
	in := roster.HandoverInput{ShiftID: shiftID, Summary: c.PostForm("summary"), Notes: c.PostForm("notes")}
	_, err := con.Store.Roster.SubmitHandover(c.Request.Context(), api.CurrentUser(c), in)
	con.submitted(c, err, con.showDutyLog, "/console/dutylog", "交接班已提交，等待接班人签收")
}

func (con *Console) SignHandover(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err == nil {
		_, err = con.Store.Roster.SignHandover(c.Request.Context(), api.CurrentUser(c), id)
	}
	con.done(c, "/console/dutylog", err, "已签收交接班")
}
