package handlers

import (
	"dutydesk/models/roster"
	"net/http"

	"github.com/gin-gonic/gin"
)

func (a *api) listDutyLog(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		respondError(c, err)
		return
	}
	es, err := a.store.Roster.DutyLog(c.Request.Context(), currentUser(c), from, to)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(es, 0))
}

func (a *api) addDutyLogEntry(c *gin.Context) {
	var in roster.DutyLogInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	e, err := a.store.Roster.AddDutyLogEntry(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, e)
}
