package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/roster"
)

func (a *API) ListSwaps(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	swaps, next, err := a.Store.Roster.Swaps(c.Request.Context(), CurrentUser(c), roster.SwapStatus(c.Query("status")), page)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(swaps, next))
}

func (a *API) RequestSwap(c *gin.Context) {
	var in roster.SwapInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	sw, err := a.Store.Roster.RequestSwap(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sw)
}

// SwapAction serves the POST /roster/swaps/:id/<action> routes.
func (a *API) SwapAction(step func(s *roster.Store, ctx context.Context, actor *models.User, id int64) (*roster.Swap, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := PathID(c, "id")
		if err != nil {
			RespondError(c, err)
			return
		}
		sw, err := step(a.Store.Roster, c.Request.Context(), CurrentUser(c), id)
		if err != nil {
			RespondError(c, err)
			return
		}
		c.JSON(http.StatusOK, sw)
	}
}
