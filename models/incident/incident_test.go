package incident_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// incidentEnv is a Store over a fresh database with the fixture directory and a moved clock.
type incidentEnv struct {
	t     *testing.T
	ctx   context.Context
	store *app.Stores
	db    *store.DB
	clock *models.FakeClock
	dir   *testenv.Directory
}

// newIncidentEnv opens a Store with the given report rules (nil: the defaults).
func newIncidentEnv(t *testing.T, dialect store.Dialect, rules *config.ReportRules) *incidentEnv {
	t.Helper()
	clock := testenv.Clock()
	db := testenv.OpenDB(t, dialect, clock)
	opts := app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4, SessionTTL: 12 * time.Hour}}
	if rules != nil {
		opts.Incidents.ReportRules = *rules
	}
	stores := app.New(db, clock, opts)
	return &incidentEnv{t: t, ctx: context.Background(), store: stores, db: db, clock: clock, dir: testenv.SeedDirectory(t, stores)}
}

func ptr[T any](v T) *T { return &v }

// drowningReport is a complete initial report of a drowning at school, occurred at occurred.
func drowningReport(schoolID int64, sev incident.Severity, occurred time.Time) incident.ReportInput {
	return incident.ReportInput{SchoolID: &schoolID, Title: ptr("学生校外溺水"), Category: ptr("accident"), Subtype: ptr("drowning"),
		Severity: &sev, OccurredAt: &occurred, Place: ptr("学校东侧河道"), Summary: ptr("一名学生放学后在河道游泳溺水，已送医。"),
		Dead: ptr(1), ReporterName: ptr("王校长"), ReporterPhone: ptr("13800000001")}
}

// followUp is a complete follow-up report.
func followUp(summary string) incident.ReportInput {
	return incident.ReportInput{Summary: &summary, ReporterName: ptr("王校长"), ReporterPhone: ptr("13800000001")}
}

// create files the initial report now, failing the test on error.
func (e *incidentEnv) create(actor *models.User, in incident.ReportInput) (*incident.Incident, *incident.Report) {
	e.t.Helper()
	d, err := e.store.Incidents.CreateIncident(e.ctx, actor, in)
	if err != nil {
		e.t.Fatalf("create incident: %v", err)
	}
	return &d.Incident, &d.Reports[0]
}

// file adds a report now, failing the test on error.
func (e *incidentEnv) file(actor *models.User, incidentID int64, kind incident.ReportKind, in incident.ReportInput) *incident.Report {
	e.t.Helper()
	r, err := e.store.Incidents.FileReport(e.ctx, actor, incidentID, kind, in)
	if err != nil {
		e.t.Fatalf("file %s: %v", kind, err)
	}
	return r
}

// detail reads the incident as the duty officer.
func (e *incidentEnv) detail(id int64) *incident.IncidentDetail {
	e.t.Helper()
	d, err := e.store.Incidents.IncidentDetail(e.ctx, e.dir.Officer, id)
	if err != nil {
		e.t.Fatalf("incident %d: %v", id, err)
	}
	return d
}

// deadlines returns the incident's deadlines of kind, by due time.
func (e *incidentEnv) deadlines(id int64, kind models.DeadlineKind) []incident.IncidentDeadline {
	e.t.Helper()
	var out []incident.IncidentDeadline
	for _, d := range e.detail(id).Deadlines {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

// openDeadline returns the one open deadline of kind on the incident.
func (e *incidentEnv) openDeadline(id int64, kind models.DeadlineKind) incident.IncidentDeadline {
	e.t.Helper()
	var open []incident.IncidentDeadline
	for _, d := range e.deadlines(id, kind) {
		if d.DoneAt == nil {
			open = append(open, d)
		}
	}
	if len(open) != 1 {
		e.t.Fatalf("incident %d: %d open %s deadlines, want 1: %+v", id, len(open), kind, open)
	}
	return open[0]
}

// expectCode fails unless err carries the code (and, if field is set, a message for that field).
func expectCode(t *testing.T, err error, code models.ErrorCode, field string) {
	t.Helper()
	if models.ErrCode(err) != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	if field == "" {
		return
	}
	e, ok := err.(*models.Error)
	if !ok || e.Fields[field] == "" {
		t.Fatalf("error %v, want a message for field %q", err, field)
	}
}

func (e *incidentEnv) count(table string) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Table(table).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestInitialReportDeadlines(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := cst(10, 8, 9, 0, 0)

		t.Run("LateInitialReport", func(t *testing.T) {
			// Severity II: phone within 15 min, in writing within 30 min. Reported 45 min after.
			e.clock.Set(occurred.Add(45 * time.Minute))
			in := drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred)
			_, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, in)
			expectCode(t, err, models.EINVALID, "late_reason")
			if n := e.count("incidents"); n != 0 {
				t.Fatalf("%d incidents written by a refused filing", n)
			}

			in.LateReason = ptr("事发时全体教师在现场施救，未能及时报送")
			inc, r := e.create(e.dir.Reporter, in)
			if !r.Late || r.LateReason == "" || r.Status != incident.ReportSubmitted {
				t.Fatalf("report = %+v, want late and submitted", r)
			}
			d := e.detail(inc.ID)
			if d.LateReports != 1 || d.MissedReports != 0 || d.Status != incident.IncidentOpen {
				t.Fatalf("incident = %+v, want open with one late report", d.Incident)
			}
			for _, kind := range []models.DeadlineKind{models.DeadlineInitialReport, models.DeadlineWrittenReport} {
				ds := e.deadlines(inc.ID, kind)
				if len(ds) != 1 || ds[0].State != "late" || !ds[0].DoneAt.Equal(e.clock.Now()) {
					t.Fatalf("%s deadlines = %+v, want one closed late now", kind, ds)
				}
				if ds[0].SchoolID == nil || *ds[0].SchoolID != e.dir.School1A.ID || ds[0].Label == "" {
					t.Fatalf("%s deadline lacks school or label: %+v", kind, ds[0])
				}
			}
			if got := e.deadlines(inc.ID, models.DeadlineWrittenReport)[0].DueAt; !got.Equal(occurred.Add(30 * time.Minute)) {
				t.Fatalf("written report was due %v, want 09:30", got)
			}
			sig := e.openDeadline(inc.ID, models.DeadlineSignature)
			if !sig.DueAt.Equal(e.clock.Now().Add(15 * time.Minute)) {
				t.Fatalf("signature due %v, want 15 min after submission", sig.DueAt)
			}
			if fu := e.openDeadline(inc.ID, models.DeadlineFollowUp); !fu.DueAt.Equal(cst(10, 8, 17, 0, 0)) {
				t.Fatalf("follow-up due %v, want 17:00", fu.DueAt)
			}
		})

		t.Run("WrittenOnTheDotIsOnTime", func(t *testing.T) {
			// Due at 09:30:00 and filed at 09:30:00: on time. The phone report (09:15) was not
			// made, which stays recorded on the phone deadline, not on the written report.
			e.clock.Set(occurred.Add(30 * time.Minute))
			inc, r := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
			if r.Late {
				t.Fatalf("report filed exactly at its deadline marked late")
			}
			if ds := e.deadlines(inc.ID, models.DeadlineWrittenReport); ds[0].State != "met" {
				t.Fatalf("written deadline %+v, want met", ds[0])
			}
			if ds := e.deadlines(inc.ID, models.DeadlineInitialReport); ds[0].State != "late" {
				t.Fatalf("phone deadline %+v, want late", ds[0])
			}
		})

		t.Run("OneSecondLate", func(t *testing.T) {
			e.clock.Set(occurred.Add(30*time.Minute + time.Second))
			_, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
			expectCode(t, err, models.EINVALID, "late_reason")
		})
	})
}

