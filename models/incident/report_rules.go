package incident

import (
	"slices"
	"time"

	"dutydesk/config"
	"dutydesk/models"
)

// IncidentClass is what report rules look at: category, subtype, severity and the sensitive flag.
type IncidentClass struct {
	Category Category
	Subtype  string
	Severity Severity
	// Sensitive makes an incident reportable upward whatever its size.
	Sensitive bool
}

// RuleFor returns the first rule that matches the class. Validated rules always cover every
// severity; should none match, the last rule is used rather than no deadline at all.
func RuleFor(rules config.ReportRules, class IncidentClass) config.ReportRule {
	for _, r := range rules.Rules {
		if (len(r.Categories) == 0 || slices.Contains(r.Categories, string(class.Category))) &&
			(len(r.Subtypes) == 0 || slices.Contains(r.Subtypes, class.Subtype)) &&
			(len(r.Severities) == 0 || slices.Contains(r.Severities, int(class.Severity))) {
			return r
		}
	}
	return rules.Rules[len(rules.Rules)-1]
}

// FollowUpDue returns when the next follow-up (续报) is due after a report at from: an interval
// later, or at the first of the rule's times of day (in loc) strictly after from.
func FollowUpDue(rule config.FollowUpRule, from time.Time, loc *time.Location) time.Time {
	if rule.Every > 0 {
		return from.Add(rule.Every)
	}
	local := from.In(loc)
	var next time.Time
	// Tomorrow's slots are enough: any time of day recurs within 24 h.
	for day := 0; day <= 1; day++ {
		for _, t := range rule.Times {
			h, m, err := config.ParseTimeOfDay(t)
			if err != nil {
				continue
			}
			slot := time.Date(local.Year(), local.Month(), local.Day()+day, h, m, 0, 0, loc)
			if slot.After(from) && (next.IsZero() || slot.Before(next)) {
				next = slot
			}
		}
	}
	if next.IsZero() { // no usable times: fall back to a daily report rather than none
		return from.Add(24 * time.Hour)
	}
	return next
}

// FollowUpSlotBefore returns the follow-up slot before slot: an interval earlier, or the last of
// the rule's times of day (in loc) strictly before slot. A follow-up due at slot answers for the
// time since that one: a report filed after it and by slot meets slot, one filed at it or before
// is not yet the report slot asks for.
func FollowUpSlotBefore(rule config.FollowUpRule, slot time.Time, loc *time.Location) time.Time {
	if rule.Every > 0 {
		return slot.Add(-rule.Every)
	}
	local := slot.In(loc)
	var prev time.Time
	// Yesterday's slots are enough: any time of day recurs within 24 h.
	for day := 0; day >= -1; day-- {
		for _, t := range rule.Times {
			h, m, err := config.ParseTimeOfDay(t)
			if err != nil {
				continue
			}
			s := time.Date(local.Year(), local.Month(), local.Day()+day, h, m, 0, 0, loc)
			if s.Before(slot) && s.After(prev) {
				prev = s
			}
		}
	}
	if prev.IsZero() { // no usable times: FollowUpDue falls back to a daily report
		return slot.Add(-24 * time.Hour)
	}
	return prev
}

// NextDeadline returns when the awaited action of kind falls due for an incident of the class,
// counted from its starting point: occurrence for the initial reports; for a follow-up the
// previous report or, when that report met its slot early, the slot it met (so that each slot
// falls due once: FollowUpDue is strictly after it); resolution for the final report; submission
// for a signature and signature for a forward. ok is false when the rules require no such action (a forward for a severity IV
// incident that is not sensitive).
func NextDeadline(rules config.ReportRules, class IncidentClass, kind models.DeadlineKind, from time.Time, loc *time.Location) (due time.Time, ok bool) {
	rule := RuleFor(rules, class)
	switch kind {
	case models.DeadlineInitialReport:
		return from.Add(rule.PhoneWithin), true
	case models.DeadlineWrittenReport:
		return from.Add(rule.WrittenWithin), true
	case models.DeadlineFollowUp:
		return FollowUpDue(rule.FollowUp, from, loc), true
	case models.DeadlineFinalReport:
		return from.Add(rule.FinalWithin), true
	case models.DeadlineSignature:
		return from.Add(rules.SignWithin), true
	case models.DeadlineForward:
		if int(class.Severity) > rules.ForwardUpTo && !class.Sensitive {
			return time.Time{}, false
		}
		return from.Add(rules.ForwardWithin), true
	case models.DeadlineInstruction:
		return from.Add(rules.InstructionReplyWithin), true
	}
	return time.Time{}, false
}
