package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

func TestRosterGenerationCoversNationalDay(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		onLeave := d.Officers[6]
		leaveFrom, leaveTo := cst(10, 2, 0, 0), cst(10, 4, 0, 0)
		expect(t, h.do(http.MethodPost, "/api/v1/roster/leaves", h.dir.Admin, map[string]any{
			"user_id": onLeave.ID, "starts_at": leaveFrom, "ends_at": leaveTo, "reason": "病假"}), http.StatusCreated)

		res := rosterGenerate(t, h, "2026-09-15", "2026-10-14")
		if res.Created != 60 || len(res.Unfilled) != 0 || len(res.Gaps) != 0 {
			t.Fatalf("generate: %+v, want 60 shifts, nothing unfilled, no gaps", res)
		}
		from, to := cst(9, 15, 8, 30), cst(10, 15, 8, 30)
		if c := rosterChecks(t, h, from, to); len(c.Gaps) != 0 || len(c.Conflicts) != 0 {
			t.Fatalf("checks over the month: %+v", c)
		}
		// The check does see a minute nobody covers: the one before the first shift.
		c := rosterChecks(t, h, from.Add(-time.Minute), to)
		if len(c.Gaps) != 1 || !c.Gaps[0].From.Equal(from.Add(-time.Minute)) || !c.Gaps[0].To.Equal(from) {
			t.Fatalf("gaps from 08:29 = %+v, want exactly the minute 08:29–08:30", c.Gaps)
		}

		shifts := rosterShifts(t, h, from, to)
		if len(shifts) != 60 {
			t.Fatalf("%d shifts, want 60", len(shifts))
		}
		for _, s := range shifts {
			local := s.StartsAt.In(testenv.Shanghai)
			date := local.Format(time.DateOnly)
			national := date >= "2026-10-01" && date <= "2026-10-07"
			leaders, officers, extras := peopleOn(s, roster.DutyLeader), peopleOn(s, roster.DutyOfficer), peopleOn(s, roster.DutyExtra)
			switch {
			case national:
				if s.Holiday != "国庆节" || !s.Enhanced || len(extras) != 1 || userByID(d.Bureau, leaders[0]) == nil {
					t.Errorf("%s %s: holiday %q enhanced %v extras %v leader %v: want 国庆节, enhanced, one extra officer, a bureau leader",
						date, s.Name, s.Holiday, s.Enhanced, extras, leaders)
				}
			case date >= "2026-09-25" && date <= "2026-09-27":
				if s.Holiday != "中秋节" || s.Enhanced || len(extras) != 0 || userByID(d.Leaders, leaders[0]) == nil {
					t.Errorf("%s %s: %q enhanced %v extras %v leader %v", date, s.Name, s.Holiday, s.Enhanced, extras, leaders)
				}
			default:
				if s.Holiday != "" || s.Enhanced || len(extras) != 0 || userByID(d.Leaders, leaders[0]) == nil {
					t.Errorf("%s %s: %q enhanced %v extras %v leader %v", date, s.Name, s.Holiday, s.Enhanced, extras, leaders)
				}
			}
			if len(leaders) != 1 || len(officers) != 2 {
				t.Errorf("%s %s: %d leaders and %d officers, want 1 and 2", date, s.Name, len(leaders), len(officers))
			}
			if s.StartsAt.Before(leaveTo) && s.EndsAt.After(leaveFrom) && slices.Contains(append(officers, extras...), onLeave.ID) {
				t.Errorf("%s %s: %s is on duty during leave", date, s.Name, onLeave.DisplayName)
			}
		}

		t.Run("ConfirmedShiftsAreKept", func(t *testing.T) {
			expect(t, h.do(http.MethodPost, "/api/v1/roster/confirm", h.dir.Admin,
				map[string]any{"from": cst(10, 1, 0, 0), "to": cst(10, 8, 0, 0)}), http.StatusOK)
			before := rosterShifts(t, h, cst(10, 1, 8, 30), cst(10, 8, 8, 30))
			h.clock.Set(cst(9, 1, 9, 0)) // nothing has begun yet
			res := rosterGenerate(t, h, "2026-09-15", "2026-10-14")
			if res.Kept != 14 || res.Refilled != 46 || res.Created != 0 || res.Removed != 0 || len(res.Gaps) != 0 {
				t.Fatalf("regenerate: %+v, want 14 kept, 46 refilled, no gaps", res)
			}
			after := rosterShifts(t, h, cst(10, 1, 8, 30), cst(10, 8, 8, 30))
			if fmt.Sprint(assignmentIDs(before)) != fmt.Sprint(assignmentIDs(after)) {
				t.Errorf("confirmed shifts changed:\n%v\n%v", assignmentIDs(before), assignmentIDs(after))
			}
			if c := rosterChecks(t, h, from, to); len(c.Gaps) != 0 || len(c.Conflicts) != 0 {
				t.Fatalf("checks after regeneration: %+v", c)
			}
		})

		t.Run("BegunShiftsAreKept", func(t *testing.T) {
			h.clock.Set(cst(9, 20, 9, 0)) // during the day shift of 20 Sep
			before := rosterShifts(t, h, cst(9, 15, 8, 30), cst(9, 20, 17, 30))
			res := rosterGenerate(t, h, "2026-09-15", "2026-10-14")
			if res.Kept != 11+14 || res.Refilled != 60-25 {
				t.Fatalf("regenerate: %+v, want 25 kept (11 begun, 14 confirmed)", res)
			}
			after := rosterShifts(t, h, cst(9, 15, 8, 30), cst(9, 20, 17, 30))
			if fmt.Sprint(assignmentIDs(before)) != fmt.Sprint(assignmentIDs(after)) {
				t.Errorf("begun shifts changed")
			}
		})

		t.Run("TwentyFourHourLeader", func(t *testing.T) {
			h.clock.Set(cst(9, 1, 9, 0))
			r := h.do(http.MethodPost, "/api/v1/roster/templates", h.dir.Admin, map[string]any{
				"name": "领导24小时", "start_time": "08:30", "end_time": "08:30", "leaders": 1, "officers": 0})
			expect(t, r, http.StatusCreated)
			var templates struct{ Items []roster.ShiftTemplate }
			r = h.do(http.MethodGet, "/api/v1/roster/templates", h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &templates)
			for _, tpl := range templates.Items {
				if tpl.Name != "领导24小时" {
					expect(t, h.do(http.MethodPatch, fmt.Sprintf("/api/v1/roster/templates/%d", tpl.ID), h.dir.Admin,
						map[string]any{"leaders": 0}), http.StatusOK)
				}
			}
			// The day and night templates now staff officers only; a 24-hour leader spans both.
			res := rosterGenerate(t, h, "2026-09-15", "2026-09-30")
			if res.Created != 16 || res.Refilled != 32 || len(res.Gaps) != 0 || len(res.Unfilled) != 0 {
				t.Fatalf("generate with a 24-hour leader: %+v", res)
			}
			c := rosterChecks(t, h, cst(9, 15, 8, 30), cst(10, 1, 8, 30))
			if len(c.Gaps) != 0 || len(c.Conflicts) != 0 {
				t.Fatalf("checks: %+v", c)
			}
			for _, s := range rosterShifts(t, h, cst(9, 15, 8, 30), cst(10, 1, 8, 30)) {
				if leaders := peopleOn(s, roster.DutyLeader); (s.Name == "领导24小时") != (len(leaders) == 1) {
					t.Errorf("%s %s has leaders %v", s.StartsAt, s.Name, leaders)
				}
			}

			// Switching the 24-hour template off removes its unconfirmed shifts, and the checks
			// see the leaderless days.
			for _, tpl := range templates.Items {
				if tpl.Name == "领导24小时" {
					expect(t, h.do(http.MethodPatch, fmt.Sprintf("/api/v1/roster/templates/%d", tpl.ID), h.dir.Admin,
						map[string]any{"active": false}), http.StatusOK)
				}
			}
			res = rosterGenerate(t, h, "2026-09-15", "2026-09-30")
			if res.Removed != 16 || len(res.Gaps) != 1 || res.Gaps[0].Leaders != 0 || res.Gaps[0].Officers != 2 {
				t.Fatalf("generate without leaders: %+v", res)
			}
		})
	})
}

