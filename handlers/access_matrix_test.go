package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// The callers of the access matrix: anonymous and one account per role.
const (
	anon     = "anonymous"
	admin    = "admin"
	officer  = "duty_officer"
	leader   = "leader"
	district = "district_officer"
	reporter = "school_reporter"
)

var matrixCallers = []string{anon, admin, officer, leader, district, reporter}

// Shorthands for the callers a rule lets in.
var (
	everyone  = []string{anon, admin, officer, leader, district, reporter}
	loggedIn  = []string{admin, officer, leader, district, reporter}
	deskRoles = []string{admin, officer}
	bureau    = []string{admin, officer, leader}
	nobody    = []string{}
)

// accessRules says who gets past authorisation on each route of the router ("METHOD /path"); every
// other caller must be refused with 401 (anonymous) or 403. A route of the router without a rule
// here fails TestAccessMatrix, so a new route needs a decision about who may call it.
//
// "Gets past" means any answer but 401/403: 2xx, or a 4xx about the (empty) body or a missing
// record. The matrix calls each route with an empty JSON object and with ids of the fixture's
// records in scope of the district officer and the school reporter (School1A, District1).
var accessRules = map[string][]string{
	"GET /healthz":          everyone,
	"GET /readyz":           everyone,
	"GET /metrics":          everyone,
	"GET /api/openapi.yaml": everyone, // scraped by Prometheus on the internal network; counts only, no personal data

	"POST /api/v1/auth/login":  everyone,
	"POST /api/v1/auth/logout": loggedIn,
	"GET /api/v1/me":           loggedIn,

	"GET /api/v1/districts":       loggedIn,
	"GET /api/v1/districts/:id":   loggedIn,
	"POST /api/v1/districts":      {admin},
	"PATCH /api/v1/districts/:id": {admin},

	"GET /api/v1/schools":         loggedIn, // scoped: a reporter sees its school only
	"GET /api/v1/schools/:id":     loggedIn,
	"POST /api/v1/schools":        {admin},
	"PATCH /api/v1/schools/:id":   {admin, district},
	"POST /api/v1/schools/import": {admin},

	"GET /api/v1/schools/:id/contacts":                loggedIn,
	"POST /api/v1/schools/:id/contacts":               {admin, officer, district, reporter},
	"PATCH /api/v1/schools/:id/contacts/:contact_id":  {admin, officer, district, reporter},
	"DELETE /api/v1/schools/:id/contacts/:contact_id": {admin, officer, district, reporter},

	"GET /api/v1/users":       {admin},
	"GET /api/v1/users/:id":   {admin}, // others see only themselves (the matrix asks for the admin)
	"POST /api/v1/users":      {admin},
	"PATCH /api/v1/users/:id": {admin},

	"GET /api/v1/audit": {admin},

	"GET /api/v1/alerts":                     loggedIn,
	"GET /api/v1/alerts/preview":             loggedIn, // what an alert would say; no records
	"GET /api/v1/alerts/:id":                 loggedIn,
	"POST /api/v1/alerts":                    deskRoles,
	"PATCH /api/v1/alerts/:id":               deskRoles,
	"POST /api/v1/alerts/:id/lift":           deskRoles,
	"GET /api/v1/alerts/:id/status":          loggedIn, // scoped to the caller's schools
	"POST /api/v1/alerts/:id/acknowledge":    {admin, officer, reporter},
	"GET /api/v1/alerts/:id/safety":          loggedIn,
	"POST /api/v1/safety-rounds/:id/reports": {admin, officer, reporter},
	"POST /api/v1/cap":                       deskRoles,

	// Signed links: the token is the credential (tested in TestSignedLinks).
	"GET /api/v1/links/ack/:token":     everyone,
	"POST /api/v1/links/ack/:token":    everyone,
	"GET /api/v1/links/safety/:token":  everyone,
	"POST /api/v1/links/safety/:token": everyone,

	"GET /api/v1/incident-categories":                               loggedIn,
	"GET /api/v1/incidents":                                         loggedIn, // scoped
	"GET /api/v1/incidents/:id":                                     loggedIn,
	"POST /api/v1/incidents":                                        {admin, district, reporter},
	"POST /api/v1/phone-intakes":                                    deskRoles,
	"POST /api/v1/incidents/:id/reports":                            {admin, district, reporter},
	"PATCH /api/v1/incidents/:id/reports/:report_id":                {admin, district, reporter},
	"POST /api/v1/incidents/:id/reports/:report_id/submit":          {admin, district, reporter},
	"POST /api/v1/incidents/:id/reports/:report_id/sign":            deskRoles,
	"POST /api/v1/incidents/:id/reports/:report_id/forward":         deskRoles,
	"POST /api/v1/incidents/:id/resolve":                            deskRoles,
	"POST /api/v1/incidents/:id/reopen":                             deskRoles,
	"POST /api/v1/incidents/:id/instructions":                       {admin, leader},
	"POST /api/v1/incidents/:id/instructions/:instruction_id/reply": loggedIn, // no such instruction: 404 to all

	"GET /api/v1/roster":                         bureau,
	"GET /api/v1/roster/now":                     loggedIn, // whom to call: every school needs it
	"GET /api/v1/roster/gaps":                    bureau,
	"GET /api/v1/roster/fairness":                bureau,
	"POST /api/v1/roster/generate":               {admin},
	"POST /api/v1/roster/confirm":                {admin},
	"GET /api/v1/roster/export.xlsx":             bureau,
	"GET /api/v1/roster/export.ics":              bureau,
	"POST /api/v1/roster/feed":                   bureau,
	"GET /api/v1/roster/feeds/:token":            everyone, // the secret token is the credential
	"GET /api/v1/roster/templates":               bureau,
	"POST /api/v1/roster/templates":              {admin},
	"PATCH /api/v1/roster/templates/:id":         {admin},
	"GET /api/v1/roster/rotations":               bureau,
	"PUT /api/v1/roster/rotations/:role":         {admin},
	"GET /api/v1/roster/leaves":                  bureau,
	"POST /api/v1/roster/leaves":                 {admin},
	"DELETE /api/v1/roster/leaves/:id":           {admin},
	"GET /api/v1/roster/holidays":                bureau,
	"PUT /api/v1/roster/holidays/:date":          {admin},
	"DELETE /api/v1/roster/holidays/:date":       {admin},
	"POST /api/v1/roster/shifts/:id/assignments": {admin},
	"PATCH /api/v1/roster/assignments/:id":       {admin},
	"DELETE /api/v1/roster/assignments/:id":      {admin},

	"GET /api/v1/roster/swaps":  bureau,
	"POST /api/v1/roster/swaps": {officer, leader},
	// Swap actions are decided per swap (its requester, its counterpart, the leader on duty); the
	// matrix's swap does not exist, so every caller gets 404 past the login check.
	"POST /api/v1/roster/swaps/:id/accept":  loggedIn,
	"POST /api/v1/roster/swaps/:id/decline": loggedIn,
	"POST /api/v1/roster/swaps/:id/cancel":  loggedIn,
	"POST /api/v1/roster/swaps/:id/approve": loggedIn,
	"POST /api/v1/roster/swaps/:id/reject":  loggedIn,

	"GET /api/v1/dutylog":  bureau,
	"POST /api/v1/dutylog": nobody, // only the officers and leader on shift; nobody is, in the matrix

	"GET /api/v1/handovers":           bureau,
	"GET /api/v1/handovers/:id":       bureau,
	"POST /api/v1/handovers":          {officer, leader}, // then only for their own shift
	"POST /api/v1/handovers/:id/sign": {officer, leader},

	"GET /api/v1/escalations":               loggedIn, // scoped
	"GET /api/v1/escalation-policies":       bureau,
	"PUT /api/v1/escalation-policies/:kind": {admin},

	"GET /api/v1/outbox":            deskRoles,
	"POST /api/v1/outbox/:id/retry": deskRoles,

	// Statistics: the bureau sees the city, a district officer its own district; schools get 403.
	"GET /api/v1/stats":             {admin, officer, leader, district},
	"GET /api/v1/stats/export.xlsx": {admin, officer, leader, district},
	"GET /api/v1/stats/export.csv":  {admin, officer, leader, district},
	"GET /api/v1/stats/summary":     {admin, officer, leader, district},

	// The console's public pages; the e-mailed links' pages, where the token is the credential.
	"GET /":                  everyone,
	"GET /console/login":     everyone,
	"GET /static/*filepath":  everyone,
	"HEAD /static/*filepath": everyone,
	"GET /a/:token":          everyone,
	"GET /s/:token":          everyone,
}

