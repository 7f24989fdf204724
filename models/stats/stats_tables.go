package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StatsTable is one table of the statistics as the exports write it: a sheet of the .xlsx, a
// section of the CSV. Headers are in Chinese.
type StatsTable struct {
	// Key names the table in ?table= of the CSV export.
	Key     string
	Title   string
	Headers []string
	Rows    [][]any
}

// Tables lays the figures out as tables, the key figures first.
func (st *Stats) Tables() []StatsTable {
	count := func(key, title, head string, rows []CountRow) StatsTable {
		t := StatsTable{Key: key, Title: title, Headers: []string{head, "数量"}}
		for _, r := range rows {
			t.Rows = append(t.Rows, []any{r.Name, r.Count})
		}
		return t
	}
	tables := []StatsTable{
		{Key: "overview", Title: "概况", Headers: []string{"指标", "数值"}, Rows: st.overview()},
		count("incidents_by_category", "事件类别", "类别", st.Incidents.ByCategory),
		count("incidents_by_severity", "事件等级", "等级", st.Incidents.BySeverity),
		count("incidents_by_month", "月度分布", "月份", st.Incidents.ByMonth),
		count("incidents_by_district", "区县分布", "区县", st.Incidents.ByDistrict),
	}
	timeliness := StatsTable{Key: "reports_by_kind", Title: "报送时效", Headers: []string{"类型", "应报", "按时", "迟报", "漏报", "逾期未报", "未到期"}}
	for _, k := range st.Reports.ByKind {
		timeliness.Rows = append(timeliness.Rows, []any{k.Name, k.Due, k.OnTime, k.Late, k.Missed, k.Overdue, k.Pending})
	}
	durations := StatsTable{Key: "report_times", Title: "报送用时", Headers: []string{"指标", "件数", "中位数（分钟）", "90%分位（分钟）"}}
	for _, d := range []struct {
		name string
		d    Durations
	}{{"事发至首报", st.Reports.OccurrenceToInitial}, {"提交至签收", st.Reports.SubmissionToSignature}, {"预警发出至学校确认", st.Alerts.AckTime}} {
		durations.Rows = append(durations.Rows, []any{d.name, d.d.Count, minutes(d.d.MedianSeconds), minutes(d.d.P90Seconds)})
	}
	alerts := StatsTable{Key: "alerts", Title: "气象预警", Headers: []string{"预警类型", "最高级别", "次数"}}
	for _, r := range st.Alerts.ByTypeLevel {
		alerts.Rows = append(alerts.Rows, []any{r.TypeName, r.LevelName, r.Count})
	}
	sf := st.Alerts.Safety
	response := StatsTable{Key: "alert_response", Title: "预警确认与平安报", Headers: []string{"指标", "数值"}, Rows: [][]any{
		{"通知学校（校次）", st.Alerts.SchoolsNotified}, {"已确认（校次）", st.Alerts.SchoolsAcknowledged},
		{"确认率", percent(st.Alerts.AckRate)}, {"平安报轮次", sf.Rounds}, {"平安报应报（份）", sf.Expected},
		{"已报（份）", sf.Filed}, {"其中按时", sf.OnTime}, {"其中迟报", sf.Late}, {"未报（份）", sf.Missing},
		{"未到期（份）", sf.Pending}, {"完成率", percent(sf.CompletionRate)}, {"报告受灾（份）", sf.Damage},
		{"受伤（人）", sf.Injured}, {"财产损失（元）", sf.PropertyLoss},
	}}
	escalations := StatsTable{Key: "escalations", Title: "督办升级", Headers: []string{"事项", "级别", "次数"}}
	for _, e := range st.Escalations.ByKindStep {
		escalations.Rows = append(escalations.Rows, []any{e.Name, fmt.Sprintf("第%d级", e.Step+1), e.Count})
	}
	tables = append(tables, timeliness, durations, alerts, response, escalations)
	if d := st.Duty; d != nil {
		duty := StatsTable{Key: "duty", Title: "值班人员", Headers: []string{"姓名", "岗位", "班次", "节假日班次", "时长（小时）"}}
		for _, p := range d.People {
			duty.Rows = append(duty.Rows, []any{p.Name, p.RoleName, p.Shifts, p.HolidayShifts, p.Hours})
		}
		h := d.Handovers
		handovers := StatsTable{Key: "handovers", Title: "交接班", Headers: []string{"应签收", "按时", "迟签", "逾期未签", "未到期"},
			Rows: [][]any{{h.Due, h.OnTime, h.Late, h.Overdue, h.Pending}}}
		tables = append(tables, duty, handovers)
	}
	return tables
}