func TestPhoneIntakeThenWrittenReport(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(20 * time.Minute)) // the officer writes it down a few minutes after the call
		in := incident.PhoneReportInput{ReportInput: drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred),
			ReceivedAt: ptr(occurred.Add(12 * time.Minute)), CallerUnit: "东湖区第一小学", CallerName: "王校长",
			CallerTitle: "校长", CallerPhone: "13800000001", AlsoNotified: "东湖区教育局、属地派出所"}
		in.ReporterName, in.ReporterPhone = nil, nil

		_, _, err := e.store.Incidents.RecordPhoneReport(e.ctx, e.dir.Reporter, in)
		expectCode(t, err, models.EFORBIDDEN, "")

		inc, phone, err := e.store.Incidents.RecordPhoneReport(e.ctx, e.dir.Officer, in)
		if err != nil {
			t.Fatal(err)
		}
		if phone.Status != incident.ReportRecorded || phone.Late || phone.Title() != "电话首报" {
			t.Fatalf("phone report %+v", phone)
		}
		if ds := e.deadlines(inc.ID, models.DeadlineInitialReport); len(ds) != 1 || ds[0].State != "met" || !ds[0].DoneAt.Equal(occurred.Add(12*time.Minute)) {
			t.Fatalf("phone deadline %+v, want met at the time of the call", ds)
		}
		written := e.openDeadline(inc.ID, models.DeadlineWrittenReport)
		if !written.DueAt.Equal(occurred.Add(30 * time.Minute)) {
			t.Fatalf("written report due %v, want 09:30", written.DueAt)
		}

		// A follow-up cannot come before the written initial report.
		_, err = e.store.Incidents.FileReport(e.ctx, e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("进展"))
		expectCode(t, err, models.ECONFLICT, "")

		e.clock.Set(occurred.Add(28 * time.Minute))
		r := e.file(e.dir.Reporter, inc.ID, incident.ReportInitial, followUp("书面首报：学生溺水，已送医抢救。"))
		if r.Late || r.Title() != "首报" {
			t.Fatalf("written report %+v", r)
		}
		if ds := e.deadlines(inc.ID, models.DeadlineWrittenReport); ds[0].State != "met" {
			t.Fatalf("written deadline %+v, want met", ds[0])
		}
		_, err = e.store.Incidents.FileReport(e.ctx, e.dir.Reporter, inc.ID, incident.ReportInitial, followUp("又一份首报"))
		expectCode(t, err, models.ECONFLICT, "")
	})
}

