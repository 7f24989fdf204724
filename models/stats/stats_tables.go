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