func assignmentIDs(shifts []roster.Shift) [][]int64 {
	var out [][]int64
	for _, s := range shifts {
		var ids []int64
		for _, a := range s.Assignments {
			ids = append(ids, a.ID, a.UserID)
		}
		out = append(out, ids)
	}
	return out
}

func TestRosterSwap(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-08", "2026-10-16")
		from, to := cst(10, 9, 8, 30), cst(10, 17, 8, 30)
		var now struct{ Leader struct{ ID int64 } }
		r := h.do(http.MethodGet, "/api/v1/roster/now", h.dir.Officer, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &now)
		leader := userByID(append(d.Leaders, d.Bureau...), now.Leader.ID) // the leader on duty approves
		if leader == nil {
			t.Fatalf("no leader of the desk on duty: %s", r.Body)
		}
		shifts := rosterShifts(t, h, from, to)
		// Pick two shifts and two officers whose exchange breaks no rule (the pure check decides),
		// so that the test is about the swap, not about the rotation's arithmetic.
		var all []roster.Assignment
		for _, s := range shifts {
			all = append(all, s.Assignments...)
		}
		var a, b roster.Shift
		var mine, theirs roster.Assignment
	search:
		for _, a = range shifts[4:] { // from 10-11 on
			for _, b = range shifts {
				if !b.StartsAt.After(a.EndsAt) {
					continue
				}
				for _, x := range a.Assignments {
					for _, y := range b.Assignments {
						if x.Role != roster.DutyOfficer || y.Role != roster.DutyOfficer ||
							slices.Contains(peopleOn(b, roster.DutyOfficer), x.UserID) || slices.Contains(peopleOn(a, roster.DutyOfficer), y.UserID) {
							continue
						}
						moved := slices.Clone(all)
						for i := range moved {
							switch moved[i].ID {
							case x.ID:
								moved[i].UserID = y.UserID
							case y.ID:
								moved[i].UserID = x.UserID
							}
						}
						if len(roster.ScheduleConflicts(moved, 8*time.Hour)) == 0 {
							mine, theirs = x, y
							break search
						}
					}
				}
			}
		}
		if mine.ID == 0 {
			t.Fatal("no two officers can swap shifts")
		}
		x, y := userByID(d.Officers, mine.UserID), userByID(d.Officers, theirs.UserID)

		t.Run("LessThanADayAhead", func(t *testing.T) {
			tomorrow := shiftAt(t, shifts, cst(10, 9, 8, 30)) // 22.5 h away
			var own int64
			for _, as := range tomorrow.Assignments {
				if as.Role == roster.DutyOfficer {
					own = as.ID
					r := h.do(http.MethodPost, "/api/v1/roster/swaps", userByID(d.Officers, as.UserID),
						map[string]any{"assignment_id": own, "target_user_id": y.ID})
					expect(t, r, http.StatusUnprocessableEntity)
					if e := r.Err(t); e.Error.Message != "调班须至少提前24小时申请" { // not Go's 24h0m0s
						t.Errorf("message %q", e.Error.Message)
					}
					break
				}
			}
		})
		t.Run("NotOnesOwnShift", func(t *testing.T) {
			r := h.do(http.MethodPost, "/api/v1/roster/swaps", y, map[string]any{"assignment_id": mine.ID, "target_user_id": x.ID})
			expect(t, r, http.StatusUnprocessableEntity)
		})

		r = h.do(http.MethodPost, "/api/v1/roster/swaps", x, map[string]any{
			"assignment_id": mine.ID, "target_user_id": y.ID, "target_assignment_id": theirs.ID, "reason": "家中有事"})
		expect(t, r, http.StatusCreated)
		var sw roster.Swap
		r.JSON(t, &sw)
		path := fmt.Sprintf("/api/v1/roster/swaps/%d/", sw.ID)

		expect(t, h.do(http.MethodPost, path+"approve", leader, nil), http.StatusConflict) // not accepted yet
		expect(t, h.do(http.MethodPost, path+"accept", x, nil), http.StatusForbidden)      // only the other person
		expect(t, h.do(http.MethodPost, path+"accept", y, nil), http.StatusOK)
		expect(t, h.do(http.MethodPost, path+"approve", x, nil), http.StatusForbidden) // officers do not approve
		for _, viewer := range []struct {
			user    *models.User
			offered bool
		}{{h.dir.Leader, false}, {leader, true}, {h.dir.Admin, true}, {y, false}} {
			cc := newConsoleClient(t, h.router)
			cc.login(viewer.user)
			_, page := cc.get("/console/roster?month=2026-10")
			if got := strings.Contains(page, "/console/roster/swaps/"+id(sw.ID)+"/approve"); got != viewer.offered {
				t.Errorf("the console offers %s approval: %v, want %v", viewer.user.Username, got, viewer.offered)
			}
		}
		r = h.do(http.MethodPost, path+"approve", h.dir.Leader, nil) // a leader not on duty
		expect(t, r, http.StatusForbidden)
		if e := r.Err(t); !strings.Contains(e.Error.Message, "当班") {
			t.Errorf("message %q", e.Error.Message)
		}
		r = h.do(http.MethodPost, path+"approve", leader, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &sw)
		if sw.Status != roster.SwapApproved || sw.DecidedBy == nil || *sw.DecidedBy != leader.ID {
			t.Fatalf("swap after approval: %+v", sw)
		}
		expect(t, h.do(http.MethodPost, path+"approve", h.dir.Admin, nil), http.StatusConflict) // once only

		after := rosterShifts(t, h, from, to)
		a2, b2 := shiftAt(t, after, a.StartsAt), shiftAt(t, after, b.StartsAt)
		if !slices.Contains(peopleOn(a2, roster.DutyOfficer), y.ID) || slices.Contains(peopleOn(a2, roster.DutyOfficer), x.ID) {
			t.Errorf("%s officers %v: want %s in, %s out", a.StartsAt, peopleOn(a2, roster.DutyOfficer), y.DisplayName, x.DisplayName)
		}
		if !slices.Contains(peopleOn(b2, roster.DutyOfficer), x.ID) || slices.Contains(peopleOn(b2, roster.DutyOfficer), y.ID) {
			t.Errorf("%s officers %v: want %s in, %s out", b.StartsAt, peopleOn(b2, roster.DutyOfficer), x.DisplayName, y.DisplayName)
		}
		if c := rosterChecks(t, h, from, to); len(c.Gaps) != 0 || len(c.Conflicts) != 0 {
			t.Fatalf("checks after the swap: %+v", c)
		}
		audit := h.do(http.MethodGet, fmt.Sprintf("/api/v1/audit?subject_type=swap&subject_id=%d", sw.ID), h.dir.Admin, nil)
		expect(t, audit, http.StatusOK)
		for _, action := range []string{"swap.request", "swap.accepted", "swap.approved"} {
			if !bytes.Contains(audit.Body, []byte(action)) {
				t.Errorf("audit lacks %s: %s", action, audit.Body)
			}
		}
	})
}