func TestFollowUpsEveryTwoHoursUntilFinal(t *testing.T) {
	rules := config.DefaultReportRules()
	for i := range rules.Rules {
		rules.Rules[i].FollowUp = config.FollowUpRule{Every: 2 * time.Hour}
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, &rules)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(20 * time.Minute))
		inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
		start := e.clock.Now()

		for i, want := range []string{"续报一", "续报二", "续报三"} {
			due := start.Add(time.Duration(i+1) * 2 * time.Hour)
			if got := e.openDeadline(inc.ID, models.DeadlineFollowUp).DueAt; !got.Equal(due) {
				t.Fatalf("before %s: follow-up due %v, want %v", want, got.In(testenv.Shanghai), due.In(testenv.Shanghai))
			}
			e.clock.Set(due) // on the dot: on time
			r := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("事件进展"))
			if r.Title() != want || r.Late {
				t.Fatalf("follow-up %q late=%v, want %q on time", r.Title(), r.Late, want)
			}
		}

		// The fourth comes a second late: accepted with an explanation, and recorded as late.
		e.clock.Set(start.Add(8*time.Hour + time.Second))
		_, err := e.store.Incidents.FileReport(e.ctx, e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("进展"))
		expectCode(t, err, models.EINVALID, "late_reason")
		late := followUp("进展")
		late.LateReason = ptr("网络中断")
		if r := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, late); !r.Late || r.Title() != "续报四" {
			t.Fatalf("follow-up %+v, want 续报四 late", r)
		}

		// Resolution stops the follow-ups and starts the final report's 24 h (severity II).
		e.clock.Advance(time.Hour)
		resolved := followUp("学生经抢救无效死亡，善后工作已完成。")
		resolved.Resolved = ptr(true)
		e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, resolved)
		resolvedAt := e.clock.Now()
		if open := e.deadlines(inc.ID, models.DeadlineFollowUp); open[len(open)-1].DoneAt == nil {
			t.Fatalf("a follow-up is still due after resolution: %+v", open[len(open)-1])
		}
		if fin := e.openDeadline(inc.ID, models.DeadlineFinalReport); !fin.DueAt.Equal(resolvedAt.Add(24 * time.Hour)) {
			t.Fatalf("final due %v, want 24 h after resolution", fin.DueAt)
		}
		if d := e.detail(inc.ID); d.Status != incident.IncidentResolved || d.LateReports != 1 {
			t.Fatalf("incident %+v, want resolved with one late report", d.Incident)
		}

		e.clock.Advance(20 * time.Hour)
		final := followUp("事件经过、处置、责任认定与整改情况。")
		final.Cause = ptr("学生私自下河游泳，安全教育落实不到位。")
		fr := e.file(e.dir.Reporter, inc.ID, incident.ReportFinal, final)
		if fr.Late {
			t.Fatalf("final within 24 h marked late")
		}
		_, err = e.store.Incidents.FileReport(e.ctx, e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("再报"))
		expectCode(t, err, models.ECONFLICT, "")

		// The incident closes when its final report is signed.
		_, closed, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, fr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if closed.Status != incident.IncidentClosed || closed.ClosedAt == nil {
			t.Fatalf("incident after signing the final report: %+v", closed)
		}
	})
}

func TestFinalReportSupersedesOverdueFollowUpAsMissed(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(20 * time.Minute))
		inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, occurred))
		// Severity IV: a follow-up is due at 17:00; the school sends nothing and files the final next day.
		e.clock.Set(cst(10, 9, 10, 0, 0))
		final := followUp("总结")
		final.Cause = ptr("原因")
		e.file(e.dir.Reporter, inc.ID, incident.ReportFinal, final)
		fu := e.deadlines(inc.ID, models.DeadlineFollowUp)
		if len(fu) != 1 || fu[0].State != "missed" {
			t.Fatalf("follow-up deadlines %+v, want one missed", fu)
		}
		if d := e.detail(inc.ID); d.MissedReports != 1 || d.Status != incident.IncidentResolved {
			t.Fatalf("incident %+v, want one missed report, resolved", d.Incident)
		}
	})
}

func TestSeverityChangeMovesDeadlines(t *testing.T) {
	rules := config.DefaultReportRules()
	for i, r := range rules.Rules {
		switch {
		case len(r.Subtypes) > 0:
		case r.Name == "Ⅲ级":
			rules.Rules[i].FollowUp = config.FollowUpRule{Every: 4 * time.Hour}
		default:
			rules.Rules[i].FollowUp = config.FollowUpRule{Every: 2 * time.Hour}
		}
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, &rules)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(20 * time.Minute))
		inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIII, occurred))
		t0 := e.clock.Now()
		if got := e.openDeadline(inc.ID, models.DeadlineFollowUp).DueAt; !got.Equal(t0.Add(4 * time.Hour)) {
			t.Fatalf("III follow-up due %v, want 4 h", got)
		}

		t.Run("RaiseIIIToIIShortensNextFollowUp", func(t *testing.T) {
			e.clock.Set(t0.Add(time.Hour))
			in := followUp("伤情加重，一名学生死亡")
			in.Severity = ptr(incident.SeverityII)
			r := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, in)
			if r.Severity != incident.SeverityII || r.Late {
				t.Fatalf("follow-up %+v", r)
			}
			if got := e.openDeadline(inc.ID, models.DeadlineFollowUp).DueAt; !got.Equal(t0.Add(3 * time.Hour)) {
				t.Fatalf("II follow-up due %v, want 2 h after the raising report (not 4 h)", got.In(testenv.Shanghai))
			}
		})

		t.Run("LowerToIIIAfterResolutionLengthensFinal", func(t *testing.T) {
			e.clock.Set(t0.Add(2 * time.Hour))
			resolved := followUp("处置完毕")
			resolved.Resolved = ptr(true)
			e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, resolved)
			resolvedAt := e.clock.Now()
			if got := e.openDeadline(inc.ID, models.DeadlineFinalReport).DueAt; !got.Equal(resolvedAt.Add(24 * time.Hour)) {
				t.Fatalf("II final due %v, want 24 h", got)
			}
			e.clock.Advance(time.Hour)
			in := followUp("经核实，重新定级为较大")
			in.Severity = ptr(incident.SeverityIII)
			e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, in)
			if got := e.openDeadline(inc.ID, models.DeadlineFinalReport).DueAt; !got.Equal(resolvedAt.Add(72 * time.Hour)) {
				t.Fatalf("III final due %v, want 3 days after resolution", got)
			}
			if d := e.detail(inc.ID); d.Severity != incident.SeverityIII {
				t.Fatalf("incident severity %d, want III", d.Severity)
			}

			// Raised again to II: the open final deadline shortens back to 24 h after resolution.
			e.clock.Advance(time.Hour)
			in = followUp("家属情绪激动，重新定级为重大")
			in.Severity = ptr(incident.SeverityII)
			e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, in)
			if got := e.openDeadline(inc.ID, models.DeadlineFinalReport).DueAt; !got.Equal(resolvedAt.Add(24 * time.Hour)) {
				t.Fatalf("II final due %v, want 24 h after resolution again", got)
			}
		})
	})
}

