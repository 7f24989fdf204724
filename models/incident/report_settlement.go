package incident

import (
	"slices"
	"time"

	"dutydesk/config"
	"dutydesk/models"
)

// settlementFacts are what submitting a report is decided from, all read before anything is
// written.
type settlementFacts struct {
	// Incident is the incident with the report's changes to its facts (category, severity…)
	// applied, but not yet settled; Before is its class before the report.
	Incident Incident
	Before   IncidentClass
	// Report is the report being submitted.
	Report Report
	// Open are the incident's open deadlines (those the school owes on it), earliest due first:
	// the ones the report may close, miss or move. An incident not yet written has none.
	Open []models.Deadline
	// LastFollowUp is the highest number among the incident's follow-ups (0 for none); only a
	// follow-up report needs it.
	LastFollowUp int
	// Now is when the report is submitted; the desk's signature counts from it. At is when the
	// report reached the desk (the call, for a phone report; else Now): the school's deadlines
	// are judged at At.
	Now, At time.Time
}

// settlement is the plan of submitting one report, as planSettlement decides it and settleReport
// writes it: what becomes of the report, of the incident and of the incident's deadlines.
type settlement struct {
	// ReportStatus, SubmittedAt, Number and Late are the report's as submitted: recorded (a phone
	// report) or submitted, numbered if a follow-up (续报N), late (迟报) if its own deadline was.
	ReportStatus ReportStatus
	SubmittedAt  time.Time
	Number       int
	Late         bool

	// IncidentStatus, ResolvedAt, LastReportAt, LateReports and MissedReports are the incident's
	// after the report.
	IncidentStatus IncidentStatus
	ResolvedAt     *time.Time
	LastReportAt   time.Time
	LateReports    int
	MissedReports  int

	// Closed are open deadlines the report closes as done at At: met, or late when past due.
	Closed []models.Deadline
	// Missed are open deadlines the report closes as never done (漏报): overdue follow-ups a
	// final report supersedes.
	Missed []models.Deadline
	// Moved are open deadlines that stay open with a new due time: the incident's new class asks
	// for another.
	Moved []models.Deadline
	// Created are the deadlines the report adds, in the order they are to be written: follow-ups
	// that fell due unfiled (already missed), the final report's, the initial reports' (closed if
	// this report meets them), the next follow-up and the desk's signature. They hang on the
	// incident's and the report's ids as the facts gave them.
	Created []models.Deadline
}

// errLateWithoutReason refuses a late written report that does not say why it is late.
func errLateWithoutReason() error {
	return &models.Error{Code: models.EINVALID, Message: "已超过报送时限：迟报照常受理，但须填写迟报原因（late_reason）后提交",
		Fields: map[string]string{"late_reason": "已超过报送时限，请说明迟报原因"}}
}

// planSettlement decides, from the facts and the report rules alone (loc is the bureau's zone),
// what submitting the report does: it closes the deadlines the report fulfils, judging lateness
// by the deadlines as they stood before the report; records 迟报 and 漏报; moves the open
// deadlines to the incident's new class if the report changed it; and opens what the report
// makes due. A late written report must explain itself in late_reason: invalid otherwise.
func planSettlement(rules config.ReportRules, loc *time.Location, f settlementFacts) (settlement, error) {
	pl := &settlementPlanner{rules: rules, loc: loc, facts: f, open: slices.Clone(f.Open)}
	inc, r := &pl.facts.Incident, &pl.facts.Report
	pl.plan = settlement{ReportStatus: ReportSubmitted, SubmittedAt: f.Now, Number: r.Number, Late: r.Late,
		IncidentStatus: inc.Status, ResolvedAt: inc.ResolvedAt, LastReportAt: f.At,
		LateReports: inc.LateReports, MissedReports: inc.MissedReports}
	if r.Channel == ChannelPhone {
		pl.plan.ReportStatus = ReportRecorded
	}
	switch r.Kind {
	case ReportInitial:
		pl.initialReport()
	case ReportFollowUp:
		pl.followUp()
	case ReportFinal:
		pl.finalReport()
	}
	p := &pl.plan
	if p.Late || pl.fulfilsLate() {
		p.Late = true
		p.LateReports++
		if r.Channel == ChannelWritten && r.LateReason == "" {
			return settlement{}, errLateWithoutReason()
		}
	}
	if inc.class() != f.Before {
		p.Moved = pl.moved()
	}
	if p.IncidentStatus == IncidentDraft {
		p.IncidentStatus = IncidentOpen
	}
	// Follow-ups are due while the incident is open, each counted from the report before it or
	// the slot that report met (followUp); a written initial report after a phone one leaves the
	// follow-up the phone report opened, and so does a follow-up that met no slot.
	if p.IncidentStatus == IncidentOpen && (pl.first() || (r.Kind == ReportFollowUp && !pl.keepsFollowUp)) {
		from := f.At
		if !pl.nextFollowUpFrom.IsZero() {
			from = pl.nextFollowUpFrom
		}
		pl.create(incidentDeadline(rules, loc, inc, models.DeadlineFollowUp, from))
	}
	if r.Channel == ChannelWritten {
		numbered := *r
		numbered.Number = p.Number // the signature's label names the report: 签收续报三
		pl.create(reportDeadline(rules, loc, inc, &numbered, models.DeadlineSignature, f.Now))
	}
	return pl.plan, nil
}

