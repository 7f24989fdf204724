package handlers

import (
	"dutydesk/models/alert"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

func (a *api) listAlerts(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := alert.AlertFilter{Status: alert.AlertStatus(c.Query("status")), Type: alert.AlertType(c.Query("type")), Page: page}
	alerts, next, err := a.store.Alerts.Alerts(c.Request.Context(), currentUser(c), f)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(alerts, next))
}

func (a *api) getAlert(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	alert, err := a.store.Alerts.Alert(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

func (a *api) issueAlert(c *gin.Context) {
	var in alert.AlertInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	alert, err := a.store.Alerts.IssueAlert(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, alert)
}

func (a *api) updateAlert(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in alert.AlertInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	alert, err := a.store.Alerts.UpdateAlert(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

type liftRequest struct {
	Note string `json:"note"`
}

func (a *api) liftAlert(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var req liftRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	alert, err := a.store.Alerts.LiftAlert(c.Request.Context(), currentUser(c), id, req.Note)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, alert)
}

// previewAlert shows the instructions an alert of a type and level would carry if issued now.
func (a *api) previewAlert(c *gin.Context) {
	t, l := alert.AlertType(c.Query("type")), alert.AlertLevel(c.Query("level"))
	p := models.Problems{}
	if !t.Valid() {
		p.Add("type", "未知的预警类型")
	}
	if !l.Valid() {
		p.Add("level", "未知的预警级别")
	}
	if err := p.Err(); err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"title": alert.AlertTitle(t, l), "instructions": a.store.Alerts.AlertInstructions(t, l)})
}

func (a *api) alertStatus(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	rep, err := a.store.Alerts.AlertStatus(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

type ackRequest struct {
	SchoolID int64 `json:"school_id"`
}

func (a *api) acknowledgeAlert(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var req ackRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	st, err := a.store.Alerts.AcknowledgeAlert(c.Request.Context(), currentUser(c), id, req.SchoolID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (a *api) alertSafety(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	rounds, err := a.store.Alerts.SafetyRounds(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
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

func (a *api) fileSafetyReport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var req safetyRequest
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	rep, err := a.store.Alerts.FileSafetyReport(c.Request.Context(), currentUser(c), id, req.SchoolID, req.SafetyReportInput)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// ingestCAP accepts a CAP 1.2 document as the body (application/xml) or as a multipart "file".
func (a *api) ingestCAP(c *gin.Context) {
	var raw []byte
	var err error
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		fh, ferr := c.FormFile("file")
		if ferr != nil {
			respondError(c, bodyOrFieldError(ferr, "file", "请上传 CAP XML 文件（字段名 file）"))
			return
		}
		f, ferr := fh.Open()
		if ferr != nil {
			respondError(c, ferr)
			return
		}
		defer f.Close()
		raw, err = io.ReadAll(f)
	} else {
		raw, err = io.ReadAll(c.Request.Body)
	}
	if err != nil {
		respondError(c, bodyReadError(err))
		return
	}
	res, err := a.store.Alerts.IngestCAP(c.Request.Context(), currentUser(c), raw)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
