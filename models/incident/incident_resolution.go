package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/config"
	"dutydesk/models"
)

// resolution is the plan of marking an incident handled (处置完毕) at ResolvedAt, as
// planResolution decides it and ResolveIncident writes it.
type resolution struct {
	ResolvedAt time.Time
	// MissedReports is the incident's count of 漏报 after the resolution.
	MissedReports int
	// Closed are the pending follow-ups not yet due at the resolution: no longer owed, they are
	// closed as done at it. Missed are those already overdue then: never filed (漏报).
	Closed, Missed []models.Deadline
	// Created are the follow-ups that fell due unfiled between the overdue one and the resolution
	// (already missed), then the final report's deadline, open, counted from the resolution.
	Created []models.Deadline
}

// planResolution decides, from the rules alone (loc is the bureau's zone), what marking the open
// incident handled at at does, now being when the desk records it: follow-ups stop at the
// resolution — those overdue then are missed, those not yet due are closed — and the final
// report falls due, counted from the resolution. open are the incident's open deadlines,
// earliest due first.
func planResolution(rules config.ReportRules, loc *time.Location, inc Incident, open []models.Deadline, at, now time.Time) resolution {
	plan := resolution{ResolvedAt: at, MissedReports: inc.MissedReports}
	followUps, _ := splitKind(open, models.DeadlineFollowUp)
	if len(followUps) == 0 || !followUps[0].DueAt.Before(at) {
		for _, d := range followUps {
			// Done at the resolution, which came before it was due: met.
			plan.Closed = append(plan.Closed, doneAt(d, at))
		}
	} else {
		for _, d := range followUps {
			plan.Missed = append(plan.Missed, missedAt(d, now))
		}
		skipped := skippedFollowUps(RuleFor(rules, inc.class()).FollowUp, loc, &inc, followUps[0].DueAt, at, now)
		plan.Created = append(plan.Created, skipped...)
		plan.MissedReports += len(followUps) + len(skipped)
	}
	if d, ok := incidentDeadline(rules, loc, &inc, models.DeadlineFinalReport, at); ok {
		plan.Created = append(plan.Created, d)
	}
	return plan
}

// reopening is the plan of reopening a resolved incident, as planReopening decides it and
// ReopenIncident writes it.
type reopening struct {
	// MissedReports is the incident's count of 漏报 after reopening.
	MissedReports int
	// Withdrawn are the open final-report deadlines not yet due: never owed after all, they are
	// deleted. Missed are those due by now: the final report was owed and not filed (漏报).
	Withdrawn, Missed []models.Deadline
	// Created is the next follow-up, counted from the reopening.
	Created []models.Deadline
}

// planReopening decides what reopening the resolved incident at now does: the final report is
// no longer due (withdrawn if not yet due, missed if it was overdue), and follow-ups are due
// again from now. open are the incident's open deadlines.
func planReopening(rules config.ReportRules, loc *time.Location, inc Incident, open []models.Deadline, now time.Time) reopening {
	plan := reopening{MissedReports: inc.MissedReports}
	finals, _ := splitKind(open, models.DeadlineFinalReport)
	for _, d := range finals {
		if d.DueAt.After(now) {
			plan.Withdrawn = append(plan.Withdrawn, d)
		} else {
			plan.Missed = append(plan.Missed, missedAt(d, now))
			plan.MissedReports++
		}
	}
	if d, ok := incidentDeadline(rules, loc, &inc, models.DeadlineFollowUp, now); ok {
		plan.Created = append(plan.Created, d)
	}
	return plan
}