// applyTo sets the plan's outcome on the incident and the report it was planned for.
func (p settlement) applyTo(inc *Incident, r *Report) {
	submitted, lastReport := p.SubmittedAt, p.LastReportAt
	r.Status, r.SubmittedAt, r.Number, r.Late = p.ReportStatus, &submitted, p.Number, p.Late
	inc.Status, inc.ResolvedAt, inc.LastReportAt = p.IncidentStatus, p.ResolvedAt, &lastReport
	inc.LateReports, inc.MissedReports = p.LateReports, p.MissedReports
}

// settlementPlanner builds one settlement; its methods are the steps of planSettlement.
type settlementPlanner struct {
	rules config.ReportRules
	loc   *time.Location
	facts settlementFacts
	// open are the incident's deadlines still open as the plan stands so far.
	open []models.Deadline
	// nextFollowUpFrom is what the next follow-up counts from when not the report's arrival: the
	// slot a follow-up met early. keepsFollowUp says the report met no slot: the pending
	// follow-up stays open as it is.
	nextFollowUpFrom time.Time
	keepsFollowUp    bool
	plan             settlement
}

// first tells whether the report is the incident's first: nothing has been reported on it yet.
func (pl *settlementPlanner) first() bool { return pl.facts.Incident.LastReportAt == nil }

// initialReport plans an initial report (首报). The first report opens both initial deadlines
// and fulfils at once those its channel meets (the phone deadline by either channel, the written
// one only in writing): they are created closed rather than opened and closed again. A later
// initial report (the written one after a phone call) closes what is still open of them.
func (pl *settlementPlanner) initialReport() {
	inc, r := &pl.facts.Incident, &pl.facts.Report
	if !pl.first() {
		pl.close(models.DeadlineInitialReport)
		if r.Channel == ChannelWritten {
			pl.close(models.DeadlineWrittenReport)
		}
		return
	}
	for _, kind := range []models.DeadlineKind{models.DeadlineInitialReport, models.DeadlineWrittenReport} {
		d, ok := incidentDeadline(pl.rules, pl.loc, inc, kind, inc.OccurredAt)
		if !ok {
			continue
		}
		if kind == models.DeadlineInitialReport || r.Channel == ChannelWritten {
			d = doneAt(d, pl.facts.At)
		}
		pl.plan.Created = append(pl.plan.Created, d)
	}
}