// TestRefusedFilingOpensNoTransaction: an incomplete report is refused without a transaction, so
// on SQLite it does not wait for (or take) the write lock; a school outside the reporter's scope is
// still the answer that comes first.
func TestRefusedFilingOpensNoTransaction(t *testing.T) {
	e := newIncidentEnv(t, store.SQLite, nil)
	occurred := e.clock.Now().Add(-10 * time.Minute)
	incidents := e.count("incidents")
	writer := e.db.Begin() // an immediate transaction: it holds SQLite's write lock until rolled back
	if writer.Error != nil {
		t.Fatal(writer.Error)
	}
	defer writer.Rollback()

	incomplete := drowningReport(e.dir.School1A.ID, incident.SeverityIV, occurred)
	incomplete.Summary = nil
	_, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, incomplete)
	expectCode(t, err, models.EINVALID, "summary")

	incomplete.SchoolID = &e.dir.School2A.ID
	_, err = e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, incomplete)
	expectCode(t, err, models.EFORBIDDEN, "school_id")

	writer.Rollback()
	if n := e.count("incidents"); n != incidents {
		t.Fatalf("%d incidents after refused filings, want %d", n, incidents)
	}
	d, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, occurred))
	if err != nil {
		t.Fatal(err)
	}
	if d.Incident.SchoolID != e.dir.School1A.ID || d.Incident.DistrictID != e.dir.District1.ID || d.Reports[0].DistrictID != e.dir.District1.ID {
		t.Fatalf("incident %+v, report %+v: want school %d in district %d", d.Incident, d.Reports[0], e.dir.School1A.ID, e.dir.District1.ID)
	}
}

func TestFilingScope(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := e.clock.Now().Add(-10 * time.Minute)
		other, _ := e.create(e.dir.Admin, drowningReport(e.dir.School2A.ID, incident.SeverityIV, occurred))
		incidents, reports, audits := e.count("incidents"), e.count("incident_reports"), e.count("audit_entries")
		nothingWritten := func(t *testing.T) {
			t.Helper()
			if e.count("incidents") != incidents || e.count("incident_reports") != reports || e.count("audit_entries") != audits {
				t.Fatalf("a refused filing wrote something")
			}
		}

		t.Run("ReporterCannotFileForAnotherSchool", func(t *testing.T) {
			_, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.Reporter, drowningReport(e.dir.School2A.ID, incident.SeverityIV, occurred))
			expectCode(t, err, models.EFORBIDDEN, "school_id")
			nothingWritten(t)
		})
		t.Run("ReporterCannotReportOnAnotherSchoolsIncident", func(t *testing.T) {
			_, err := e.store.Incidents.FileReport(e.ctx, e.dir.Reporter, other.ID, incident.ReportFollowUp, followUp("冒报"))
			expectCode(t, err, models.ENOTFOUND, "")
			_, err = e.store.Incidents.IncidentDetail(e.ctx, e.dir.Reporter, other.ID)
			expectCode(t, err, models.ENOTFOUND, "")
			nothingWritten(t)
		})
		t.Run("DistrictOfficerFilesOnlyInItsDistrict", func(t *testing.T) {
			_, err := e.store.Incidents.CreateIncident(e.ctx, e.dir.DistrictOfficer, drowningReport(e.dir.School2A.ID, incident.SeverityIV, occurred))
			expectCode(t, err, models.EFORBIDDEN, "school_id")
			nothingWritten(t)
			inc, _ := e.create(e.dir.DistrictOfficer, drowningReport(e.dir.School1B.ID, incident.SeverityIV, occurred))
			if inc.SchoolID != e.dir.School1B.ID || inc.DistrictID != e.dir.District1.ID {
				t.Fatalf("incident %+v", inc)
			}
		})
		t.Run("ReporterDefaultsToOwnSchool", func(t *testing.T) {
			in := drowningReport(0, incident.SeverityIV, occurred)
			in.SchoolID = nil
			inc, _ := e.create(e.dir.Reporter, in)
			if inc.SchoolID != e.dir.School1A.ID {
				t.Fatalf("incident filed for school %d", inc.SchoolID)
			}
		})
		t.Run("OnlyTheDeskSigns", func(t *testing.T) {
			d := e.detail(other.ID)
			for _, u := range []*models.User{e.dir.Reporter, e.dir.DistrictOfficer, e.dir.Leader} {
				_, _, err := e.store.Incidents.SignReport(e.ctx, u, other.ID, d.Reports[0].ID)
				expectCode(t, err, models.EFORBIDDEN, "")
			}
		})
		t.Run("ListsAreScoped", func(t *testing.T) {
			mine, _, total, err := e.store.Incidents.Incidents(e.ctx, e.dir.Reporter, incident.IncidentFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range mine {
				if inc.SchoolID != e.dir.School1A.ID {
					t.Fatalf("reporter sees incident of school %d", inc.SchoolID)
				}
			}
			all, _, allTotal, _ := e.store.Incidents.Incidents(e.ctx, e.dir.Leader, incident.IncidentFilter{})
			if total != 1 || allTotal != 3 || len(all) != 3 {
				t.Fatalf("reporter sees %d, leader %d (%d), want 1 and 3", total, allTotal, len(all))
			}
		})
	})
}

