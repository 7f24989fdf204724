package incident

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/directory"
)

// canFile tells whether actor may file reports for the school.
func canFile(actor *models.User, schoolID, districtID int64) bool {
	return actor.Can(models.FileIncidents) && actor.CanSeeSchool(schoolID, districtID)
}

// CreateIncident files a new incident with its initial report (首报), or saves both as a draft
// when in.Draft is set. A school reporter files for its own school (school_id may be left out), a
// district officer for the schools of its district. It returns the new incident as
// IncidentDetail shows it, built from what it wrote: everything about the incident is. Errors:
// forbidden, invalid.
func (s *Store) CreateIncident(ctx context.Context, actor *models.User, in ReportInput) (*IncidentDetail, error) {
	if !actor.Can(models.FileIncidents) {
		return nil, models.ErrForbidden
	}
	// The report's fields are checked before the transaction, so that an incomplete or malformed
	// report opens none (on SQLite a transaction takes the write lock, and phones in a storm
	// retry); only settleReport's checks against the deadlines (a late report's reason) need it.
	// The school is read inside it, with the rows that hang on it; a school the reporter may not
	// file for is the answer that comes first either way.
	schoolID := in.SchoolID
	in.SchoolID = nil // chosen by fileableSchool, not a field to apply
	inc := &Incident{Status: IncidentDraft, CreatedBy: actor.ID}
	r := &Report{Kind: ReportInitial, Channel: ChannelWritten, Status: ReportDraft, CreatedBy: actor.ID}
	p := in.apply(inc, r)
	if !in.Draft {
		checkComplete(inc, r, s.db.Now(), p)
	}
	if err := p.Err(); err != nil {
		if _, schoolErr := s.fileableSchool(ctx, actor, schoolID); schoolErr != nil {
			return nil, schoolErr
		}
		return nil, err
	}
	var deadlines []models.Deadline
	err := s.transact(ctx, func(tx *Store) error {
		sc, err := tx.fileableSchool(ctx, actor, schoolID)
		if err != nil {
			return err
		}
		inc.SchoolID, inc.DistrictID = sc.ID, sc.DistrictID
		r.SchoolID, r.DistrictID = sc.ID, sc.DistrictID
		// The report is settled before anything is written, so that the incident and its report
		// are inserted as submitted rather than as drafts then updated: a first report touches no
		// existing row, and its deadlines are written after the rows they hang on.
		action := "incident.draft"
		if !in.Draft {
			action = "incident.create"
			if deadlines, err = tx.settleReport(ctx, inc, r, inc.class()); err != nil {
				return err
			}
		}
		if err := tx.db.Insert(ctx, inc); err != nil {
			return fmt.Errorf("create incident: %w", err)
		}
		r.IncidentID = inc.ID
		if err := tx.db.Insert(ctx, r); err != nil {
			return fmt.Errorf("create initial report: %w", err)
		}
		for i := range deadlines {
			deadlines[i].SubjectID = map[models.SubjectType]int64{models.SubjectIncident: inc.ID, models.SubjectReport: r.ID}[deadlines[i].SubjectType]
		}
		if err := tx.db.InsertDeadlines(ctx, deadlines); err != nil {
			return err
		}
		if !in.Draft {
			tx.bestEffort(ctx, "major_report", func(sp *Store) error { return sp.noticeMajorReport(ctx, inc, r) })
		}
		return tx.db.Audit(ctx, actor, action, models.SubjectIncident, inc.ID, fmt.Sprintf("%s %s %s（%s）", inc.Title, inc.Category.Name(), inc.Severity.Name(), sc.Name))
	})
	if err != nil {
		return nil, err
	}
	// A new incident has no forwards, instructions or escalations yet, and its only deadlines are
	// those its initial report opened.
	d := newIncidentDetail(*inc)
	d.Reports = append(d.Reports, *r)
	slices.SortStableFunc(deadlines, func(a, b models.Deadline) int { // as IncidentDetail orders them
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	d.setDeadlines(deadlines, s.db.Now())
	d.Timeline = d.timeline(s.db.Location())
	return d, nil
}

// fileableSchool returns the school actor files for: the one given, or the reporter's own.
// Errors: invalid (no such school), forbidden (a school outside actor's scope).
func (s *Store) fileableSchool(ctx context.Context, actor *models.User, schoolID *int64) (*directory.School, error) {
	var id int64
	switch {
	case schoolID != nil:
		id = *schoolID
	case actor.SchoolID != nil:
		id = *actor.SchoolID
	}
	if id <= 0 {
		return nil, models.Problems{"school_id": "请选择报送学校"}.Err()
	}
	var sc directory.School
	if err := s.db.Take(ctx, &sc, id); err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, models.Problems{"school_id": "学校不存在"}.Err()
		}
		return nil, fmt.Errorf("school %d: %w", id, err)
	}
	if !actor.CanSeeSchool(sc.ID, sc.DistrictID) {
		return nil, &models.Error{Code: models.EFORBIDDEN, Message: "只能为本校（或本区县的学校）报送",
			Fields: map[string]string{"school_id": "只能为本校（或本区县的学校）报送"}}
	}
	return &sc, nil
}

