package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/incident"
)

// IncidentCategories answers the categories with their subtypes and the severities, for forms.
func (a *API) IncidentCategories(c *gin.Context) {
	type severity struct {
		Value incident.Severity `json:"value"`
		Name  string            `json:"name"`
	}
	var severities []severity
	for s := incident.SeverityI; s <= incident.SeverityIV; s++ {
		severities = append(severities, severity{s, s.Name()})
	}
	c.JSON(http.StatusOK, gin.H{"categories": incident.Categories, "severities": severities})
}

func (a *API) ListIncidents(c *gin.Context) {
	f, err := IncidentFilter(c, a.Store.Location())
	if err != nil {
		RespondError(c, err)
		return
	}
	items, next, total, err := a.Store.Incidents.Incidents(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	list := newList(items, next)
	list.Total = &total
	c.JSON(http.StatusOK, list)
}

// IncidentFilter reads ?q=&status=&school_id=&district_id=&category=&severity=&from=&to=&overdue=&limit=&cursor=;
// from and to are read by the API's one time rule (ParseTimeOrDate) with dates in loc.
func IncidentFilter(c *gin.Context, loc *time.Location) (incident.IncidentFilter, error) {
	var f incident.IncidentFilter
	var err error
	bad := func(field, msg string) error {
		return &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{field: msg}}
	}
	if f.Page, err = queryPage(c); err != nil {
		return f, err
	}
	f.Query = strings.TrimSpace(c.Query("q"))
	if f.SchoolID, err = queryInt64(c, "school_id"); err != nil {
		return f, err
	}
	if f.DistrictID, err = queryInt64(c, "district_id"); err != nil {
		return f, err
	}
	if f.From, f.To, err = queryTimeRange(c, loc); err != nil {
		return f, err
	}
	switch status := incident.IncidentStatus(c.Query("status")); status {
	case "", incident.IncidentDraft, incident.IncidentOpen, incident.IncidentResolved, incident.IncidentClosed:
		f.Status = status
	default:
		return f, bad("status", "应为 draft、open、resolved 或 closed")
	}
	if raw := c.Query("category"); raw != "" {
		cat, ok := incident.ParseCategory(raw)
		if !ok {
			return f, bad("category", "未知的事件类别")
		}
		f.Category = cat
	}
	sev, err := queryInt64(c, "severity")
	if err != nil {
		return f, err
	}
	if f.Severity = incident.Severity(sev); sev != 0 && !f.Severity.Valid() {
		return f, bad("severity", "应为1到4")
	}
	switch c.Query("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		return f, bad("overdue", "应为 true 或 false")
	}
	return f, nil
}

func (a *API) GetIncident(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Incidents.IncidentDetail(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// CreateIncident files an incident with its initial report (or saves both as a draft) and answers
// the incident with its timeline.
func (a *API) CreateIncident(c *gin.Context) {
	var in incident.ReportInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Incidents.CreateIncident(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

// RecordPhoneIntake takes down an initial report from a phone call on behalf of a school.
func (a *API) RecordPhoneIntake(c *gin.Context) {
	var in incident.PhoneReportInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	user := CurrentUser(c)
	inc, _, err := a.Store.Incidents.RecordPhoneReport(c.Request.Context(), user, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	a.respondIncident(c, user, inc.ID, http.StatusCreated)
}

func (a *API) respondIncident(c *gin.Context, user *models.User, id int64, status int) {
	d, err := a.Store.Incidents.IncidentDetail(c.Request.Context(), user, id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(status, d)
}

// newReport is the body of POST /incidents/{id}/reports: the kind, then the report's fields.
type newReport struct {
	Kind incident.ReportKind `json:"kind"`
	incident.ReportInput
}

func (a *API) FileReport(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in newReport
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	r, err := a.Store.Incidents.FileReport(c.Request.Context(), CurrentUser(c), id, in.Kind, in.ReportInput)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

// UpdateDraft changes a draft report; submitDraft changes (with an optional body) and submits it.
func (a *API) UpdateDraft(c *gin.Context) { a.changeDraft(c, false) }

func (a *API) SubmitDraft(c *gin.Context) { a.changeDraft(c, true) }

func (a *API) changeDraft(c *gin.Context, submit bool) {
	id, reportID, err := ReportPath(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	var in incident.ReportInput
	if c.Request.ContentLength != 0 || !submit {
		if err := bindJSON(c, &in); err != nil {
			RespondError(c, err)
			return
		}
	}
	r, err := a.Store.Incidents.UpdateDraft(c.Request.Context(), CurrentUser(c), id, reportID, in, submit)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// SignReport signs for a report and answers it with the incident (which now has its serial).
func (a *API) SignReport(c *gin.Context) {
	id, reportID, err := ReportPath(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	r, inc, err := a.Store.Incidents.SignReport(c.Request.Context(), CurrentUser(c), id, reportID)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"report": r, "incident": inc})
}

func (a *API) ForwardReport(c *gin.Context) {
	id, reportID, err := ReportPath(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	var in incident.ForwardInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	f, err := a.Store.Incidents.ForwardReport(c.Request.Context(), CurrentUser(c), id, reportID, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, f)
}

// ResolveIncident marks an open incident handled (处置完毕) for the desk, at the body's
// resolved_at or now: the final report falls due from then.
func (a *API) ResolveIncident(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	// resolved_at is read as text so that a malformed time is refused naming the field.
	var in struct {
		ResolvedAt *string `json:"resolved_at"`
	}
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	var at *time.Time
	if in.ResolvedAt != nil {
		t, _, err := ParseTimeOrDate("resolved_at", *in.ResolvedAt, a.Store.Location()) // one rule for times
		if err != nil {
			RespondError(c, err)
			return
		}
		if !t.IsZero() {
			at = &t
		}
	}
	d, err := a.Store.Incidents.ResolveIncident(c.Request.Context(), CurrentUser(c), id, at)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// ReopenIncident reopens a resolved incident for the desk, giving the body's reason: follow-ups
// fall due again and the final report no longer does.
func (a *API) ReopenIncident(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Incidents.ReopenIncident(c.Request.Context(), CurrentUser(c), id, in.Reason)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (a *API) AddInstruction(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in incident.InstructionInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	ins, err := a.Store.Incidents.AddInstruction(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, ins)
}

func (a *API) ReplyInstruction(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	instructionID, err := PathID(c, "instruction_id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in incident.ReplyInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	ins, err := a.Store.Incidents.ReplyInstruction(c.Request.Context(), CurrentUser(c), id, instructionID, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, ins)
}
