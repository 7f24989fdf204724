package roster

import (
	"context"
	"fmt"
	"strings"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// Describe tells what the shift change behind a handover deadline is (escalation.Describer): the
// shift, who hands over and who takes over, and the duty log page where it is signed. It reads in
// tx; nil for a deadline that is not a handover's.
func (s *Store) Describe(ctx context.Context, tx *store.Store, d models.Deadline) (*notify.SubjectFacts, error) {
	shiftID := d.SubjectID
	switch d.SubjectType {
	case models.SubjectShift:
	case models.SubjectHandover:
		if err := tx.Conn(ctx).Model(&Handover{}).Where("id = ?", d.SubjectID).Pluck("shift_id", &shiftID).Error; err != nil {
			return nil, fmt.Errorf("shift of handover %d: %w", d.SubjectID, err)
		}
	default:
		return nil, nil
	}
	var sh Shift
	if err := tx.Conn(ctx).Take(&sh, shiftID).Error; err != nil {
		return nil, fmt.Errorf("describe shift %d: %w", shiftID, err)
	}
	loc := tx.Location()
	outgoing, err := onShift(ctx, tx, "assignments.shift_id = ?", sh.ID)
	if err != nil {
		return nil, err
	}
	incoming, err := onShift(ctx, tx, "assignments.starts_at = ?", sh.EndsAt.UTC())
	if err != nil {
		return nil, err
	}
	facts := &notify.SubjectFacts{Title: sh.Name, Path: "/console/dutylog"}
	facts.Facts = append(facts.Facts,
		fmt.Sprintf("班次：%s %s–%s", sh.Name, sh.StartsAt.In(loc).Format("1月2日 15:04"), sh.EndsAt.In(loc).Format("15:04")),
		"交班："+holders(outgoing), "接班："+holders(incoming))
	return facts, nil
}

// onShift lists who holds the assignments matching cond, by role.
func onShift(ctx context.Context, tx *store.Store, cond string, arg any) ([]Assignment, error) {
	var as []Assignment
	err := tx.Conn(ctx).Joins("User").Where(cond, arg).Order("assignments.role, assignments.id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	return as, nil
}

// holders writes who holds the assignments: "带班领导 王局长、值班员 张三、值班员 李四"; "无" for none.
func holders(as []Assignment) string {
	if len(as) == 0 {
		return "无"
	}
	parts := make([]string, 0, len(as))
	for _, a := range as {
		if a.User != nil {
			parts = append(parts, a.Role.Name()+" "+a.User.DisplayName)
		}
	}
	return strings.Join(parts, "、")
}
