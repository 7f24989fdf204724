package roster

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
)

// RotationRole names a rotation (轮值表): the ordered list of people who take one duty role in turn.
type RotationRole string

// The rotations.
const (
	RotationLeaders       RotationRole = "leader"        // leaders on duty (带班领导)
	RotationBureauLeaders RotationRole = "bureau_leader" // bureau leadership (局领导), for holidays that require it
	RotationOfficers      RotationRole = "officer"       // duty officers, also for extra officers
)

// Name is the rotation in Chinese: the role its people take.
func (r RotationRole) Name() string {
	switch r {
	case RotationLeaders:
		return "带班领导"
	case RotationBureauLeaders:
		return "局领导"
	case RotationOfficers:
		return "值班员"
	}
	return string(r)
}

// accountRole is the account role every member of the rotation must have.
func (r RotationRole) accountRole() models.Role {
	if r == RotationOfficers {
		return models.RoleDutyOfficer
	}
	return models.RoleLeader
}

// dutyRoles are the assignment roles the rotation fills.
func (r RotationRole) dutyRoles() []DutyRole {
	if r == RotationOfficers {
		return []DutyRole{DutyOfficer, DutyExtra}
	}
	return []DutyRole{DutyLeader}
}

// RotationMember is one place in a rotation.
type RotationMember struct {
	ID       int64        `json:"-"`
	Role     RotationRole `json:"role"`
	Position int          `json:"position"`
	UserID   int64        `json:"user_id"`
	User     *models.User `json:"user,omitempty" gorm:"foreignKey:UserID"`
}

// Rotations returns every rotation's members in order, by role. Staff only. Errors: forbidden.
func (s *Store) Rotations(ctx context.Context, actor *models.User) (map[RotationRole][]RotationMember, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	var ms []RotationMember
	if err := s.db.Conn(ctx).Preload("User").Order("role, position").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list rotations: %w", err)
	}
	out := map[RotationRole][]RotationMember{RotationLeaders: {}, RotationBureauLeaders: {}, RotationOfficers: {}}
	for _, m := range ms {
		out[m.Role] = append(out[m.Role], m)
	}
	return out, nil
}

// rotation returns the user ids of a rotation in order, leaving out disabled accounts.
func (s *Store) rotation(ctx context.Context, role RotationRole) ([]int64, error) {
	var ids []int64
	err := s.db.Conn(ctx).Model(&RotationMember{}).
		Joins("JOIN users ON users.id = rotation_members.user_id AND users.disabled = ?", false).
		Where("rotation_members.role = ?", role).Order("rotation_members.position").
		Pluck("rotation_members.user_id", &ids).Error
	return ids, err
}

