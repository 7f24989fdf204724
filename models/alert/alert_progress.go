package alert

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
)

// AlertProgress is how far the schools of a warning have confirmed it, as the console shows it:
// the counts and each school's state, without AlertStatus's per-contact delivery details (which
// cost a look-up per contact and make a page of a thousand schools slow and heavy).
type AlertProgress struct {
	Schools      int `json:"schools"`
	Acknowledged int `json:"acknowledged"`
	// PerSchool lists the silent schools first, then the others, each by district.
	PerSchool []SchoolAck `json:"per_school"`
}

// SchoolAck is one school's acknowledgement of a warning.
type SchoolAck struct {
	SchoolID       int64      `json:"school_id"`
	School         string     `json:"school"`
	DistrictID     int64      `json:"district_id"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AckByName      string     `json:"ack_by_name"`
}

// AlertProgress returns the acknowledgement counts and per-school states of an alert, within the
// schools actor may see, in one query. Errors: not_found.
func (s *Store) AlertProgress(ctx context.Context, actor *models.User, alertID int64) (*AlertProgress, error) {
	if _, err := s.Alert(ctx, actor, alertID); err != nil {
		return nil, err
	}
	q := s.db.Conn(ctx).Table("alert_schools").
		Select("alert_schools.school_id, schools.name AS school, alert_schools.district_id, alert_schools.acknowledged_at, alert_schools.ack_by_name").
		Joins("JOIN schools ON schools.id = alert_schools.school_id").
		Where("alert_schools.alert_id = ?", alertID).
		Order("CASE WHEN alert_schools.acknowledged_at IS NULL THEN 0 ELSE 1 END, alert_schools.district_id, alert_schools.school_id")
	p := &AlertProgress{PerSchool: []SchoolAck{}}
	if err := store.ScopeSchools(actor, q, "alert_schools.school_id", "alert_schools.district_id").Scan(&p.PerSchool).Error; err != nil {
		return nil, fmt.Errorf("alert %d progress: %w", alertID, err)
	}
	p.Schools = len(p.PerSchool)
	for _, sc := range p.PerSchool {
		if sc.AcknowledgedAt != nil {
			p.Acknowledged++
		}
	}
	return p, nil
}
