package config

import (
	"errors"
	"fmt"
	"time"
)

// ReportRules are the time limits of incident reporting (突发事件信息报送). Local rules differ, so
// every limit is data: the bureau overrides the defaults in the YAML file under `reports:`.
type ReportRules struct {
	// Rules are tried in order; the first that matches an incident's category, subtype and
	// severity gives its report deadlines. Every severity must be matched by some rule.
	Rules []ReportRule `yaml:"rules"`
	// SignWithin is how long the desk has to sign for (签收) a submitted report.
	SignWithin time.Duration `yaml:"sign_within"`
	// ForwardWithin is how long the desk has, after signing, to forward (上报) a report upward,
	// for incidents of severity ForwardUpTo or graver (1 = I is the gravest) and for sensitive
	// incidents of any severity.
	ForwardWithin time.Duration `yaml:"forward_within"`
	ForwardUpTo   int           `yaml:"forward_up_to"`
	// InstructionReplyWithin is how long a school has to answer a leader's instruction (批示).
	InstructionReplyWithin time.Duration `yaml:"instruction_reply_within"`
}

// ReportRule gives the report deadlines of the incidents it matches. An empty list matches anything.
type ReportRule struct {
	// Name says which incidents the rule is for, in the bureau's words (e.g. "Ⅰ、Ⅱ级").
	Name       string   `yaml:"name"`
	Categories []string `yaml:"categories"`
	Subtypes   []string `yaml:"subtypes"`
	Severities []int    `yaml:"severities"`
	// PhoneWithin and WrittenWithin: the initial report (首报) by phone and in writing, after occurrence.
	PhoneWithin   time.Duration `yaml:"phone_within"`
	WrittenWithin time.Duration `yaml:"written_within"`
	// FollowUp says when follow-ups (续报) are due while the incident is open.
	FollowUp FollowUpRule `yaml:"follow_up"`
	// FinalWithin: the final report (终报) after resolution.
	FinalWithin time.Duration `yaml:"final_within"`
}

// FollowUpRule is either fixed times of day in the bureau's zone ("08:00", "17:00") or an interval
// after the previous report.
type FollowUpRule struct {
	Times []string      `yaml:"times"`
	Every time.Duration `yaml:"every"`
}

// DefaultReportRules are common provincial rules (domain.md, "Incident reports").
func DefaultReportRules() ReportRules {
	return ReportRules{
		Rules: []ReportRule{
			{Name: "传染病聚集性疫情", Subtypes: []string{"infectious_disease"},
				PhoneWithin: 24 * time.Hour, WrittenWithin: 24 * time.Hour,
				FollowUp: FollowUpRule{Every: 24 * time.Hour}, FinalWithin: 7 * 24 * time.Hour},
			{Name: "Ⅰ、Ⅱ级", Severities: []int{1, 2},
				PhoneWithin: 15 * time.Minute, WrittenWithin: 30 * time.Minute,
				FollowUp: FollowUpRule{Times: []string{"08:00", "17:00"}}, FinalWithin: 24 * time.Hour},
			{Name: "Ⅲ级", Severities: []int{3},
				PhoneWithin: 30 * time.Minute, WrittenWithin: time.Hour,
				FollowUp: FollowUpRule{Times: []string{"08:00", "17:00"}}, FinalWithin: 3 * 24 * time.Hour},
			{Name: "Ⅳ级", Severities: []int{4},
				PhoneWithin: time.Hour, WrittenWithin: 2 * time.Hour,
				FollowUp: FollowUpRule{Times: []string{"17:00"}}, FinalWithin: 7 * 24 * time.Hour},
		},
		SignWithin:             15 * time.Minute,
		ForwardWithin:          2 * time.Hour,
		ForwardUpTo:            3,
		InstructionReplyWithin: 24 * time.Hour,
	}
}

// ParseTimeOfDay reads "HH:MM" (24-hour clock) as hours and minutes.
func ParseTimeOfDay(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, fmt.Errorf("%q is not a time of day like 08:00", s)
	}
	return t.Hour(), t.Minute(), nil
}

// Validate checks the rules; its error names the offending rule.
func (r ReportRules) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("reports: "+format, args...))
	}
	if r.SignWithin <= 0 || r.ForwardWithin <= 0 || r.InstructionReplyWithin <= 0 {
		bad("sign_within, forward_within and instruction_reply_within must be positive")
	}
	if r.ForwardUpTo < 0 || r.ForwardUpTo > 4 {
		bad("forward_up_to must be between 0 (never) and 4")
	}
	for sev := 1; sev <= 4; sev++ {
		if !r.hasCatchAll(sev) {
			bad("no rule without categories and subtypes covers severity %d", sev)
		}
	}
	for i, rule := range r.Rules {
		name := fmt.Sprintf("rule %d (%s)", i+1, rule.Name)
		if rule.PhoneWithin <= 0 || rule.WrittenWithin <= 0 || rule.FinalWithin <= 0 {
			bad("%s: phone_within, written_within and final_within must be positive", name)
		}
		for _, sev := range rule.Severities {
			if sev < 1 || sev > 4 {
				bad("%s: severity %d is not between 1 (I) and 4 (IV)", name, sev)
			}
		}
		switch f := rule.FollowUp; {
		case len(f.Times) > 0 && f.Every != 0:
			bad("%s: follow_up takes either times or every, not both", name)
		case len(f.Times) == 0 && f.Every <= 0:
			bad("%s: follow_up needs times (e.g. [\"08:00\", \"17:00\"]) or a positive every", name)
		case len(f.Times) == 0 && f.Every < 10*time.Minute:
			bad("%s: follow_up every must be at least 10m", name)
		}
		for _, t := range rule.FollowUp.Times {
			if _, _, err := ParseTimeOfDay(t); err != nil {
				bad("%s: follow_up: %v", name, err)
			}
		}
	}
	return errors.Join(errs...)
}

// hasCatchAll tells whether some rule matches every incident of the severity.
func (r ReportRules) hasCatchAll(sev int) bool {
	for _, rule := range r.Rules {
		if len(rule.Categories) > 0 || len(rule.Subtypes) > 0 {
			continue
		}
		if len(rule.Severities) == 0 {
			return true
		}
		for _, s := range rule.Severities {
			if s == sev {
				return true
			}
		}
	}
	return false
}
