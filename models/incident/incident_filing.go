package incident

import (
	"cmp"
	"context"
	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/directory"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// deadlineNames say in Chinese what each awaited action of incident reporting is.
var deadlineNames = map[models.DeadlineKind]string{
	models.DeadlineInitialReport: "电话首报", models.DeadlineWrittenReport: "书面首报", models.DeadlineFollowUp: "续报",
	models.DeadlineFinalReport: "终报", models.DeadlineSignature: "签收", models.DeadlineForward: "上报", models.DeadlineInstruction: "答复批示",
}

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
		checkComplete(inc, r, s.Now(), p)
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
			opened, pending, err := tx.settleReport(ctx, inc, r, inc.class())
			if err != nil {
				return err
			}
			deadlines = append(opened, pending...)
		}
		if err := tx.Insert(ctx, inc); err != nil {
			return fmt.Errorf("create incident: %w", err)
		}
		r.IncidentID = inc.ID
		if err := tx.Insert(ctx, r); err != nil {
			return fmt.Errorf("create initial report: %w", err)
		}
		for i := range deadlines {
			deadlines[i].SubjectID = map[models.SubjectType]int64{models.SubjectIncident: inc.ID, models.SubjectReport: r.ID}[deadlines[i].SubjectType]
		}
		if err := tx.InsertDeadlines(ctx, deadlines); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, action, models.SubjectIncident, inc.ID, fmt.Sprintf("%s %s %s（%s）", inc.Title, inc.Category.Name(), inc.Severity.Name(), sc.Name))
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
	d.setDeadlines(deadlines, s.Now())
	d.Timeline = d.timeline(s.Location())
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
	if err := s.Take(ctx, &sc, id); err != nil {
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
			checkComplete(inc, r, tx.Now(), p)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := tx.Conn(ctx).Create(r).Error; err != nil {
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
		return tx.Audit(ctx, actor, action, models.SubjectReport, r.ID, fmt.Sprintf("事件%d %s", inc.ID, r.Title()))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkFileable tells whether the incident takes a new report of kind. Errors: invalid, conflict.
func (s *Store) checkFileable(ctx context.Context, inc *Incident, kind ReportKind) error {
	switch kind {
	case ReportInitial, ReportFollowUp, ReportFinal:
	default:
		return models.Problems{"kind": "报告类型须为 initial、follow_up 或 final"}.Err()
	}
	switch inc.Status {
	case IncidentDraft:
		return models.Errorf(models.ECONFLICT, "首报尚未提交，请先提交首报")
	case IncidentClosed:
		return models.Errorf(models.ECONFLICT, "事件已结案，不能再报送")
	}
	var reports []Report
	if err := s.Conn(ctx).Where("incident_id = ?", inc.ID).Find(&reports).Error; err != nil {
		return fmt.Errorf("reports of incident %d: %w", inc.ID, err)
	}
	var writtenInitial, submittedFinal bool
	for _, r := range reports {
		switch {
		case r.Kind == ReportInitial && r.Channel == ChannelWritten:
			writtenInitial = writtenInitial || r.Status != ReportDraft
		case r.Kind == ReportFinal:
			submittedFinal = submittedFinal || r.Status != ReportDraft
		}
	}
	switch {
	case submittedFinal:
		return models.Errorf(models.ECONFLICT, "终报已提交，不能再报送")
	case kind == ReportInitial && writtenInitial:
		return models.Errorf(models.ECONFLICT, "本事件已有书面首报，请报送续报")
	case kind != ReportInitial && !writtenInitial:
		return models.Errorf(models.ECONFLICT, "请先提交书面首报")
	}
	return nil
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
		if err := tx.Conn(ctx).Where("id = ? AND incident_id = ?", reportID, inc.ID).Take(&r).Error; err != nil {
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
			checkComplete(inc, &r, tx.Now(), p)
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
		if err := tx.Conn(ctx).Save(&r).Error; err != nil {
			return fmt.Errorf("save report %d: %w", r.ID, err)
		}
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, action, models.SubjectReport, r.ID, fmt.Sprintf("事件%d %s", inc.ID, r.Title()))
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
	_, pending, err := s.settleReport(ctx, inc, r, before)
	if err != nil {
		return err
	}
	if err := s.InsertDeadlines(ctx, pending); err != nil {
		return err
	}
	if err := s.Conn(ctx).Model(r).Select("number", "status", "severity", "late", "submitted_at").Updates(r).Error; err != nil {
		return fmt.Errorf("submit report %d: %w", r.ID, err)
	}
	return nil
}

// settleReport is submitReport but for writing r and the deadlines the report opens: it changes
// inc, r and the incident's deadlines already written, and returns the deadlines it wrote open (as
// it left them; not the follow-ups it records as missed on the way) and those still to write
// (pending), whose subject ids are those of inc and r as they stand. The first report of an
// incident reads and writes no row, so it may be settled before the incident is written.
func (s *Store) settleReport(ctx context.Context, inc *Incident, r *Report, before IncidentClass) (opened, pending []models.Deadline, err error) {
	now := s.Now()
	at := now // when the report reached the desk
	if r.ReceivedAt != nil {
		at = *r.ReceivedAt
	}
	first := inc.LastReportAt == nil
	r.SubmittedAt = &now
	r.Status = ReportSubmitted
	if r.Channel == ChannelPhone {
		r.Status = ReportRecorded
	}

	var fulfilled []models.Deadline
	open := func(d *models.Deadline, err error) error {
		if d != nil {
			opened = append(opened, *d)
		}
		return err
	}
	closeKind := func(kind models.DeadlineKind) ([]models.Deadline, error) {
		ds, err := s.CloseDeadlines(ctx, kind, models.SubjectIncident, inc.ID, at)
		fulfilled = append(fulfilled, ds...)
		return ds, err
	}
	switch r.Kind {
	case ReportInitial:
		if first {
			// The first report opens both initial deadlines and fulfils at once those its channel
			// meets: they are written closed rather than opened and closed again.
			for _, kind := range []models.DeadlineKind{models.DeadlineInitialReport, models.DeadlineWrittenReport} {
				d, ok := incidentDeadline(s.opts.ReportRules, s.Location(), inc, kind, inc.OccurredAt)
				if !ok {
					continue
				}
				if kind == models.DeadlineInitialReport || r.Channel == ChannelWritten {
					done := at.UTC()
					d.DoneAt, d.Late = &done, done.After(d.DueAt)
					fulfilled = append(fulfilled, d)
				}
				pending = append(pending, d)
			}
		} else {
			if _, err := closeKind(models.DeadlineInitialReport); err != nil {
				return nil, nil, err
			}
			if r.Channel == ChannelWritten {
				if _, err := closeKind(models.DeadlineWrittenReport); err != nil {
					return nil, nil, err
				}
			}
		}
	case ReportFollowUp:
		closed, err := closeKind(models.DeadlineFollowUp)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range closed {
			if err := s.missSkippedFollowUps(ctx, inc, before, d.DueAt, at); err != nil {
				return nil, nil, err
			}
		}
		var last int
		err = s.Conn(ctx).Model(&Report{}).Where("incident_id = ? AND kind = ?", inc.ID, ReportFollowUp).
			Select("COALESCE(MAX(number), 0)").Scan(&last).Error
		if err != nil {
			return nil, nil, fmt.Errorf("number follow-up: %w", err)
		}
		r.Number = last + 1
		if r.Resolved && inc.Status == IncidentOpen {
			inc.Status, inc.ResolvedAt = IncidentResolved, &at
			if err := open(s.openIncidentDeadline(ctx, inc, models.DeadlineFinalReport, at)); err != nil {
				return nil, nil, err
			}
		}
	case ReportFinal:
		// The final report supersedes a pending follow-up: one already overdue was never filed (漏报).
		if err := s.supersedeFollowUp(ctx, inc, before, at); err != nil {
			return nil, nil, err
		}
		if inc.ResolvedAt == nil {
			inc.ResolvedAt = &at
			if err := open(s.openIncidentDeadline(ctx, inc, models.DeadlineFinalReport, at)); err != nil {
				return nil, nil, err
			}
		}
		if _, err := closeKind(models.DeadlineFinalReport); err != nil {
			return nil, nil, err
		}
		inc.Status = IncidentResolved
	}

	// The report is late if its own deadline was: a written initial report that also stands in
	// for a phone report never made leaves that lateness on the phone deadline only.
	own := map[ReportKind]models.DeadlineKind{ReportInitial: models.DeadlineWrittenReport, ReportFollowUp: models.DeadlineFollowUp, ReportFinal: models.DeadlineFinalReport}[r.Kind]
	if r.Channel == ChannelPhone {
		own = models.DeadlineInitialReport
	}
	for _, d := range fulfilled {
		if d.Kind == own && d.Late {
			r.Late = true
		}
	}
	if r.Late {
		inc.LateReports++
		if r.Channel == ChannelWritten && r.LateReason == "" {
			return nil, nil, &models.Error{Code: models.EINVALID, Message: "已超过报送时限：迟报照常受理，但须填写迟报原因（late_reason）后提交",
				Fields: map[string]string{"late_reason": "已超过报送时限，请说明迟报原因"}}
		}
	}

	if inc.class() != before {
		if err := s.rescheduleIncident(ctx, inc); err != nil {
			return nil, nil, err
		}
	}
	if inc.Status == IncidentDraft {
		inc.Status = IncidentOpen
	}
	if inc.Status == IncidentOpen && (first || r.Kind == ReportFollowUp) {
		if d, ok := incidentDeadline(s.opts.ReportRules, s.Location(), inc, models.DeadlineFollowUp, at); ok {
			pending = append(pending, d)
		}
	}
	if r.Channel == ChannelWritten {
		if d, ok := reportDeadline(s.opts.ReportRules, s.Location(), inc, r, models.DeadlineSignature, now); ok {
			pending = append(pending, d)
		}
	}
	inc.LastReportAt = &at
	// A deadline opened above and closed by this same report (the final report's) is left closed.
	for i := range opened {
		for _, d := range fulfilled {
			if d.ID == opened[i].ID {
				opened[i] = d
			}
		}
	}
	return opened, pending, nil
}

// supersedeFollowUp closes the pending follow-up of an incident whose final report arrived at at:
// as missed (漏报) if it was already overdue, with every later follow-up that fell due before at;
// otherwise as done by the final report.
func (s *Store) supersedeFollowUp(ctx context.Context, inc *Incident, class IncidentClass, at time.Time) error {
	var pending []models.Deadline
	err := s.Conn(ctx).Where("kind = ? AND subject_type = ? AND subject_id = ? AND done_at IS NULL", models.DeadlineFollowUp, models.SubjectIncident, inc.ID).
		Find(&pending).Error
	if err != nil {
		return fmt.Errorf("pending follow-up of incident %d: %w", inc.ID, err)
	}
	if len(pending) == 0 || !pending[0].DueAt.Before(at) {
		_, err = s.CloseDeadlines(ctx, models.DeadlineFollowUp, models.SubjectIncident, inc.ID, at)
		return err
	}
	missed, err := s.MissDeadlines(ctx, models.DeadlineFollowUp, models.SubjectIncident, inc.ID, at)
	if err != nil {
		return err
	}
	inc.MissedReports += len(missed)
	return s.missSkippedFollowUps(ctx, inc, class, pending[0].DueAt, at)
}

// missSkippedFollowUps records as missed (漏报) each follow-up the rules of class made due after
// due and before at: the school reported late for due, and not at all for those.
func (s *Store) missSkippedFollowUps(ctx context.Context, inc *Incident, class IncidentClass, due, at time.Time) error {
	rule := RuleFor(s.opts.ReportRules, class).FollowUp
	for slot := FollowUpDue(rule, due, s.Location()); slot.Before(at); slot = FollowUpDue(rule, slot, s.Location()) {
		err := s.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineFollowUp, SubjectType: models.SubjectIncident, SubjectID: inc.ID,
			SchoolID: &inc.SchoolID, DistrictID: &inc.DistrictID, Label: inc.Title + "：" + deadlineNames[models.DeadlineFollowUp], DueAt: slot.UTC()})
		if err != nil {
			return err
		}
		missed, err := s.MissDeadlines(ctx, models.DeadlineFollowUp, models.SubjectIncident, inc.ID, at)
		if err != nil {
			return err
		}
		inc.MissedReports += len(missed)
	}
	return nil
}

