package incident

import (
	"context"
	"strings"

	"dutydesk/models"
	"dutydesk/notify"
)

// major tells whether every report of inc is told at once to the leader on duty and the desk: a
// I–II incident, or a sensitive one of any size (domain.md: reportable whatever its size).
func (inc *Incident) major() bool {
	return inc.Sensitive || (inc.Severity.Valid() && inc.Severity <= SeverityII)
}

// noticeMajorReport tells the leader on duty and the officers on shift of r the moment it comes
// in, when its incident is major; the deadlines still chase it as usual.
func (s *Store) noticeMajorReport(ctx context.Context, inc *Incident, r *Report) error {
	if !inc.major() || s.audiences == nil {
		return nil
	}
	now := s.db.Now()
	to, err := s.audiences.Recipients(ctx, s.db, models.Deadline{}, []models.Audience{models.AudienceLeaderOnDuty, models.AudienceOfficersOnDuty}, now)
	if err != nil || len(to) == 0 {
		return err
	}
	schools, err := s.dir.SchoolRefs(ctx, s.db, []int64{inc.SchoolID})
	if err != nil {
		return err
	}
	school := ""
	if len(schools) == 1 {
		school = schools[0].Name
	}
	class := inc.Severity.Name()
	if inc.Sensitive {
		class += "，涉敏感"
	}
	facts := []string{inc.occurredLine(s.db.Location()), r.casualtiesLine()}
	if r.Summary != "" {
		facts = append(facts, "情况："+models.Truncate(r.Summary, 300))
	}
	_, err = s.db.QueueNotice(ctx, notify.KindMajorReport, notify.MajorReportData{
		Report: r.Title(), Title: inc.Title, Class: class, School: school, Facts: facts,
		Reporter: r.ReporterName, Phone: r.ReporterPhone,
		Link: strings.TrimRight(s.opts.BaseURL, "/") + "/console/incidents/" + models.FormatID(inc.ID),
	}, to, models.SubjectReport, r.ID, "major_report", models.FormatID(r.ID))
	return err
}
