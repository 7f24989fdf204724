// Package console is the duty console: server-rendered pages for the desk, the leaders, the
// districts and the schools (no build step, usable without JavaScript and on a phone), the login
// with its CSRF-guarded forms, and the pages of the links in messages.
package console

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/web"
)

// The duty console: server-rendered pages over the same Store as the JSON API. A login sets an
// opaque session token in an HttpOnly cookie; every POST carries a CSRF token derived from that
// session with an HMAC, so it cannot be forged from another site.

const (
	sessionCookie = "dutydesk_session"
	preCookie     = "dutydesk_pre" // random seed of the login form's CSRF token, before any session
	flashCookie   = "dutydesk_flash"
	csrfField     = "csrf"
)

// Console renders pages and guards the console's routes.
type Console struct {
	*api.API
	pages   map[string]*template.Template
	csrfKey []byte
	secure  bool // cookies only over https
}

// New returns the console over a, whose store, settings and login limits it shares.
func New(a *api.API) *Console {
	key := []byte(a.Config.Secret)
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	u, _ := url.Parse(a.Config.BaseURL)
	c := &Console{API: a, csrfKey: key, secure: u != nil && u.Scheme == "https"}
	c.pages = c.parsePages()
	return c
}

// parsePages parses every page template with the shared layout. A broken template is a bug of
// this binary, so it panics at start-up rather than at the first request.
func (con *Console) parsePages() map[string]*template.Template {
	names, err := fs.Glob(web.FS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(con.funcs()).ParseFS(web.FS, "templates/layout.html", name))
	}
	return pages
}

// view is what every page template gets: the page's own data in Data, and the form state.
type view struct {
	Title  string
	Nav    string // which menu entry is current
	User   *models.User
	CSRF   string
	Flash  *flash
	Now    time.Time
	Form   url.Values
	Errors map[string]string // per-field messages, as the API's "fields"
	Error  string            // the message over the form
	Data   any
}

// Desk tells whether the user works at the bureau's desk rather than for a school or district.
func (v *view) Desk() bool { return v.User != nil && v.User.Can(models.ReadRoster) }

// render writes a page with status.
func (con *Console) render(c *gin.Context, status int, page string, v *view) {
	t, ok := con.pages[page]
	if !ok {
		panic("no console page " + page)
	}
	if v.User == nil {
		v.User = api.CurrentUser(c)
	}
	if v.CSRF == "" {
		v.CSRF = con.csrfToken(c)
	}
	if v.Flash == nil {
		v.Flash = con.takeFlash(c)
	}
	if v.Form == nil {
		v.Form = url.Values{}
	}
	v.Now = con.Store.Now()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.ErrorContext(c.Request.Context(), "render page", "page", page, "err", err, "request_id", api.RequestID(c))
		c.String(http.StatusInternalServerError, "服务器内部错误")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fail shows err: validation errors go back to the form (page) next to the fields; anything
// else becomes the error page with the API's status and message.
func (con *Console) fail(c *gin.Context, err error, page string, v *view) {
	if form, status, ok := invalidForm(c, err); ok && page != "" {
		v.Error, v.Errors, v.Form = form.Error, form.Errors, form.Form
		con.render(c, status, page, v)
		return
	}
	con.errorPage(c, err)
}

// invalidForm tells whether err is about the input; if so it returns a view holding the posted
// form with the message and per-field messages, and the status to answer with.
func invalidForm(c *gin.Context, err error) (*view, int, bool) {
	var e *models.Error
	if !errors.As(err, &e) || (e.Code != models.EINVALID && e.Code != models.EMALFORMED) {
		return nil, 0, false
	}
	return &view{Error: e.Message, Errors: e.Fields, Form: formValues(c)}, api.ErrorStatus[e.Code], true
}

// errorPage renders err alone, with the status the API would give it.
func (con *Console) errorPage(c *gin.Context, err error) {
	e, status := api.PublicError(c, err)
	con.render(c, status, "error", &view{Title: "出错了", Error: e.Message, Errors: e.Fields})
}

// formValues returns the posted form (empty on a GET).
func formValues(c *gin.Context) url.Values {
	if err := c.Request.ParseForm(); err != nil {
		return url.Values{}
	}
	return c.Request.PostForm
}

// flash is a one-time message shown after a redirect.
type flash struct {
	Error bool
	Text  string
}

// redirect sends the browser to path (303, so a POST becomes a GET) with a one-time message.
func (con *Console) redirect(c *gin.Context, path string, f *flash) {
	if f != nil {
		kind := "ok"
		if f.Error {
			kind = "error"
		}
		con.setCookie(c, flashCookie, url.QueryEscape(kind+":"+f.Text), 60)
	}
	c.Redirect(http.StatusSeeOther, path)
}

// done redirects to path after an action: with its success message, or with err's message.
func (con *Console) done(c *gin.Context, path string, err error, okText string) {
	if err == nil {
		con.redirect(c, path, &flash{Text: okText})
		return
	}
	e, status := api.PublicError(c, err)
	if status >= http.StatusInternalServerError {
		con.render(c, status, "error", &view{Title: "出错了", Error: e.Message})
		return
	}
	text := e.Message
	if len(e.Fields) > 0 {
		msgs := make([]string, 0, len(e.Fields))
		for _, msg := range e.Fields {
			msgs = append(msgs, msg)
		}
		sort.Strings(msgs)
		text += "：" + strings.Join(msgs, "；")
	}
	con.redirect(c, path, &flash{Error: true, Text: text})
}

// refused shows the form again (show) with the problems when err is bad input, or else the
// error page with err's status.
func (con *Console) refused(c *gin.Context, err error, show func(*gin.Context, int, *view)) {
	if v, status, ok := invalidForm(c, err); ok {
		show(c, status, v)
		return
	}
	con.errorPage(c, err)
}

// submitted answers a form's POST: a validation error shows the form again (through show) with
// the messages next to the fields; anything else redirects to path, as done does.
func (con *Console) submitted(c *gin.Context, err error, show func(*gin.Context, int, *view), path, okText string) {
	if v, status, ok := invalidForm(c, err); ok {
		show(c, status, v)
		return
	}
	con.done(c, path, err, okText)
}

func (con *Console) takeFlash(c *gin.Context) *flash {
	raw, err := c.Cookie(flashCookie)
	if err != nil || raw == "" {
		return nil
	}
	con.setCookie(c, flashCookie, "", -1)
	text, _ := url.QueryUnescape(raw)
	kind, msg, _ := strings.Cut(text, ":")
	return &flash{Error: kind == "error", Text: msg}
}

func (con *Console) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: con.secure, SameSite: http.SameSiteLaxMode})
}

