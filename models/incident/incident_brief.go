package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutydesk/models/store"
)

// BriefLines is the daily brief's paragraph on incidents (escalation.Brief): those that occurred
// in [from, to), one line each, and the incidents still open. It reads in tx.
func (s *Store) BriefLines(ctx context.Context, tx *store.Store, from, to time.Time) ([]string, error) {
	s = s.WithTx(tx)
	var lines []string
	var yesterday []struct {
		Incident
		School string
	}
	err := s.db.Conn(ctx).Table("incidents").Select("incidents.*, schools.name AS school").
		Joins("JOIN schools ON schools.id = incidents.school_id").
		Where("incidents.status <> ? AND incidents.occurred_at >= ? AND incidents.occurred_at < ?", IncidentDraft, from.UTC(), to.UTC()).
		Order("incidents.occurred_at, incidents.id").Scan(&yesterday).Error
	if err != nil {
		return nil, fmt.Errorf("brief incidents: %w", err)
	}
	if len(yesterday) == 0 {
		lines = append(lines, "昨日无新发突发事件。")
	} else {
		items := make([]string, len(yesterday))
		for i, inc := range yesterday {
			items[i] = fmt.Sprintf("%s %s（%s，%s）", inc.OccurredAt.In(s.db.Location()).Format("15:04"), inc.Title, inc.School, inc.Severity.Name())
		}
		lines = append(lines, fmt.Sprintf("昨日新发突发事件%d起：%s。", len(yesterday), strings.Join(items, "；")))
	}
	var open int64
	if err := s.db.Conn(ctx).Model(&Incident{}).Where("status IN ?", []IncidentStatus{IncidentOpen, IncidentResolved}).Count(&open).Error; err != nil {
		return nil, fmt.Errorf("brief open incidents: %w", err)
	}
	if open > 0 {
		lines = append(lines, fmt.Sprintf("尚未终报或签收终报的事件%d起。", open))
	}
	return lines, nil
}
