package app_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/migrations"
	"dutydesk/models"
	"dutydesk/models/demo"
	"dutydesk/models/store"
)

// TestMigrationsUpOnEmptyDatabase applies every migration to an empty database of each dialect
// (testenv.OpenDB starts empty) and checks that both dialects have the same migrations.
func TestMigrationsUpOnEmptyDatabase(t *testing.T) {
	pg, _ := fs.Glob(migrations.FS, "postgres/*.sql")
	lite, _ := fs.Glob(migrations.FS, "sqlite/*.sql")
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d", len(pg), len(lite))
	}
	for i := range pg {
		if strings.TrimPrefix(pg[i], "postgres/") != strings.TrimPrefix(lite[i], "sqlite/") {
			t.Errorf("migration %d: %s vs %s", i, pg[i], lite[i])
		}
	}
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		db := testenv.OpenDB(t, dialect, testenv.Clock())
		v, err := db.SchemaVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(pg[len(pg)-1], "postgres/"), "%d_", &want); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Fatalf("schema version %d, want %d (the newest migration)", v, want)
		}
		// Migrating again is a no-op.
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestDemoSeed(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		stores, _ := testenv.Store(t, dialect, testenv.Clock())
		info, err := stores.Demo.SeedDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Districts != 6 || info.Schools < 950 || info.Schools > 1050 || info.Contacts < 2*info.Schools || info.Contacts > 4*info.Schools {
			t.Fatalf("demo city %+v", info)
		}
		for _, role := range models.Roles[1:] {
			if info.Usernames[role] == "" {
				t.Errorf("no demo account for %s", role)
			}
		}
		if again, err := stores.Demo.SeedDemo(ctx); err != nil || again != nil {
			t.Fatalf("second seed: %+v %v; want nothing", again, err)
		}
		// A demo account can log in with the documented password.
		if _, _, _, err := stores.Directory.Login(ctx, info.Usernames[models.RoleDutyOfficer], demo.DemoPassword); err != nil {
			t.Fatalf("demo login: %v", err)
		}
	})
}

// TestDemoStartsWithNothingOverdue proves that a fresh demo sends nothing at start: its roster
// begins yesterday (someone is on duty at any hour), and the shifts that have already ended are
// handed over and signed, so neither the handover watch nor the escalation sweep at the seed time
// finds anything to e-mail.
func TestDemoStartsWithNothingOverdue(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		for _, tc := range []struct {
			name  string
			at    time.Time
			ended int // shifts of yesterday and today that ended by the seed time
		}{
			{"AtNight", time.Date(2026, 10, 8, 3, 0, 0, 0, testenv.Shanghai), 1},
			{"AtTheMorningChange", time.Date(2026, 10, 8, 8, 30, 0, 0, testenv.Shanghai), 2},
			{"InTheMorning", time.Date(2026, 10, 8, 10, 0, 0, 0, testenv.Shanghai), 2},
			{"InTheEvening", time.Date(2026, 10, 8, 20, 0, 0, 0, testenv.Shanghai), 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				clock := models.NewFakeClock(tc.at)
				stores, _ := testenv.Store(t, dialect, clock)
				if _, err := stores.Demo.SeedDemo(ctx); err != nil {
					t.Fatal(err)
				}
				res, err := stores.Demo.SeedDemoRoster(ctx)
				if err != nil || res == nil || res.Created == 0 {
					t.Fatalf("demo roster: %+v %v", res, err)
				}
				od, err := stores.Roster.OnDuty(ctx, clock.Now())
				if err != nil || len(od.Officers) == 0 {
					t.Fatalf("nobody on duty at the demo's start: %+v %v", od, err)
				}
				for _, at := range []time.Time{clock.Now(), clock.Now().Add(time.Minute)} {
					clock.Set(at)
					if n, err := stores.Roster.WatchHandovers(ctx, at); err != nil || n != 0 {
						t.Fatalf("handover watch at %s opened %d deadlines (%v), want none", at, n, err)
					}
					sweep, err := stores.Escalation.Sweep(ctx, at)
					if err != nil || sweep.Overdue != 0 || sweep.Fired != 0 || sweep.Messages != 0 {
						t.Fatalf("sweep at %s: %+v %v, want nothing overdue", at, sweep, err)
					}
				}
				pending, failed, err := stores.OutboxBacklog(ctx)
				if err != nil || pending != 0 || failed != 0 {
					t.Fatalf("outbox after the start: %d pending, %d failed (%v), want empty", pending, failed, err)
				}
				// What the demo shows instead: yesterday's handovers, submitted and signed.
				handovers, err := stores.Roster.Handovers(ctx, models.System, tc.at.AddDate(0, 0, -2), tc.at.Add(time.Minute))
				if err != nil || len(handovers) != tc.ended {
					t.Fatalf("%d handovers of ended shifts (%v), want %d", len(handovers), err, tc.ended)
				}
				for _, h := range handovers {
					if h.SignedAt == nil {
						t.Fatalf("handover %d of shift %d is not signed", h.ID, h.ShiftID)
					}
				}
			})
		}
	})
}
