package escalation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/incident"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// TestEscalationSaysWhatHappened: a leader reading the chase of an unsigned report learns the
// school, the class, the casualties, the latest account, whom to call and where to act — not an
// internal reference (issue 18).
func TestEscalationSaysWhatHappened(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		occurred := time.Date(2026, 10, 8, 10, 0, 0, 0, testenv.Shanghai)
		e.clock.Set(occurred.Add(10 * time.Minute))
		sev, title, cat, place, summary := incident.SeverityIII, "学生校外溺水", "accident", "学校东侧河道", "一名学生放学后在河道游泳溺水，已送医。"
		injured, name, phone := 2, "王校长", "13800000001"
		inc, err := e.store.Incidents.CreateIncident(ctx, e.dir.Reporter, incident.ReportInput{SchoolID: &e.dir.School1A.ID,
			Title: &title, Category: &cat, Severity: &sev, OccurredAt: &occurred, Place: &place, Summary: &summary,
			Injured: &injured, ReporterName: &name, ReporterPhone: &phone})
		if err != nil {
			t.Fatal(err)
		}
		// Nobody at the desk signs for it: its signature deadline (15 min) escalates.
		if res := e.sweepAt(t, occurred.Add(40*time.Minute)); res.Fired == 0 {
			t.Fatalf("nothing fired: %+v", res)
		}
		msgs, _, err := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{Kind: notify.KindEscalation})
		if err != nil || len(msgs) == 0 {
			t.Fatalf("escalation messages: %d, %v", len(msgs), err)
		}
		var body string
		for _, m := range msgs {
			if strings.Contains(m.Subject, "签收") {
				body = m.BodyText
			}
		}
		for _, want := range []string{
			"事件：学生校外溺水", "学校：" + e.dir.School1A.Name, "类别与等级：", "Ⅲ级（较大）", "发生：10月8日 10:00，学校东侧河道",
			"伤亡：死亡0人、受伤2人、失踪0人", "最新情况（首报）：一名学生放学后在河道游泳溺水，已送医。", "报送人：王校长",
			"联系电话：13800000001", "详情及办理：" + testenv.BaseURL + "/console/incidents/" + models.FormatID(inc.ID),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the escalation of the unsigned report does not say %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "编号：") || strings.Contains(body, "report/") {
			t.Errorf("the escalation shows an internal reference:\n%s", body)
		}
	})
}
