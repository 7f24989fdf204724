package scheduler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/alert"
	"dutydesk/models/store"
	"dutydesk/scheduler"
)

// chineseCAP writes a typhoon warning from the city's meteorological office (area code 330100).
func chineseCAP(id, msgType, sent, level, refs, areaCode string) string {
	colour := map[string]string{"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}[level]
	refsXML := ""
	if refs != "" {
		refsXML = "<references>" + refs + "</references>"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>%s</identifier><sender>330100000000</sender><sent>%s</sent>
  <status>Actual</status><msgType>%s</msgType><scope>Public</scope>%s
  <info><language>en-US</language><category>Met</category><event>Typhoon</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <headline>Typhoon warning</headline><area><areaDesc>City</areaDesc></area></info>
  <info><language>zh-CN</language><category>Met</category><event>台风</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <headline>市气象台发布台风%s预警信号</headline>
    <description>预计24小时内平均风力可达8级以上。</description>
    <area><areaDesc>东湖区</areaDesc><geocode><valueName>行政区划代码</valueName><value>%s</value></geocode></area></info>
</alert>`, id, sent, msgType, refsXML, colour, areaCode)
}

// feed serves an Atom feed whose entries link to the current CAP documents.
type feed struct {
	mu   sync.Mutex
	docs []string
}

func (f *feed) set(docs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs = docs
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/feed.atom" {
		fmt.Fprint(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>预警</title>`)
		for i := range f.docs {
			fmt.Fprintf(w, `<entry><title>%d</title><link rel="alternate" type="application/cap+xml" href="http://%s/cap/%d.xml"/></entry>`, i, r.Host, i)
		}
		fmt.Fprint(w, `</feed>`)
		return
	}
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/cap/%d.xml", &i); err != nil || i >= len(f.docs) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/cap+xml")
	fmt.Fprint(w, f.docs[i])
}

func TestCAPFeedCreatesUpdatesAndCancels(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock()
		stores, _ := testenv.Store(t, dialect, clock)
		dir := testenv.SeedDirectory(t, stores)
		f := &feed{}
		srv := httptest.NewServer(f)
		defer srv.Close()
		poller := &scheduler.CAPPoller{Store: stores, URLs: []string{srv.URL + "/feed.atom"}}

		first := "33010041600000000001_20261008100000"
		issue := chineseCAP(first, "Alert", "2026-10-08T10:00:00+08:00", "yellow", "", "330102")
		f.set(issue)
		res, err := poller.Poll(ctx)
		if err != nil || len(res) != 1 || res[0].Action != "created" {
			t.Fatalf("first poll: %+v %v", res, err)
		}
		alertID := res[0].AlertID
		a, _ := stores.Alerts.Alert(ctx, dir.Officer, alertID)
		if a.Type != alert.AlertTyphoon || a.Level != alert.LevelYellow || a.WholeCity || len(a.DistrictIDs) != 1 || a.DistrictIDs[0] != dir.District1.ID {
			t.Fatalf("alert from CAP %+v", a.Alert)
		}
		if !strings.Contains(a.Instructions, "停课") || !strings.Contains(a.Instructions, "8级以上") {
			t.Fatalf("instructions %q", a.Instructions)
		}

		// The feed repeats itself: nothing changes.
		if res, err := poller.Poll(ctx); err != nil || res[0].Action != "unchanged" {
			t.Fatalf("repeat poll: %+v %v", res, err)
		}
		alerts, _, _ := stores.Alerts.Alerts(ctx, dir.Officer, alert.AlertFilter{})
		if len(alerts) != 1 {
			t.Fatalf("%d alerts after a repeated feed", len(alerts))
		}

		// An update raises it to orange, referencing the first message without the _N suffix.
		clock.Advance(time.Hour)
		update := chineseCAP("33010041600000000001_20261008110000_1", "Update", "2026-10-08T11:00:00+08:00", "orange",
			"330100000000,"+first+",2026-10-08T10:00:00+08:00", "330102")
		f.set(issue, update)
		res, err = poller.Poll(ctx)
		if err != nil || len(res) != 2 || res[1].Action != "updated" || res[1].AlertID != alertID {
			t.Fatalf("update poll: %+v %v", res, err)
		}
		a, _ = stores.Alerts.Alert(ctx, dir.Officer, alertID)
		if a.Level != alert.LevelOrange || a.Version != 2 {
			t.Fatalf("after update: %s v%d", a.Level, a.Version)
		}

		// A cancel referencing the update lifts it; polling again changes nothing.
		clock.Advance(time.Hour)
		cancel := chineseCAP("33010041600000000001_20261008120000_2", "Cancel", "2026-10-08T12:00:00+08:00", "orange",
			"330100000000,33010041600000000001_20261008110000_1,2026-10-08T11:00:00+08:00", "330102")
		f.set(issue, update, cancel)
		for round := 0; round < 2; round++ {
			res, err = poller.Poll(ctx)
			if err != nil || len(res) != 3 {
				t.Fatalf("cancel poll: %+v %v", res, err)
			}
		}
		a, _ = stores.Alerts.Alert(ctx, dir.Officer, alertID)
		if a.Status != alert.AlertLifted || len(a.Events) != 3 {
			t.Fatalf("after cancel: %s, %d events", a.Status, len(a.Events))
		}

		// Another area, a drill, a broken document: none creates a real alert, none stops the poll.
		other := chineseCAP("44030041600000000009_20261008130000", "Alert", "2026-10-08T13:00:00+08:00", "red", "", "440300")
		drill := strings.Replace(chineseCAP("33010041600000000010_20261008130000", "Alert", "2026-10-08T13:00:00+08:00", "red", "", "330100"), "<status>Actual</status>", "<status>Exercise</status>", 1)
		f.set(other, drill, "<alert>broken")
		res, err = poller.Poll(ctx)
		if err == nil || len(res) != 2 || res[0].Action != "ignored" || !res[1].Drill {
			t.Fatalf("mixed poll: %+v %v", res, err)
		}
		alerts, _, _ = stores.Alerts.Alerts(ctx, dir.Officer, alert.AlertFilter{Status: alert.AlertActive})
		if len(alerts) != 1 || !alerts[0].Drill || !alerts[0].WholeCity {
			t.Fatalf("active alerts %+v", alerts)
		}
	})
}
