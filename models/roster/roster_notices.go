package roster

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
)

// What the escalation engine reads of the roster (escalation.Duty). Both read in tx, the caller's
// transaction or plain Store, and check no permissions: the callers are the system itself.

// OnDutyAt returns the leader and officers the roster has on duty at a moment. Where the roster
// has nobody (none generated yet, or a gap), everyone who could be on duty stands in
// (directory.EveryoneOnDuty), so that an escalation never reaches no one.
func (s *Store) OnDutyAt(ctx context.Context, tx *store.Store, at time.Time) (leaders, officers []models.User, err error) {
	s = s.WithTx(tx)
	od, err := s.OnDuty(ctx, at)
	if err != nil {
		return nil, nil, err
	}
	if od.Leader == nil && len(od.Officers) == 0 {
		return s.dir.EveryoneOnDuty(ctx, tx)
	}
	if od.Leader != nil {
		leaders = append(leaders, *od.Leader)
	}
	for _, u := range od.Officers {
		officers = append(officers, *u)
	}
	if len(leaders) == 0 {
		// A shift without a leader is a gap the checks report; the leaders as a whole stand in.
		leaders, _, err = s.dir.EveryoneOnDuty(ctx, tx)
	}
	return leaders, officers, err
}

// AssignmentsStarting lists every assignment starting in [from, to), for the reminders sent the
// day before a shift. Errors: models.ErrNoRoster when nobody is rostered then.
func (s *Store) AssignmentsStarting(ctx context.Context, tx *store.Store, from, to time.Time) ([]models.DutyAssignment, error) {
	var as []Assignment
	err := tx.Conn(ctx).Joins("User").Where("assignments.starts_at >= ? AND assignments.starts_at < ?", from.UTC(), to.UTC()).
		Order("assignments.starts_at, assignments.id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("assignments from %s: %w", from.Format(time.RFC3339), err)
	}
	if len(as) == 0 {
		return nil, models.ErrNoRoster // nobody is rostered that day: the job says so rather than sending nothing silently
	}
	shiftIDs := make([]int64, len(as))
	for i, a := range as {
		shiftIDs[i] = a.ShiftID
	}
	var shifts []Shift
	if err := tx.Conn(ctx).Select("id", "name").Where("id IN ?", shiftIDs).Find(&shifts).Error; err != nil {
		return nil, fmt.Errorf("shift names: %w", err)
	}
	shiftName := map[int64]string{}
	for _, sh := range shifts {
		shiftName[sh.ID] = sh.Name
	}
	out := make([]models.DutyAssignment, 0, len(as))
	for _, a := range as {
		if a.User == nil {
			continue
		}
		out = append(out, models.DutyAssignment{User: *a.User, RoleName: a.Role.Name(), Shift: shiftName[a.ShiftID], Start: a.StartsAt, End: a.EndsAt})
	}
	return out, nil
}
