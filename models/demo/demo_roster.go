package demo

import (
	"context"
	"fmt"
	"time"

	"dutydesk/models"
	"dutydesk/models/roster"
)

// demoRosterDays is how many days of duty the demo roster covers, from yesterday on.
const demoRosterDays = 28

// SeedDemoRoster gives the demo desk a roster so that the console shows who is on duty: every
// leader and duty officer account in the leader and officer rotations (by username), and shifts
// generated through GenerateRoster from yesterday for four weeks. It does nothing when shifts
// already exist or when the desk lacks a leader or two officers.
func (s *Store) SeedDemoRoster(ctx context.Context) (*roster.GenerateResult, error) {
	var shifts int64
	if err := s.db.Conn(ctx).Model(&roster.Shift{}).Count(&shifts).Error; err != nil {
		return nil, fmt.Errorf("demo roster: %w", err)
	}
	if shifts > 0 {
		return nil, nil
	}
	rotations := []struct {
		rotation roster.RotationRole
		role     models.Role
		needed   int
	}{{roster.RotationLeaders, models.RoleLeader, roster.RequiredLeaders}, {roster.RotationOfficers, models.RoleDutyOfficer, roster.RequiredOfficers}}
	members := make([][]int64, len(rotations))
	for i, r := range rotations {
		if err := s.db.Conn(ctx).Model(&models.User{}).Where("role = ? AND disabled = ?", r.role, false).Order("username").Pluck("id", &members[i]).Error; err != nil {
			return nil, fmt.Errorf("demo roster: %w", err)
		}
		if len(members[i]) < r.needed {
			return nil, nil
		}
	}
	for i, r := range rotations {
		if _, err := s.roster.SetRotation(ctx, models.System, r.rotation, members[i]); err != nil {
			return nil, fmt.Errorf("demo roster: %w", err)
		}
	}
	today := s.db.Now().In(s.db.Location())
	first := today.AddDate(0, 0, -1)
	return s.roster.GenerateRoster(ctx, models.System, roster.GenerateInput{From: first.Format(time.DateOnly), To: first.AddDate(0, 0, demoRosterDays-1).Format(time.DateOnly)})
}
