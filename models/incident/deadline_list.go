package incident

import (
	"context"
	"fmt"

	"dutydesk/models"
	"dutydesk/models/store"
)

// OpenDeadlineItem is an open deadline as the console lists it, with the incident it concerns
// (0 when it concerns no incident, e.g. a handover or an alert).
type OpenDeadlineItem struct {
	models.Deadline
	IncidentID int64 `json:"incident_id"`
}

// OpenDeadlineFilter narrows the open deadlines. Zero fields do not filter.
type OpenDeadlineFilter struct {
	Kinds []models.DeadlineKind
	// IncidentsOnly keeps the deadlines of incidents, their reports and their instructions.
	IncidentsOnly bool
	// Limit bounds the list (DefaultPageSize when 0, at most MaxPageSize).
	Limit int
}

// incidentOfDeadline is the SQL expression giving the incident a deadline belongs to.
const incidentOfDeadline = `CASE deadlines.subject_type
	WHEN 'incident' THEN deadlines.subject_id
	WHEN 'report' THEN (SELECT r.incident_id FROM incident_reports r WHERE r.id = deadlines.subject_id)
	WHEN 'instruction' THEN (SELECT i.incident_id FROM incident_instructions i WHERE i.id = deadlines.subject_id)
	ELSE 0 END`

// OpenDeadlines lists the awaited actions not yet done that actor may see, soonest due first:
// for the desk, every one; for a district or a school, its own. It reads the partial index of
// open rows.
func (s *Store) OpenDeadlines(ctx context.Context, actor *models.User, f OpenDeadlineFilter) ([]OpenDeadlineItem, error) {
	q := s.db.Conn(ctx).Table("deadlines").Select("deadlines.*, " + incidentOfDeadline + " AS incident_id").
		Where("deadlines.done_at IS NULL")
	q = store.ScopeSchools(actor, q, "deadlines.school_id", "deadlines.district_id")
	if len(f.Kinds) > 0 {
		q = q.Where("deadlines.kind IN ?", f.Kinds)
	}
	if f.IncidentsOnly {
		q = q.Where("deadlines.subject_type IN ?", []models.SubjectType{models.SubjectIncident, models.SubjectReport, models.SubjectInstruction})
	}
	limit := models.Page{Limit: f.Limit}.Normalize().Limit
	var items []OpenDeadlineItem
	if err := q.Order("deadlines.due_at, deadlines.id").Limit(limit).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("open deadlines: %w", err)
	}
	return items, nil
}