func TestSignForwardAndInstructions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := e.clock.Now().Add(-10 * time.Minute)
		inc, r := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIII, occurred))

		_, err := e.store.Incidents.ForwardReport(e.ctx, e.dir.Officer, inc.ID, r.ID, incident.ForwardInput{Recipient: "市政府总值班室", Method: incident.ForwardPhone})
		expectCode(t, err, models.ECONFLICT, "")

		e.clock.Advance(16 * time.Minute) // one minute past the 15 min to sign
		signed, withSerial, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if signed.Status != incident.ReportSigned || withSerial.Serial == nil || *withSerial.Serial != "2026-001" {
			t.Fatalf("signed %+v serial %v", signed, withSerial.Serial)
		}
		if ds := e.deadlines(inc.ID, models.DeadlineSignature); len(ds) != 1 || ds[0].State != "late" {
			t.Fatalf("signature deadline %+v, want late", ds)
		}
		_, _, err = e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, r.ID)
		expectCode(t, err, models.ECONFLICT, "")

		fwd := e.openDeadline(inc.ID, models.DeadlineForward)
		if !fwd.DueAt.Equal(e.clock.Now().Add(2 * time.Hour)) {
			t.Fatalf("forward due %v, want 2 h after signing", fwd.DueAt)
		}
		_, err = e.store.Incidents.ForwardReport(e.ctx, e.dir.Officer, inc.ID, r.ID, incident.ForwardInput{Recipient: "", Method: "pigeon"})
		expectCode(t, err, models.EINVALID, "method")
		e.clock.Advance(time.Hour)
		if _, err := e.store.Incidents.ForwardReport(e.ctx, e.dir.Officer, inc.ID, r.ID, incident.ForwardInput{Recipient: "市政府总值班室", Method: incident.ForwardPhone}); err != nil {
			t.Fatal(err)
		}
		if ds := e.deadlines(inc.ID, models.DeadlineForward); ds[0].State != "met" {
			t.Fatalf("forward deadline %+v, want met", ds[0])
		}

		// A follow-up signed later keeps the incident's serial.
		fu := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("进展"))
		if _, again, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, fu.ID); err != nil || *again.Serial != "2026-001" {
			t.Fatalf("second signature: %v, serial %v", err, again.Serial)
		}

		// Leaders instruct; the school answers.
		_, err = e.store.Incidents.AddInstruction(e.ctx, e.dir.Reporter, inc.ID, incident.InstructionInput{Text: "自批"})
		expectCode(t, err, models.EFORBIDDEN, "")
		ins, err := e.store.Incidents.AddInstruction(e.ctx, e.dir.Leader, inc.ID, incident.InstructionInput{Text: "全力救治，做好家属安抚，续报进展。", ReportID: &r.ID})
		if err != nil {
			t.Fatal(err)
		}
		due := e.deadlines(inc.ID, models.DeadlineInstruction)
		if len(due) != 1 || due[0].State != "open" {
			t.Fatalf("instruction deadline %+v", due)
		}
		// The 批示 reaches the school that must answer it: each of its contacts, with the text,
		// when the answer is due and where to give it.
		school, err := e.store.Directory.School(e.ctx, e.dir.Admin, e.dir.School1A.ID)
		if err != nil {
			t.Fatal(err)
		}
		var contacts []string
		for _, c := range school.Contacts {
			if c.Email != "" {
				contacts = append(contacts, c.Email)
			}
		}
		notices, _, err := e.store.OutboxMessages(e.ctx, e.dir.Admin, store.OutboxFilter{Kind: notify.KindInstruction})
		if err != nil || len(notices) == 0 || len(notices) != len(contacts) {
			t.Fatalf("instruction notices: %d for %d contacts, %v", len(notices), len(contacts), err)
		}
		for _, n := range notices {
			if !strings.HasPrefix(n.Subject, "【领导批示】学生校外溺水：请于") || !strings.Contains(n.BodyText, "全力救治，做好家属安抚，续报进展。") ||
				!strings.Contains(n.BodyText, "/console/incidents/"+models.FormatID(inc.ID)) || !strings.Contains(n.BodyText, e.dir.School1A.Name) {
				t.Fatalf("instruction notice %q:\n%s", n.Subject, n.BodyText)
			}
		}
		_, err = e.store.Incidents.ReplyInstruction(e.ctx, e.dir.Leader, inc.ID, ins.ID, incident.ReplyInput{Reply: "收到"})
		expectCode(t, err, models.EFORBIDDEN, "")
		e.clock.Advance(time.Hour)
		if _, err := e.store.Incidents.ReplyInstruction(e.ctx, e.dir.Reporter, inc.ID, ins.ID, incident.ReplyInput{Reply: "已落实批示要求"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.store.Incidents.ReplyInstruction(e.ctx, e.dir.Reporter, inc.ID, ins.ID, incident.ReplyInput{Reply: "再答"})
		expectCode(t, err, models.ECONFLICT, "")

		d := e.detail(inc.ID)
		var types []string
		for i, ev := range d.Timeline {
			if i > 0 && ev.At.Before(d.Timeline[i-1].At) {
				t.Fatalf("timeline out of order at %d: %+v", i, d.Timeline)
			}
			types = append(types, ev.Type)
		}
		for _, want := range []string{"report", "signature", "forward", "instruction", "reply", "deadline"} {
			found := false
			for _, got := range types {
				found = found || got == want
			}
			if !found {
				t.Fatalf("timeline lacks %q: %v", want, types)
			}
		}
		if len(d.Reports) != 2 || len(d.Forwards) != 1 || len(d.Instructions) != 1 || d.Instructions[0].RepliedAt == nil {
			t.Fatalf("detail %+v", d)
		}
	})
}

