package escalation

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"dutydesk/models"
)

// EscalationStep is one rung of a ladder: DelaySeconds after the deadline passed, notify Targets.
type EscalationStep struct {
	DelaySeconds int64             `json:"delay_seconds"`
	Targets      []models.Audience `json:"targets"`
}

// Delay is the step's delay after the due time.
func (st EscalationStep) Delay() time.Duration { return time.Duration(st.DelaySeconds) * time.Second }

// EscalationPolicy is the ladder of a deadline kind. Custom means the bureau changed the default.
type EscalationPolicy struct {
	Kind   models.DeadlineKind `json:"kind"`
	Name   string              `json:"name"`
	Steps  []EscalationStep    `json:"steps"`
	Custom bool                `json:"custom"`
}

// policyRow is a stored step of a custom ladder.
type policyRow struct {
	ID           int64
	Kind         models.DeadlineKind
	Step         int
	DelaySeconds int64
	Targets      string
	UpdatedAt    time.Time
}

func (policyRow) TableName() string { return "escalation_policies" }

// step is a ladder rung: after delay, notify the targets.
func step(delay time.Duration, targets ...models.Audience) EscalationStep {
	return EscalationStep{DelaySeconds: int64(delay / time.Second), Targets: targets}
}

// DefaultEscalationPolicies returns the ladders of domain.md, used for every kind the bureau has
// not changed: a school's missing action reminds the school, then after 15, 30 and 60 minutes
// the duty officers on shift, the leader on duty and the bureau leadership; the desk's own actions
// start with the duty officers; a handover not signed by its deadline goes to the leader on duty;
// an unacknowledged warning reminds the school at its deadline (30 min after issue) and 30 minutes
// later reaches the district officers and the leader on duty.
func DefaultEscalationPolicies() map[models.DeadlineKind][]EscalationStep {
	school := []EscalationStep{
		step(0, models.AudienceSchoolContacts),
		step(15*time.Minute, models.AudienceOfficersOnDuty),
		step(30*time.Minute, models.AudienceLeaderOnDuty),
		step(60*time.Minute, models.AudienceLeadership),
	}
	desk := []EscalationStep{
		step(0, models.AudienceOfficersOnDuty),
		step(30*time.Minute, models.AudienceLeaderOnDuty),
		step(60*time.Minute, models.AudienceLeadership),
	}
	return map[models.DeadlineKind][]EscalationStep{
		models.DeadlineInitialReport:  school,
		models.DeadlineWrittenReport:  school,
		models.DeadlineFollowUp:       school,
		models.DeadlineFinalReport:    school,
		models.DeadlineInstruction:    school,
		models.DeadlineSafetyReport:   school,
		models.DeadlineSpotCheckReply: school,
		models.DeadlineSignature:      desk,
		models.DeadlineForward:        desk,
		models.DeadlineHandover:       {step(0, models.AudienceLeaderOnDuty)},
		models.DeadlineAlertAck: {
			step(0, models.AudienceSchoolContacts),
			step(30*time.Minute, models.AudienceDistrictOfficers, models.AudienceLeaderOnDuty),
		},
	}
}

// escalationPolicies returns the ladder of every kind: the stored custom ones over the defaults.
func (s *Store) escalationPolicies(ctx context.Context) (map[models.DeadlineKind]EscalationPolicy, error) {
	policies := map[models.DeadlineKind]EscalationPolicy{}
	for kind, st := range DefaultEscalationPolicies() {
		policies[kind] = EscalationPolicy{Kind: kind, Name: kind.Name(), Steps: st}
	}
	var rows []policyRow
	if err := s.db.Conn(ctx).Order("kind, step").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load escalation policies: %w", err)
	}
	custom := map[models.DeadlineKind][]EscalationStep{}
	for _, r := range rows {
		custom[r.Kind] = append(custom[r.Kind], EscalationStep{DelaySeconds: r.DelaySeconds, Targets: models.ParseAudiences(r.Targets)})
	}
	for kind, st := range custom {
		policies[kind] = EscalationPolicy{Kind: kind, Name: kind.Name(), Steps: st, Custom: true}
	}
	return policies, nil
}

