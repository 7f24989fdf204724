package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// ListOutbox shows queued messages; ?status=failed lists those given up on.
func (a *API) ListOutbox(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	f := store.OutboxFilter{Page: page, Status: store.OutboxStatus(c.Query("status")), Kind: notify.Kind(c.Query("kind")),
		SubjectType: models.SubjectType(c.Query("subject_type"))}
	if f.SubjectID, err = queryInt64(c, "subject_id"); err != nil {
		RespondError(c, err)
		return
	}
	msgs, next, err := a.Store.OutboxMessages(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(msgs, next))
}

// RetryOutboxMessage queues a failed message again.
func (a *API) RetryOutboxMessage(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	msg, err := a.Store.RetryOutboxMessage(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, msg)
}
