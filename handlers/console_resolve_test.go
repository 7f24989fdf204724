package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dutydesk/internal/testenv"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

// TestConsoleResolveAndReopen: at the desk an officer marks an incident resolved from its page
// (a malformed time is refused next to the field, nothing changed), and reopens it with a reason;
// a school sees neither form (issue 18).
func TestConsoleResolveAndReopen(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		ctx := context.Background()
		inc := fileDrowning(t, h)
		path := "/console/incidents/" + id(inc.ID)

		school := newConsoleClient(t, h.router)
		school.login(h.dir.Reporter)
		if _, page := school.get(path); strings.Contains(page, "标记为处置完毕") {
			t.Fatal("a school is offered the desk's resolution")
		}

		desk := newConsoleClient(t, h.router)
		desk.login(h.dir.Officer)
		if _, page := desk.get(path); !strings.Contains(page, `action="`+path+`/resolve"`) {
			t.Fatal("the desk is not offered to mark the incident resolved")
		}
		desk.post(path+"/resolve", url.Values{"resolved_at": {"昨天"}})
		if _, page := desk.get(path); !strings.Contains(page, "请按“年-月-日 时:分”填写处置完毕时间") {
			t.Fatal("a malformed resolution time is not explained on the page")
		}
		if d, _ := h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, inc.ID); d.Status != incident.IncidentOpen {
			t.Fatalf("a refused resolution changed the incident: %s", d.Status)
		}
		resp, _ := desk.post(path+"/resolve", url.Values{"resolved_at": {""}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
			t.Fatalf("resolve: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := desk.get(path)
		if d, _ := h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, inc.ID); d.Status != incident.IncidentResolved ||
			!strings.Contains(page, "已标记为处置完毕") || !strings.Contains(page, `action="`+path+`/reopen"`) {
			t.Fatalf("after resolving: %s", d.Status)
		}
		resp, _ = desk.post(path+"/reopen", url.Values{"reason": {"家属反映学生病情反复，继续跟踪处置。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reopen: %d", resp.StatusCode)
		}
		if d, _ := h.store.Incidents.IncidentDetail(ctx, h.dir.Officer, inc.ID); d.Status != incident.IncidentOpen {
			t.Fatalf("after reopening: %s", d.Status)
		}
	})
}
