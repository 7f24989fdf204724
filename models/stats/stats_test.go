package stats_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
	"dutydesk/models/stats"
	"dutydesk/models/store"
)

// statsYear is a year of duty written straight into the tables, with counts known by construction.
// Rows just outside 2026 (Shanghai) and drafts and drills are there to be left out.
type statsYear struct {
	t     *testing.T
	db    *store.DB
	dir   *testenv.Directory
	store *app.Stores
	// officer2 is a second duty officer.
	officer2 *models.User
}

// sh is a wall-clock time in the bureau's zone.
func sh(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, testenv.Shanghai)
}

func (y *statsYear) create(v any) {
	y.t.Helper()
	if err := y.db.Create(v).Error; err != nil {
		y.t.Fatalf("seed %T: %v", v, err)
	}
}

// incident writes an incident of the school occurred at occurred; serial "" means none yet.
func (y *statsYear) incident(school directory.School, cat incident.Category, sev incident.Severity, occurred time.Time, serial string, sensitive bool) *incident.Incident {
	inc := &incident.Incident{SchoolID: school.ID, DistrictID: school.DistrictID, Title: "事件", Category: cat, Severity: sev,
		OccurredAt: occurred.UTC(), Status: incident.IncidentOpen, Sensitive: sensitive, CreatedBy: y.dir.Admin.ID}
	if serial != "" {
		inc.Serial = &serial
	}
	y.create(inc)
	return inc
}

// report writes a report on inc submitted (or, by phone, received) at submitted and signed at
// signed (zero: not signed).
func (y *statsYear) report(inc *incident.Incident, kind incident.ReportKind, channel incident.ReportChannel, submitted, signed time.Time) *incident.Report {
	sub := submitted.UTC()
	r := &incident.Report{IncidentID: inc.ID, SchoolID: inc.SchoolID, DistrictID: inc.DistrictID, Kind: kind, Channel: channel,
		Status: incident.ReportSubmitted, Severity: inc.Severity, CreatedBy: y.dir.Admin.ID, SubmittedAt: &sub}
	if channel == incident.ChannelPhone {
		r.Status, r.ReceivedAt = incident.ReportRecorded, &sub
	}
	if !signed.IsZero() {
		at := signed.UTC()
		r.Status, r.SignedAt = incident.ReportSigned, &at
	}
	y.create(r)
	return r
}

// deadline states
const (
	onTime = iota
	late
	missed
	open
)

// deadline writes a deadline of kind on the subject, due at due, in the given state.
func (y *statsYear) deadline(kind models.DeadlineKind, subjectType models.SubjectType, subjectID int64, district *int64, due time.Time, state int) *models.Deadline {
	d := &models.Deadline{Kind: kind, SubjectType: subjectType, SubjectID: subjectID, DistrictID: district, DueAt: due.UTC()}
	y.create(d)
	var done time.Time
	switch state {
	case onTime:
		done = due.Add(-5 * time.Minute)
	case late:
		done = due.Add(20 * time.Minute)
	case missed:
		done = due.Add(time.Hour)
	case open:
		return d
	}
	err := y.db.Model(d).Updates(map[string]any{"done_at": done.UTC(), "late": state == late, "missed": state == missed}).Error
	if err != nil {
		y.t.Fatal(err)
	}
	return d
}

func (y *statsYear) incidentDeadline(kind models.DeadlineKind, inc *incident.Incident, due time.Time, state int) *models.Deadline {
	return y.deadline(kind, "incident", inc.ID, &inc.DistrictID, due, state)
}

func (y *statsYear) reportDeadline(kind models.DeadlineKind, inc *incident.Incident, r *incident.Report, due time.Time, state int) *models.Deadline {
	return y.deadline(kind, "report", r.ID, &inc.DistrictID, due, state)
}