func TestRosterOverrideChecks(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		expect(t, h.do(http.MethodPost, "/api/v1/roster/templates", h.dir.Admin, map[string]any{
			"name": "备勤", "start_time": "12:00", "end_time": "20:00", "leaders": 0, "officers": 1}), http.StatusCreated)
		rosterGenerate(t, h, "2026-10-12", "2026-10-12")
		shifts := rosterShifts(t, h, cst(10, 12, 0, 0), cst(10, 13, 0, 0))
		day, standby, night := shiftAt(t, shifts, cst(10, 12, 8, 30)), shiftAt(t, shifts, cst(10, 12, 12, 0)), shiftAt(t, shifts, cst(10, 12, 17, 30))
		busy := userByID(d.Officers, peopleOn(day, roster.DutyOfficer)[0])

		t.Run("DoubleBooking", func(t *testing.T) {
			r := h.do(http.MethodPost, fmt.Sprintf("/api/v1/roster/shifts/%d/assignments", standby.ID), h.dir.Admin,
				map[string]any{"user_id": busy.ID, "role": "extra"})
			expect(t, r, http.StatusConflict)
			want := fmt.Sprintf("重复排班：%s 已安排在 10月12日 08:30–10月12日 17:30 值班，不能同时安排 10月12日 12:00–10月12日 20:00 的班次", busy.DisplayName)
			if e := r.Err(t); e.Error.Code != "conflict" || e.Error.Message != want {
				t.Errorf("error %+v, want %q", e.Error, want)
			}
			r = h.do(http.MethodPatch, fmt.Sprintf("/api/v1/roster/assignments/%d", standby.Assignments[0].ID), h.dir.Admin,
				map[string]any{"user_id": busy.ID})
			expect(t, r, http.StatusConflict)
			if after := shiftAt(t, rosterShifts(t, h, cst(10, 12, 0, 0), cst(10, 13, 0, 0)), standby.StartsAt); len(after.Assignments) != 1 ||
				after.Assignments[0].UserID != standby.Assignments[0].UserID {
				t.Errorf("refused changes were kept: %+v", after.Assignments)
			}
		})
		t.Run("ShortRest", func(t *testing.T) {
			r := h.do(http.MethodPost, fmt.Sprintf("/api/v1/roster/shifts/%d/assignments", night.ID), h.dir.Admin,
				map[string]any{"user_id": busy.ID, "role": "extra"})
			expect(t, r, http.StatusConflict)
			if e := r.Err(t); !strings.HasPrefix(e.Error.Message, "休息不足："+busy.DisplayName) ||
				!strings.Contains(e.Error.Message, "仅休息 0分钟") {
				t.Errorf("message %q", e.Error.Message) // a duration as people write it, not Go's "0s"
			}
		})
		t.Run("OpeningAGap", func(t *testing.T) {
			var leader roster.Assignment
			for _, a := range day.Assignments {
				if a.Role == roster.DutyLeader {
					leader = a
				}
			}
			r := h.do(http.MethodDelete, fmt.Sprintf("/api/v1/roster/assignments/%d", leader.ID), h.dir.Admin, nil)
			expect(t, r, http.StatusConflict)
			if e := r.Err(t); !strings.Contains(e.Error.Message, "值班空档") || !strings.Contains(e.Error.Message, "缺带班领导") {
				t.Errorf("message %q", e.Error.Message)
			}
		})
		t.Run("OnLeave", func(t *testing.T) {
			var free *models.User
			for _, o := range d.Officers {
				if !slices.Contains(peopleOn(day, roster.DutyOfficer), o.ID) && !slices.Contains(peopleOn(standby, roster.DutyOfficer), o.ID) &&
					!slices.Contains(peopleOn(night, roster.DutyOfficer), o.ID) {
					free = o
				}
			}
			expect(t, h.do(http.MethodPost, "/api/v1/roster/leaves", h.dir.Admin, map[string]any{
				"user_id": free.ID, "starts_at": cst(10, 12, 0, 0), "ends_at": cst(10, 13, 0, 0), "reason": "年休假"}), http.StatusCreated)
			r := h.do(http.MethodPatch, fmt.Sprintf("/api/v1/roster/assignments/%d", standby.Assignments[0].ID), h.dir.Admin,
				map[string]any{"user_id": free.ID})
			expect(t, r, http.StatusConflict)
			if e := r.Err(t); e.Error.Message != free.DisplayName+" 在此期间请假，不能安排值班" {
				t.Errorf("message %q", e.Error.Message)
			}
		})
		t.Run("WrongAccountRole", func(t *testing.T) {
			r := h.do(http.MethodPost, fmt.Sprintf("/api/v1/roster/shifts/%d/assignments", standby.ID), h.dir.Admin,
				map[string]any{"user_id": d.Leaders[0].ID, "role": "officer"})
			expect(t, r, http.StatusUnprocessableEntity)
		})
		t.Run("OnlyAdmins", func(t *testing.T) {
			r := h.do(http.MethodDelete, fmt.Sprintf("/api/v1/roster/assignments/%d", standby.Assignments[0].ID), h.dir.Leader, nil)
			expect(t, r, http.StatusForbidden)
		})
		t.Run("RemovingSpareStaffIsAllowed", func(t *testing.T) {
			expect(t, h.do(http.MethodDelete, fmt.Sprintf("/api/v1/roster/assignments/%d", standby.Assignments[0].ID), h.dir.Admin, nil), http.StatusNoContent)
		})
	})
}

