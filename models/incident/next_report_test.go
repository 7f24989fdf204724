package incident_test

import (
	"testing"

	"dutydesk/models"
	"dutydesk/models/incident"
)

// TestNextReportIsFileable: the report the console offers next is the one the store accepts, and
// after the final report there is none (the console used to offer 报送终报 again, for a 409).
func TestNextReportIsFileable(t *testing.T) {
	phone := incident.Report{Kind: incident.ReportInitial, Channel: incident.ChannelPhone, Status: incident.ReportRecorded}
	written := incident.Report{Kind: incident.ReportInitial, Channel: incident.ChannelWritten, Status: incident.ReportSigned}
	draftWritten := incident.Report{Kind: incident.ReportInitial, Channel: incident.ChannelWritten, Status: incident.ReportDraft}
	followUp := incident.Report{Kind: incident.ReportFollowUp, Channel: incident.ChannelWritten, Status: incident.ReportSubmitted}
	final := incident.Report{Kind: incident.ReportFinal, Channel: incident.ChannelWritten, Status: incident.ReportSubmitted}
	draftFinal := incident.Report{Kind: incident.ReportFinal, Channel: incident.ChannelWritten, Status: incident.ReportDraft}
	kinds := []incident.ReportKind{incident.ReportInitial, incident.ReportFollowUp, incident.ReportFinal}
	for _, c := range []struct {
		name     string
		status   incident.IncidentStatus
		reports  []incident.Report
		next     incident.ReportKind
		fileable []incident.ReportKind
	}{
		{"DraftIncident", incident.IncidentDraft, []incident.Report{draftWritten}, "", nil},
		{"PhoneReportOnly", incident.IncidentOpen, []incident.Report{phone}, incident.ReportInitial, []incident.ReportKind{incident.ReportInitial}},
		{"WrittenDraftAfterPhone", incident.IncidentOpen, []incident.Report{phone, draftWritten}, incident.ReportInitial, []incident.ReportKind{incident.ReportInitial}},
		{"OpenWithWrittenInitial", incident.IncidentOpen, []incident.Report{written, followUp}, incident.ReportFollowUp,
			[]incident.ReportKind{incident.ReportFollowUp, incident.ReportFinal}},
		{"ResolvedAwaitsFinal", incident.IncidentResolved, []incident.Report{written, followUp}, incident.ReportFinal,
			[]incident.ReportKind{incident.ReportFollowUp, incident.ReportFinal}},
		{"FinalDraftDoesNotClose", incident.IncidentResolved, []incident.Report{written, draftFinal}, incident.ReportFinal,
			[]incident.ReportKind{incident.ReportFollowUp, incident.ReportFinal}},
		{"FinalSubmitted", incident.IncidentResolved, []incident.Report{written, followUp, final}, "", nil},
		{"Closed", incident.IncidentClosed, []incident.Report{written, final}, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := incident.NextReport(c.status, c.reports); got != c.next {
				t.Errorf("NextReport = %q, want %q", got, c.next)
			}
			for _, k := range kinds {
				want := false
				for _, f := range c.fileable {
					want = want || f == k
				}
				err := incident.Fileable(c.status, c.reports, k)
				if (err == nil) != want {
					t.Errorf("Fileable(%s) = %v, want fileable %v", k, err, want)
				}
				if err != nil && models.ErrCode(err) != models.ECONFLICT {
					t.Errorf("Fileable(%s) = %v, want a conflict", k, err)
				}
			}
		})
	}
	if err := incident.Fileable(incident.IncidentOpen, nil, "summary"); models.ErrCode(err) != models.EINVALID {
		t.Errorf("an unknown kind: %v", err)
	}
}
