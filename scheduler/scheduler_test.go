package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"dutydesk/config"
	"dutydesk/internal/smtptest"
	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/store"
	"dutydesk/notify"
	"dutydesk/scheduler"
)

const from = "市教育局应急值守 <duty@edu.example.cn>"

// replica is one instance of the service: its own DB handle, store, SMTP pool and scheduler.
type replica struct {
	store      *app.Stores
	core       *store.Store // for fixtures only the domains write
	dispatcher *scheduler.Dispatcher
	sched      *scheduler.Scheduler
	reg        *prometheus.Registry
}

func newReplica(t *testing.T, db *store.DB, clock models.Clock, srv *smtptest.Server) *replica {
	t.Helper()
	stores := app.New(db, clock, app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4},
		Outbox:     store.OutboxOptions{MaxAttempts: 10, RetryBase: 30 * time.Second, RetryMax: 10 * time.Minute},
		Escalation: escalation.Options{Leadership: []string{"局长 <chief@bureau.example.org>"}},
	})
	sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: from, PoolSize: 2, Timeout: 5 * time.Second, TLSConfig: srv.ClientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	senders := map[notify.Channel]notify.Sender{notify.ChannelEmail: sender}
	reg := prometheus.NewRegistry()
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	sched, err := scheduler.Standard(cfg, scheduler.Deps{Store: stores, DB: db, Senders: senders, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	dispatcher, err := scheduler.NewDispatcher(stores, senders, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &replica{store: stores, core: testenv.Core(db, clock), dispatcher: dispatcher, sched: sched, reg: reg}
}

// delivered returns, per recipient address, how many messages the server accepted; and fails the
// test on any Message-ID accepted twice.
func delivered(t *testing.T, srv *smtptest.Server) map[string]int {
	t.Helper()
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, r := range srv.Received() {
		if ids[r.MessageID] {
			t.Fatalf("message %s delivered twice", r.MessageID)
		}
		ids[r.MessageID] = true
		for _, to := range r.To {
			counts[to]++
		}
	}
	return counts
}

func openDeadline(t *testing.T, core *store.Store, dir *testenv.Directory, subjectID int64, due time.Time) *models.Deadline {
	t.Helper()
	d := &models.Deadline{Kind: models.DeadlineInitialReport, SubjectType: models.SubjectIncident, SubjectID: subjectID,
		SchoolID: &dir.School1A.ID, DistrictID: &dir.District1.ID, Label: "校车事故", DueAt: due.UTC(), CreatedAt: core.Now()}
	if err := core.OpenDeadline(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLadderDeliveredOverSMTP walks an overdue initial report's ladder through sweep, outbox and
// a real SMTP server, and stops it when the report comes in.
func TestLadderDeliveredOverSMTP(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		srv := smtptest.Start(t, smtptest.Options{})
		clock := testenv.Clock()
		db := testenv.OpenDB(t, dialect, clock)
		r := newReplica(t, db, clock, srv)
		dir := testenv.SeedDirectory(t, r.store)
		ctx := context.Background()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		d := openDeadline(t, r.core, dir, 1, due)
		principal := "principal." + models.FormatID(dir.School1A.ID) + "@example.org"
		safety := "safety." + models.FormatID(dir.School1A.ID) + "@example.org"

		steps := []struct {
			name string
			at   time.Time
			want map[string]int
		}{
			{"BeforeDue", due.Add(-time.Second), map[string]int{}},
			{"Due", due, map[string]int{principal: 1, safety: 1}},
			{"Before15", due.Add(15*time.Minute - time.Second), map[string]int{principal: 1, safety: 1}},
			{"At15", due.Add(15 * time.Minute), map[string]int{principal: 1, safety: 1, "duty1@bureau.example.org": 1}},
			{"At30", due.Add(30 * time.Minute), map[string]int{principal: 1, safety: 1, "duty1@bureau.example.org": 1, "leader1@bureau.example.org": 1}},
			{"ClosedAt45_NothingAt60", due.Add(60 * time.Minute), map[string]int{principal: 1, safety: 1, "duty1@bureau.example.org": 1, "leader1@bureau.example.org": 1}},
		}
		for _, st := range steps {
			if st.name == "ClosedAt45_NothingAt60" {
				clock.Set(due.Add(45 * time.Minute))
				if _, err := r.core.CloseDeadlines(ctx, d.Kind, d.SubjectType, d.SubjectID, clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			clock.Set(st.at)
			if _, err := r.store.Escalation.Sweep(ctx, st.at); err != nil {
				t.Fatal(err)
			}
			if _, err := r.dispatcher.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
			if got := delivered(t, srv); fmt.Sprint(got) != fmt.Sprint(st.want) {
				t.Fatalf("%s: delivered %v, want %v", st.name, got, st.want)
			}
		}
		// What the leader received reads as the step it is.
		for _, m := range srv.Received() {
			if m.To[0] != "leader1@bureau.example.org" {
				continue
			}
			msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if subject != "【逾期升级·第3级】突发事件首报（电话）已逾期30分钟：东湖区第一小学" {
				t.Fatalf("leader's subject %q", subject)
			}
		}
	})
}

// TestTwoReplicasFireEachStepOnce runs two replicas (two DB handles, two SMTP pools) against one
// database at the same moments, concurrently: each step fires once and each message arrives once.
func TestTwoReplicasFireEachStepOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		srv := smtptest.Start(t, smtptest.Options{})
		clock := testenv.Clock()
		db1, db2 := testenv.OpenDBPair(t, dialect, clock)
		a, b := newReplica(t, db1, clock, srv), newReplica(t, db2, clock, srv)
		dir := testenv.SeedDirectory(t, a.store)
		ctx := context.Background()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		const deadlines = 10
		for i := range deadlines {
			openDeadline(t, a.core, dir, int64(i+1), due)
		}
		both := func(fn func(r *replica) error) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, r := range []*replica{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 { // each replica ticks several times at the same moment
						if err := fn(r); err != nil {
							errs[i] = err
						}
					}
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		}
		var fired atomic.Int32
		for _, at := range []time.Duration{0, 15 * time.Minute, 30 * time.Minute, 60 * time.Minute} {
			clock.Set(due.Add(at))
			// The store methods directly: the unique key and SKIP LOCKED keep the replicas apart.
			both(func(r *replica) error {
				res, err := r.store.Escalation.Sweep(ctx, clock.Now())
				fired.Add(int32(res.Fired))
				return err
			})
			both(func(r *replica) error { _, err := r.dispatcher.Dispatch(ctx); return err })
			// And the scheduled jobs, through the replica lock.
			both(func(r *replica) error { return r.sched.RunNow(ctx, scheduler.JobEscalation) })
			both(func(r *replica) error { return r.sched.RunNow(ctx, scheduler.JobOutbox) })
		}
		// Per deadline: 2 contacts, 1 officer, 1 leader, 1 chief. The officer, leader and chief get
		// one message per deadline; the contacts of School1A one each per deadline.
		want := map[string]int{"duty1@bureau.example.org": deadlines, "leader1@bureau.example.org": deadlines, "chief@bureau.example.org": deadlines,
			"principal." + models.FormatID(dir.School1A.ID) + "@example.org": deadlines, "safety." + models.FormatID(dir.School1A.ID) + "@example.org": deadlines}
		if got := delivered(t, srv); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("delivered %v, want %v", got, want)
		}
		if fired.Load() != 4*deadlines {
			t.Fatalf("the replicas fired %d steps together, want %d", fired.Load(), 4*deadlines)
		}
		recs, _, err := a.store.Escalation.Escalations(ctx, dir.Admin, escalation.EscalationFilter{Page: models.Page{Limit: 1000}})
		if err != nil || len(recs) != 4*deadlines {
			t.Fatalf("%d escalation records (%v), want %d", len(recs), err, 4*deadlines)
		}
	})
}

