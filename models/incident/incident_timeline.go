package incident

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"dutydesk/models"
)

// IncidentDetail is an incident with everything that happened to it.
type IncidentDetail struct {
	Incident
	Reports      []Report             `json:"reports"`
	Forwards     []Forward            `json:"forwards"`
	Instructions []Instruction        `json:"instructions"`
	Deadlines    []IncidentDeadline   `json:"deadlines"`
	Escalations  []IncidentEscalation `json:"escalations"`
	// Timeline is all of the above as one list of events in time order.
	Timeline []TimelineEntry `json:"timeline"`
}

// IncidentDeadline is a deadline with its state at the time of asking (met, late, missed, open, overdue).
type IncidentDeadline struct {
	models.Deadline
	State string `json:"state"`
}

// IncidentEscalation is a fired escalation step of one of the incident's deadlines.
type IncidentEscalation struct {
	ID         int64     `json:"id"`
	DeadlineID int64     `json:"deadline_id"`
	Step       int       `json:"step"`
	Target     string    `json:"target"`
	Recipients string    `json:"recipients"`
	FiredAt    time.Time `json:"fired_at"`
}

// TableName reads the escalations table.
func (IncidentEscalation) TableName() string { return "escalations" }

// TimelineEntry is one event in an incident's history. Type is report, signature, forward,
// instruction, reply, deadline or escalation; the id fields point at the record.
type TimelineEntry struct {
	At            time.Time `json:"at"`
	Type          string    `json:"type"`
	Text          string    `json:"text"`
	State         string    `json:"state,omitempty"` // a deadline's state
	ReportID      *int64    `json:"report_id,omitempty"`
	InstructionID *int64    `json:"instruction_id,omitempty"`
	DeadlineID    *int64    `json:"deadline_id,omitempty"`
}

