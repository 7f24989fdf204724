package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

func (a *api) listHandovers(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	hs, err := a.store.Handovers(c.Request.Context(), currentUser(c), from, to)
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
	h, err := a.store.Handover(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

func (a *api) submitHandover(c *gin.Context) {
	var in models.HandoverInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	h, err := a.store.SubmitHandover(c.Request.Context(), currentUser(c), in)
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
	h, err := a.store.SignHandover(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}