func TestSeverityIVNeedsNoForward(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		inc, r := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, e.clock.Now().Add(-time.Minute)))
		if _, _, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if ds := e.deadlines(inc.ID, models.DeadlineForward); len(ds) != 0 {
			t.Fatalf("severity IV got forward deadlines %+v", ds)
		}
	})
}

func TestDraftThenSubmit(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := e.clock.Now().Add(-5 * time.Minute)
		in := incident.ReportInput{Draft: true, Title: ptr("食堂疑似食物中毒"), Category: ptr("public_health"), Subtype: ptr("food_poisoning")}
		inc, draft := e.create(e.dir.Reporter, in)
		if inc.Status != incident.IncidentDraft || draft.Status != incident.ReportDraft {
			t.Fatalf("draft %+v %+v", inc, draft)
		}
		own, err := e.store.Incidents.IncidentDetail(e.ctx, e.dir.Reporter, inc.ID)
		if err != nil || len(own.Deadlines) != 0 {
			t.Fatalf("draft as its school sees it: %v %+v", err, own)
		}
		_, err = e.store.Incidents.IncidentDetail(e.ctx, e.dir.Officer, inc.ID)
		expectCode(t, err, models.ENOTFOUND, "")
		if list, _, _, _ := e.store.Incidents.Incidents(e.ctx, e.dir.Leader, incident.IncidentFilter{}); len(list) != 0 {
			t.Fatalf("the desk lists unsent drafts: %+v", list)
		}
		_, err = e.store.Incidents.UpdateDraft(e.ctx, e.dir.Reporter, inc.ID, draft.ID, incident.ReportInput{}, true)
		expectCode(t, err, models.EINVALID, "severity")

		e.clock.Advance(10 * time.Minute)
		rest := incident.ReportInput{Severity: ptr(incident.SeverityIV), OccurredAt: &occurred, Place: ptr("学校食堂"),
			Summary: ptr("午餐后35名学生出现呕吐腹泻"), Injured: ptr(35), ReporterName: ptr("李老师"), ReporterPhone: ptr("0571-88880000")}
		r, err := e.store.Incidents.UpdateDraft(e.ctx, e.dir.Reporter, inc.ID, draft.ID, rest, true)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != incident.ReportSubmitted || r.Late {
			t.Fatalf("submitted %+v", r)
		}
		d := e.detail(inc.ID)
		if d.Status != incident.IncidentOpen || d.Place != "学校食堂" || d.Reports[0].Injured != 35 {
			t.Fatalf("after submission %+v", d)
		}
		_, err = e.store.Incidents.UpdateDraft(e.ctx, e.dir.Reporter, inc.ID, draft.ID, rest, false)
		expectCode(t, err, models.ECONFLICT, "")
	})
}

func TestTimelineShowsEscalations(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		inc, r := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIII, e.clock.Now().Add(-time.Minute)))
		sig := e.openDeadline(inc.ID, models.DeadlineSignature)
		// The escalation sweep (another part of DutyDesk) fires two steps on the overdue signature.
		for step, target := range []string{"duty_officers", "leader_on_duty"} {
			firedAt := sig.DueAt.Add(time.Duration(step*15+1) * time.Minute)
			err := e.db.Exec("INSERT INTO escalations (deadline_id, step, target, recipients, fired_at) VALUES (?, ?, ?, ?, ?)",
				sig.ID, step, target, "duty1@bureau.example.org", firedAt).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(time.Hour)
		if _, _, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, inc.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		d := e.detail(inc.ID)
		if len(d.Escalations) != 2 || d.Escalations[0].Step != 0 || d.Escalations[1].Target != "leader_on_duty" {
			t.Fatalf("escalations %+v", d.Escalations)
		}
		// The signature's story in time order: submitted, due, escalated twice, signed (late).
		var got []string
		for _, ev := range d.Timeline {
			switch {
			case ev.Type == "deadline" && *ev.DeadlineID == sig.ID:
				got = append(got, "deadline:"+ev.State)
			case ev.Type == "report", ev.Type == "escalation", ev.Type == "signature":
				got = append(got, ev.Type)
			}
		}
		want := []string{"report", "deadline:late", "escalation", "escalation", "signature"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("timeline %v, want %v", got, want)
		}
	})
}

