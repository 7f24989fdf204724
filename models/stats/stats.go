package stats

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
)

// StatsFilter chooses the period and, optionally, one district of the statistics.
type StatsFilter struct {
	// From and To bound the period: From ≤ t < To.
	From, To time.Time
	// DistrictID narrows the figures to one district; 0 means the whole city.
	DistrictID int64
}

// maxStatsSpan bounds the period of one statistics request.
const maxStatsSpan = 10 * 366 * 24 * time.Hour

// Stats are the figures of a period for the annual summary (年度总结): incidents, reporting on
// time, serial numbers, alerts, escalations and duty. Each figure is computed in the database.
//
// Which rows belong to the period: incidents, their reports and report deadlines by the time the
// incident occurred; 期号 by the time of the incident's first signature (when the number was
// given); alerts with their acknowledgements and safety reports by the time the alert was issued
// (drills excluded); escalations by the time they fired; shifts by their start; handovers by the
// time their signature was due.
type Stats struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Zone        string    `json:"zone"`
	GeneratedAt time.Time `json:"generated_at"`
	// District is the one district the figures are about; nil means the whole city.
	District    *directory.District `json:"district"`
	Incidents   IncidentStats       `json:"incidents"`
	Reports     ReportStats         `json:"reports"`
	Serials     SerialStats         `json:"serials"`
	Alerts      AlertStats          `json:"alerts"`
	Escalations EscalationStats     `json:"escalations"`
	// Duty is the city desk's own duty; it is shown only to those who read the roster.
	Duty *DutyStats `json:"duty,omitempty"`
}

// CountRow is one line of a count by some key: a category, a month, a district.
type CountRow struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// IncidentStats count the incidents (drafts excluded) that occurred in the period.
type IncidentStats struct {
	Total      int64      `json:"total"`
	Sensitive  int64      `json:"sensitive"`
	ByCategory []CountRow `json:"by_category"`
	BySeverity []CountRow `json:"by_severity"`
	// ByMonth counts by bureau-zone month, every month of the period listed.
	ByMonth    []CountRow `json:"by_month"`
	ByDistrict []CountRow `json:"by_district"`
}

// DeadlineCounts say how the awaited actions of one kind ended. The deadline rows are the source
// of truth: Late is 迟报 (done after its due time), Missed is 漏报 (closed as never done). Overdue
// are still awaited past their due time; Pending are awaited and not yet due.
type DeadlineCounts struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Due     int64  `json:"due"`
	OnTime  int64  `json:"on_time"`
	Late    int64  `json:"late"`
	Missed  int64  `json:"missed"`
	Overdue int64  `json:"overdue"`
	Pending int64  `json:"pending"`
}

