package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/store"
)

// TestTimesInEitherForm proves the API's one rule for times: every from/to takes an RFC 3339 time
// or a date (its midnight in the bureau's zone; as the upper bound, a date includes its day), and
// anything else is a 400 naming the field in Chinese.
func TestTimesInEitherForm(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // the clock stands at 2026-10-08 10:00 in Shanghai
		occurred := h.clock.Now().Add(-10 * time.Minute)
		expect(t, h.do("POST", "/api/v1/incidents", h.dir.Reporter, incidentBody(h.dir.School1A.ID, 3, occurred)), http.StatusCreated)

		t.Run("IncidentsTakeDates", func(t *testing.T) {
			for query, want := range map[string]int64{
				"?from=2026-10-08&to=2026-10-08":    1,
				"?from=2026-10-08":                  1,
				"?from=2026-10-09":                  0,
				"?to=2026-10-08":                    1,
				"?to=2026-10-07":                    0,
				"?from=2026-10-08T09:49:00%2B08:00": 1,
				"?from=2026-10-08T01:51:00Z":        0, // 09:51 in Shanghai
				"?to=2026-10-08T01:50:00Z":          0, // to is exclusive
				"?to=2026-10-08T01:50:01Z":          1,
			} {
				if got := h.listTotal(query, h.dir.Officer); got != want {
					t.Errorf("GET /incidents%s: total %d, want %d", query, got, want)
				}
			}
		})

		t.Run("EveryListTakesDates", func(t *testing.T) {
			for _, path := range []string{"/api/v1/incidents", "/api/v1/audit", "/api/v1/escalations", "/api/v1/roster", "/api/v1/stats"} {
				expect(t, h.do("GET", path+"?from=2026-10-01&to=2026-10-08", h.dir.Admin, nil), http.StatusOK)
				expect(t, h.do("GET", path+"?from=2026-10-01T00:00:00%2B08:00&to=2026-10-09T00:00:00%2B08:00", h.dir.Admin, nil), http.StatusOK)
			}
		})

		t.Run("OtherFormsAreRefusedNamingTheField", func(t *testing.T) {
			for _, path := range []string{"/api/v1/incidents", "/api/v1/audit", "/api/v1/escalations", "/api/v1/roster", "/api/v1/stats"} {
				for field, query := range map[string]string{"from": "?from=2026/10/01&to=2026-10-08", "to": "?from=2026-10-01&to=2026-10-08T08:00:00"} {
					r := h.do("GET", path+query, h.dir.Admin, nil)
					expect(t, r, http.StatusBadRequest)
					e := r.Err(t)
					if e.Error.Code != "bad_request" || e.Error.Message != "参数 "+field+" 的时间格式有误" ||
						e.Error.Fields[field] != "应为 RFC 3339 时间（如 2026-10-01T08:30:00+08:00）或日期（如 2026-10-01）" {
						t.Errorf("GET %s%s: %s", path, query, r.Body)
					}
				}
			}
		})

		t.Run("RosterConfirmTakesDates", func(t *testing.T) {
			seedDesk(t, h)
			rosterGenerate(t, h, "2026-10-09", "2026-10-15")
			confirm := func(from, to any) int {
				t.Helper()
				r := h.do(http.MethodPost, "/api/v1/roster/confirm", h.dir.Admin, map[string]any{"from": from, "to": to})
				expect(t, r, http.StatusOK)
				var out struct{ Confirmed int }
				r.JSON(t, &out)
				return out.Confirmed
			}
			perDay := confirm(cst(10, 9, 0, 0), cst(10, 10, 0, 0))
			if perDay == 0 {
				t.Fatal("no shift on 9 Oct")
			}
			if n := confirm("2026-10-10", "2026-10-11"); n != 2*perDay {
				t.Fatalf("confirmed %d shifts of 10 and 11 Oct, want %d", n, 2*perDay)
			}
			if n := confirm("2026-10-12", cst(10, 13, 0, 0)); n != perDay {
				t.Fatalf("confirmed %d shifts of 12 Oct, want %d", n, perDay)
			}
			r := h.do(http.MethodPost, "/api/v1/roster/confirm", h.dir.Admin, map[string]any{"from": "2026年10月14日", "to": "2026-10-15"})
			expect(t, r, http.StatusBadRequest)
			if e := r.Err(t); e.Error.Fields["from"] == "" || e.Error.Message != "参数 from 的时间格式有误" {
				t.Fatalf("error %s", r.Body)
			}
		})
	})
}