// overview lists the key figures.
func (st *Stats) overview() [][]any {
	rows := [][]any{
		{"统计区间", st.PeriodLabel()}, {"统计范围", st.ScopeName()},
		{"报送信息（期）", st.Serials.Issued}, {"期号", serialRange(st.Serials)},
		{"其中迟报（期）", st.Serials.LateIssues}, {"其中漏报（期）", st.Serials.MissedIssues},
		{"突发事件（起）", st.Incidents.Total}, {"其中敏感事件（起）", st.Incidents.Sensitive},
		{"事发至首报用时中位数（分钟）", minutes(st.Reports.OccurrenceToInitial.MedianSeconds)},
		{"签收用时中位数（分钟）", minutes(st.Reports.SubmissionToSignature.MedianSeconds)},
		{"气象预警（次）", st.Alerts.Total}, {"预警确认率", percent(st.Alerts.AckRate)},
		{"平安报完成率", percent(st.Alerts.Safety.CompletionRate)}, {"督办升级（次）", st.Escalations.Total},
	}
	if d := st.Duty; d != nil {
		rows = append(rows, []any{"值班班次", d.Shifts}, []any{"其中节假日班次", d.HolidayShifts},
			[]any{"其中加强值班班次", d.EnhancedShifts}, []any{"值班总时长（小时）", d.Hours},
			[]any{"交接班按时签收（次）", d.Handovers.OnTime})
	}
	return append(rows, []any{"生成时间", st.GeneratedAt.In(st.From.Location()).Format("2006-01-02 15:04")})
}

// PeriodLabel names the period: "2026年" for a calendar year, otherwise "2026年1月1日至2026年6月30日".
func (st *Stats) PeriodLabel() string {
	from, last := st.From, st.To.Add(-time.Nanosecond).In(st.From.Location())
	if from.Equal(time.Date(from.Year(), 1, 1, 0, 0, 0, 0, from.Location())) && st.To.Equal(from.AddDate(1, 0, 0)) {
		return fmt.Sprintf("%d年", from.Year())
	}
	day := func(t time.Time) string { return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day()) }
	return day(from) + "至" + day(last)
}

// wholeYear tells whether the period is one calendar year.
func (st *Stats) wholeYear() bool { return !strings.Contains(st.PeriodLabel(), "至") }

// ScopeName names what the figures cover: 全市 or the district.
func (st *Stats) ScopeName() string {
	if st.District != nil {
		return st.District.Name
	}
	return "全市"
}

