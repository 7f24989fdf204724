package incident

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
)

// ReportKind is the place of a report in an incident's sequence.
type ReportKind string

// The report kinds.
const (
	ReportInitial  ReportKind = "initial"   // 首报
	ReportFollowUp ReportKind = "follow_up" // 续报, numbered 续报一, 续报二…
	ReportFinal    ReportKind = "final"     // 终报
)

// Name is the report kind in Chinese: 首报, 续报, 终报.
func (k ReportKind) Name() string {
	switch k {
	case ReportInitial:
		return "首报"
	case ReportFollowUp:
		return "续报"
	case ReportFinal:
		return "终报"
	}
	return string(k)
}

// ReportChannel is how a report reached the desk.
type ReportChannel string

// The report channels.
const (
	ChannelWritten ReportChannel = "written" // filed by the school (or its district) through DutyDesk
	ChannelPhone   ReportChannel = "phone"   // taken down by the duty officer from a call (电话接报)
)

// ReportStatus is where a report stands.
type ReportStatus string

// The report statuses.
const (
	ReportDraft     ReportStatus = "draft"     // saved, not yet submitted
	ReportSubmitted ReportStatus = "submitted" // submitted; the desk must sign for it
	ReportSigned    ReportStatus = "signed"    // signed for (签收) by the desk
	ReportRecorded  ReportStatus = "recorded"  // a phone report the desk took down itself
)