// csrfForms are the public forms: anyone may post them, but only with the CSRF token of the page
// that showed the form (console_test.go posts them properly); the matrix, without one, must be
// refused with 403 whoever it is.
var csrfForms = map[string]bool{"POST /console/login": true, "POST /a/:token": true, "POST /s/:token": true}

// consolePages are the console's pages behind its session cookie. A bearer token does not open
// them; without a session every caller is sent to the login page. Within a session the console
// calls the same Store methods as the API, so the API rules above decide what each role may do
// there (console_test.go covers the pages role by role).
var consolePages = func() map[string]bool {
	pages := map[string]bool{}
	for _, p := range []string{
		"POST /console/logout", "GET /console/", "GET /console/incidents", "GET /console/incidents/:id",
		"POST /console/incidents/:id/reports/:report_id/sign", "POST /console/incidents/:id/reports/:report_id/forward",
		"POST /console/incidents/:id/instructions", "POST /console/incidents/:id/instructions/:instruction_id/reply",
		"POST /console/incidents/:id/resolve", "POST /console/incidents/:id/reopen",
		"GET /console/report", "POST /console/report", "GET /console/incidents/:id/report", "POST /console/incidents/:id/reports",
		"GET /console/incidents/:id/reports/:report_id/edit", "POST /console/incidents/:id/reports/:report_id",
		"GET /console/phone-intake", "POST /console/phone-intake",
		"GET /console/roster", "GET /console/roster/export.xlsx", "GET /console/roster/export.ics", "POST /console/roster/swaps",
		"POST /console/roster/generate", "POST /console/roster/confirm", "POST /console/roster/assignments/replace",
		"POST /console/roster/swaps/:id/accept", "POST /console/roster/swaps/:id/decline", "POST /console/roster/swaps/:id/cancel",
		"POST /console/roster/swaps/:id/approve", "POST /console/roster/swaps/:id/reject",
		"GET /console/dutylog", "POST /console/dutylog", "POST /console/handovers", "POST /console/handovers/:id/sign",
		"GET /console/alerts", "GET /console/alerts/preview", "POST /console/alerts", "GET /console/alerts/:id",
		"POST /console/alerts/:id", "POST /console/alerts/:id/lift",
	} {
		pages[p] = true
	}
	return pages
}()