func TestRosterNowAndPermissions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)

		t.Run("NobodyBeforeGeneration", func(t *testing.T) {
			r := h.do(http.MethodGet, "/api/v1/roster/now", h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			if !bytes.Contains(r.Body, []byte(`"leader":null`)) || !bytes.Contains(r.Body, []byte(`"officers":[]`)) {
				t.Errorf("empty desk: %s", r.Body)
			}
		})
		rosterGenerate(t, h, "2026-10-08", "2026-10-08")
		day := shiftAt(t, rosterShifts(t, h, cst(10, 8, 0, 0), cst(10, 9, 0, 0)), cst(10, 8, 8, 30))

		type person struct {
			ID                  int64
			Name, Mobile, Email string
		}
		var now struct {
			Leader   *person
			Officers []person
			EndsAt   time.Time `json:"ends_at"`
		}
		for _, u := range []*models.User{h.dir.DistrictOfficer, h.dir.Reporter, h.dir.Officer} {
			r := h.do(http.MethodGet, "/api/v1/roster/now", u, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &now)
			if now.Leader == nil || now.Leader.ID != peopleOn(day, roster.DutyLeader)[0] || now.Leader.Mobile == "" ||
				len(now.Officers) != 2 || !now.EndsAt.Equal(cst(10, 8, 17, 30)) {
				t.Fatalf("%s sees %s", u.Role, r.Body)
			}
			staff := u.Role == models.RoleDutyOfficer
			if hasEmail := containsKey(r.Body, "email"); hasEmail != staff {
				t.Errorf("%s: e-mail shown = %v, want %v", u.Role, hasEmail, staff)
			}
		}

		od, err := h.store.Roster.OnDuty(context.Background(), cst(10, 8, 17, 30))
		if err != nil {
			t.Fatal(err)
		}
		night := shiftAt(t, rosterShifts(t, h, cst(10, 8, 0, 0), cst(10, 9, 0, 0)), cst(10, 8, 17, 30))
		if od.Leader == nil || od.Leader.ID != peopleOn(night, roster.DutyLeader)[0] || od.Leader.Email == "" ||
			len(od.Officers) != 2 || !od.EndsAt.Equal(cst(10, 9, 8, 30)) {
			t.Errorf("OnDuty at the shift change: %+v", od)
		}

		forbidden := []struct {
			user         *models.User
			method, path string
			body         any
		}{
			{h.dir.DistrictOfficer, http.MethodGet, "/api/v1/roster?from=2026-10-08&to=2026-10-08", nil},
			{h.dir.Reporter, http.MethodGet, "/api/v1/roster/gaps?from=2026-10-08&to=2026-10-08", nil},
			{h.dir.Reporter, http.MethodGet, "/api/v1/roster/export.xlsx?from=2026-10-08&to=2026-10-08", nil},
			{h.dir.DistrictOfficer, http.MethodGet, "/api/v1/roster/holidays", nil},
			{h.dir.Officer, http.MethodPost, "/api/v1/roster/generate", map[string]string{"from": "2026-10-09", "to": "2026-10-09"}},
			{h.dir.Leader, http.MethodPut, "/api/v1/roster/rotations/officer", map[string]any{"user_ids": []int64{d.Officers[0].ID}}},
			{h.dir.Officer, http.MethodPut, "/api/v1/roster/holidays/2026-10-08", map[string]any{"kind": "holiday", "name": "x"}},
			{h.dir.DistrictOfficer, http.MethodPost, "/api/v1/roster/feed", nil},
		}
		for _, f := range forbidden {
			expect(t, h.do(f.method, f.path, f.user, f.body), http.StatusForbidden)
		}
		expect(t, h.do(http.MethodGet, "/api/v1/roster/now", nil, nil), http.StatusUnauthorized)
		r := h.do(http.MethodGet, "/api/v1/roster?from=yesterday&to=2026-10-08", h.dir.Officer, nil)
		expect(t, r, http.StatusBadRequest)
		r = h.do(http.MethodPost, "/api/v1/roster/generate", h.dir.Admin, map[string]string{"from": "2026-10-09", "to": "2026-10-01"})
		expect(t, r, http.StatusUnprocessableEntity)
		if e := r.Err(t); e.Error.Fields["to"] == "" {
			t.Errorf("fields %v", e.Error.Fields)
		}
	})
}

