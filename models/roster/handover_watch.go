package roster

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
)

// WatchHandovers opens, for every staffed shift that ended within the last day without a handover,
// a handover deadline on the shift itself, due at the shift change plus HandoverGrace. A handover
// nobody submitted thus escalates to the leader on duty like one nobody signed; submitting it
// closes that deadline. It returns how many deadlines it opened; running it again opens none.
func (s *Store) WatchHandovers(ctx context.Context, now time.Time) (int, error) {
	var shifts []Shift
	err := s.db.Conn(ctx).Model(&Shift{}).
		Where("ends_at <= ? AND ends_at > ?", now.UTC(), now.Add(-24*time.Hour).UTC()).
		Where("EXISTS (SELECT 1 FROM assignments a WHERE a.shift_id = shifts.id AND a.role IN ?)", []DutyRole{DutyOfficer, DutyExtra}).
		Where("NOT EXISTS (SELECT 1 FROM handovers h WHERE h.shift_id = shifts.id)").
		Where("NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.kind = ? AND d.subject_type = 'shift' AND d.subject_id = shifts.id)", models.DeadlineHandover).
		Order("ends_at, id").Find(&shifts).Error
	if err != nil {
		return 0, fmt.Errorf("shifts without handover: %w", err)
	}
	grace := s.rosterOpts().HandoverGrace
	for _, sh := range shifts {
		label := fmt.Sprintf("交接班未提交：%s %s", sh.StartsAt.In(s.db.Location()).Format("01月02日"), sh.Name)
		if err := s.db.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineHandover, SubjectType: models.SubjectShift, SubjectID: sh.ID,
			Label: label, DueAt: sh.EndsAt.Add(grace).UTC()}); err != nil {
			return 0, err
		}
	}
	return len(shifts), nil
}
