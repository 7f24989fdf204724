package handlers_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

// The console in a real browser: headless Chromium against the real router over a real database.

const chromiumPath = "/usr/bin/chromium"

// browserPage is one Chromium tab on a test server of the harness's router.
type browserPage struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newBrowser starts Chromium with a tab of width×height. It skips the test only when Chromium is
// missing outside CI; in CI (CI=true) a missing Chromium fails it.
func newBrowser(t *testing.T, h *harness, width, height int64) *browserPage {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no %s (apt-get install chromium); browser tests run whenever CI is set", chromiumPath)
		}
		t.Fatalf("CI is set but Chromium is missing: %v", err)
	}
	srv := httptest.NewServer(h.router)
	t.Cleanup(srv.Close)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(int(width), int(height)))
	root, cancelRoot := context.WithTimeout(context.Background(), 2*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelRoot() })
	b := &browserPage{t: t, ctx: ctx, base: srv.URL}
	b.do(chromedp.EmulateViewport(width, height))
	return b
}

// do runs the steps, failing the test at the first error.
func (b *browserPage) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// text returns the visible text of the first element matching the CSS selector.
func (b *browserPage) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// login signs in through the login form from the keyboard: type, then Enter.
func (b *browserPage) login(u *models.User) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.ID("f-username")),
		chromedp.SendKeys(chromedp.ID("f-username"), u.Username),
		chromedp.SendKeys(chromedp.ID("f-password"), testenv.Password+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")))
}

