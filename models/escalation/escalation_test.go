package escalation_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// escalationEnv is a store over a fresh database with the fixture directory, a leadership list and
// a short retry ladder.
type escalationEnv struct {
	store *app.Stores
	db    *store.DB
	clock *models.FakeClock
	dir   *testenv.Directory
}

func newEscalationEnv(t *testing.T, dialect store.Dialect) *escalationEnv {
	t.Helper()
	clock := testenv.Clock()
	_, db := testenv.Store(t, dialect, clock)
	stores := app.New(db, clock, app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4},
		Outbox:     store.OutboxOptions{MaxAttempts: 3, RetryBase: 30 * time.Second, RetryMax: 10 * time.Minute, Lease: 5 * time.Minute},
		Escalation: escalation.Options{Leadership: []string{"局长 <chief@bureau.example.org>"}, BaseURL: testenv.BaseURL},
	})
	return &escalationEnv{store: stores, db: db, clock: clock, dir: testenv.SeedDirectory(t, stores)}
}

// openDeadline opens a deadline of kind on School1A (District1), due at dueAt.
func (e *escalationEnv) openDeadline(t *testing.T, kind models.DeadlineKind, subjectID int64, dueAt time.Time) *models.Deadline {
	t.Helper()
	d := &models.Deadline{Kind: kind, SubjectType: "incident", SubjectID: subjectID, SchoolID: &e.dir.School1A.ID,
		DistrictID: &e.dir.District1.ID, Label: "食堂疑似食物中毒", DueAt: dueAt.UTC(), CreatedAt: e.clock.Now()}
	if err := e.core().OpenDeadline(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// sweepAt moves the clock to at and sweeps.
func (e *escalationEnv) sweepAt(t *testing.T, at time.Time) escalation.SweepResult {
	t.Helper()
	e.clock.Set(at)
	res, err := e.store.Escalation.Sweep(context.Background(), at)
	if err != nil {
		t.Fatalf("sweep at %s: %v", at, err)
	}
	return res
}

// queued returns the recipients of the escalation e-mails queued for deadline d, by step, sorted.
func (e *escalationEnv) queued(t *testing.T, d *models.Deadline) map[int][]string {
	t.Helper()
	recs, _, err := e.store.Escalation.Escalations(context.Background(), e.dir.Admin, escalation.EscalationFilter{DeadlineID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := e.store.OutboxMessages(context.Background(), e.dir.Admin, store.OutboxFilter{SubjectType: d.SubjectType, SubjectID: d.SubjectID})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 && len(recs) > 0 && len(recs[0].Recipients) > 0 {
		t.Fatal("escalations recorded without messages")
	}
	byStep := map[int][]string{}
	for _, r := range recs {
		byStep[r.Step] = []string{}
		for _, line := range r.Recipients {
			byStep[r.Step] = append(byStep[r.Step], line[strings.Index(line, "<")+1:len(line)-1])
		}
		sort.Strings(byStep[r.Step])
	}
	var addrs []string
	for _, m := range msgs {
		addrs = append(addrs, m.Recipient)
	}
	var recorded []string
	for _, rs := range byStep {
		recorded = append(recorded, rs...)
	}
	sort.Strings(addrs)
	sort.Strings(recorded)
	if !reflect.DeepEqual(addrs, recorded) && !(len(addrs) == 0 && len(recorded) == 0) {
		t.Fatalf("queued e-mails %v differ from the recorded recipients %v", addrs, recorded)
	}
	return byStep
}

func TestEscalationLadder(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		closed := e.openDeadline(t, models.DeadlineInitialReport, 1, due)
		open := e.openDeadline(t, models.DeadlineInitialReport, 2, due)
		contacts := []string{"principal." + models.FormatID(e.dir.School1A.ID) + "@example.org", "safety." + models.FormatID(e.dir.School1A.ID) + "@example.org"}
		officers := []string{"duty1@bureau.example.org"}
		leader := []string{"leader1@bureau.example.org"}
		chief := []string{"chief@bureau.example.org"}

		moments := []struct {
			name  string
			at    time.Time
			fired int
			want  map[int][]string // expected on the deadline that stays open
		}{
			{"OneSecondBeforeDue", due.Add(-time.Second), 0, map[int][]string{}},
			{"AtDueRemindsSchool", due, 2, map[int][]string{0: contacts}},
			{"SweepAgainFiresNothing", due.Add(time.Second), 0, map[int][]string{0: contacts}},
			{"JustBeforeFifteenMinutes", due.Add(15*time.Minute - time.Second), 0, map[int][]string{0: contacts}},
			{"FifteenMinutesOfficers", due.Add(15 * time.Minute), 2, map[int][]string{0: contacts, 1: officers}},
			{"ThirtyMinutesLeader", due.Add(30 * time.Minute), 2, map[int][]string{0: contacts, 1: officers, 2: leader}},
			{"SixtyMinutesLeadership", due.Add(60 * time.Minute), 1, map[int][]string{0: contacts, 1: officers, 2: leader, 3: chief}},
			{"LadderComplete", due.Add(24 * time.Hour), 0, map[int][]string{0: contacts, 1: officers, 2: leader, 3: chief}},
		}
		for _, m := range moments {
			if m.name == "SixtyMinutesLeadership" {
				// The school files its report 45 minutes late: that ladder stops.
				e.clock.Set(due.Add(45 * time.Minute))
				if _, err := e.core().CloseDeadlines(ctx, models.DeadlineInitialReport, models.SubjectIncident, closed.SubjectID, e.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			res := e.sweepAt(t, m.at)
			if res.Fired != m.fired {
				t.Fatalf("%s: fired %d steps, want %d", m.name, res.Fired, m.fired)
			}
			if got := e.queued(t, open); !reflect.DeepEqual(got, m.want) {
				t.Fatalf("%s: steps %v, want %v", m.name, got, m.want)
			}
		}
		if got, want := e.queued(t, closed), map[int][]string{0: contacts, 1: officers, 2: leader}; !reflect.DeepEqual(got, want) {
			t.Fatalf("closed deadline: steps %v, want %v (nothing after closing)", got, want)
		}

		recs, _, err := e.store.Escalation.Escalations(ctx, e.dir.Admin, escalation.EscalationFilter{DeadlineID: open.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || !recs[1].FiredAt.Equal(due.Add(15*time.Minute)) || recs[1].Targets[0] != models.AudienceOfficersOnDuty || recs[1].KindName != "突发事件首报（电话）" {
			t.Fatalf("records %+v", recs)
		}
		msgs, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{SubjectType: open.SubjectType, SubjectID: open.SubjectID})
		var leaderMsg *store.OutboxMessage
		for i := range msgs {
			if msgs[i].Recipient == leader[0] {
				leaderMsg = &msgs[i]
			}
		}
		if leaderMsg == nil || leaderMsg.Subject != "【逾期升级·第3级】突发事件首报（电话）已逾期30分钟：东湖区第一小学" ||
			!strings.Contains(leaderMsg.BodyText, "带班领导：") || leaderMsg.RecipientName != "带班领导" || leaderMsg.Kind != notify.KindEscalation {
			t.Fatalf("leader's message %+v", leaderMsg)
		}
	})
}

func TestEscalationAlertAckReachesDistrictAndLeader(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai) // issued 10:00, acknowledgement due 10:30
		d := e.openDeadline(t, models.DeadlineAlertAck, 7, due)
		e.sweepAt(t, due)
		e.sweepAt(t, due.Add(30*time.Minute-time.Second))
		if got := e.queued(t, d); len(got) != 1 {
			t.Fatalf("before 30 min: steps %v, want only the reminder", got)
		}
		e.sweepAt(t, due.Add(30*time.Minute))
		got := e.queued(t, d)
		if want := []string{"district1@bureau.example.org", "leader1@bureau.example.org"}; !reflect.DeepEqual(got[1], want) {
			t.Fatalf("step 1 reached %v, want %v", got[1], want)
		}
	})
}

func TestEscalationUsesRosterAndCustomPolicy(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		// A second officer who is not on shift: the roster names only duty1 and leader1.
		role := models.RoleDutyOfficer
		name, display, pw, email := "duty2", "值班员乙", testenv.Password, "duty2@bureau.example.org"
		if _, err := e.store.Directory.CreateUser(ctx, models.System, directory.UserInput{Username: &name, DisplayName: &display, Role: &role, Password: &pw, Email: &email}); err != nil {
			t.Fatal(err)
		}
		var askedAt time.Time
		e.store.Escalation = escalation.New(e.core(), escalation.Deps{Directory: e.store.Directory, Subjects: alert.Deadlines{},
			Duty: fakeDuty{onDuty: func(at time.Time) ([]models.User, []models.User, error) {
				askedAt = at
				return []models.User{*e.dir.Leader}, []models.User{*e.dir.Officer}, nil
			}}}, escalation.Options{})
		steps := []escalation.EscalationStep{{DelaySeconds: 0, Targets: []models.Audience{models.AudienceOfficersOnDuty, models.AudienceLeaderOnDuty}}}
		if _, err := e.store.Escalation.SetEscalationPolicy(ctx, e.dir.Admin, models.DeadlineSignature, steps); err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 10, 8, 11, 0, 0, 0, testenv.Shanghai)
		d := e.openDeadline(t, models.DeadlineSignature, 3, due)
		e.sweepAt(t, due.Add(2*time.Hour))
		got := e.queued(t, d)
		if want := map[int][]string{0: {"duty1@bureau.example.org", "leader1@bureau.example.org"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("steps %v, want %v", got, want)
		}
		if !askedAt.Equal(due.Add(2 * time.Hour)) {
			t.Fatalf("roster asked about %v", askedAt)
		}
	})
}