func TestSkippedFollowUpsAreMissed(t *testing.T) {
	tests := []struct {
		name   string
		filed  time.Time
		missed int
	}{
		// Severity II: follow-ups at 08:00 and 17:00. The 17:00 one is not sent.
		{"FiledJustBeforeNextSlot", cst(10, 9, 7, 59, 59), 0},
		{"FiledAtNextSlot", cst(10, 9, 8, 0, 0), 0},
		{"FiledAfterNextSlot", cst(10, 9, 9, 0, 0), 1},
		{"SilentForADay", cst(10, 9, 17, 30, 0), 2},
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				occurred := cst(10, 8, 9, 0, 0)
				e.clock.Set(occurred.Add(20 * time.Minute))
				inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
				e.clock.Set(tt.filed)
				in := followUp("进展")
				in.LateReason = ptr("值班人员处置现场，未能按时续报")
				r := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, in)
				if !r.Late {
					t.Fatalf("follow-up for 17:00 filed at %v not late", tt.filed)
				}
				d := e.detail(inc.ID)
				if d.MissedReports != tt.missed || d.LateReports != 1 {
					t.Fatalf("late %d missed %d, want 1 and %d", d.LateReports, d.MissedReports, tt.missed)
				}
				states := map[string]int{}
				for _, dl := range e.deadlines(inc.ID, models.DeadlineFollowUp) {
					states[dl.State]++
				}
				if states["late"] != 1 || states["missed"] != tt.missed || states["open"] != 1 {
					t.Fatalf("follow-up deadlines by state %v", states)
				}
			})
		}
	})
}

// TestFollowUpSlotFallsDueOnce: a follow-up filed before its slot meets it, and the slot does not
// fall due again; the next is the following slot, and a report filed before that one's time
// opens is an extra one that leaves it due. Nothing is overdue just after the slot met.
func TestFollowUpSlotFallsDueOnce(t *testing.T) {
	every2h := config.DefaultReportRules()
	for i := range every2h.Rules {
		every2h.Rules[i].FollowUp = config.FollowUpRule{Every: 2 * time.Hour}
	}
	type step struct {
		filed time.Time
		// open is the follow-up due after the report; follow-ups, the incident's follow-up
		// deadlines by state.
		open      time.Time
		followUps map[string]int
		// checkSlot looks, 5 s after the first slot, for overdue deadlines of the incident.
		checkSlot bool
	}
	tests := []struct {
		name  string
		rules *config.ReportRules
		// The drowning (severity II) occurred at 09:00 on 8 October and was reported at 09:20.
		firstDue time.Time
		steps    []step
	}{
		{"FixedTimes", nil, cst(10, 8, 17, 0, 0), []step{
			{cst(10, 8, 16, 55, 0), cst(10, 9, 8, 0, 0), map[string]int{"met": 1, "open": 1}, false},
			{cst(10, 8, 17, 0, 0), cst(10, 9, 8, 0, 0), map[string]int{"met": 1, "open": 1}, true}, // extra: 17:00 already met
			{cst(10, 9, 7, 59, 59), cst(10, 9, 17, 0, 0), map[string]int{"met": 2, "open": 1}, false},
		}},
		{"Interval", &every2h, cst(10, 8, 11, 20, 0), []step{
			{cst(10, 8, 11, 15, 0), cst(10, 8, 13, 15, 0), map[string]int{"met": 1, "open": 1}, true},
			{cst(10, 8, 13, 15, 0), cst(10, 8, 15, 15, 0), map[string]int{"met": 2, "open": 1}, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
				e := newIncidentEnv(t, dialect, tt.rules)
				occurred := cst(10, 8, 9, 0, 0)
				e.clock.Set(occurred.Add(20 * time.Minute))
				inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
				if got := e.openDeadline(inc.ID, models.DeadlineFollowUp).DueAt; !got.Equal(tt.firstDue) {
					t.Fatalf("first follow-up due %v, want %v", got.In(testenv.Shanghai), tt.firstDue)
				}
				for _, s := range tt.steps {
					e.clock.Set(s.filed)
					if r := e.file(e.dir.Reporter, inc.ID, incident.ReportFollowUp, followUp("事件进展")); r.Late {
						t.Fatalf("follow-up filed at %v late", s.filed)
					}
					if got := e.openDeadline(inc.ID, models.DeadlineFollowUp).DueAt; !got.Equal(s.open) {
						t.Fatalf("after the report at %v: follow-up due %v, want %v", s.filed, got.In(testenv.Shanghai), s.open)
					}
					states := map[string]int{}
					for _, dl := range e.deadlines(inc.ID, models.DeadlineFollowUp) {
						states[dl.State]++
					}
					if fmt.Sprint(states) != fmt.Sprint(s.followUps) {
						t.Fatalf("after the report at %v: follow-ups by state %v, want %v", s.filed, states, s.followUps)
					}
					if !s.checkSlot {
						continue
					}
					// Just after the slot met, nothing the school owes is overdue: no 催办 falls due.
					e.clock.Set(tt.firstDue.Add(5 * time.Second))
					overdue, err := e.core().OverdueDeadlines(e.ctx, e.clock.Now(), 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range overdue {
						if d.SubjectType == models.SubjectIncident && d.SubjectID == inc.ID {
							t.Fatalf("deadline %+v overdue just after its slot was met", d)
						}
					}
				}
				if d := e.detail(inc.ID); d.LateReports != 0 || d.MissedReports != 0 {
					t.Fatalf("late %d missed %d, want none", d.LateReports, d.MissedReports)
				}
			})
		})
	}
}

// core is the core store over the env's database, for fixtures only the domains write.
func (e *incidentEnv) core() *store.Store { return testenv.Core(e.db, e.clock) }

