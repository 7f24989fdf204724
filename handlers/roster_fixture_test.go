package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// newZonedHarness is newHarness with the bureau in another time zone.
func newZonedHarness(t *testing.T, dialect store.Dialect, loc *time.Location) *harness {
	t.Helper()
	clock := testenv.Clock()
	db := testenv.OpenDB(t, dialect, clock)
	stores := app.New(db, clock, zonedOptions(loc))
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.LoginRatePerMinute = 1000
	h := &harness{t: t, store: stores, db: db, clock: clock, tokens: map[string]string{}}
	h.router = handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping})
	h.dir = testenv.SeedDirectory(t, stores)
	return h
}

// desk is the duty desk's people: leaders, bureau leaders and officers, in their rotations.
type desk struct {
	Leaders, Bureau, Officers []*models.User
}

// seedDesk creates 3 leaders, 2 bureau leaders and 7 officers and sets the rotations through the API.
func seedDesk(t *testing.T, h *harness) *desk {
	t.Helper()
	ctx := context.Background()
	mk := func(prefix, name string, role models.Role, n int) []*models.User {
		var us []*models.User
		for i := 1; i <= n; i++ {
			username, display := fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("%s%d", name, i)
			pw, email, mobile := testenv.Password, username+"@bureau.example.org", fmt.Sprintf("1380000%04d", len(prefix)*100+i)
			u, err := h.store.Directory.CreateUser(ctx, models.System, directory.UserInput{Username: &username, DisplayName: &display,
				Role: &role, Password: &pw, Email: &email, Mobile: &mobile})
			if err != nil {
				t.Fatal(err)
			}
			us = append(us, u)
		}
		return us
	}
	d := &desk{
		Leaders:  mk("ldr", "领导", models.RoleLeader, 3),
		Bureau:   mk("bureau", "局领导", models.RoleLeader, 2),
		Officers: mk("off", "值班员", models.RoleDutyOfficer, 7),
	}
	for role, us := range map[string][]*models.User{"leader": d.Leaders, "bureau_leader": d.Bureau, "officer": d.Officers} {
		ids := make([]int64, len(us))
		for i, u := range us {
			ids[i] = u.ID
		}
		expect(t, h.do(http.MethodPut, "/api/v1/roster/rotations/"+role, h.dir.Admin, map[string]any{"user_ids": ids}), http.StatusOK)
	}
	return d
}

// rosterGenerate fills the roster for the days through the API.
func rosterGenerate(t *testing.T, h *harness, from, to string) generateResult {
	t.Helper()
	r := h.do(http.MethodPost, "/api/v1/roster/generate", h.dir.Admin, map[string]string{"from": from, "to": to})
	expect(t, r, http.StatusOK)
	var res generateResult
	r.JSON(t, &res)
	return res
}

type generateResult struct {
	Created, Refilled, Kept, Removed int
	Unfilled                         []string
	Gaps                             []roster.Gap
}

// rosterShifts reads the shifts of [from, to) through the API.
func rosterShifts(t *testing.T, h *harness, from, to time.Time) []roster.Shift {
	t.Helper()
	r := h.do(http.MethodGet, "/api/v1/roster?"+span(from, to), h.dir.Officer, nil)
	expect(t, r, http.StatusOK)
	var out struct{ Items []roster.Shift }
	r.JSON(t, &out)
	return out.Items
}

// rosterChecks reads /roster/gaps.
func rosterChecks(t *testing.T, h *harness, from, to time.Time) roster.RosterChecks {
	t.Helper()
	r := h.do(http.MethodGet, "/api/v1/roster/gaps?"+span(from, to), h.dir.Leader, nil)
	expect(t, r, http.StatusOK)
	var out roster.RosterChecks
	r.JSON(t, &out)
	return out
}

// peopleOn returns the user ids of a shift in a role.
func peopleOn(sh roster.Shift, role roster.DutyRole) []int64 {
	var ids []int64
	for _, a := range sh.Assignments {
		if a.Role == role {
			ids = append(ids, a.UserID)
		}
	}
	return ids
}

// shiftAt finds the shift starting at t.
func shiftAt(t *testing.T, shifts []roster.Shift, start time.Time) roster.Shift {
	t.Helper()
	for _, sh := range shifts {
		if sh.StartsAt.Equal(start) {
			return sh
		}
	}
	t.Fatalf("no shift starts at %s", start)
	return roster.Shift{}
}

func userByID(us []*models.User, id int64) *models.User {
	for _, u := range us {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func cst(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, testenv.Shanghai)
}

// span is the query string ?from=&to= for two times.
func span(from, to time.Time) string {
	return url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}.Encode()
}

// zonedOptions are the test stores' options with the bureau in loc.
func zonedOptions(loc *time.Location) app.Options {
	opts := testenv.Options()
	opts.Location = loc
	return opts
}
