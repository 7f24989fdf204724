package incident

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/models"
)

// shanghai is the bureau's zone. (internal/testenv has it too, but imports this package.)
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// oct is a wall-clock time in October 2026, in the bureau's zone.
func oct(day, hour, min, sec int) time.Time {
	return time.Date(2026, 10, day, hour, min, sec, 0, shanghai)
}

// The incident of the table: a drowning (severity II unless a case says otherwise: phone within
// 15 min, in writing within 30 min, follow-ups at 08:00 and 17:00, final within 24 h after
// resolution) at 08:00 on 1 October, and the report being submitted on it.
const (
	incidentID = 7
	schoolID   = 11
	districtID = 3
	reportID   = 21
)

// labels are the deadlines the school owes on the incident of the table, as the desk names them.
var labels = map[models.DeadlineKind]string{
	models.DeadlineInitialReport: "学生校外溺水：电话首报", models.DeadlineWrittenReport: "学生校外溺水：书面首报",
	models.DeadlineFollowUp: "学生校外溺水：续报", models.DeadlineFinalReport: "学生校外溺水：终报",
}

// newDrowning is the incident before its first report.
func newDrowning(sev Severity) Incident {
	return Incident{ID: incidentID, SchoolID: schoolID, DistrictID: districtID, Title: "学生校外溺水", Category: Accident,
		Subtype: "drowning", Severity: sev, OccurredAt: oct(1, 8, 0, 0).UTC(), Status: IncidentDraft}
}

// drowningClass is the class of the incident of the table, graded sev.
func drowningClass(sev Severity) IncidentClass {
	return IncidentClass{Category: Accident, Subtype: "drowning", Severity: sev}
}

// reportedDrowning is the incident open since a report at lastReport.
func reportedDrowning(sev Severity, lastReport time.Time) Incident {
	inc := newDrowning(sev)
	inc.Status, inc.LastReportAt = IncidentOpen, &lastReport
	return inc
}

// resolvedDrowning is the incident resolved at resolved (reported then for the last time).
func resolvedDrowning(sev Severity, resolved time.Time) Incident {
	inc := reportedDrowning(sev, resolved)
	inc.Status, inc.ResolvedAt = IncidentResolved, &resolved
	return inc
}

// withSeverity returns inc as a report regrading it to sev leaves it.
func withSeverity(inc Incident, sev Severity) Incident {
	inc.Severity = sev
	return inc
}

// report is a draft report of kind on the incident of the table, by channel; lateReason may be "".
func report(kind ReportKind, channel ReportChannel, lateReason string) Report {
	return Report{ID: reportID, IncidentID: incidentID, SchoolID: schoolID, DistrictID: districtID, Kind: kind,
		Channel: channel, Status: ReportDraft, LateReason: lateReason}
}

// resolving is a follow-up that says the incident is handled.
func resolving() Report {
	r := report(ReportFollowUp, ChannelWritten, "")
	r.Resolved = true
	return r
}

// phoneCall is the desk's record of a call received at received.
func phoneCall(received time.Time) Report {
	r := report(ReportInitial, ChannelPhone, "")
	r.ReceivedAt = &received
	return r
}

// owed is an open deadline the school owes on the incident of the table, not yet written.
func owed(kind models.DeadlineKind, due time.Time) models.Deadline {
	school, district := int64(schoolID), int64(districtID)
	return models.Deadline{Kind: kind, SubjectType: models.SubjectIncident, SubjectID: incidentID,
		SchoolID: &school, DistrictID: &district, Label: labels[kind], DueAt: due.UTC()}
}

// signing is the desk's open deadline to sign the report of the table, titled title.
func signing(title string, due time.Time) models.Deadline {
	school, district := int64(schoolID), int64(districtID)
	return models.Deadline{Kind: models.DeadlineSignature, SubjectType: models.SubjectReport, SubjectID: reportID,
		SchoolID: &school, DistrictID: &district, Label: "学生校外溺水：签收" + title, DueAt: due.UTC()}
}

