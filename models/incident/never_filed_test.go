package incident_test

import (
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/incident"
	"dutydesk/models/stats"
	"dutydesk/models/store"
)

// TestNeverFiledReportIsMissed: an incident taken by phone whose written report never comes is
// forwarded upward all the same; it has its 期号, and the statistics count its written report as
// 漏报 from the moment it was due — "5期 … 6起, 无漏报" is not what such a year reads (issue 18).
func TestNeverFiledReportIsMissed(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(10 * time.Minute))
		in := incident.PhoneReportInput{ReportInput: drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred),
			CallerUnit: "东湖区第一小学", CallerName: "王校长", CallerPhone: "13800000001"}
		in.ReporterName, in.ReporterPhone = nil, nil
		inc, phone, err := e.store.Incidents.RecordPhoneReport(e.ctx, e.dir.Officer, in)
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.store.Incidents.ForwardReport(e.ctx, e.dir.Officer, inc.ID, phone.ID,
			incident.ForwardInput{Recipient: "市政府总值班室", Method: incident.ForwardPhone})
		if err != nil || f == nil {
			t.Fatalf("forward the phone report: %v", err)
		}
		if d := e.detail(inc.ID); d.Serial == nil || *d.Serial != "2026-001" {
			t.Fatalf("a forwarded incident has serial %v, want 2026-001", d.Serial)
		}

		year := stats.StatsFilter{From: cst(1, 1, 0, 0, 0), To: cst(12, 31, 0, 0, 0)}
		initial := func() stats.DeadlineCounts {
			t.Helper()
			st, err := e.store.Stats.Stats(e.ctx, e.dir.Admin, year)
			if err != nil {
				t.Fatal(err)
			}
			if st.Serials.Issued != 1 {
				t.Fatalf("serials %+v, want the forwarded incident's", st.Serials)
			}
			return st.Reports.ByKind[0]
		}
		// The written report is due at 09:30: just before, it is pending; just after, unfiled, 漏报.
		e.clock.Set(occurred.Add(30*time.Minute - time.Second))
		if got := initial(); got.Missed != 0 || got.Pending != 1 {
			t.Fatalf("before the written report is due: %+v", got)
		}
		e.clock.Set(occurred.Add(30*time.Minute + time.Second))
		if got := initial(); got.Missed != 1 || got.Overdue != 0 {
			t.Fatalf("after the written report was due, unfiled: %+v, want 漏报", got)
		}
		st, _ := e.store.Stats.Stats(e.ctx, e.dir.Admin, year)
		if st.Serials.MissedIssues != 1 {
			t.Fatalf("serials %+v, want its 期 counted as 漏报", st.Serials)
		}
		// The incident says so too: one 漏报, its written report's deadline missed (still open: the
		// school may file it, late).
		d := e.detail(inc.ID)
		if d.MissedReports != 1 {
			t.Fatalf("the incident counts %d 漏报, want 1", d.MissedReports)
		}
		list, _, _, err := e.store.Incidents.Incidents(e.ctx, e.dir.Officer, incident.IncidentFilter{})
		if err != nil || len(list) != 1 || list[0].MissedReports != 1 {
			t.Fatalf("the incident list counts %+v, want 1 漏报 (%v)", list, err)
		}
		for _, dl := range d.Deadlines {
			if dl.Kind == "written_report" && (dl.State != "missed" || dl.DoneAt != nil) {
				t.Fatalf("the written report's deadline %+v, want missed and open", dl)
			}
		}
	})
}