func TestSetEscalationPolicy(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		good := []escalation.EscalationStep{{DelaySeconds: 0, Targets: []models.Audience{models.AudienceSchoolContacts}}, {DelaySeconds: 600, Targets: []models.Audience{models.AudienceLeadership}}}
		cases := []struct {
			name   string
			actor  *models.User
			kind   models.DeadlineKind
			steps  []escalation.EscalationStep
			code   models.ErrorCode
			fields []string
		}{
			{"OfficerForbidden", e.dir.Officer, models.DeadlineFollowUp, good, models.EFORBIDDEN, nil},
			{"UnknownKind", e.dir.Admin, "nonsense", good, models.ENOTFOUND, nil},
			{"DecreasingDelay", e.dir.Admin, models.DeadlineFollowUp, []escalation.EscalationStep{good[1], good[0]}, models.EINVALID, []string{"steps[1].delay_seconds"}},
			{"UnknownAudience", e.dir.Admin, models.DeadlineFollowUp, []escalation.EscalationStep{{Targets: []models.Audience{"mayor"}}}, models.EINVALID, []string{"steps[0].targets"}},
			{"NoTargets", e.dir.Admin, models.DeadlineFollowUp, []escalation.EscalationStep{{DelaySeconds: 60}}, models.EINVALID, []string{"steps[0].targets"}},
			{"Valid", e.dir.Admin, models.DeadlineFollowUp, good, "", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.store.Escalation.SetEscalationPolicy(ctx, c.actor, c.kind, c.steps)
				if models.ErrCode(err) != c.code {
					t.Fatalf("error %v, want code %q", err, c.code)
				}
				var me *models.Error
				if errors.As(err, &me) {
					for _, f := range c.fields {
						if me.Fields[f] == "" {
							t.Fatalf("no message for %s in %v", f, me.Fields)
						}
					}
				}
			})
		}
		policies, err := e.store.Escalation.EscalationPolicies(ctx, e.dir.Leader)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range policies {
			if p.Kind == models.DeadlineFollowUp && (!p.Custom || !reflect.DeepEqual(p.Steps, good)) {
				t.Fatalf("follow-up policy %+v", p)
			}
			if p.Kind == models.DeadlineInitialReport && (p.Custom || len(p.Steps) != 4 || p.Steps[3].DelaySeconds != 3600) {
				t.Fatalf("initial report policy %+v", p)
			}
		}
		// No steps restores the default.
		p, err := e.store.Escalation.SetEscalationPolicy(ctx, e.dir.Admin, models.DeadlineFollowUp, nil)
		if err != nil || p.Custom || len(p.Steps) != 4 {
			t.Fatalf("restore default: %+v, %v", p, err)
		}
	})
}

