package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/escalation"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

func TestHandover(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-08", "2026-10-08")
		shifts := rosterShifts(t, h, cst(10, 8, 0, 0), cst(10, 9, 0, 0))
		day, night := shiftAt(t, shifts, cst(10, 8, 8, 30)), shiftAt(t, shifts, cst(10, 8, 17, 30))
		outgoing, partner := userByID(d.Officers, peopleOn(day, roster.DutyOfficer)[0]), userByID(d.Officers, peopleOn(day, roster.DutyOfficer)[1])
		incoming := userByID(d.Officers, peopleOn(night, roster.DutyOfficer)[0])
		nightLeader := userByID(d.Leaders, peopleOn(night, roster.DutyLeader)[0])

		// An awaited action elsewhere in the system: a report waiting for the desk's signature.
		ctx := context.Background()
		err := h.core().Transact(ctx, func(tx *store.Store) error {
			return tx.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineSignature, SubjectType: "report", SubjectID: 7,
				Label: "东湖区第一小学 首报待签收", DueAt: cst(10, 8, 17, 45), CreatedAt: h.clock.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}

		h.clock.Set(cst(10, 8, 17, 20))
		submit := map[string]any{"shift_id": day.ID, "summary": "白班平稳，接报1起", "notes": "一小首报待签收"}
		expect(t, h.do(http.MethodPost, "/api/v1/handovers", incoming, submit), http.StatusForbidden)
		expect(t, h.do(http.MethodPost, "/api/v1/handovers", outgoing, map[string]any{"shift_id": day.ID}), http.StatusUnprocessableEntity)
		r := h.do(http.MethodPost, "/api/v1/handovers", outgoing, submit)
		expect(t, r, http.StatusCreated)
		var ho roster.Handover
		r.JSON(t, &ho)
		if len(ho.OpenItems) != 1 || ho.OpenItems[0].Label != "东湖区第一小学 首报待签收" || ho.OpenItems[0].Kind != models.DeadlineSignature {
			t.Errorf("open items %+v, want the report awaiting signature", ho.OpenItems)
		}
		if !ho.DueAt.Equal(cst(10, 8, 18, 0)) {
			t.Errorf("due at %s, want the shift change plus 30 min", ho.DueAt.In(testenv.Shanghai))
		}
		expect(t, h.do(http.MethodPost, "/api/v1/handovers", partner, submit), http.StatusConflict)

		deadlines, err := h.core().SubjectDeadlines(ctx, "handover", ho.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(deadlines) != 1 || deadlines[0].Kind != models.DeadlineHandover || !deadlines[0].DueAt.Equal(cst(10, 8, 18, 0)) || deadlines[0].DoneAt != nil {
			t.Fatalf("handover deadlines %+v", deadlines)
		}

		h.clock.Set(cst(10, 8, 17, 40))
		sign := fmt.Sprintf("/api/v1/handovers/%d/sign", ho.ID)
		for _, wrong := range []*models.User{outgoing, partner, nightLeader, h.dir.Officer, h.dir.Admin, h.dir.DistrictOfficer} {
			r := h.do(http.MethodPost, sign, wrong, nil)
			expect(t, r, http.StatusForbidden)
			if wrong.Role == models.RoleDutyOfficer {
				if e := r.Err(t); e.Error.Message != "只有接班值班员可以签收交接班" {
					t.Errorf("%s: message %q", wrong.DisplayName, e.Error.Message)
				}
			}
		}
		r = h.do(http.MethodPost, sign, incoming, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &ho)
		if ho.SignedBy == nil || *ho.SignedBy != incoming.ID || ho.SignedAt == nil || !ho.SignedAt.Equal(cst(10, 8, 17, 40)) {
			t.Errorf("signed handover %+v", ho)
		}
		deadlines, _ = h.core().SubjectDeadlines(ctx, "handover", ho.ID)
		if deadlines[0].DoneAt == nil || deadlines[0].Late {
			t.Errorf("handover deadline after signing: %+v", deadlines[0])
		}

		t.Run("SignedIsImmutable", func(t *testing.T) {
			other := userByID(d.Officers, peopleOn(night, roster.DutyOfficer)[1])
			r := h.do(http.MethodPost, sign, other, nil)
			expect(t, r, http.StatusConflict)
			r = h.do(http.MethodGet, fmt.Sprintf("/api/v1/handovers/%d", ho.ID), h.dir.Leader, nil)
			expect(t, r, http.StatusOK)
			var got roster.Handover
			r.JSON(t, &got)
			if *got.SignedBy != incoming.ID || got.Summary != "白班平稳，接报1起" {
				t.Errorf("stored handover %+v", got)
			}
		})
		t.Run("List", func(t *testing.T) {
			r := h.do(http.MethodGet, "/api/v1/handovers?from=2026-10-08&to=2026-10-08", h.dir.Leader, nil)
			expect(t, r, http.StatusOK)
			if !strings.Contains(string(r.Body), "白班平稳") {
				t.Errorf("list %s", r.Body)
			}
			expect(t, h.do(http.MethodGet, "/api/v1/handovers?from=2026-10-08&to=2026-10-08", h.dir.Reporter, nil), http.StatusForbidden)
		})
	})
}