// TestDeskResolvesAndReopens: the desk marks an incident handled at the time handling ended, late
// if need be; follow-ups unfiled before then are missed, and the final report's deadline runs
// from the resolution, so a final report past it is late. Reopening withdraws the final report's
// deadline and makes follow-ups due again.
func TestDeskResolvesAndReopens(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		occurred := cst(10, 8, 9, 0, 0)
		e.clock.Set(occurred.Add(20 * time.Minute))
		// Severity II: follow-ups at 08:00 and 17:00, the final report within 24 h of resolution.
		inc, _ := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityII, occurred))
		incidents := e.store.Incidents

		e.clock.Set(cst(10, 8, 20, 0, 0))
		t.Run("Refused", func(t *testing.T) {
			_, err := incidents.ResolveIncident(e.ctx, e.dir.Reporter, inc.ID, nil)
			expectCode(t, err, models.EFORBIDDEN, "")
			_, err = incidents.ResolveIncident(e.ctx, e.dir.Officer, inc.ID, ptr(cst(10, 8, 9, 10, 0)))
			expectCode(t, err, models.EINVALID, "resolved_at") // before the initial report
			_, err = incidents.ResolveIncident(e.ctx, e.dir.Officer, inc.ID, ptr(cst(10, 8, 21, 0, 0)))
			expectCode(t, err, models.EINVALID, "resolved_at") // in the future
			_, err = incidents.ReopenIncident(e.ctx, e.dir.Officer, inc.ID, "家属提出异议")
			expectCode(t, err, models.ECONFLICT, "") // not resolved
			if d := e.detail(inc.ID); d.Status != incident.IncidentOpen || d.ResolvedAt != nil {
				t.Fatalf("refused calls changed the incident: %+v", d.Incident)
			}
		})

		// Recorded at 20:00, handled at 18:00: the 17:00 follow-up was owed and never came.
		d, err := incidents.ResolveIncident(e.ctx, e.dir.Officer, inc.ID, ptr(cst(10, 8, 18, 0, 0)))
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != incident.IncidentResolved || !d.ResolvedAt.Equal(cst(10, 8, 18, 0, 0)) || d.MissedReports != 1 {
			t.Fatalf("resolved incident %+v, want resolved at 18:00 with one missed report", d.Incident)
		}
		if fu := e.deadlines(inc.ID, models.DeadlineFollowUp); len(fu) != 1 || fu[0].State != "missed" {
			t.Fatalf("follow-ups %+v, want the 17:00 one missed", fu)
		}
		if fin := e.openDeadline(inc.ID, models.DeadlineFinalReport); !fin.DueAt.Equal(cst(10, 9, 18, 0, 0)) {
			t.Fatalf("final due %v, want 24 h after 18:00", fin.DueAt.In(testenv.Shanghai))
		}
		_, err = incidents.ResolveIncident(e.ctx, e.dir.Officer, inc.ID, nil)
		expectCode(t, err, models.ECONFLICT, "")

		// Reopened: no final report is due, the next follow-up is.
		e.clock.Set(cst(10, 8, 21, 0, 0))
		_, err = incidents.ReopenIncident(e.ctx, e.dir.Officer, inc.ID, "  ")
		expectCode(t, err, models.EINVALID, "reason")
		if d, err = incidents.ReopenIncident(e.ctx, e.dir.Officer, inc.ID, "家属对善后处理提出异议，继续处置"); err != nil {
			t.Fatal(err)
		}
		if d.Status != incident.IncidentOpen || d.ResolvedAt != nil || d.MissedReports != 1 {
			t.Fatalf("reopened incident %+v", d.Incident)
		}
		if fin := e.deadlines(inc.ID, models.DeadlineFinalReport); len(fin) != 0 {
			t.Fatalf("final deadlines after reopening %+v, want none", fin)
		}
		if fu := e.openDeadline(inc.ID, models.DeadlineFollowUp); !fu.DueAt.Equal(cst(10, 9, 8, 0, 0)) {
			t.Fatalf("follow-up due %v, want 08:00", fu.DueAt.In(testenv.Shanghai))
		}

		// Resolved again, now, before the 08:00 follow-up: it is no longer owed.
		e.clock.Set(cst(10, 9, 7, 0, 0))
		if _, err := incidents.ResolveIncident(e.ctx, e.dir.Officer, inc.ID, nil); err != nil {
			t.Fatal(err)
		}
		if fu := e.deadlines(inc.ID, models.DeadlineFollowUp); fu[len(fu)-1].State != "met" {
			t.Fatalf("follow-ups %+v, want the 08:00 one closed by the resolution", fu)
		}

		// The final report a second past 24 h is late, and must say why.
		e.clock.Set(cst(10, 10, 7, 0, 1))
		final := followUp("事件经过、处置、责任认定与整改情况。")
		final.Cause = ptr("学生私自下河游泳，安全教育落实不到位。")
		_, err = incidents.FileReport(e.ctx, e.dir.Reporter, inc.ID, incident.ReportFinal, final)
		expectCode(t, err, models.EINVALID, "late_reason")
		final.LateReason = ptr("责任认定会议推迟")
		if r := e.file(e.dir.Reporter, inc.ID, incident.ReportFinal, final); !r.Late {
			t.Fatalf("final report 24 h after the desk's resolution not late")
		}
		if d := e.detail(inc.ID); d.LateReports != 1 || d.MissedReports != 1 {
			t.Fatalf("late %d missed %d, want 1 and 1", d.LateReports, d.MissedReports)
		}
		_, err = incidents.ReopenIncident(e.ctx, e.dir.Officer, inc.ID, "补充调查")
		expectCode(t, err, models.ECONFLICT, "") // the final report is in

		var audited int64
		if err := e.db.Table("audit_entries").Where("action IN ?", []string{"incident.resolve", "incident.reopen"}).Count(&audited).Error; err != nil {
			t.Fatal(err)
		}
		if audited != 3 {
			t.Fatalf("%d resolve/reopen audit entries, want 3", audited)
		}
	})
}
