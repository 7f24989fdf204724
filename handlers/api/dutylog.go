package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models/roster"
)

func (a *API) ListDutyLog(c *gin.Context) {
	from, to, err := a.queryRange(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	es, err := a.Store.Roster.DutyLog(c.Request.Context(), CurrentUser(c), from, to)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(es, 0))
}

func (a *API) AddDutyLogEntry(c *gin.Context) {
	var in roster.DutyLogInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	e, err := a.Store.Roster.AddDutyLogEntry(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, e)
}
