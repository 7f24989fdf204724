package handlers

import (
	"dutydesk/models/incident"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// incidentCategories answers the categories with their subtypes and the severities, for forms.
func (a *api) incidentCategories(c *gin.Context) {
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

func (a *api) listIncidents(c *gin.Context) {
	f, err := incidentFilter(c)
	if err != nil {
		respondError(c, err)
		return
	}
	items, next, total, err := a.store.Incidents.Incidents(c.Request.Context(), currentUser(c), f)
	if err != nil {
		respondError(c, err)
		return
	}
	list := newList(items, next)
	list.Total = &total
	c.JSON(http.StatusOK, list)
}

// incidentFilter reads ?status=&school_id=&district_id=&category=&severity=&from=&to=&overdue=&limit=&cursor=.
func incidentFilter(c *gin.Context) (incident.IncidentFilter, error) {
	var f incident.IncidentFilter
	var err error
	bad := func(field, msg string) error {
		return &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{field: msg}}
	}
	if f.Page, err = queryPage(c); err != nil {
		return f, err
	}
	if f.SchoolID, err = queryInt64(c, "school_id"); err != nil {
		return f, err
	}
	if f.DistrictID, err = queryInt64(c, "district_id"); err != nil {
		return f, err
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
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

func (a *api) getIncident(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	d, err := a.store.Incidents.IncidentDetail(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// createIncident files an incident with its initial report (or saves both as a draft) and answers
// the incident with its timeline.
func (a *api) createIncident(c *gin.Context) {
	var in incident.ReportInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	d, err := a.store.Incidents.CreateIncident(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

// recordPhoneIntake takes down an initial report from a phone call on behalf of a school.
func (a *api) recordPhoneIntake(c *gin.Context) {
	var in incident.PhoneReportInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	user := currentUser(c)
	inc, _, err := a.store.Incidents.RecordPhoneReport(c.Request.Context(), user, in)
	if err != nil {
		respondError(c, err)
		return
	}
	a.respondIncident(c, user, inc.ID, http.StatusCreated)
}

func (a *api) respondIncident(c *gin.Context, user *models.User, id int64, status int) {
	d, err := a.store.Incidents.IncidentDetail(c.Request.Context(), user, id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(status, d)
}

// newReport is the body of POST /incidents/{id}/reports: the kind, then the report's fields.
type newReport struct {
	Kind incident.ReportKind `json:"kind"`
	incident.ReportInput
}

func (a *api) fileReport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in newReport
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	r, err := a.store.Incidents.FileReport(c.Request.Context(), currentUser(c), id, in.Kind, in.ReportInput)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

// updateDraft changes a draft report; submitDraft changes (with an optional body) and submits it.
func (a *api) updateDraft(c *gin.Context) { a.changeDraft(c, false) }
func (a *api) submitDraft(c *gin.Context) { a.changeDraft(c, true) }

func (a *api) changeDraft(c *gin.Context, submit bool) {
	id, reportID, err := reportPath(c)
	if err != nil {
		respondError(c, err)
		return
	}
	var in incident.ReportInput
	if c.Request.ContentLength != 0 || !submit {
		if err := bindJSON(c, &in); err != nil {
			respondError(c, err)
			return
		}
	}
	r, err := a.store.Incidents.UpdateDraft(c.Request.Context(), currentUser(c), id, reportID, in, submit)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// signReport signs for a report and answers it with the incident (which now has its serial).
func (a *api) signReport(c *gin.Context) {
	id, reportID, err := reportPath(c)
	if err != nil {
		respondError(c, err)
		return
	}
	r, inc, err := a.store.Incidents.SignReport(c.Request.Context(), currentUser(c), id, reportID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"report": r, "incident": inc})
}

func (a *api) forwardReport(c *gin.Context) {
	id, reportID, err := reportPath(c)
	if err != nil {
		respondError(c, err)
		return
	}
	var in incident.ForwardInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	f, err := a.store.Incidents.ForwardReport(c.Request.Context(), currentUser(c), id, reportID, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, f)
}

func (a *api) addInstruction(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in incident.InstructionInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	ins, err := a.store.Incidents.AddInstruction(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, ins)
}

func (a *api) replyInstruction(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	instructionID, err := pathID(c, "instruction_id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in incident.ReplyInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	ins, err := a.store.Incidents.ReplyInstruction(c.Request.Context(), currentUser(c), id, instructionID, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, ins)
}