// Summary writes the figures as the duty section of an annual report, one paragraph per theme:
// "全年共报送突发事件信息33期，其中迟报0期、漏报0期…".
func (st *Stats) Summary() []string {
	when := "全年"
	if !st.wholeYear() {
		when = "统计期内"
	}
	var out []string

	sr := st.Serials
	who := when
	if st.District != nil {
		who += "，" + st.District.Name
	}
	p := fmt.Sprintf("一、信息报送。%s共报送突发事件信息%d期", who, sr.Issued)
	if sr.Issued > 0 {
		p += "（" + serialRange(sr) + "）"
	}
	p += fmt.Sprintf("，其中迟报%d期、漏报%d期。", sr.LateIssues, sr.MissedIssues)
	inc := st.Incidents
	p += fmt.Sprintf("发生并报告突发事件%d起", inc.Total)
	if inc.Total > 0 {
		p += "，按类别分" + joinCounts(inc.ByCategory, "起") + "；按等级分" + joinCounts(inc.BySeverity, "起")
		if inc.Sensitive > 0 {
			p += fmt.Sprintf("；涉敏感事件%d起", inc.Sensitive)
		}
	}
	p += "。"
	var kinds []string
	for _, k := range st.Reports.ByKind {
		if k.Due == 0 {
			continue
		}
		// The school reports (报); the desk signs for and forwards (办): lateness reads differently.
		due, late, missed, overdue := "应报", "迟报", "漏报", "逾期未报"
		if k.Kind == "signature" || k.Kind == "forward" {
			due, late, missed, overdue = "应办", "超时", "未办", "逾期未办"
		}
		s := fmt.Sprintf("%s%s%d次、按时%d次", k.Name, due, k.Due, k.OnTime)
		if k.Late > 0 {
			s += fmt.Sprintf("、%s%d次", late, k.Late)
		}
		if k.Missed > 0 {
			s += fmt.Sprintf("、%s%d次", missed, k.Missed)
		}
		if k.Overdue > 0 {
			s += fmt.Sprintf("、%s%d次", overdue, k.Overdue)
		}
		kinds = append(kinds, s)
	}
	if len(kinds) > 0 {
		p += strings.Join(kinds, "；") + "。"
	}
	if d := st.Reports.OccurrenceToInitial; d.Count > 0 {
		p += fmt.Sprintf("自事发至首报用时中位数%s、90%%的事件在%s内首报", duration(d.MedianSeconds), duration(d.P90Seconds))
		if s := st.Reports.SubmissionToSignature; s.Count > 0 {
			p += fmt.Sprintf("；值班室签收用时中位数%s", duration(s.MedianSeconds))
		}
		p += "。"
	}
	out = append(out, p)

	a := st.Alerts
	p = fmt.Sprintf("二、预警响应。%s转发气象预警%d次", when, a.Total)
	if a.Total > 0 {
		var types []string
		for _, t := range a.ByType {
			if t.Count == 0 {
				continue
			}
			var levels []string
			for _, r := range a.ByTypeLevel {
				if string(r.Type) == t.Key {
					levels = append(levels, fmt.Sprintf("%s%d次", r.LevelName, r.Count))
				}
			}
			types = append(types, fmt.Sprintf("%s预警%d次（%s）", t.Name, t.Count, strings.Join(levels, "、")))
		}
		p += "，其中" + strings.Join(types, "、")
	}
	p += "。"
	if a.SchoolsNotified > 0 {
		p += fmt.Sprintf("通知学校%d校次，确认%d校次，确认率%s", a.SchoolsNotified, a.SchoolsAcknowledged, percent(a.AckRate))
		if a.AckTime.Count > 0 {
			p += "，确认用时中位数" + duration(a.AckTime.MedianSeconds)
		}
		p += "。"
	}
	if sf := a.Safety; sf.Expected > 0 {
		p += fmt.Sprintf("平安报应报%d份，已报%d份（其中迟报%d份），未报%d份，完成率%s", sf.Expected, sf.Filed, sf.Late, sf.Missing, percent(sf.CompletionRate))
		if sf.Damage > 0 {
			p += fmt.Sprintf("；报告受灾%d份，受伤%d人，财产损失%d元", sf.Damage, sf.Injured, sf.PropertyLoss)
		}
		p += "。"
	}
	out = append(out, p)

	e := st.Escalations
	p = fmt.Sprintf("三、督办提醒。%s超时自动提醒和逐级督办%d次", when, e.Total)
	if e.Total > 0 {
		p += "，其中" + joinCounts(e.ByStep, "次")
	}
	out = append(out, p+"。")

	if d := st.Duty; d != nil {
		people := map[int64]bool{}
		for _, person := range d.People {
			people[person.UserID] = true
		}
		p = fmt.Sprintf("四、值班值守。%s安排值班%d班次，其中节假日%d班次、加强值班%d班次，累计值班%s小时，%d人参加值班。",
			when, d.Shifts, d.HolidayShifts, d.EnhancedShifts, strconv.FormatFloat(d.Hours, 'f', -1, 64), len(people))
		if h := d.Handovers; h.Due > 0 {
			p += fmt.Sprintf("交接班应签收%d次，按时签收%d次", h.Due, h.OnTime)
			if h.Late > 0 {
				p += fmt.Sprintf("、迟签%d次", h.Late)
			}
			if h.Overdue > 0 {
				p += fmt.Sprintf("、逾期未签%d次", h.Overdue)
			}
			p += "。"
		}
		out = append(out, p)
	}
	return out
}

// joinCounts writes the non-zero rows as "事故灾难2起、公共卫生事件1起".
func joinCounts(rows []CountRow, unit string) string {
	var parts []string
	for _, r := range rows {
		if r.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s%d%s", r.Name, r.Count, unit))
		}
	}
	return strings.Join(parts, "、")
}

func serialRange(sr SerialStats) string {
	switch {
	case sr.Issued == 0:
		return ""
	case sr.First == sr.Last:
		return sr.First
	}
	return sr.First + "至" + sr.Last
}

// minutes writes seconds as minutes with at most one decimal; "" when there is no value.
func minutes(seconds *float64) string {
	if seconds == nil {
		return ""
	}
	return strconv.FormatFloat(float64(int64(*seconds/60*10+0.5))/10, 'f', -1, 64)
}

// duration writes seconds for people: 45秒, 12.5分钟, 3.2小时; "—" when there is no value. It
// takes a pointer, as minutes and percent do, because Durations hold nil when nothing was measured.
func duration(seconds *float64) string {
	switch {
	case seconds == nil:
		return "—"
	case *seconds < 60:
		return fmt.Sprintf("%.0f秒", *seconds)
	case *seconds < 2*3600:
		return minutes(seconds) + "分钟"
	}
	return strconv.FormatFloat(float64(int64(*seconds/3600*10+0.5))/10, 'f', -1, 64) + "小时"
}

// percent writes a ratio as "85.7%"; "—" when there is none.
func percent(r *float64) string {
	if r == nil {
		return "—"
	}
	return strconv.FormatFloat(float64(int64(*r*1000+0.5))/10, 'f', -1, 64) + "%"
}