// followUp plans a follow-up (续报): it closes the pending follow-up, records as missed those that
// fell due since it unfiled, takes the next number, and, if it says the incident is handled
// (处置完毕), resolves the incident and opens the final report's deadline.
//
// Each slot falls due once. By fixed times of day, a follow-up filed by its slot (before it or on
// the dot) meets it, and the next is due at the slot after that one: counted from the report it
// would be the slot just met, again. One filed no later than the slot before the pending one
// (FollowUpSlotBefore, which an earlier report already met) meets nothing: it is an extra report
// (on a change, say), and the pending follow-up stays as it is. A late one counts the next from
// its arrival. An interval rule counts each follow-up from the report before it ("every 2 h":
// never more than 2 h without news); its next slot is then always after the one the report met,
// since the report came after the slot before it, an interval earlier. A follow-up saying the
// incident is handled always closes the pending one: none is due after it.
func (pl *settlementPlanner) followUp() {
	inc, r, at := &pl.facts.Incident, &pl.facts.Report, pl.facts.At
	rule := RuleFor(pl.rules, pl.facts.Before).FollowUp
	if pending, _ := splitKind(pl.open, models.DeadlineFollowUp); len(pending) > 0 {
		due := pending[0].DueAt
		switch {
		case !r.Resolved && !at.After(FollowUpSlotBefore(rule, due, pl.loc)):
			pl.keepsFollowUp = true
		case !at.After(due) && RuleFor(pl.rules, inc.class()).FollowUp.Every == 0:
			pl.nextFollowUpFrom = due
		}
	}
	if !pl.keepsFollowUp {
		for _, d := range pl.close(models.DeadlineFollowUp) {
			pl.skip(d.DueAt)
		}
	}
	pl.plan.Number = pl.facts.LastFollowUp + 1
	if r.Resolved && pl.plan.IncidentStatus == IncidentOpen {
		pl.plan.IncidentStatus, pl.plan.ResolvedAt = IncidentResolved, &at
		pl.create(incidentDeadline(pl.rules, pl.loc, inc, models.DeadlineFinalReport, at))
	}
}

// finalReport plans a final report (终报). It supersedes the pending follow-up: one already
// overdue was never filed (漏报), nor was any later one that fell due before the final report;
// one not yet due is done by it. An incident not yet resolved is resolved by the final report,
// whose deadline then opens and is met at once.
//
// The final report's deadline runs from the resolution (domain.md: "final after resolution"),
// whoever records it: a follow-up saying the incident is handled, or the desk (ResolveIncident,
// with the time handling ended, which may be earlier than when it is recorded). A final report
// filed past that deadline is late (迟报) and must say why. When no one recorded a resolution, the
// first the desk learns of it is the final report itself, so the incident counts as resolved when
// that report arrives; this is not a way around the rules, because until then follow-ups kept
// falling due, and those left unfiled are missed (漏报) here. The report states no resolution time
// of its own: a time the school could set would let it move its own deadline.
func (pl *settlementPlanner) finalReport() {
	inc, at := &pl.facts.Incident, pl.facts.At
	var followUps []models.Deadline
	followUps, pl.open = splitKind(pl.open, models.DeadlineFollowUp)
	if len(followUps) == 0 || !followUps[0].DueAt.Before(at) {
		for _, d := range followUps {
			pl.plan.Closed = append(pl.plan.Closed, doneAt(d, at))
		}
	} else {
		for _, d := range followUps {
			pl.plan.Missed = append(pl.plan.Missed, missedAt(d, at))
		}
		pl.plan.MissedReports += len(followUps)
		pl.skip(followUps[0].DueAt)
	}
	if pl.plan.ResolvedAt == nil {
		pl.plan.ResolvedAt = &at
		if d, ok := incidentDeadline(pl.rules, pl.loc, inc, models.DeadlineFinalReport, at); ok {
			pl.plan.Created = append(pl.plan.Created, doneAt(d, at))
		}
	}
	pl.close(models.DeadlineFinalReport)
	pl.plan.IncidentStatus = IncidentResolved
}

// close closes as done at the report's arrival the open deadlines of kind, and returns them.
func (pl *settlementPlanner) close(kind models.DeadlineKind) []models.Deadline {
	var closing []models.Deadline
	closing, pl.open = splitKind(pl.open, kind)
	for i := range closing {
		closing[i] = doneAt(closing[i], pl.facts.At)
	}
	pl.plan.Closed = append(pl.plan.Closed, closing...)
	return closing
}

// skip creates, already missed (漏报), each follow-up the rules of the incident's class before the
// report made due after due and before the report arrived: the school reported late for due,
// and not at all for those.
func (pl *settlementPlanner) skip(due time.Time) {
	skipped := skippedFollowUps(RuleFor(pl.rules, pl.facts.Before).FollowUp, pl.loc, &pl.facts.Incident, due, pl.facts.At, pl.facts.At)
	pl.plan.Created = append(pl.plan.Created, skipped...)
	pl.plan.MissedReports += len(skipped)
}

