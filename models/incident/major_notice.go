package incident

import (
	"context"
	"log/slog"
	"strings"

	"dutydesk/models"
	"dutydesk/models/store"
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
	school, _, err := s.schoolName(ctx, inc.SchoolID)
	if err != nil {
		return err
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
		Reporter: r.reporter(), Phone: r.reporterPhone(),
		Link: strings.TrimRight(s.opts.BaseURL, "/") + "/console/incidents/" + models.FormatID(inc.ID),
	}, to, models.SubjectReport, r.ID, "major_report", models.FormatID(r.ID))
	return err
}

// bestEffort queues a notice that the change it follows must not depend on — a school's report is
// filed, a 批示 given, even if its notice cannot be queued — in a savepoint of the change's
// transaction; a notice that fails is rolled back alone and logged. It runs inside a transaction.
func (s *Store) bestEffort(ctx context.Context, notice string, queue func(sp *Store) error) {
	err := s.db.Transact(ctx, func(sp *store.Store) error { return queue(s.WithTx(sp)) })
	if err != nil {
		slog.ErrorContext(ctx, "notice not queued", "notice", notice, "err", err)
	}
}
