package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/store"
)

// benchSweep: the escalation sweep (models.Store.Sweep, in this process) over a large history of
// closed deadlines, a set of open ones and the overdue among them. Measured: the steady-state
// sweep, when every overdue deadline has already fired its due steps (it reads and fires nothing
// new), at the history's size and at growth × that size; and the first sweep, which fires. The
// baseline is the bare SQL read of the overdue rows in the same run.
func benchSweep(ctx context.Context, o options, _ string, r *report) error {
	db, _, cleanup, err := freshDatabase(ctx, o, "sweep")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedCity(ctx, db, 100, 2); err != nil {
		return err
	}
	stores := app.New(db, models.SystemClock{}, app.Options{})
	now := time.Now().UTC().Truncate(time.Second)
	setup := []string{
		`INSERT INTO users (username, display_name, password_hash, role, email, created_at, updated_at) VALUES
		 ('leader', '带班领导', 'x', 'leader', 'leader@bench.test', now(), now()),
		 ('officer1', '值班员一', 'x', 'duty_officer', 'officer1@bench.test', now(), now()),
		 ('officer2', '值班员二', 'x', 'duty_officer', 'officer2@bench.test', now(), now())`,
		// Open deadlines: the overdue ones are 20–25 minutes late, so steps 0 (+0) and 1 (+15 min)
		// of the school ladder are due; the others fall due over the next week.
		fmt.Sprintf(`INSERT INTO deadlines (kind, subject_type, subject_id, school_id, district_id, label, due_at, created_at)
		 SELECT 'initial_report', 'incident', 100000000 + g, s.id, s.district_id, '首报（基准测试）',
		        CASE WHEN g <= %[2]d THEN $1::timestamptz - interval '20 minutes' - (g %% 300) * interval '1 second'
		             ELSE $1::timestamptz + (g %% 604800) * interval '1 second' + interval '1 second' END,
		        $1::timestamptz - interval '1 hour'
		 FROM generate_series(1, %[1]d) g JOIN schools s ON s.id = 1 + g %% 100`, o.open, o.overdue),
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	for i, q := range setup {
		args := []any{now}
		if i == 0 {
			args = nil
		}
		if _, err := sqlDB.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("sweep setup: %w", err)
		}
	}
	loaded := 0
	if err := loadHistory(ctx, db, &loaded, o.history, now); err != nil {
		return err
	}

	start := time.Now()
	res, err := stores.Escalation.Sweep(ctx, now)
	if err != nil {
		return err
	}
	fire := time.Since(start)
	if res.Overdue != o.overdue || res.Fired != 2*o.overdue {
		return fmt.Errorf("first sweep: %d overdue, %d steps fired; want %d and %d", res.Overdue, res.Fired, o.overdue, 2*o.overdue)
	}
	steady, bare, err := timeSweeps(ctx, db, stores, o, now)
	if err != nil {
		return err
	}
	r.add(result{scenario: "sweep", measure: fmt.Sprintf("first sweep, fires %d steps (%d overdue, history %d)", res.Fired, res.Overdue, loaded),
		value: ms(fire), baseline: ms(bare) + " (bare SQL read of the overdue)", target: "reported"})
	r.add(result{scenario: "sweep", measure: fmt.Sprintf("steady-state sweep, median of %d (history %d, %d open, %d overdue)", o.sweepRuns, loaded, o.open, o.overdue),
		value: ms(steady), baseline: ms(bare) + " (bare SQL read of the overdue)", target: "< 100 ms", ok: check(steady < 100*time.Millisecond)})

	if o.growth <= 1 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "sweep: growing history to %d\n", o.history*o.growth)
	if err := loadHistory(ctx, db, &loaded, o.history*(o.growth-1), now); err != nil {
		return err
	}
	grown, bareGrown, err := timeSweeps(ctx, db, stores, o, now)
	if err != nil {
		return err
	}
	ratio := float64(grown) / float64(steady)
	r.add(result{scenario: "sweep", measure: fmt.Sprintf("steady-state sweep, median of %d (history %d = ×%d)", o.sweepRuns, loaded, o.growth),
		value: ms(grown) + fmt.Sprintf(" (×%.2f)", ratio), baseline: ms(steady) + " at ×1; bare SQL " + ms(bareGrown),
		target: "< 100 ms and < ×1.5", ok: check(grown < 100*time.Millisecond && ratio < 1.5)})

	// The first sweep again, over the grown history: forget the fired steps and their messages.
	for _, q := range []string{
		`DELETE FROM escalations WHERE deadline_id IN (SELECT id FROM deadlines WHERE done_at IS NULL)`,
		`DELETE FROM outbox_messages`,
	} {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return err
		}
	}
	start = time.Now()
	res, err = stores.Escalation.Sweep(ctx, now)
	if err != nil {
		return err
	}
	fireGrown := time.Since(start)
	r.add(result{scenario: "sweep", measure: fmt.Sprintf("first sweep, fires %d steps (history %d = ×%d)", res.Fired, loaded, o.growth),
		value: ms(fireGrown), baseline: ms(fire) + " at ×1", target: "reported"})
	return nil
}

