package models

import (
	"time"
)

// DeadlineKind names an awaited action.
type DeadlineKind string

// The awaited actions. Each is a Deadline row with due_at and done_at (design.md, mechanism 1).
const (
	DeadlineInitialReport  DeadlineKind = "initial_report"    // 首报 (phone) due after occurrence
	DeadlineWrittenReport  DeadlineKind = "written_report"    // 首报 (written) due after occurrence
	DeadlineFollowUp       DeadlineKind = "follow_up"         // next 续报 while the incident is open
	DeadlineFinalReport    DeadlineKind = "final_report"      // 终报 after resolution
	DeadlineSignature      DeadlineKind = "signature"         // the desk signs (签收) a submitted report
	DeadlineForward        DeadlineKind = "forward"           // the desk forwards (上报) a signed I–III report
	DeadlineInstruction    DeadlineKind = "instruction_reply" // the school answers a leader's 批示
	DeadlineHandover       DeadlineKind = "handover_sign"     // the incoming officer signs the 交接班
	DeadlineAlertAck       DeadlineKind = "alert_ack"         // a school confirms a warning
	DeadlineSafetyReport   DeadlineKind = "safety_report"     // a school files its 平安报
	DeadlineSpotCheckReply DeadlineKind = "spot_check"        // a duty post answers a 查岗
)

// SubjectType names what a deadline awaits an action on (and what an audit entry or a queued
// message concerns: there also "school", "user" and the like).
type SubjectType string

// The subjects of deadlines.
const (
	SubjectIncident    SubjectType = "incident"     // the school owes a report on the incident
	SubjectReport      SubjectType = "report"       // the desk owes a signature or a forward on a report
	SubjectInstruction SubjectType = "instruction"  // the school owes an answer to a 批示
	SubjectAlert       SubjectType = "alert"        // the schools owe an acknowledgement of a warning
	SubjectSafetyRound SubjectType = "safety_round" // the schools owe a 平安报 of the round
	SubjectShift       SubjectType = "shift"        // the incoming officers owe the shift's handover signature
	SubjectHandover    SubjectType = "handover"     // the incoming officer owes the handover's signature
)

// Deadline is one awaited action: due at DueAt, done at DoneAt (nil while open).
// Late means it was done after DueAt (迟报); Missed means it was closed without being done (漏报).
type Deadline struct {
	ID          int64        `json:"id"`
	Kind        DeadlineKind `json:"kind"`
	SubjectType SubjectType  `json:"subject_type"`
	SubjectID   int64        `json:"subject_id"`
	SchoolID    *int64       `json:"school_id"`
	DistrictID  *int64       `json:"district_id"`
	Label       string       `json:"label"`
	DueAt       time.Time    `json:"due_at"`
	DoneAt      *time.Time   `json:"done_at"`
	Late        bool         `json:"late"`
	Missed      bool         `json:"missed"`
	CreatedAt   time.Time    `json:"created_at"`
}

// State describes the deadline at now: "open", "overdue", "met", "late" or "missed".
func (d *Deadline) State(now time.Time) string {
	switch {
	case d.Missed:
		return "missed"
	case d.DoneAt != nil && d.Late:
		return "late"
	case d.DoneAt != nil:
		return "met"
	case now.After(d.DueAt):
		return "overdue"
	}
	return "open"
}

// Name returns the kind in Chinese, as messages show it.
func (k DeadlineKind) Name() string {
	if n, ok := deadlineKindNames[k]; ok {
		return n
	}
	return string(k)
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

// deadlineLabels name the awaited actions of incident reporting within an incident's own
// deadline labels ("东湖区第一小学溺水：续报"), where the incident is already said.
var deadlineLabels = map[DeadlineKind]string{
	DeadlineInitialReport: "电话首报", DeadlineWrittenReport: "书面首报", DeadlineFollowUp: "续报",
	DeadlineFinalReport: "终报", DeadlineSignature: "签收", DeadlineForward: "上报", DeadlineInstruction: "答复批示",
}

// Label is the awaited action's short name within a deadline label that already names its
// subject; Name where it has none.
func (k DeadlineKind) Label() string {
	if l, ok := deadlineLabels[k]; ok {
		return l
	}
	return k.Name()
}

// Valid tells whether k is one of the awaited actions.
func (k DeadlineKind) Valid() bool {
	_, ok := deadlineKindNames[k]
	return ok
}
