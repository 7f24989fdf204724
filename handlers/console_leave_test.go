package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// The roster page shows a shift rostered during leave: in the checks, in the calendar, and first
// in the override form, until the desk puts someone else in the place.
func TestConsoleRosterLeaveConflict(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-09", "2026-10-09")
		shifts := rosterShifts(t, h, cst(10, 9, 0, 0), cst(10, 10, 0, 0))
		day, night := shiftAt(t, shifts, cst(10, 9, 8, 30)), shiftAt(t, shifts, cst(10, 9, 17, 30))
		var sick roster.Assignment
		for _, a := range day.Assignments {
			if a.Role == roster.DutyOfficer {
				sick = a
				break
			}
		}
		officer := userByID(d.Officers, sick.UserID)
		var spare *models.User
		for _, o := range d.Officers {
			if !slices.Contains(peopleOn(day, roster.DutyOfficer), o.ID) && !slices.Contains(peopleOn(night, roster.DutyOfficer), o.ID) {
				spare = o
			}
		}
		expect(t, h.do(http.MethodPost, "/api/v1/roster/leaves", h.dir.Admin, map[string]any{
			"user_id": officer.ID, "starts_at": cst(10, 9, 0, 0), "ends_at": cst(10, 10, 0, 0), "reason": "病假"}), http.StatusCreated)

		admin := newConsoleClient(t, h.router)
		admin.login(h.dir.Admin)
		_, page := admin.get("/console/roster?month=2026-10")
		message := fmt.Sprintf("请假期间排班：%s 10月09日 00:00–10月10日 00:00 请假（病假），但已安排在 10月09日 08:30–10月09日 17:30 担任值班员，请调整排班（顶岗）",
			officer.DisplayName)
		if !strings.Contains(page, `<p class="overdue">`+message+`</p>`) {
			t.Fatalf("the checks do not list the shift during leave %q:\n%s", message, page)
		}
		if !strings.Contains(page, officer.DisplayName+`<span class="overdue">（请假）</span>`) {
			t.Error("the calendar does not flag the officer on leave")
		}
		flagged := fmt.Sprintf(`<select id="r-assignment_id" name="assignment_id"><option value="%d">10-09 08:30 白班 值班员 %s（请假，需顶岗）</option>`,
			sick.ID, officer.DisplayName)
		if !strings.Contains(page, flagged) || !strings.Contains(page, "<details open><summary>调整排班（顶岗）</summary>") {
			t.Errorf("the override form does not open on the assignment during leave, want %q", flagged)
		}

		resp, _ := admin.post("/console/roster/assignments/replace", url.Values{"month": {"2026-10"}, "assignment_id": {id(sick.ID)}, "user_id": {id(spare.ID)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the override: %d", resp.StatusCode)
		}
		_, page = admin.get("/console/roster?month=2026-10")
		if !strings.Contains(page, "排班已调整") || strings.Contains(page, "请假期间排班") || strings.Contains(page, "（请假") ||
			strings.Contains(page, "<details open>") {
			t.Errorf("after the override the page still flags the leave:\n%s", page)
		}
	})
}