// focused returns the id of the element that has the keyboard focus.
func (b *browserPage) focused() string {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.activeElement.id"))
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// screenshot saves the whole page as docs/<name>.png when DUTYDESK_SCREENSHOTS names the folder.
func (b *browserPage) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("DUTYDESK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fitsWidth fails the test if the page scrolls sideways.
func (b *browserPage) fitsWidth(width int) {
	b.t.Helper()
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if err != nil {
		b.t.Fatal(err)
	}
	if w > width {
		b.t.Fatalf("page is %d px wide on a %d px screen", w, width)
	}
}

// fileDrowning files a submitted initial report for School1A as its reporter, 20 minutes ago.
func fileDrowning(t *testing.T, h *harness) *incident.Incident {
	t.Helper()
	title, cat, sub, place := "东湖区第一小学学生溺水", "accident", "drowning", "学校东侧河道"
	sev, dead := incident.SeverityIV, 0
	at := h.clock.Now().Add(-20 * time.Minute)
	summary, name, phone := "一名学生放学后在河边落水，已被救起送医。", "张老师", "13800000001"
	d, err := h.store.Incidents.CreateIncident(context.Background(), h.dir.Reporter, incident.ReportInput{
		SchoolID: &h.dir.School1A.ID, Title: &title, Category: &cat, Subtype: &sub, Severity: &sev, OccurredAt: &at,
		Place: &place, Summary: &summary, Dead: &dead, ReporterName: &name, ReporterPhone: &phone})
	if err != nil {
		t.Fatal(err)
	}
	return &d.Incident
}

// issueRainstorm issues a city-wide red rainstorm warning as the duty officer.
func issueRainstorm(t *testing.T, h *harness) *alert.Alert {
	t.Helper()
	typ, level, whole, headline := "rainstorm", "red", true, "市气象台发布暴雨红色预警信号"
	a, err := h.store.Alerts.IssueAlert(context.Background(), h.dir.Officer, alert.AlertInput{Type: &typ, Level: &level, WholeCity: &whole, Headline: &headline})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConsoleDeskSignsReport(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-07", "2026-10-09")
		inc := fileDrowning(t, h)
		issueRainstorm(t, h)
		// 20 minutes on, the signature (due in 15) is overdue and its first escalation step has fired.
		h.clock.Advance(20 * time.Minute)
		if _, err := h.store.Escalation.Sweep(context.Background(), h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, h, 1280, 900)

		b.login(h.dir.Officer)
		b.do(chromedp.WaitVisible(chromedp.ID("on-duty")))
		card := b.text("#on-duty")
		now, err := h.store.Roster.OnDuty(context.Background(), h.clock.Now())
		if err != nil || now.Leader == nil || len(now.Officers) != 2 {
			t.Fatalf("roster on duty now: %+v %v", now, err)
		}
		for _, name := range []string{now.Leader.DisplayName, now.Officers[0].DisplayName, now.Officers[1].DisplayName, "下一班"} {
			if !strings.Contains(card, name) {
				t.Fatalf("on-duty card %q lacks %q", card, name)
			}
		}
		if progress := b.text("main"); !strings.Contains(progress, "已确认 0/3 所学校") {
			t.Fatalf("dashboard lacks the alert's progress: %q", progress)
		}
		if row := b.text("tr.overdue"); !strings.Contains(row, "签收首报") || !strings.Contains(row, "已超时 5:00") {
			t.Fatalf("the overdue signature is not shown in red: %q", row)
		}
		if esc := b.text("#escalations"); !strings.Contains(esc, "信息签收") {
			t.Fatalf("today's escalations: %q", esc)
		}
		b.screenshot("console-dashboard")

		b.do(chromedp.Click(chromedp.CSS(`a[href="/console/incidents/`+id(inc.ID)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#reports-h")))
		b.screenshot("console-incident")
		b.do(chromedp.Click(chromedp.CSS(`form[action$="/sign"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if msg := b.text(".flash"); !strings.HasPrefix(msg, "已签收首报") {
			t.Fatalf("after signing the page says %q", msg)
		}
		d, err := h.store.Incidents.IncidentDetail(context.Background(), h.dir.Officer, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := d.Reports[0]; r.Status != incident.ReportSigned || r.SignedBy == nil || *r.SignedBy != h.dir.Officer.ID {
			t.Fatalf("report after signing in the browser: %+v", r)
		}

		// The roster's month calendar names today's people.
		b.do(chromedp.Click(chromedp.CSS(`nav a[href="/console/roster"]`)), chromedp.WaitVisible(chromedp.CSS("table.calendar")))
		if today := b.text("td.today"); !strings.Contains(today, now.Leader.DisplayName) {
			t.Fatalf("today's calendar cell %q lacks the leader on duty", today)
		}
		b.screenshot("console-roster")
	})
}

func TestConsoleSchoolFilesReportOnPhone(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		b := newBrowser(t, h, 360, 740)

		b.login(h.dir.Reporter)
		b.do(chromedp.Click(chromedp.CSS(`a.button[href="/console/report"]`)),
			chromedp.WaitVisible(chromedp.ID("f-title")))
		b.fitsWidth(360)

		// An empty form comes back with the API's messages next to the fields.
		b.do(chromedp.Click(chromedp.CSS("button.big")), chromedp.WaitVisible(chromedp.ID("e-title")))
		if got := b.text("#e-title"); got != "请填写事件标题" {
			t.Fatalf("title error %q", got)
		}
		if got := b.text("#e-reporter_phone"); got != "请填写报送人电话" {
			t.Fatalf("phone error %q", got)
		}
		if got := b.focused(); got != "error-summary" {
			t.Fatalf("after a refused form the focus is on %q, not on the list of problems", got)
		}

		// The first facts, saved as a draft before the network goes; then taken up again.
		b.do(chromedp.SendKeys(chromedp.ID("f-title"), "东湖区第一小学食堂疑似食物中毒"),
			chromedp.SetValue(chromedp.ID("f-category"), "public_health"),
			chromedp.SetValue(chromedp.ID("f-subtype"), "food_poisoning"),
			chromedp.SetValue(chromedp.ID("f-occurred_at"), "2026-10-08T09:40"),
			chromedp.SendKeys(chromedp.ID("f-place"), "学校食堂"))
		b.do(chromedp.Click(chromedp.CSS(`button[name=draft]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		b.fitsWidth(360)
		if msg := b.text(".flash"); !strings.Contains(msg, "草稿已保存") {
			t.Fatalf("after saving a draft the page says %q", msg)
		}
		b.do(chromedp.Click(chromedp.CSS(`a.button[href$="/edit"]`)), chromedp.WaitVisible(chromedp.ID("f-summary")))
		title, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("f-title").value`))
		if err != nil || title != "东湖区第一小学食堂疑似食物中毒" {
			t.Fatalf("the draft's title in the form: %q %v", title, err)
		}
		b.do(chromedp.Click(chromedp.CSS(`input[name=severity][value="4"]`)),
			chromedp.SendKeys(chromedp.ID("f-summary"), "午餐后12名学生腹痛呕吐，已送医观察。"),
			chromedp.SetValue(chromedp.ID("f-injured"), "12"),
			chromedp.SendKeys(chromedp.ID("f-reporter_name"), "李老师"),
			chromedp.SendKeys(chromedp.ID("f-reporter_phone"), "13900000002"))
		b.screenshot("console-school-report")
		b.do(chromedp.Click(chromedp.CSS("button.big")), chromedp.WaitVisible(chromedp.CSS(".flash")))
		b.fitsWidth(360)
		if msg := b.text(".flash"); !strings.Contains(msg, "报告已提交") {
			t.Fatalf("after filing the page says %q", msg)
		}

		items, _, _, err := h.store.Incidents.Incidents(context.Background(), h.dir.Officer, incident.IncidentFilter{})
		if err != nil || len(items) != 1 {
			t.Fatalf("incidents after filing: %v %v", items, err)
		}
		inc := items[0]
		want := time.Date(2026, 10, 8, 9, 40, 0, 0, testenv.Shanghai)
		if inc.Title != "东湖区第一小学食堂疑似食物中毒" || inc.SchoolID != h.dir.School1A.ID || inc.Subtype != "food_poisoning" ||
			inc.Severity != incident.SeverityIV || !inc.OccurredAt.Equal(want) || inc.Status != incident.IncidentOpen {
			t.Fatalf("filed incident %+v", inc)
		}
		d, err := h.store.Incidents.IncidentDetail(context.Background(), h.dir.Officer, inc.ID)
		if err != nil || len(d.Reports) != 1 || d.Reports[0].Injured != 12 || d.Reports[0].Status != incident.ReportSubmitted {
			t.Fatalf("filed report %+v %v", d, err)
		}
	})
}

func TestConsoleAcknowledgementLink(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		a := issueRainstorm(t, h)
		contactID := contactOf(t, h, h.dir.School1B.ID)
		token := directory.NewLinkSigner(testenv.Secret).Sign(directory.LinkClaims{Purpose: directory.LinkAlertAck,
			RecipientID: contactID, SchoolID: h.dir.School1B.ID, SubjectID: a.ID, ExpiresAt: h.clock.Now().Add(time.Hour)})
		b := newBrowser(t, h, 360, 740)

		b.do(chromedp.Navigate(b.base+"/a/"+token), chromedp.WaitVisible(chromedp.CSS("button.big")))
		b.fitsWidth(360)
		if page := b.text("main"); !strings.Contains(page, "暴雨红色预警") || !strings.Contains(page, h.dir.School1B.Name) {
			t.Fatalf("ack page %q", page)
		}
		b.screenshot("console-ack")
		b.do(chromedp.Click(chromedp.CSS("button.big")), chromedp.WaitVisible(chromedp.ID("ack-done")))
		b.screenshot("console-ack-done")

		st, err := h.store.Alerts.AlertStatus(context.Background(), h.dir.Officer, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.PerSchool {
			if acked := s.AcknowledgedAt != nil; acked != (s.SchoolID == h.dir.School1B.ID) {
				t.Fatalf("school %s acknowledged=%v after one link was confirmed", s.School, acked)
			}
		}
		// A forged token shows the link as invalid, never the alert.
		b.do(chromedp.Navigate(b.base+"/a/"+token+"x"), chromedp.WaitVisible(chromedp.CSS("main p[role=alert]")))
		if msg := b.text("main p[role=alert]"); msg != "链接无效或已失效" {
			t.Fatalf("forged link says %q", msg)
		}
	})
}
