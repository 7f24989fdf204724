package alert

import (
	"context"
	"fmt"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// Describe tells what the warning behind d is (escalation.Describer): its title, region and
// issue time, and its page. It reads in tx; nil for a deadline that is not a warning's.
func (Deadlines) Describe(ctx context.Context, tx *store.Store, d models.Deadline) (*notify.SubjectFacts, error) {
	id, round := d.SubjectID, ""
	switch d.SubjectType {
	case models.SubjectAlert:
	case models.SubjectSafetyRound:
		var r SafetyRound
		if err := tx.Conn(ctx).Take(&r, d.SubjectID).Error; err != nil {
			return nil, fmt.Errorf("safety round %d: %w", d.SubjectID, err)
		}
		id, round = r.AlertID, r.Label
	default:
		return nil, nil
	}
	var a Alert
	if err := tx.Conn(ctx).Take(&a, id).Error; err != nil {
		return nil, fmt.Errorf("describe alert %d: %w", id, err)
	}
	if err := tx.Conn(ctx).Model(&AlertDistrict{}).Where("alert_id = ?", a.ID).Pluck("district_id", &a.DistrictIDs).Error; err != nil {
		return nil, fmt.Errorf("alert %d districts: %w", a.ID, err)
	}
	facts := &notify.SubjectFacts{Title: a.Title(), Path: "/console/alerts/" + models.FormatID(a.ID)}
	facts.Facts = append(facts.Facts, "预警："+a.Title(), "范围："+a.regionSummary(),
		"发布："+a.IssuedAt.In(tx.Location()).Format("1月2日 15:04"))
	if round != "" {
		facts.Facts = append(facts.Facts, "平安报轮次："+round)
	}
	return facts, nil
}