// csrfToken is the token the forms of this request carry: an HMAC of the session token (or,
// before login, of a random cookie; on a signed-link page, of the link's token).
func (con *Console) csrfToken(c *gin.Context) string {
	seed := ""
	if tok := c.Param("token"); tok != "" {
		seed = "link:" + tok
	} else if tok, err := c.Cookie(sessionCookie); err == nil && api.CurrentUser(c) != nil {
		seed = "session:" + tok
	} else if c.Request.Method == http.MethodGet {
		pre, err := c.Cookie(preCookie)
		if err != nil || len(pre) < 16 {
			buf := make([]byte, 16)
			_, _ = rand.Read(buf)
			pre = base64.RawURLEncoding.EncodeToString(buf)
			con.setCookie(c, preCookie, pre, 3600)
		}
		seed = "pre:" + pre
	} else if pre, err := c.Cookie(preCookie); err == nil {
		seed = "pre:" + pre
	}
	if seed == "" {
		return ""
	}
	mac := hmac.New(sha256.New, con.csrfKey)
	mac.Write([]byte(seed))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CheckCSRF refuses a POST whose form field or X-CSRF-Token header does not match.
func (con *Console) CheckCSRF() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		got := c.GetHeader("X-CSRF-Token")
		if got == "" {
			got = c.PostForm(csrfField)
		}
		want := con.csrfToken(c)
		if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
			c.Abort()
			con.render(c, http.StatusForbidden, "error", &view{Title: "请求已失效",
				Error: "页面已过期或请求来源不明，请返回刷新页面后重试"})
			return
		}
		c.Next()
	}
}

// ConsoleAuth reads the session cookie; without a valid session the browser goes to the login page.
func (con *Console) ConsoleAuth() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, _ := c.Cookie(sessionCookie)
		user, sess, err := con.Store.Directory.Authenticate(c.Request.Context(), token)
		if err != nil {
			if models.ErrCode(err) != models.EUNAUTHORIZED {
				c.Abort()
				con.errorPage(c, err)
				return
			}
			next := ""
			if c.Request.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
			}
			c.Redirect(http.StatusSeeOther, "/console/login"+next)
			c.Abort()
			return
		}
		c.Set(api.CtxUser, user)
		c.Set(api.CtxSession, sess)
		c.Next()
	}
}

// home is where a user lands after login: the desk's dashboard, or a school's own incidents.
func home(u *models.User) string {
	if u.Can(models.ReadRoster) {
		return "/console/"
	}
	return "/console/incidents"
}

