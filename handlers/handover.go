package handlers

import (
	"dutydesk/models/roster"
	"net/http"

	"github.com/gin-gonic/gin"
)

func (a *api) listHandovers(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	hs, err := a.store.Roster.Handovers(c.Request.Context(), currentUser(c), from, to)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(hs, 0))
}

func (a *api) getHandover(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	h, err := a.store.Roster.Handover(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

func (a *api) submitHandover(c *gin.Context) {
	var in roster.HandoverInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	h, err := a.store.Roster.SubmitHandover(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, h)
}

func (a *api) signHandover(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	h, err := a.store.Roster.SignHandover(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}
