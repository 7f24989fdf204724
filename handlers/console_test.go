package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// consoleClient is a browser without JavaScript: it keeps cookies and does not follow redirects.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string // the CSRF token of the last page read
}

func newConsoleClient(t *testing.T, handler http.Handler) *consoleClient {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// get reads a page and remembers its CSRF token.
func (cc *consoleClient) get(path string) (*http.Response, string) {
	cc.t.Helper()
	resp, err := cc.http.Get(cc.base + path)
	if err != nil {
		cc.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfInput.FindSubmatch(body); m != nil {
		cc.csrf = string(m[1])
	}
	return resp, string(body)
}

// post submits a form with the remembered CSRF token (unless the form sets its own).
func (cc *consoleClient) post(path string, form url.Values) (*http.Response, string) {
	cc.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", cc.csrf)
	}
	resp, err := cc.http.PostForm(cc.base+path, form)
	if err != nil {
		cc.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (cc *consoleClient) login(u *models.User) *http.Response {
	cc.t.Helper()
	cc.get("/console/login")
	resp, _ := cc.post("/console/login", url.Values{"username": {u.Username}, "password": {testenv.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		cc.t.Fatalf("login answered %d", resp.StatusCode)
	}
	return resp
}

func TestConsoleSession(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)

		t.Run("RootGoesToLoginAndLoginToDashboard", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			resp, _ := cc.get("/")
			if loc := resp.Header.Get("Location"); loc != "/console/login" {
				t.Fatalf("/ redirects to %q", loc)
			}
			resp, _ = cc.get("/console/incidents")
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/console/login?next=%2Fconsole%2Fincidents" {
				t.Fatalf("anonymous page: %d %q", resp.StatusCode, loc)
			}
			resp = cc.login(h.dir.Officer)
			if loc := resp.Header.Get("Location"); loc != "/console/" {
				t.Fatalf("a duty officer lands on %q", loc)
			}
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "dutydesk_session" {
					session = ck
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.MaxAge != 12*3600 {
				t.Fatalf("session cookie %+v", session)
			}
			_, page := cc.get("/console/")
			if !strings.Contains(page, "当前没有排班") {
				t.Fatal("the dashboard of a desk without a roster does not say so")
			}
		})

		t.Run("SchoolLandsOnItsIncidents", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			if loc := cc.login(h.dir.Reporter).Header.Get("Location"); loc != "/console/incidents" {
				t.Fatalf("a school reporter lands on %q", loc)
			}
			if resp, _ := cc.get("/console/roster"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a school reads the roster page: %d", resp.StatusCode)
			}
		})

		t.Run("WrongPasswordShownAtTheField", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			cc.get("/console/login")
			resp, page := cc.post("/console/login", url.Values{"username": {"duty1"}, "password": {"nope"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<p class="error" id="e-password">用户名或密码错误</p>`) {
				t.Fatalf("wrong password: %d", resp.StatusCode)
			}
			if strings.Contains(page, `value="nope"`) {
				t.Fatal("the password was sent back")
			}
		})

		t.Run("EveryPostNeedsTheCSRFToken", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			cc.get("/console/login")
			if resp, _ := cc.post("/console/login", url.Values{"username": {"duty1"}, "password": {testenv.Password}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("login with a forged token: %d", resp.StatusCode)
			}
			loginToken := cc.csrf
			cc.login(h.dir.Officer)
			cc.get("/console/")
			if cc.csrf == loginToken {
				t.Fatal("the session's CSRF token is the login form's")
			}
			for _, path := range []string{"/console/logout", "/console/dutylog", "/console/alerts"} {
				if resp, _ := cc.post(path, url.Values{"csrf": {""}}); resp.StatusCode != http.StatusForbidden {
					t.Fatalf("POST %s without a token: %d", path, resp.StatusCode)
				}
				if resp, _ := cc.post(path, url.Values{"csrf": {loginToken}}); resp.StatusCode != http.StatusForbidden {
					t.Fatalf("POST %s with another session's token: %d", path, resp.StatusCode)
				}
			}
		})

		t.Run("LogoutRevokesTheSession", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			cc.login(h.dir.Officer)
			u, _ := url.Parse(cc.base)
			var token string
			for _, ck := range cc.http.Jar.Cookies(u) {
				if ck.Name == "dutydesk_session" {
					token = ck.Value
				}
			}
			cc.get("/console/")
			if resp, _ := cc.post("/console/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			if _, _, err := h.store.Directory.Authenticate(context.Background(), token); models.ErrCode(err) != models.EUNAUTHORIZED {
				t.Fatalf("the token still works after logout: %v", err)
			}
		})

		t.Run("DeskPagesRender", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			cc.login(h.dir.Officer)
			fileDrowning(t, h)
			a := issueRainstorm(t, h)
			for path, want := range map[string]string{
				"/console/":                                      "生效中的预警",
				"/console/roster?month=2026-10":                  "值班表 2026-10",
				"/console/dutylog":                               "近三天交接班",
				"/console/incidents?status=open":                 "东湖区第一小学学生溺水",
				"/console/alerts":                                "暴雨红色预警",
				"/console/alerts/" + id(a.ID):                    "确认情况：0/3",
				"/console/alerts/preview?type=typhoon&level=red": "台风红色预警",
			} {
				resp, page := cc.get(path)
				if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
					t.Fatalf("GET %s: %d, want %q in\n%s", path, resp.StatusCode, want, page)
				}
			}
			if resp, _ := cc.get("/console/roster?month=2026-13"); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("a bad month: %d", resp.StatusCode)
			}
			resp, _ := cc.get("/console/roster/export.xlsx?from=2026-10-01&to=2026-10-31")
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheet") {
				t.Fatalf("xlsx export with the session: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		})

		t.Run("ProgressWithinTheViewersScope", func(t *testing.T) {
			a := issueRainstorm(t, h)
			cc := newConsoleClient(t, h.router)
			cc.login(h.dir.DistrictOfficer)
			_, page := cc.get("/console/alerts/" + id(a.ID))
			if !strings.Contains(page, "确认情况：0/2") || strings.Contains(page, h.dir.School2A.Name) {
				t.Fatal("a district officer should see the two schools of its district only")
			}
		})

		t.Run("RefusedActionsComeBackAsMessages", func(t *testing.T) {
			inc := fileDrowning(t, h)
			d, err := h.store.Incidents.IncidentDetail(context.Background(), h.dir.Officer, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			path := "/console/incidents/" + id(inc.ID)
			sign := path + "/reports/" + id(d.Reports[0].ID) + "/sign"
			leader := newConsoleClient(t, h.router)
			leader.login(h.dir.Leader)
			if _, page := leader.get(path); strings.Contains(page, "签收首报</button>") {
				t.Fatal("a leader is offered the desk's signature")
			}
			resp, _ := leader.post(sign, url.Values{})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
				t.Fatalf("a leader signing: %d", resp.StatusCode)
			}
			if _, page := leader.get(path); !strings.Contains(page, `<div class="error-summary" role="status">`) {
				t.Fatal("the refusal is not shown")
			}
			officer := newConsoleClient(t, h.router)
			officer.login(h.dir.Officer)
			officer.get(path)
			officer.post(sign, url.Values{})
			officer.post(sign, url.Values{})
			if _, page := officer.get(path); !strings.Contains(page, `<div class="error-summary" role="status">`) || !strings.Contains(page, "已签收") {
				t.Fatal("signing twice does not say why the second is refused")
			}
		})

		t.Run("IssueAlertFormShowsTheAPIMessages", func(t *testing.T) {
			cc := newConsoleClient(t, h.router)
			cc.login(h.dir.Officer)
			cc.get("/console/alerts")
			resp, page := cc.post("/console/alerts", url.Values{"type": {"tornado"}, "level": {"red"}, "region": {"city"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad alert: %d", resp.StatusCode)
			}
			api := h.do(http.MethodPost, "/api/v1/alerts", h.dir.Officer, map[string]any{"type": "tornado", "level": "red", "whole_city": true}).Err(t)
			msg := api.Error.Fields["type"]
			if msg == "" || !strings.Contains(page, `<p class="error" id="e-type">`+msg+`</p>`) {
				t.Fatalf("the form does not show the API's message %q next to the field", msg)
			}

			resp, _ = cc.post("/console/alerts", url.Values{"type": {"typhoon"}, "level": {"yellow"}, "region": {"districts"},
				"district_ids": {id(h.dir.District2.ID)}, "headline": {"台风黄色预警"}})
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/alerts/") {
				t.Fatalf("issue: %d %s", resp.StatusCode, loc)
			}
			_, page = cc.get(loc)
			if !strings.Contains(page, "确认情况：0/1") || !strings.Contains(page, h.dir.School2A.Name) {
				t.Fatal("a warning for District2 should await its one school")
			}
			cc.post(loc, url.Values{"level": {"orange"}})
			cc.post(loc+"/lift", url.Values{"note": {"台风已远离"}})
			alertID, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/console/alerts/"), 10, 64)
			a, err := h.store.Alerts.Alert(context.Background(), h.dir.Officer, alertID)
			if err != nil || a.Level != alert.LevelOrange || a.Status != alert.AlertLifted || len(a.Events) != 3 {
				t.Fatalf("after update and lift: %+v %v", a, err)
			}
		})
	})
}

func TestConsoleSecureCookieOverHTTPS(t *testing.T) {
	clock := testenv.Clock()
	stores, db := testenv.Store(t, store.SQLite, clock)
	dir := testenv.SeedDirectory(t, stores)
	cfg := config.Defaults()
	cfg.BaseURL = "https://duty.example.org"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping}))
	t.Cleanup(srv.Close)
	// Secure cookies are not sent back over the test's plain http, so the client carries them by hand.
	resp, err := http.Get(srv.URL + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"username": {dir.Officer.Username}, "password": {testenv.Password}, "csrf": {string(csrfInput.FindSubmatch(body)[1])}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Fatalf("cookie %s is not Secure over https", ck.Name)
		}
		req.AddCookie(ck)
	}
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "dutydesk_session" && ck.Secure && ck.HttpOnly {
			return
		}
	}
	t.Fatalf("no Secure session cookie over https: %d %v", resp.StatusCode, resp.Cookies())
}

func TestConsoleSchoolPages(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		ctx := context.Background()

		t.Run("FollowUpThroughTheForm", func(t *testing.T) {
			inc := fileDrowning(t, h)
			cc := newConsoleClient(t, h.router)
			cc.login(h.dir.Reporter)
			_, page := cc.get("/console/incidents")
			if !strings.Contains(page, "东湖区第一小学学生溺水：续报") || strings.Contains(page, "签收首报") {
				t.Fatal("a school's list should show the follow-up it owes and not the desk's signature")
			}
			path := "/console/incidents/" + id(inc.ID)
			cc.get(path + "/report")
			resp, page := cc.post(path+"/reports", url.Values{"kind": {"follow_up"}, "severity": {"4"}, "summary": {""},
				"injured": {"two"}, "reporter_name": {"张老师"}, "reporter_phone": {"13800000001"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-injured">请填写整数</p>`) {
				t.Fatalf("a bad number: %d", resp.StatusCode)
			}
			resp, page = cc.post(path+"/reports", url.Values{"kind": {"follow_up"}, "severity": {"4"}, "summary": {""},
				"reporter_name": {"张老师"}, "reporter_phone": {"13800000001"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-summary">请填写事件进展</p>`) {
				t.Fatalf("an empty follow-up: %d", resp.StatusCode)
			}
			resp, _ = cc.post(path+"/reports", url.Values{"kind": {"follow_up"}, "severity": {"4"}, "summary": {"学生已出院。"},
				"resolved": {"true"}, "reporter_name": {"张老师"}, "reporter_phone": {"13800000001"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
				t.Fatalf("follow-up: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			d, err := h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, inc.ID)
			if err != nil || len(d.Reports) != 2 || d.Reports[1].Title() != "续报一" || d.Status != incident.IncidentResolved {
				t.Fatalf("after the follow-up: %+v %v", d, err)
			}
			if _, page := cc.get(path); !strings.Contains(page, "报送终报") {
				t.Fatal("a resolved incident does not offer the final report")
			}
			resp, _ = cc.post(path+"/reports", url.Values{"kind": {"final"}, "severity": {"4"}, "summary": {"学生溺水获救，已康复出院。"},
				"cause": {"暑期私自下河游泳；学校已加强防溺水教育。"}, "reporter_name": {"张老师"}, "reporter_phone": {"13800000001"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
				t.Fatalf("final report: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			// The final report closes the sequence: the page offers no further report, and the form
			// behind the button says so rather than letting the school fill it in for a 409.
			if _, page := cc.get(path); strings.Contains(page, "报送终报") || strings.Contains(page, "报送续报") {
				t.Fatal("after the final report the incident still offers a report")
			}
			if resp, page := cc.get(path + "/report"); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "该事件现在不接受新的报告") {
				t.Fatalf("the report form after the final report: %d", resp.StatusCode)
			}
		})

		t.Run("WrittenInitialAfterAPhoneReport", func(t *testing.T) {
			title, cat, place, summary := "西江区第一中学实验室起火", "accident", "化学实验室", "实验室冒烟，已疏散。"
			sev, at := incident.SeverityIII, h.clock.Now().Add(-10*time.Minute)
			inc, _, err := h.store.Incidents.RecordPhoneReport(ctx, h.dir.Officer, incident.PhoneReportInput{ReportInput: incident.ReportInput{
				SchoolID: &h.dir.School2A.ID, Title: &title, Category: &cat, Severity: &sev, OccurredAt: &at, Place: &place, Summary: &summary},
				CallerUnit: "西江区第一中学", CallerName: "赵校长", CallerPhone: "13700000003"})
			if err != nil {
				t.Fatal(err)
			}
			reporter2A, err := h.store.Directory.CreateUser(ctx, models.System, directory.UserInput{Username: ptr("reporter2a"), DisplayName: ptr("一中报送员"),
				Role: ptr(models.RoleSchoolReporter), Password: ptr(testenv.Password), SchoolID: &h.dir.School2A.ID})
			if err != nil {
				t.Fatal(err)
			}
			cc := newConsoleClient(t, h.router)
			cc.login(reporter2A)
			path := "/console/incidents/" + id(inc.ID)
			if _, page := cc.get(path); !strings.Contains(page, "报送书面首报") {
				t.Fatal("after a phone report the school is not asked for the written initial report")
			}
			if _, page := cc.get(path + "/report"); strings.Contains(page, `name="title"`) {
				t.Fatal("the written initial report asks again for the incident's opening facts")
			}
			resp, _ := cc.post(path+"/reports", url.Values{"kind": {"initial"}, "severity": {"3"}, "summary": {"14:05实验室通风橱起火，已扑灭，无人受伤。"},
				"reporter_name": {"赵校长"}, "reporter_phone": {"13700000003"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("written initial report: %d", resp.StatusCode)
			}
			if _, page := cc.get(path); !strings.Contains(page, "报送续报") {
				t.Fatal("after the written initial report the school is not offered a follow-up")
			}
		})

		t.Run("SafetyReportLink", func(t *testing.T) {
			a := issueRainstorm(t, h)
			rounds, err := h.store.Alerts.SafetyRounds(ctx, h.dir.Officer, a.ID)
			if err != nil || len(rounds) != 1 {
				t.Fatalf("safety rounds of a red warning: %v %v", rounds, err)
			}
			token := directory.NewLinkSigner(testenv.Secret).Sign(directory.LinkClaims{Purpose: directory.LinkSafetyReport,
				RecipientID: contactOf(t, h, h.dir.School2A.ID), SchoolID: h.dir.School2A.ID, SubjectID: rounds[0].Round.ID,
				ExpiresAt: h.clock.Now().Add(time.Hour)})
			cc := newConsoleClient(t, h.router)
			if resp, page := cc.get("/s/" + token); resp.StatusCode != http.StatusOK || !strings.Contains(page, "报平安："+h.dir.School2A.Name) {
				t.Fatalf("safety page: %d", resp.StatusCode)
			}
			resp, page := cc.post("/s/"+token, url.Values{"state": {"damage"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-description">请说明受灾情况</p>`) {
				t.Fatalf("damage without a description: %d", resp.StatusCode)
			}
			resp, _ = cc.post("/s/"+token, url.Values{"state": {"damage"}, "property_loss": {"1500"}, "description": {"3棵树倒伏"}, "reporter_name": {"王老师"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("safety report: %d", resp.StatusCode)
			}
			if _, page := cc.get("/s/" + token); !strings.Contains(page, "平安报已提交") || !strings.Contains(page, "本轮已于") {
				t.Fatal("the page does not confirm the report")
			}
			rounds, _ = h.store.Alerts.SafetyRounds(ctx, h.dir.Officer, a.ID)
			if sum := rounds[0]; sum.Filed != 1 || sum.Damaged != 1 || sum.PropertyLoss != 1500 {
				t.Fatalf("summary after the link: %+v", sum)
			}
			if resp, _ := cc.post("/s/"+token, url.Values{"state": {"safe"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a forged CSRF token on a link page: %d", resp.StatusCode)
			}
		})
	})
}

// ptr returns a pointer to v, for the Store's optional inputs.
func ptr[T any](v T) *T { return &v }

func TestConsoleDutyLogAndHandover(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-07", "2026-10-09")
		ctx := context.Background()
		now, err := h.store.Roster.OnDuty(ctx, h.clock.Now())
		if err != nil || len(now.Officers) == 0 {
			t.Fatalf("on duty: %+v %v", now, err)
		}
		next, err := h.store.Roster.OnDuty(ctx, now.EndsAt)
		if err != nil || len(next.Officers) == 0 {
			t.Fatalf("next shift: %+v %v", next, err)
		}
		outgoing, incoming := newConsoleClient(t, h.router), newConsoleClient(t, h.router)
		outgoing.login(now.Officers[0])
		incoming.login(next.Officers[0])

		outgoing.get("/console/dutylog")
		resp, page := outgoing.post("/console/dutylog", url.Values{"occurred_at": {"2026-10-08T09:50"}, "source": {"东湖区教育局"}, "content": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-content">`) {
			t.Fatalf("an empty log entry: %d", resp.StatusCode)
		}
		resp, _ = outgoing.post("/console/dutylog", url.Values{"occurred_at": {"2026-10-08T09:50"}, "source": {"东湖区教育局"},
			"content": {"来电询问暴雨预警停课安排"}, "action_taken": {"已告知按预警要求执行"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("log entry: %d", resp.StatusCode)
		}
		entries, err := h.store.Roster.DutyLog(ctx, h.dir.Officer, h.clock.Now().Add(-time.Hour), h.clock.Now())
		if err != nil || len(entries) != 1 || !entries[0].OccurredAt.Equal(time.Date(2026, 10, 8, 9, 50, 0, 0, testenv.Shanghai)) {
			t.Fatalf("duty log: %+v %v", entries, err)
		}

		h.clock.Set(now.EndsAt.Add(-10 * time.Minute))
		_, page = outgoing.get("/console/dutylog")
		shiftID := regexp.MustCompile(`name="shift_id" value="(\d+)"`).FindStringSubmatch(page)
		if shiftID == nil {
			t.Fatal("an officer on shift is not offered the handover form")
		}
		resp, _ = outgoing.post("/console/handovers", url.Values{"shift_id": {shiftID[1]}, "summary": {"本班平稳，暴雨预警仍在生效。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("handover: %d", resp.StatusCode)
		}
		_, page = incoming.get("/console/dutylog")
		action := regexp.MustCompile(`action="(/console/handovers/\d+/sign)"`).FindStringSubmatch(page)
		if action == nil || !strings.Contains(page, "本班平稳") {
			t.Fatal("the incoming officer does not see the handover to sign")
		}
		resp, _ = incoming.post(action[1], url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign: %d", resp.StatusCode)
		}
		if _, page = incoming.get("/console/dutylog"); !strings.Contains(page, "已签收交接班") || !strings.Contains(page, next.Officers[0].DisplayName+" 已于") {
			t.Fatal("the signed handover does not say who signed")
		}
	})
}

func TestConsolePhoneIntake(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		cc := newConsoleClient(t, h.router)
		cc.login(h.dir.Officer)
		resp, page := cc.get("/console/phone-intake")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="caller_name"`) ||
			!strings.Contains(page, `<option value="`+id(h.dir.School2A.ID)+`"`) || strings.Contains(page, `name="late_reason"`) {
			t.Fatalf("phone intake form: %d\n%s", resp.StatusCode, page)
		}
		call := url.Values{"kind": {"initial"}, "school_id": {id(h.dir.School1B.ID)}, "title": {"东湖区第二小学食堂疑似食物中毒"},
			"category": {"public_health"}, "severity": {"4"}, "occurred_at": {"2026-10-08T09:20"}, "place": {"学校食堂"},
			"summary": {"午餐后12名学生腹痛，已送医观察。"}, "received_at": {"2026-10-08T09:40"},
			"caller_unit": {"东湖区第二小学"}, "caller_name": {"李校长"}, "caller_title": {"校长"}, "caller_phone": {"phone"}}
		resp, page = cc.post("/console/phone-intake", call)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-caller_phone">电话号码格式不正确</p>`) ||
			!strings.Contains(page, `value="李校长"`) {
			t.Fatalf("a bad caller phone: %d\n%s", resp.StatusCode, page)
		}
		call.Set("received_at", "9:40")
		call.Set("caller_phone", "13900000002")
		if resp, page = cc.post("/console/phone-intake", call); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(page, `id="e-received_at">`) {
			t.Fatalf("a bad time of the call: %d", resp.StatusCode)
		}
		incidents, _, _, err := h.store.Incidents.Incidents(context.Background(), h.dir.Admin, incident.IncidentFilter{})
		if err != nil || len(incidents) != 0 {
			t.Fatalf("refused calls left incidents: %v %v", incidents, err)
		}
		call.Set("received_at", "2026-10-08T09:40")
		resp, _ = cc.post("/console/phone-intake", call)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/incidents/") {
			t.Fatalf("phone intake: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		incidents, _, _, err = h.store.Incidents.Incidents(context.Background(), h.dir.Admin, incident.IncidentFilter{})
		if err != nil || len(incidents) != 1 {
			t.Fatalf("after the call: %v %v", incidents, err)
		}
		d, err := h.store.Incidents.IncidentDetail(context.Background(), h.dir.Officer, incidents[0].ID)
		if err != nil || len(d.Reports) != 1 {
			t.Fatalf("detail: %+v %v", d, err)
		}
		r := d.Reports[0]
		if r.Channel != incident.ChannelPhone || r.CallerName != "李校长" || r.CallerPhone != "13900000002" ||
			r.ReceivedAt == nil || !r.ReceivedAt.Equal(time.Date(2026, 10, 8, 9, 40, 0, 0, testenv.Shanghai)) || d.SchoolID != h.dir.School1B.ID {
			t.Fatalf("the phone report: %+v", r)
		}
		if _, page := cc.get(resp.Header.Get("Location")); !strings.Contains(page, "电话接报已记录") {
			t.Fatal("no confirmation after the call was recorded")
		}

		// A school cannot take calls for the desk.
		school := newConsoleClient(t, h.router)
		school.login(h.dir.Reporter)
		if resp, _ := school.get("/console/phone-intake"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a school opening the phone intake form: %d", resp.StatusCode)
		}
		if resp, _ := school.post("/console/phone-intake", call); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a school recording a phone intake: %d", resp.StatusCode)
		}
	})
}

func TestConsoleDrafts(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		ctx := context.Background()
		cc := newConsoleClient(t, h.router)
		cc.login(h.dir.Reporter)

		// Half a report, saved in a storm: nothing is required yet, and the desk is not told.
		if _, page := cc.get("/console/report"); !strings.Contains(page, `name="draft" value="true"`) {
			t.Fatal("the report form has no button to save a draft")
		}
		resp, _ := cc.post("/console/report", url.Values{"kind": {"initial"}, "draft": {"true"}, "title": {"东湖区第一小学围墙倒塌"},
			"category": {"natural_disaster"}, "occurred_at": {"2026-10-08T09:30"}, "injured": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving a draft: %d", resp.StatusCode)
		}
		path := resp.Header.Get("Location")
		_, page := cc.get(path)
		if !strings.Contains(page, "草稿已保存") || !strings.Contains(page, "继续填写草稿") {
			t.Fatalf("the incident page does not offer the draft:\n%s", page)
		}
		incidents, _, _, err := h.store.Incidents.Incidents(ctx, h.dir.Reporter, incident.IncidentFilter{})
		if err != nil || len(incidents) != 1 || incidents[0].Status != incident.IncidentDraft {
			t.Fatalf("after saving a draft: %+v %v", incidents, err)
		}
		if desk, _, _, err := h.store.Incidents.Incidents(ctx, h.dir.Officer, incident.IncidentFilter{}); err != nil || len(desk) != 0 {
			t.Fatalf("the desk sees a school's draft: %+v %v", desk, err)
		}
		d, err := h.store.Incidents.IncidentDetail(ctx, h.dir.Reporter, incidents[0].ID)
		if err != nil || len(d.Reports) != 1 || d.Reports[0].Status != incident.ReportDraft {
			t.Fatalf("the draft: %+v %v", d, err)
		}
		edit := path + "/reports/" + id(d.Reports[0].ID)
		desk := newConsoleClient(t, h.router)
		desk.login(h.dir.Officer)
		if resp, _ := desk.get(edit + "/edit"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the desk opening a school's draft to edit: %d", resp.StatusCode)
		}
		if _, page := cc.get(edit + "/edit"); !strings.Contains(page, `value="东湖区第一小学围墙倒塌"`) ||
			!strings.Contains(page, `value="2026-10-08T09:30"`) || !strings.Contains(page, `action="`+edit+`"`) {
			t.Fatalf("the draft's form is not filled in as saved:\n%s", page)
		}

		// Submitting checks completeness; the draft stays a draft until it passes.
		form := url.Values{"kind": {"initial"}, "title": {"东湖区第一小学围墙倒塌"}, "category": {"natural_disaster"},
			"occurred_at": {"2026-10-08T09:30"}, "injured": {"1"}, "severity": {"4"}}
		resp, page = cc.post(edit, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-summary">`) || !strings.Contains(page, `action="`+edit+`"`) {
			t.Fatalf("submitting an incomplete draft: %d\n%s", resp.StatusCode, page)
		}
		form.Set("place", "学校北侧围墙")
		form.Set("summary", "暴雨致北侧围墙倒塌约10米，一名学生擦伤，已疏散。")
		form.Set("reporter_name", "张老师")
		form.Set("reporter_phone", "13800000001")
		if resp, _ = cc.post(edit, form); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
			t.Fatalf("submitting the draft: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		d, err = h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, incidents[0].ID)
		if err != nil || d.Status != incident.IncidentOpen || d.Reports[0].Status != incident.ReportSubmitted || d.Reports[0].Summary == "" {
			t.Fatalf("after submitting: %+v %v", d, err)
		}
		if resp, _ := cc.get(edit + "/edit"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a submitted report is still offered as a draft: %d", resp.StatusCode)
		}
		if resp, _ := cc.post(edit, form); resp.StatusCode != http.StatusConflict {
			t.Fatalf("saving a submitted report again: %d", resp.StatusCode)
		}

		// A follow-up saved as a draft on the open incident: the desk sees the incident, but only
		// the school goes on with the draft.
		cc.get(path + "/report")
		resp, _ = cc.post(path+"/reports", url.Values{"kind": {"follow_up"}, "draft": {"true"}, "summary": {"围墙已拉警戒线。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving a follow-up draft: %d", resp.StatusCode)
		}
		d, err = h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, incidents[0].ID)
		if err != nil || len(d.Reports) != 2 || d.Reports[1].Status != incident.ReportDraft {
			t.Fatalf("after the follow-up draft: %+v %v", d, err)
		}
		followUp := path + "/reports/" + id(d.Reports[1].ID) + "/edit"
		if resp, _ := desk.get(followUp); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the desk opening a school's follow-up draft to edit: %d", resp.StatusCode)
		}
		if resp, page := cc.get(followUp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "围墙已拉警戒线。") {
			t.Fatalf("the school going on with its follow-up draft: %d", resp.StatusCode)
		}
	})
}

func TestConsoleRosterAdmin(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)
		ctx := context.Background()
		officer := newConsoleClient(t, h.router)
		officer.login(h.dir.Officer)
		if _, page := officer.get("/console/roster?month=2026-10"); strings.Contains(page, "排班管理") {
			t.Fatal("an officer is offered roster management")
		}
		if resp, _ := officer.post("/console/roster/generate", url.Values{"month": {"2026-10"}, "from": {"2026-10-09"}, "to": {"2026-10-09"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an officer generating: %d", resp.StatusCode)
		}
		if _, page := officer.get("/console/roster?month=2026-10"); !strings.Contains(page, `<div class="error-summary" role="status">无权进行此操作`) {
			t.Fatal("an officer's refused generation is not reported")
		}
		if shifts, _ := h.store.Roster.Roster(ctx, h.dir.Admin, cst(10, 9, 0, 0), cst(10, 10, 0, 0)); len(shifts) != 0 {
			t.Fatalf("an officer generated %d shifts", len(shifts))
		}

		admin := newConsoleClient(t, h.router)
		admin.login(h.dir.Admin)
		if _, page := admin.get("/console/roster?month=2026-10"); !strings.Contains(page, "排班管理") || !strings.Contains(page, "本月尚未排班") {
			t.Fatal("the admin is not offered roster management")
		}
		resp, _ := admin.post("/console/roster/generate", url.Values{"month": {"2026-10"}, "from": {"2026-10-09"}, "to": {"2026-10-09"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/roster?month=2026-10" {
			t.Fatalf("generating: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := admin.get("/console/roster?month=2026-10")
		if !strings.Contains(page, "排班已生成：新建2个班次") {
			t.Fatalf("no report of the generation:\n%s", page)
		}
		shifts, err := h.store.Roster.Roster(ctx, h.dir.Admin, cst(10, 9, 0, 0), cst(10, 10, 0, 0))
		if err != nil || len(shifts) == 0 {
			t.Fatalf("after generating: %v %v", shifts, err)
		}
		day := shiftAt(t, shifts, cst(10, 9, 8, 30))
		onDay := peopleOn(day, roster.DutyOfficer)
		var spare *models.User
		for _, o := range d.Officers {
			if !slices.Contains(peopleOn(day, roster.DutyOfficer), o.ID) && !slices.Contains(peopleOn(shiftAt(t, shifts, cst(10, 9, 17, 30)), roster.DutyOfficer), o.ID) {
				spare = o
			}
		}
		var mine roster.Assignment
		for _, a := range day.Assignments {
			if a.UserID == onDay[0] {
				mine = a
			}
		}
		if !strings.Contains(page, `<option value="`+id(mine.ID)+`">`) || !strings.Contains(page, `<option value="`+id(spare.ID)+`">`) {
			t.Fatal("the override form does not offer the assignment and the spare officer")
		}

		// Putting the shift's other officer in this place would double-book them: refused, nothing changes.
		resp, _ = admin.post("/console/roster/assignments/replace", url.Values{"month": {"2026-10"}, "assignment_id": {id(mine.ID)}, "user_id": {id(onDay[1])}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a double-booking override: %d", resp.StatusCode)
		}
		if _, page := admin.get("/console/roster?month=2026-10"); !strings.Contains(page, `<div class="error-summary" role="status">`) {
			t.Fatal("a refused override is not reported")
		}
		after, _ := h.store.Roster.Roster(ctx, h.dir.Admin, cst(10, 9, 0, 0), cst(10, 10, 0, 0))
		if got := peopleOn(shiftAt(t, after, cst(10, 9, 8, 30)), roster.DutyOfficer); !slices.Equal(got, onDay) {
			t.Fatalf("a refused override changed the shift: %v, was %v", got, onDay)
		}
		resp, _ = admin.post("/console/roster/assignments/replace", url.Values{"month": {"2026-10"}, "assignment_id": {id(mine.ID)}, "user_id": {id(spare.ID)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an override: %d", resp.StatusCode)
		}
		if _, page := admin.get("/console/roster?month=2026-10"); !strings.Contains(page, "排班已调整") {
			t.Fatal("no report of the override")
		}
		after, _ = h.store.Roster.Roster(ctx, h.dir.Admin, cst(10, 9, 0, 0), cst(10, 10, 0, 0))
		if got := peopleOn(shiftAt(t, after, cst(10, 9, 8, 30)), roster.DutyOfficer); !slices.Contains(got, spare.ID) || slices.Contains(got, onDay[0]) {
			t.Fatalf("after the override: %v", got)
		}

		resp, _ = admin.post("/console/roster/confirm", url.Values{"month": {"2026-10"}, "from": {"2026-10-09"}, "to": {"2026-10-09"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirming: %d", resp.StatusCode)
		}
		if _, page := admin.get("/console/roster?month=2026-10"); !strings.Contains(page, "已确认2个班次") {
			t.Fatal("no report of the confirmation")
		}
	})
}