// seedStatsYear writes the year 2026. The fake clock stands at 2026-10-08 10:00 (Shanghai).
func seedStatsYear(t *testing.T, stores *app.Stores, db *store.DB, dir *testenv.Directory) *statsYear {
	y := &statsYear{t: t, db: db, dir: dir, store: stores}

	// I1: the first minute of the year (2025-12-31 16:00 UTC) counts in January 2026. Written
	// initial report after 10 min; the desk signs 50 min after submission, late.
	i1 := y.incident(dir.School1A, incident.Accident, incident.SeverityIV, sh(2026, 1, 1, 0, 0), "2026-001", false)
	r1 := y.report(i1, incident.ReportInitial, incident.ChannelWritten, sh(2026, 1, 1, 0, 10), sh(2026, 1, 1, 1, 0))
	y.incidentDeadline(models.DeadlineInitialReport, i1, sh(2026, 1, 1, 1, 0), onTime)
	y.incidentDeadline(models.DeadlineWrittenReport, i1, sh(2026, 1, 1, 2, 0), onTime)
	y.reportDeadline(models.DeadlineSignature, i1, r1, sh(2026, 1, 1, 0, 25), late)
	y.incidentDeadline(models.DeadlineFinalReport, i1, sh(2026, 1, 8, 0, 0), onTime)

	// I2: 23:30 on 31 March in Shanghai is 15:30 UTC: March. Sensitive. The written initial report
	// comes two hours later: both initial deadlines late, which is one late initial report. One
	// follow-up missed, one on time.
	i2 := y.incident(dir.School1B, incident.PublicHealth, incident.SeverityIII, sh(2026, 3, 31, 23, 30), "2026-002", true)
	r2 := y.report(i2, incident.ReportInitial, incident.ChannelWritten, sh(2026, 4, 1, 1, 30), sh(2026, 4, 1, 1, 40))
	di2 := y.incidentDeadline(models.DeadlineInitialReport, i2, sh(2026, 4, 1, 0, 0), late)
	y.incidentDeadline(models.DeadlineWrittenReport, i2, sh(2026, 4, 1, 0, 30), late)
	y.incidentDeadline(models.DeadlineFollowUp, i2, sh(2026, 4, 1, 8, 0), missed)
	y.incidentDeadline(models.DeadlineFollowUp, i2, sh(2026, 4, 1, 17, 0), onTime)
	y.reportDeadline(models.DeadlineSignature, i2, r2, sh(2026, 4, 1, 1, 45), onTime)
	y.reportDeadline(models.DeadlineForward, i2, r2, sh(2026, 4, 1, 3, 40), onTime)

	// I3: 00:30 on 1 May in Shanghai is 30 April UTC: May. Reported by phone after 20 min, in
	// writing after 30; the follow-up and the forward are overdue now.
	i3 := y.incident(dir.School2A, incident.NaturalDisaster, incident.SeverityII, sh(2026, 5, 1, 0, 30), "2026-003", false)
	y.report(i3, incident.ReportInitial, incident.ChannelPhone, sh(2026, 5, 1, 0, 50), time.Time{})
	r3 := y.report(i3, incident.ReportInitial, incident.ChannelWritten, sh(2026, 5, 1, 1, 0), sh(2026, 5, 1, 1, 5))
	y.incidentDeadline(models.DeadlineInitialReport, i3, sh(2026, 5, 1, 0, 45), onTime)
	y.incidentDeadline(models.DeadlineWrittenReport, i3, sh(2026, 5, 1, 1, 0), onTime)
	di3 := y.incidentDeadline(models.DeadlineFollowUp, i3, sh(2026, 5, 1, 8, 0), open)
	y.reportDeadline(models.DeadlineSignature, i3, r3, sh(2026, 5, 1, 1, 15), onTime)
	y.reportDeadline(models.DeadlineForward, i3, r3, sh(2026, 5, 1, 3, 5), open)

	// I4: the last minute of 2025 — outside the year, with its late report and its serial.
	i4 := y.incident(dir.School1A, incident.Accident, incident.SeverityIV, sh(2025, 12, 31, 23, 59), "2025-050", false)
	y.report(i4, incident.ReportInitial, incident.ChannelWritten, sh(2025, 12, 31, 23, 59), sh(2025, 12, 31, 23, 59).Add(30*time.Second))
	y.incidentDeadline(models.DeadlineInitialReport, i4, sh(2026, 1, 1, 0, 59), late)

	// I5: the last minute of 2026 counts in December; signed in 2027, so its 期号 is 2027's.
	i5 := y.incident(dir.School2A, incident.ExamSafety, incident.SeverityIV, sh(2026, 12, 31, 23, 59), "2027-001", false)
	r5 := y.report(i5, incident.ReportInitial, incident.ChannelWritten, sh(2027, 1, 1, 0, 39), sh(2027, 1, 1, 0, 50))
	y.reportDeadline(models.DeadlineSignature, i5, r5, sh(2027, 1, 1, 0, 54), onTime)
	y.incidentDeadline(models.DeadlineInitialReport, i5, sh(2027, 1, 1, 0, 59), onTime)
	y.incidentDeadline(models.DeadlineWrittenReport, i5, sh(2027, 1, 1, 1, 59), onTime)

	// I6: a draft never submitted is not an incident yet.
	i6 := y.incident(dir.School1A, incident.Accident, incident.SeverityIV, sh(2026, 6, 1, 9, 0), "", false)
	if err := db.Model(i6).Update("status", incident.IncidentDraft).Error; err != nil {
		t.Fatal(err)
	}

	// I7: on time until its final report, which came late; a follow-up is due this afternoon.
	i7 := y.incident(dir.School1A, incident.Accident, incident.SeverityIV, sh(2026, 6, 15, 10, 0), "2026-004", false)
	r7 := y.report(i7, incident.ReportInitial, incident.ChannelWritten, sh(2026, 6, 15, 10, 30), sh(2026, 6, 15, 10, 45))
	y.incidentDeadline(models.DeadlineInitialReport, i7, sh(2026, 6, 15, 11, 0), onTime)
	y.incidentDeadline(models.DeadlineWrittenReport, i7, sh(2026, 6, 15, 12, 0), onTime)
	y.reportDeadline(models.DeadlineSignature, i7, r7, sh(2026, 6, 15, 10, 45), onTime)
	y.incidentDeadline(models.DeadlineFinalReport, i7, sh(2026, 6, 22, 10, 0), late)
	y.incidentDeadline(models.DeadlineFollowUp, i7, sh(2026, 10, 8, 17, 0), open)

	// Alerts. A1: typhoon issued yellow, raised to orange (level reached: orange), whole city.
	a1 := y.alert(alert.AlertTyphoon, sh(2026, 7, 1, 10, 0), nil, alert.LevelYellow, alert.LevelOrange)
	y.alertSchool(a1, dir.School1A, 10*time.Minute)
	y.alertSchool(a1, dir.School1B, 30*time.Minute)
	y.alertSchool(a1, dir.School2A, -1)
	r1a := y.round(a1, sh(2026, 7, 1, 12, 0))
	y.safety(r1a, dir.School1A, alert.SafetySafe, false, 0, 0)
	y.safety(r1a, dir.School1B, alert.SafetyDamage, true, 2, 1500)
	// A2: rainstorm red, whole city, everyone confirms and reports.
	a2 := y.alert(alert.AlertRainstorm, sh(2026, 8, 1, 6, 0), nil, alert.LevelRed)
	y.alertSchool(a2, dir.School1A, 5*time.Minute)
	y.alertSchool(a2, dir.School1B, 20*time.Minute)
	y.alertSchool(a2, dir.School2A, 40*time.Minute)
	r2a := y.round(a2, sh(2026, 8, 1, 6, 0))
	for _, school := range []directory.School{dir.School1A, dir.School1B, dir.School2A} {
		y.safety(r2a, school, alert.SafetySuspended, false, 0, 0)
	}
	// A3: a drill, A4: last year's — both left out.
	a3 := y.alert(alert.AlertTyphoon, sh(2026, 9, 1, 10, 0), nil, alert.LevelRed)
	if err := db.Model(a3).Update("drill", true).Error; err != nil {
		t.Fatal(err)
	}
	y.alertSchool(a3, dir.School1A, time.Minute)
	a4 := y.alert(alert.AlertRainstorm, sh(2025, 12, 31, 10, 0), nil, alert.LevelYellow)
	y.alertSchool(a4, dir.School1A, time.Minute)
	// A5: rainstorm over District2 only, issued orange and lowered to blue, an hour ago; its
	// safety round is still open.
	a5 := y.alert(alert.AlertRainstorm, sh(2026, 10, 8, 9, 0), []int64{dir.District2.ID}, alert.LevelOrange, alert.LevelBlue)
	y.alertSchool(a5, dir.School2A, 60*time.Minute)
	y.round(a5, sh(2026, 10, 8, 9, 0))

	// Escalations: two steps on I2's initial report (District1), one on I3's follow-up
	// (District2), three on A1's acknowledgement (no district), and one last year.
	for step := 0; step < 2; step++ {
		y.escalation(di2, step, sh(2026, 4, 1, 0, 0).Add(time.Duration(step)*15*time.Minute))
	}
	y.escalation(di3, 0, sh(2026, 5, 1, 8, 0))
	ack := y.deadline(models.DeadlineAlertAck, "alert", a1.ID, nil, sh(2026, 7, 1, 10, 30), late)
	for step := 0; step < 3; step++ {
		y.escalation(ack, step, sh(2026, 7, 1, 10, 30).Add(time.Duration(step)*15*time.Minute))
	}
	old := y.deadline(models.DeadlineAlertAck, "alert", a4.ID, nil, sh(2025, 12, 31, 10, 30), late)
	y.escalation(old, 0, sh(2025, 12, 31, 10, 30))

	// Duty: New Year's day and night shifts (holiday, the night enhanced) and one ordinary day;
	// the night shift starting on 31 December 2025 is last year's.
	officer2, err := stores.Directory.CreateUser(context.Background(), models.System, directory.UserInput{Username: ptr("duty2"), DisplayName: ptr("值班员乙"),
		Role: ptr(models.RoleDutyOfficer), Password: ptr(testenv.Password)})
	if err != nil {
		t.Fatal(err)
	}
	s0 := y.shift("夜班", sh(2025, 12, 31, 17, 30), sh(2026, 1, 1, 8, 30), "", false)
	s1 := y.shift("白班", sh(2026, 1, 1, 8, 30), sh(2026, 1, 1, 17, 30), "元旦", false)
	s2 := y.shift("夜班", sh(2026, 1, 1, 17, 30), sh(2026, 1, 2, 8, 30), "元旦", true)
	s3 := y.shift("白班", sh(2026, 6, 15, 8, 30), sh(2026, 6, 15, 17, 30), "", false)
	y.assign(s0, dir.Leader, roster.DutyLeader)
	y.assign(s0, dir.Officer, roster.DutyOfficer)
	for _, s := range []*roster.Shift{s1, s2, s3} {
		y.assign(s, dir.Leader, roster.DutyLeader)
	}
	y.assign(s1, dir.Officer, roster.DutyOfficer)
	y.assign(s2, dir.Officer, roster.DutyOfficer)
	y.assign(s3, officer2, roster.DutyOfficer)
	y.deadline(models.DeadlineHandover, "handover", 1, nil, sh(2026, 1, 1, 9, 0), late) // last year's night shift, due in 2026
	y.deadline(models.DeadlineHandover, "handover", 2, nil, sh(2026, 1, 1, 18, 0), onTime)
	y.deadline(models.DeadlineHandover, "handover", 3, nil, sh(2026, 6, 15, 18, 0), open)
	y.deadline(models.DeadlineHandover, "handover", 4, nil, sh(2025, 12, 31, 18, 0), late)
	y.officer2 = officer2
	return y
}