func TestRosterXLSX(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-09-30", "2026-10-02")
		r := h.do(http.MethodGet, "/api/v1/roster/export.xlsx?from=2026-09-30&to=2026-10-02", h.dir.Officer, nil)
		expect(t, r, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("值班表")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || rows[0][0] != "值班表（2026年09月30日 至 2026年10月02日）" ||
			strings.Join(rows[1], "|") != "日期|星期|节假日|带班领导|值班员|联系电话" {
			t.Fatalf("rows %q", rows)
		}
		nd := rows[3]
		if nd[0] != "2026-10-01" || nd[1] != "星期四" || nd[2] != "国庆节" {
			t.Errorf("National Day row %q", nd)
		}
		if !strings.HasPrefix(nd[3], "白班 局领导") || !strings.Contains(nd[3], "；夜班 局领导") {
			t.Errorf("leaders %q, want bureau leaders on both shifts", nd[3])
		}
		if n := strings.Count(nd[4], "值班员"); n != 6 {
			t.Errorf("officers %q: %d names, want 3 per shift", nd[4], n)
		}
		if !strings.Contains(nd[5], d.Bureau[0].Mobile) && !strings.Contains(nd[5], d.Bureau[1].Mobile) {
			t.Errorf("phones %q", nd[5])
		}
		if rows[2][0] != "2026-09-30" || rows[2][1] != "星期三" || rows[2][2] != "" {
			t.Errorf("2026-09-30 row %q", rows[2])
		}

		fair, err := f.GetRows("公平性统计")
		if err != nil {
			t.Fatal(err)
		}
		if len(fair) != 2+12 || fair[0][0] != "公平性统计（2026年09月30日 至 2026年10月02日）" ||
			strings.Join(fair[1], "|") != "姓名|轮值|值班时长（小时）|夜班|周末班次|节假日班次|班次合计" {
			t.Fatalf("fairness rows %q", fair)
		}
		if fair[2][0] != d.Leaders[0].DisplayName || fair[2][1] != "带班领导" || fair[len(fair)-1][1] != "值班员" {
			t.Errorf("fairness rows %q: want leaders first, officers last", fair)
		}
		var shifts int
		for _, row := range fair[2:] {
			n, err := strconv.Atoi(row[6])
			if err != nil {
				t.Fatalf("row %q: %v", row, err)
			}
			shifts += n
		}
		if shifts != 6+16 { // 6 leaders; officers 2 a shift on 30 Sep, 3 on National Day
			t.Errorf("fairness table counts %d shifts, want 22", shifts)
		}
	})
}

