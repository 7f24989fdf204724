package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// The routes behind the links in e-mails. They need no login: the signed token names the contact,
// the school and the subject, and is good for one purpose until it expires.

func (a *api) ackLinkInfo(c *gin.Context) {
	info, _, err := a.store.AckLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) ackByLink(c *gin.Context) {
	info, err := a.store.AcknowledgeByLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) safetyLinkInfo(c *gin.Context) {
	info, _, err := a.store.SafetyLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

func (a *api) safetyByLink(c *gin.Context) {
	var in models.SafetyReportInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	rep, err := a.store.FileSafetyReportByLink(c.Request.Context(), c.Param("token"), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
