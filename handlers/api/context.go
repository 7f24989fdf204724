package api

import (
	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/directory"
)

const (
	CtxRequestID = "request_id"
	CtxUser      = "user"
	CtxSession   = "session"
)

// RequestID returns the id of the current request.
func RequestID(c *gin.Context) string { return c.GetString(CtxRequestID) }

// CurrentUser returns the authenticated user; routes behind requireAuth always have one.
func CurrentUser(c *gin.Context) *models.User {
	u, _ := c.Get(CtxUser)
	user, _ := u.(*models.User)
	return user
}

func CurrentSession(c *gin.Context) *directory.Session {
	s, _ := c.Get(CtxSession)
	sess, _ := s.(*directory.Session)
	return sess
}
