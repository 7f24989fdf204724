// Package notify renders DutyDesk's zh-CN messages and sends them: over SMTP, as .eml files (the
// embedded default), or as a webhook POST. It knows nothing of the database: the outbox rows that
// carry messages until they are sent are a model in package models, and the dispatch loop is a
// scheduler job.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	ChannelEmail   Channel = "email"
	ChannelWebhook Channel = "webhook"
)

// Kind names a message template (templates/<kind>.txt.tmpl and templates/<kind>.html.tmpl).
type Kind string

// The kinds of message DutyDesk sends.
const (
	KindEscalation    Kind = "escalation"     // an overdue deadline, one step of its ladder (催办/升级)
	KindDutyReminder  Kind = "duty_reminder"  // the day before a shift (值班提醒)
	KindDailyBrief    Kind = "daily_brief"    // 08:00 summary for leadership (每日值班简报)
	KindAlertIssued   Kind = "alert_issued"   // a weather warning to a school contact (预警通知)
	KindSafetyRequest Kind = "safety_request" // a school is asked for its 平安报
	KindSafetySummary Kind = "safety_summary" // leaders get the round's 平安报 summary
	KindInstruction   Kind = "instruction"    // a leader's 批示 to the school that must answer it
	KindMajorReport   Kind = "major_report"   // a report of a I–II or sensitive incident, at once to the leader and desk on duty
)

// Kinds lists every kind; each has both templates.
var Kinds = []Kind{KindEscalation, KindDutyReminder, KindDailyBrief, KindAlertIssued, KindSafetyRequest, KindSafetySummary, KindInstruction, KindMajorReport}

// Message is one rendered message to one recipient on one channel.
type Message struct {
	// ID is the deterministic Message-ID (with angle brackets), so a retry is recognisable and a
	// message queued twice is stored once. Build it with MessageID.
	ID      string
	Channel Channel
	Kind    Kind
	// To is the recipient's e-mail address (for a webhook: the webhook's name, "webhook").
	To     string
	ToName string
	// Subject, Text and HTML are the rendered content; HTML may be empty.
	Subject string
	Text    string
	HTML    string
	// SubjectType and SubjectID name what the message is about (e.g. deadline/42).
	SubjectType string
	SubjectID   int64
	// CreatedAt is when the message was queued; it becomes the Date header.
	CreatedAt time.Time
}

// Sender delivers messages. Its error contract is "error = try again": a nil error means the
// message was accepted; any error leaves it to be retried later with the same Message-ID.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// MessageID returns a deterministic Message-ID from the installation (config.Config.InstallationID)
// and the parts that identify a message within it, for example
// MessageID("3f9a0c5e21d4", "escalation", "deadline/42", "step/1", "email", "a@b.cn"). The same
// installation and parts give the same id, so a retry is recognisable; the installation is the
// right-hand side (<…@3f9a0c5e21d4.dutydesk>), so two bureaus' "deadline/42, step 1" to one
// recipient stay two messages. An empty installation (tests only) gives <…@dutydesk>.
func MessageID(installation string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	domain := "dutydesk"
	if installation != "" {
		domain = installation + "." + domain
	}
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}
