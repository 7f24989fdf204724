package roster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// SwapStatus is where a swap stands.
type SwapStatus string

// The swap states: requested → accepted (by the other person) → approved (by a leader or admin,
// which applies it); or declined, rejected or cancelled.
const (
	SwapRequested SwapStatus = "requested"
	SwapAccepted  SwapStatus = "accepted"
	SwapApproved  SwapStatus = "approved"
	SwapDeclined  SwapStatus = "declined"  // by the other person
	SwapRejected  SwapStatus = "rejected"  // by the approver
	SwapCancelled SwapStatus = "cancelled" // by the requester
)

// Swap is a 调班 request: the requester gives up Assignment to Target, who gives back
// TargetAssignment (a swap) or nothing (taking over the shift, 代班).
type Swap struct {
	ID                 int64      `json:"id"`
	RequesterID        int64      `json:"requester_id"`
	AssignmentID       int64      `json:"assignment_id"`
	TargetID           int64      `json:"target_id"`
	TargetAssignmentID *int64     `json:"target_assignment_id"`
	Reason             string     `json:"reason"`
	Status             SwapStatus `json:"status"`
	AcceptedAt         *time.Time `json:"accepted_at"`
	DecidedBy          *int64     `json:"decided_by"`
	DecidedAt          *time.Time `json:"decided_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// SwapInput requests a swap.
type SwapInput struct {
	AssignmentID       int64  `json:"assignment_id"`
	TargetUserID       int64  `json:"target_user_id"`
	TargetAssignmentID *int64 `json:"target_assignment_id"`
	Reason             string `json:"reason"`
}

// RequestSwap asks to give one's assignment to another person of the same duty role, in exchange
// for one of theirs or not. It must be requested SwapNotice (default a day) before the earlier of
// the two shifts. Duty officers and leaders may, for their own assignments.
// Errors: forbidden, invalid, not_found.
func (s *Store) RequestSwap(ctx context.Context, actor *models.User, in SwapInput) (*Swap, error) {
	if !actor.Can(models.RequestSwaps) {
		return nil, models.ErrForbidden
	}
	var sw Swap
	err := s.transact(ctx, func(tx *Store) error {
		var mine Assignment
		if err := tx.db.Conn(ctx).Take(&mine, in.AssignmentID).Error; err != nil || mine.UserID != actor.ID {
			return &models.Error{Code: models.EINVALID, Message: "只能为自己的班次申请调班", Fields: map[string]string{"assignment_id": "不是您的班次"}}
		}
		p := models.Problems{}
		var target models.User
		if err := tx.db.Conn(ctx).Take(&target, in.TargetUserID).Error; err != nil || target.Disabled {
			p.Add("target_user_id", "用户不存在或已停用")
		} else if target.ID == actor.ID {
			p.Add("target_user_id", "不能与自己调班")
		} else if target.Role != mine.Role.accountRole() {
			p.Add("target_user_id", target.DisplayName+" 的账号角色不能担任此岗位")
		}
		earliest := mine.StartsAt
		if in.TargetAssignmentID != nil {
			var theirs Assignment
			if err := tx.db.Conn(ctx).Take(&theirs, *in.TargetAssignmentID).Error; err != nil || theirs.UserID != in.TargetUserID {
				p.Add("target_assignment_id", "不是对方的班次")
			} else if theirs.Role.accountRole() != mine.Role.accountRole() {
				p.Add("target_assignment_id", "只能与同一岗位的班次互换")
			} else if theirs.StartsAt.Before(earliest) {
				earliest = theirs.StartsAt
			}
		}
		in.Reason = strings.TrimSpace(in.Reason)
		if utf8.RuneCountInString(in.Reason) > 500 {
			p.Add("reason", "不超过500字")
		}
		if err := p.Err(); err != nil {
			return err
		}
		notice := tx.rosterOpts().SwapNotice
		if earliest.Sub(tx.db.Now()) < notice {
			return &models.Error{Code: models.EINVALID, Message: "调班须至少提前" + notify.Duration(notice) + "申请",
				Fields: map[string]string{"assignment_id": "距班次开始不足规定时间"}}
		}
		sw = Swap{RequesterID: actor.ID, AssignmentID: mine.ID, TargetID: in.TargetUserID,
			TargetAssignmentID: in.TargetAssignmentID, Reason: in.Reason, Status: SwapRequested}
		if err := tx.db.Conn(ctx).Create(&sw).Error; err != nil {
			return fmt.Errorf("create swap: %w", err)
		}
		return tx.db.Audit(ctx, actor, "swap.request", "swap", sw.ID, fmt.Sprintf("assignment %d → user %d %s", mine.ID, in.TargetUserID, in.Reason))
	})
	if err != nil {
		return nil, err
	}
	return &sw, nil
}

// Swaps lists swaps, newest first, optionally of one status. Staff only. Errors: forbidden.
func (s *Store) Swaps(ctx context.Context, actor *models.User, status SwapStatus, page models.Page) ([]Swap, int64, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, 0, models.ErrForbidden
	}
	q := s.db.Conn(ctx).Model(&Swap{})
	if status != "" {
		q = q.Where("status = ?", status)
	}
	page = page.Normalize()
	var swaps []Swap
	if err := store.PageQuery(page, q, "swaps").Find(&swaps).Error; err != nil {
		return nil, 0, fmt.Errorf("list swaps: %w", err)
	}
	swaps, next := models.PageResult(swaps, page, func(sw Swap) int64 { return sw.ID })
	return swaps, next, nil
}

// swapStep changes a swap's status when it is in one of from, after check approves actor.
func (s *Store) swapStep(ctx context.Context, actor *models.User, id int64, from []SwapStatus, to SwapStatus,
	check func(tx *Store, sw *Swap) error, apply func(tx *Store, sw *Swap) error) (*Swap, error) {
	var sw Swap
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Take(&sw, id).Error; err != nil {
			return models.NotFound("调班申请", err)
		}
		if err := check(tx, &sw); err != nil {
			return err
		}
		if !slices.Contains(from, sw.Status) {
			return models.Errorf(models.ECONFLICT, "调班申请当前状态为 %s，不能进行此操作", sw.Status)
		}
		now := tx.db.Now()
		before := sw.Status
		sw.Status, sw.UpdatedAt = to, now
		switch to {
		case SwapAccepted:
			sw.AcceptedAt = &now
		case SwapApproved, SwapRejected:
			sw.DecidedBy, sw.DecidedAt = &actor.ID, &now
		}
		if apply != nil {
			if err := apply(tx, &sw); err != nil {
				return err
			}
		}
		if err := tx.db.Conn(ctx).Save(&sw).Error; err != nil {
			return fmt.Errorf("update swap %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "swap."+string(to), "swap", sw.ID, fmt.Sprintf("%s → %s", before, to))
	})
	if err != nil {
		return nil, err
	}
	return &sw, nil
}

// AcceptSwap is the other person's agreement. Errors: forbidden, not_found, conflict.
func (s *Store) AcceptSwap(ctx context.Context, actor *models.User, id int64) (*Swap, error) {
	return s.swapStep(ctx, actor, id, []SwapStatus{SwapRequested}, SwapAccepted, onlyTarget(actor), nil)
}

// DeclineSwap is the other person's refusal. Errors: forbidden, not_found, conflict.
func (s *Store) DeclineSwap(ctx context.Context, actor *models.User, id int64) (*Swap, error) {
	return s.swapStep(ctx, actor, id, []SwapStatus{SwapRequested}, SwapDeclined, onlyTarget(actor), nil)
}

// CancelSwap withdraws one's own request. Errors: forbidden, not_found, conflict.
func (s *Store) CancelSwap(ctx context.Context, actor *models.User, id int64) (*Swap, error) {
	return s.swapStep(ctx, actor, id, []SwapStatus{SwapRequested, SwapAccepted}, SwapCancelled, func(_ *Store, sw *Swap) error {
		if !actor.Can(models.RequestSwaps) || sw.RequesterID != actor.ID {
			return models.Errorf(models.EFORBIDDEN, "只有申请人可以撤回调班申请")
		}
		return nil
	}, nil)
}

// RejectSwap is the approver's refusal. The leader on duty and admins may. Errors: forbidden,
// not_found, conflict.
func (s *Store) RejectSwap(ctx context.Context, actor *models.User, id int64) (*Swap, error) {
	return s.swapStep(ctx, actor, id, []SwapStatus{SwapRequested, SwapAccepted}, SwapRejected, onlyApprover(ctx, actor), nil)
}

// ApproveSwap approves an accepted swap and applies it: the two people trade places. The result
// must keep the desk covered and may not double-book anyone or cut their rest short; neither
// shift may have started. The leader on duty and admins may, but not for a swap they are party to.
// Errors: forbidden, not_found, conflict.
func (s *Store) ApproveSwap(ctx context.Context, actor *models.User, id int64) (*Swap, error) {
	return s.swapStep(ctx, actor, id, []SwapStatus{SwapAccepted}, SwapApproved, onlyApprover(ctx, actor), func(tx *Store, sw *Swap) error {
		return tx.applySwap(ctx, sw)
	})
}

func onlyTarget(actor *models.User) func(tx *Store, sw *Swap) error {
	return func(_ *Store, sw *Swap) error {
		if !actor.Can(models.RequestSwaps) || sw.TargetID != actor.ID {
			return models.Errorf(models.EFORBIDDEN, "只有被申请调班的人可以接受或拒绝")
		}
		return nil
	}
}

// onlyApprover lets admins and the leader on duty at the moment decide a swap (domain.md: swaps
// are approved by the leader on duty), unless they are party to it.
func onlyApprover(ctx context.Context, actor *models.User) func(tx *Store, sw *Swap) error {
	return func(tx *Store, sw *Swap) error { return tx.approverProblem(ctx, actor, sw) }
}

func (s *Store) approverProblem(ctx context.Context, actor *models.User, sw *Swap) error {
	if !actor.Can(models.ApproveSwaps) {
		return models.Errorf(models.EFORBIDDEN, "只有带班领导或管理员可以审批调班")
	}
	if actor.ID == sw.RequesterID || actor.ID == sw.TargetID {
		return models.Errorf(models.EFORBIDDEN, "不能审批自己参与的调班")
	}
	if actor.Role == models.RoleAdmin {
		return nil
	}
	now := s.db.Now()
	var n int64
	err := s.db.Conn(ctx).Model(&Assignment{}).
		Where("user_id = ? AND role = ? AND starts_at <= ? AND ends_at > ?", actor.ID, DutyLeader, now.UTC(), now.UTC()).Count(&n).Error
	if err != nil {
		return fmt.Errorf("leader on duty: %w", err)
	}
	if n == 0 {
		return models.Errorf(models.EFORBIDDEN, "只有当班的带班领导可以审批调班")
	}
	return nil
}

// MayDecideSwap tells whether actor may approve or reject sw now (the console offers the buttons
// only then).
func (s *Store) MayDecideSwap(ctx context.Context, actor *models.User, sw *Swap) (bool, error) {
	err := s.approverProblem(ctx, actor, sw)
	if models.ErrCode(err) == models.EFORBIDDEN {
		return false, nil
	}
	return err == nil, err
}

// applySwap moves the people of an approved swap and checks the roster around both shifts.
func (s *Store) applySwap(ctx context.Context, sw *Swap) error {
	var changed []Assignment
	var mine Assignment
	if err := s.db.Conn(ctx).Take(&mine, sw.AssignmentID).Error; err != nil {
		return models.NotFound("班次", err)
	}
	changed = append(changed, mine)
	if sw.TargetAssignmentID != nil {
		var theirs Assignment
		if err := s.db.Conn(ctx).Take(&theirs, *sw.TargetAssignmentID).Error; err != nil {
			return models.NotFound("班次", err)
		}
		changed = append(changed, theirs)
	}
	if mine.UserID != sw.RequesterID || (len(changed) == 2 && changed[1].UserID != sw.TargetID) {
		return models.Errorf(models.ECONFLICT, "班次已被调整，调班申请不再有效")
	}
	from, to := changed[0].StartsAt, changed[0].EndsAt
	for _, a := range changed {
		if !a.StartsAt.After(s.db.Now()) {
			return models.Errorf(models.ECONFLICT, "班次已开始，不能再调班")
		}
		from, to = minTime(from, a.StartsAt), maxTime(to, a.EndsAt)
	}
	before, err := s.gapTime(ctx, from, to)
	if err != nil {
		return err
	}
	changed[0].UserID = sw.TargetID
	if len(changed) == 2 {
		changed[1].UserID = sw.RequesterID
	}
	for i := range changed {
		var u models.User
		if err := s.db.Conn(ctx).Take(&u, changed[i].UserID).Error; err != nil {
			return err
		}
		if err := s.refuseLeave(ctx, &u, changed[i].StartsAt, changed[i].EndsAt); err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&changed[i]).Update("user_id", changed[i].UserID).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return models.Errorf(models.ECONFLICT, "%s 已在该班次中，不能调入", u.DisplayName)
			}
			return fmt.Errorf("move assignment %d: %w", changed[i].ID, err)
		}
	}
	if err := s.refuseConflicts(ctx, changed); err != nil {
		return err
	}
	return s.refuseNewGaps(ctx, from, to, before)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
