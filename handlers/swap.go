package handlers

import (
	"context"
	"dutydesk/models/roster"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

func (a *api) listSwaps(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		respondError(c, err)
		return
	}
	swaps, next, err := a.store.Roster.Swaps(c.Request.Context(), currentUser(c), roster.SwapStatus(c.Query("status")), page)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(swaps, next))
}

func (a *api) requestSwap(c *gin.Context) {
	var in roster.SwapInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	sw, err := a.store.Roster.RequestSwap(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sw)
}

// swapAction serves the POST /roster/swaps/:id/<action> routes.
func (a *api) swapAction(step func(s *roster.Store, ctx context.Context, actor *models.User, id int64) (*roster.Swap, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err != nil {
			respondError(c, err)
			return
		}
		sw, err := step(a.store.Roster, c.Request.Context(), currentUser(c), id)
		if err != nil {
			respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, sw)
	}
}
