package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
	"dutydesk/models/store"
)

// In a PostgreSQL transaction the Store reads a filing's school and writes incidents, reports,
// deadlines and audit entries through pgx (models/pgxrows.go), elsewhere through GORM. These
// tests hold the two to the same rows.

// insertSamples returns one of each model insert writes, for school sc, the incident's and
// report's IDs left to fill in. Zero creation times are GORM's (and insert's) to fill.
func insertSamples(sc directory.School, actor *models.User, now time.Time, serial string) (*incident.Incident, *incident.Report, []models.Deadline, *store.AuditEntry) {
	inc := &incident.Incident{SchoolID: sc.ID, DistrictID: sc.DistrictID, Title: "教学楼外墙瓷砖脱落", Category: "accident",
		Subtype: "other_accident", Severity: 3, OccurredAt: now.Add(-time.Hour), Place: "教学楼", Status: incident.IncidentOpen,
		Serial: &serial, LastReportAt: &now, LateReports: 1, MissedReports: 2, CreatedBy: actor.ID}
	by := actor.ID
	r := &incident.Report{SchoolID: sc.ID, DistrictID: sc.DistrictID, Kind: incident.ReportInitial, Channel: incident.ChannelPhone,
		Status: incident.ReportSubmitted, Severity: 3, Summary: "无人员伤亡", Injured: 2, PropertyLoss: 12000, Cause: "大风",
		Measures: "拉起警戒线", ReporterName: "王老师", ReporterPhone: "13900000000", Late: true, LateReason: "停电",
		ReceivedAt: &now, CallerUnit: "东湖区第一小学", CallerName: "王老师", CallerTitle: "安全专干", CallerPhone: "13900000000",
		AlsoNotified: "区教育局", CreatedBy: actor.ID, SubmittedAt: &now, SignedAt: &now, SignedBy: &by}
	schoolID, districtID := sc.ID, sc.DistrictID
	ds := []models.Deadline{
		{Kind: models.DeadlineInitialReport, SubjectType: "incident", SchoolID: &schoolID, DistrictID: &districtID,
			Label: "电话首报", DueAt: now.Add(time.Hour), DoneAt: &now, Late: true},
		{Kind: models.DeadlineFollowUp, SubjectType: "incident", Label: "续报", DueAt: now.Add(24 * time.Hour), Missed: true},
		{Kind: models.DeadlineSignature, SubjectType: "report", SchoolID: &schoolID, Label: "签收首报", DueAt: now.Add(15 * time.Minute),
			CreatedAt: now.Add(-time.Minute)},
	}
	e := &store.AuditEntry{At: now, ActorID: &by, ActorName: actor.Username, Action: "incident.create",
		SubjectType: "incident", Summary: "教学楼外墙瓷砖脱落", RequestID: "req-1"}
	return inc, r, ds, e
}

// writeSamples writes one set of samples with write, in one transaction, linking them as a
// filing does, and returns them as written.
func writeSamples(t *testing.T, core *store.Store, d *testenv.Directory, serial string, write func(tx *store.Store, rows any) error) (*incident.Incident, *incident.Report, []models.Deadline, *store.AuditEntry) {
	t.Helper()
	inc, r, ds, e := insertSamples(d.School1A, d.Admin, core.Now(), serial)
	err := core.Transact(context.Background(), func(tx *store.Store) error {
		if err := write(tx, inc); err != nil {
			return err
		}
		r.IncidentID = inc.ID
		if err := write(tx, r); err != nil {
			return err
		}
		for i := range ds {
			ds[i].SubjectID = map[models.SubjectType]int64{models.SubjectIncident: inc.ID, models.SubjectReport: r.ID}[ds[i].SubjectType]
		}
		if err := write(tx, &ds); err != nil {
			return err
		}
		e.SubjectID = &inc.ID
		return write(tx, e)
	})
	if err != nil {
		t.Fatal(err)
	}
	return inc, r, ds, e
}