// EscalationPolicies lists the ladder of every deadline kind, by kind. Anyone who sees all
// records may. Errors: forbidden.
func (s *Store) EscalationPolicies(ctx context.Context, actor *models.User) ([]EscalationPolicy, error) {
	if !actor.Can(models.SeeAll) {
		return nil, models.ErrForbidden
	}
	policies, err := s.escalationPolicies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]EscalationPolicy, 0, len(policies))
	for _, p := range policies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
}

// MaxEscalationSteps bounds a ladder.
const MaxEscalationSteps = 10

// validateSteps checks a ladder: 1–10 steps, delays from 0 up to 7 days and never decreasing, each
// step with known, distinct audiences.
func validateSteps(steps []EscalationStep) models.Problems {
	p := models.Problems{}
	if len(steps) == 0 || len(steps) > MaxEscalationSteps {
		p.Add("steps", fmt.Sprintf("须有1–%d级", MaxEscalationSteps))
	}
	for i, st := range steps {
		field := fmt.Sprintf("steps[%d]", i)
		switch {
		case st.DelaySeconds < 0 || st.DelaySeconds > 7*24*3600:
			p.Add(field+".delay_seconds", "须在0到604800秒（7天）之间")
		case i > 0 && st.DelaySeconds < steps[i-1].DelaySeconds:
			p.Add(field+".delay_seconds", "不能早于上一级")
		}
		if len(st.Targets) == 0 {
			p.Add(field+".targets", "请至少选择一类通知对象")
		}
		seen := map[models.Audience]bool{}
		for _, a := range st.Targets {
			if !a.Valid() {
				p.Add(field+".targets", "通知对象须为 school_contacts、officers_on_duty、leader_on_duty、district_officers 或 leadership")
			} else if seen[a] {
				p.Add(field+".targets", "通知对象重复")
			}
			seen[a] = true
		}
	}
	return p
}

// SetEscalationPolicy replaces the ladder of a deadline kind; no steps restores the default.
// Steps already fired keep their record; open deadlines continue on the new ladder from the next
// unfired step. Only admins may. Errors: forbidden, not_found (unknown kind), invalid.
func (s *Store) SetEscalationPolicy(ctx context.Context, actor *models.User, kind models.DeadlineKind, steps []EscalationStep) (*EscalationPolicy, error) {
	if !actor.Can(models.ManagePolicies) {
		return nil, models.ErrForbidden
	}
	if !kind.Valid() {
		return nil, models.Errorf(models.ENOTFOUND, "没有这类时限：%s", kind)
	}
	if len(steps) > 0 {
		if err := validateSteps(steps).Err(); err != nil {
			return nil, err
		}
	}
	policy := &EscalationPolicy{Kind: kind, Name: kind.Name(), Steps: steps, Custom: len(steps) > 0}
	if !policy.Custom {
		policy.Steps = DefaultEscalationPolicies()[kind]
	}
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Where("kind = ?", kind).Delete(&policyRow{}).Error; err != nil {
			return fmt.Errorf("replace policy %s: %w", kind, err)
		}
		var summary []string
		for i, st := range steps {
			row := policyRow{Kind: kind, Step: i, DelaySeconds: st.DelaySeconds, Targets: models.JoinAudiences(st.Targets), UpdatedAt: tx.db.Now()}
			if err := tx.db.DB().Create(&row).Error; err != nil {
				return fmt.Errorf("replace policy %s: %w", kind, err)
			}
			summary = append(summary, fmt.Sprintf("+%s %s", st.Delay(), row.Targets))
		}
		if len(summary) == 0 {
			summary = []string{"恢复默认"}
		}
		return tx.db.Audit(ctx, actor, "escalation_policy.set", "escalation_policy", 0, string(kind)+": "+strings.Join(summary, "; "))
	})
	if err != nil {
		return nil, err
	}
	return policy, nil
}