// Report is one report on an incident: 首报, 续报 or 终报, each with the fields domain.md lists.
type Report struct {
	ID         int64         `json:"id"`
	IncidentID int64         `json:"incident_id"`
	SchoolID   int64         `json:"school_id"`
	DistrictID int64         `json:"district_id"`
	Kind       ReportKind    `json:"kind"`
	Number     int           `json:"number"` // 1, 2… for submitted follow-ups; 0 otherwise
	Channel    ReportChannel `json:"channel"`
	Status     ReportStatus  `json:"status"`
	// Severity is the incident's grade as this report gives it.
	Severity      Severity `json:"severity"`
	Summary       string   `json:"summary"`
	Dead          int      `json:"dead"`
	Injured       int      `json:"injured"`
	Missing       int      `json:"missing"`
	PropertyLoss  int64    `json:"property_loss"` // yuan
	Cause         string   `json:"cause"`
	Measures      string   `json:"measures"`
	LeadersOnSite string   `json:"leaders_on_site"`
	NextSteps     string   `json:"next_steps"`
	ReporterName  string   `json:"reporter_name"`
	ReporterPhone string   `json:"reporter_phone"`
	// Resolved, on a follow-up, says the incident is handled (处置完毕): the final report falls due.
	Resolved bool `json:"resolved"`
	// Late says the report came after its deadline (迟报); LateReason is the written explanation.
	Late       bool   `json:"late"`
	LateReason string `json:"late_reason"`
	// Phone intake: when the call came, who called, and who else was told.
	ReceivedAt   *time.Time `json:"received_at,omitempty"`
	CallerUnit   string     `json:"caller_unit,omitempty"`
	CallerName   string     `json:"caller_name,omitempty"`
	CallerTitle  string     `json:"caller_title,omitempty"`
	CallerPhone  string     `json:"caller_phone,omitempty"`
	AlsoNotified string     `json:"also_notified,omitempty"`

	CreatedBy   int64      `json:"created_by"`
	SubmittedAt *time.Time `json:"submitted_at"`
	SignedAt    *time.Time `json:"signed_at"`
	SignedBy    *int64     `json:"signed_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// TableName keeps incident reports apart from other reports (safety reports).
func (Report) TableName() string { return "incident_reports" }

// Title names the report as the desk does: 首报, 电话首报, 续报三, 终报.
func (r *Report) Title() string {
	switch r.Kind {
	case ReportInitial:
		if r.Channel == ChannelPhone {
			return "电话首报"
		}
	case ReportFollowUp:
		if r.Number > 0 {
			return "续报" + chineseNumber(r.Number)
		}
	}
	return r.Kind.Name()
}

// MarshalJSON adds the report's title.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		Title string `json:"title"`
	}{plain(r), r.Title()})
}

// chineseNumber writes 1–99 in Chinese numerals (续报十二); larger numbers stay in digits.
func chineseNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n > 99:
		return strconv.Itoa(n)
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + digits[n%10]
	}
	return digits[n/10] + "十" + digits[n%10]
}

// ReportInput is the content of a report. The incident's facts (school, title, occurred-at, place)
// are given in the initial report; a later report may change the category, subtype, sensitive
// flag and severity, and the deadlines follow. Nil fields are left as they are.
type ReportInput struct {
	// Draft saves the report without submitting it.
	Draft bool `json:"draft"`

	SchoolID   *int64     `json:"school_id"`
	Title      *string    `json:"title"`
	Category   *string    `json:"category"`
	Subtype    *string    `json:"subtype"`
	Sensitive  *bool      `json:"sensitive"`
	Severity   *Severity  `json:"severity"`
	OccurredAt *time.Time `json:"occurred_at"`
	Place      *string    `json:"place"`

	Summary       *string `json:"summary"`
	Dead          *int    `json:"dead"`
	Injured       *int    `json:"injured"`
	Missing       *int    `json:"missing"`
	PropertyLoss  *int64  `json:"property_loss"`
	Cause         *string `json:"cause"`
	Measures      *string `json:"measures"`
	LeadersOnSite *string `json:"leaders_on_site"`
	NextSteps     *string `json:"next_steps"`
	ReporterName  *string `json:"reporter_name"`
	ReporterPhone *string `json:"reporter_phone"`
	Resolved      *bool   `json:"resolved"`
	LateReason    *string `json:"late_reason"`
}

var phonePattern = regexp.MustCompile(`^[0-9+\-() ]{5,20}$`)

// apply copies the set fields onto the incident and the report and checks each value on its own.
// The incident's opening facts may change only while its initial report is a draft.
func (in ReportInput) apply(inc *Incident, r *Report) models.Problems {
	p := models.Problems{}
	opening := r.Kind == ReportInitial && inc.Status == IncidentDraft
	text := func(field string, dst *string, src *string, max int) {
		if src == nil {
			return
		}
		*dst = strings.TrimSpace(*src)
		if utf8.RuneCountInString(*dst) > max {
			p.Add(field, "不超过"+strconv.Itoa(max)+"字")
		}
	}
	count := func(field string, dst *int, src *int) {
		if src == nil {
			return
		}
		*dst = *src
		if *dst < 0 || *dst > 100000 {
			p.Add(field, "应为0到100000之间的整数")
		}
	}
	if !opening {
		for field, given := range map[string]bool{"school_id": in.SchoolID != nil, "title": in.Title != nil,
			"occurred_at": in.OccurredAt != nil, "place": in.Place != nil} {
			if given {
				p.Add(field, "只能在首报中填写")
			}
		}
	} else {
		text("title", &inc.Title, in.Title, 100)
		text("place", &inc.Place, in.Place, 200)
		if in.OccurredAt != nil {
			inc.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
		}
	}
	if in.Category != nil {
		c, ok := ParseCategory(*in.Category)
		if !ok {
			p.Add("category", "事件类别须为 natural_disaster、accident、public_health、social_security、exam_safety、network_security 或 public_opinion")
		}
		inc.Category = c
	}
	if in.Subtype != nil {
		inc.Subtype = strings.TrimSpace(*in.Subtype)
	}
	if inc.Subtype != "" && inc.Category != "" && !inc.Category.HasSubtype(inc.Subtype) {
		p.Add("subtype", "该事件类别下没有此子类")
	}
	if in.Sensitive != nil {
		inc.Sensitive = *in.Sensitive
	}
	if in.Severity != nil {
		if !in.Severity.Valid() {
			p.Add("severity", "事件等级须为1（Ⅰ级）到4（Ⅳ级）")
		}
		inc.Severity = *in.Severity
	}
	r.Severity = inc.Severity
	text("summary", &r.Summary, in.Summary, 5000)
	count("dead", &r.Dead, in.Dead)
	count("injured", &r.Injured, in.Injured)
	count("missing", &r.Missing, in.Missing)
	if in.PropertyLoss != nil {
		r.PropertyLoss = *in.PropertyLoss
		if r.PropertyLoss < 0 {
			p.Add("property_loss", "财产损失（元）不能为负")
		}
	}
	text("cause", &r.Cause, in.Cause, 5000)
	text("measures", &r.Measures, in.Measures, 5000)
	text("leaders_on_site", &r.LeadersOnSite, in.LeadersOnSite, 500)
	text("next_steps", &r.NextSteps, in.NextSteps, 5000)
	text("reporter_name", &r.ReporterName, in.ReporterName, 64)
	text("reporter_phone", &r.ReporterPhone, in.ReporterPhone, 20)
	if r.ReporterPhone != "" && !phonePattern.MatchString(r.ReporterPhone) {
		p.Add("reporter_phone", "电话号码格式不正确")
	}
	if in.Resolved != nil {
		if *in.Resolved && r.Kind != ReportFollowUp {
			p.Add("resolved", "只有续报可以报告处置完毕")
		}
		r.Resolved = *in.Resolved
	}
	text("late_reason", &r.LateReason, in.LateReason, 2000)
	return p
}

// checkComplete adds a problem for every field a submitted report must have.
func checkComplete(inc *Incident, r *Report, now time.Time, p models.Problems) {
	need := func(field, value, msg string) {
		if value == "" {
			p.Add(field, msg)
		}
	}
	if r.Kind == ReportInitial {
		need("title", inc.Title, "请填写事件标题")
		need("category", string(inc.Category), "请选择事件类别")
		need("place", inc.Place, "请填写事发地点")
		if inc.OccurredAt.IsZero() {
			p.Add("occurred_at", "请填写事发时间")
		} else if inc.OccurredAt.After(now.Add(5 * time.Minute)) {
			p.Add("occurred_at", "事发时间不能晚于当前时间")
		}
	}
	if !inc.Severity.Valid() {
		p.Add("severity", "请选择事件等级（1–4）")
	}
	switch r.Kind {
	case ReportInitial:
		need("summary", r.Summary, "请简述事件基本情况（快报事实）")
	case ReportFollowUp:
		need("summary", r.Summary, "请填写事件进展")
	case ReportFinal:
		need("summary", r.Summary, "请总结事件经过与处置情况")
		need("cause", r.Cause, "终报须写明事件原因及责任")
	}
	if r.Channel == ChannelWritten {
		need("reporter_name", r.ReporterName, "请填写报送人姓名")
		need("reporter_phone", r.ReporterPhone, "请填写报送人电话")
	}
}
