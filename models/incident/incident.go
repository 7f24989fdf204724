package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"dutydesk/models"
	"dutydesk/models/store"
)

// IncidentStatus is where an incident stands.
type IncidentStatus string

// The incident statuses.
const (
	IncidentDraft    IncidentStatus = "draft"    // the initial report is saved but not submitted
	IncidentOpen     IncidentStatus = "open"     // reported; follow-ups come due until resolution
	IncidentResolved IncidentStatus = "resolved" // handled (处置完毕); the final report is due
	IncidentClosed   IncidentStatus = "closed"   // the final report is signed
)

// Incident is one emergency event (突发事件), reported once (一事一报) through a sequence of reports.
type Incident struct {
	ID         int64          `json:"id"`
	SchoolID   int64          `json:"school_id"`
	DistrictID int64          `json:"district_id"`
	Title      string         `json:"title"`
	Category   Category       `json:"category"`
	Subtype    string         `json:"subtype"`
	Sensitive  bool           `json:"sensitive"`
	Severity   Severity       `json:"severity"`
	OccurredAt time.Time      `json:"occurred_at"`
	Place      string         `json:"place"`
	Status     IncidentStatus `json:"status"`
	// Serial is the yearly number (期号, e.g. "2026-033") given at the first signature.
	Serial *string `json:"serial"`
	// LastReportAt is when the latest report was submitted; the next follow-up counts from it.
	LastReportAt *time.Time `json:"last_report_at"`
	ResolvedAt   *time.Time `json:"resolved_at"`
	ClosedAt     *time.Time `json:"closed_at"`
	// LateReports counts reports filed after their deadline (迟报); MissedReports counts required
	// reports never filed (漏报). Both are kept forever.
	LateReports   int       `json:"late_reports"`
	MissedReports int       `json:"missed_reports"`
	CreatedBy     int64     `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// class returns what the report rules look at.
func (inc *Incident) class() IncidentClass {
	return IncidentClass{Category: inc.Category, Subtype: inc.Subtype, Severity: inc.Severity, Sensitive: inc.Sensitive}
}

// errIncidentNotFound hides incidents outside the actor's scope as well as absent ones.
var errIncidentNotFound = models.Errorf(models.ENOTFOUND, "事件不存在")

// visibleIncident loads an incident that actor may see. A draft is the school's unsent work: only
// those who may file for the school see it. Errors: not_found.
func (s *Store) visibleIncident(ctx context.Context, actor *models.User, id int64) (*Incident, error) {
	var inc Incident
	if err := s.db.Conn(ctx).Take(&inc, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errIncidentNotFound
		}
		return nil, fmt.Errorf("incident %d: %w", id, err)
	}
	if !actor.CanSeeSchool(inc.SchoolID, inc.DistrictID) || (inc.Status == IncidentDraft && !canFile(actor, inc.SchoolID, inc.DistrictID)) {
		return nil, errIncidentNotFound
	}
	return &inc, nil
}

// lockIncident loads an incident that actor may see inside a transaction, first taking its row
// lock (a no-op update) so that concurrent changes to one incident queue up on PostgreSQL.
// Errors: not_found.
func (s *Store) lockIncident(ctx context.Context, actor *models.User, id int64) (*Incident, error) {
	if err := s.db.Conn(ctx).Model(&Incident{}).Where("id = ?", id).Update("updated_at", s.db.Now()).Error; err != nil {
		return nil, fmt.Errorf("lock incident %d: %w", id, err)
	}
	return s.visibleIncident(ctx, actor, id)
}

// saveIncident writes the incident's changeable columns.
func (s *Store) saveIncident(ctx context.Context, inc *Incident) error {
	inc.UpdatedAt = s.db.Now()
	err := s.db.Conn(ctx).Model(inc).Select("title", "category", "subtype", "sensitive", "severity", "occurred_at", "place",
		"status", "serial", "last_report_at", "resolved_at", "closed_at", "late_reports", "missed_reports", "updated_at").
		Updates(inc).Error
	if err != nil {
		return fmt.Errorf("save incident %d: %w", inc.ID, err)
	}
	return nil
}

// IncidentFilter narrows a list of incidents. Zero fields do not filter.
type IncidentFilter struct {
	Status     IncidentStatus
	SchoolID   int64
	DistrictID int64
	Category   Category
	Severity   Severity
	// From and To bound the time of occurrence: From ≤ occurred_at < To.
	From, To time.Time
	// Overdue keeps only incidents with an awaited action past its deadline.
	Overdue bool
	// Query keeps incidents whose title, school name or serial (期号) contains it, ignoring case;
	// at most MaxIncidentQueryLength characters.
	Query string
	Page  models.Page
}

// MaxIncidentQueryLength bounds IncidentFilter.Query, in characters: longer than any title, school
// name or serial, so a longer search could match nothing and only costs the database work.
const MaxIncidentQueryLength = 100

// Incidents lists the incidents actor may see (drafts only to those who file), oldest first, with
// the total matching the filter.
func (s *Store) Incidents(ctx context.Context, actor *models.User, f IncidentFilter) (items []Incident, next, total int64, err error) {
	q := store.ScopeSchools(actor, s.db.Conn(ctx).Model(&Incident{}), "incidents.school_id", "incidents.district_id")
	if !actor.Can(models.FileIncidents) {
		q = q.Where("incidents.status <> ?", IncidentDraft)
	}
	if f.Status != "" {
		q = q.Where("incidents.status = ?", f.Status)
	}
	if f.SchoolID != 0 {
		q = q.Where("incidents.school_id = ?", f.SchoolID)
	}
	if f.DistrictID != 0 {
		q = q.Where("incidents.district_id = ?", f.DistrictID)
	}
	if f.Category != "" {
		q = q.Where("incidents.category = ?", f.Category)
	}
	if f.Severity != 0 {
		q = q.Where("incidents.severity = ?", f.Severity)
	}
	if !f.From.IsZero() {
		q = q.Where("incidents.occurred_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("incidents.occurred_at < ?", f.To.UTC())
	}
	if f.Overdue {
		// The deadlines of an incident hang on the incident, its reports and its instructions.
		q = q.Where(`EXISTS (SELECT 1 FROM deadlines d WHERE d.done_at IS NULL AND d.due_at < ? AND (
			(d.subject_type = 'incident' AND d.subject_id = incidents.id) OR
			(d.subject_type = 'report' AND d.subject_id IN (SELECT r.id FROM incident_reports r WHERE r.incident_id = incidents.id)) OR
			(d.subject_type = 'instruction' AND d.subject_id IN (SELECT i.id FROM incident_instructions i WHERE i.incident_id = incidents.id))))`,
			s.db.Now())
	}
	if f.Query != "" {
		if utf8.RuneCountInString(f.Query) > MaxIncidentQueryLength {
			return nil, 0, 0, &models.Error{Code: models.EINVALID, Message: "查询参数有误", Fields: map[string]string{"q": fmt.Sprintf("不超过%d字", MaxIncidentQueryLength)}}
		}
		// LOWER on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's only for non-ASCII.
		like := store.ContainsPattern(strings.ToLower(f.Query))
		q = q.Where(`(LOWER(incidents.title) LIKE ? ESCAPE '\' OR LOWER(incidents.serial) LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM schools sc WHERE sc.id = incidents.school_id AND LOWER(sc.name) LIKE ? ESCAPE '\'))`,
			like, like, like)
	}
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("count incidents: %w", err)
	}
	page := f.Page.Normalize()
	if err := store.PageQuery(page, q, "incidents").Find(&items).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("list incidents: %w", err)
	}
	items, next = models.PageResult(items, page, func(inc Incident) int64 { return inc.ID })
	if err := s.countUnfiledAsMissed(ctx, items); err != nil {
		return nil, 0, 0, err
	}
	return items, next, total, nil
}

// countUnfiledAsMissed adds to each incident's 漏报 the reports it still owes past their due time,
// as its detail and the statistics count them (setDeadlines).
func (s *Store) countUnfiledAsMissed(ctx context.Context, items []Incident) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	for i, inc := range items {
		ids[i] = inc.ID
	}
	var owed []struct {
		SubjectID int64
		N         int
	}
	err := s.db.Conn(ctx).Model(&models.Deadline{}).Select("subject_id, COUNT(*) AS n").
		Where("subject_type = ? AND subject_id IN ? AND kind IN ? AND done_at IS NULL AND due_at < ?", models.SubjectIncident, ids,
			schoolReportKinds, s.db.Now()).Group("subject_id").Scan(&owed).Error
	if err != nil {
		return fmt.Errorf("reports owed past due: %w", err)
	}
	byIncident := make(map[int64]int, len(owed))
	for _, o := range owed {
		byIncident[o.SubjectID] = o.N
	}
	for i := range items {
		items[i].MissedReports += byIncident[items[i].ID]
	}
	return nil
}
