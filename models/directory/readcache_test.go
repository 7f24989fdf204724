package directory_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

// The answers the read cache keeps (sessions here, who is on duty in models/roster) as the
// replicas see them; how the cache hears of changes is tested in models/store. The read cache
// runs only on PostgreSQL. In these tests the clock is fake and does not move
// unless told to, so a cached answer never expires on its own: only invalidation can make a
// replica see a change.

// eventually waits (up to 10 s) for cond: a replica hears of another's change asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
	}
}

func skipUnlessPostgres(t *testing.T) {
	if !slices.Contains(testenv.Dialects(), store.Postgres) {
		t.Skipf("the read cache runs on PostgreSQL only (%s is not set)", testenv.PostgresURLVar)
	}
}

// loginCached logs username in on a and authenticates the token on each of cachers, checking
// that each keeps the session in its read cache.
func loginCached(t *testing.T, a *app.Stores, username string, cachers ...*app.Stores) (string, *directory.Session, *models.User) {
	t.Helper()
	ctx := context.Background()
	token, sess, u, err := a.Directory.Login(ctx, username, testenv.Password)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cachers {
		if _, _, err := s.Directory.Authenticate(ctx, token); err != nil || !directory.CachedSession(s.Directory, token) {
			t.Fatalf("an authenticated session is not kept by the read cache: %v", err)
		}
	}
	return token, sess, u
}

func replicas(t *testing.T) (a, b *app.Stores, dbA, dbB *store.DB, clock *models.FakeClock) {
	clock = testenv.Clock()
	dbA, dbB = testenv.OpenDBPair(t, store.Postgres, clock)
	return app.New(dbA, clock, testenv.Options()), app.New(dbB, clock, testenv.Options()), dbA, dbB, clock
}

func TestReadCacheSessions(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	a, b, dbA, _, _ := replicas(t)
	dir := testenv.SeedDirectory(t, a)
	refused := func(s *app.Stores, token string) func() bool {
		return func() bool {
			_, _, err := s.Directory.Authenticate(ctx, token)
			return models.ErrCode(err) == models.EUNAUTHORIZED
		}
	}
	t.Run("LogoutIsRefusedAtOnceHereAndSoonOnEveryReplica", func(t *testing.T) {
		token, sess, u := loginCached(t, a, dir.Officer.Username, a, b)
		if err := a.Directory.Logout(ctx, u, sess); err != nil {
			t.Fatal(err)
		}
		if !refused(a, token)() {
			t.Fatal("the replica that logged out still accepts the token")
		}
		eventually(t, "the other replica still accepts a logged-out token", refused(b, token))
	})

	t.Run("ChangeByAnotherProgramReachesEveryReplica", func(t *testing.T) {
		token, _, _ := loginCached(t, a, dir.Officer.Username, a, b)
		// Written with database/sql, past GORM: the replicas can only hear of it by notification.
		sqlDB, err := dbA.DB.DB()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sqlDB.ExecContext(ctx, "UPDATE users SET disabled = true WHERE id = $1", dir.Officer.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "replica A still accepts a disabled user's token", refused(a, token))
		eventually(t, "replica B still accepts a disabled user's token", refused(b, token))
	})
}

func TestReadCacheListenerLoss(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	a, b, dbA, dbB, _ := replicas(t)
	dir := testenv.SeedDirectory(t, a)
	token, sess, u := loginCached(t, a, dir.Officer.Username, b)
	// B's listening connection dies (PostgreSQL restarted, a network cut): whatever changes
	// until it is back must not be missed, so B's cache is off, and starts empty when back.
	pid := dbB.ListenerPID()
	var killed bool
	if err := dbA.Raw("SELECT pg_terminate_backend(?)", pid).Scan(&killed).Error; err != nil || !killed {
		t.Fatalf("terminate the listener %d: %v %v", pid, killed, err)
	}
	if err := a.Directory.Logout(ctx, u, sess); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B reconnects its listener", func() bool {
		p := dbB.ListenerPID()
		return p != 0 && p != pid && dbB.ReadCacheOn()
	})
	if _, _, err := b.Directory.Authenticate(ctx, token); models.ErrCode(err) != models.EUNAUTHORIZED {
		t.Fatalf("B accepts a token revoked while its listener was down: %v", err)
	}
}

func TestReadCacheAnswersAreCopies(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	a, _, _, _, _ := replicas(t)
	dir := testenv.SeedDirectory(t, a)
	token, _, _ := loginCached(t, a, dir.DistrictOfficer.Username, a)
	u, _, err := a.Directory.Authenticate(ctx, token)
	if err != nil || u.DistrictID == nil {
		t.Fatalf("district officer: %+v %v", u, err)
	}
	*u.DistrictID, u.Role = -1, models.RoleAdmin // a careless caller
	again, _, err := a.Directory.Authenticate(ctx, token)
	if err != nil || *again.DistrictID != dir.District1.ID || again.Role != models.RoleDistrictOfficer {
		t.Fatalf("the cached session was changed through an answer: %+v %v", again, err)
	}
}