// IncidentDetail returns the incident with its reports, signatures, forwards, instructions,
// deadlines and escalations, if actor may see it. Errors: not_found.
func (s *Store) IncidentDetail(ctx context.Context, actor *models.User, id int64) (*IncidentDetail, error) {
	inc, err := s.visibleIncident(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	d := newIncidentDetail(*inc)
	db := s.db.Conn(ctx)
	if err := db.Where("incident_id = ?", id).Order("id").Find(&d.Reports).Error; err != nil {
		return nil, fmt.Errorf("reports of incident %d: %w", id, err)
	}
	if err := db.Where("incident_id = ?", id).Order("forwarded_at, id").Find(&d.Forwards).Error; err != nil {
		return nil, fmt.Errorf("forwards of incident %d: %w", id, err)
	}
	if err := db.Where("incident_id = ?", id).Order("given_at, id").Find(&d.Instructions).Error; err != nil {
		return nil, fmt.Errorf("instructions of incident %d: %w", id, err)
	}
	var deadlines []models.Deadline
	err = db.Where(`(subject_type = ? AND subject_id = ?) OR
		(subject_type = ? AND subject_id IN (SELECT id FROM incident_reports WHERE incident_id = ?)) OR
		(subject_type = ? AND subject_id IN (SELECT id FROM incident_instructions WHERE incident_id = ?))`,
		models.SubjectIncident, id, models.SubjectReport, id, models.SubjectInstruction, id).Order("due_at, id").Find(&deadlines).Error
	if err != nil {
		return nil, fmt.Errorf("deadlines of incident %d: %w", id, err)
	}
	d.setDeadlines(deadlines, s.db.Now())
	ids := make([]int64, len(deadlines))
	for i, dl := range deadlines {
		ids[i] = dl.ID
	}
	if len(ids) > 0 {
		if err := db.Where("deadline_id IN ?", ids).Order("fired_at, id").Find(&d.Escalations).Error; err != nil {
			return nil, fmt.Errorf("escalations of incident %d: %w", id, err)
		}
	}
	d.Timeline = d.timeline(s.db.Location())
	return d, nil
}

// newIncidentDetail returns the detail of inc with empty (not null) lists.
func newIncidentDetail(inc Incident) *IncidentDetail {
	return &IncidentDetail{Incident: inc, Reports: []Report{}, Forwards: []Forward{}, Instructions: []Instruction{},
		Deadlines: []IncidentDeadline{}, Escalations: []IncidentEscalation{}, Timeline: []TimelineEntry{}}
}

// setDeadlines sets the incident's deadlines, given by due time then id, with their states at now.
func (d *IncidentDetail) setDeadlines(deadlines []models.Deadline, now time.Time) {
	d.Deadlines = make([]IncidentDeadline, 0, len(deadlines))
	for _, dl := range deadlines {
		state := dl.State(now)
		if state == "overdue" && schoolReport(dl.Kind) {
			// A report the school still owes past its due time is 漏报 from that moment (and 迟报
			// if it comes after all), as the statistics count it.
			state = "missed"
			d.MissedReports++
		}
		d.Deadlines = append(d.Deadlines, IncidentDeadline{Deadline: dl, State: state})
	}
}

// schoolReportKinds are the deadlines that await a report from the school (not an action of the
// desk): unfiled past their due time, they are 漏报.
var schoolReportKinds = []models.DeadlineKind{models.DeadlineInitialReport, models.DeadlineWrittenReport,
	models.DeadlineFollowUp, models.DeadlineFinalReport}

// schoolReport tells whether k awaits a report from the school.
func schoolReport(k models.DeadlineKind) bool { return slices.Contains(schoolReportKinds, k) }

// timeline merges the incident's records into one list of events, oldest first. A deadline
// stands at its due time, so open ones show what is coming; texts show clock times in loc.
func (d *IncidentDetail) timeline(loc *time.Location) []TimelineEntry {
	var out []TimelineEntry
	add := func(e TimelineEntry) { out = append(out, e) }
	reportTitles := map[int64]string{}
	for i := range d.Reports {
		r := &d.Reports[i]
		reportTitles[r.ID] = r.Title()
		if r.SubmittedAt == nil {
			continue // drafts are not events yet
		}
		at, text := *r.SubmittedAt, "提交"+r.Title()
		if r.Channel == ChannelPhone {
			at, text = *r.ReceivedAt, fmt.Sprintf("电话接报：%s %s来电", r.CallerUnit, r.CallerName)
		}
		if r.Late {
			text += "（迟报）"
		}
		add(TimelineEntry{At: at, Type: "report", Text: text, ReportID: &r.ID})
		if r.SignedAt != nil {
			add(TimelineEntry{At: *r.SignedAt, Type: "signature", Text: "签收" + r.Title(), ReportID: &r.ID})
		}
	}
	for i := range d.Forwards {
		f := &d.Forwards[i]
		add(TimelineEntry{At: f.ForwardedAt, Type: "forward", Text: fmt.Sprintf("上报%s至%s（%s）", reportTitles[f.ReportID], f.Recipient, f.Method.Name()), ReportID: &f.ReportID})
	}
	for i := range d.Instructions {
		ins := &d.Instructions[i]
		add(TimelineEntry{At: ins.GivenAt, Type: "instruction", Text: "领导批示：" + ins.Text, InstructionID: &ins.ID})
		if ins.RepliedAt != nil {
			add(TimelineEntry{At: *ins.RepliedAt, Type: "reply", Text: "学校答复批示：" + ins.Reply, InstructionID: &ins.ID})
		}
	}
	for i := range d.Deadlines {
		dl := &d.Deadlines[i]
		add(TimelineEntry{At: dl.DueAt, Type: "deadline", State: dl.State, DeadlineID: &dl.ID,
			Text: fmt.Sprintf("%s 时限 %s", dl.Label, dl.DueAt.In(loc).Format("01-02 15:04"))})
	}
	for i := range d.Escalations {
		e := &d.Escalations[i]
		add(TimelineEntry{At: e.FiredAt, Type: "escalation", DeadlineID: &e.DeadlineID,
			Text: fmt.Sprintf("第%d级催办：通知%s", e.Step+1, models.AudienceNames(models.ParseAudiences(e.Target)))})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
