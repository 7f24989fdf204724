package incident_test

import (
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

// secondHandle opens another connection pool on the same database as e, as a second replica would.
func (e *incidentEnv) secondHandle(dialect store.Dialect) *app.Stores {
	e.t.Helper()
	var db *store.DB
	var err error
	switch dialect {
	case store.Postgres:
		var schema string
		if err := e.db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			e.t.Fatal(err)
		}
		u, perr := url.Parse(os.Getenv(testenv.PostgresURLVar))
		if perr != nil {
			e.t.Fatal(perr)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err = store.OpenPostgres(u.String(), e.clock)
	case store.SQLite:
		var file struct {
			Seq  int
			Name string
			File string
		}
		if err := e.db.Raw("PRAGMA database_list").Scan(&file).Error; err != nil {
			e.t.Fatal(err)
		}
		db, err = store.OpenSQLite(file.File, e.clock)
	}
	if err != nil {
		e.t.Fatalf("second handle: %v", err)
	}
	e.t.Cleanup(func() { db.Close() })
	return app.New(db, e.clock, app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4}})
}

func TestConcurrentFirstSignaturesGetConsecutiveSerials(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		replicas := []*app.Stores{e.store, e.secondHandle(dialect)}
		const n = 10
		type filed struct{ incident, report int64 }
		var reports []filed
		for i := 0; i < n+1; i++ {
			inc, r := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, e.clock.Now().Add(-time.Minute)))
			reports = append(reports, filed{inc.ID, r.ID})
		}

		// n officers sign n different incidents at the same moment on two replicas, and two sign
		// the last one at once.
		start := make(chan struct{})
		var wg sync.WaitGroup
		serials := make([]string, n)
		errs := make([]error, n+2)
		sign := func(slot int, stores *app.Stores, f filed) {
			defer wg.Done()
			<-start
			_, inc, err := stores.Incidents.SignReport(e.ctx, e.dir.Officer, f.incident, f.report)
			errs[slot] = err
			if err == nil && slot < n {
				serials[slot] = *inc.Serial
			}
		}
		for i := 0; i < n; i++ {
			wg.Add(1)
			go sign(i, replicas[i%2], reports[i])
		}
		wg.Add(2)
		go sign(n, replicas[0], reports[n])
		go sign(n+1, replicas[1], reports[n])
		close(start)
		wg.Wait()

		for i, err := range errs[:n] {
			if err != nil {
				t.Fatalf("signature %d: %v", i, err)
			}
		}
		if a, b := models.ErrCode(errs[n]), models.ErrCode(errs[n+1]); !(a == "" && b == models.ECONFLICT || a == models.ECONFLICT && b == "") {
			t.Fatalf("two officers signing one report: %v and %v, want one success and one conflict", errs[n], errs[n+1])
		}
		last := e.detail(reports[n].incident).Serial
		all := append(serials, *last)
		sort.Strings(all)
		for i, got := range all {
			if want := incident.FormatSerial(2026, i+1); got != want {
				t.Fatalf("serials %v: position %d is %s, want %s (unique and gap-free)", all, i, got, want)
			}
		}
	})
}

func TestSerialRestartsEachYear(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newIncidentEnv(t, dialect, nil)
		e.clock.Set(time.Date(2026, 12, 31, 23, 50, 0, 0, testenv.Shanghai))
		a, ra := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, e.clock.Now().Add(-time.Minute)))
		b, rb := e.create(e.dir.Reporter, drowningReport(e.dir.School1A.ID, incident.SeverityIV, e.clock.Now().Add(-time.Minute)))

		// A refused signature (the report is a draft, which the desk cannot even see) takes no number.
		_, draft := e.create(e.dir.Reporter, incident.ReportInput{Draft: true, Title: ptr("草稿")})
		if _, _, err := e.store.Incidents.SignReport(e.ctx, e.dir.Admin, draft.IncidentID, draft.ID); models.ErrCode(err) != models.ECONFLICT {
			t.Fatalf("signing a draft: %v", err)
		}
		_, incA, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, a.ID, ra.ID)
		if err != nil || *incA.Serial != "2026-001" {
			t.Fatalf("last signature of 2026: %v %v", err, incA.Serial)
		}
		// 00:00:00 in Shanghai on 1 January is still 2026 in UTC: the bureau's year counts.
		e.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, testenv.Shanghai))
		_, incB, err := e.store.Incidents.SignReport(e.ctx, e.dir.Officer, b.ID, rb.ID)
		if err != nil || *incB.Serial != "2027-001" {
			t.Fatalf("first signature of 2027: %v %v", err, incB.Serial)
		}
	})
}
