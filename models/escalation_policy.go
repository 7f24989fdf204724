package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Audience is a circle of people an escalation step notifies.
type Audience string

// The audiences.
const (
	AudienceSchoolContacts   Audience = "school_contacts"   // the responsible school's contacts
	AudienceOfficersOnDuty   Audience = "officers_on_duty"  // duty officers on shift (值班员)
	AudienceLeaderOnDuty     Audience = "leader_on_duty"    // leader on duty (带班领导)
	AudienceDistrictOfficers Audience = "district_officers" // the school's district officer(s)
	AudienceLeadership       Audience = "leadership"        // bureau leadership (局领导), a configured list
)

// audienceNames are the audiences as the messages address them.
var audienceNames = map[Audience]string{
	AudienceSchoolContacts:   "学校联系人",
	AudienceOfficersOnDuty:   "值班员",
	AudienceLeaderOnDuty:     "带班领导",
	AudienceDistrictOfficers: "区县教育局值班人员",
	AudienceLeadership:       "局领导",
}

// deadlineKindNames are the awaited actions as messages name them; every kind escalates.
var deadlineKindNames = map[DeadlineKind]string{
	DeadlineInitialReport:  "突发事件首报（电话）",
	DeadlineWrittenReport:  "突发事件首报（书面）",
	DeadlineFollowUp:       "突发事件续报",
	DeadlineFinalReport:    "突发事件终报",
	DeadlineSignature:      "信息签收",
	DeadlineForward:        "信息上报",
	DeadlineInstruction:    "领导批示回复",
	DeadlineHandover:       "交接班签收",
	DeadlineAlertAck:       "预警确认",
	DeadlineSafetyReport:   "平安报",
	DeadlineSpotCheckReply: "查岗应答",
}

// Name returns the kind in Chinese, as messages show it.
func (k DeadlineKind) Name() string {
	if n, ok := deadlineKindNames[k]; ok {
		return n
	}
	return string(k)
}

// EscalationStep is one rung of a ladder: DelaySeconds after the deadline passed, notify Targets.
type EscalationStep struct {
	DelaySeconds int64      `json:"delay_seconds"`
	Targets      []Audience `json:"targets"`
}

// Delay is the step's delay after the due time.
func (st EscalationStep) Delay() time.Duration { return time.Duration(st.DelaySeconds) * time.Second }

// EscalationPolicy is the ladder of a deadline kind. Custom means the bureau changed the default.
type EscalationPolicy struct {
	Kind   DeadlineKind     `json:"kind"`
	Name   string           `json:"name"`
	Steps  []EscalationStep `json:"steps"`
	Custom bool             `json:"custom"`
}

// policyRow is a stored step of a custom ladder.
type policyRow struct {
	ID           int64
	Kind         DeadlineKind
	Step         int
	DelaySeconds int64
	Targets      string
	UpdatedAt    time.Time
}

func (policyRow) TableName() string { return "escalation_policies" }

// step is a ladder rung: after delay, notify the targets.
func step(delay time.Duration, targets ...Audience) EscalationStep {
	return EscalationStep{DelaySeconds: int64(delay / time.Second), Targets: targets}
}

