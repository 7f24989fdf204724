package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// An officer already rostered goes on sick leave: the answer to the leave and the roster checks
// both name his assignment as an on_leave conflict, until the desk puts someone else in his place.
func TestLeaveOnRosteredShifts(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-12", "2026-10-13")
		shifts := rosterShifts(t, h, cst(10, 12, 0, 0), cst(10, 13, 0, 0))
		day, night := shiftAt(t, shifts, cst(10, 12, 8, 30)), shiftAt(t, shifts, cst(10, 12, 17, 30))
		var sick roster.Assignment
		for _, a := range day.Assignments {
			if a.Role == roster.DutyOfficer {
				sick = a
				break
			}
		}
		officer := userByID(d.Officers, sick.UserID)
		var free *models.User
		for _, o := range d.Officers {
			if !slices.Contains(peopleOn(day, roster.DutyOfficer), o.ID) && !slices.Contains(peopleOn(night, roster.DutyOfficer), o.ID) {
				free = o
			}
		}

		t.Run("LeaveEndingAsTheShiftBeginsConflictsWithNothing", func(t *testing.T) {
			r := h.do(http.MethodPost, "/api/v1/roster/leaves", h.dir.Admin, map[string]any{
				"user_id": officer.ID, "starts_at": cst(10, 12, 0, 0), "ends_at": cst(10, 12, 8, 30), "reason": "事假"})
			expect(t, r, http.StatusCreated)
			if !bytes.Contains(r.Body, []byte(`"conflicts":[]`)) {
				t.Errorf("answer %s, want \"conflicts\":[]", r.Body)
			}
			if c := rosterChecks(t, h, cst(10, 12, 8, 30), cst(10, 13, 8, 30)); len(c.Conflicts) != 0 {
				t.Errorf("checks: %+v, want no conflicts", c.Conflicts)
			}
		})

		want := fmt.Sprintf("请假期间排班：%s 10月12日 08:29–10月12日 12:00 请假（病假），但已安排在 10月12日 08:30–10月12日 17:30 担任值班员，请调整排班（顶岗）",
			officer.DisplayName)
		var leave roster.RecordedLeave
		t.Run("LeaveOverARosteredShiftListsIt", func(t *testing.T) {
			r := h.do(http.MethodPost, "/api/v1/roster/leaves", h.dir.Admin, map[string]any{
				"user_id": officer.ID, "starts_at": cst(10, 12, 8, 29), "ends_at": cst(10, 12, 12, 0), "reason": "病假"})
			expect(t, r, http.StatusCreated)
			r.JSON(t, &leave)
			if leave.ID == 0 || leave.UserID != officer.ID || !leave.StartsAt.Equal(cst(10, 12, 8, 29)) || !leave.EndsAt.Equal(cst(10, 12, 12, 0)) ||
				leave.Reason != "病假" || leave.CreatedAt.IsZero() {
				t.Errorf("leave %+v", leave.Leave)
			}
			if len(leave.Conflicts) != 1 {
				t.Fatalf("conflicts %+v, want the day shift", leave.Conflicts)
			}
			c := leave.Conflicts[0]
			if c.Kind != roster.OnLeave || c.UserID != officer.ID || c.First.ID != sick.ID || c.First.ShiftID != day.ID ||
				c.Leave == nil || c.Leave.ID != leave.ID || c.Message != want {
				t.Errorf("conflict %+v, want on_leave of assignment %d on shift %d: %q", c, sick.ID, day.ID, want)
			}
			if bytes.Contains(r.Body, []byte(`"second"`)) {
				t.Errorf("an on_leave conflict has no second assignment: %s", r.Body)
			}
		})

		t.Run("ChecksListTheShiftToOverride", func(t *testing.T) {
			c := rosterChecks(t, h, cst(10, 12, 8, 30), cst(10, 13, 8, 30))
			if len(c.Gaps) != 0 || len(c.Conflicts) != 1 {
				t.Fatalf("checks %+v, want no gaps and one conflict", c)
			}
			got := c.Conflicts[0]
			if got.Kind != roster.OnLeave || got.First.ID != sick.ID || got.First.ShiftID != day.ID || got.Leave == nil ||
				got.Leave.ID != leave.ID || got.Message != want {
				t.Errorf("conflict %+v, want on_leave of assignment %d: %q", got, sick.ID, want)
			}
			// The day checked by date sees it too; the next day does not.
			r := h.do(http.MethodGet, "/api/v1/roster/gaps?from=2026-10-12&to=2026-10-12", h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			var byDay roster.RosterChecks
			r.JSON(t, &byDay)
			if len(byDay.Conflicts) != 1 || byDay.Conflicts[0].First.ID != sick.ID {
				t.Errorf("checks of 2026-10-12: %+v", byDay.Conflicts)
			}
			if c := rosterChecks(t, h, cst(10, 13, 8, 30), cst(10, 14, 8, 30)); len(c.Conflicts) != 0 {
				t.Errorf("checks of 13 Oct: %+v", c.Conflicts)
			}
		})

		t.Run("OverrideClearsTheConflict", func(t *testing.T) {
			expect(t, h.do(http.MethodPatch, fmt.Sprintf("/api/v1/roster/assignments/%d", sick.ID), h.dir.Admin,
				map[string]any{"user_id": free.ID}), http.StatusOK)
			r := h.do(http.MethodGet, "/api/v1/roster/gaps?"+span(cst(10, 12, 8, 30), cst(10, 13, 8, 30)), h.dir.Leader, nil)
			expect(t, r, http.StatusOK)
			if !bytes.Contains(r.Body, []byte(`"conflicts":[]`)) || !bytes.Contains(r.Body, []byte(`"gaps":[]`)) {
				t.Errorf("checks after the override: %s", r.Body)
			}
		})
	})
}