// written is d as a row already written, with id.
func written(id int64, d models.Deadline) models.Deadline {
	d.ID = id
	return d
}

// met is d done at at, in time.
func met(d models.Deadline, at time.Time) models.Deadline {
	done := at.UTC()
	d.DoneAt = &done
	return d
}

// late is d done at at, after it was due.
func late(d models.Deadline, at time.Time) models.Deadline {
	d = met(d, at)
	d.Late = true
	return d
}

// missed is d closed at at as never done.
func missed(d models.Deadline, at time.Time) models.Deadline {
	d = met(d, at)
	d.Missed = true
	return d
}

// list is the deadlines of a case, so that a table row reads as a sentence.
func list(ds ...models.Deadline) []models.Deadline { return ds }

// describe writes a plan out field by field, deadlines in the bureau's zone, for a failure message.
func describe(p settlement) string {
	var b strings.Builder
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(shanghai).Format("01-02 15:04:05")
	}
	fmt.Fprintf(&b, "report %s submitted %s number %d late %v; incident %s resolved %s last report %s late %d missed %d",
		p.ReportStatus, when(&p.SubmittedAt), p.Number, p.Late, p.IncidentStatus, when(p.ResolvedAt), when(&p.LastReportAt),
		p.LateReports, p.MissedReports)
	for _, part := range []struct {
		name string
		ds   []models.Deadline
	}{{"closed", p.Closed}, {"missed", p.Missed}, {"moved", p.Moved}, {"created", p.Created}} {
		for _, d := range part.ds {
			fmt.Fprintf(&b, "\n  %s #%d %s %s/%d school %v district %v %q due %s done %s late %v missed %v", part.name, d.ID,
				d.Kind, d.SubjectType, d.SubjectID, deref(d.SchoolID), deref(d.DistrictID), d.Label, when(&d.DueAt), when(d.DoneAt),
				d.Late, d.Missed)
		}
	}
	return b.String()
}