// skippedFollowUps returns, missed at missedAt (漏报), the follow-ups of inc the rule made due
// after due and before until: none was filed for them.
func skippedFollowUps(rule config.FollowUpRule, loc *time.Location, inc *Incident, due, until, at time.Time) []models.Deadline {
	var skipped []models.Deadline
	for slot := FollowUpDue(rule, due, loc); slot.Before(until); slot = FollowUpDue(rule, slot, loc) {
		d := models.Deadline{Kind: models.DeadlineFollowUp, SubjectType: models.SubjectIncident, SubjectID: inc.ID,
			SchoolID: &inc.SchoolID, DistrictID: &inc.DistrictID, Label: inc.Title + "：" + models.DeadlineFollowUp.Label(), DueAt: slot.UTC()}
		skipped = append(skipped, missedAt(d, at))
	}
	return skipped
}

// create adds a new open deadline, if the rules set one (ok).
func (pl *settlementPlanner) create(d models.Deadline, ok bool) {
	if ok {
		pl.plan.Created = append(pl.plan.Created, d)
	}
}

// fulfilsLate tells whether the report closes its own deadline late. A written initial report
// that also stands in for a phone report never made leaves that lateness on the phone deadline
// only.
func (pl *settlementPlanner) fulfilsLate() bool {
	r := &pl.facts.Report
	own := map[ReportKind]models.DeadlineKind{ReportInitial: models.DeadlineWrittenReport, ReportFollowUp: models.DeadlineFollowUp, ReportFinal: models.DeadlineFinalReport}[r.Kind]
	if r.Channel == ChannelPhone {
		own = models.DeadlineInitialReport
	}
	// Only deadlines done by this report are late: missed ones are not, nor are open ones.
	for _, d := range slices.Concat(pl.plan.Closed, pl.plan.Created) {
		if d.Kind == own && d.Late {
			return true
		}
	}
	return false
}

// moved returns the deadlines still open whose due time the incident's new class changes, each
// counted again from its starting point: occurrence for the initial reports, resolution for the
// final report, and for the follow-up the previous report or the slot before it by the class
// before, whichever is later (a follow-up that met its slot early counts the next from that
// slot, which must not fall due again). Deadlines the report creates are already counted by the
// new class.
func (pl *settlementPlanner) moved() []models.Deadline {
	inc := &pl.facts.Incident
	from := map[models.DeadlineKind]*time.Time{
		models.DeadlineInitialReport: &inc.OccurredAt, models.DeadlineWrittenReport: &inc.OccurredAt,
		models.DeadlineFollowUp: inc.LastReportAt, models.DeadlineFinalReport: pl.plan.ResolvedAt,
	}
	rule := RuleFor(pl.rules, pl.facts.Before).FollowUp
	var moved []models.Deadline
	for _, d := range pl.open {
		start := from[d.Kind]
		if start == nil {
			continue
		}
		if d.Kind == models.DeadlineFollowUp {
			if slot := FollowUpSlotBefore(rule, d.DueAt, pl.loc); slot.After(*start) {
				start = &slot
			}
		}
		due, ok := NextDeadline(pl.rules, inc.class(), d.Kind, *start, pl.loc)
		if !ok || due.Equal(d.DueAt) {
			continue
		}
		d.DueAt = due.UTC()
		moved = append(moved, d)
	}
	return moved
}

// splitKind returns apart the deadlines of kind among ds and the others, each in their order.
func splitKind(ds []models.Deadline, kind models.DeadlineKind) (of, others []models.Deadline) {
	for _, d := range ds {
		if d.Kind == kind {
			of = append(of, d)
		} else {
			others = append(others, d)
		}
	}
	return of, others
}

// doneAt returns d done at at, late if past due, as store.CloseDeadlines closes it.
func doneAt(d models.Deadline, at time.Time) models.Deadline {
	done := at.UTC()
	d.DoneAt, d.Missed, d.Late = &done, false, done.After(d.DueAt)
	return d
}

// missedAt returns d closed at at as never done (漏报), as store.MissDeadlines closes it.
func missedAt(d models.Deadline, at time.Time) models.Deadline {
	done := at.UTC()
	d.DoneAt, d.Missed, d.Late = &done, true, false
	return d
}
