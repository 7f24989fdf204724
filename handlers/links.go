package handlers

import (
	"dutydesk/models/alert"
	"net/http"

	"github.com/gin-gonic/gin"
)

// The routes behind the links in e-mails. They need no login: the signed token names the contact,
// the school and the subject, and is good for one purpose until it expires.

func (a *api) ackLinkInfo(c *gin.Context) {
	info, _, err := a.store.Alerts.AckLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) ackByLink(c *gin.Context) {
	info, err := a.store.Alerts.AcknowledgeByLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) safetyLinkInfo(c *gin.Context) {
	info, _, err := a.store.Alerts.SafetyLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) safetyByLink(c *gin.Context) {
	var in alert.SafetyReportInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	rep, err := a.store.Alerts.FileSafetyReportByLink(c.Request.Context(), c.Param("token"), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
