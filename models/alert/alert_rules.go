package alert

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"dutydesk/models/directory"
)

// AlertType is the hazard a warning is about.
type AlertType string

// The warning types. Typhoon and rainstorm drive class-suspension rules; the others are free types.
const (
	AlertTyphoon     AlertType = "typhoon"          // 台风
	AlertRainstorm   AlertType = "rainstorm"        // 暴雨
	AlertHeat        AlertType = "high_temperature" // 高温
	AlertThunderGale AlertType = "thunderstorm"     // 雷雨大风
	AlertFlood       AlertType = "flood"            // 洪水
	AlertGeological  AlertType = "geological"       // 地质灾害
)

var alertTypeNames = map[AlertType]string{
	AlertTyphoon: "台风", AlertRainstorm: "暴雨", AlertHeat: "高温",
	AlertThunderGale: "雷雨大风", AlertFlood: "洪水", AlertGeological: "地质灾害",
}

// Name is the type in Chinese.
func (t AlertType) Name() string { return alertTypeNames[t] }

// Valid tells whether t is a known type.
func (t AlertType) Valid() bool { _, ok := alertTypeNames[t]; return ok }

// AlertLevel is a China Meteorological Administration signal colour: blue < yellow < orange < red.
type AlertLevel string

// The levels.
const (
	LevelBlue   AlertLevel = "blue"
	LevelYellow AlertLevel = "yellow"
	LevelOrange AlertLevel = "orange"
	LevelRed    AlertLevel = "red"
)

var levelInfo = map[AlertLevel]struct {
	rank        int
	name        string
	capSeverity string
	severity    string // the I–IV scale
}{
	LevelBlue:   {1, "蓝色", "Minor", "IV"},
	LevelYellow: {2, "黄色", "Moderate", "III"},
	LevelOrange: {3, "橙色", "Severe", "II"},
	LevelRed:    {4, "红色", "Extreme", "I"},
}

// Rank orders levels: blue 1 … red 4; 0 for an unknown level.
func (l AlertLevel) Rank() int { return levelInfo[l].rank }

// Name is the colour in Chinese.
func (l AlertLevel) Name() string { return levelInfo[l].name }

// Valid tells whether l is a known level.
func (l AlertLevel) Valid() bool { return l.Rank() > 0 }

// CAPSeverity is the CAP severity of the level.
func (l AlertLevel) CAPSeverity() string { return levelInfo[l].capSeverity }

// NeedsSafetyReports tells whether schools file 平安报 while an alert of this level is active.
func (l AlertLevel) NeedsSafetyReports() bool { return l.Rank() >= LevelOrange.Rank() }

// LevelFromCAPSeverity maps a CAP severity to a level.
func LevelFromCAPSeverity(sev string) (AlertLevel, bool) {
	for l, info := range levelInfo {
		if strings.EqualFold(info.capSeverity, strings.TrimSpace(sev)) {
			return l, true
		}
	}
	return "", false
}

// Title is how messages name an alert: 台风橙色预警.
func AlertTitle(t AlertType, l AlertLevel) string { return t.Name() + l.Name() + "预警" }

// SchoolAction is what a warning means for a kind of school.
type SchoolAction string

// The actions, mildest first.
const (
	ActionNone          SchoolAction = ""            // classes as usual, stay alert
	ActionNoOutdoor     SchoolAction = "no_outdoor"  // 停止户外活动
	ActionDelayStart    SchoolAction = "delay_start" // 推迟上学，停止户外活动
	ActionStayAtSchool  SchoolAction = "stay"        // 在校学生留校，不得自行离校
	ActionSuspend       SchoolAction = "suspend"     // 停课
	ActionSuspendAllDay SchoolAction = "suspend_day" // 全天停课
)

var actionText = map[SchoolAction]string{
	ActionNone:          "正常上课，密切关注天气变化",
	ActionNoOutdoor:     "停止户外活动",
	ActionDelayStart:    "推迟上学时间，停止户外活动",
	ActionStayAtSchool:  "已到校学生继续上课并留校，不得自行离校",
	ActionSuspend:       "停课",
	ActionSuspendAllDay: "全天停课",
}

