package incident_test

import (
	"strings"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/incident"
)

func cst(month time.Month, day, hour, min, sec int) time.Time {
	return time.Date(2026, month, day, hour, min, sec, 0, testenv.Shanghai)
}

func TestFollowUpDue(t *testing.T) {
	twice := config.FollowUpRule{Times: []string{"08:00", "17:00"}}
	evening := config.FollowUpRule{Times: []string{"17:00"}}
	every2h := config.FollowUpRule{Every: 2 * time.Hour}
	tests := []struct {
		name string
		rule config.FollowUpRule
		from time.Time
		want time.Time
	}{
		{"JustBeforeMorningSlot", twice, cst(10, 8, 7, 59, 59), cst(10, 8, 8, 0, 0)},
		{"AtMorningSlotTakesEvening", twice, cst(10, 8, 8, 0, 0), cst(10, 8, 17, 0, 0)},
		{"JustBeforeEveningSlot", twice, cst(10, 8, 16, 59, 59), cst(10, 8, 17, 0, 0)},
		{"AtEveningSlotTakesNextMorning", twice, cst(10, 8, 17, 0, 0), cst(10, 9, 8, 0, 0)},
		{"LateNightTakesNextMorning", twice, cst(10, 8, 23, 30, 0), cst(10, 9, 8, 0, 0)},
		{"AcrossMonthEnd", twice, cst(10, 31, 18, 0, 0), cst(11, 1, 8, 0, 0)},
		{"AfterMidnightSameDayMorning", twice, cst(11, 1, 0, 0, 1), cst(11, 1, 8, 0, 0)},
		{"DailyBeforeSlot", evening, cst(10, 8, 16, 59, 59), cst(10, 8, 17, 0, 0)},
		{"DailyAfterSlotNextDay", evening, cst(10, 8, 17, 0, 1), cst(10, 9, 17, 0, 0)},
		{"Interval", every2h, cst(10, 8, 10, 0, 0), cst(10, 8, 12, 0, 0)},
		{"IntervalOverMidnight", every2h, cst(10, 8, 23, 0, 0), cst(10, 9, 1, 0, 0)},
		// A UTC instant is read in the bureau's zone: 2026-10-08 23:59:59 UTC is 07:59:59 on the 9th.
		{"UTCInputUsesBureauZone", twice, time.Date(2026, 10, 8, 23, 59, 59, 0, time.UTC), cst(10, 9, 8, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := incident.FollowUpDue(tt.rule, tt.from, testenv.Shanghai)
			if !got.Equal(tt.want) {
				t.Fatalf("FollowUpDue(%v) = %v, want %v", tt.from, got.In(testenv.Shanghai), tt.want)
			}
		})
	}
}

func TestFollowUpSlotBefore(t *testing.T) {
	twice := config.FollowUpRule{Times: []string{"08:00", "17:00"}}
	evening := config.FollowUpRule{Times: []string{"17:00"}}
	every2h := config.FollowUpRule{Every: 2 * time.Hour}
	tests := []struct {
		name string
		rule config.FollowUpRule
		slot time.Time
		want time.Time
	}{
		{"EveningFollowsMorning", twice, cst(10, 8, 17, 0, 0), cst(10, 8, 8, 0, 0)},
		{"MorningFollowsYesterdayEvening", twice, cst(10, 8, 8, 0, 0), cst(10, 7, 17, 0, 0)},
		{"JustAfterEveningSlot", twice, cst(10, 8, 17, 0, 1), cst(10, 8, 17, 0, 0)},
		{"AcrossMonthStart", twice, cst(11, 1, 8, 0, 0), cst(10, 31, 17, 0, 0)},
		{"DailyFollowsYesterday", evening, cst(10, 8, 17, 0, 0), cst(10, 7, 17, 0, 0)},
		{"IntervalEarlier", every2h, cst(10, 8, 1, 0, 0), cst(10, 7, 23, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := incident.FollowUpSlotBefore(tt.rule, tt.slot, testenv.Shanghai)
			if !got.Equal(tt.want) {
				t.Fatalf("FollowUpSlotBefore(%v) = %v, want %v", tt.slot, got.In(testenv.Shanghai), tt.want)
			}
			// The slot before is the one FollowUpDue leads from to slot, for slots of the rule.
			if tt.name != "JustAfterEveningSlot" {
				if next := incident.FollowUpDue(tt.rule, got, testenv.Shanghai); !next.Equal(tt.slot) {
					t.Fatalf("FollowUpDue(%v) = %v, want %v", got, next.In(testenv.Shanghai), tt.slot)
				}
			}
		})
	}
}