func TestEscalationsAreScopedToWhatTheUserSees(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		e.openDeadline(t, models.DeadlineInitialReport, 1, due) // School1A, District1
		other := &models.Deadline{Kind: models.DeadlineInitialReport, SubjectType: "incident", SubjectID: 2, SchoolID: &e.dir.School2A.ID,
			DistrictID: &e.dir.District2.ID, DueAt: due.UTC(), CreatedAt: e.clock.Now()}
		if err := e.core().OpenDeadline(ctx, other); err != nil {
			t.Fatal(err)
		}
		e.sweepAt(t, due)
		for _, c := range []struct {
			user *models.User
			want int
		}{{e.dir.Admin, 2}, {e.dir.Leader, 2}, {e.dir.DistrictOfficer, 1}, {e.dir.Reporter, 1}} {
			recs, _, err := e.store.Escalation.Escalations(ctx, c.user, escalation.EscalationFilter{})
			if err != nil || len(recs) != c.want {
				t.Fatalf("%s sees %d escalations (%v), want %d", c.user.Username, len(recs), err, c.want)
			}
		}
		recs, _, _ := e.store.Escalation.Escalations(ctx, e.dir.Admin, escalation.EscalationFilter{From: due.Add(time.Second)})
		if len(recs) != 0 {
			t.Fatalf("from filter: %d", len(recs))
		}
		if _, _, err := e.store.Escalation.Escalations(ctx, e.dir.Admin, escalation.EscalationFilter{Kind: "nonsense"}); models.ErrCode(err) != models.EINVALID {
			t.Fatalf("unknown kind: %v", err)
		}
	})
}