// alert writes an alert issued at issued whose timeline passes through levels; districts nil
// means the whole city.
func (y *statsYear) alert(typ alert.AlertType, issued time.Time, districts []int64, levels ...alert.AlertLevel) *alert.Alert {
	a := &alert.Alert{Type: typ, Level: levels[len(levels)-1], Status: alert.AlertActive, WholeCity: districts == nil,
		Headline: "预警", Instructions: "防御", IssuedAt: issued.UTC(), Version: len(levels), Source: "desk"}
	y.create(a)
	for _, d := range districts {
		y.create(&alert.AlertDistrict{AlertID: a.ID, DistrictID: d})
	}
	for i, l := range levels {
		action := "updated"
		if i == 0 {
			action = "issued"
		}
		y.create(&alert.AlertEvent{AlertID: a.ID, Version: i + 1, Action: action, Level: l, Actor: "duty1", At: issued.UTC().Add(time.Duration(i) * time.Hour)})
	}
	return a
}

// alertSchool notifies the school of a at its issue, acknowledged after ack (negative: never).
func (y *statsYear) alertSchool(a *alert.Alert, school directory.School, ack time.Duration) {
	st := &alert.AlertSchool{AlertID: a.ID, SchoolID: school.ID, DistrictID: school.DistrictID, NotifiedAt: a.IssuedAt}
	if ack >= 0 {
		at := a.IssuedAt.Add(ack)
		st.AcknowledgedAt = &at
	}
	y.create(st)
}