// matrixWords fill the parameters that name no record.
var matrixWords = map[string]string{":role": "officer", ":kind": "initial_report", ":date": "2026-10-01", ":token": "not-a-token"}

// matrixPath fills a route's parameters with ids of records the matrix seeded, and says whether
// every parameter named a seeded record (then a 404 means the record is hidden from the caller).
func matrixPath(path string, ids map[string]string) (string, bool) {
	seeded, records := true, 0
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, ":") {
			continue
		}
		key := p
		if p == ":id" && i > 0 {
			key = parts[i-1] + "/:id"
		}
		v, ok := ids[key]
		if word, isWord := matrixWords[p]; isWord {
			parts[i] = word
			continue
		}
		records++
		if !ok {
			v, seeded = "1", false
		}
		parts[i] = v
	}
	return strings.Join(parts, "/"), seeded && records > 0
}

func TestAccessMatrix(t *testing.T) {
	h := newHarness(t, store.SQLite)
	d := h.dir
	users := map[string]*models.User{admin: d.Admin, officer: d.Officer, leader: d.Leader, district: d.DistrictOfficer, reporter: d.Reporter}

	// Records to point the routes at, in the district officer's and the reporter's scope.
	r := h.do("POST", "/api/v1/alerts", d.Officer, map[string]any{"type": "typhoon", "level": "orange", "district_ids": []int64{d.District1.ID}})
	expect(t, r, http.StatusCreated)
	var alert struct{ ID int64 }
	r.JSON(t, &alert)
	r = h.do("POST", "/api/v1/incidents", d.Reporter, incidentBody(d.School1A.ID, 4, h.clock.Now().Add(-10*60e9)))
	expect(t, r, http.StatusCreated)
	var inc incidentJSON
	r.JSON(t, &inc)
	var contacts struct{ Items []struct{ ID int64 } }
	h.do("GET", fmt.Sprintf("/api/v1/schools/%d/contacts", d.School1A.ID), d.Admin, nil).JSON(t, &contacts)
	ids := map[string]string{
		"districts/:id": fmt.Sprint(d.District1.ID), "schools/:id": fmt.Sprint(d.School1A.ID),
		"users/:id": fmt.Sprint(d.Admin.ID), "alerts/:id": fmt.Sprint(alert.ID), "incidents/:id": fmt.Sprint(inc.ID),
		":contact_id": fmt.Sprint(contacts.Items[0].ID),
	}
	if len(inc.Reports) > 0 {
		ids[":report_id"] = fmt.Sprint(inc.Reports[0].ID)
	}

	routes := h.router.(*gin.Engine).Routes()
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path+routes[i].Method < routes[j].Path+routes[j].Method })
	seen := map[string]bool{}
	var observed strings.Builder
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		if csrfForms[key] {
			path, _ := matrixPath(rt.Path, ids)
			for _, who := range matrixCallers {
				if res := h.do(rt.Method, path, users[who], nil); res.Status != http.StatusForbidden {
					t.Errorf("%s as %s without a CSRF token: %d, want 403", key, who, res.Status)
				}
			}
			continue
		}
		if consolePages[key] {
			path, _ := matrixPath(rt.Path, ids)
			for _, who := range matrixCallers {
				res := h.do(rt.Method, path, users[who], nil) // a bearer token, never a session cookie
				if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
					t.Errorf("%s as %s without a session: %d %q, want 303 to /console/login", key, who, res.Status, res.Header.Get("Location"))
				}
			}
			continue
		}
		allowed, ruled := accessRules[key]
		if !ruled {
			t.Errorf("%s has no rule in accessRules: decide who may call it", key)
		}
		path, seeded := matrixPath(rt.Path, ids)
		if rt.Method == http.MethodGet {
			// Queries that lists and exports require, so they answer past validation.
			path += "?from=2026-10-01T00:00:00Z&to=2026-10-08T00:00:00Z&type=typhoon&level=orange&district_ids=" + ids["districts/:id"]
		}
		var got []string
		for _, who := range matrixCallers {
			var body any
			if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
				body = "{}"
			}
			if key == "DELETE /api/v1/schools/:id/contacts/:contact_id" {
				// Each caller deletes a contact of its own, so one deletion does not hide the next.
				path = fmt.Sprintf("/api/v1/schools/%d/contacts/%d", d.School1A.ID, h.newContact(d.School1A.ID))
			}
			res := h.do(rt.Method, path, users[who], body)
			if rt.Path == "/api/v1/auth/logout" && who != anon {
				delete(h.tokens, users[who].Username) // that token is gone; log in afresh next time
			}
			if res.Status >= 500 {
				t.Errorf("%s as %s: %d %s", key, who, res.Status, res.Body)
			}
			passed := res.Status != http.StatusUnauthorized && res.Status != http.StatusForbidden &&
				!(seeded && res.Status == http.StatusNotFound)
			if passed {
				got = append(got, who)
			}
			if !ruled {
				continue
			}
			want := slices.Contains(allowed, who)
			switch {
			case want && !passed:
				t.Errorf("%s as %s: refused with %d, want let in: %s", key, who, res.Status, res.Body)
			case !want && passed:
				t.Errorf("%s as %s: let in with %d, want 401/403: %s", key, who, res.Status, res.Body)
			case who == anon && !want && res.Status != http.StatusUnauthorized:
				t.Errorf("%s anonymously: %d, want 401", key, res.Status)
			}
		}
		fmt.Fprintf(&observed, "%q: %v,\n", key, got)
	}
	for key := range csrfForms {
		if !seen[key] {
			t.Errorf("csrfForms has %s, which is not a route", key)
		}
	}
	for key := range consolePages {
		if !seen[key] {
			t.Errorf("consolePages has %s, which is not a route", key)
		}
	}
	for key := range accessRules {
		if !seen[key] {
			t.Errorf("accessRules has %s, which is not a route", key)
		}
	}
	// DUTYDESK_ACCESS_MATRIX_OUT=file writes who got in where, in the table's format, for review.
	if path := os.Getenv("DUTYDESK_ACCESS_MATRIX_OUT"); path != "" {
		_ = os.WriteFile(path, []byte(observed.String()), 0o644)
	}
}

// newContact adds a contact to the school and returns its id.
func (h *harness) newContact(schoolID int64) int64 {
	h.t.Helper()
	n := time.Now().UnixNano()
	name, role, email := fmt.Sprintf("值班电话%d", n), "值班", fmt.Sprintf("duty.%d.%d@example.org", schoolID, n)
	c, err := h.store.Directory.CreateContact(context.Background(), models.System, schoolID, directory.ContactInput{Name: &name, Role: &role, Email: &email})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}