// ResolveIncident records for the desk that an open incident was handled (处置完毕) at at (nil:
// now): follow-ups stop at the resolution, those left unfiled before it counting as missed
// (漏报), and the final report falls due, counted from at, however late the desk records it.
// It returns the incident as IncidentDetail shows it. Only the desk may.
// Errors: forbidden, not_found, invalid (at before the occurrence or the latest report, or in the
// future), conflict (a draft, or already resolved or closed).
func (s *Store) ResolveIncident(ctx context.Context, actor *models.User, id int64, at *time.Time) (*IncidentDetail, error) {
	if !actor.Can(models.HandleIncidents) {
		return nil, models.ErrForbidden
	}
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, id)
		if err != nil {
			return err
		}
		switch inc.Status {
		case IncidentDraft:
			return models.Errorf(models.ECONFLICT, "首报尚未提交，不能标记处置完毕")
		case IncidentResolved:
			return models.Errorf(models.ECONFLICT, "事件已标记处置完毕")
		case IncidentClosed:
			return models.Errorf(models.ECONFLICT, "事件已结案")
		}
		now := tx.db.Now()
		resolvedAt := now
		if at != nil {
			resolvedAt = at.UTC().Truncate(time.Microsecond)
		}
		loc := tx.db.Location()
		switch {
		case resolvedAt.Before(inc.OccurredAt):
			return models.Problems{"resolved_at": "处置完毕时间不能早于事发时间（" + inc.OccurredAt.In(loc).Format("2006-01-02 15:04") + "）"}.Err()
		case inc.LastReportAt != nil && resolvedAt.Before(*inc.LastReportAt):
			// Reports until then were follow-ups of an incident still being handled.
			return models.Problems{"resolved_at": "处置完毕时间不能早于最近一次报告（" + inc.LastReportAt.In(loc).Format("2006-01-02 15:04") + "）"}.Err()
		case resolvedAt.After(now): // a later time would count follow-ups not yet due as 漏报
			return models.Problems{"resolved_at": "处置完毕时间不能晚于当前时间"}.Err()
		}
		open, err := tx.openIncidentDeadlines(ctx, inc.ID)
		if err != nil {
			return err
		}
		plan := planResolution(tx.opts.ReportRules, loc, *inc, open, resolvedAt, now)
		for _, d := range firstOfEachKind(plan.Missed) {
			if _, err := tx.db.MissDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, *d.DoneAt); err != nil {
				return err
			}
		}
		for _, d := range firstOfEachKind(plan.Closed) {
			if _, err := tx.db.CloseDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, *d.DoneAt); err != nil {
				return err
			}
		}
		if err := tx.db.InsertDeadlines(ctx, plan.Created); err != nil {
			return err
		}
		inc.Status, inc.ResolvedAt, inc.MissedReports = IncidentResolved, &plan.ResolvedAt, plan.MissedReports
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "incident.resolve", models.SubjectIncident, inc.ID,
			fmt.Sprintf("%s 标记处置完毕（%s）", inc.Title, resolvedAt.In(loc).Format("2006-01-02 15:04")))
	})
	if err != nil {
		return nil, err
	}
	return s.IncidentDetail(ctx, actor, id)
}

// ReopenIncident reopens for the desk a resolved incident whose final report has not come:
// handling goes on after all. The final report is no longer due (its deadline is withdrawn, or
// missed if already overdue), follow-ups are due again from now, and reason, required, is kept
// in the audit log. It returns the incident as IncidentDetail shows it. Only the desk may.
// Errors: forbidden, not_found, invalid (no reason, or too long), conflict (not resolved, or its
// final report already filed).
func (s *Store) ReopenIncident(ctx context.Context, actor *models.User, id int64, reason string) (*IncidentDetail, error) {
	if !actor.Can(models.HandleIncidents) {
		return nil, models.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, models.Problems{"reason": "请填写重新打开的原因"}.Err()
	case utf8.RuneCountInString(reason) > 500:
		return nil, models.Problems{"reason": "不超过500字"}.Err()
	}
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, id)
		if err != nil {
			return err
		}
		switch inc.Status {
		case IncidentClosed:
			return models.Errorf(models.ECONFLICT, "事件已结案，不能重新打开")
		case IncidentDraft, IncidentOpen:
			return models.Errorf(models.ECONFLICT, "事件尚未标记处置完毕，无需重新打开")
		}
		var reports []Report
		if err := tx.db.Conn(ctx).Where("incident_id = ?", inc.ID).Find(&reports).Error; err != nil {
			return fmt.Errorf("reports of incident %d: %w", inc.ID, err)
		}
		if filedOf(reports).submittedFinal {
			return models.Errorf(models.ECONFLICT, "终报已提交，不能重新打开")
		}
		open, err := tx.openIncidentDeadlines(ctx, inc.ID)
		if err != nil {
			return err
		}
		now := tx.db.Now()
		plan := planReopening(tx.opts.ReportRules, tx.db.Location(), *inc, open, now)
		for _, d := range firstOfEachKind(plan.Withdrawn) {
			if _, err := tx.db.WithdrawDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, now); err != nil {
				return err
			}
		}
		for _, d := range firstOfEachKind(plan.Missed) {
			if _, err := tx.db.MissDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, *d.DoneAt); err != nil {
				return err
			}
		}
		if err := tx.db.InsertDeadlines(ctx, plan.Created); err != nil {
			return err
		}
		inc.Status, inc.ResolvedAt, inc.MissedReports = IncidentOpen, nil, plan.MissedReports
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "incident.reopen", models.SubjectIncident, inc.ID, fmt.Sprintf("%s 重新打开：%s", inc.Title, reason))
	})
	if err != nil {
		return nil, err
	}
	return s.IncidentDetail(ctx, actor, id)
}