// TestRosterGenerationContinuesTheRotation: generating a week in two runs gives the same roster as
// one run, because each run starts from what everyone did before it (the look-back window).
func TestRosterGenerationContinuesTheRotation(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		whole, halves := newHarness(t, dialect), newHarness(t, dialect)
		seedDesk(t, whole)
		seedDesk(t, halves)
		rosterGenerate(t, whole, "2026-09-28", "2026-10-03")
		rosterGenerate(t, halves, "2026-09-28", "2026-09-30")
		rosterGenerate(t, halves, "2026-10-01", "2026-10-03")
		describe := func(h *harness) []string {
			var out []string
			for _, s := range rosterShifts(t, h, cst(9, 28, 0, 0), cst(10, 4, 0, 0)) {
				out = append(out, fmt.Sprintf("%s %s L%v O%v E%v", s.StartsAt.In(testenv.Shanghai).Format("01-02 15:04"), s.Name,
					peopleOn(s, roster.DutyLeader), peopleOn(s, roster.DutyOfficer), peopleOn(s, roster.DutyExtra)))
			}
			return out
		}
		one, two := describe(whole), describe(halves)
		if len(one) != 12 || strings.Join(one, "\n") != strings.Join(two, "\n") {
			t.Errorf("one run:\n%s\ntwo runs:\n%s", strings.Join(one, "\n"), strings.Join(two, "\n"))
		}
	})
}