// Durations summarise how long something took, in seconds; nil when nothing was measured.
type Durations struct {
	Count         int64    `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// ReportStats say how the incidents of the period were reported.
type ReportStats struct {
	// ByKind: initial (首报: the phone and written deadlines of one incident count once, in the
	// worse of their states), follow_up (each 续报 due), final, signature and forward (per report).
	ByKind []DeadlineCounts `json:"by_kind"`
	// OccurrenceToInitial: from occurrence to the first initial report (the call, for a phone report).
	OccurrenceToInitial Durations `json:"occurrence_to_initial"`
	// SubmissionToSignature: from a written report's submission to the desk's signature (签收).
	SubmissionToSignature Durations `json:"submission_to_signature"`
}

// SerialStats count the serial numbers (期号) given in the period: each is one 期 of incident
// information reported. LateIssues and MissedIssues count those 期 whose incident had at least one
// report (initial, follow-up or final) late, or missed — each incident once.
type SerialStats struct {
	Issued       int64  `json:"issued"`
	First        string `json:"first" gorm:"column:first_serial"`
	Last         string `json:"last" gorm:"column:last_serial"`
	LateIssues   int64  `json:"late_issues"`
	MissedIssues int64  `json:"missed_issues"`
}

// AlertCountRow counts alerts of one type that reached one level.
type AlertCountRow struct {
	Type      alert.AlertType  `json:"type"`
	TypeName  string           `json:"type_name"`
	Level     alert.AlertLevel `json:"level"`
	LevelName string           `json:"level_name"`
	Count     int64            `json:"count"`
}

// SafetyStats say how schools filed their safety reports (平安报) in the rounds of the alerts.
// Expected counts one report per round per school notified by the round's opening.
type SafetyStats struct {
	Rounds   int64 `json:"rounds"`
	Expected int64 `json:"expected"`
	Filed    int64 `json:"filed"`
	OnTime   int64 `json:"on_time"`
	Late     int64 `json:"late"`
	// Missing are reports of rounds already due that never came; Pending of rounds still open.
	Missing int64 `json:"missing"`
	Pending int64 `json:"pending"`
	// CompletionRate is Filed / (Expected − Pending); nil when nothing was due.
	CompletionRate *float64 `json:"completion_rate"`
	Damage         int64    `json:"damage"` // reports of damage
	Injured        int64    `json:"injured"`
	PropertyLoss   int64    `json:"property_loss"` // yuan
}

// AlertStats count the warnings issued in the period (drills excluded), by type and by the
// highest level each reached, and how schools acknowledged them.
type AlertStats struct {
	Total       int64           `json:"total"`
	ByTypeLevel []AlertCountRow `json:"by_type_level"`
	ByType      []CountRow      `json:"by_type"`
	ByLevel     []CountRow      `json:"by_level"`
	// SchoolsNotified counts (alert, school) pairs; a school counts as acknowledged when any of
	// its contacts confirmed (after a raised level: confirmed again).
	SchoolsNotified     int64    `json:"schools_notified"`
	SchoolsAcknowledged int64    `json:"schools_acknowledged"`
	AckRate             *float64 `json:"ack_rate"`
	// AckTime runs from the school's first notice to its (latest) confirmation.
	AckTime Durations   `json:"ack_time"`
	Safety  SafetyStats `json:"safety"`
}

// EscalationCount counts the escalation steps fired for one kind of deadline.
type EscalationCount struct {
	Kind  models.DeadlineKind `json:"kind"`
	Name  string              `json:"name"`
	Step  int                 `json:"step"`
	Count int64               `json:"count"`
}

// EscalationStats count the escalation steps fired in the period. For one district only the
// deadlines of its schools count (alert and handover ladders belong to no district).
type EscalationStats struct {
	Total      int64             `json:"total"`
	ByStep     []CountRow        `json:"by_step"`
	ByKindStep []EscalationCount `json:"by_kind_step"`
}

// DutyPersonStats is one person's duty in the period.
type DutyPersonStats struct {
	UserID        int64           `json:"user_id"`
	Name          string          `json:"name"`
	Role          roster.DutyRole `json:"role"`
	RoleName      string          `json:"role_name"`
	Shifts        int64           `json:"shifts"`
	HolidayShifts int64           `json:"holiday_shifts"`
	Hours         float64         `json:"hours"`
}

// DutyStats describe the desk's duty coverage: shifts that started in the period, hours per
// person, and handovers whose signature was due in it.
type DutyStats struct {
	Shifts         int64             `json:"shifts"`
	HolidayShifts  int64             `json:"holiday_shifts"`
	EnhancedShifts int64             `json:"enhanced_shifts"`
	Hours          float64           `json:"hours"`
	People         []DutyPersonStats `json:"people"`
	Handovers      DeadlineCounts    `json:"handovers"`
}

// statsScope is what one statistics request covers.
type statsScope struct {
	from, to   time.Time // UTC
	districtID int64     // 0: the whole city
	now        time.Time
}

// Stats computes the figures of the period for actor. Admins, leaders and duty officers see the
// whole city or any one district; a district officer sees only its own district (naming another
// is forbidden); school reporters may not read statistics — a school's own records are in its
// incident list. Errors: forbidden, invalid.
func (s *Store) Stats(ctx context.Context, actor *models.User, f StatsFilter) (*Stats, error) {
	if !actor.Can(models.ReadStats) {
		return nil, models.Errorf(models.EFORBIDDEN, "统计数据仅向局机关和区县教育局开放")
	}
	p := models.Problems{}
	switch {
	case f.From.IsZero() || f.To.IsZero():
		p.Add("from", "请给出统计起止时间")
	case !f.From.Before(f.To):
		p.Add("to", "结束时间须晚于开始时间")
	case f.To.Sub(f.From) > maxStatsSpan:
		p.Add("to", "统计区间不超过10年")
	}
	if f.DistrictID < 0 {
		p.Add("district", "区县不存在")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	sc := statsScope{from: f.From.UTC(), to: f.To.UTC(), districtID: f.DistrictID, now: s.db.Now().UTC()}
	if !actor.Can(models.SeeAll) {
		if actor.Role != models.RoleDistrictOfficer || actor.DistrictID == nil {
			return nil, models.ErrForbidden
		}
		if f.DistrictID != 0 && f.DistrictID != *actor.DistrictID {
			return nil, models.Errorf(models.EFORBIDDEN, "只能查看本区县的统计")
		}
		sc.districtID = *actor.DistrictID
	}
	st := &Stats{From: f.From.In(s.db.Location()), To: f.To.In(s.db.Location()), Zone: s.db.Location().String(), GeneratedAt: sc.now}
	var districts []directory.District
	if err := s.db.Conn(ctx).Order("code, id").Find(&districts).Error; err != nil {
		return nil, fmt.Errorf("stats districts: %w", err)
	}
	if sc.districtID != 0 {
		for i := range districts {
			if districts[i].ID == sc.districtID {
				st.District = &districts[i]
			}
		}
		if st.District == nil {
			return nil, models.Problems{"district": "区县不存在"}.Err()
		}
		districts = []directory.District{*st.District}
	}
	steps := []func() error{
		func() error { return s.incidentStats(ctx, sc, districts, &st.Incidents) },
		func() error { return s.reportStats(ctx, sc, &st.Reports) },
		func() error { return s.serialStats(ctx, sc, &st.Serials) },
		func() error { return s.alertStats(ctx, sc, &st.Alerts) },
		func() error { return s.escalationStats(ctx, sc, &st.Escalations) },
	}
	if actor.Can(models.ReadRoster) {
		st.Duty = &DutyStats{}
		steps = append(steps, func() error { return s.dutyStats(ctx, sc, st.Duty) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
	}
	return st, nil
}

// incidentWhere selects the incidents (alias i) of the scope: reported (not drafts), occurred in
// the period, of the district.
func (sc statsScope) incidentWhere() (string, []any) {
	where := "i.status <> 'draft' AND i.occurred_at >= ? AND i.occurred_at < ?"
	args := []any{sc.from, sc.to}
	if sc.districtID != 0 {
		where += " AND i.district_id = ?"
		args = append(args, sc.districtID)
	}
	return where, args
}

func (s *Store) incidentStats(ctx context.Context, sc statsScope, districts []directory.District, out *IncidentStats) error {
	where, args := sc.incidentWhere()
	var groups []struct {
		Category   incident.Category
		Severity   incident.Severity
		DistrictID int64
		Sensitive  int64
		N          int64
	}
	err := s.db.Conn(ctx).Raw(`SELECT i.category AS category, i.severity AS severity, i.district_id AS district_id,
		SUM(CASE WHEN i.sensitive THEN 1 ELSE 0 END) AS sensitive, COUNT(*) AS n
		FROM incidents i WHERE `+where+` GROUP BY i.category, i.severity, i.district_id`, args...).Scan(&groups).Error
	if err != nil {
		return fmt.Errorf("incidents by class: %w", err)
	}
	byCategory, bySeverity, byDistrict := map[incident.Category]int64{}, map[incident.Severity]int64{}, map[int64]int64{}
	for _, g := range groups {
		out.Total += g.N
		out.Sensitive += g.Sensitive
		byCategory[g.Category] += g.N
		bySeverity[g.Severity] += g.N
		byDistrict[g.DistrictID] += g.N
	}
	for _, c := range incident.Categories {
		out.ByCategory = append(out.ByCategory, CountRow{Key: string(c.Code), Name: c.Name, Count: byCategory[c.Code]})
	}
	for sev := incident.SeverityI; sev <= incident.SeverityIV; sev++ {
		out.BySeverity = append(out.BySeverity, CountRow{Key: strconv.Itoa(int(sev)), Name: sev.Name(), Count: bySeverity[sev]})
	}
	for _, d := range districts {
		out.ByDistrict = append(out.ByDistrict, CountRow{Key: models.FormatID(d.ID), Name: d.Name, Count: byDistrict[d.ID]})
	}

	mg := s.monthOf("i.occurred_at", sc.from, sc.to)
	var months []struct {
		K string
		N int64
	}
	err = s.db.Conn(ctx).Raw("SELECT "+mg.expr+" AS k, COUNT(*) AS n FROM incidents i WHERE "+where+" GROUP BY 1",
		append(append([]any{}, mg.args...), args...)...).Scan(&months).Error
	if err != nil {
		return fmt.Errorf("incidents by month: %w", err)
	}
	byMonth := map[string]int64{}
	for _, m := range months {
		key := m.K
		if mg.month != nil {
			key = mg.month(key)
		}
		byMonth[key] += m.N
	}
	out.ByMonth = monthRows(sc.from.In(s.db.Location()), sc.to.In(s.db.Location()), byMonth)
	return nil
}

// monthRows lists every month from from's to the one before to (its last instant), with counts.
func monthRows(from, to time.Time, counts map[string]int64) []CountRow {
	rows := []CountRow{}
	last := to.Add(-time.Nanosecond)
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location()); !m.After(last); m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		rows = append(rows, CountRow{Key: key, Name: fmt.Sprintf("%d年%d月", m.Year(), m.Month()), Count: counts[key]})
	}
	return rows
}

// reportKinds are the rows of ReportStats.ByKind, in order, with the deadline kinds each counts.
var reportKinds = []struct {
	key, name string
}{
	{"initial", "首报"}, {"follow_up", "续报"}, {"final", "终报"}, {"signature", "签收"}, {"forward", "上报"},
}

// deadlineStateColumns are the SQL columns that classify one deadline row d: missed, late, open,
// overdue at now (the one parameter).
const deadlineStateColumns = `CASE WHEN d.missed THEN 1 ELSE 0 END AS m, CASE WHEN d.late THEN 1 ELSE 0 END AS l,
	CASE WHEN d.done_at IS NULL THEN 1 ELSE 0 END AS o, CASE WHEN d.done_at IS NULL AND d.due_at <= ? THEN 1 ELSE 0 END AS od`

// schoolReportStateColumns classify a deadline of the school's own reports: one still unfiled
// past its due time is already 漏报 (missed), not merely overdue — it becomes 迟报 if the report
// comes after all (its row is then done, late). Two parameters: now, now.
const schoolReportStateColumns = `CASE WHEN d.missed OR (d.done_at IS NULL AND d.due_at <= ?) THEN 1 ELSE 0 END AS m,
	CASE WHEN d.late THEN 1 ELSE 0 END AS l,
	CASE WHEN d.done_at IS NULL THEN 1 ELSE 0 END AS o, CASE WHEN d.done_at IS NULL AND d.due_at <= ? THEN 1 ELSE 0 END AS od`

// deadlineTally sums classified units (columns m, l, o, od) into the DeadlineCounts columns.
const deadlineTally = `COUNT(*) AS due, COALESCE(SUM(CASE WHEN m = 1 THEN 1 ELSE 0 END), 0) AS missed,
	COALESCE(SUM(CASE WHEN m = 0 AND l = 1 THEN 1 ELSE 0 END), 0) AS late,
	COALESCE(SUM(CASE WHEN m = 0 AND l = 0 AND o = 0 THEN 1 ELSE 0 END), 0) AS on_time,
	COALESCE(SUM(CASE WHEN m = 0 AND l = 0 AND od = 1 THEN 1 ELSE 0 END), 0) AS overdue,
	COALESCE(SUM(CASE WHEN m = 0 AND l = 0 AND o = 1 AND od = 0 THEN 1 ELSE 0 END), 0) AS pending`

func (s *Store) reportStats(ctx context.Context, sc statsScope, out *ReportStats) error {
	where, args := sc.incidentWhere()
	// Each unit is one awaited report: the two initial deadlines (phone, written) of an incident
	// make one unit, in the worse of their states; every other deadline is a unit of its own.
	units := `SELECT CASE WHEN d.kind IN ('initial_report', 'written_report') THEN 'initial' ELSE d.kind END AS k,
			CASE WHEN d.kind IN ('initial_report', 'written_report') THEN i.id ELSE d.id END AS unit, ` + schoolReportStateColumns + `
		FROM incidents i JOIN deadlines d ON d.subject_type = 'incident' AND d.subject_id = i.id
		WHERE ` + where + ` AND d.kind IN ('initial_report', 'written_report', 'follow_up', 'final_report')
		UNION ALL
		SELECT d.kind AS k, d.id AS unit, ` + deadlineStateColumns + `
		FROM incidents i JOIN incident_reports r ON r.incident_id = i.id
		JOIN deadlines d ON d.subject_type = 'report' AND d.subject_id = r.id
		WHERE ` + where + ` AND d.kind IN ('signature', 'forward')`
	q := `SELECT k AS kind, ` + deadlineTally + ` FROM (
		SELECT k, unit, MAX(m) AS m, MAX(l) AS l, MAX(o) AS o, MAX(od) AS od FROM (` + units + `) x GROUP BY k, unit
	) u GROUP BY k`
	qargs := append(append(append([]any{sc.now, sc.now}, args...), sc.now), args...)
	var rows []DeadlineCounts
	if err := s.db.Conn(ctx).Raw(q, qargs...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("reports by kind: %w", err)
	}
	byKind := map[string]DeadlineCounts{}
	for _, r := range rows {
		byKind[strings.TrimSuffix(r.Kind, "_report")] = r
	}
	for _, k := range reportKinds {
		r := byKind[k.key]
		r.Kind, r.Name = k.key, k.name
		out.ByKind = append(out.ByKind, r)
	}

	var err error
	initial := `SELECT ` + s.secondsBetween("MIN(COALESCE(r.received_at, r.submitted_at))", "i.occurred_at") + ` AS v
		FROM incidents i JOIN incident_reports r ON r.incident_id = i.id AND r.kind = 'initial' AND r.submitted_at IS NOT NULL
		WHERE ` + where + ` GROUP BY i.id, i.occurred_at`
	if out.OccurrenceToInitial, err = s.durations(ctx, initial, args); err != nil {
		return err
	}
	signature := `SELECT ` + s.secondsBetween("r.signed_at", "r.submitted_at") + ` AS v
		FROM incidents i JOIN incident_reports r ON r.incident_id = i.id
		WHERE ` + where + ` AND r.signed_at IS NOT NULL AND r.submitted_at IS NOT NULL`
	out.SubmissionToSignature, err = s.durations(ctx, signature, args)
	return err
}

// durations returns the count, median and 90th percentile of column v of the query.
func (s *Store) durations(ctx context.Context, sub string, args []any) (Durations, error) {
	n, ps, err := s.percentiles(ctx, sub, args, 0.5, 0.9)
	if err != nil {
		return Durations{}, err
	}
	return Durations{Count: n, MedianSeconds: ps[0], P90Seconds: ps[1]}, nil
}

// schoolReportKinds are the deadlines of the school's own reports, whose lateness is 迟报.
const schoolReportKinds = "('initial_report', 'written_report', 'follow_up', 'final_report')"

func (s *Store) serialStats(ctx context.Context, sc statsScope, out *SerialStats) error {
	// A 期号 is given at an incident's first signature or first forward, whichever came first: it
	// was issued in the period when one of them was in the period and none before.
	q := `SELECT COUNT(*) AS issued, COALESCE(MIN(i.serial), '') AS first_serial, COALESCE(MAX(i.serial), '') AS last_serial,
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.subject_type = 'incident' AND d.subject_id = i.id
			AND d.kind IN ` + schoolReportKinds + ` AND d.late) THEN 1 ELSE 0 END), 0) AS late_issues,
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.subject_type = 'incident' AND d.subject_id = i.id
			AND d.kind IN ` + schoolReportKinds + ` AND (d.missed OR (d.done_at IS NULL AND d.due_at <= ?))) THEN 1 ELSE 0 END), 0) AS missed_issues
		FROM incidents i
		WHERE i.serial IS NOT NULL
		AND (i.id IN (SELECT r.incident_id FROM incident_reports r WHERE r.signed_at >= ? AND r.signed_at < ?)
			OR i.id IN (SELECT f.incident_id FROM report_forwards f WHERE f.forwarded_at >= ? AND f.forwarded_at < ?))
		AND NOT EXISTS (SELECT 1 FROM incident_reports r0 WHERE r0.incident_id = i.id AND r0.signed_at < ?)
		AND NOT EXISTS (SELECT 1 FROM report_forwards f0 WHERE f0.incident_id = i.id AND f0.forwarded_at < ?)`
	args := []any{sc.now, sc.from, sc.to, sc.from, sc.to, sc.from, sc.from}
	if sc.districtID != 0 {
		q += " AND i.district_id = ?"
		args = append(args, sc.districtID)
	}
	if err := s.db.Conn(ctx).Raw(q, args...).Scan(out).Error; err != nil {
		return fmt.Errorf("serials: %w", err)
	}
	return nil
}

// alertWhere selects the alerts (alias a) of the scope: real (not drills), issued in the period,
// concerning the district.
func (sc statsScope) alertWhere() (string, []any) {
	where := "a.drill = ? AND a.issued_at >= ? AND a.issued_at < ?"
	args := []any{false, sc.from, sc.to}
	if sc.districtID != 0 {
		where += " AND (a.whole_city OR EXISTS (SELECT 1 FROM alert_districts ad WHERE ad.alert_id = a.id AND ad.district_id = ?))"
		args = append(args, sc.districtID)
	}
	return where, args
}

// levelRank is an SQL expression ranking the level column col: blue 1 … red 4.
func levelRank(col string) string {
	return "CASE " + col + " WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'orange' THEN 3 WHEN 'red' THEN 4 ELSE 0 END"
}

var levelsByRank = []alert.AlertLevel{"", alert.LevelBlue, alert.LevelYellow, alert.LevelOrange, alert.LevelRed}

func (s *Store) alertStats(ctx context.Context, sc statsScope, out *AlertStats) error {
	where, args := sc.alertWhere()
	var groups []struct {
		Type alert.AlertType
		Lvl  int
		N    int64
	}
	// The highest level an alert reached is the highest of its timeline (issued, updated).
	err := s.db.Conn(ctx).Raw(`SELECT t AS type, r AS lvl, COUNT(*) AS n FROM (
			SELECT a.type AS t, COALESCE((SELECT MAX(`+levelRank("e.level")+`) FROM alert_events e WHERE e.alert_id = a.id), `+levelRank("a.level")+`) AS r
			FROM alerts a WHERE `+where+`) x GROUP BY t, r`, args...).Scan(&groups).Error
	if err != nil {
		return fmt.Errorf("alerts by type and level: %w", err)
	}
	byType, byLevel := map[alert.AlertType]int64{}, map[alert.AlertLevel]int64{}
	for _, g := range groups {
		level := alert.AlertLevel("")
		if g.Lvl > 0 && g.Lvl < len(levelsByRank) {
			level = levelsByRank[g.Lvl]
		}
		out.Total += g.N
		byType[g.Type] += g.N
		byLevel[level] += g.N
		out.ByTypeLevel = append(out.ByTypeLevel, AlertCountRow{Type: g.Type, TypeName: g.Type.Name(), Level: level, LevelName: level.Name(), Count: g.N})
	}
	sort.Slice(out.ByTypeLevel, func(i, j int) bool {
		a, b := out.ByTypeLevel[i], out.ByTypeLevel[j]
		if alertTypeOrder(a.Type) != alertTypeOrder(b.Type) {
			return alertTypeOrder(a.Type) < alertTypeOrder(b.Type)
		}
		return a.Level.Rank() < b.Level.Rank()
	})
	if out.ByTypeLevel == nil {
		out.ByTypeLevel = []AlertCountRow{}
	}
	for _, t := range alertTypes {
		out.ByType = append(out.ByType, CountRow{Key: string(t), Name: t.Name(), Count: byType[t]})
	}
	for _, l := range levelsByRank[1:] {
		out.ByLevel = append(out.ByLevel, CountRow{Key: string(l), Name: l.Name(), Count: byLevel[l]})
	}

	schoolWhere, schoolArgs := where, args
	if sc.districtID != 0 {
		schoolWhere += " AND s.district_id = ?"
		schoolArgs = append(append([]any{}, args...), sc.districtID)
	}
	var ack struct{ Notified, Acknowledged int64 }
	err = s.db.Conn(ctx).Raw(`SELECT COUNT(*) AS notified, COALESCE(SUM(CASE WHEN s.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS acknowledged
		FROM alerts a JOIN alert_schools s ON s.alert_id = a.id WHERE `+schoolWhere, schoolArgs...).Scan(&ack).Error
	if err != nil {
		return fmt.Errorf("alert acknowledgements: %w", err)
	}
	out.SchoolsNotified, out.SchoolsAcknowledged = ack.Notified, ack.Acknowledged
	out.AckRate = ratio(ack.Acknowledged, ack.Notified)
	ackTimes := `SELECT ` + s.secondsBetween("s.acknowledged_at", "s.notified_at") + ` AS v
		FROM alerts a JOIN alert_schools s ON s.alert_id = a.id WHERE ` + schoolWhere + ` AND s.acknowledged_at IS NOT NULL`
	if out.AckTime, err = s.durations(ctx, ackTimes, schoolArgs); err != nil {
		return err
	}

	// One report is expected per round from every school notified by the round's opening.
	safety := `SELECT COUNT(DISTINCT sr.id) AS rounds, COUNT(*) AS expected,
		COALESCE(SUM(CASE WHEN rep.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS filed,
		COALESCE(SUM(CASE WHEN rep.id IS NOT NULL AND rep.late THEN 1 ELSE 0 END), 0) AS late,
		COALESCE(SUM(CASE WHEN rep.id IS NULL AND sr.due_at <= ? THEN 1 ELSE 0 END), 0) AS missing,
		COALESCE(SUM(CASE WHEN rep.id IS NULL AND sr.due_at > ? THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN rep.state = 'damage' THEN 1 ELSE 0 END), 0) AS damage,
		COALESCE(SUM(rep.injured), 0) AS injured, COALESCE(SUM(rep.property_loss), 0) AS property_loss
		FROM alerts a JOIN safety_rounds sr ON sr.alert_id = a.id
		JOIN alert_schools s ON s.alert_id = a.id AND s.notified_at <= sr.opened_at
		LEFT JOIN safety_reports rep ON rep.round_id = sr.id AND rep.school_id = s.school_id
		WHERE ` + schoolWhere
	if err := s.db.Conn(ctx).Raw(safety, append([]any{sc.now, sc.now}, schoolArgs...)...).Scan(&out.Safety).Error; err != nil {
		return fmt.Errorf("safety reports: %w", err)
	}
	out.Safety.OnTime = out.Safety.Filed - out.Safety.Late
	out.Safety.CompletionRate = ratio(out.Safety.Filed, out.Safety.Expected-out.Safety.Pending)
	return nil
}

// alertTypes lists the warning types in display order.
var alertTypes = []alert.AlertType{alert.AlertTyphoon, alert.AlertRainstorm, alert.AlertHeat, alert.AlertThunderGale, alert.AlertFlood, alert.AlertGeological}

func alertTypeOrder(t alert.AlertType) int {
	for i, x := range alertTypes {
		if x == t {
			return i
		}
	}
	return len(alertTypes)
}

// ratio returns part/whole, or nil when whole is 0.
func ratio(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	r := float64(part) / float64(whole)
	return &r
}

func (s *Store) escalationStats(ctx context.Context, sc statsScope, out *EscalationStats) error {
	q := `SELECT d.kind AS kind, e.step AS step, COUNT(*) AS count FROM escalations e JOIN deadlines d ON d.id = e.deadline_id
		WHERE e.fired_at >= ? AND e.fired_at < ?`
	args := []any{sc.from, sc.to}
	if sc.districtID != 0 {
		q += " AND d.district_id = ?"
		args = append(args, sc.districtID)
	}
	if err := s.db.Conn(ctx).Raw(q+" GROUP BY d.kind, e.step ORDER BY d.kind, e.step", args...).Scan(&out.ByKindStep).Error; err != nil {
		return fmt.Errorf("escalations: %w", err)
	}
	if out.ByKindStep == nil {
		out.ByKindStep = []EscalationCount{}
	}
	bySteps := map[int]int64{}
	maxStep := -1
	for i := range out.ByKindStep {
		e := &out.ByKindStep[i]
		e.Name = e.Kind.Name()
		out.Total += e.Count
		bySteps[e.Step] += e.Count
		maxStep = max(maxStep, e.Step)
	}
	out.ByStep = []CountRow{}
	for step := 0; step <= maxStep; step++ {
		out.ByStep = append(out.ByStep, CountRow{Key: strconv.Itoa(step), Name: fmt.Sprintf("第%d级", step+1), Count: bySteps[step]})
	}
	return nil
}

// tenths rounds hours to a tenth, as people write them (52.3, not 52.333333333333336).
func tenths(hours float64) float64 { return math.Round(hours*10) / 10 }

func (s *Store) dutyStats(ctx context.Context, sc statsScope, out *DutyStats) error {
	var shifts struct {
		Shifts, HolidayShifts, EnhancedShifts int64
		Hours                                 float64
	}
	err := s.db.Conn(ctx).Raw(`SELECT COUNT(*) AS shifts,
		COALESCE(SUM(CASE WHEN sh.holiday <> '' THEN 1 ELSE 0 END), 0) AS holiday_shifts,
		COALESCE(SUM(CASE WHEN sh.enhanced THEN 1 ELSE 0 END), 0) AS enhanced_shifts,
		COALESCE(SUM(`+s.secondsBetween("sh.ends_at", "sh.starts_at")+`), 0) / 3600.0 AS hours
		FROM shifts sh WHERE sh.starts_at >= ? AND sh.starts_at < ?`, sc.from, sc.to).Scan(&shifts).Error
	if err != nil {
		return fmt.Errorf("shifts: %w", err)
	}
	out.Shifts, out.HolidayShifts, out.EnhancedShifts, out.Hours = shifts.Shifts, shifts.HolidayShifts, shifts.EnhancedShifts, tenths(shifts.Hours)
	err = s.db.Conn(ctx).Raw(`SELECT a.user_id AS user_id, u.display_name AS name, a.role AS role, COUNT(*) AS shifts,
		COALESCE(SUM(CASE WHEN sh.holiday <> '' THEN 1 ELSE 0 END), 0) AS holiday_shifts,
		COALESCE(SUM(`+s.secondsBetween("a.ends_at", "a.starts_at")+`), 0) / 3600.0 AS hours
		FROM assignments a JOIN shifts sh ON sh.id = a.shift_id JOIN users u ON u.id = a.user_id
		WHERE sh.starts_at >= ? AND sh.starts_at < ?
		GROUP BY a.user_id, u.display_name, a.role ORDER BY a.role, a.user_id`, sc.from, sc.to).Scan(&out.People).Error
	if err != nil {
		return fmt.Errorf("duty per person: %w", err)
	}
	if out.People == nil {
		out.People = []DutyPersonStats{}
	}
	for i := range out.People {
		out.People[i].RoleName = out.People[i].Role.Name()
		out.People[i].Hours = tenths(out.People[i].Hours)
	}
	var handovers []DeadlineCounts
	err = s.db.Conn(ctx).Raw(`SELECT `+deadlineTally+` FROM (SELECT `+deadlineStateColumns+`
		FROM deadlines d WHERE d.kind = ? AND d.due_at >= ? AND d.due_at < ?) x`, sc.now, models.DeadlineHandover, sc.from, sc.to).Scan(&handovers).Error
	if err != nil {
		return fmt.Errorf("handovers: %w", err)
	}
	if len(handovers) > 0 {
		out.Handovers = handovers[0]
	}
	out.Handovers.Kind, out.Handovers.Name = string(models.DeadlineHandover), "交接班签收"
	return nil
}