func (y *statsYear) round(a *alert.Alert, opened time.Time) *alert.SafetyRound {
	r := &alert.SafetyRound{AlertID: a.ID, Label: opened.Format("2006-01-02 15:04"), OpenedAt: opened.UTC(), DueAt: opened.UTC().Add(2 * time.Hour)}
	y.create(r)
	return r
}

func (y *statsYear) safety(r *alert.SafetyRound, school directory.School, state alert.SafetyState, late bool, injured int, loss int64) {
	y.create(&alert.SafetyReport{RoundID: r.ID, SchoolID: school.ID, DistrictID: school.DistrictID, State: state,
		Injured: injured, PropertyLoss: loss, FiledAt: r.OpenedAt.Add(time.Hour), Late: late})
}

func (y *statsYear) escalation(d *models.Deadline, step int, at time.Time) {
	y.create(&escalation.Escalation{DeadlineID: d.ID, Step: step, Target: "leader_on_duty", FiredAt: at.UTC()})
}

func (y *statsYear) shift(name string, start, end time.Time, holiday string, enhanced bool) *roster.Shift {
	s := &roster.Shift{Name: name, StartsAt: start.UTC(), EndsAt: end.UTC(), Holiday: holiday, Enhanced: enhanced, Confirmed: true}
	y.create(s)
	return s
}

