package stats_test

import (
	"reflect"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/alert"
	"dutydesk/models/directory"
	"dutydesk/models/stats"
)

// TestSummaryBranches pins the prose of the summary where the seeded year does not reach: nothing
// to say, one 期 only, one district, part of a year, durations in seconds and hours, no duty.
func TestSummaryBranches(t *testing.T) {
	year := func(st stats.Stats) stats.Stats {
		st.From, st.To = time.Date(2026, 1, 1, 0, 0, 0, 0, testenv.Shanghai), time.Date(2027, 1, 1, 0, 0, 0, 0, testenv.Shanghai)
		return st
	}
	for _, tc := range []struct {
		name  string
		stats stats.Stats
		want  []string
	}{
		{
			name:  "NothingToSay",
			stats: year(stats.Stats{Duty: &stats.DutyStats{}}),
			want: []string{
				"一、信息报送。全年共报送突发事件信息0期，其中迟报0期、漏报0期。发生并报告突发事件0起。",
				"二、预警响应。全年转发气象预警0次。",
				"三、督办提醒。全年超时自动提醒和逐级督办0次。",
				"四、值班值守。全年安排值班0班次，其中节假日0班次、加强值班0班次，累计值班0小时，0人参加值班。",
			},
		},
		{
			name: "OneDistrictPartOfAYear",
			stats: stats.Stats{
				From:     time.Date(2026, 7, 1, 0, 0, 0, 0, testenv.Shanghai),
				To:       time.Date(2026, 10, 1, 0, 0, 0, 0, testenv.Shanghai),
				District: &directory.District{ID: 1, Name: "东湖区"},
				Serials:  stats.SerialStats{Issued: 1, First: "2026-007", Last: "2026-007"},
				Incidents: stats.IncidentStats{Total: 1,
					ByCategory: []stats.CountRow{{Name: "自然灾害"}, {Name: "事故灾难", Count: 1}},
					BySeverity: []stats.CountRow{{Name: "Ⅲ级（较大）"}, {Name: "Ⅳ级（一般）", Count: 1}}},
				Reports: stats.ReportStats{
					ByKind: []stats.DeadlineCounts{{Kind: "initial", Name: "首报", Due: 1, OnTime: 1}, {Kind: "follow_up", Name: "续报"},
						{Kind: "signature", Name: "签收", Due: 1, Missed: 1}},
					OccurrenceToInitial: stats.Durations{Count: 1, MedianSeconds: f64(42), P90Seconds: f64(3*3600 + 900)},
				},
				Alerts: stats.AlertStats{Total: 1,
					ByTypeLevel:     []stats.AlertCountRow{{Type: alert.AlertRainstorm, TypeName: "暴雨", Level: alert.LevelYellow, LevelName: "黄色", Count: 1}},
					ByType:          []stats.CountRow{{Key: string(alert.AlertTyphoon), Name: "台风"}, {Key: string(alert.AlertRainstorm), Name: "暴雨", Count: 1}},
					SchoolsNotified: 3, AckRate: f64(0),
					Safety: stats.SafetyStats{Rounds: 1, Expected: 3, Filed: 2, Missing: 1, CompletionRate: f64(2.0 / 3)}},
				Escalations: stats.EscalationStats{Total: 1, ByStep: []stats.CountRow{{Name: "第1级", Count: 1}}},
			},
			want: []string{
				"一、信息报送。统计期内，东湖区共报送突发事件信息1期（2026-007），其中迟报0期、漏报0期。发生并报告突发事件1起，" +
					"按类别分事故灾难1起；按等级分Ⅳ级（一般）1起。首报应报1次、按时1次；签收应办1次、按时0次、未办1次。" +
					"自事发至首报用时中位数42秒、90%的事件在3.3小时内首报。",
				"二、预警响应。统计期内转发气象预警1次，其中暴雨预警1次（黄色1次）。通知学校3校次，确认0校次，确认率0%。" +
					"平安报应报3份，已报2份（其中迟报0份），未报1份，完成率66.7%。",
				"三、督办提醒。统计期内超时自动提醒和逐级督办1次，其中第1级1次。",
			},
		},
		{
			name: "HandoversAllOnTime",
			stats: year(stats.Stats{Duty: &stats.DutyStats{Shifts: 2, Hours: 16.5,
				People:    []stats.DutyPersonStats{{UserID: 7, Shifts: 2}, {UserID: 7, Shifts: 1}, {UserID: 9, Shifts: 1}},
				Handovers: stats.DeadlineCounts{Due: 2, OnTime: 2}}}),
			want: []string{
				"一、信息报送。全年共报送突发事件信息0期，其中迟报0期、漏报0期。发生并报告突发事件0起。",
				"二、预警响应。全年转发气象预警0次。",
				"三、督办提醒。全年超时自动提醒和逐级督办0次。",
				"四、值班值守。全年安排值班2班次，其中节假日0班次、加强值班0班次，累计值班16.5小时，2人参加值班。交接班应签收2次，按时签收2次。",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.stats.Summary(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("summary\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}
