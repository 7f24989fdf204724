package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/escalation"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// overdueDeadline opens an initial report deadline at School1A due at due and sweeps at 'at'.
func overdueDeadline(t *testing.T, h *harness, due, at time.Time) *models.Deadline {
	t.Helper()
	d := &models.Deadline{Kind: models.DeadlineInitialReport, SubjectType: "incident", SubjectID: 1, SchoolID: &h.dir.School1A.ID,
		DistrictID: &h.dir.District1.ID, Label: "实验室火情", DueAt: due.UTC(), CreatedAt: h.clock.Now()}
	if err := h.core().OpenDeadline(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(at)
	if _, err := h.store.Escalation.Sweep(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestListEscalations(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		d := overdueDeadline(t, h, due, due.Add(15*time.Minute)) // steps 0 and 1

		var list struct {
			Items []escalation.EscalationRecord `json:"items"`
		}
		r := h.do(http.MethodGet, "/api/v1/escalations?deadline="+models.FormatID(d.ID)+"&kind=initial_report", h.dir.Officer, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0].Step != 0 || list.Items[1].Step != 1 || len(list.Items[0].Recipients) != 2 ||
			list.Items[1].Recipients[0] != "值班员甲 <duty1@bureau.example.org>" || list.Items[0].Label != "实验室火情" {
			t.Fatalf("escalations %s", r.Body)
		}
		// Both steps fired at once, at the sweep 15 minutes after the due time.
		justAfter := url.QueryEscape(due.Add(15*time.Minute + time.Second).Format(time.RFC3339))
		for query, want := range map[string]int{"from=" + justAfter: 0, "to=" + justAfter: 2} {
			r = h.do(http.MethodGet, "/api/v1/escalations?"+query, h.dir.Admin, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &list)
			if len(list.Items) != want {
				t.Fatalf("%s: %s", query, r.Body)
			}
		}
		// The school's reporter sees its own school's; another district's officer would not.
		r = h.do(http.MethodGet, "/api/v1/escalations", h.dir.Reporter, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &list)
		if len(list.Items) != 2 {
			t.Fatalf("reporter sees %s", r.Body)
		}

		for _, c := range []struct {
			query, field string
			status       int
		}{
			{"from=yesterday", "from", http.StatusBadRequest},
			{"deadline=x", "deadline", http.StatusBadRequest},
			{"kind=nonsense", "kind", http.StatusUnprocessableEntity},
		} {
			r := h.do(http.MethodGet, "/api/v1/escalations?"+c.query, h.dir.Admin, nil)
			expect(t, r, c.status)
			if e := r.Err(t); e.Error.Fields[c.field] == "" {
				t.Fatalf("%s: %s", c.query, r.Body)
			}
		}
		expect(t, h.do(http.MethodGet, "/api/v1/escalations", nil, nil), http.StatusUnauthorized)
	})
}

func TestEscalationPoliciesAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		body := map[string]any{"steps": []map[string]any{
			{"delay_seconds": 0, "targets": []string{"school_contacts"}},
			{"delay_seconds": 1200, "targets": []string{"leader_on_duty", "leadership"}},
		}}
		expect(t, h.do(http.MethodPut, "/api/v1/escalation-policies/follow_up", h.dir.Officer, body), http.StatusForbidden)
		r := h.do(http.MethodPut, "/api/v1/escalation-policies/follow_up", h.dir.Admin, body)
		expect(t, r, http.StatusOK)
		var p escalation.EscalationPolicy
		r.JSON(t, &p)
		if !p.Custom || len(p.Steps) != 2 || p.Steps[1].Targets[1] != models.AudienceLeadership || p.Name != "突发事件续报" {
			t.Fatalf("policy %s", r.Body)
		}
		r = h.do(http.MethodPut, "/api/v1/escalation-policies/follow_up", h.dir.Admin,
			map[string]any{"steps": []map[string]any{{"delay_seconds": -5, "targets": []string{"mayor"}}}})
		expect(t, r, http.StatusUnprocessableEntity)
		if e := r.Err(t); e.Error.Fields["steps[0].delay_seconds"] == "" || e.Error.Fields["steps[0].targets"] == "" {
			t.Fatalf("errors %s", r.Body)
		}
		expect(t, h.do(http.MethodPut, "/api/v1/escalation-policies/nonsense", h.dir.Admin, body), http.StatusNotFound)
		expect(t, h.do(http.MethodPut, "/api/v1/escalation-policies/follow_up", h.dir.Admin, `{"steps": "soon"}`), http.StatusBadRequest)

		r = h.do(http.MethodGet, "/api/v1/escalation-policies", h.dir.Leader, nil)
		expect(t, r, http.StatusOK)
		var list struct {
			Items []escalation.EscalationPolicy `json:"items"`
		}
		r.JSON(t, &list)
		if len(list.Items) != 11 {
			t.Fatalf("%d policies", len(list.Items))
		}
		expect(t, h.do(http.MethodGet, "/api/v1/escalation-policies", h.dir.Reporter, nil), http.StatusForbidden)

		// The change is audited.
		entries, _, err := h.store.AuditEntries(context.Background(), h.dir.Admin, store.AuditFilter{Action: "escalation_policy.set"})
		if err != nil || len(entries) != 1 || entries[0].ActorName != "admin1" {
			t.Fatalf("audit %+v, %v", entries, err)
		}
	})
}

func TestOutboxAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		ctx := context.Background()
		enqueue := func(id string) {
			t.Helper()
			if _, err := h.core().EnqueueMessage(ctx, notify.Message{ID: notify.MessageID("", id), Channel: notify.ChannelEmail, Kind: notify.KindEscalation,
				To: id + "@school.example.org", Subject: "主题", Text: "正文"}); err != nil {
				t.Fatal(err)
			}
		}
		// "a" fails for good (the default allows 8 attempts); "b" waits.
		enqueue("a")
		for range 8 {
			msgs, err := h.store.ClaimOutbox(ctx, 1)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("claim: %v %v", msgs, err)
			}
			if _, err := h.store.MarkOutboxFailed(ctx, &msgs[0], errors.New("550 mailbox unavailable")); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(2 * time.Hour)
		}
		enqueue("b")

		var list struct {
			Items []store.OutboxMessage `json:"items"`
		}
		for _, u := range []*models.User{h.dir.Admin, h.dir.Officer} {
			r := h.do(http.MethodGet, "/api/v1/outbox?status=failed", u, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].Recipient != "a@school.example.org" || list.Items[0].Attempts != 8 ||
				list.Items[0].LastError != "550 mailbox unavailable" || list.Items[0].Status != store.OutboxFailed {
				t.Fatalf("%s: failed list %s", u.Username, r.Body)
			}
		}
		for _, u := range []*models.User{h.dir.Leader, h.dir.DistrictOfficer, h.dir.Reporter} {
			expect(t, h.do(http.MethodGet, "/api/v1/outbox", u, nil), http.StatusForbidden)
		}
		r := h.do(http.MethodGet, "/api/v1/outbox?status=lost", h.dir.Admin, nil)
		expect(t, r, http.StatusUnprocessableEntity)
		if e := r.Err(t); e.Error.Fields["status"] == "" {
			t.Fatalf("bad status: %s", r.Body)
		}

		id := models.FormatID(list.Items[0].ID)
		expect(t, h.do(http.MethodPost, "/api/v1/outbox/"+id+"/retry", h.dir.Reporter, nil), http.StatusForbidden)
		r = h.do(http.MethodPost, "/api/v1/outbox/"+id+"/retry", h.dir.Officer, nil)
		expect(t, r, http.StatusOK)
		var m store.OutboxMessage
		r.JSON(t, &m)
		if m.Status != store.OutboxPending || m.Attempts != 0 {
			t.Fatalf("retried %s", r.Body)
		}
		expect(t, h.do(http.MethodPost, "/api/v1/outbox/"+id+"/retry", h.dir.Officer, nil), http.StatusConflict)
		expect(t, h.do(http.MethodPost, "/api/v1/outbox/999999/retry", h.dir.Officer, nil), http.StatusNotFound)
	})
}
