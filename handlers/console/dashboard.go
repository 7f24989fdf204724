package console

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/escalation"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
)

// dashboard is the desk's one screen: who is on duty now and next, what is awaited (with live
// countdowns), the active warnings with their acknowledgement progress, and today's escalations.
type dashboard struct {
	Now, Next   *roster.OnDuty
	Deadlines   []incident.OpenDeadlineItem
	Alerts      []alertProgress
	Escalations []escalation.EscalationRecord
}

// alertProgress is an active warning with its acknowledgement count and its silent schools.
type alertProgress struct {
	alert.Alert
	Progress       *alert.AlertProgress
	Unacknowledged int
	Silent         []string
	// MoreSilent counts the silent schools not named on the dashboard.
	MoreSilent int
}

// maxSilentNamed bounds the silent schools named per alert on the dashboard; the alert's page lists all.
const maxSilentNamed = 30

func (con *Console) Dashboard(c *gin.Context) {
	user := api.CurrentUser(c)
	if !user.Can(models.ReadRoster) {
		c.Redirect(http.StatusSeeOther, home(user))
		return
	}
	ctx := c.Request.Context()
	d := &dashboard{}
	var err error
	if d.Now, err = con.Store.Roster.RosterNow(ctx, user); err != nil {
		con.errorPage(c, err)
		return
	}
	if !d.Now.EndsAt.IsZero() {
		if d.Next, err = con.Store.Roster.OnDuty(ctx, d.Now.EndsAt); err != nil {
			con.errorPage(c, err)
			return
		}
	}
	if d.Deadlines, err = con.Store.Incidents.OpenDeadlines(ctx, user, incident.OpenDeadlineFilter{IncidentsOnly: true, Limit: 100}); err != nil {
		con.errorPage(c, err)
		return
	}
	alerts, _, err := con.Store.Alerts.Alerts(ctx, user, alert.AlertFilter{Status: alert.AlertActive})
	if err != nil {
		con.errorPage(c, err)
		return
	}
	for _, a := range alerts {
		progress, err := con.Store.Alerts.AlertProgress(ctx, user, a.ID)
		if err != nil {
			con.errorPage(c, err)
			return
		}
		ap := alertProgress{Alert: a, Progress: progress, Unacknowledged: progress.Schools - progress.Acknowledged}
		for _, s := range progress.PerSchool {
			if s.AcknowledgedAt != nil {
				continue
			}
			if len(ap.Silent) < maxSilentNamed {
				ap.Silent = append(ap.Silent, s.School)
			} else {
				ap.MoreSilent++
			}
		}
		d.Alerts = append(d.Alerts, ap)
	}
	now := con.Store.Now().In(con.Store.Location())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	d.Escalations, _, err = con.Store.Escalation.Escalations(ctx, user, escalation.EscalationFilter{From: today, To: today.AddDate(0, 0, 1)})
	if err != nil {
		con.errorPage(c, err)
		return
	}
	con.render(c, http.StatusOK, "dashboard", &view{Title: "值班台", Nav: "dashboard", Data: d})
}
