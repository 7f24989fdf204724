package api

import (
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/alert"
)

func (a *API) ListAlerts(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	f := alert.AlertFilter{Status: alert.AlertStatus(c.Query("status")), Type: alert.AlertType(c.Query("type")), Page: page}
	alerts, next, err := a.Store.Alerts.Alerts(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(alerts, next))
}

func (a *API) GetAlert(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	alert, err := a.Store.Alerts.Alert(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

func (a *API) IssueAlert(c *gin.Context) {
	var in alert.AlertInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	alert, err := a.Store.Alerts.IssueAlert(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, alert)
}

func (a *API) UpdateAlert(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in alert.AlertInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	alert, err := a.Store.Alerts.UpdateAlert(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

type liftRequest struct {
	Note string `json:"note"`
}

func (a *API) LiftAlert(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var req liftRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			RespondError(c, err)
			return
		}
	}
	alert, err := a.Store.Alerts.LiftAlert(c.Request.Context(), CurrentUser(c), id, req.Note)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

// PreviewAlert shows the instructions an alert of a type and level would carry if issued now.
func (a *API) PreviewAlert(c *gin.Context) {
	t, l := alert.AlertType(c.Query("type")), alert.AlertLevel(c.Query("level"))
	p := models.Problems{}
	if !t.Valid() {
		p.Add("type", "未知的预警类型")
	}
	if !l.Valid() {
		p.Add("level", "未知的预警级别")
	}
	if err := p.Err(); err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"title": alert.AlertTitle(t, l), "instructions": a.Store.Alerts.AlertInstructions(t, l)})
}

func (a *API) AlertStatus(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	rep, err := a.Store.Alerts.AlertStatus(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

type ackRequest struct {
	SchoolID int64 `json:"school_id"`
}

func (a *API) AcknowledgeAlert(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var req ackRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			RespondError(c, err)
			return
		}
	}
	st, err := a.Store.Alerts.AcknowledgeAlert(c.Request.Context(), CurrentUser(c), id, req.SchoolID)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (a *API) AlertSafety(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	rounds, err := a.Store.Alerts.SafetyRounds(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	out := make([]gin.H, len(rounds))
	for i := range rounds {
		out[i] = gin.H{"summary": rounds[i], "text": rounds[i].Text()}
	}
	c.JSON(http.StatusOK, gin.H{"alert_id": id, "rounds": out})
}

type safetyRequest struct {
	alert.SafetyReportInput
	SchoolID int64 `json:"school_id"`
}

func (a *API) FileSafetyReport(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var req safetyRequest
	if err := bindJSON(c, &req); err != nil {
		RespondError(c, err)
		return
	}
	rep, err := a.Store.Alerts.FileSafetyReport(c.Request.Context(), CurrentUser(c), id, req.SchoolID, req.SafetyReportInput)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// IngestCAP accepts a CAP 1.2 document as the body (application/xml) or as a multipart "file".
func (a *API) IngestCAP(c *gin.Context) {
	var raw []byte
	var err error
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		fh, ferr := c.FormFile("file")
		if ferr != nil {
			RespondError(c, bodyOrFieldError(ferr, "file", "请上传 CAP XML 文件（字段名 file）"))
			return
		}
		f, ferr := fh.Open()
		if ferr != nil {
			RespondError(c, ferr)
			return
		}
		defer f.Close()
		raw, err = io.ReadAll(f)
	} else {
		raw, err = io.ReadAll(c.Request.Body)
	}
	if err != nil {
		RespondError(c, BodyReadError(err))
		return
	}
	res, err := a.Store.Alerts.IngestCAP(c.Request.Context(), CurrentUser(c), raw)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
