package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/store"
)

// incidentBody is a complete initial report as a school sends it.
func incidentBody(schoolID int64, severity int, occurred time.Time) map[string]any {
	return map[string]any{
		"school_id": schoolID, "title": "学生校外溺水", "category": "accident", "subtype": "drowning",
		"severity": severity, "occurred_at": occurred.Format(time.RFC3339), "place": "学校东侧河道",
		"summary": "一名学生放学后在河道游泳溺水，已送医。", "dead": 1,
		"reporter_name": "王校长", "reporter_phone": "13800000001",
	}
}

// incidentJSON is what the API answers about an incident.
type incidentJSON struct {
	ID       int64   `json:"id"`
	Status   string  `json:"status"`
	Serial   *string `json:"serial"`
	Severity int     `json:"severity"`
	Late     int     `json:"late_reports"`
	Reports  []struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
		Late   bool   `json:"late"`
	} `json:"reports"`
	Deadlines []struct {
		Kind  string    `json:"kind"`
		State string    `json:"state"`
		DueAt time.Time `json:"due_at"`
	} `json:"deadlines"`
	Timeline []struct {
		At   time.Time `json:"at"`
		Type string    `json:"type"`
		Text string    `json:"text"`
	} `json:"timeline"`
}

func (h *harness) incident(id int64, user *models.User) incidentJSON {
	h.t.Helper()
	r := h.do("GET", fmt.Sprintf("/api/v1/incidents/%d", id), user, nil)
	expect(h.t, r, http.StatusOK)
	var inc incidentJSON
	r.JSON(h.t, &inc)
	return inc
}

func (h *harness) listTotal(query string, user *models.User) int64 {
	h.t.Helper()
	r := h.do("GET", "/api/v1/incidents"+query, user, nil)
	expect(h.t, r, http.StatusOK)
	var list struct {
		Total int64 `json:"total"`
	}
	r.JSON(h.t, &list)
	return list.Total
}

func TestIncidentReportingThroughTheAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		occurred := h.clock.Now().Add(-10 * time.Minute)
		var inc incidentJSON

		t.Run("FileIsIdempotent", func(t *testing.T) {
			body := incidentBody(h.dir.School1A.ID, 2, occurred)
			first := h.do("POST", "/api/v1/incidents", h.dir.Reporter, body, "Idempotency-Key", "school-1a-001")
			expect(t, first, http.StatusCreated)
			retry := h.do("POST", "/api/v1/incidents", h.dir.Reporter, body, "Idempotency-Key", "school-1a-001")
			expect(t, retry, http.StatusCreated)
			if retry.Header.Get("Idempotent-Replayed") != "true" || string(retry.Body) != string(first.Body) {
				t.Fatalf("retry was not a replay: %s", retry.Body)
			}
			first.JSON(t, &inc)
			if n := h.listTotal("", h.dir.Officer); n != 1 {
				t.Fatalf("%d incidents after a retried filing, want 1", n)
			}
			if inc.Status != "open" || len(inc.Reports) != 1 || inc.Reports[0].Title != "首报" || inc.Reports[0].Status != "submitted" {
				t.Fatalf("filed incident %+v", inc)
			}
		})

		t.Run("CannotFileForAnotherSchool", func(t *testing.T) {
			r := h.do("POST", "/api/v1/incidents", h.dir.Reporter, incidentBody(h.dir.School2A.ID, 4, occurred))
			expect(t, r, http.StatusForbidden)
			if e := r.Err(t); e.Error.Code != "forbidden" || e.Error.Fields["school_id"] == "" {
				t.Fatalf("error %+v", e.Error)
			}
			if n := h.listTotal("", h.dir.Admin); n != 1 {
				t.Fatalf("%d incidents, want 1: the refused filing wrote one", n)
			}
		})

		t.Run("BadInputIsAClearError", func(t *testing.T) {
			body := incidentBody(h.dir.School1A.ID, 7, occurred)
			body["category"] = "alien_invasion"
			r := h.do("POST", "/api/v1/incidents", h.dir.Reporter, body)
			expect(t, r, http.StatusUnprocessableEntity)
			e := r.Err(t)
			if e.Error.Code != "validation_failed" || e.Error.Fields["severity"] == "" || e.Error.Fields["category"] == "" {
				t.Fatalf("error %+v", e.Error)
			}
			body = incidentBody(h.dir.School1A.ID, 4, occurred)
			body["weather"] = "rain"
			expect(t, h.do("POST", "/api/v1/incidents", h.dir.Reporter, body), http.StatusBadRequest)
		})

		t.Run("DeskSignsAndForwards", func(t *testing.T) {
			reportPath := fmt.Sprintf("/api/v1/incidents/%d/reports/%d", inc.ID, inc.Reports[0].ID)
			expect(t, h.do("POST", reportPath+"/sign", h.dir.Reporter, nil), http.StatusForbidden)
			r := h.do("POST", reportPath+"/sign", h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			var signed struct {
				Report   struct{ Status string }
				Incident struct{ Serial string }
			}
			r.JSON(t, &signed)
			if signed.Report.Status != "signed" || signed.Incident.Serial != "2026-001" {
				t.Fatalf("signed %s", r.Body)
			}
			expect(t, h.do("POST", reportPath+"/sign", h.dir.Officer, nil), http.StatusConflict)
			fwd := map[string]any{"recipient": "市政府总值班室", "method": "phone", "note": "已电话报告"}
			expect(t, h.do("POST", reportPath+"/forward", h.dir.Officer, fwd), http.StatusCreated)
		})

		t.Run("LeaderInstructsSchoolAnswers", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/incidents/%d/instructions", inc.ID)
			expect(t, h.do("POST", path, h.dir.Officer, map[string]any{"text": "请核实"}), http.StatusForbidden)
			r := h.do("POST", path, h.dir.Leader, map[string]any{"text": "全力救治，做好家属安抚工作。"})
			expect(t, r, http.StatusCreated)
			var ins struct{ ID int64 }
			r.JSON(t, &ins)
			expect(t, h.do("POST", fmt.Sprintf("%s/%d/reply", path, ins.ID), h.dir.Reporter, map[string]any{"reply": "已落实"}), http.StatusOK)
		})

		t.Run("LateFollowUpNeedsReason", func(t *testing.T) {
			h.clock.Set(time.Date(2026, 10, 8, 17, 0, 1, 0, testenv.Shanghai)) // the 17:00 follow-up is a second late
			if n := h.listTotal("?overdue=true", h.dir.Officer); n != 1 {
				t.Fatalf("overdue list has %d incidents, want 1", n)
			}
			path := fmt.Sprintf("/api/v1/incidents/%d/reports", inc.ID)
			body := map[string]any{"kind": "follow_up", "summary": "学生仍在抢救", "reporter_name": "王校长", "reporter_phone": "13800000001"}
			r := h.do("POST", path, h.dir.Reporter, body)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Fields["late_reason"] == "" {
				t.Fatalf("error %+v", e.Error)
			}
			body["late_reason"] = "校长在医院陪护，未能按时报送"
			r = h.do("POST", path, h.dir.Reporter, body)
			expect(t, r, http.StatusCreated)
			var fu struct {
				Title string
				Late  bool
			}
			r.JSON(t, &fu)
			if fu.Title != "续报一" || !fu.Late {
				t.Fatalf("follow-up %s", r.Body)
			}
			if n := h.listTotal("?overdue=true", h.dir.Officer); n != 0 {
				t.Fatalf("overdue list has %d incidents after the follow-up, want 0", n)
			}
		})

		t.Run("TimelineInTimeOrder", func(t *testing.T) {
			got := h.incident(inc.ID, h.dir.Leader)
			if got.Late != 1 || got.Serial == nil {
				t.Fatalf("incident %+v", got)
			}
			seen := map[string]bool{}
			for i, ev := range got.Timeline {
				seen[ev.Type] = true
				if i > 0 && ev.At.Before(got.Timeline[i-1].At) {
					t.Fatalf("timeline out of order: %+v", got.Timeline)
				}
			}
			for _, want := range []string{"report", "signature", "forward", "instruction", "reply", "deadline"} {
				if !seen[want] {
					t.Fatalf("timeline lacks %s: %+v", want, got.Timeline)
				}
			}
			states := map[string]string{}
			for _, d := range got.Deadlines {
				states[d.Kind+"/"+d.State] = d.State
			}
			for _, want := range []string{"written_report/met", "signature/met", "forward/met", "instruction_reply/met", "follow_up/late", "follow_up/open"} {
				if states[want] == "" {
					t.Fatalf("deadlines lack %s: %+v", want, got.Deadlines)
				}
			}
			expect(t, h.do("GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), h.dir.DistrictOfficer, nil), http.StatusOK)
		})

		t.Run("ListFilters", func(t *testing.T) {
			phone := incidentBody(h.dir.School2A.ID, 4, h.clock.Now().Add(-30*time.Minute))
			delete(phone, "reporter_name")
			delete(phone, "reporter_phone")
			phone["category"], phone["subtype"] = "public_health", "food_poisoning"
			phone["caller_unit"], phone["caller_name"], phone["caller_title"], phone["caller_phone"] = "西江区第一中学", "赵主任", "政教主任", "13900000002"
			expect(t, h.do("POST", "/api/v1/phone-intakes", h.dir.Reporter, phone), http.StatusForbidden)
			expect(t, h.do("POST", "/api/v1/phone-intakes", h.dir.Officer, phone), http.StatusCreated)

			for query, want := range map[string]int64{
				"":                        2,
				"?severity=2":             1,
				"?category=public_health": 1,
				"?status=open":            2,
				"?status=closed":          0,
				fmt.Sprintf("?district_id=%d", h.dir.District2.ID):                 1,
				fmt.Sprintf("?school_id=%d", h.dir.School1A.ID):                    1,
				"?from=" + h.clock.Now().Add(-20*time.Minute).Format(time.RFC3339): 0,
			} {
				if got := h.listTotal(query, h.dir.Officer); got != want {
					t.Errorf("GET /incidents%s: total %d, want %d", query, got, want)
				}
			}
			if got := h.listTotal("", h.dir.DistrictOfficer); got != 1 {
				t.Fatalf("district officer sees %d incidents, want the 1 in its district", got)
			}
			for _, bad := range []string{"?status=lost", "?severity=9", "?overdue=maybe", "?from=yesterday"} {
				r := h.do("GET", "/api/v1/incidents"+bad, h.dir.Officer, nil)
				expect(t, r, http.StatusBadRequest)
			}
		})

		t.Run("DraftThenSubmit", func(t *testing.T) {
			r := h.do("POST", "/api/v1/incidents", h.dir.Reporter, map[string]any{"draft": true, "title": "实验室试剂泄漏", "category": "accident", "subtype": "lab_chemical"})
			expect(t, r, http.StatusCreated)
			var draft incidentJSON
			r.JSON(t, &draft)
			if draft.Status != "draft" || len(draft.Deadlines) != 0 {
				t.Fatalf("draft %+v", draft)
			}
			path := fmt.Sprintf("/api/v1/incidents/%d/reports/%d", draft.ID, draft.Reports[0].ID)
			r = h.do("POST", path+"/submit", h.dir.Reporter, nil)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Fields["occurred_at"] == "" || e.Error.Fields["summary"] == "" {
				t.Fatalf("error %+v", e.Error)
			}
			rest := map[string]any{"severity": 4, "occurred_at": h.clock.Now().Add(-time.Hour).Format(time.RFC3339), "place": "化学实验室",
				"summary": "实验课上少量盐酸泄漏，无人受伤", "reporter_name": "钱老师", "reporter_phone": "13700000003"}
			expect(t, h.do("PATCH", path, h.dir.Reporter, rest), http.StatusOK)
			r = h.do("POST", path+"/submit", h.dir.Reporter, nil)
			expect(t, r, http.StatusOK)
			var submitted struct{ Status string }
			_ = json.Unmarshal(r.Body, &submitted)
			if submitted.Status != "submitted" {
				t.Fatalf("submitted %s", r.Body)
			}
			if got := h.incident(draft.ID, h.dir.Officer); got.Status != "open" || len(got.Deadlines) == 0 {
				t.Fatalf("after submission %+v", got)
			}
		})

		t.Run("CategoriesForForms", func(t *testing.T) {
			r := h.do("GET", "/api/v1/incident-categories", h.dir.Reporter, nil)
			expect(t, r, http.StatusOK)
			var out struct {
				Categories []struct {
					Code     string
					Subtypes []struct{ Code, Name string }
				}
				Severities []struct {
					Value int
					Name  string
				}
			}
			r.JSON(t, &out)
			if len(out.Categories) != 7 || len(out.Severities) != 4 || out.Severities[1].Name != "Ⅱ级（重大）" {
				t.Fatalf("categories %s", r.Body)
			}
		})

		t.Run("OtherSchoolsIncidentIsNotFound", func(t *testing.T) {
			var list struct {
				Items []struct {
					ID       int64
					SchoolID int64 `json:"school_id"`
				}
			}
			r := h.do("GET", fmt.Sprintf("/api/v1/incidents?school_id=%d", h.dir.School2A.ID), h.dir.Officer, nil)
			r.JSON(t, &list)
			other := list.Items[0].ID
			expect(t, h.do("GET", fmt.Sprintf("/api/v1/incidents/%d", other), h.dir.Reporter, nil), http.StatusNotFound)
			body := map[string]any{"kind": "follow_up", "summary": "冒报", "reporter_name": "某", "reporter_phone": "13800000009"}
			expect(t, h.do("POST", fmt.Sprintf("/api/v1/incidents/%d/reports", other), h.dir.Reporter, body), http.StatusNotFound)
			if got := h.incident(other, h.dir.Officer); len(got.Reports) != 1 {
				t.Fatalf("a refused report was written: %+v", got.Reports)
			}
		})
	})
}