// DefaultEscalationPolicies returns the ladders of domain.md, used for every kind the bureau has
// not changed: a school's missing action reminds the school, then after 15, 30 and 60 minutes
// the duty officers on shift, the leader on duty and the bureau leadership; the desk's own actions
// start with the duty officers; a handover not signed by its deadline goes to the leader on duty;
// an unacknowledged warning reminds the school at its deadline (30 min after issue) and 30 minutes
// later reaches the district officers and the leader on duty.
func DefaultEscalationPolicies() map[DeadlineKind][]EscalationStep {
	school := []EscalationStep{
		step(0, AudienceSchoolContacts),
		step(15*time.Minute, AudienceOfficersOnDuty),
		step(30*time.Minute, AudienceLeaderOnDuty),
		step(60*time.Minute, AudienceLeadership),
	}
	desk := []EscalationStep{
		step(0, AudienceOfficersOnDuty),
		step(30*time.Minute, AudienceLeaderOnDuty),
		step(60*time.Minute, AudienceLeadership),
	}
	return map[DeadlineKind][]EscalationStep{
		DeadlineInitialReport:  school,
		DeadlineWrittenReport:  school,
		DeadlineFollowUp:       school,
		DeadlineFinalReport:    school,
		DeadlineInstruction:    school,
		DeadlineSafetyReport:   school,
		DeadlineSpotCheckReply: school,
		DeadlineSignature:      desk,
		DeadlineForward:        desk,
		DeadlineHandover:       {step(0, AudienceLeaderOnDuty)},
		DeadlineAlertAck: {
			step(0, AudienceSchoolContacts),
			step(30*time.Minute, AudienceDistrictOfficers, AudienceLeaderOnDuty),
		},
	}
}

// escalationPolicies returns the ladder of every kind: the stored custom ones over the defaults.
func (s *Store) escalationPolicies(ctx context.Context) (map[DeadlineKind]EscalationPolicy, error) {
	policies := map[DeadlineKind]EscalationPolicy{}
	for kind, st := range DefaultEscalationPolicies() {
		policies[kind] = EscalationPolicy{Kind: kind, Name: kind.Name(), Steps: st}
	}
	var rows []policyRow
	if err := s.conn(ctx).Order("kind, step").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load escalation policies: %w", err)
	}
	custom := map[DeadlineKind][]EscalationStep{}
	for _, r := range rows {
		custom[r.Kind] = append(custom[r.Kind], EscalationStep{DelaySeconds: r.DelaySeconds, Targets: parseAudiences(r.Targets)})
	}
	for kind, st := range custom {
		policies[kind] = EscalationPolicy{Kind: kind, Name: kind.Name(), Steps: st, Custom: true}
	}
	return policies, nil
}

func parseAudiences(s string) []Audience {
	var out []Audience
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, Audience(a))
		}
	}
	return out
}

func joinAudiences(as []Audience) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = string(a)
	}
	return strings.Join(parts, ",")
}

// EscalationPolicies lists the ladder of every deadline kind, by kind. Anyone who sees all
// records may. Errors: forbidden.
func (s *Store) EscalationPolicies(ctx context.Context, actor *User) ([]EscalationPolicy, error) {
	if !actor.Can(SeeAll) {
		return nil, errForbidden
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
func validateSteps(steps []EscalationStep) Problems {
	p := Problems{}
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
		seen := map[Audience]bool{}
		for _, a := range st.Targets {
			if _, ok := audienceNames[a]; !ok {
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
func (s *Store) SetEscalationPolicy(ctx context.Context, actor *User, kind DeadlineKind, steps []EscalationStep) (*EscalationPolicy, error) {
	if !actor.Can(ManagePolicies) {
		return nil, errForbidden
	}
	if _, ok := deadlineKindNames[kind]; !ok {
		return nil, Errorf(ENOTFOUND, "没有这类时限：%s", kind)
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
		if err := tx.db.Where("kind = ?", kind).Delete(&policyRow{}).Error; err != nil {
			return fmt.Errorf("replace policy %s: %w", kind, err)
		}
		var summary []string
		for i, st := range steps {
			row := policyRow{Kind: kind, Step: i, DelaySeconds: st.DelaySeconds, Targets: joinAudiences(st.Targets), UpdatedAt: tx.Now()}
			if err := tx.db.Create(&row).Error; err != nil {
				return fmt.Errorf("replace policy %s: %w", kind, err)
			}
			summary = append(summary, fmt.Sprintf("+%s %s", st.Delay(), row.Targets))
		}
		if len(summary) == 0 {
			summary = []string{"恢复默认"}
		}
		return tx.audit(ctx, actor, "escalation_policy.set", "escalation_policy", 0, string(kind)+": "+strings.Join(summary, "; "))
	})
	if err != nil {
		return nil, err
	}
	return policy, nil
}
