package incident_test

import (
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/incident"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// TestMajorReportIsToldAtOnce: a report of a I–II incident, or a sensitive one, reaches the leader
// on duty and the officers on shift the moment it comes in; a IV incident's waits for the desk
// (issue 18).
func TestMajorReportIsToldAtOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		notices := func() []store.OutboxMessage {
			t.Helper()
			msgs, _, err := e.store.OutboxMessages(e.ctx, e.dir.Admin, store.OutboxFilter{Kind: notify.KindMajorReport})
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		occurred := e.clock.Now().Add(-10 * time.Minute)
		e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, occurred))
		if n := notices(); len(n) != 0 {
			t.Fatalf("a IV incident was told at once: %+v", n)
		}
		inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
		got := notices()
		to := map[string]bool{}
		for _, m := range got {
			to[m.Recipient] = true
			if m.Subject != "【重大突发事件·首报】Ⅱ级（重大） 学生校外溺水："+e.dir.School1A.Name ||
				!strings.Contains(m.BodyText, "伤亡：死亡1人、受伤0人、失踪0人") || !strings.Contains(m.BodyText, "联系电话：13800000001") {
				t.Fatalf("notice %q:\n%s", m.Subject, m.BodyText)
			}
		}
		// No roster yet: everyone who could be on duty stands in.
		if !to[e.dir.Leader.Email] || !to[e.dir.Officer.Email] || len(got) != 2 {
			t.Fatalf("the notice reached %v, want the leader and the officer", to)
		}
		e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("学生已脱离危险。"))
		if n := notices(); len(n) != 4 {
			t.Fatalf("the follow-up of a II incident was not told: %d notices", len(n))
		}
		// Taken by phone, the notice names the caller and the number to call back.
		in := incident.PhoneReportInput{ReportInput: drowningReport(e.dir.School1B.ID, incident.SeverityI, occurred),
			CallerUnit: "东湖区第二小学", CallerName: "李校长", CallerPhone: "13900000002"}
		in.ReporterName, in.ReporterPhone = nil, nil
		if _, _, err := e.store.Incidents.RecordPhoneReport(e.ctx, e.dir.Officer, in); err != nil {
			t.Fatal(err)
		}
		phoned := notices()
		if len(phoned) != 6 {
			t.Fatalf("the phone report of a I incident was not told: %d notices", len(phoned))
		}
		for _, m := range phoned[4:] {
			if !strings.Contains(m.BodyText, "报送人：东湖区第二小学 李校长") || !strings.Contains(m.BodyText, "联系电话：13900000002") {
				t.Fatalf("the phone report's notice names no caller:\n%s", m.BodyText)
			}
		}
	})
}
