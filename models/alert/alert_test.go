package alert_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/store"
	"dutydesk/notify"
	"dutydesk/scheduler"
)

func sp(s string) *string { return &s }

// deliver sends every due outbox message to the SMTP server and returns how many went out.
func deliver(t *testing.T, stores *app.Stores, srv *smtptest.Server) int {
	t.Helper()
	sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: "值班室 <duty@bureau.example.org>",
		PoolSize: 4, Timeout: 10 * time.Second, TLSConfig: srv.ClientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	d, err := scheduler.NewDispatcher(stores, map[notify.Channel]notify.Sender{notify.ChannelEmail: sender}, 4, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Dispatch(context.Background())
	if err != nil || res.Failed > 0 {
		t.Fatalf("dispatch: %+v %v", res, err)
	}
	return res.Sent
}

var ackLink = regexp.MustCompile(`http://dutydesk\.test/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)`)

// TestRedRainstormReachesEveryContact issues a red rainstorm warning for the whole demo city and
// checks, at a real SMTP server, that every contact got exactly one message with a personal link.
func TestRedRainstormReachesEveryContact(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock()
		stores, db := testenv.Store(t, dialect, clock)
		info, err := stores.Demo.SeedDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		srv := smtptest.Start(t, smtptest.Options{})
		officer := mustUser(t, stores, "duty01")
		whole := true
		a, err := stores.Alerts.IssueAlert(ctx, officer, alert.AlertInput{Type: sp("rainstorm"), Level: sp("red"), WholeCity: &whole})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.Instructions, "幼儿园") || a.Headline != "市教育局转发暴雨红色预警" {
			t.Fatalf("alert text %q / %q", a.Headline, a.Instructions)
		}
		sent := deliver(t, stores, srv)
		// Red needs safety reports, so issuing also opened a round: two messages per contact.
		if sent != 2*info.Contacts {
			t.Fatalf("sent %d messages, want %d (2 per contact)", sent, 2*info.Contacts)
		}
		var warnings int
		seen := map[string]bool{}
		links := map[string]bool{}
		for _, m := range srv.Received() {
			body := decodedBody(t, m.Data)
			if !strings.Contains(body, "确认收到") {
				continue
			}
			warnings++
			if seen[m.To[0]] {
				t.Fatalf("%s got the warning twice", m.To[0])
			}
			seen[m.To[0]] = true
			link := ackLink.FindStringSubmatch(body)
			if link == nil || links[link[1]] {
				t.Fatalf("message to %s has no personal link", m.To[0])
			}
			links[link[1]] = true
		}
		if warnings != info.Contacts {
			t.Fatalf("%d contacts got the warning, want %d", warnings, info.Contacts)
		}
		status, err := stores.Alerts.AlertStatus(ctx, officer, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if status.Schools != info.Schools || status.Unacknowledged != info.Schools || status.Messages["sent"] != info.Contacts {
			t.Fatalf("status totals %d schools, %d unacknowledged, messages %v", status.Schools, status.Unacknowledged, status.Messages)
		}
		_ = db
	})
}