// deref is *p, or nil.
func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestPlanSettlement(t *testing.T) {
	rules := config.DefaultReportRules()
	// The written initial report after a phone call, and follow-ups, find these rows open.
	writtenDue := written(101, owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)))
	followUpDue := written(102, owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)))
	finalDue := written(103, owed(models.DeadlineFinalReport, oct(2, 12, 0, 0)))
	// An evening drowning (17:20) called in at 17:30 as severity IV: in writing within 2 h, a
	// follow-up daily at 17:00 (tomorrow's).
	evening := reportedDrowning(SeverityIV, oct(1, 17, 30, 0))
	evening.OccurredAt = oct(1, 17, 20, 0).UTC()
	eveningWrittenDue := written(104, owed(models.DeadlineWrittenReport, oct(1, 19, 20, 0)))
	eveningFollowUpDue := written(105, owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)))
	// The 08:00 follow-up a report at 16:55 opened when it met the 17:00 slot early.
	morningDue := written(106, owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)))
	// Follow-ups every 2 h: a report at 10:00 made the next due at noon.
	every2h := config.DefaultReportRules()
	for i := range every2h.Rules {
		every2h.Rules[i].FollowUp = config.FollowUpRule{Every: 2 * time.Hour}
	}
	noonDue := written(107, owed(models.DeadlineFollowUp, oct(1, 12, 0, 0)))
	tests := []struct {
		name string
		// rules are the case's report rules when not the defaults.
		rules *config.ReportRules
		facts settlementFacts
		want  settlement
		// wantProblem names the field an invalid report is refused for; the plan is then empty.
		wantProblem string
	}{
		{
			name: "WrittenInitialJustBeforeDeadline",
			// The phone deadline (08:15) passed without a call: it closes late, the report is in time.
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, ""), Now: oct(1, 8, 29, 59), At: oct(1, 8, 29, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 8, 29, 59), IncidentStatus: IncidentOpen, LastReportAt: oct(1, 8, 29, 59),
				Created: list(
					late(owed(models.DeadlineInitialReport, oct(1, 8, 15, 0)), oct(1, 8, 29, 59)),
					met(owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)), oct(1, 8, 29, 59)),
					owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)),
					signing("首报", oct(1, 8, 44, 59)))},
		},
		{
			name: "WrittenInitialOnTheDot",
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, ""), Now: oct(1, 8, 30, 0), At: oct(1, 8, 30, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 8, 30, 0), IncidentStatus: IncidentOpen, LastReportAt: oct(1, 8, 30, 0),
				Created: list(
					late(owed(models.DeadlineInitialReport, oct(1, 8, 15, 0)), oct(1, 8, 30, 0)),
					met(owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)), oct(1, 8, 30, 0)),
					owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)),
					signing("首报", oct(1, 8, 45, 0)))},
		},
		{
			name: "WrittenInitialOneSecondLateWithoutReason",
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, ""), Now: oct(1, 8, 30, 1), At: oct(1, 8, 30, 1)},
			wantProblem: "late_reason",
		},
		{
			name: "WrittenInitialOneSecondLate",
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, "现场施救"), Now: oct(1, 8, 30, 1), At: oct(1, 8, 30, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 8, 30, 1), Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 8, 30, 1), LateReports: 1,
				Created: list(
					late(owed(models.DeadlineInitialReport, oct(1, 8, 15, 0)), oct(1, 8, 30, 1)),
					late(owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)), oct(1, 8, 30, 1)),
					owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)),
					signing("首报", oct(1, 8, 45, 1)))},
		},
		{
			name: "PhoneCallJustBeforeDeadline",
			// Judged when the call came, not when the officer wrote it down; the desk signs nothing of its own.
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: phoneCall(oct(1, 8, 14, 59)), Now: oct(1, 8, 20, 0), At: oct(1, 8, 14, 59)},
			want: settlement{ReportStatus: ReportRecorded, SubmittedAt: oct(1, 8, 20, 0), IncidentStatus: IncidentOpen, LastReportAt: oct(1, 8, 14, 59),
				Created: list(
					met(owed(models.DeadlineInitialReport, oct(1, 8, 15, 0)), oct(1, 8, 14, 59)),
					owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)),
					owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)))},
		},
		{
			name: "PhoneCallOneSecondLateNeedsNoReason",
			facts: settlementFacts{Incident: newDrowning(SeverityII), Before: drowningClass(SeverityII),
				Report: phoneCall(oct(1, 8, 15, 1)), Now: oct(1, 8, 20, 0), At: oct(1, 8, 15, 1)},
			want: settlement{ReportStatus: ReportRecorded, SubmittedAt: oct(1, 8, 20, 0), Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 8, 15, 1), LateReports: 1,
				Created: list(
					late(owed(models.DeadlineInitialReport, oct(1, 8, 15, 0)), oct(1, 8, 15, 1)),
					owed(models.DeadlineWrittenReport, oct(1, 8, 30, 0)),
					owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)))},
		},
		{
			name: "WrittenAfterPhoneJustBeforeDeadline",
			// The follow-up the call opened stays as it is: it counts from the call.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 12, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, ""), Open: list(writtenDue, followUpDue), Now: oct(1, 8, 29, 59), At: oct(1, 8, 29, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 8, 29, 59), IncidentStatus: IncidentOpen, LastReportAt: oct(1, 8, 29, 59),
				Closed:  list(met(writtenDue, oct(1, 8, 29, 59))),
				Created: list(signing("首报", oct(1, 8, 44, 59)))},
		},
		{
			name: "WrittenAfterPhoneOneSecondLate",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 12, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportInitial, ChannelWritten, "网络中断"), Open: list(writtenDue, followUpDue), Now: oct(1, 8, 30, 1), At: oct(1, 8, 30, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 8, 30, 1), Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 8, 30, 1), LateReports: 1,
				Closed:  list(late(writtenDue, oct(1, 8, 30, 1))),
				Created: list(signing("首报", oct(1, 8, 45, 1)))},
		},
		{
			name: "WrittenAfterPhoneRaisingSeverityMovesFollowUp",
			// The evening drowning, called in as severity IV; the written report at 18:00 raises it
			// to II, whose written deadline (17:50) had passed: lateness is judged by the deadline as
			// it stood (IV: 19:20). The follow-up moves to II's first slot after the call, 08:00.
			facts: settlementFacts{Incident: withSeverity(evening, SeverityII), Before: evening.class(),
				Report: report(ReportInitial, ChannelWritten, ""), Open: list(eveningWrittenDue, eveningFollowUpDue),
				Now: oct(1, 18, 0, 0), At: oct(1, 18, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 18, 0, 0), IncidentStatus: IncidentOpen, LastReportAt: oct(1, 18, 0, 0),
				Closed:  list(met(eveningWrittenDue, oct(1, 18, 0, 0))),
				Moved:   list(written(105, owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)))),
				Created: list(signing("首报", oct(1, 18, 15, 0)))},
		},
		{
			name: "FollowUpJustBeforeDue",
			// It meets the 17:00 slot, so the next is the slot after it, 08:00 — not 17:00 again.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 16, 59, 59), At: oct(1, 16, 59, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 16, 59, 59), Number: 1, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 16, 59, 59),
				Closed:       list(met(followUpDue, oct(1, 16, 59, 59))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)),
					signing("续报一", oct(1, 17, 14, 59)))},
		},
		{
			name: "FollowUpOnTheDot",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 17, 0, 0), At: oct(1, 17, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 17, 0, 0), Number: 1, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 17, 0, 0),
				Closed:       list(met(followUpDue, oct(1, 17, 0, 0))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)),
					signing("续报一", oct(1, 17, 15, 0)))},
		},
		{
			name: "FollowUpHoursBeforeSlotMeetsIt",
			// Filed after the slot before (08:00): it is the 17:00 report, early.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 9, 0, 0), At: oct(1, 9, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 9, 0, 0), Number: 1, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 9, 0, 0),
				Closed:       list(met(followUpDue, oct(1, 9, 0, 0))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)),
					signing("续报一", oct(1, 9, 15, 0)))},
		},
		{
			name: "ExtraFollowUpJustBeforeMetSlotMeetsNothing",
			// 17:00 was met at 16:55; the 08:00 slot counts from 17:00, so a report at 16:58
			// belongs to the slot already met: an extra report, and 08:00 stays due.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 16, 55, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(morningDue), LastFollowUp: 1, Now: oct(1, 16, 58, 0), At: oct(1, 16, 58, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 16, 58, 0), Number: 2, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 16, 58, 0),
				Created:      list(signing("续报二", oct(1, 17, 13, 0)))},
		},
		{
			name: "ExtraFollowUpAtMetSlotMeetsNothing",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 16, 55, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(morningDue), LastFollowUp: 1, Now: oct(1, 17, 0, 0), At: oct(1, 17, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 17, 0, 0), Number: 2, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 17, 0, 0),
				Created:      list(signing("续报二", oct(1, 17, 15, 0)))},
		},
		{
			name: "FollowUpJustAfterMetSlotMeetsTheNext",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 16, 55, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(morningDue), LastFollowUp: 1, Now: oct(1, 17, 0, 1), At: oct(1, 17, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 17, 0, 1), Number: 2, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 17, 0, 1),
				Closed:       list(met(morningDue, oct(1, 17, 0, 1))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)),
					signing("续报二", oct(1, 17, 15, 1)))},
		},
		{
			name: "ExtraFollowUpRaisingSeverityMovesFromTheMetSlot",
			// Severity IV (daily 17:00) met 17:00 at 16:55; raised to II at 16:58, the pending
			// follow-up counts from the 17:00 slot already met: II's next slot after it, 08:00.
			facts: settlementFacts{Incident: withSeverity(reportedDrowning(SeverityIV, oct(1, 16, 55, 0)), SeverityII),
				Before: drowningClass(SeverityIV), Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(eveningFollowUpDue),
				LastFollowUp: 1, Now: oct(1, 16, 58, 0), At: oct(1, 16, 58, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 16, 58, 0), Number: 2, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 16, 58, 0),
				Moved:        list(written(105, owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)))),
				Created:      list(signing("续报二", oct(1, 17, 13, 0)))},
		},
		{
			name:  "IntervalFollowUpJustBeforeDue",
			rules: &every2h,
			// Every 2 h counts from the report: 11:59:59 meets 12:00, the next is 13:59:59.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 10, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(noonDue), Now: oct(1, 11, 59, 59), At: oct(1, 11, 59, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 11, 59, 59), Number: 1, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 11, 59, 59),
				Closed:       list(met(noonDue, oct(1, 11, 59, 59))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(1, 13, 59, 59)),
					signing("续报一", oct(1, 12, 14, 59)))},
		},
		{
			name:  "IntervalFollowUpOnTheDot",
			rules: &every2h,
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 10, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(noonDue), Now: oct(1, 12, 0, 0), At: oct(1, 12, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 12, 0, 0), Number: 1, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 12, 0, 0),
				Closed:       list(met(noonDue, oct(1, 12, 0, 0))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(1, 14, 0, 0)),
					signing("续报一", oct(1, 12, 15, 0)))},
		},
		{
			name:  "IntervalFollowUpOneSecondLate",
			rules: &every2h,
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 10, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, "网络中断"), Open: list(noonDue), Now: oct(1, 12, 0, 1), At: oct(1, 12, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 12, 0, 1), Number: 1, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 12, 0, 1), LateReports: 1,
				Closed: list(late(noonDue, oct(1, 12, 0, 1))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(1, 14, 0, 1)),
					signing("续报一", oct(1, 12, 15, 1)))},
		},
		{
			name:  "IntervalFollowUpAfterNextSlotMissesIt",
			rules: &every2h,
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 10, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, "网络中断"), Open: list(noonDue), Now: oct(1, 14, 0, 1), At: oct(1, 14, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 14, 0, 1), Number: 1, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 14, 0, 1), LateReports: 1, MissedReports: 1,
				Closed: list(late(noonDue, oct(1, 14, 0, 1))),
				Created: list(
					missed(owed(models.DeadlineFollowUp, oct(1, 14, 0, 0)), oct(1, 14, 0, 1)),
					owed(models.DeadlineFollowUp, oct(1, 16, 0, 1)),
					signing("续报一", oct(1, 14, 15, 1)))},
		},
		{
			name: "FollowUpOneSecondLateWithoutReason",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 17, 0, 1), At: oct(1, 17, 0, 1)},
			wantProblem: "late_reason",
		},
		{
			name: "FollowUpOneSecondLate",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, "网络中断"), Open: list(followUpDue), Now: oct(1, 17, 0, 1), At: oct(1, 17, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 17, 0, 1), Number: 1, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(1, 17, 0, 1), LateReports: 1,
				Closed: list(late(followUpDue, oct(1, 17, 0, 1))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)),
					signing("续报一", oct(1, 17, 15, 1)))},
		},
		{
			name: "FollowUpAtNextSlotMissesNone",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, "网络中断"), Open: list(followUpDue), Now: oct(2, 8, 0, 0), At: oct(2, 8, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 8, 0, 0), Number: 1, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(2, 8, 0, 0), LateReports: 1,
				Closed: list(late(followUpDue, oct(2, 8, 0, 0))),
				Created: list(
					owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)),
					signing("续报一", oct(2, 8, 15, 0)))},
		},
		{
			name: "FollowUpAfterNextSlotMissesIt",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFollowUp, ChannelWritten, "网络中断"), Open: list(followUpDue), Now: oct(2, 8, 0, 1), At: oct(2, 8, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 8, 0, 1), Number: 1, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(2, 8, 0, 1), LateReports: 1, MissedReports: 1,
				Closed: list(late(followUpDue, oct(2, 8, 0, 1))),
				Created: list(
					missed(owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)), oct(2, 8, 0, 1)),
					owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)),
					signing("续报一", oct(2, 8, 15, 1)))},
		},
		{
			name: "SkippedFollowUpsCountByTheClassBefore",
			// Severity IV asked for one follow-up a day (17:00): a day's silence misses one, though
			// the report raises the incident to II (twice a day), whose next slot it then opens.
			facts: settlementFacts{Incident: withSeverity(reportedDrowning(SeverityIV, oct(1, 8, 20, 0)), SeverityII),
				Before: drowningClass(SeverityIV), Report: report(ReportFollowUp, ChannelWritten, "网络中断"),
				Open: list(followUpDue), LastFollowUp: 1, Now: oct(2, 17, 30, 0), At: oct(2, 17, 30, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 17, 30, 0), Number: 2, Late: true, IncidentStatus: IncidentOpen,
				LastReportAt: oct(2, 17, 30, 0), LateReports: 1, MissedReports: 1,
				Closed: list(late(followUpDue, oct(2, 17, 30, 0))),
				Created: list(
					missed(owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)), oct(2, 17, 30, 0)),
					owed(models.DeadlineFollowUp, oct(3, 8, 0, 0)),
					signing("续报二", oct(2, 17, 45, 0)))},
		},
		{
			name: "ResolvingFollowUpOpensFinal",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: resolving(), Open: list(followUpDue), LastFollowUp: 2, Now: oct(1, 12, 0, 0), At: oct(1, 12, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 12, 0, 0), Number: 3, IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 12, 0, 0)), LastReportAt: oct(1, 12, 0, 0),
				Closed: list(met(followUpDue, oct(1, 12, 0, 0))),
				Created: list(
					owed(models.DeadlineFinalReport, oct(2, 12, 0, 0)),
					signing("续报三", oct(1, 12, 15, 0)))},
		},
		{
			name: "LoweringSeverityAfterResolutionMovesFinal",
			// Severity III allows three days after resolution for the final report, II one.
			facts: settlementFacts{Incident: withSeverity(resolvedDrowning(SeverityII, oct(1, 12, 0, 0)), SeverityIII),
				Before: drowningClass(SeverityII), Report: report(ReportFollowUp, ChannelWritten, ""),
				Open: list(finalDue), LastFollowUp: 3, Now: oct(1, 13, 0, 0), At: oct(1, 13, 0, 0)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 13, 0, 0), Number: 4, IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 12, 0, 0)), LastReportAt: oct(1, 13, 0, 0),
				Moved:   list(written(103, owed(models.DeadlineFinalReport, oct(4, 12, 0, 0)))),
				Created: list(signing("续报四", oct(1, 13, 15, 0)))},
		},
		{
			name: "FinalBeforeFollowUpDueSupersedesIt",
			// Not yet resolved: the final report resolves the incident, and meets its own deadline at once.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 16, 59, 59), At: oct(1, 16, 59, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 16, 59, 59), IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 16, 59, 59)), LastReportAt: oct(1, 16, 59, 59),
				Closed: list(met(followUpDue, oct(1, 16, 59, 59))),
				Created: list(
					met(owed(models.DeadlineFinalReport, oct(2, 16, 59, 59)), oct(1, 16, 59, 59)),
					signing("终报", oct(1, 17, 14, 59)))},
		},
		{
			name: "FinalAfterFollowUpDueMissesIt",
			// The follow-up is 漏报, not 迟报: the final report is in time and needs no reason.
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, ""), Open: list(followUpDue), Now: oct(1, 17, 0, 1), At: oct(1, 17, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(1, 17, 0, 1), IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 17, 0, 1)), LastReportAt: oct(1, 17, 0, 1), MissedReports: 1,
				Missed: list(missed(followUpDue, oct(1, 17, 0, 1))),
				Created: list(
					met(owed(models.DeadlineFinalReport, oct(2, 17, 0, 1)), oct(1, 17, 0, 1)),
					signing("终报", oct(1, 17, 15, 1)))},
		},
		{
			name: "FinalADayLaterMissesEveryFollowUpSince",
			facts: settlementFacts{Incident: reportedDrowning(SeverityII, oct(1, 8, 20, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, ""), Open: list(followUpDue), Now: oct(2, 17, 0, 1), At: oct(2, 17, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 17, 0, 1), IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(2, 17, 0, 1)), LastReportAt: oct(2, 17, 0, 1), MissedReports: 3,
				Missed: list(missed(followUpDue, oct(2, 17, 0, 1))),
				Created: list(
					missed(owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)), oct(2, 17, 0, 1)),
					missed(owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)), oct(2, 17, 0, 1)),
					met(owed(models.DeadlineFinalReport, oct(3, 17, 0, 1)), oct(2, 17, 0, 1)),
					signing("终报", oct(2, 17, 15, 1)))},
		},
		{
			name: "FinalJustBeforeDeadline",
			facts: settlementFacts{Incident: resolvedDrowning(SeverityII, oct(1, 12, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, ""), Open: list(finalDue), Now: oct(2, 11, 59, 59), At: oct(2, 11, 59, 59)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 11, 59, 59), IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 12, 0, 0)), LastReportAt: oct(2, 11, 59, 59),
				Closed:  list(met(finalDue, oct(2, 11, 59, 59))),
				Created: list(signing("终报", oct(2, 12, 14, 59)))},
		},
		{
			name: "FinalOneSecondLateWithoutReason",
			facts: settlementFacts{Incident: resolvedDrowning(SeverityII, oct(1, 12, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, ""), Open: list(finalDue), Now: oct(2, 12, 0, 1), At: oct(2, 12, 0, 1)},
			wantProblem: "late_reason",
		},
		{
			name: "FinalOneSecondLate",
			facts: settlementFacts{Incident: resolvedDrowning(SeverityII, oct(1, 12, 0, 0)), Before: drowningClass(SeverityII),
				Report: report(ReportFinal, ChannelWritten, "责任认定未完成"), Open: list(finalDue), Now: oct(2, 12, 0, 1), At: oct(2, 12, 0, 1)},
			want: settlement{ReportStatus: ReportSubmitted, SubmittedAt: oct(2, 12, 0, 1), Late: true, IncidentStatus: IncidentResolved,
				ResolvedAt: new(oct(1, 12, 0, 0)), LastReportAt: oct(2, 12, 0, 1), LateReports: 1,
				Closed:  list(late(finalDue, oct(2, 12, 0, 1))),
				Created: list(signing("终报", oct(2, 12, 15, 1)))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := append([]models.Deadline(nil), tt.facts.Open...)
			caseRules := rules
			if tt.rules != nil {
				caseRules = *tt.rules
			}
			got, err := planSettlement(caseRules, shanghai, tt.facts)
			if !reflect.DeepEqual(tt.facts.Open, open) {
				t.Errorf("planning changed the open deadlines it was given: %+v, were %+v", tt.facts.Open, open)
			}
			if tt.wantProblem != "" {
				var e *models.Error
				if !errors.As(err, &e) || e.Code != models.EINVALID || e.Fields[tt.wantProblem] == "" {
					t.Fatalf("error %v, want invalid with a message for %s", err, tt.wantProblem)
				}
				if !reflect.DeepEqual(got, settlement{}) {
					t.Fatalf("refused report planned\n%s", describe(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("plan\n%s\nwant\n%s", describe(got), describe(tt.want))
			}
		})
	}
}