// rescheduleIncident moves the incident's open report deadlines to what its current class requires.
func (s *Store) rescheduleIncident(ctx context.Context, inc *Incident) error {
	from := map[models.DeadlineKind]*time.Time{
		models.DeadlineInitialReport: &inc.OccurredAt, models.DeadlineWrittenReport: &inc.OccurredAt,
		models.DeadlineFollowUp: inc.LastReportAt, models.DeadlineFinalReport: inc.ResolvedAt,
	}
	for kind, start := range from {
		if start == nil {
			continue
		}
		due, _ := NextDeadline(s.opts.ReportRules, inc.class(), kind, *start, s.Location())
		if err := s.RescheduleDeadlines(ctx, kind, models.SubjectIncident, inc.ID, due); err != nil {
			return err
		}
	}
	return nil
}

// openIncidentDeadline opens a report deadline the school owes on the incident, counted from from,
// and returns it (nil when the rules set none).
func (s *Store) openIncidentDeadline(ctx context.Context, inc *Incident, kind models.DeadlineKind, from time.Time) (*models.Deadline, error) {
	d, ok := incidentDeadline(s.opts.ReportRules, s.Location(), inc, kind, from)
	if !ok {
		return nil, nil
	}
	if err := s.OpenDeadline(ctx, &d); err != nil {
		return nil, err
	}
	return &d, nil
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
		DistrictID: &inc.DistrictID, Label: inc.Title + "：" + deadlineNames[kind], DueAt: due.UTC()}, true
}

// openReportDeadline opens a deadline the desk owes on a report (signature, forward), counted from
// from, and returns it (nil when the rules set none).
func (s *Store) openReportDeadline(ctx context.Context, inc *Incident, r *Report, kind models.DeadlineKind, from time.Time) (*models.Deadline, error) {
	d, ok := reportDeadline(s.opts.ReportRules, s.Location(), inc, r, kind, from)
	if !ok {
		return nil, nil
	}
	if err := s.OpenDeadline(ctx, &d); err != nil {
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
		DistrictID: &inc.DistrictID, Label: inc.Title + "：" + deadlineNames[kind] + r.Title(), DueAt: due.UTC()}, true
}