// TestRosterFairness: the fairness table counts each person's hours, nights, weekend and holiday
// shifts of the days asked, everyone of the rotations listed in rotation order.
func TestRosterFairness(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-09-30", "2026-10-03")
		type row struct {
			UserID        int64 `json:"user_id"`
			Name          string
			Rotation      string
			Hours         float64
			Nights        int
			WeekendShifts int `json:"weekend_shifts"`
			HolidayShifts int `json:"holiday_shifts"`
			Shifts        int
		}
		fairness := func(query string) []row {
			t.Helper()
			r := h.do(http.MethodGet, "/api/v1/roster/fairness?"+query, h.dir.Officer, nil)
			expect(t, r, http.StatusOK)
			var out struct{ Items []row }
			r.JSON(t, &out)
			return out.Items
		}
		sum := func(rows []row) (r row) {
			for _, x := range rows {
				r.Hours += x.Hours
				r.Nights += x.Nights
				r.WeekendShifts += x.WeekendShifts
				r.HolidayShifts += x.HolidayShifts
				r.Shifts += x.Shifts
			}
			return r
		}

		t.Run("WeekdayAndNationalDay", func(t *testing.T) {
			rows := fairness("from=2026-09-30&to=2026-10-02")
			var order []int64
			for _, u := range append(append(append([]*models.User{}, d.Leaders...), d.Bureau...), d.Officers...) {
				order = append(order, u.ID)
			}
			var got []int64
			for _, r := range rows {
				got = append(got, r.UserID)
			}
			if fmt.Sprint(got) != fmt.Sprint(order) || rows[0].Rotation != "leader" || rows[3].Rotation != "bureau_leader" || rows[5].Rotation != "officer" {
				t.Fatalf("rows %+v, want leaders, bureau leaders, officers in rotation order", rows)
			}
			// 30 Sep: a leader and 2 officers a shift; 1–2 Oct (国庆节): a bureau leader and 3.
			// Day shifts last 9 hours, nights 15.
			want := row{Shifts: 6 + 16, Nights: 3 + 8, HolidayShifts: 4 + 12, WeekendShifts: 0, Hours: 3*9 + 3*15 + 8*9 + 8*15}
			if got := sum(rows); got != want {
				t.Errorf("totals %+v, want %+v", got, want)
			}
		})

		t.Run("HolidaySaturday", func(t *testing.T) {
			got := sum(fairness("from=2026-10-03&to=2026-10-03"))
			want := row{Shifts: 8, Nights: 4, HolidayShifts: 8, WeekendShifts: 8, Hours: 4*9 + 4*15}
			if got != want {
				t.Errorf("totals %+v, want %+v", got, want)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			expect(t, h.do(http.MethodGet, "/api/v1/roster/fairness?from=2026-10-01&to=2026-10-02", h.dir.Reporter, nil), http.StatusForbidden)
			r := h.do(http.MethodGet, "/api/v1/roster/fairness?from=2026-10-02&to=2026-10-01", h.dir.Officer, nil)
			expect(t, r, http.StatusUnprocessableEntity)
			if e := r.Err(t); e.Error.Fields["to"] == "" {
				t.Errorf("fields %v", e.Error.Fields)
			}
		})
	})
}