// loadHistory adds n closed deadlines (done on time, over the past years) and, for one in ten of
// them, the escalation step that fired before they were done.
func loadHistory(ctx context.Context, db *store.DB, loaded *int, n int, now time.Time) error {
	start := time.Now()
	var firstID int64
	if err := db.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) + 1 FROM deadlines`).Row().Scan(&firstID); err != nil {
		return err
	}
	stmts := []string{
		`INSERT INTO deadlines (kind, subject_type, subject_id, school_id, district_id, label, due_at, done_at, late, created_at)
		 SELECT (ARRAY['initial_report','written_report','follow_up','signature','alert_ack'])[1 + g % 5], 'incident', $2::bigint + g,
		        1 + g % 100, 1 + g % 10, '历史时限', ts, ts + interval '1 minute' * (g % 7 - 3), g % 7 > 3, ts - interval '1 hour'
		 FROM (SELECT g, $1::timestamptz - interval '1 day' - (g % 94608000) * interval '1 second' AS ts
		       FROM generate_series(1, $3::bigint) g) h`,
		`INSERT INTO escalations (deadline_id, step, target, recipients, fired_at)
		 SELECT id, 0, 'school_contacts', '联系人 <c@school.bench.test>', due_at FROM deadlines
		 WHERE id >= $1 AND id % 10 = 0 AND done_at IS NOT NULL`,
		`ANALYZE deadlines`, `ANALYZE escalations`,
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	args := [][]any{{now, *loaded, n}, {firstID}, nil, nil}
	for i, q := range stmts {
		if _, err := sqlDB.ExecContext(ctx, q, args[i]...); err != nil {
			return fmt.Errorf("load history: %w", err)
		}
	}
	*loaded += n
	fmt.Fprintf(os.Stderr, "sweep: history now %d closed deadlines (loaded %d in %s)\n", *loaded, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// timeSweeps runs the steady-state sweep o.sweepRuns times (after one warm-up) and checks it
// fires nothing; it returns the median, and the median of the bare SQL read of the overdue rows.
func timeSweeps(ctx context.Context, db *store.DB, stores *app.Stores, o options, now time.Time) (sweep, bare time.Duration, err error) {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return 0, 0, err
	}
	var sweeps, bares []time.Duration
	for i := 0; i <= o.sweepRuns; i++ {
		start := time.Now()
		res, err := stores.Escalation.Sweep(ctx, now)
		if err != nil {
			return 0, 0, err
		}
		d := time.Since(start)
		if res.Fired != 0 || res.Overdue != o.overdue {
			return 0, 0, fmt.Errorf("steady-state sweep: %d overdue, %d fired; want %d and 0", res.Overdue, res.Fired, o.overdue)
		}
		start = time.Now()
		rows, err := sqlDB.QueryContext(ctx, `SELECT id, kind, subject_type, subject_id, school_id, district_id, label, due_at, done_at, late, missed, created_at
			FROM deadlines WHERE done_at IS NULL AND due_at <= $1 ORDER BY due_at, id`, now)
		if err != nil {
			return 0, 0, err
		}
		n := 0
		for rows.Next() {
			var dl models.Deadline
			if err := rows.Scan(&dl.ID, &dl.Kind, &dl.SubjectType, &dl.SubjectID, &dl.SchoolID, &dl.DistrictID, &dl.Label, &dl.DueAt, &dl.DoneAt, &dl.Late, &dl.Missed, &dl.CreatedAt); err != nil {
				rows.Close()
				return 0, 0, err
			}
			n++
		}
		rows.Close()
		b := time.Since(start)
		if n != o.overdue {
			return 0, 0, fmt.Errorf("bare read: %d overdue, want %d", n, o.overdue)
		}
		if i > 0 { // the first run warms the caches
			sweeps, bares = append(sweeps, d), append(bares, b)
		}
	}
	return median(sweeps), median(bares), nil
}