// SetRotation replaces a rotation with the given people, in order. Only admins may.
// Errors: forbidden, not_found (no such rotation), invalid.
func (s *Store) SetRotation(ctx context.Context, actor *models.User, role RotationRole, userIDs []int64) ([]RotationMember, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	if role != RotationLeaders && role != RotationBureauLeaders && role != RotationOfficers {
		return nil, models.Errorf(models.ENOTFOUND, "轮值表不存在（leader、bureau_leader 或 officer）")
	}
	members := make([]RotationMember, 0, len(userIDs))
	err := s.transact(ctx, func(tx *Store) error {
		seen := map[int64]bool{}
		for i, id := range userIDs {
			field := fmt.Sprintf("user_ids[%d]", i)
			var u models.User
			if err := tx.db.Conn(ctx).Take(&u, id).Error; err != nil || u.Disabled {
				return &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段", Fields: map[string]string{field: "用户不存在或已停用"}}
			}
			if u.Role != role.accountRole() {
				return &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段", Fields: map[string]string{field: u.DisplayName + " 的账号角色不符"}}
			}
			if seen[id] {
				return &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段", Fields: map[string]string{field: u.DisplayName + " 重复出现"}}
			}
			seen[id] = true
			members = append(members, RotationMember{Role: role, Position: i, UserID: id, User: &u})
		}
		if err := tx.db.Conn(ctx).Where("role = ?", role).Delete(&RotationMember{}).Error; err != nil {
			return err
		}
		var names []string
		for i := range members {
			if err := tx.db.Conn(ctx).Omit("User").Create(&members[i]).Error; err != nil {
				return fmt.Errorf("save rotation: %w", err)
			}
			names = append(names, members[i].User.DisplayName)
		}
		return tx.db.Audit(ctx, actor, "rotation.set", "rotation", 0, string(role)+": "+strings.Join(names, "、"))
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}

// Leave is a period during which a person is not available for duty (请假).
type Leave struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName keeps GORM from guessing the plural.
func (Leave) TableName() string { return "leaves" }

// LeaveInput records a leave.
type LeaveInput struct {
	UserID   int64     `json:"user_id"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Reason   string    `json:"reason"`
}

// RecordedLeave is a leave just recorded, with the conflicts it makes with the roster as it stands:
// one OnLeave conflict for each of the person's assignments during the leave, each naming the
// assignment (and its shift) to override.
type RecordedLeave struct {
	Leave
	Conflicts []Conflict `json:"conflicts"`
}

// CreateLeave records a leave; generation then skips the person. Shifts already assigned are
// not changed: the answer lists them as conflicts, and so do the checks until they are
// overridden. Only admins may. Errors: forbidden, invalid.
func (s *Store) CreateLeave(ctx context.Context, actor *models.User, in LeaveInput) (*RecordedLeave, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	p := models.Problems{}
	if in.StartsAt.IsZero() {
		p.Add("starts_at", "请填写开始时间")
	}
	if !in.EndsAt.After(in.StartsAt) {
		p.Add("ends_at", "结束时间须晚于开始时间")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(in.Reason) > 200 {
		p.Add("reason", "不超过200字")
	}
	var u models.User
	if err := s.db.Conn(ctx).Take(&u, in.UserID).Error; err != nil {
		p.Add("user_id", "用户不存在")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	out := &RecordedLeave{Leave: Leave{UserID: in.UserID, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), Reason: in.Reason}}
	l := &out.Leave
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Create(l).Error; err != nil {
			return fmt.Errorf("create leave: %w", err)
		}
		shifts, err := tx.shiftsBetween(ctx, l.StartsAt, l.EndsAt)
		if err != nil {
			return err
		}
		out.Conflicts = tx.describeConflicts(LeaveConflicts(shifts, []Leave{*l}), shifts)
		loc := tx.db.Location()
		detail := fmt.Sprintf("%s %s–%s %s", u.DisplayName, l.StartsAt.In(loc).Format("2006-01-02 15:04"), l.EndsAt.In(loc).Format("2006-01-02 15:04"), l.Reason)
		if n := len(out.Conflicts); n > 0 {
			detail += fmt.Sprintf("；与%d个已排班次冲突，待调整", n)
		}
		return tx.db.Audit(ctx, actor, "leave.create", "leave", l.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// leavesBetween loads the leaves overlapping [from, to), by start.
func (s *Store) leavesBetween(ctx context.Context, from, to time.Time) ([]Leave, error) {
	var ls []Leave
	if err := s.db.Conn(ctx).Where("starts_at < ? AND ends_at > ?", to.UTC(), from.UTC()).Order("starts_at, id").Find(&ls).Error; err != nil {
		return nil, fmt.Errorf("load leave: %w", err)
	}
	return ls, nil
}

// Leaves lists the leaves overlapping [from, to). Staff only. Errors: forbidden, invalid.
func (s *Store) Leaves(ctx context.Context, actor *models.User, from, to time.Time) ([]Leave, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	return s.leavesBetween(ctx, from, to)
}

// DeleteLeave removes a leave. Only admins may. Errors: forbidden, not_found.
func (s *Store) DeleteLeave(ctx context.Context, actor *models.User, id int64) error {
	if !actor.Can(models.ManageRoster) {
		return models.ErrForbidden
	}
	return s.transact(ctx, func(tx *Store) error {
		var l Leave
		if err := tx.db.Conn(ctx).Take(&l, id).Error; err != nil {
			return models.NotFound("请假记录", err)
		}
		if err := tx.db.Conn(ctx).Delete(&l).Error; err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "leave.delete", "leave", l.ID, fmt.Sprintf("user %d", l.UserID))
	})
}
