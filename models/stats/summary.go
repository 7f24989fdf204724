package stats

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"text/template"

	"dutydesk/models/directory"
)

// summaryText holds the wording of the summary, so that changing a sentence means editing the
// template, not Go code.
//
//go:embed summary.tmpl
var summaryText string

// summaryFuncs format figures the way the bureau writes them.
var summaryFuncs = template.FuncMap{
	"percent":  percent,
	"duration": duration,
	// decimal writes hours as 33 or 16.5: printed as is, a float64 would take an exponent when
	// very large or very small.
	"decimal": func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) },
}

// summaryTemplate is parsed once; a broken template stops the program at start-up, and the tests
// render every branch of it.
var summaryTemplate = template.Must(template.New("summary.tmpl").Funcs(summaryFuncs).Parse(summaryText))

// summaryParagraphs are the templates of summary.tmpl, one per paragraph, in the order the
// summary reads. They are executed one by one, not as one text split at line breaks, because a
// district's name may itself hold a line break.
var summaryParagraphs = []string{"reporting", "alerts", "escalations", "duty"}

// summaryData are the figures as summary.tmpl words them. The template decides the words and
// what to say of a zero; this struct decides which rows are worth a mention at all and whose
// action a deadline is, so the template never has to filter or match rows.
type summaryData struct {
	// WholeYear tells a calendar year (全年) from any other period (统计期内).
	WholeYear bool
	// District is the one district the figures are about; nil for the whole city.
	District *directory.District

	Serials SerialStats
	// SerialRange is "2026-001至2026-033", or the one number when only one was given.
	SerialRange string

	Incidents IncidentStats
	// Categories and Severities are the incident classes that occurred, in display order.
	Categories, Severities []CountRow
	// ReportKinds are the kinds of report with anything due, in the order of ReportStats.ByKind.
	ReportKinds                                []summaryReportKind
	OccurrenceToInitial, SubmissionToSignature Durations

	Alerts AlertStats
	// AlertTypes are the warning types issued, in display order, each with the levels reached.
	AlertTypes []summaryAlertType

	Escalations EscalationStats
	// EscalationSteps are the steps of the ladders that fired.
	EscalationSteps []CountRow

	// Duty is nil when the reader may not see the roster; the paragraph is then left out.
	Duty *summaryDuty
}

// summaryReportKind is one row of ReportStats.ByKind as the summary words it.
type summaryReportKind struct {
	DeadlineCounts
	// ByDesk marks the desk's own actions, signing for (签收) and forwarding (上报): the desk does
	// (办) them where a school reports (报), so lateness reads differently.
	ByDesk bool
}

// summaryAlertType is one warning type that was issued, with the highest levels its alerts reached.
type summaryAlertType struct {
	Name   string
	Count  int64
	Levels []AlertCountRow
}

// summaryDuty is the desk's duty as the summary words it.
type summaryDuty struct {
	DutyStats
	// PeopleOnDuty counts people, not assignments: DutyStats.People lists one person once per role.
	PeopleOnDuty int
}

// Summary writes the figures as the duty section of an annual report, one paragraph per theme:
// "一、信息报送。全年共报送突发事件信息33期，其中迟报0期、漏报0期…". The wording is summary.tmpl.
func (st *Stats) Summary() []string {
	data := st.summaryData()
	var out []string
	for _, name := range summaryParagraphs {
		var buf bytes.Buffer
		if err := summaryTemplate.ExecuteTemplate(&buf, name, data); err != nil {
			// The template and the data's types are both fixed at build time and the tests render
			// every branch, so an error here is a bug, not a condition to report to the reader.
			panic(fmt.Sprintf("stats summary paragraph %q: %v", name, err))
		}
		if buf.Len() > 0 {
			out = append(out, buf.String())
		}
	}
	return out
}

// summaryData picks from the figures what the summary mentions.
func (st *Stats) summaryData() summaryData {
	d := summaryData{
		WholeYear:             st.wholeYear(),
		District:              st.District,
		Serials:               st.Serials,
		SerialRange:           serialRange(st.Serials),
		Incidents:             st.Incidents,
		Categories:            nonZero(st.Incidents.ByCategory),
		Severities:            nonZero(st.Incidents.BySeverity),
		OccurrenceToInitial:   st.Reports.OccurrenceToInitial,
		SubmissionToSignature: st.Reports.SubmissionToSignature,
		Alerts:                st.Alerts,
		Escalations:           st.Escalations,
		EscalationSteps:       nonZero(st.Escalations.ByStep),
	}
	for _, k := range st.Reports.ByKind {
		if k.Due > 0 {
			d.ReportKinds = append(d.ReportKinds, summaryReportKind{DeadlineCounts: k, ByDesk: k.Kind == "signature" || k.Kind == "forward"})
		}
	}
	for _, t := range st.Alerts.ByType {
		if t.Count == 0 {
			continue
		}
		at := summaryAlertType{Name: t.Name, Count: t.Count}
		for _, r := range st.Alerts.ByTypeLevel {
			if string(r.Type) == t.Key {
				at.Levels = append(at.Levels, r)
			}
		}
		d.AlertTypes = append(d.AlertTypes, at)
	}
	if st.Duty != nil {
		people := map[int64]bool{}
		for _, p := range st.Duty.People {
			people[p.UserID] = true
		}
		d.Duty = &summaryDuty{DutyStats: *st.Duty, PeopleOnDuty: len(people)}
	}
	return d
}

// nonZero returns the rows with a count: the summary names only what happened.
func nonZero(rows []CountRow) []CountRow {
	var out []CountRow
	for _, r := range rows {
		if r.Count > 0 {
			out = append(out, r)
		}
	}
	return out
}
