package handlers

import (
	"dutydesk/models"
	"dutydesk/models/store"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/notify"
)

// listOutbox shows queued messages; ?status=failed lists those given up on.
func (a *api) listOutbox(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.OutboxFilter{Page: page, Status: store.OutboxStatus(c.Query("status")), Kind: notify.Kind(c.Query("kind")),
		SubjectType: models.SubjectType(c.Query("subject_type"))}
	if f.SubjectID, err = queryInt64(c, "subject_id"); err != nil {
		respondError(c, err)
		return
	}
	msgs, next, err := a.store.OutboxMessages(c.Request.Context(), currentUser(c), f)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(msgs, next))
}

// retryOutboxMessage queues a failed message again.
func (a *api) retryOutboxMessage(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	msg, err := a.store.RetryOutboxMessage(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, msg)
}
