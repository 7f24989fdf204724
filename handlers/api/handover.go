package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models/roster"
)

func (a *API) ListHandovers(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	hs, err := a.Store.Roster.Handovers(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(hs, 0))
}

func (a *API) GetHandover(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	h, err := a.Store.Roster.Handover(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

func (a *API) SubmitHandover(c *gin.Context) {
	var in roster.HandoverInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	h, err := a.Store.Roster.SubmitHandover(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, h)
}

func (a *API) SignHandover(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	h, err := a.Store.Roster.SignHandover(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}