func (con *Console) LoginPage(c *gin.Context) {
	token, _ := c.Cookie(sessionCookie)
	if user, _, err := con.Store.Directory.Authenticate(c.Request.Context(), token); err == nil {
		c.Redirect(http.StatusSeeOther, home(user))
		return
	}
	con.render(c, http.StatusOK, "login", &view{Title: "登录", Form: url.Values{"next": {c.Query("next")}}})
}

// Login checks the form with the same rules and rate limits as the API's login.
func (con *Console) Login(c *gin.Context) {
	v := &view{Title: "登录"}
	token, sess, user, err := con.AttemptLogin(c, c.PostForm("username"), c.PostForm("password"))
	if models.ErrCode(err) == models.EUNAUTHORIZED {
		err = &models.Error{Code: models.EINVALID, Message: "登录失败", Fields: map[string]string{"password": "用户名或密码错误"}}
	}
	if err != nil {
		con.fail(c, err, "login", v)
		return
	}
	con.setCookie(c, sessionCookie, token, int(sess.ExpiresAt.Sub(con.Store.Now()).Seconds()))
	con.setCookie(c, preCookie, "", -1)
	next := c.PostForm("next")
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") {
		next = home(user)
	}
	c.Redirect(http.StatusSeeOther, next)
}

// Logout revokes the session and clears the cookie.
func (con *Console) Logout(c *gin.Context) {
	if err := con.Store.Directory.Logout(c.Request.Context(), api.CurrentUser(c), api.CurrentSession(c)); err != nil {
		con.errorPage(c, err)
		return
	}
	con.setCookie(c, sessionCookie, "", -1)
	con.redirect(c, "/console/login", &flash{Text: "已退出登录"})
}

// funcs are the template helpers: times in the bureau's zone, countdowns, form fields.
func (con *Console) funcs() template.FuncMap {
	loc := con.Store.Location()
	local := func(t any) time.Time {
		switch t := t.(type) {
		case time.Time:
			return t.In(loc)
		case *time.Time:
			if t != nil {
				return t.In(loc)
			}
		}
		return time.Time{}
	}
	format := func(layout string) func(any) string {
		return func(t any) string {
			if lt := local(t); !lt.IsZero() {
				return lt.Format(layout)
			}
			return ""
		}
	}
	return template.FuncMap{
		"when":  format("01-02 15:04"),
		"date":  format("2006-01-02"),
		"clock": format("15:04"),
		"iso":   format(time.RFC3339),
		// left says how long until (or since) t, as the countdown script would at render time.
		"left": func(t time.Time) string {
			d := t.Sub(con.Store.Now()).Round(time.Second)
			if d < 0 {
				return "已超时 " + shortDuration(-d)
			}
			return "剩余 " + shortDuration(d)
		},
		"overdue": func(t time.Time) bool { return con.Store.Now().After(t) },
		"field":   newField,
		"deref": func(id *int64) int64 {
			if id == nil {
				return 0
			}
			return *id
		},
		"inc": func(i int) int { return i + 1 }, // steps are 0-based in data, 第1级 on screens
		"percent": func(n, total int) int {
			if total == 0 {
				return 0
			}
			return n * 100 / total
		},
	}
}

// shortDuration writes d as h:mm:ss or m:ss.
func shortDuration(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// formField is one labelled input with its current value and error message.
type formField struct {
	Name, Label, Type, Hint, Value, Error string
	Options                               []option
}

// option is one choice of a select or radio group.
type option struct{ Value, Label string }

// newField builds a field of the view's form: type is text, number, tel, password, textarea,
// datetime-local, select or radio (with options).
func newField(v *view, name, label, typ, hint string, opts ...[]option) formField {
	f := formField{Name: name, Label: label, Type: typ, Hint: hint, Value: v.Form.Get(name), Error: v.Errors[name]}
	if typ == "password" {
		f.Value = "" // never sent back to the browser
	}
	if len(opts) > 0 {
		f.Options = opts[0]
	}
	return f
}

// localInput parses a datetime-local value in the bureau's zone.
func (con *Console) localInput(value string) (*time.Time, bool) {
	if value == "" {
		return nil, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", value, con.Store.Location())
	if err != nil {
		return nil, false
	}
	return &t, true
}

// Static serves web/static (CSS, JS).
func (con *Console) Static() http.FileSystem {
	sub, err := fs.Sub(web.FS, "static")
	if err != nil {
		panic(err)
	}
	return http.FS(sub)
}
