package incident_test

import (
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

func TestDailyBriefListsYesterdaysIncidents(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := time.Date(2026, 10, 7, 16, 20, 0, 0, testenv.Shanghai)
		e.clock.Set(occurred.Add(20 * time.Minute))
		e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))

		from := time.Date(2026, 10, 7, 0, 0, 0, 0, testenv.Shanghai)
		lines, err := e.store.Incidents.BriefLines(e.ctx, e.core(), from, from.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(lines, "\n")
		if !strings.Contains(got, "昨日新发突发事件1起：16:20 学生校外溺水（东湖区第一小学，") || !strings.Contains(got, "尚未终报或签收终报的事件1起") {
			t.Fatalf("brief lines:\n%s", got)
		}
		lines, _ = e.store.Incidents.BriefLines(e.ctx, e.core(), from.AddDate(0, 0, 1), from.AddDate(0, 0, 2))
		if lines[0] != "昨日无新发突发事件。" {
			t.Fatalf("quiet day: %q", lines)
		}
	})
}