// SuspensionRule says what a warning of Type at MinLevel or above means for schools of the given
// types (all types when empty), when issued within [FromHour, ToHour) local time (any time when
// both are 0). The first matching rule of a school type wins, so specific rules come first.
type SuspensionRule struct {
	Type        AlertType              `json:"type" yaml:"type"`
	MinLevel    AlertLevel             `json:"min_level" yaml:"min_level"`
	SchoolTypes []directory.SchoolType `json:"school_types" yaml:"school_types"`
	FromHour    int                    `json:"from_hour" yaml:"from_hour"`
	ToHour      int                    `json:"to_hour" yaml:"to_hour"`
	Action      SchoolAction           `json:"action" yaml:"action"`
}

// DefaultSuspensionRules are Guangdong-style defaults (domain.md): typhoon yellow and above and
// rainstorm red suspend classes; rainstorm orange delays the start and stops outdoor activities;
// a rainstorm red issued before 08:00 suspends the whole day, issued during the school day keeps
// students at school; kindergartens suspend one level earlier.
var DefaultSuspensionRules = []SuspensionRule{
	{Type: AlertTyphoon, MinLevel: LevelBlue, SchoolTypes: []directory.SchoolType{directory.Kindergarten}, Action: ActionSuspend},
	{Type: AlertTyphoon, MinLevel: LevelYellow, Action: ActionSuspend},
	{Type: AlertRainstorm, MinLevel: LevelRed, FromHour: 0, ToHour: 8, Action: ActionSuspendAllDay},
	{Type: AlertRainstorm, MinLevel: LevelRed, FromHour: 8, ToHour: 18, Action: ActionStayAtSchool},
	{Type: AlertRainstorm, MinLevel: LevelRed, Action: ActionSuspend},
	{Type: AlertRainstorm, MinLevel: LevelOrange, SchoolTypes: []directory.SchoolType{directory.Kindergarten}, Action: ActionSuspend},
	{Type: AlertRainstorm, MinLevel: LevelOrange, Action: ActionDelayStart},
	{Type: AlertRainstorm, MinLevel: LevelYellow, Action: ActionNoOutdoor},
	{Type: AlertThunderGale, MinLevel: LevelYellow, Action: ActionNoOutdoor},
	{Type: AlertHeat, MinLevel: LevelOrange, Action: ActionNoOutdoor},
}

// SchoolActionFor returns what a warning of type t at level l, issued at issuedAt (bureau local
// time), means for schools of type st.
func SchoolActionFor(rules []SuspensionRule, t AlertType, l AlertLevel, st directory.SchoolType, issuedAt time.Time) SchoolAction {
	hour := issuedAt.Hour()
	for _, r := range rules {
		if r.Type != t || l.Rank() < r.MinLevel.Rank() {
			continue
		}
		if (r.FromHour != 0 || r.ToHour != 0) && (hour < r.FromHour || hour >= r.ToHour) {
			continue
		}
		if len(r.SchoolTypes) > 0 && !slices.Contains(r.SchoolTypes, st) {
			continue
		}
		return r.Action
	}
	return ActionNone
}

// DefaultInstructions writes the instructions an alert carries unless the desk edits them: what
// the warning means for each kind of school, then the standing duties.
func DefaultInstructions(rules []SuspensionRule, t AlertType, l AlertLevel, issuedAt time.Time) string {
	var b strings.Builder
	// Group school types that get the same action, in display order.
	var order []SchoolAction
	groups := map[SchoolAction][]string{}
	for _, st := range directory.SchoolTypes {
		a := SchoolActionFor(rules, t, l, st.Type, issuedAt)
		if _, seen := groups[a]; !seen {
			order = append(order, a)
		}
		groups[a] = append(groups[a], st.Name)
	}
	fmt.Fprintf(&b, "%s生效期间：\n", AlertTitle(t, l))
	for _, a := range order {
		fmt.Fprintf(&b, "%s：%s。\n", strings.Join(groups[a], "、"), actionText[a])
	}
	b.WriteString("各校须安排人员在岗值守，保持通讯畅通；学生须由监护人接送，不得单独离校；如有险情立即报告。")
	return b.String()
}

// AlertInstructions are the instructions a warning of type t and level l would carry if issued now.
func (s *Store) AlertInstructions(t AlertType, l AlertLevel) string {
	return DefaultInstructions(s.opts.SuspensionRules, t, l, s.db.Now().In(s.db.Location()))
}