// TestOutageLosesNothing takes the SMTP server down while messages are due, keeps dispatching
// through the outage, and brings it back: every message arrives exactly once.
func TestOutageLosesNothing(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		srv := smtptest.Start(t, smtptest.Options{})
		clock := testenv.Clock()
		db := testenv.OpenDB(t, dialect, clock)
		r := newReplica(t, db, clock, srv)
		dir := testenv.SeedDirectory(t, r.store)
		ctx := context.Background()
		// Warm the pool so a pooled connection dies with the server.
		r.core.EnqueueMessage(ctx, notify.Message{ID: notify.MessageID("", "warm"), Channel: notify.ChannelEmail, Kind: notify.KindEscalation,
			To: "warm@example.org", Subject: "warm", Text: "warm"})
		if res, err := r.dispatcher.Dispatch(ctx); err != nil || res.Sent != 1 {
			t.Fatalf("warm-up: %+v, %v", res, err)
		}

		srv.Stop()
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		for i := range 5 {
			openDeadline(t, r.core, dir, int64(i+1), due)
		}
		clock.Set(due.Add(15 * time.Minute)) // steps 0 and 1: 5 × (2 contacts + 1 officer)
		res, err := r.store.Escalation.Sweep(ctx, clock.Now())
		if err != nil || res.Messages != 15 {
			t.Fatalf("sweep: %+v, %v", res, err)
		}
		// Ten minutes of outage, dispatching every 30 seconds.
		for range 20 {
			if _, err := r.dispatcher.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(30 * time.Second)
		}
		if n := len(srv.Received()); n != 1 {
			t.Fatalf("%d messages received during the outage", n)
		}
		pending, _, _ := r.store.OutboxMessages(ctx, dir.Admin, store.OutboxFilter{Status: store.OutboxPending})
		if len(pending) != 15 || pending[0].Attempts < 2 || pending[0].LastError == "" {
			t.Fatalf("during the outage: %d pending, first %+v", len(pending), pending[0])
		}

		srv.Restart()
		clock.Advance(10 * time.Minute) // past the longest backoff
		res2, err := r.dispatcher.Dispatch(ctx)
		if err != nil || res2.Sent != 15 {
			t.Fatalf("after the outage: %+v, %v", res2, err)
		}
		got := delivered(t, srv) // fails on any duplicate
		total := 0
		for _, n := range got {
			total += n
		}
		if total != 16 {
			t.Fatalf("server received %d messages, want 16: %v", total, got)
		}
		left, _, _ := r.store.OutboxMessages(ctx, dir.Admin, store.OutboxFilter{Status: store.OutboxPending})
		failed, _, _ := r.store.OutboxMessages(ctx, dir.Admin, store.OutboxFilter{Status: store.OutboxFailed})
		if len(left)+len(failed) != 0 {
			t.Fatalf("%d pending and %d failed after recovery", len(left), len(failed))
		}
	})
}

