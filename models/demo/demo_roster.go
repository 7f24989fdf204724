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

// demoHandoverSummary is what the demo's outgoing officers write in the handovers of the shifts
// that ended before the demo began.
const demoHandoverSummary = "（演示数据）本班值守平稳，未接报突发事件，值班电话、传真畅通。"

// SeedDemoRoster gives the demo desk a roster so that the console shows who is on duty: every
// leader and duty officer account in the leader and officer rotations (by username), and shifts
// generated through GenerateRoster from yesterday for four weeks — from yesterday, so that
// someone is on duty whatever the hour the demo starts (a night shift began yesterday). The
// shifts that have already ended get their handover submitted and signed, as their officers
// would have done, so that a fresh demo has nothing overdue. It does nothing when shifts
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
	now := s.db.Now()
	first := now.In(s.db.Location()).AddDate(0, 0, -1)
	res, err := s.roster.GenerateRoster(ctx, models.System, roster.GenerateInput{From: first.Format(time.DateOnly), To: first.AddDate(0, 0, demoRosterDays-1).Format(time.DateOnly)})
	if err != nil {
		return nil, err
	}
	if err := s.handOverEndedShifts(ctx, now); err != nil {
		return nil, fmt.Errorf("demo roster: %w", err)
	}
	return res, nil
}

// handOverEndedShifts submits, as its first officer, and signs, as an officer of the shift that
// follows, the handover of every shift that ended at or before now. Without it the handover
// watch finds yesterday's shifts without a handover and the first sweep e-mails the leader on
// duty about them (交接班未提交) the moment the demo starts.
func (s *Store) handOverEndedShifts(ctx context.Context, now time.Time) error {
	var ended []roster.Shift
	err := s.db.Conn(ctx).Where("ends_at <= ?", now.UTC()).Preload("Assignments.User").Order("ends_at, id").Find(&ended).Error
	if err != nil {
		return fmt.Errorf("ended shifts: %w", err)
	}
	for _, sh := range ended {
		outgoing := firstOfficer(sh.Assignments, 0)
		if outgoing == nil {
			continue // nobody to hand over: the watch does not ask for a handover either
		}
		var next []roster.Assignment
		err := s.db.Conn(ctx).Where("shift_id <> ? AND starts_at <= ? AND ends_at > ?", sh.ID, sh.EndsAt.UTC(), sh.EndsAt.UTC()).
			Preload("User").Order("id").Find(&next).Error
		if err != nil {
			return fmt.Errorf("incoming officers of shift %d: %w", sh.ID, err)
		}
		incoming := firstOfficer(next, outgoing.ID)
		if incoming == nil {
			return fmt.Errorf("shift %d (%s) has no incoming officer to sign its handover", sh.ID, sh.Name)
		}
		h, err := s.roster.SubmitHandover(ctx, outgoing, roster.HandoverInput{ShiftID: sh.ID, Summary: demoHandoverSummary})
		if err != nil {
			return fmt.Errorf("hand over shift %d: %w", sh.ID, err)
		}
		if _, err := s.roster.SignHandover(ctx, incoming, h.ID); err != nil {
			return fmt.Errorf("sign the handover of shift %d: %w", sh.ID, err)
		}
	}
	return nil
}

// firstOfficer is the first duty officer (or extra officer) among as other than the user except.
func firstOfficer(as []roster.Assignment, except int64) *models.User {
	for _, a := range as {
		if (a.Role == roster.DutyOfficer || a.Role == roster.DutyExtra) && a.UserID != except && a.User != nil {
			return a.User
		}
	}
	return nil
}
