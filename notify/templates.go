package notify

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"
)

// templateFS holds, per Kind, <kind>.txt.tmpl (text/template: blocks "subject" and "text") and
// <kind>.html.tmpl (html/template: block "html").
//
//go:embed templates/*.tmpl
var templateFS embed.FS

// Rendered is a message's content.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Duration writes d to the minute the way people read it: "45分钟", "2小时", "1小时30分钟"
// (never Go's "1h30m0s").
func Duration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d分钟", m)
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d小时", m/60)
	}
	return fmt.Sprintf("%d小时%d分钟", m/60, m%60)
}

// templateFuncs format times and durations the way the bureau writes them. Callers pass times
// already in the bureau's zone.
var templateFuncs = map[string]any{
	"clock":   func(t time.Time) string { return t.Format("2006年1月2日 15:04") },
	"hm":      func(t time.Time) string { return t.Format("15:04") },
	"date":    func(t time.Time) string { return t.Format("2006年1月2日") },
	"minutes": Duration,
	"inc":     func(i int) int { return i + 1 },
}

type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates are parsed once; a broken embedded template stops the program at start-up, and the
// tests render every kind.
var templates = func() map[Kind]kindTemplates {
	m := map[Kind]kindTemplates{}
	for _, k := range Kinds {
		m[k] = kindTemplates{
			text: texttemplate.Must(texttemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/"+string(k)+".txt.tmpl")),
			html: htmltemplate.Must(htmltemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/"+string(k)+".html.tmpl")),
		}
	}
	return m
}()

// Render fills the templates of kind with data (EscalationData, DutyReminderData, …).
func Render(kind Kind, data any) (Rendered, error) {
	raw, err := renderRaw(kind, data)
	if err != nil {
		return Rendered{}, err
	}
	return tidy(raw.subject, raw.text, raw.html), nil
}

// EscalationData fills the escalation templates: one step of an overdue deadline's ladder.
type EscalationData struct {
	Step      int      // 0-based position in the ladder
	StepCount int      // steps in the ladder
	Audience  string   // who receives this step, e.g. "带班领导"
	What      string   // the awaited action, e.g. "突发事件首报（电话）"
	Label     string   // the deadline's own label, e.g. the incident's title
	Schools   []string // the responsible schools, none for the desk's own deadlines
	DueAt     time.Time
	Overdue   time.Duration
	Reference string // what it is about, e.g. "incident/12": for the log, not for readers
	// About is what the deadline's subject is, as the domain that owns it tells (nil when it
	// tells nothing): an incident's school, severity, casualties and summary, whom to call.
	About *SubjectFacts
	// Link is where to act on it in the console, absolute ("" when there is no page).
	Link string
	// Action is the recipient's own link to act without a login (a school contact's
	// acknowledgement or 平安报 link); "" when there is none.
	Action string
}

// SubjectFacts is what a chasing message says of the thing it chases.
type SubjectFacts struct {
	Title string   // e.g. the incident's title
	Facts []string // one line each, e.g. "等级：Ⅲ级（较大）", "伤亡：死亡0人、受伤2人、失踪0人", "联系人：张老师"
	Phone string   // the number to call about it (the school's contact or the reporter)
	Path  string   // its page in the console, e.g. "/console/incidents/5"
}

// MajorReportData fills the notice of a report of a I–II or sensitive incident, sent the moment it
// comes in to the leader on duty and the officers on shift.
type MajorReportData struct {
	Report   string // which report, e.g. "首报", "续报二"
	Title    string // the incident's title
	Class    string // e.g. "Ⅱ级（重大）", with "，涉敏感" when sensitive
	School   string
	Facts    []string // one line each: when and where, casualties, the account
	Reporter string   // who reported, e.g. "王校长"
	Phone    string   // the reporter's phone
	Link     string   // the incident's page
}

// InstructionData fills the notice of a leader's 批示 to the school that must answer it.
type InstructionData struct {
	School   string // the school that answers
	Incident string // the incident's title
	Leader   string // who gave it, e.g. "王局长"
	Text     string
	GivenAt  time.Time
	DueAt    time.Time // the answer is due
	Link     string    // the incident's page, where the school answers
}

// DutyReminderData fills the duty reminder: tomorrow's shift for one person.
type DutyReminderData struct {
	Name  string
	Role  string // e.g. "带班领导", "值班员"
	Shift string // e.g. "白班"
	Start time.Time
	End   time.Time
}

// DailyBriefData fills the daily brief to leadership: yesterday and what is overdue now.
type DailyBriefData struct {
	Day         time.Time // the day summed up (midnight, bureau zone)
	Due         int       // deadlines due that day
	Met         int       // of those, done on time
	Late        int       // done late (迟报)
	Missed      int       // closed as missed (漏报)
	Open        int       // still open
	Escalations int       // escalation steps fired that day
	Overdue     []BriefItem
	MoreOverdue int // overdue deadlines not listed
	Extra       []string
}

// BriefItem is one overdue deadline in the daily brief.
type BriefItem struct {
	What    string
	Label   string
	School  string
	DueAt   time.Time
	Overdue time.Duration
}

// AlertData fills a weather warning to one school contact, with the personal acknowledgement link.
type AlertData struct {
	Action       string // issued, updated or lifted
	Contact      string
	School       string
	Title        string // e.g. "台风橙色预警"
	Headline     string
	Region       string
	Instructions string
	IssuedAt     time.Time
	AckBy        time.Time
	AckLink      string // empty once the school has acknowledged, and when lifting
	Acknowledged bool
}

// SafetyRequestData asks a school contact for a 平安报 by a time.
type SafetyRequestData struct {
	Contact string
	School  string
	Alert   string
	DueAt   time.Time
	Link    string
}

// SafetySummaryData sums up a round of safety reports for leaders.
type SafetySummaryData struct {
	Alert   string // e.g. "台风橙色预警"
	Round   string // the round's label
	DueAt   time.Time
	Summary string   // one paragraph: "应报986所，已报985所…"
	Missing []string // schools that have not filed
}