// FileReport adds a report to an incident: a follow-up (续报), the final report (终报), or the
// written initial report after the desk took the first one by phone; with in.Draft it is only
// saved. Errors: not_found, forbidden, invalid, conflict (the incident does not take this report).
func (s *Store) FileReport(ctx context.Context, actor *models.User, incidentID int64, kind ReportKind, in ReportInput) (*Report, error) {
	var r *Report
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		if !canFile(actor, inc.SchoolID, inc.DistrictID) {
			return models.ErrForbidden
		}
		if err := tx.checkFileable(ctx, inc, kind); err != nil {
			return err
		}
		r = &Report{IncidentID: inc.ID, SchoolID: inc.SchoolID, DistrictID: inc.DistrictID, Kind: kind,
			Channel: ChannelWritten, Status: ReportDraft, CreatedBy: actor.ID}
		before := inc.class()
		p := in.apply(inc, r)
		if !in.Draft {
			checkComplete(inc, r, tx.db.Now(), p)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Create(r).Error; err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		action := "report.draft"
		if !in.Draft {
			action = "report.submit"
			if err := tx.submitReport(ctx, inc, r, before); err != nil {
				return err
			}
		}
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, action, models.SubjectReport, r.ID, fmt.Sprintf("事件%d %s", inc.ID, r.Title()))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkFileable tells whether the incident takes a new report of kind. Errors: invalid, conflict.
func (s *Store) checkFileable(ctx context.Context, inc *Incident, kind ReportKind) error {
	var reports []Report
	if inc.Status != IncidentDraft && inc.Status != IncidentClosed {
		if err := s.db.Conn(ctx).Where("incident_id = ?", inc.ID).Find(&reports).Error; err != nil {
			return fmt.Errorf("reports of incident %d: %w", inc.ID, err)
		}
	}
	return Fileable(inc.Status, reports, kind)
}

// UpdateDraft changes a draft report (and, for a draft initial report, the incident's facts) and,
// when submit is set, submits it. Errors: not_found, forbidden, invalid, conflict (not a draft).
func (s *Store) UpdateDraft(ctx context.Context, actor *models.User, incidentID, reportID int64, in ReportInput, submit bool) (*Report, error) {
	var r Report
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Where("id = ? AND incident_id = ?", reportID, inc.ID).Take(&r).Error; err != nil {
			return models.NotFound("报告", err)
		}
		if !canFile(actor, inc.SchoolID, inc.DistrictID) {
			return models.ErrForbidden
		}
		if r.Status != ReportDraft {
			return models.Errorf(models.ECONFLICT, "报告已提交，不能修改；如有更正请报送续报")
		}
		if submit && inc.Status != IncidentDraft {
			if err := tx.checkFileable(ctx, inc, r.Kind); err != nil {
				return err
			}
		}
		before := inc.class()
		p := in.apply(inc, &r)
		if submit {
			checkComplete(inc, &r, tx.db.Now(), p)
		}
		if err := p.Err(); err != nil {
			return err
		}
		action := "report.update"
		if submit {
			action = "report.submit"
			if err := tx.submitReport(ctx, inc, &r, before); err != nil {
				return err
			}
		}
		if err := tx.db.Conn(ctx).Save(&r).Error; err != nil {
			return fmt.Errorf("save report %d: %w", r.ID, err)
		}
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, action, models.SubjectReport, r.ID, fmt.Sprintf("事件%d %s", inc.ID, r.Title()))
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// submitReport submits r (already written as a draft row) on inc, inside the caller's transaction:
// it closes the deadlines the report fulfils, judging lateness by the deadlines as they stood
// before the report; records 迟报 and 漏报; moves the remaining deadlines to the incident's new
// class if the report changed it; and opens what the report makes due. A late written report
// must explain itself in late_reason. The caller saves inc.
func (s *Store) submitReport(ctx context.Context, inc *Incident, r *Report, before IncidentClass) error {
	created, err := s.settleReport(ctx, inc, r, before)
	if err != nil {
		return err
	}
	if err := s.db.InsertDeadlines(ctx, created); err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Model(r).Select("number", "status", "severity", "late", "submitted_at").Updates(r).Error; err != nil {
		return fmt.Errorf("submit report %d: %w", r.ID, err)
	}
	s.bestEffort(ctx, "major_report", func(sp *Store) error { return sp.noticeMajorReport(ctx, inc, r) })
	return nil
}

// settleReport is submitReport but for writing r and the deadlines the report creates: it reads
// what planSettlement needs, plans, writes the plan's changes to the incident's deadlines already
// written (closed, missed, moved), sets the plan's outcome on inc and r, and returns the
// deadlines still to write, whose subject ids are those of inc and r as they stand. The first
// report of an incident not yet written reads and writes no row, so it may be settled before the
// incident is written.
func (s *Store) settleReport(ctx context.Context, inc *Incident, r *Report, before IncidentClass) (created []models.Deadline, err error) {
	facts := settlementFacts{Incident: *inc, Before: before, Report: *r, Now: s.db.Now()}
	facts.At = facts.Now
	if r.ReceivedAt != nil {
		facts.At = *r.ReceivedAt
	}
	if inc.ID != 0 {
		if facts.Open, err = s.openIncidentDeadlines(ctx, inc.ID); err != nil {
			return nil, err
		}
	}
	if r.Kind == ReportFollowUp {
		if facts.LastFollowUp, err = s.lastFollowUpNumber(ctx, inc.ID); err != nil {
			return nil, err
		}
	}
	plan, err := planSettlement(s.opts.ReportRules, s.db.Location(), facts)
	if err != nil {
		return nil, err
	}
	if err := s.writeSettlement(ctx, plan); err != nil {
		return nil, err
	}
	plan.applyTo(inc, r)
	return plan.Created, nil
}

// openIncidentDeadlines returns the open deadlines the school owes on the incident, earliest due
// first: those a report may close, miss or move.
func (s *Store) openIncidentDeadlines(ctx context.Context, incidentID int64) ([]models.Deadline, error) {
	var open []models.Deadline
	err := s.db.Conn(ctx).Where("subject_type = ? AND subject_id = ? AND done_at IS NULL", models.SubjectIncident, incidentID).
		Order("due_at, id").Find(&open).Error
	if err != nil {
		return nil, fmt.Errorf("open deadlines of incident %d: %w", incidentID, err)
	}
	return open, nil
}

// lastFollowUpNumber returns the highest number among the incident's follow-ups, 0 for none.
func (s *Store) lastFollowUpNumber(ctx context.Context, incidentID int64) (int, error) {
	var last int
	err := s.db.Conn(ctx).Model(&Report{}).Where("incident_id = ? AND kind = ?", incidentID, ReportFollowUp).
		Select("COALESCE(MAX(number), 0)").Scan(&last).Error
	if err != nil {
		return 0, fmt.Errorf("number follow-up: %w", err)
	}
	return last, nil
}

// writeSettlement writes what the plan changes in deadlines already written: it closes, misses
// and moves them. The store's helpers act on every open deadline of a kind, which is what the
// plan does too (it was read in the same transaction, the incident locked), so one call per kind
// writes them all.
func (s *Store) writeSettlement(ctx context.Context, plan settlement) error {
	for _, d := range firstOfEachKind(plan.Closed) {
		if _, err := s.db.CloseDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, *d.DoneAt); err != nil {
			return err
		}
	}
	for _, d := range firstOfEachKind(plan.Missed) {
		if _, err := s.db.MissDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, *d.DoneAt); err != nil {
			return err
		}
	}
	for _, d := range firstOfEachKind(plan.Moved) {
		if err := s.db.RescheduleDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, d.DueAt); err != nil {
			return err
		}
	}
	return nil
}