// asWritten reads the rows back and returns them, and what the caller holds, as JSON with the
// IDs (and the unique serial) blanked; times are compared in UTC.
func asWritten(t *testing.T, db *store.DB, inc *incident.Incident, r *incident.Report, ds []models.Deadline, e *store.AuditEntry) (held, read string) {
	t.Helper()
	var gotInc incident.Incident
	var gotR incident.Report
	var gotDs []models.Deadline
	var gotE store.AuditEntry
	for _, q := range []error{
		db.First(&gotInc, inc.ID).Error, db.First(&gotR, r.ID).Error,
		db.Where("subject_id IN ?", []int64{inc.ID, r.ID}).Order("id").Find(&gotDs).Error, db.First(&gotE, e.ID).Error,
	} {
		if q != nil {
			t.Fatal(q)
		}
	}
	blank := func(inc *incident.Incident, r *incident.Report, ds []models.Deadline, e *store.AuditEntry) string {
		c := struct {
			Inc incident.Incident
			R   incident.Report
			Ds  []models.Deadline
			E   store.AuditEntry
		}{*inc, *r, append([]models.Deadline(nil), ds...), *e}
		c.Inc.ID, c.Inc.Serial, c.R.ID, c.R.IncidentID, c.E.ID, c.E.SubjectID = 0, nil, 0, 0, 0, nil
		for i := range c.Ds {
			c.Ds[i].ID, c.Ds[i].SubjectID = 0, 0
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		_ = json.Unmarshal(b, &v)
		b, _ = json.Marshal(utc(v))
		return string(b)
	}
	return blank(inc, r, ds, e), blank(&gotInc, &gotR, gotDs, &gotE)
}

// utc rewrites every RFC 3339 time in a decoded JSON value in UTC, so that times compare by
// instant whatever zone they were read in.
func utc(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = utc(x)
		}
	case []any:
		for i, x := range v {
			v[i] = utc(x)
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

func TestInsertWritesWhatGORMWrites(t *testing.T) {
	skipUnlessPostgres(t)
	clock := testenv.Clock()
	s, db := testenv.Store(t, store.Postgres, clock)
	core := testenv.Core(db, clock)
	d := testenv.SeedDirectory(t, s)
	// Filing's rows: should one of them fall back to GORM (a hook, a default…), this says so.
	for _, m := range []any{&incident.Incident{}, &incident.Report{}, &[]models.Deadline{}, &store.AuditEntry{}} {
		if _, insert, err := store.ThroughPGX(context.Background(), core, m); !insert || err != nil {
			t.Fatalf("%T is not written through pgx: %v", m, err)
		}
	}
	if take, _, err := store.ThroughPGX(context.Background(), core, &directory.School{}); !take || err != nil {
		t.Fatalf("schools are not read through pgx: %v", err)
	}

	clock.Advance(time.Minute)
	inc, r, ds, e := writeSamples(t, core, d, "2026-001", func(tx *store.Store, rows any) error { return tx.Insert(context.Background(), rows) })
	for _, id := range []int64{inc.ID, r.ID, ds[0].ID, ds[1].ID, ds[2].ID, e.ID} {
		if id == 0 {
			t.Fatal("insert left an ID unset")
		}
	}
	if !(ds[0].ID < ds[1].ID && ds[1].ID < ds[2].ID) {
		t.Errorf("deadline IDs %d, %d, %d are not in the order of the rows", ds[0].ID, ds[1].ID, ds[2].ID)
	}
	if !inc.CreatedAt.Equal(clock.Now()) || !r.UpdatedAt.Equal(clock.Now()) || !ds[1].CreatedAt.Equal(clock.Now()) {
		t.Errorf("zero creation times were not set to now: %v, %v, %v", inc.CreatedAt, r.UpdatedAt, ds[1].CreatedAt)
	}
	if !ds[2].CreatedAt.Equal(clock.Now().Add(-time.Minute)) {
		t.Errorf("a creation time that was set was overwritten: %v", ds[2].CreatedAt)
	}
	heldPGX, readPGX := asWritten(t, db, inc, r, ds, e)
	if heldPGX != readPGX {
		t.Errorf("what insert returned differs from what it wrote:\nheld %s\nread %s", heldPGX, readPGX)
	}

	// The same samples through GORM, on a Store outside any transaction's connection.
	inc, r, ds, e = writeSamples(t, core, d, "2026-002", func(tx *store.Store, rows any) error { return db.Create(rows).Error })
	heldGORM, readGORM := asWritten(t, db, inc, r, ds, e)
	if readGORM != readPGX || heldGORM != heldPGX {
		t.Errorf("insert and GORM wrote different rows:\npgx  %s\ngorm %s", readPGX, readGORM)
	}
}

func TestInsertIsPartOfTheTransaction(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	clock := testenv.Clock()
	s, db := testenv.Store(t, store.Postgres, clock)
	core := testenv.Core(db, clock)
	d := testenv.SeedDirectory(t, s)
	inc, _, _, _ := insertSamples(d.School1A, d.Admin, s.Now(), "2026-001")
	boom := errors.New("boom")
	err := core.Transact(ctx, func(tx *store.Store) error {
		if err := tx.Insert(ctx, inc); err != nil {
			return err
		}
		// GORM, on the same transaction, sees the row pgx wrote…
		var n int64
		if err := tx.DB().Model(&incident.Incident{}).Where("id = ?", inc.ID).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("the transaction does not see its own insert: %d rows, %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction: %v", err)
	}
	// …and it is gone with the rollback.
	var n int64
	if err := db.Model(&incident.Incident{}).Where("id = ?", inc.ID).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("a rolled-back insert is still there: %d rows, %v", n, err)
	}
}

func TestTakeReadsWhatGORMReads(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	clock := testenv.Clock()
	s, db := testenv.Store(t, store.Postgres, clock)
	core := testenv.Core(db, clock)
	d := testenv.SeedDirectory(t, s)
	code := "12330100MB0000000X"
	if err := db.Model(&directory.School{}).Where("id = ?", d.School1B.ID).Update("unified_code", code).Error; err != nil {
		t.Fatal(err)
	}
	inc, _, _, _ := writeSamples(t, core, d, "2026-001", func(tx *store.Store, rows any) error { return tx.Insert(ctx, rows) })
	for _, c := range []struct {
		id        int64
		got, want any
	}{
		{d.School1A.ID, &directory.School{}, &directory.School{}}, // no unified code: NULL
		{d.School1B.ID, &directory.School{}, &directory.School{}},
		{inc.ID, &incident.Incident{}, &incident.Incident{}},
	} {
		err := core.Transact(ctx, func(tx *store.Store) error { return tx.Take(ctx, c.got, c.id) })
		if err != nil {
			t.Fatalf("take %T %d: %v", c.got, c.id, err)
		}
		if err := db.Take(c.want, c.id).Error; err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(c.got)
		want, _ := json.Marshal(c.want)
		if string(got) != string(want) {
			t.Errorf("take read\n%s\nGORM read\n%s", got, want)
		}
	}
	err := core.Transact(ctx, func(tx *store.Store) error { return tx.Take(ctx, &directory.School{}, 999999) })
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Errorf("take of a missing row: %v, want gorm.ErrRecordNotFound", err)
	}
}

func TestPGXTranslatesErrorsAndKeepsSavepoints(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	clock := testenv.Clock()
	s, db := testenv.Store(t, store.Postgres, clock)
	core := testenv.Core(db, clock)
	d := testenv.SeedDirectory(t, s)
	first, _, _, _ := insertSamples(d.School1A, d.Admin, s.Now(), "2026-001")
	again, _, _, _ := insertSamples(d.School1A, d.Admin, s.Now(), "2026-001")
	var kept, undone []*models.Deadline
	err := core.Transact(ctx, func(tx *store.Store) error {
		if err := tx.Insert(ctx, first); err != nil {
			return err
		}
		// A savepoint rolled back takes what pgx wrote in it, and only that.
		err := tx.Transact(ctx, func(sp *store.Store) error {
			undone = []*models.Deadline{{Kind: models.DeadlineFollowUp, SubjectType: "incident", SubjectID: first.ID, Label: "续报", DueAt: sp.Now()}}
			if err := sp.Insert(ctx, &undone); err != nil {
				return err
			}
			// A duplicate key is what GORM would report.
			err := sp.Insert(ctx, again)
			if !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Errorf("a duplicate serial: %v, want gorm.ErrDuplicatedKey", err)
			}
			return err
		})
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("savepoint: %w", err)
		}
		kept = []*models.Deadline{{Kind: models.DeadlineFinalReport, SubjectType: "incident", SubjectID: first.ID, Label: "终报", DueAt: tx.Now()}}
		return tx.Insert(ctx, &kept)
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := db.Model(&models.Deadline{}).Where("subject_id = ?", first.ID).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != kept[0].ID || undone[0].ID == 0 {
		t.Errorf("deadlines after the savepoint's rollback: %v, want only %d (rolled back: %d)", ids, kept[0].ID, undone[0].ID)
	}
}

func TestPGXLeavesToGORMWhatItCannotDoAlike(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	clock := testenv.Clock()
	_, db := testenv.Store(t, store.Postgres, clock)
	core := testenv.Core(db, clock)
	// Users are in the read cache, whose GORM callbacks must see every write.
	if take, insert, err := store.ThroughPGX(ctx, core, &models.User{}); take || insert || err != nil {
		t.Errorf("users would go through pgx (take %v, insert %v, %v): the read cache would not be emptied", take, insert, err)
	}
	type withDefault struct {
		ID    int64
		State string `gorm:"default:'new'"`
	}
	if take, insert, err := store.ThroughPGX(ctx, core, &withDefault{}); !take || insert || err != nil {
		t.Errorf("a model with a database default: take %v, insert %v (%v); want it read through pgx and written by GORM, which leaves the zero value out", take, insert, err)
	}
	if take, insert, err := store.ThroughPGX(ctx, core, &hooked{}); !take || insert || err != nil {
		t.Errorf("a model with a BeforeCreate hook: take %v, insert %v (%v); want it written by GORM, which runs the hook", take, insert, err)
	}
}

// hooked has a GORM hook that pgx would not run.
type hooked struct{ ID int64 }

func (*hooked) BeforeCreate(*gorm.DB) error { return nil }

func skipUnlessPostgres(t *testing.T) {
	if !slices.Contains(testenv.Dialects(), store.Postgres) {
		t.Skipf("this runs on PostgreSQL only (%s is not set)", testenv.PostgresURLVar)
	}
}