func TestReadCacheOnDuty(t *testing.T) {
	skipUnlessPostgres(t)
	ctx := context.Background()
	a, b, _, _, clock := replicas(t) // 2026-10-08 10:00: the day shift, 08:30–17:30
	dir := testenv.SeedDirectory(t, a)
	people := map[roster.RotationRole][]int64{}
	for role, n := range map[roster.RotationRole]int{roster.RotationLeaders: 3, roster.RotationBureauLeaders: 2, roster.RotationOfficers: 7} {
		userRole := models.RoleLeader
		if role == roster.RotationOfficers {
			userRole = models.RoleDutyOfficer
		}
		for i := 1; i <= n; i++ {
			name, pw := fmt.Sprintf("%s%d", role, i), testenv.Password
			name = "u_" + name
			u, err := a.Directory.CreateUser(ctx, models.System, directory.UserInput{Username: &name, DisplayName: &name, Role: &userRole, Password: &pw})
			if err != nil {
				t.Fatal(err)
			}
			people[role] = append(people[role], u.ID)
		}
		if _, err := a.Roster.SetRotation(ctx, dir.Admin, role, people[role]); err != nil {
			t.Fatal(err)
		}
	}
	now := func(s *app.Stores) *roster.OnDuty {
		t.Helper()
		od, err := s.Roster.RosterNow(ctx, dir.Officer)
		if err != nil {
			t.Fatal(err)
		}
		return od
	}
	if od := now(b); od.Leader != nil || len(od.Officers) != 0 {
		t.Fatalf("on duty before any roster: %+v", od)
	}
	if _, err := a.Roster.GenerateRoster(ctx, dir.Admin, roster.GenerateInput{From: "2026-10-08", To: "2026-10-09"}); err != nil {
		t.Fatal(err)
	}
	if od := now(a); od.Leader == nil || len(od.Officers) != 2 {
		t.Fatalf("the replica that generated the roster does not see it at once: %+v", od)
	}
	eventually(t, "B still answers the empty desk", func() bool { return now(b).Leader != nil })

	day := now(b)
	shifts, err := a.Roster.Roster(ctx, dir.Admin, clock.Now(), clock.Now().Add(time.Hour))
	if err != nil || len(shifts) == 0 {
		t.Fatalf("roster: %v %v", shifts, err)
	}
	var officer roster.Assignment
	for _, as := range shifts[0].Assignments {
		if as.Role == roster.DutyOfficer {
			officer = as
		}
	}
	onDay := map[int64]bool{day.Officers[0].ID: true, day.Officers[1].ID: true}
	var spare int64
	for _, id := range people[roster.RotationOfficers] {
		if !onDay[id] {
			spare = id
		}
	}
	if _, err := a.Roster.ReplaceAssignment(ctx, dir.Admin, officer.ID, spare); err != nil {
		t.Fatal(err)
	}
	hasSpare := func(s *app.Stores) func() bool {
		return func() bool {
			for _, o := range now(s).Officers {
				if o.ID == spare {
					return true
				}
			}
			return false
		}
	}
	if !hasSpare(a)() {
		t.Fatal("the replica that replaced an officer does not see it at once")
	}
	eventually(t, "B does not see the replaced officer", hasSpare(b))

	// At the shift change the answer changes, cached or not: 17:29:59.999 is still the day.
	end := day.EndsAt
	clock.Set(end.Add(-time.Millisecond))
	if od := now(b); !od.EndsAt.Equal(end) {
		t.Fatalf("just before the change: %+v", od)
	}
	clock.Set(end)
	if od := now(b); !od.EndsAt.After(end) || od.Leader == nil || od.Leader.ID == day.Leader.ID {
		t.Fatalf("at the shift change B still answers the day shift: %+v", od)
	}
	// The last generated shift (night of 10-09) ends with nobody after it.
	clock.Set(time.Date(2026, 10, 10, 8, 29, 0, 0, testenv.Shanghai))
	last := now(b)
	if last.Leader == nil {
		t.Fatalf("the night of 10-09: %+v", last)
	}
	clock.Set(last.EndsAt.Add(-time.Millisecond))
	now(b)
	clock.Set(last.EndsAt)
	if od := now(b); od.Leader != nil || len(od.Officers) != 0 {
		t.Fatalf("after the last shift B still answers it: %+v", od)
	}
}

func TestReadCacheIsOffOnSQLite(t *testing.T) {
	db := testenv.OpenDB(t, store.SQLite, testenv.Clock())
	if err := db.WatchChanges(context.Background(), time.Minute, nil); err != nil || db.ReadCacheOn() {
		t.Fatalf("SQLite: WatchChanges %v, cache on %v", err, db.ReadCacheOn())
	}
}