// firstOfEachKind returns the first of ds of each kind and subject, in their order.
func firstOfEachKind(ds []models.Deadline) []models.Deadline {
	type key struct {
		kind        models.DeadlineKind
		subjectType models.SubjectType
		subjectID   int64
	}
	seen := map[key]bool{}
	var first []models.Deadline
	for _, d := range ds {
		k := key{d.Kind, d.SubjectType, d.SubjectID}
		if !seen[k] {
			seen[k] = true
			first = append(first, d)
		}
	}
	return first
}

// incidentDeadline returns, unwritten and open, the report deadline of kind the school owes on the
// incident counted from from, by the rules (loc is the bureau's zone, for follow-ups due at a time
// of day); ok is false when the rules set none.
func incidentDeadline(rules config.ReportRules, loc *time.Location, inc *Incident, kind models.DeadlineKind, from time.Time) (d models.Deadline, ok bool) {
	due, ok := NextDeadline(rules, inc.class(), kind, from, loc)
	if !ok {
		return models.Deadline{}, false
	}
	return models.Deadline{Kind: kind, SubjectType: models.SubjectIncident, SubjectID: inc.ID, SchoolID: &inc.SchoolID,
		DistrictID: &inc.DistrictID, Label: inc.Title + "：" + kind.Label(), DueAt: due.UTC()}, true
}

// openReportDeadline opens a deadline the desk owes on a report (signature, forward), counted from
// from, and returns it (nil when the rules set none).
func (s *Store) openReportDeadline(ctx context.Context, inc *Incident, r *Report, kind models.DeadlineKind, from time.Time) (*models.Deadline, error) {
	d, ok := reportDeadline(s.opts.ReportRules, s.db.Location(), inc, r, kind, from)
	if !ok {
		return nil, nil
	}
	if err := s.db.OpenDeadline(ctx, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// reportDeadline returns, unwritten and open, the deadline of kind the desk owes on a report
// counted from from, by the rules; ok is false when the rules set none.
func reportDeadline(rules config.ReportRules, loc *time.Location, inc *Incident, r *Report, kind models.DeadlineKind, from time.Time) (d models.Deadline, ok bool) {
	due, ok := NextDeadline(rules, inc.class(), kind, from, loc)
	if !ok {
		return models.Deadline{}, false
	}
	return models.Deadline{Kind: kind, SubjectType: models.SubjectReport, SubjectID: r.ID, SchoolID: &inc.SchoolID,
		DistrictID: &inc.DistrictID, Label: inc.Title + "：" + kind.Label() + r.Title(), DueAt: due.UTC()}, true
}