// TestGiveUpIsVisibleInMetrics fails a message for good and reads the Prometheus metrics.
func TestGiveUpIsVisibleInMetrics(t *testing.T) {
	clock := testenv.Clock()
	stores, db := testenv.Store(t, store.SQLite, clock)
	core := testenv.Core(db, clock)
	reg := prometheus.NewRegistry()
	failing := senderFunc(func(context.Context, notify.Message) error { return errors.New("550 no such user") })
	d, err := scheduler.NewDispatcher(stores, map[notify.Channel]notify.Sender{notify.ChannelEmail: failing}, 1, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	core.EnqueueMessage(ctx, notify.Message{ID: notify.MessageID("", "x"), Channel: notify.ChannelEmail, Kind: notify.KindEscalation, To: "x@example.org", Subject: "s", Text: "t"})
	core.EnqueueMessage(ctx, notify.Message{ID: notify.MessageID("", "w"), Channel: notify.ChannelWebhook, Kind: notify.KindEscalation, To: "webhook", Subject: "s", Text: "t"})
	for range 8 { // the default MaxAttempts
		if _, err := d.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
	}
	if got := gaugeValue(t, reg, "dutydesk_outbox_messages", "failed"); got != 2 {
		t.Fatalf("failed gauge %v, want 2", got)
	}
	if n := testutil.CollectAndCount(reg, "dutydesk_outbox_failed_total"); n != 2 {
		t.Fatalf("failed counter has %d series, want one per channel", n)
	}
}

// TestPanicInOneJobDoesNotStopOthers runs a real cron every second: a job that always panics keeps
// being scheduled, and the other job keeps running. (cron works in wall-clock time; this test
// waits about two seconds.)
func TestPanicInOneJobDoesNotStopOthers(t *testing.T) {
	var panics, runs atomic.Int32
	quiet := slog.New(slog.DiscardHandler)
	s, err := scheduler.New(scheduler.Options{Location: testenv.Shanghai, Log: quiet},
		scheduler.Job{Name: "broken", Spec: "@every 1s", Run: func(context.Context) error { panics.Add(1); panic("boom") }},
		scheduler.Job{Name: "healthy", Spec: "@every 1s", Run: func(context.Context) error { runs.Add(1); return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for panics.Load() < 2 || runs.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: broken ran %d times, healthy %d times", panics.Load(), runs.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.RunNow(context.Background(), "broken"); err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("RunNow of a panicking job: %v", err)
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		spec string
		ok   bool
	}{
		{"@every 1s", true}, {"@every 30s", true}, {"0 18 * * *", true}, {"0 8 * * *", true}, {"@daily", true},
		{"CRON_TZ=Asia/Shanghai 0 8 * * *", true},
		{"CRON_TZ=", false}, {"", false}, {"every day", false}, {"61 * * * *", false}, {"@every -1s", false}, {"@every 0s", false},
	} {
		t.Run(c.spec, func(t *testing.T) {
			_, err := scheduler.ParseSpec(c.spec)
			if (err == nil) != c.ok {
				t.Fatalf("ParseSpec(%q): %v", c.spec, err)
			}
		})
	}
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.ScheduleDailyBrief = "CRON_TZ="
	clock := testenv.Clock()
	stores, db := testenv.Store(t, store.SQLite, clock)
	_, err := scheduler.Standard(cfg, scheduler.Deps{Store: stores, DB: db, Senders: map[notify.Channel]notify.Sender{}})
	if err == nil || !strings.Contains(err.Error(), "DUTYDESK_SCHEDULE_DAILY_BRIEF") {
		t.Fatalf("bad spec: %v", err)
	}
}

// TestFileTransportByDefault: with no SMTP relay configured, the outbox job writes .eml files.
func TestFileTransportByDefault(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clock := testenv.Clock()
	stores, db := testenv.Store(t, store.SQLite, clock)
	s, err := scheduler.Standard(cfg, scheduler.Deps{Store: stores, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	ctx := context.Background()
	for _, to := range []string{"a@example.org", "b@example.org"} {
		testenv.Core(db, clock).EnqueueMessage(ctx, notify.Message{ID: notify.MessageID("", "eml", to), Channel: notify.ChannelEmail, Kind: notify.KindDailyBrief,
			To: to, Subject: "【值班简报】测试", Text: "正文\n", HTML: "<p>正文</p>\n", CreatedAt: clock.Now()})
	}
	if err := s.RunNow(ctx, scheduler.JobOutbox); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "mail", "*.eml"))
	sort.Strings(files)
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	var tos []string
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		tos = append(tos, msg.Header.Get("To"))
	}
	sort.Strings(tos)
	if fmt.Sprint(tos) != "[<a@example.org> <b@example.org>]" {
		t.Fatalf("To headers %v", tos)
	}
	sent, _, _ := stores.OutboxMessages(ctx, models.System, store.OutboxFilter{Status: store.OutboxSent})
	if len(sent) != 2 {
		t.Fatalf("%d marked sent", len(sent))
	}
}