func TestNextDeadlineDefaults(t *testing.T) {
	rules := config.DefaultReportRules()
	occurred := cst(10, 8, 9, 0, 0)
	drowning := func(sev incident.Severity) incident.IncidentClass {
		return incident.IncidentClass{Category: incident.Accident, Subtype: "drowning", Severity: sev}
	}
	cluster := incident.IncidentClass{Category: incident.PublicHealth, Subtype: "infectious_disease", Severity: incident.SeverityIV}
	tests := []struct {
		name  string
		class incident.IncidentClass
		kind  models.DeadlineKind
		from  time.Time
		want  time.Time // zero: no deadline
	}{
		{"PhoneI", drowning(incident.SeverityI), models.DeadlineInitialReport, occurred, cst(10, 8, 9, 15, 0)},
		{"WrittenII", drowning(incident.SeverityII), models.DeadlineWrittenReport, occurred, cst(10, 8, 9, 30, 0)},
		{"PhoneIII", drowning(incident.SeverityIII), models.DeadlineInitialReport, occurred, cst(10, 8, 9, 30, 0)},
		{"WrittenIII", drowning(incident.SeverityIII), models.DeadlineWrittenReport, occurred, cst(10, 8, 10, 0, 0)},
		{"WrittenIV", drowning(incident.SeverityIV), models.DeadlineWrittenReport, occurred, cst(10, 8, 11, 0, 0)},
		{"FollowUpII", drowning(incident.SeverityII), models.DeadlineFollowUp, occurred, cst(10, 8, 17, 0, 0)},
		{"FollowUpIVEveningOnly", drowning(incident.SeverityIV), models.DeadlineFollowUp, cst(10, 8, 17, 30, 0), cst(10, 9, 17, 0, 0)},
		{"FinalII", drowning(incident.SeverityII), models.DeadlineFinalReport, occurred, cst(10, 9, 9, 0, 0)},
		{"FinalIII", drowning(incident.SeverityIII), models.DeadlineFinalReport, occurred, cst(10, 11, 9, 0, 0)},
		{"FinalIV", drowning(incident.SeverityIV), models.DeadlineFinalReport, occurred, cst(10, 15, 9, 0, 0)},
		{"ClusterWritten", cluster, models.DeadlineWrittenReport, occurred, cst(10, 9, 9, 0, 0)},
		{"ClusterFollowUpDaily", cluster, models.DeadlineFollowUp, occurred, cst(10, 9, 9, 0, 0)},
		{"ClusterAtSevereGradeStillCluster", incident.IncidentClass{Category: incident.PublicHealth, Subtype: "infectious_disease", Severity: incident.SeverityII},
			models.DeadlineWrittenReport, occurred, cst(10, 9, 9, 0, 0)},
		{"FoodPoisoningIVIsOrdinary", incident.IncidentClass{Category: incident.PublicHealth, Subtype: "food_poisoning", Severity: incident.SeverityIV},
			models.DeadlineWrittenReport, occurred, cst(10, 8, 11, 0, 0)},
		{"SignatureFifteenMinutes", drowning(incident.SeverityIV), models.DeadlineSignature, occurred, cst(10, 8, 9, 15, 0)},
		{"ForwardIII", drowning(incident.SeverityIII), models.DeadlineForward, occurred, cst(10, 8, 11, 0, 0)},
		{"NoForwardIV", drowning(incident.SeverityIV), models.DeadlineForward, occurred, time.Time{}},
		{"SensitiveIVIsForwarded", incident.IncidentClass{Category: incident.PublicOpinion, Subtype: "online_opinion", Severity: incident.SeverityIV, Sensitive: true},
			models.DeadlineForward, occurred, cst(10, 8, 11, 0, 0)},
		{"InstructionReply", drowning(incident.SeverityIV), models.DeadlineInstruction, occurred, cst(10, 9, 9, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := incident.NextDeadline(rules, tt.class, tt.kind, tt.from, testenv.Shanghai)
			if tt.want.IsZero() {
				if ok {
					t.Fatalf("NextDeadline = %v, want no deadline", got)
				}
				return
			}
			if !ok || !got.Equal(tt.want) {
				t.Fatalf("NextDeadline = %v (%v), want %v", got.In(testenv.Shanghai), ok, tt.want)
			}
		})
	}
}

func TestReportRulesValidate(t *testing.T) {
	if err := config.DefaultReportRules().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	tests := []struct {
		name   string
		change func(r *config.ReportRules)
		want   string
	}{
		{"BothTimesAndEvery", func(r *config.ReportRules) { r.Rules[1].FollowUp.Every = time.Hour }, "either times or every"},
		{"NeitherTimesNorEvery", func(r *config.ReportRules) { r.Rules[1].FollowUp.Times = nil }, "needs times"},
		{"BadTimeOfDay", func(r *config.ReportRules) { r.Rules[1].FollowUp.Times = []string{"8:00"} }, "not a time of day"},
		{"SeverityUncovered", func(r *config.ReportRules) { r.Rules = r.Rules[:3] }, "covers severity 4"},
		{"ZeroWritten", func(r *config.ReportRules) { r.Rules[2].WrittenWithin = 0 }, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := config.DefaultReportRules()
			tt.change(&r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestReportTitles(t *testing.T) {
	tests := []struct {
		report incident.Report
		want   string
	}{
		{incident.Report{Kind: incident.ReportInitial, Channel: incident.ChannelWritten}, "首报"},
		{incident.Report{Kind: incident.ReportInitial, Channel: incident.ChannelPhone}, "电话首报"},
		{incident.Report{Kind: incident.ReportFollowUp, Number: 1}, "续报一"},
		{incident.Report{Kind: incident.ReportFollowUp, Number: 10}, "续报十"},
		{incident.Report{Kind: incident.ReportFollowUp, Number: 12}, "续报十二"},
		{incident.Report{Kind: incident.ReportFollowUp, Number: 20}, "续报二十"},
		{incident.Report{Kind: incident.ReportFollowUp, Number: 35}, "续报三十五"},
		{incident.Report{Kind: incident.ReportFinal}, "终报"},
	}
	for _, tt := range tests {
		if got := tt.report.Title(); got != tt.want {
			t.Errorf("Title(%s %d) = %q, want %q", tt.report.Kind, tt.report.Number, got, tt.want)
		}
	}
}
