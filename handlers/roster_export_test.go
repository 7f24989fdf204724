package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"dutydesk/internal/testenv"
	"dutydesk/models/store"
)

// TestRosterICS generates three days around the end of European summer time (25 Oct 2026) for a
// bureau in Shanghai (no DST) and one in Berlin, and reads the ICS back.
func TestRosterICS(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	zones := []struct {
		loc *time.Location
		// the night of 24 Oct, as written in UTC, and its length
		start, end string
		length     time.Duration
	}{
		{testenv.Shanghai, "DTSTART:20261024T093000Z", "DTEND:20261025T003000Z", 15 * time.Hour},
		{berlin, "DTSTART:20261024T153000Z", "DTEND:20261025T073000Z", 16 * time.Hour},
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		for _, z := range zones {
			t.Run(z.loc.String(), func(t *testing.T) {
				h := newZonedHarness(t, dialect, z.loc)
				d := seedDesk(t, h)
				rosterGenerate(t, h, "2026-10-24", "2026-10-26")

				r := h.do(http.MethodGet, "/api/v1/roster/export.ics?from=2026-10-24&to=2026-10-26", h.dir.Officer, nil)
				expect(t, r, http.StatusOK)
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
					t.Errorf("content type %q", ct)
				}
				if !bytes.Contains(r.Body, []byte("\r\n"+z.start+"\r\n")) || !bytes.Contains(r.Body, []byte("\r\n"+z.end+"\r\n")) {
					t.Errorf("the night of 24 Oct is not %s–%s in:\n%s", z.start, z.end, r.Body)
				}
				events := parseEvents(t, r.Body)
				if len(events) != 6 {
					t.Fatalf("%d events, want 6", len(events))
				}
				for _, e := range events {
					start, end := e.start.In(z.loc), e.end.In(z.loc)
					day := start.Format("15:04") == "08:30" && end.Format("15:04") == "17:30" && end.Sub(start) == 9*time.Hour
					night := start.Format("15:04") == "17:30" && end.Format("15:04") == "08:30" && end.YearDay() == start.YearDay()+1
					if !day && !night {
						t.Errorf("event %q runs %s – %s local", e.summary, start, end)
					}
					if night && start.Day() == 24 && end.Sub(start) != z.length {
						t.Errorf("night of 24 Oct lasts %s, want %s", end.Sub(start), z.length)
					}
				}

				t.Run("PersonalFeed", func(t *testing.T) {
					officer := d.Officers[0]
					r := h.do(http.MethodPost, "/api/v1/roster/feed", officer, nil)
					expect(t, r, http.StatusCreated)
					var feed struct {
						PersonalURL string `json:"personal_url"`
						RosterURL   string `json:"roster_url"`
					}
					r.JSON(t, &feed)
					personal, _ := url.Parse(feed.PersonalURL)
					all, _ := url.Parse(feed.RosterURL)
					token := strings.TrimSuffix(strings.TrimPrefix(personal.Path, "/api/v1/roster/feeds/"), ".ics")
					if len(token) < 43 {
						t.Fatalf("token %q is guessable", token)
					}

					r = h.do(http.MethodGet, personal.RequestURI(), nil, nil) // no login
					expect(t, r, http.StatusOK)
					mine := 0
					for _, sh := range rosterShifts(t, h, time.Date(2026, 10, 24, 0, 0, 0, 0, z.loc), time.Date(2026, 10, 28, 0, 0, 0, 0, z.loc)) {
						for _, a := range sh.Assignments {
							if a.UserID == officer.ID {
								mine++
							}
						}
					}
					if got := parseEvents(t, r.Body); mine == 0 || len(got) != mine {
						t.Errorf("personal feed has %d events, want %d", len(got), mine)
					}
					r = h.do(http.MethodGet, all.RequestURI(), nil, nil)
					expect(t, r, http.StatusOK)
					if got := parseEvents(t, r.Body); len(got) != 6 {
						t.Errorf("whole-roster feed has %d events, want 6", len(got))
					}

					expect(t, h.do(http.MethodGet, "/api/v1/roster/feeds/"+strings.Repeat("A", 43)+".ics", nil, nil), http.StatusNotFound)
					expect(t, h.do(http.MethodPost, "/api/v1/roster/feed", officer, nil), http.StatusCreated) // a new token…
					expect(t, h.do(http.MethodGet, personal.RequestURI(), nil, nil), http.StatusNotFound)     // …revokes the old
				})
			})
		}
	})
}

type icsEvent struct {
	summary    string
	start, end time.Time
}

// parseEvents reads an ICS document back with golang-ical.
func parseEvents(t *testing.T, body []byte) []icsEvent {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse ICS: %v\n%s", err, body)
	}
	var out []icsEvent
	for _, e := range cal.Events() {
		start, err1 := e.GetStartAt()
		end, err2 := e.GetEndAt()
		if err1 != nil || err2 != nil {
			t.Fatalf("event times: %v %v", err1, err2)
		}
		summary := ""
		if p := e.GetProperty(ics.ComponentPropertySummary); p != nil {
			summary = p.Value
		}
		out = append(out, icsEvent{summary, start, end})
	}
	return out
}
