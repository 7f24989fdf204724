package console

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/models/alert"
)

// The warning pages: the list, issuing with a preview of the message, one warning with its
// acknowledgement per school and its safety-report summaries, updating and lifting.

var (
	alertTypeOptions = []option{
		{string(alert.AlertRainstorm), alert.AlertRainstorm.Name()}, {string(alert.AlertTyphoon), alert.AlertTyphoon.Name()},
		{string(alert.AlertHeat), alert.AlertHeat.Name()}, {string(alert.AlertThunderGale), alert.AlertThunderGale.Name()},
		{string(alert.AlertFlood), alert.AlertFlood.Name()}, {string(alert.AlertGeological), alert.AlertGeological.Name()},
	}
	alertLevelOptions = []option{
		{string(alert.LevelBlue), alert.LevelBlue.Name()}, {string(alert.LevelYellow), alert.LevelYellow.Name()},
		{string(alert.LevelOrange), alert.LevelOrange.Name()}, {string(alert.LevelRed), alert.LevelRed.Name()},
	}
)

// alertsPage is the list's data.
type alertsPage struct {
	Items     []alert.Alert
	CanIssue  bool
	Districts []option
	Types     []option
	Levels    []option
}

func (con *Console) Alerts(c *gin.Context) { con.showAlerts(c, http.StatusOK, &view{}) }

func (con *Console) showAlerts(c *gin.Context, status int, v *view) {
	user := api.CurrentUser(c)
	items, _, err := con.Store.Alerts.Alerts(c.Request.Context(), user, alert.AlertFilter{Page: models.Page{Limit: 200}})
	if err != nil {
		con.errorPage(c, err)
		return
	}
	p := &alertsPage{Items: items, CanIssue: user.Can(models.IssueAlerts), Types: alertTypeOptions, Levels: alertLevelOptions}
	if p.CanIssue {
		districts, err := con.Store.Directory.Districts(c.Request.Context())
		if err != nil {
			con.errorPage(c, err)
			return
		}
		for _, d := range districts {
			p.Districts = append(p.Districts, option{models.FormatID(d.ID), d.Name})
		}
	}
	// Newest first reads better on a desk.
	for i, j := 0, len(p.Items)-1; i < j; i, j = i+1, j-1 {
		p.Items[i], p.Items[j] = p.Items[j], p.Items[i]
	}
	v.Title, v.Nav, v.Data = "预警", "alerts", p
	con.render(c, status, "alerts", v)
}

// alertInputFromForm reads the issue/update form into the API's input; empty fields stay unset.
func alertInputFromForm(c *gin.Context) (alert.AlertInput, models.Problems) {
	form := formValues(c)
	var in alert.AlertInput
	p := models.Problems{}
	set := func(name string) *string {
		if v := form.Get(name); v != "" {
			return &v
		}
		return nil
	}
	in.Type, in.Level, in.Headline, in.Instructions = set("type"), set("level"), set("headline"), set("instructions")
	if _, ok := form["region"]; ok {
		whole := form.Get("region") == "city"
		in.WholeCity = &whole
		if !whole {
			ids := []int64{}
			for _, raw := range form["district_ids"] {
				id, err := strconv.ParseInt(raw, 10, 64)
				if err != nil {
					p.Add("district_ids", "请选择区县")
				}
				ids = append(ids, id)
			}
			in.DistrictIDs = &ids
		}
	}
	return in, p
}

func (con *Console) IssueAlert(c *gin.Context) {
	in, p := alertInputFromForm(c)
	err := p.Err()
	path := "/console/alerts"
	if err == nil {
		var a *alert.Alert
		if a, err = con.Store.Alerts.IssueAlert(c.Request.Context(), api.CurrentUser(c), in); err == nil {
			path += "/" + models.FormatID(a.ID)
		}
	}
	con.submitted(c, err, con.showAlerts, path, "预警已发布，正在通知各校")
}

// alertPage is one warning's data.
type alertPage struct {
	*alert.AlertDetail
	Acks     *alert.AlertProgress
	Safety   []alert.SafetySummary
	CanIssue bool
	Levels   []option
}

func (con *Console) Alert(c *gin.Context) { con.showAlert(c, http.StatusOK, &view{}) }

func (con *Console) showAlert(c *gin.Context, status int, v *view) {
	user := api.CurrentUser(c)
	ctx := c.Request.Context()
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	p := &alertPage{CanIssue: user.Can(models.IssueAlerts), Levels: alertLevelOptions}
	if p.AlertDetail, err = con.Store.Alerts.Alert(ctx, user, id); err == nil {
		if p.Acks, err = con.Store.Alerts.AlertProgress(ctx, user, id); err == nil {
			p.Safety, err = con.Store.Alerts.SafetyRounds(ctx, user, id)
		}
	}
	if err != nil {
		con.errorPage(c, err)
		return
	}
	v.Title, v.Nav, v.Data = p.Title(), "alerts", p
	con.render(c, status, "alert", v)
}

func (con *Console) UpdateAlert(c *gin.Context) {
	in, p := alertInputFromForm(c)
	id, err := api.PathID(c, "id")
	if err == nil {
		err = p.Err()
	}
	if err == nil {
		_, err = con.Store.Alerts.UpdateAlert(c.Request.Context(), api.CurrentUser(c), id, in)
	}
	con.submitted(c, err, con.showAlert, "/console/alerts/"+models.FormatID(id), "预警已更新，正在通知各校")
}

func (con *Console) LiftAlert(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err == nil {
		_, err = con.Store.Alerts.LiftAlert(c.Request.Context(), api.CurrentUser(c), id, c.PostForm("note"))
	}
	con.done(c, "/console/alerts/"+models.FormatID(id), err, "预警已解除")
}
