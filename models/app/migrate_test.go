package app_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

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
