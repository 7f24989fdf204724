package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models/alert"
)

// The routes behind the links in e-mails. They need no login: the signed token names the contact,
// the school and the subject, and is good for one purpose until it expires.

func (a *API) AckLinkInfo(c *gin.Context) {
	info, _, err := a.Store.Alerts.AckLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *API) AckByLink(c *gin.Context) {
	info, err := a.Store.Alerts.AcknowledgeByLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *API) SafetyLinkInfo(c *gin.Context) {
	info, _, err := a.Store.Alerts.SafetyLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *API) SafetyByLink(c *gin.Context) {
	var in alert.SafetyReportInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	rep, err := a.Store.Alerts.FileSafetyReportByLink(c.Request.Context(), c.Param("token"), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