func TestDutyLog(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect) // now: 2026-10-08 10:00
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-08", "2026-10-08")
		day := shiftAt(t, rosterShifts(t, h, cst(10, 8, 0, 0), cst(10, 9, 0, 0)), cst(10, 8, 8, 30))
		officer := userByID(d.Officers, peopleOn(day, roster.DutyOfficer)[0])

		entry := map[string]any{"source": "电话", "content": "东湖区第一小学报告一名学生摔伤", "action_taken": "已通知区教育局"}
		r := h.do(http.MethodPost, "/api/v1/dutylog", h.dir.Officer, entry) // not on shift
		expect(t, r, http.StatusForbidden)
		expect(t, h.do(http.MethodPost, "/api/v1/dutylog", officer, map[string]any{"content": " "}), http.StatusUnprocessableEntity)
		expect(t, h.do(http.MethodPost, "/api/v1/dutylog", officer,
			map[string]any{"content": "未来的事", "occurred_at": cst(10, 8, 11, 0)}), http.StatusUnprocessableEntity)

		r = h.do(http.MethodPost, "/api/v1/dutylog", officer, entry)
		expect(t, r, http.StatusCreated)
		var first roster.DutyLogEntry
		r.JSON(t, &first)
		if first.ShiftID == nil || *first.ShiftID != day.ID || !first.OccurredAt.Equal(h.clock.Now()) {
			t.Errorf("entry %+v", first)
		}
		h.clock.Advance(5 * time.Minute)
		r = h.do(http.MethodPost, "/api/v1/dutylog", officer, map[string]any{
			"content": "更正：两名学生摔伤", "corrects_id": first.ID, "occurred_at": cst(10, 8, 9, 58)})
		expect(t, r, http.StatusCreated)
		expect(t, h.do(http.MethodPost, "/api/v1/dutylog", officer, map[string]any{"content": "x", "corrects_id": 999}), http.StatusUnprocessableEntity)

		r = h.do(http.MethodGet, "/api/v1/dutylog?from=2026-10-08&to=2026-10-08", h.dir.Leader, nil)
		expect(t, r, http.StatusOK)
		var list struct{ Items []roster.DutyLogEntry }
		r.JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0].CorrectsID == nil || *list.Items[0].CorrectsID != first.ID || list.Items[1].ID != first.ID {
			t.Fatalf("log %s: want the correction (09:58) then the original (10:00)", r.Body)
		}
		if r := h.do(http.MethodPatch, fmt.Sprintf("/api/v1/dutylog/%d", first.ID), h.dir.Admin, entry); r.Status < 400 {
			t.Errorf("entries must not be editable: %d", r.Status)
		}
	})
}

// TestMissedHandoverEscalates: the day shift ends and nobody submits a handover; the watch opens a
// deadline due 30 min after the change, the sweep tells the leader on duty, and submitting late
// closes it as late.
func TestMissedHandoverEscalates(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := seedDesk(t, h)
		rosterGenerate(t, h, "2026-10-08", "2026-10-08")
		shifts := rosterShifts(t, h, cst(10, 8, 0, 0), cst(10, 9, 0, 0))
		day, night := shiftAt(t, shifts, cst(10, 8, 8, 30)), shiftAt(t, shifts, cst(10, 8, 17, 30))
		outgoing := userByID(d.Officers, peopleOn(day, roster.DutyOfficer)[0])
		nightLeader := userByID(d.Leaders, peopleOn(night, roster.DutyLeader)[0])
		ctx := context.Background()

		h.clock.Set(cst(10, 8, 17, 29))
		if n, err := h.store.Roster.WatchHandovers(ctx, h.clock.Now()); err != nil || n != 0 {
			t.Fatalf("before the change: %d, %v", n, err)
		}
		h.clock.Set(cst(10, 8, 17, 31))
		if n, err := h.store.Roster.WatchHandovers(ctx, h.clock.Now()); err != nil || n != 1 {
			t.Fatalf("after the change: %d, %v", n, err)
		}
		if n, _ := h.store.Roster.WatchHandovers(ctx, h.clock.Now()); n != 0 {
			t.Fatalf("watch opened %d more on a second run", n)
		}
		watched, _ := h.core().SubjectDeadlines(ctx, "shift", day.ID)
		if len(watched) != 1 || !watched[0].DueAt.Equal(cst(10, 8, 18, 0)) {
			t.Fatalf("watch deadline %+v", watched)
		}
		h.clock.Set(cst(10, 8, 18, 0))
		res, err := h.store.Escalation.Sweep(ctx, h.clock.Now())
		if err != nil || res.Fired != 1 {
			t.Fatalf("sweep %+v %v", res, err)
		}
		var list struct{ Items []escalation.EscalationRecord }
		h.do(http.MethodGet, "/api/v1/escalations?kind=handover_sign", h.dir.Admin, nil).JSON(t, &list)
		if len(list.Items) != 1 || len(list.Items[0].Recipients) != 1 || !strings.Contains(list.Items[0].Recipients[0], nightLeader.Email) {
			t.Fatalf("escalation %+v, want the night's leader on duty", list.Items)
		}
		h.clock.Set(cst(10, 8, 18, 10))
		expect(t, h.do(http.MethodPost, "/api/v1/handovers", outgoing, map[string]any{"shift_id": day.ID, "summary": "补交交接班"}), http.StatusCreated)
		watched, _ = h.core().SubjectDeadlines(ctx, "shift", day.ID)
		if watched[0].DoneAt == nil || !watched[0].Late {
			t.Fatalf("watch deadline after a late handover %+v", watched[0])
		}
	})
}
