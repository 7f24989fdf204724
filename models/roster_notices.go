package models

import (
	"context"
	"fmt"
	"time"
)

// RosterOnDuty is the OnDutyFunc the Store uses: the leader and officers the roster has on duty
// at that moment. Where the roster has nobody (none generated yet, or a gap), it falls back to
// EveryoneOnDuty, so that an escalation never reaches no one.
func RosterOnDuty(ctx context.Context, s *Store, at time.Time) (leaders, officers []User, err error) {
	od, err := s.OnDuty(ctx, at)
	if err != nil {
		return nil, nil, err
	}
	if od.Leader == nil && len(od.Officers) == 0 {
		return EveryoneOnDuty(ctx, s, at)
	}
	if od.Leader != nil {
		leaders = append(leaders, *od.Leader)
	}
	for _, u := range od.Officers {
		officers = append(officers, *u)
	}
	if len(leaders) == 0 {
		// A shift without a leader is a gap the checks report; the leaders as a whole stand in.
		leaders, _, err = EveryoneOnDuty(ctx, s, at)
	}
	return leaders, officers, err
}

// RosterShifts is the ShiftsFunc the Store uses: every assignment starting in [from, to), for the
// reminders sent the day before a shift. Errors: ErrNoRoster when nobody is rostered then.
func RosterShifts(ctx context.Context, s *Store, from, to time.Time) ([]DutyAssignment, error) {
	var as []Assignment
	err := s.conn(ctx).Joins("User").Where("assignments.starts_at >= ? AND assignments.starts_at < ?", from.UTC(), to.UTC()).
		Order("assignments.starts_at, assignments.id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("assignments from %s: %w", from.Format(time.RFC3339), err)
	}
	if len(as) == 0 {
		return nil, ErrNoRoster // nobody is rostered that day: the job says so rather than sending nothing silently
	}
	shiftIDs := make([]int64, len(as))
	for i, a := range as {
		shiftIDs[i] = a.ShiftID
	}
	var shifts []Shift
	if err := s.conn(ctx).Select("id", "name").Where("id IN ?", shiftIDs).Find(&shifts).Error; err != nil {
		return nil, fmt.Errorf("shift names: %w", err)
	}
	shiftName := map[int64]string{}
	for _, sh := range shifts {
		shiftName[sh.ID] = sh.Name
	}
	out := make([]DutyAssignment, 0, len(as))
	for _, a := range as {
		if a.User == nil {
			continue
		}
		role := "值班员"
		if a.Role == DutyLeader {
			role = "带班领导"
		} else if a.Role == DutyExtra {
			role = "加强值班员"
		}
		out = append(out, DutyAssignment{User: *a.User, RoleName: role, Shift: shiftName[a.ShiftID], Start: a.StartsAt, End: a.EndsAt})
	}
	return out, nil
}
