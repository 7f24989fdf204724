package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/directory"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	User      *models.User `json:"user"`
}

// Login exchanges a username and password for a bearer token. Attempts are limited per username
// and per client address, so neither one account nor one machine can guess at speed.
func (a *API) Login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		RespondError(c, err)
		return
	}
	token, sess, user, err := a.AttemptLogin(c, req.Username, req.Password)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: user})
}

// AttemptLogin applies the rules the API's and the console's logins share: both fields are
// required, attempts are limited per username and per client address, then Store.Login.
// Errors: invalid, too_many_requests (with Retry-After set), unauthorized.
func (a *API) AttemptLogin(c *gin.Context, username, password string) (string, *directory.Session, *models.User, error) {
	p := models.Problems{}
	if strings.TrimSpace(username) == "" {
		p.Add("username", "请输入用户名")
	}
	if password == "" {
		p.Add("password", "请输入密码")
	}
	if err := p.Err(); err != nil {
		return "", nil, nil, err
	}
	now := time.Now()
	if !a.LoginByUser.allow(strings.ToLower(username), now) || !a.LoginByAddr.allow(c.ClientIP(), now) {
		c.Header("Retry-After", "60")
		return "", nil, nil, models.Errorf(models.ETOOMANY, "登录尝试过于频繁，请1分钟后再试")
	}
	return a.Store.Directory.Login(c.Request.Context(), strings.TrimSpace(username), password)
}

// Logout revokes the token used for this request.
func (a *API) Logout(c *gin.Context) {
	if err := a.Store.Directory.Logout(c.Request.Context(), CurrentUser(c), CurrentSession(c)); err != nil {
		RespondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// Me returns the signed-in user.
func (a *API) Me(c *gin.Context) {
	c.JSON(http.StatusOK, CurrentUser(c))
}