// TestFilingAnswersTheIncidentAsStored proves that the answer to POST /incidents, built from what
// the filing wrote, is exactly what GET /incidents/{id} then reads back from the database.
func TestFilingAnswersTheIncidentAsStored(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		late := incidentBody(h.dir.School1A.ID, 2, h.clock.Now().Add(-3*time.Hour))
		late["late_reason"] = "校长在医院陪护，未能按时报送"
		for _, c := range []struct {
			name string
			body map[string]any
		}{
			{"OnTime", incidentBody(h.dir.School1A.ID, 4, h.clock.Now().Add(-10*time.Minute))},
			{"Late", late},
			{"Draft", map[string]any{"draft": true, "title": "实验室试剂泄漏", "category": "accident", "subtype": "lab_chemical"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				created := h.do("POST", "/api/v1/incidents", h.dir.Reporter, c.body)
				expect(t, created, http.StatusCreated)
				var inc incidentJSON
				created.JSON(t, &inc)
				stored := h.do("GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), h.dir.Reporter, nil)
				expect(t, stored, http.StatusOK)
				if string(created.Body) != string(stored.Body) {
					t.Fatalf("POST answered\n%s\nGET reads\n%s", created.Body, stored.Body)
				}
			})
		}
	})
}

// TestResolveAndReopenThroughTheAPI: the desk marks an incident handled and reopens it; bad input
// is refused with a Chinese message naming the field and changes nothing.
func TestResolveAndReopenThroughTheAPI(t *testing.T) {
	h := newHarness(t, store.SQLite)
	occurred := h.clock.Now().Add(-10 * time.Minute)
	r := h.do("POST", "/api/v1/incidents", h.dir.Reporter, incidentBody(h.dir.School1A.ID, 2, occurred))
	expect(t, r, http.StatusCreated)
	var inc incidentJSON
	r.JSON(t, &inc)
	resolve := fmt.Sprintf("/api/v1/incidents/%d/resolve", inc.ID)
	reopen := fmt.Sprintf("/api/v1/incidents/%d/reopen", inc.ID)

	for _, tt := range []struct {
		name   string
		path   string
		user   *models.User
		body   any
		status int
		field  string
	}{
		{"ReporterMayNotResolve", resolve, h.dir.Reporter, map[string]any{}, http.StatusForbidden, ""},
		{"MalformedTime", resolve, h.dir.Officer, `{"resolved_at":"昨天"}`, http.StatusBadRequest, "resolved_at"},
		{"BeforeOccurrence", resolve, h.dir.Officer, map[string]any{"resolved_at": occurred.Add(-time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "resolved_at"},
		{"InTheFuture", resolve, h.dir.Officer, map[string]any{"resolved_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "resolved_at"},
		{"ReopenWithoutReason", reopen, h.dir.Officer, map[string]any{}, http.StatusUnprocessableEntity, "reason"},
		{"ReopenAnOpenIncident", reopen, h.dir.Officer, map[string]any{"reason": "继续处置"}, http.StatusConflict, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("POST", tt.path, tt.user, tt.body)
			expect(t, res, tt.status)
			e := res.Err(t)
			if tt.field != "" && !hasHan(e.Error.Fields[tt.field]) {
				t.Fatalf("error %+v, want a Chinese message for %s", e.Error, tt.field)
			}
			if !hasHan(e.Error.Message) {
				t.Fatalf("error message %q is not Chinese", e.Error.Message)
			}
			if got := h.incident(inc.ID, h.dir.Officer); got.Status != "open" {
				t.Fatalf("refused call left the incident %s", got.Status)
			}
		})
	}

	r = h.do("POST", resolve, h.dir.Officer, map[string]any{})
	expect(t, r, http.StatusOK)
	var got incidentJSON
	r.JSON(t, &got)
	finalDue := false
	for _, d := range got.Deadlines {
		finalDue = finalDue || d.Kind == "final_report" && d.State == "open" && d.DueAt.Equal(h.clock.Now().Add(24*time.Hour))
	}
	if got.Status != "resolved" || !finalDue {
		t.Fatalf("resolved incident %+v, want the final report due in 24 h", got)
	}
	expect(t, h.do("POST", resolve, h.dir.Officer, map[string]any{}), http.StatusConflict)

	r = h.do("POST", reopen, h.dir.Officer, map[string]any{"reason": "家属提出异议，继续处置"})
	expect(t, r, http.StatusOK)
	r.JSON(t, &got)
	if got.Status != "open" {
		t.Fatalf("reopened incident %+v", got)
	}
	for _, d := range got.Deadlines {
		if d.Kind == "final_report" {
			t.Fatalf("final report still due after reopening: %+v", got.Deadlines)
		}
	}
}

// hasHan tells whether s has a Chinese character.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// TestIncidentSearch proves that ?q= finds incidents by a part of their title, their school's name
// or their serial (期号), ignoring case, with the LIKE wildcards taken literally.
func TestIncidentSearch(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		occurred := h.clock.Now().Add(-10 * time.Minute)
		file := func(user *models.User, schoolID int64, title string) incidentJSON {
			t.Helper()
			body := incidentBody(schoolID, 3, occurred)
			body["title"] = title
			r := h.do("POST", "/api/v1/incidents", user, body)
			expect(t, r, http.StatusCreated)
			var inc incidentJSON
			r.JSON(t, &inc)
			return inc
		}
		bus := file(h.dir.Reporter, h.dir.School1A.ID, "Bus 校车追尾")
		drowning := file(h.dir.Reporter, h.dir.School1A.ID, "学生校外溺水")
		other := file(h.dir.Admin, h.dir.School2A.ID, "食堂 100% 停电")
		r := h.do("POST", fmt.Sprintf("/api/v1/incidents/%d/reports/%d/sign", drowning.ID, drowning.Reports[0].ID), h.dir.Officer, nil)
		expect(t, r, http.StatusOK)

		search := func(q string) []int64 {
			t.Helper()
			r := h.do("GET", "/api/v1/incidents?q="+url.QueryEscape(q), h.dir.Admin, nil)
			expect(t, r, http.StatusOK)
			var list struct {
				Items []struct{ ID int64 }
				Total int64
			}
			r.JSON(t, &list)
			ids := []int64{}
			for _, it := range list.Items {
				ids = append(ids, it.ID)
			}
			if int64(len(ids)) != list.Total {
				t.Fatalf("q=%q: total %d for %d items", q, list.Total, len(ids))
			}
			return ids
		}
		for _, tc := range []struct {
			name, q string
			want    []int64
		}{
			{"TitlePart", "溺水", []int64{drowning.ID}},
			{"TitleIgnoringCase", "bUS", []int64{bus.ID}},
			{"SchoolName", "西江区", []int64{other.ID}},
			{"SchoolNameOfSeveral", "东湖区第一小学", []int64{bus.ID, drowning.ID}},
			{"Serial", "2026-001", []int64{drowning.ID}},
			{"SerialPart", "-001", []int64{drowning.ID}},
			{"PercentIsLiteral", "100%", []int64{other.ID}},
			{"UnderscoreIsLiteral", "_", []int64{}},
			{"SpacesTrimmed", "  溺水 ", []int64{drowning.ID}},
			{"NoMatch", "地震", []int64{}},
			{"Empty", "", []int64{bus.ID, drowning.ID, other.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := search(tc.q); fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("q=%q found %v, want %v", tc.q, got, tc.want)
				}
			})
		}

		t.Run("CombinesWithOtherFilters", func(t *testing.T) {
			if n := h.listTotal("?status=open&school_id="+fmt.Sprint(h.dir.School1A.ID)+"&q="+url.QueryEscape("校"), h.dir.Admin); n != 2 {
				t.Fatalf("%d incidents, want 2", n)
			}
		})

		t.Run("StaysInTheCallersScope", func(t *testing.T) {
			if n := h.listTotal("?q="+url.QueryEscape("西江区"), h.dir.Reporter); n != 0 {
				t.Fatalf("the reporter of 东湖区第一小学 found %d incidents of 西江区", n)
			}
		})

		t.Run("TooLongIsRefused", func(t *testing.T) {
			r := h.do("GET", "/api/v1/incidents?q="+url.QueryEscape(strings.Repeat("溺", 101)), h.dir.Admin, nil)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Code != "validation_failed" || e.Error.Fields["q"] != "不超过100字" {
				t.Fatalf("error %+v", e.Error)
			}
			expect(t, h.do("GET", "/api/v1/incidents?q="+url.QueryEscape(strings.Repeat("溺", 100)), h.dir.Admin, nil), http.StatusOK)
		})
	})
}
