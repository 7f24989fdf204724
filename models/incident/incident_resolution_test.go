package incident

import (
	"reflect"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/models"
)

func TestPlanResolution(t *testing.T) {
	rules := config.DefaultReportRules()
	// The drowning (severity II: follow-ups at 08:00 and 17:00, final within 24 h of resolution)
	// reported at 08:20 on 1 October, its follow-up due at 17:00.
	followUpDue := written(102, owed(models.DeadlineFollowUp, oct(1, 17, 0, 0)))
	tests := []struct {
		name    string
		at, now time.Time
		want    resolution
	}{
		{
			name: "ResolvedJustBeforeFollowUpDue",
			// Recorded at 20:00, resolved at 16:59:59: the 17:00 follow-up was no longer owed.
			at: oct(1, 16, 59, 59), now: oct(1, 20, 0, 0),
			want: resolution{ResolvedAt: oct(1, 16, 59, 59),
				Closed:  list(met(followUpDue, oct(1, 16, 59, 59))),
				Created: list(owed(models.DeadlineFinalReport, oct(2, 16, 59, 59)))},
		},
		{
			name: "ResolvedOnTheDot",
			at:   oct(1, 17, 0, 0), now: oct(1, 17, 0, 0),
			want: resolution{ResolvedAt: oct(1, 17, 0, 0),
				Closed:  list(met(followUpDue, oct(1, 17, 0, 0))),
				Created: list(owed(models.DeadlineFinalReport, oct(2, 17, 0, 0)))},
		},
		{
			name: "ResolvedJustAfterFollowUpDueMissesIt",
			at:   oct(1, 17, 0, 1), now: oct(1, 18, 0, 0),
			want: resolution{ResolvedAt: oct(1, 17, 0, 1), MissedReports: 1,
				Missed:  list(missed(followUpDue, oct(1, 18, 0, 0))),
				Created: list(owed(models.DeadlineFinalReport, oct(2, 17, 0, 1)))},
		},
		{
			name: "ResolvedADayLaterMissesEveryFollowUpBefore",
			// Recorded late: the final report's 24 h already ran out; it is due from the resolution.
			at: oct(2, 12, 0, 0), now: oct(3, 13, 0, 0),
			want: resolution{ResolvedAt: oct(2, 12, 0, 0), MissedReports: 2,
				Missed: list(missed(followUpDue, oct(3, 13, 0, 0))),
				Created: list(
					missed(owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)), oct(3, 13, 0, 0)),
					owed(models.DeadlineFinalReport, oct(3, 12, 0, 0)))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := list(followUpDue)
			got := planResolution(rules, shanghai, reportedDrowning(SeverityII, oct(1, 8, 20, 0)), open, tt.at, tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("plan\n%+v\nwant\n%+v", got, tt.want)
			}
			if !reflect.DeepEqual(open, list(followUpDue)) {
				t.Fatalf("planning changed the open deadlines it was given: %+v", open)
			}
		})
	}
}

func TestPlanReopening(t *testing.T) {
	rules := config.DefaultReportRules()
	// Resolved at 12:00 on 1 October: the final report due at 12:00 on the 2nd.
	finalDue := written(103, owed(models.DeadlineFinalReport, oct(2, 12, 0, 0)))
	tests := []struct {
		name string
		now  time.Time
		want reopening
	}{
		{
			name: "ReopenedBeforeFinalDueWithdrawsIt",
			now:  oct(2, 11, 59, 59),
			want: reopening{Withdrawn: list(finalDue), Created: list(owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)))},
		},
		{
			name: "ReopenedWhenFinalFallsDueMissesIt",
			// Due at 12:00 and not filed by then: the final report owed was never filed (漏报).
			now: oct(2, 12, 0, 0),
			want: reopening{MissedReports: 1, Missed: list(missed(finalDue, oct(2, 12, 0, 0))),
				Created: list(owed(models.DeadlineFollowUp, oct(2, 17, 0, 0)))},
		},
		{
			name: "ReopenedAtSlotOpensTheNext",
			now:  oct(1, 17, 0, 0),
			want: reopening{Withdrawn: list(finalDue), Created: list(owed(models.DeadlineFollowUp, oct(2, 8, 0, 0)))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planReopening(rules, shanghai, resolvedDrowning(SeverityII, oct(1, 12, 0, 0)), list(finalDue), tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("plan\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