func TestSweepPagesThroughManyOverdueDeadlines(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		const n = 205 // more than one page of the sweep
		for i := range n {
			// A handover's ladder has one step; spread the due times so pages split inside equal ones.
			d := &models.Deadline{Kind: models.DeadlineHandover, SubjectType: "handover", SubjectID: int64(i + 1),
				DueAt: due.Add(time.Duration(i/3) * time.Second).UTC(), CreatedAt: e.clock.Now()}
			if err := e.core().OpenDeadline(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
		if res := e.sweepAt(t, due.Add(time.Hour)); res.Fired != n || res.Overdue != n {
			t.Fatalf("first sweep %+v, want %d fired", res, n)
		}
		// Their ladders are complete and they stay open; a newer deadline still escalates.
		late := e.openDeadline(t, models.DeadlineHandover, 999, due.Add(2*time.Hour))
		if res := e.sweepAt(t, due.Add(2*time.Hour)); res.Fired != 1 {
			t.Fatalf("second sweep %+v, want the new deadline fired", res)
		}
		if got := e.queued(t, late); len(got[0]) != 1 || got[0][0] != "leader1@bureau.example.org" {
			t.Fatalf("new deadline %v", got)
		}
	})
}

// TestUnacknowledgedAlertIsOneMessagePerPerson: when several schools have not acknowledged one
// alert, each person escalated to gets one message listing the schools they are concerned with.
func TestUnacknowledgedAlertIsOneMessagePerPerson(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		const alertID = 7
		for _, sc := range []directory.School{e.dir.School1A, e.dir.School1B, e.dir.School2A} {
			d := &models.Deadline{Kind: models.DeadlineAlertAck, SubjectType: "alert", SubjectID: alertID, SchoolID: &sc.ID,
				DistrictID: &sc.DistrictID, Label: "台风橙色预警", DueAt: due.UTC(), CreatedAt: e.clock.Now()}
			if err := e.core().OpenDeadline(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		// School1B acknowledges after the reminder.
		e.sweepAt(t, due)
		e.clock.Set(due.Add(10 * time.Minute))
		// (CloseDeadlines closes a whole subject; a per-school close is the alerts module's to add.)
		if err := e.db.Model(&models.Deadline{}).Where("school_id = ?", e.dir.School1B.ID).Update("done_at", e.clock.Now()).Error; err != nil {
			t.Fatal(err)
		}
		res := e.sweepAt(t, due.Add(30*time.Minute))
		if res.Fired != 2 {
			t.Fatalf("step 1 fired for %d schools, want 2", res.Fired)
		}
		msgs, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{SubjectType: "alert", SubjectID: alertID})
		byRecipient := map[string][]store.OutboxMessage{}
		for _, m := range msgs {
			byRecipient[m.Recipient] = append(byRecipient[m.Recipient], m)
		}
		// Step 0: each school's two contacts, once. Step 1: the leader once for both schools; the
		// District1 officer once for School1A only (District2 has no officer in the fixture).
		if len(msgs) != 6+2 {
			t.Fatalf("%d messages, want 8: %v", len(msgs), byRecipient)
		}
		leader := byRecipient["leader1@bureau.example.org"]
		if len(leader) != 1 || leader[0].Subject != "【逾期升级·第2级】预警确认已逾期30分钟：东湖区第一小学等2所学校" ||
			!strings.Contains(leader[0].BodyText, "尚未完成的学校（2所）：\n  1. 东湖区第一小学\n  2. 西江区第一中学") {
			t.Fatalf("leader's message %+v", leader)
		}
		district := byRecipient["district1@bureau.example.org"]
		if len(district) != 1 || !strings.Contains(district[0].BodyText, "责任单位：东湖区第一小学") {
			t.Fatalf("district officer's message %+v", district)
		}
	})
}

// fakeDuty is a roster that answers with functions of the moment or the span asked about.
type fakeDuty struct {
	onDuty   func(at time.Time) (leaders, officers []models.User, err error)
	starting func(from, to time.Time) ([]models.DutyAssignment, error)
}

func (f fakeDuty) OnDutyAt(_ context.Context, _ *store.Store, at time.Time) ([]models.User, []models.User, error) {
	return f.onDuty(at)
}

func (f fakeDuty) AssignmentsStarting(_ context.Context, _ *store.Store, from, to time.Time) ([]models.DutyAssignment, error) {
	return f.starting(from, to)
}

// core is the core store over the env's database, for fixtures only the domains write.
func (e *escalationEnv) core() *store.Store { return testenv.Core(e.db, e.clock) }