func (y *statsYear) assign(s *roster.Shift, u *models.User, role roster.DutyRole) {
	y.create(&roster.Assignment{ShiftID: s.ID, UserID: u.ID, Role: role, StartsAt: s.StartsAt, EndsAt: s.EndsAt})
}

func f64(v float64) *float64 { return &v }

func rows(t *testing.T, got []stats.CountRow) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, r := range got {
		m[r.Key] = r.Count
	}
	return m
}

func TestStatsOfASeededYear(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		clock := testenv.Clock()
		stores, db := testenv.Store(t, dialect, clock)
		dir := testenv.SeedDirectory(t, stores)
		y := seedStatsYear(t, stores, db, dir)
		ctx := context.Background()
		year := stats.StatsFilter{From: sh(2026, 1, 1, 0, 0), To: sh(2027, 1, 1, 0, 0)}

		st, err := stores.Stats.Stats(ctx, dir.Leader, year)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("Incidents", func(t *testing.T) {
			inc := st.Incidents
			if inc.Total != 5 || inc.Sensitive != 1 {
				t.Fatalf("total %d sensitive %d, want 5 and 1", inc.Total, inc.Sensitive)
			}
			want := map[string]int64{"natural_disaster": 1, "accident": 2, "public_health": 1, "social_security": 0,
				"exam_safety": 1, "network_security": 0, "public_opinion": 0}
			if got := rows(t, inc.ByCategory); !reflect.DeepEqual(got, want) {
				t.Fatalf("by category %v, want %v", got, want)
			}
			if got, want := rows(t, inc.BySeverity), map[string]int64{"1": 0, "2": 1, "3": 1, "4": 3}; !reflect.DeepEqual(got, want) {
				t.Fatalf("by severity %v, want %v", got, want)
			}
			wantMonths := map[string]int64{}
			for m := 1; m <= 12; m++ {
				wantMonths[time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")] = 0
			}
			wantMonths["2026-01"], wantMonths["2026-03"], wantMonths["2026-05"], wantMonths["2026-06"], wantMonths["2026-12"] = 1, 1, 1, 1, 1
			if got := rows(t, inc.ByMonth); !reflect.DeepEqual(got, wantMonths) || len(inc.ByMonth) != 12 || inc.ByMonth[0].Name != "2026年1月" {
				t.Fatalf("by month %+v, want %v", inc.ByMonth, wantMonths)
			}
			want = map[string]int64{models.FormatID(dir.District1.ID): 3, models.FormatID(dir.District2.ID): 2}
			if got := rows(t, inc.ByDistrict); !reflect.DeepEqual(got, want) {
				t.Fatalf("by district %v, want %v", got, want)
			}
		})
		t.Run("ReportsOnTimeLateMissedCountedOnce", func(t *testing.T) {
			want := []stats.DeadlineCounts{
				{Kind: "initial", Name: "首报", Due: 5, OnTime: 4, Late: 1},
				{Kind: "follow_up", Name: "续报", Due: 4, OnTime: 1, Missed: 2, Overdue: 0, Pending: 1}, // the follow-up still unfiled past its due time is 漏报 (issue 18),
				{Kind: "final", Name: "终报", Due: 2, OnTime: 1, Late: 1},
				{Kind: "signature", Name: "签收", Due: 5, OnTime: 4, Late: 1},
				{Kind: "forward", Name: "上报", Due: 2, OnTime: 1, Overdue: 1},
			}
			if !reflect.DeepEqual(st.Reports.ByKind, want) {
				t.Fatalf("by kind\n got %+v\nwant %+v", st.Reports.ByKind, want)
			}
		})
		t.Run("MedianAndP90", func(t *testing.T) {
			// Occurrence to first initial report: 10, 20 (the call), 30, 40, 120 min.
			want := stats.Durations{Count: 5, MedianSeconds: f64(1800), P90Seconds: f64(5280)}
			if got := st.Reports.OccurrenceToInitial; !reflect.DeepEqual(got, want) {
				t.Fatalf("occurrence to initial %+v (%v, %v), want 1800 s and 5280 s", got, deref(got.MedianSeconds), deref(got.P90Seconds))
			}
			// Submission to signature: 5, 10, 11, 15, 50 min.
			want = stats.Durations{Count: 5, MedianSeconds: f64(660), P90Seconds: f64(2160)}
			if got := st.Reports.SubmissionToSignature; !reflect.DeepEqual(got, want) {
				t.Fatalf("submission to signature %+v (%v, %v), want 660 s and 2160 s", got, deref(got.MedianSeconds), deref(got.P90Seconds))
			}
		})
		t.Run("Serials", func(t *testing.T) {
			want := stats.SerialStats{Issued: 4, First: "2026-001", Last: "2026-004", LateIssues: 2, MissedIssues: 2}
			if st.Serials != want {
				t.Fatalf("serials %+v, want %+v", st.Serials, want)
			}
		})
		t.Run("Alerts", func(t *testing.T) {
			a := st.Alerts
			wantRows := []stats.AlertCountRow{
				{Type: alert.AlertTyphoon, TypeName: "台风", Level: alert.LevelOrange, LevelName: "橙色", Count: 1},
				{Type: alert.AlertRainstorm, TypeName: "暴雨", Level: alert.LevelOrange, LevelName: "橙色", Count: 1},
				{Type: alert.AlertRainstorm, TypeName: "暴雨", Level: alert.LevelRed, LevelName: "红色", Count: 1},
			}
			if a.Total != 3 || !reflect.DeepEqual(a.ByTypeLevel, wantRows) {
				t.Fatalf("alerts %d %+v, want 3 %+v", a.Total, a.ByTypeLevel, wantRows)
			}
			if got, want := rows(t, a.ByLevel), map[string]int64{"blue": 0, "yellow": 0, "orange": 2, "red": 1}; !reflect.DeepEqual(got, want) {
				t.Fatalf("by level %v, want %v", got, want)
			}
			if a.SchoolsNotified != 7 || a.SchoolsAcknowledged != 6 || a.AckRate == nil || *a.AckRate != 6.0/7 {
				t.Fatalf("acknowledged %d of %d (%v), want 6 of 7", a.SchoolsAcknowledged, a.SchoolsNotified, deref(a.AckRate))
			}
			// 5, 10, 20, 30, 40, 60 min.
			if want := (stats.Durations{Count: 6, MedianSeconds: f64(1500), P90Seconds: f64(3000)}); !reflect.DeepEqual(a.AckTime, want) {
				t.Fatalf("ack time %v %v, want 1500 and 3000", deref(a.AckTime.MedianSeconds), deref(a.AckTime.P90Seconds))
			}
			wantSafety := stats.SafetyStats{Rounds: 3, Expected: 7, Filed: 5, OnTime: 4, Late: 1, Missing: 1, Pending: 1,
				CompletionRate: f64(5.0 / 6), Damage: 1, Injured: 2, PropertyLoss: 1500}
			if !reflect.DeepEqual(a.Safety, wantSafety) {
				t.Fatalf("safety %+v (%v), want %+v", a.Safety, deref(a.Safety.CompletionRate), wantSafety)
			}
		})
		t.Run("Escalations", func(t *testing.T) {
			e := st.Escalations
			if got, want := rows(t, e.ByStep), map[string]int64{"0": 3, "1": 2, "2": 1}; e.Total != 6 || !reflect.DeepEqual(got, want) {
				t.Fatalf("escalations %d %v, want 6 %v", e.Total, got, want)
			}
		})
		t.Run("Duty", func(t *testing.T) {
			d := st.Duty
			if d == nil || d.Shifts != 3 || d.HolidayShifts != 2 || d.EnhancedShifts != 1 || d.Hours != 33 {
				t.Fatalf("duty %+v, want 3 shifts (2 holiday, 1 enhanced), 33 h", d)
			}
			want := []stats.DutyPersonStats{
				{UserID: dir.Leader.ID, Name: "带班领导", Role: roster.DutyLeader, RoleName: "带班领导", Shifts: 3, HolidayShifts: 2, Hours: 33},
				{UserID: dir.Officer.ID, Name: "值班员甲", Role: roster.DutyOfficer, RoleName: "值班员", Shifts: 2, HolidayShifts: 2, Hours: 24},
				{UserID: y.officer2.ID, Name: "值班员乙", Role: roster.DutyOfficer, RoleName: "值班员", Shifts: 1, Hours: 9},
			}
			if !reflect.DeepEqual(d.People, want) {
				t.Fatalf("people\n got %+v\nwant %+v", d.People, want)
			}
			wantHandovers := stats.DeadlineCounts{Kind: "handover_sign", Name: "交接班签收", Due: 3, OnTime: 1, Late: 1, Overdue: 1}
			if d.Handovers != wantHandovers {
				t.Fatalf("handovers %+v, want %+v", d.Handovers, wantHandovers)
			}
		})

		t.Run("Summary", func(t *testing.T) {
			want := []string{
				"一、信息报送。全年共报送突发事件信息4期（2026-001至2026-004），其中迟报2期、漏报2期。发生并报告突发事件5起，" +
					"按类别分自然灾害1起、事故灾难2起、公共卫生事件1起、考试安全1起；按等级分Ⅱ级（重大）1起、Ⅲ级（较大）1起、Ⅳ级（一般）3起；" +
					"涉敏感事件1起。首报应报5次、按时4次、迟报1次；续报应报4次、按时1次、漏报2次；终报应报2次、按时1次、迟报1次；" +
					"签收应办5次、按时4次、超时1次；上报应办2次、按时1次、逾期未办1次。自事发至首报用时中位数30分钟、90%的事件在88分钟内首报；" +
					"值班室签收用时中位数11分钟。",
				"二、预警响应。全年转发气象预警3次，其中台风预警1次（橙色1次）、暴雨预警2次（橙色1次、红色1次）。通知学校7校次，确认6校次，" +
					"确认率85.7%，确认用时中位数25分钟。平安报应报7份，已报5份（其中迟报1份），未报1份，完成率83.3%；报告受灾1份，受伤2人，财产损失1500元。",
				"三、督办提醒。全年超时自动提醒和逐级督办6次，其中第1级3次、第2级2次、第3级1次。",
				"四、值班值守。全年安排值班3班次，其中节假日2班次、加强值班1班次，累计值班33小时，3人参加值班。交接班应签收3次，按时签收1次、迟签1次、逾期未签1次。",
			}
			if got := st.Summary(); !reflect.DeepEqual(got, want) {
				t.Fatalf("summary\n got %q\nwant %q", got, want)
			}
			half, err := stores.Stats.Stats(ctx, dir.Leader, stats.StatsFilter{From: sh(2026, 1, 1, 0, 0), To: sh(2026, 7, 1, 0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if got := half.PeriodLabel(); got != "2026年1月1日至2026年6月30日" {
				t.Fatalf("period %q", got)
			}
			if p := half.Summary()[0]; !strings.HasPrefix(p, "一、信息报送。统计期内共报送突发事件信息4期") {
				t.Fatalf("half year: %s", p)
			}
		})

		t.Run("DistrictOfficerSeesOwnDistrict", func(t *testing.T) {
			got, err := stores.Stats.Stats(ctx, dir.DistrictOfficer, year)
			if err != nil {
				t.Fatal(err)
			}
			if got.District == nil || got.District.ID != dir.District1.ID || got.Incidents.Total != 3 || len(got.Incidents.ByDistrict) != 1 {
				t.Fatalf("district officer sees %+v", got.Incidents)
			}
			if got.Serials.Issued != 3 || got.Serials.LateIssues != 2 || got.Serials.MissedIssues != 1 {
				t.Fatalf("district serials %+v, want 3 issued, 2 late, 1 missed", got.Serials)
			}
			// Whole-city alerts A1 and A2 concern District1; A5 (District2 only) does not.
			if got.Alerts.Total != 2 || got.Alerts.SchoolsNotified != 4 || got.Alerts.SchoolsAcknowledged != 4 {
				t.Fatalf("district alerts %+v", got.Alerts)
			}
			if got.Alerts.Safety.Expected != 4 || got.Alerts.Safety.Filed != 4 || got.Alerts.Safety.Missing != 0 {
				t.Fatalf("district safety %+v", got.Alerts.Safety)
			}
			if got.Escalations.Total != 2 {
				t.Fatalf("district escalations %d, want 2", got.Escalations.Total)
			}
			if got.Duty != nil {
				t.Fatal("a district officer sees the desk's duty")
			}
			if _, err := stores.Stats.Stats(ctx, dir.DistrictOfficer, stats.StatsFilter{From: year.From, To: year.To, DistrictID: dir.District2.ID}); models.ErrCode(err) != models.EFORBIDDEN {
				t.Fatalf("other district: %v, want forbidden", err)
			}
		})
		t.Run("DistrictFilter", func(t *testing.T) {
			got, err := stores.Stats.Stats(ctx, dir.Admin, stats.StatsFilter{From: year.From, To: year.To, DistrictID: dir.District2.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got.Incidents.Total != 2 || got.Serials.Issued != 1 || got.Alerts.Total != 3 || got.Alerts.SchoolsNotified != 3 || got.Escalations.Total != 1 {
				t.Fatalf("district 2: incidents %d serials %d alerts %d notified %d escalations %d", got.Incidents.Total,
					got.Serials.Issued, got.Alerts.Total, got.Alerts.SchoolsNotified, got.Escalations.Total)
			}
		})
		t.Run("Refused", func(t *testing.T) {
			if _, err := stores.Stats.Stats(ctx, dir.Reporter, year); models.ErrCode(err) != models.EFORBIDDEN {
				t.Fatalf("school reporter: %v, want forbidden", err)
			}
			var e *models.Error
			_, err := stores.Stats.Stats(ctx, dir.Admin, stats.StatsFilter{From: year.To, To: year.From})
			if !errors.As(err, &e) || e.Code != models.EINVALID || e.Fields["to"] == "" {
				t.Fatalf("reversed period: %v", err)
			}
			_, err = stores.Stats.Stats(ctx, dir.Admin, stats.StatsFilter{From: year.From, To: year.To, DistrictID: 999})
			if !errors.As(err, &e) || e.Code != models.EINVALID || e.Fields["district"] == "" {
				t.Fatalf("unknown district: %v", err)
			}
		})
	})
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestStatsMonthsInAZoneWithDST counts months in a zone that changes its offset (Europe/Berlin):
// PostgreSQL converts with AT TIME ZONE; SQLite, which knows no zone rules, counts quarter-hour
// UTC buckets that Go assigns to local months. Both must put each incident in its local month.
func TestStatsMonthsInAZoneWithDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		clock := testenv.Clock()
		db := testenv.OpenDB(t, dialect, clock)
		opts := testenv.Options()
		opts.Location = berlin
		stores := app.New(db, clock, opts)
		dir := testenv.SeedDirectory(t, stores)
		y := &statsYear{t: t, db: db, dir: dir, store: stores}
		at := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, berlin) }
		for _, occurred := range []time.Time{
			at(1, 1, 0, 30),    // 31 Dec 23:30 UTC (winter, +1): January
			at(3, 31, 23, 30),  // 21:30 UTC (summer, +2): March
			at(5, 1, 0, 30),    // 30 Apr 22:30 UTC: May
			at(10, 31, 23, 30), // 22:30 UTC, after the change back to +1: October
			at(11, 1, 0, 30),   // 31 Oct 23:30 UTC: November
			at(12, 31, 23, 59), // 22:59 UTC: December
		} {
			y.incident(dir.School1A, incident.Accident, incident.SeverityIV, occurred, "", false)
		}
		st, err := stores.Stats.Stats(context.Background(), dir.Admin, stats.StatsFilter{From: at(1, 1, 0, 0), To: time.Date(2027, 1, 1, 0, 0, 0, 0, berlin)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"2026-01": 1, "2026-02": 0, "2026-03": 1, "2026-04": 0, "2026-05": 1, "2026-06": 0,
			"2026-07": 0, "2026-08": 0, "2026-09": 0, "2026-10": 1, "2026-11": 1, "2026-12": 1}
		if got := rows(t, st.Incidents.ByMonth); !reflect.DeepEqual(got, want) {
			t.Fatalf("by month %v, want %v", got, want)
		}
	})
}

func ptr[T any](v T) *T { return &v }