func mustUser(t *testing.T, s *app.Stores, username string) *models.User {
	t.Helper()
	users, _, err := s.Directory.Users(context.Background(), &models.User{Role: models.RoleAdmin, ID: -1}, directory.UserFilter{Page: models.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range users {
		if users[i].Username == username {
			return &users[i]
		}
	}
	t.Fatalf("no user %s", username)
	return nil
}

// TestAlertAcknowledgementAndEscalation follows one warning through acknowledgement by link and
// by API, the reminder to silent schools at 30 min and the escalation to their district at 60 min.
func TestAlertAcknowledgementAndEscalation(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock()
		stores, _ := testenv.Store(t, dialect, clock)
		dir := testenv.SeedDirectory(t, stores)
		srv := smtptest.Start(t, smtptest.Options{})
		whole := true
		a, err := stores.Alerts.IssueAlert(ctx, dir.Officer, alert.AlertInput{Type: sp("typhoon"), Level: sp("yellow"), WholeCity: &whole})
		if err != nil {
			t.Fatal(err)
		}
		if sent := deliver(t, stores, srv); sent != 6 {
			t.Fatalf("sent %d warnings, want 6 (2 contacts × 3 schools)", sent)
		}
		// The principal of 1A confirms from the e-mail; a second click changes nothing.
		var token string
		for _, m := range srv.Received() {
			if m.To[0] == fmt.Sprintf("principal.%d@example.org", dir.School1A.ID) {
				token = ackLink.FindStringSubmatch(decodedBody(t, m.Data))[1]
			}
		}
		first, err := stores.Alerts.AcknowledgeByLink(ctx, token)
		if err != nil || first.AcknowledgedAt == nil || first.AckByName != "东湖区第一小学校长" {
			t.Fatalf("acknowledge: %+v %v", first, err)
		}
		clock.Advance(time.Minute)
		again, err := stores.Alerts.AcknowledgeByLink(ctx, token)
		if err != nil || !again.AcknowledgedAt.Equal(*first.AcknowledgedAt) {
			t.Fatalf("second click moved the acknowledgement: %+v %v", again, err)
		}
		// A link cannot be turned into another school's.
		if _, err := stores.Alerts.AcknowledgeByLink(ctx, token[:len(token)-3]+"AAA"); models.ErrCode(err) != models.ENOTFOUND {
			t.Fatalf("altered link: %v", err)
		}
		// 1B phones the desk, which confirms for it.
		if _, err := stores.Alerts.AcknowledgeAlert(ctx, dir.Officer, a.ID, dir.School1B.ID); err != nil {
			t.Fatal(err)
		}
		// A school reporter cannot confirm for another school.
		if _, err := stores.Alerts.AcknowledgeAlert(ctx, dir.Reporter, a.ID, dir.School2A.ID); models.ErrCode(err) != models.ENOTFOUND {
			t.Fatalf("reporter confirming for another school: %v", err)
		}

		before := len(srv.Received())
		clock.Set(a.IssuedAt.Add(30*time.Minute - time.Second))
		if res, _ := stores.Escalation.Sweep(ctx, clock.Now()); res.Fired != 0 {
			t.Fatalf("escalated before the acknowledgement was due: %+v", res)
		}
		clock.Set(a.IssuedAt.Add(30 * time.Minute))
		if res, err := stores.Escalation.Sweep(ctx, clock.Now()); err != nil || res.Fired != 1 {
			t.Fatalf("reminder sweep: %+v %v", res, err)
		}
		deliver(t, stores, srv)
		reminders := srv.Received()[before:]
		if len(reminders) != 2 {
			t.Fatalf("reminder reached %d addresses, want the 2 contacts of 2A", len(reminders))
		}
		tokens := map[string]bool{}
		for _, m := range reminders {
			if !strings.HasSuffix(m.To[0], fmt.Sprintf(".%d@example.org", dir.School2A.ID)) {
				t.Fatalf("reminder went to %s", m.To[0])
			}
			// Each contact is chased with its own acknowledgement link, as the warning had (issue 18).
			link := regexp.MustCompile(testenv.BaseURL + `/a/([A-Za-z0-9_.\-]+)`).FindStringSubmatch(decodedBody(t, m.Data))
			if link == nil {
				t.Fatalf("the reminder to %s carries no acknowledgement link", m.To[0])
			}
			claims, err := stores.Directory.Links().Verify(link[1], directory.LinkAlertAck, clock.Now())
			if err != nil || claims.SchoolID != dir.School2A.ID || claims.SubjectID != a.ID {
				t.Fatalf("the reminder's link: %+v %v", claims, err)
			}
			tokens[link[1]] = true
		}
		if len(tokens) != 2 {
			t.Fatalf("the two contacts got %d distinct links", len(tokens))
		}
		before = len(srv.Received())
		clock.Set(a.IssuedAt.Add(60 * time.Minute))
		if res, err := stores.Escalation.Sweep(ctx, clock.Now()); err != nil || res.Fired != 1 {
			t.Fatalf("escalation sweep: %+v %v", res, err)
		}
		deliver(t, stores, srv)
		escalated := map[string]string{}
		for _, m := range srv.Received()[before:] {
			escalated[m.To[0]] = decodedBody(t, m.Data)
		}
		// 西江区 has no district officer in the fixture; the leader on duty gets the list.
		body, ok := escalated[dir.Leader.Email]
		if !ok || len(escalated) != 1 {
			t.Fatalf("escalation reached %v, want the leader", keys(escalated))
		}
		if !strings.Contains(body, "责任单位：西江区第一中学") {
			t.Fatalf("escalation does not list the silent school:\n%s", body)
		}
		// The last school confirms: the ladder stops.
		if _, err := stores.Alerts.AcknowledgeAlert(ctx, dir.Officer, a.ID, dir.School2A.ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(24 * time.Hour)
		if res, _ := stores.Escalation.Sweep(ctx, clock.Now()); res.Fired != 0 {
			t.Fatalf("fired after everyone confirmed: %+v", res)
		}
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestThreeSilentSchoolsEscalateToTheirDistrict: in the demo city, all but three schools confirm;
// at 60 min the district officers of exactly those schools' districts get their names.
func TestThreeSilentSchoolsEscalateToTheirDistrict(t *testing.T) {
	ctx := context.Background()
	clock := testenv.Clock()
	stores, db := testenv.Store(t, store.SQLite, clock)
	if _, err := stores.Demo.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	officer := mustUser(t, stores, "duty01")
	whole := true
	a, err := stores.Alerts.IssueAlert(ctx, officer, alert.AlertInput{Type: sp("typhoon"), Level: sp("yellow"), WholeCity: &whole})
	if err != nil {
		t.Fatal(err)
	}
	schools, _, _, err := stores.Directory.Schools(ctx, officer, directory.SchoolFilter{Page: models.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	more, _, _, _ := stores.Directory.Schools(ctx, officer, directory.SchoolFilter{Page: models.Page{Limit: 1000, Cursor: schools[len(schools)-1].ID}})
	schools = append(schools, more...)
	silent := map[int64]bool{schools[5].ID: true, schools[400].ID: true, schools[950].ID: true}
	// Every other school confirms. One statement instead of 999 acknowledgements keeps the test
	// quick; acknowledging itself is covered by TestAlertAcknowledgementAndEscalation.
	err = db.Exec("UPDATE alert_schools SET acknowledged_at = ?, ack_by_name = 'test' WHERE alert_id = ? AND school_id NOT IN ?",
		clock.Now(), a.ID, []int64{schools[5].ID, schools[400].ID, schools[950].ID}).Error
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t, smtptest.Options{})
	deliver(t, stores, srv)
	before := len(srv.Received())
	clock.Set(a.IssuedAt.Add(60 * time.Minute))
	if _, err := stores.Escalation.Sweep(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	deliver(t, stores, srv)
	got := map[string]string{}
	for _, m := range srv.Received()[before:] {
		got[m.To[0]] = decodedBody(t, m.Data)
	}
	for id := range silent {
		sc, _ := stores.Directory.School(ctx, officer, id)
		officerOf := fmt.Sprintf("district%02d@bureau.example.org", sc.DistrictID)
		body, ok := got[officerOf]
		if !ok {
			t.Fatalf("district officer %s was not told (told: %v)", officerOf, keys(got))
		}
		if !strings.Contains(body, sc.Name) {
			t.Fatalf("%s's message does not name %s", officerOf, sc.Name)
		}
	}
}

func TestLiftingSendsOneFinalMessage(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock()
		stores, _ := testenv.Store(t, dialect, clock)
		dir := testenv.SeedDirectory(t, stores)
		srv := smtptest.Start(t, smtptest.Options{})
		districts := []int64{dir.District1.ID}
		a, err := stores.Alerts.IssueAlert(ctx, dir.Officer, alert.AlertInput{Type: sp("typhoon"), Level: sp("blue"), DistrictIDs: &districts})
		if err != nil {
			t.Fatal(err)
		}
		if n := deliver(t, stores, srv); n != 4 {
			t.Fatalf("issue sent %d, want 4 (District1 only)", n)
		}
		clock.Advance(2 * time.Hour)
		if _, err := stores.Alerts.LiftAlert(ctx, dir.Officer, a.ID, "台风已远离"); err != nil {
			t.Fatal(err)
		}
		if _, err := stores.Alerts.LiftAlert(ctx, dir.Officer, a.ID, ""); models.ErrCode(err) != models.ECONFLICT {
			t.Fatalf("lifting twice: %v", err)
		}
		before := len(srv.Received())
		if n := deliver(t, stores, srv); n != 4 {
			t.Fatalf("lifting sent %d, want one per contact (4)", n)
		}
		for _, m := range srv.Received()[before:] {
			if body := decodedBody(t, m.Data); !strings.Contains(body, "解除台风蓝色预警") || strings.Contains(body, "/a/") {
				t.Fatalf("lifting message:\n%s", body)
			}
		}
		// Lifting stopped the acknowledgement ladder.
		if res, _ := stores.Escalation.Sweep(ctx, clock.Now().Add(24*time.Hour)); res.Fired != 0 {
			t.Fatalf("ladder went on after lifting: %+v", res)
		}
		detail, _ := stores.Alerts.Alert(ctx, dir.Leader, a.ID)
		if len(detail.Events) != 2 || detail.Events[1].Action != "lifted" || detail.Events[1].Messages != 4 {
			t.Fatalf("timeline %+v", detail.Events)
		}
	})
}

func TestUpgradeToOrangeOpensSafetyRound(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock() // 10:00 Shanghai
		stores, _ := testenv.Store(t, dialect, clock)
		dir := testenv.SeedDirectory(t, stores)
		whole := true
		a, err := stores.Alerts.IssueAlert(ctx, dir.Officer, alert.AlertInput{Type: sp("rainstorm"), Level: sp("yellow"), WholeCity: &whole})
		if err != nil {
			t.Fatal(err)
		}
		rounds, _ := stores.Alerts.SafetyRounds(ctx, dir.Officer, a.ID)
		if len(rounds) != 0 {
			t.Fatalf("a yellow alert opened %d safety rounds", len(rounds))
		}
		if _, err := stores.Alerts.AcknowledgeAlert(ctx, dir.Officer, a.ID, dir.School1A.ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		up, err := stores.Alerts.UpdateAlert(ctx, dir.Officer, a.ID, alert.AlertInput{Level: sp("orange")})
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || !strings.Contains(up.Instructions, "推迟上学") {
			t.Fatalf("upgraded alert %+v", up)
		}
		status, _ := stores.Alerts.AlertStatus(ctx, dir.Officer, a.ID)
		if status.Acknowledged != 0 {
			t.Fatalf("raising the level kept %d acknowledgements; every school must confirm again", status.Acknowledged)
		}
		rounds, _ = stores.Alerts.SafetyRounds(ctx, dir.Officer, a.ID)
		if len(rounds) != 1 || rounds[0].Round.Label != "升级为橙色时" || rounds[0].Schools != 3 {
			t.Fatalf("rounds after upgrade: %+v", rounds)
		}
		round := rounds[0].Round
		// 1A files a zero report by API, 2A reports damage through its link, 1B stays silent.
		if _, err := stores.Alerts.FileSafetyReport(ctx, dir.Reporter, round.ID, 0, alert.SafetyReportInput{State: "safe"}); err != nil {
			t.Fatal(err)
		}
		token := directory.NewLinkSigner(testenv.Secret).Sign(directory.LinkClaims{Purpose: directory.LinkSafetyReport,
			RecipientID: firstContact(t, stores, dir, dir.School2A.ID), SchoolID: dir.School2A.ID, SubjectID: round.ID, ExpiresAt: clock.Now().Add(time.Hour)})
		if _, err := stores.Alerts.FileSafetyReportByLink(ctx, token, alert.SafetyReportInput{State: "damage", PropertyLoss: 1500, Description: "3棵树倒伏"}); err != nil {
			t.Fatal(err)
		}
		if _, err := stores.Alerts.FileSafetyReportByLink(ctx, token, alert.SafetyReportInput{State: "safe", Injured: 2}); models.ErrCode(err) != models.EINVALID {
			t.Fatalf("safe with injuries accepted: %v", err)
		}
		rounds, _ = stores.Alerts.SafetyRounds(ctx, dir.Leader, a.ID)
		sum := rounds[0]
		if sum.Filed != 2 || sum.Safe != 1 || sum.Damaged != 1 || sum.PropertyLoss != 1500 || len(sum.Missing) != 1 || sum.Missing[0] != "东湖区实验幼儿园" {
			t.Fatalf("summary %+v", sum)
		}
		if want := "应报3所，已报2所，其中平安1所、停课0所、有损失1所；未报1所。西江区第一中学：受伤0人，财产损失1,500元，3棵树倒伏。"; sum.Text() != want {
			t.Fatalf("summary text\n got %s\nwant %s", sum.Text(), want)
		}
		// The district officer sees only District1's schools in the summary.
		rounds, _ = stores.Alerts.SafetyRounds(ctx, dir.DistrictOfficer, a.ID)
		if rounds[0].Schools != 2 {
			t.Fatalf("district officer's summary covers %d schools", rounds[0].Schools)
		}
		// At 20:00 the scheduled round opens once, however often the job runs.
		clock.Set(time.Date(2026, 10, 8, 20, 0, 0, 0, testenv.Shanghai))
		for range 2 {
			if _, err := stores.Alerts.OpenScheduledSafetyRounds(ctx, clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		rounds, _ = stores.Alerts.SafetyRounds(ctx, dir.Officer, a.ID)
		if len(rounds) != 2 || rounds[1].Round.Label != "2026-10-08 20:00" {
			t.Fatalf("rounds at 20:00: %+v", rounds)
		}
	})
}

func firstContact(t *testing.T, s *app.Stores, dir *testenv.Directory, schoolID int64) int64 {
	t.Helper()
	sc, err := s.Directory.School(context.Background(), dir.Admin, schoolID)
	if err != nil {
		t.Fatal(err)
	}
	return sc.Contacts[0].ID
}
