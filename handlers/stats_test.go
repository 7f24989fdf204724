package handlers_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/stats"
	"dutydesk/models/store"
)

// lateIncidentWithMissedFollowUp files, through the API, an incident whose written initial
// report comes three hours after occurrence (both initial deadlines, phone and written, pass:
// one late report), whose follow-up due at 17:00 is never filed (the final report the next
// morning supersedes it: one missed report), and which the desk signs twice.
func lateIncidentWithMissedFollowUp(t *testing.T, h *harness) {
	t.Helper()
	occurred := time.Date(2026, 10, 8, 7, 0, 0, 0, testenv.Shanghai) // the clock stands at 10:00
	body := incidentBody(h.dir.School1A.ID, 4, occurred)
	body["late_reason"] = "家长未及时告知学校"
	r := h.do("POST", "/api/v1/incidents", h.dir.Reporter, body)
	expect(t, r, http.StatusCreated)
	var inc incidentJSON
	r.JSON(t, &inc)
	h.clock.Advance(5 * time.Minute)
	expect(t, h.do("POST", fmt.Sprintf("/api/v1/incidents/%d/reports/%d/sign", inc.ID, inc.Reports[0].ID), h.dir.Officer, nil), http.StatusOK)

	h.clock.Set(time.Date(2026, 10, 9, 9, 0, 0, 0, testenv.Shanghai))
	h.tokens = map[string]string{} // yesterday's logins have expired
	final := map[string]any{"kind": "final", "summary": "学生已出院，事件处置完毕", "cause": "学生私自下河游泳",
		"reporter_name": "王校长", "reporter_phone": "13800000001"}
	r = h.do("POST", fmt.Sprintf("/api/v1/incidents/%d/reports", inc.ID), h.dir.Reporter, final)
	expect(t, r, http.StatusCreated)
	var report struct{ ID int64 }
	r.JSON(t, &report)
	h.clock.Advance(5 * time.Minute)
	expect(t, h.do("POST", fmt.Sprintf("/api/v1/incidents/%d/reports/%d/sign", inc.ID, report.ID), h.dir.Officer, nil), http.StatusOK)
}

type statsJSON struct {
	District  *struct{ ID int64 } `json:"district"`
	Incidents struct {
		Total int64 `json:"total"`
	} `json:"incidents"`
	Reports struct {
		ByKind []stats.DeadlineCounts `json:"by_kind"`
	} `json:"reports"`
	Serials stats.SerialStats `json:"serials"`
	Duty    *struct{}         `json:"duty"`
}

func TestStatsThroughTheAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		lateIncidentWithMissedFollowUp(t, h)

		t.Run("LateAndMissedCountedOnceEach", func(t *testing.T) {
			r := h.do("GET", "/api/v1/stats", h.dir.Leader, nil) // no period: this year
			expect(t, r, http.StatusOK)
			var st statsJSON
			r.JSON(t, &st)
			want := []stats.DeadlineCounts{
				{Kind: "initial", Name: "首报", Due: 1, Late: 1},
				{Kind: "follow_up", Name: "续报", Due: 1, Missed: 1},
				{Kind: "final", Name: "终报", Due: 1, OnTime: 1},
				{Kind: "signature", Name: "签收", Due: 2, OnTime: 2},
				{Kind: "forward", Name: "上报"},
			}
			if st.Incidents.Total != 1 || !reflect.DeepEqual(st.Reports.ByKind, want) {
				t.Fatalf("incidents %d, by kind\n got %+v\nwant %+v", st.Incidents.Total, st.Reports.ByKind, want)
			}
			if want := (stats.SerialStats{Issued: 1, First: "2026-001", Last: "2026-001", LateIssues: 1, MissedIssues: 1}); st.Serials != want {
				t.Fatalf("serials %+v, want %+v", st.Serials, want)
			}
			if st.Duty == nil {
				t.Fatal("the leader does not see the duty figures")
			}
		})

		t.Run("Scope", func(t *testing.T) {
			for _, u := range []*models.User{h.dir.Admin, h.dir.Officer, h.dir.Leader} {
				expect(t, h.do("GET", "/api/v1/stats?from=2026-01-01&to=2026-12-31", u, nil), http.StatusOK)
			}
			r := h.do("GET", "/api/v1/stats?from=2026-01-01&to=2026-12-31", h.dir.DistrictOfficer, nil)
			expect(t, r, http.StatusOK)
			var st statsJSON
			r.JSON(t, &st)
			if st.District == nil || st.District.ID != h.dir.District1.ID || st.Incidents.Total != 1 || st.Duty != nil {
				t.Fatalf("district officer sees %s", r.Body)
			}
			other := fmt.Sprintf("/api/v1/stats?district=%d", h.dir.District2.ID)
			if e := h.do("GET", other, h.dir.DistrictOfficer, nil).Err(t); e.Error.Code != "forbidden" {
				t.Fatalf("another district: %+v", e.Error)
			}
			r = h.do("GET", other, h.dir.Admin, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &st)
			if st.Incidents.Total != 0 || st.Serials.Issued != 0 {
				t.Fatalf("District2 has no incidents: %s", r.Body)
			}
			for _, path := range []string{"/api/v1/stats", "/api/v1/stats/export.xlsx", "/api/v1/stats/export.csv", "/api/v1/stats/summary"} {
				r := h.do("GET", path, h.dir.Reporter, nil)
				expect(t, r, http.StatusForbidden)
				if e := r.Err(t); e.Error.Code != "forbidden" {
					t.Fatalf("%s for a school: %+v", path, e.Error)
				}
				expect(t, h.do("GET", path, nil, nil), http.StatusUnauthorized)
			}
		})

		t.Run("BadPeriod", func(t *testing.T) {
			expect(t, h.do("GET", "/api/v1/stats?from=yesterday&to=2026-12-31", h.dir.Admin, nil), http.StatusBadRequest)
			expect(t, h.do("GET", "/api/v1/stats?from=2026-01-01", h.dir.Admin, nil), http.StatusUnprocessableEntity)
			r := h.do("GET", "/api/v1/stats?from=2026-12-31&to=2026-01-01", h.dir.Admin, nil)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Fields["to"] == "" {
				t.Fatalf("reversed period: %+v", e.Error)
			}
			expect(t, h.do("GET", "/api/v1/stats?district=abc", h.dir.Admin, nil), http.StatusBadRequest)
			expect(t, h.do("GET", "/api/v1/stats?district=999", h.dir.Admin, nil), http.StatusUnprocessableEntity)
		})

		t.Run("XLSX", func(t *testing.T) {
			r := h.do("GET", "/api/v1/stats/export.xlsx?from=2026-01-01&to=2026-12-31", h.dir.Admin, nil)
			expect(t, r, http.StatusOK)
			if !strings.Contains(r.Header.Get("Content-Disposition"), url.PathEscape("值班统计_20260101_20261231.xlsx")) {
				t.Fatalf("disposition %q", r.Header.Get("Content-Disposition"))
			}
			f, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheets := f.GetSheetList()
			for _, want := range []string{"概况", "事件类别", "事件等级", "月度分布", "区县分布", "报送时效", "报送用时", "气象预警", "预警确认与平安报", "督办升级", "值班人员", "交接班"} {
				if !slices.Contains(sheets, want) {
					t.Fatalf("sheets %v lack %s", sheets, want)
				}
			}
			rows, err := f.GetRows("报送时效")
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"类型", "应报", "按时", "迟报", "漏报", "逾期未报", "未到期"}, {"首报", "1", "0", "1", "0", "0", "0"}, {"续报", "1", "0", "0", "1", "0", "0"}}
			if !reflect.DeepEqual(rows[:3], want) {
				t.Fatalf("报送时效 %v, want %v", rows[:3], want)
			}
			overview, _ := f.GetRows("概况")
			if overview[0][0] != "指标" || !statsRowIn(overview, []string{"报送信息（期）", "1"}) || !statsRowIn(overview, []string{"其中迟报（期）", "1"}) {
				t.Fatalf("概况 %v", overview)
			}
		})

		t.Run("CSV", func(t *testing.T) {
			r := h.do("GET", "/api/v1/stats/export.csv?from=2026-01-01&to=2026-12-31&table=reports_by_kind", h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			if !bytes.HasPrefix(r.Body, []byte("\ufeff")) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("csv without BOM or type: %q", r.Header.Get("Content-Type"))
			}
			records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"类型", "应报", "按时", "迟报", "漏报", "逾期未报", "未到期"}, {"首报", "1", "0", "1", "0", "0", "0"},
				{"续报", "1", "0", "0", "1", "0", "0"}, {"终报", "1", "1", "0", "0", "0", "0"}, {"签收", "2", "2", "0", "0", "0", "0"}, {"上报", "0", "0", "0", "0", "0", "0"}}
			if !reflect.DeepEqual(records, want) {
				t.Fatalf("csv %v, want %v", records, want)
			}
			all := h.do("GET", "/api/v1/stats/export.csv", h.dir.Officer, nil)
			expect(t, all, http.StatusOK)
			for _, title := range []string{"概况", "报送时效", "值班人员"} {
				if !bytes.Contains(all.Body, []byte("\n"+title+"\n")) && !bytes.HasPrefix(bytes.TrimPrefix(all.Body, []byte("\ufeff")), []byte(title+"\n")) {
					t.Fatalf("the full CSV lacks the table %s", title)
				}
			}
			r = h.do("GET", "/api/v1/stats/export.csv?table=nonsense", h.dir.Officer, nil)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Fields["table"] == "" {
				t.Fatalf("unknown table: %+v", e.Error)
			}
		})

		t.Run("PrintableSummary", func(t *testing.T) {
			r := h.do("GET", "/api/v1/stats/summary?from=2026-01-01&to=2026-12-31", h.dir.Leader, nil)
			expect(t, r, http.StatusOK)
			page := string(r.Body)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("content type %q", r.Header.Get("Content-Type"))
			}
			for _, want := range []string{
				"<title>2026年全市教育系统应急值守工作统计</title>",
				"全年共报送突发事件信息1期（2026-001），其中迟报1期、漏报1期。",
				"首报应报1次、按时0次、迟报1次；续报应报1次、按时0次、漏报1次；终报应报1次、按时1次；签收应办2次、按时2次。",
				"<caption>报送时效</caption>",
			} {
				if !strings.Contains(page, want) {
					t.Fatalf("summary lacks %q:\n%s", want, page)
				}
			}
			r = h.do("GET", fmt.Sprintf("/api/v1/stats/summary?district=%d", h.dir.District1.ID), h.dir.DistrictOfficer, nil)
			expect(t, r, http.StatusOK)
			if page := string(r.Body); !strings.Contains(page, "全年，东湖区共报送突发事件信息1期") || strings.Contains(page, "四、值班值守") {
				t.Fatalf("district summary:\n%s", page)
			}
		})
	})
}

func statsRowIn(rows [][]string, want []string) bool {
	for _, r := range rows {
		if reflect.DeepEqual(r, want) {
			return true
		}
	}
	return false
}
