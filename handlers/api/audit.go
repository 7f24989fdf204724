package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/store"
)

func (a *API) ListAudit(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	f := store.AuditFilter{Page: page, Action: c.Query("action"), SubjectType: models.SubjectType(c.Query("subject_type"))}
	if f.ActorID, err = queryInt64(c, "actor_id"); err != nil {
		RespondError(c, err)
		return
	}
	if f.SubjectID, err = queryInt64(c, "subject_id"); err != nil {
		RespondError(c, err)
		return
	}
	if f.From, f.To, err = queryTimeRange(c, a.Store.Location()); err != nil {
		RespondError(c, err)
		return
	}
	entries, next, err := a.Store.AuditEntries(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(entries, next))
}
