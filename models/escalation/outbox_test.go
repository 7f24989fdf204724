package escalation_test

import (
	"context"
	"errors"
	"slices"
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

func testMessage(id string) notify.Message {
	return notify.Message{ID: notify.MessageID("", "test", id), Channel: notify.ChannelEmail, Kind: notify.KindEscalation,
		To: "a@school.example.org", Subject: "主题", Text: "正文\n"}
}

func TestEnqueueMessageOncePerMessageID(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		for i, want := range []bool{true, false} {
			added, err := e.core().EnqueueMessage(ctx, testMessage("1"))
			if err != nil || added != want {
				t.Fatalf("enqueue #%d: added %v (%v), want %v", i+1, added, err, want)
			}
		}
		// Inside a transaction that rolls back, nothing is queued.
		rollback := errors.New("rollback")
		err := e.core().Transact(ctx, func(tx *store.Store) error {
			if _, err := tx.EnqueueMessage(ctx, testMessage("2")); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		msgs, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{})
		if len(msgs) != 1 {
			t.Fatalf("%d rows queued, want 1", len(msgs))
		}
		if _, err := e.core().EnqueueMessage(ctx, notify.Message{ID: "<x@y>", Channel: "pigeon", To: "a@b.cn", Subject: "s"}); err == nil {
			t.Fatal("a message on an unknown channel was queued")
		}
	})
}

// TestEnqueueMessagesSkipsQueuedMessageIDs queues a batch (on PostgreSQL, the COPY path) that
// repeats a Message-ID already queued and one of its own: the batch adds only the new messages,
// and a batch in a transaction that rolls back adds nothing.
func TestEnqueueMessagesSkipsQueuedMessageIDs(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		queued := func() []string {
			t.Helper()
			msgs, _, err := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range msgs {
				ids = append(ids, m.MessageID)
			}
			return ids
		}
		t.Run("NewBatch", func(t *testing.T) {
			added, err := e.core().EnqueueMessages(ctx, []notify.Message{testMessage("1"), testMessage("2")})
			if err != nil || added != 2 {
				t.Fatalf("added %d (%v), want 2", added, err)
			}
		})
		t.Run("BatchRepeatingQueuedAndOwnIDs", func(t *testing.T) {
			err := e.core().Transact(ctx, func(tx *store.Store) error {
				added, err := tx.EnqueueMessages(ctx, []notify.Message{testMessage("3"), testMessage("2"), testMessage("4"), testMessage("3")})
				if err != nil || added != 2 {
					t.Fatalf("added %d (%v), want 2 (3 and 4)", added, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Run("RolledBack", func(t *testing.T) {
			rollback := errors.New("rollback")
			err := e.core().Transact(ctx, func(tx *store.Store) error {
				if added, err := tx.EnqueueMessages(ctx, []notify.Message{testMessage("5"), testMessage("6")}); err != nil || added != 2 {
					t.Fatalf("added %d (%v), want 2", added, err)
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatal(err)
			}
		})
		want := []string{testMessage("1").ID, testMessage("2").ID, testMessage("3").ID, testMessage("4").ID}
		if got := queued(); !slices.Equal(got, want) {
			t.Fatalf("queued %v, want %v", got, want)
		}
	})
}

func TestOutboxRetriesWithBackoffThenFails(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect) // MaxAttempts 3, RetryBase 30 s, Lease 5 min
		ctx := context.Background()
		start := e.clock.Now()
		if _, err := e.core().EnqueueMessage(ctx, testMessage("1")); err != nil {
			t.Fatal(err)
		}
		claimAt := func(at time.Time) []store.OutboxMessage {
			t.Helper()
			e.clock.Set(at)
			got, err := e.store.ClaimOutbox(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		sendErr := errors.New("421 try later")

		got := claimAt(start)
		if len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("first claim %+v", got)
		}
		if again := claimAt(start); len(again) != 0 {
			t.Fatal("a leased message was claimed twice")
		}
		if gaveUp, err := e.store.MarkOutboxFailed(ctx, &got[0], sendErr); err != nil || gaveUp {
			t.Fatalf("first failure: gave up %v, %v", gaveUp, err)
		}
		// 30 s after the first failure, then 60 s after the second.
		if early := claimAt(start.Add(30*time.Second - time.Second)); len(early) != 0 {
			t.Fatal("claimed before the backoff ended")
		}
		got = claimAt(start.Add(30 * time.Second))
		if len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("second claim %+v", got)
		}
		e.store.MarkOutboxFailed(ctx, &got[0], sendErr)
		if early := claimAt(start.Add(90*time.Second - time.Second)); len(early) != 0 {
			t.Fatal("claimed before the doubled backoff ended")
		}
		got = claimAt(start.Add(90 * time.Second))
		if len(got) != 1 || got[0].Attempts != 3 {
			t.Fatalf("third claim %+v", got)
		}
		if gaveUp, err := e.store.MarkOutboxFailed(ctx, &got[0], sendErr); err != nil || !gaveUp {
			t.Fatalf("third failure: gave up %v, %v", gaveUp, err)
		}
		if later := claimAt(start.Add(24 * time.Hour)); len(later) != 0 {
			t.Fatal("a failed message was claimed")
		}
		failed, _, err := e.store.OutboxMessages(ctx, e.dir.Officer, store.OutboxFilter{Status: store.OutboxFailed})
		if err != nil || len(failed) != 1 || failed[0].LastError != "421 try later" || failed[0].Attempts != 3 {
			t.Fatalf("failed list %+v, %v", failed, err)
		}
		if pending, nfailed, err := e.store.OutboxBacklog(ctx); err != nil || pending != 0 || nfailed != 1 {
			t.Fatalf("backlog %d pending, %d failed, %v", pending, nfailed, err)
		}

		// An admin resends it once the cause is fixed.
		if _, err := e.store.RetryOutboxMessage(ctx, e.dir.Reporter, failed[0].ID); models.ErrCode(err) != models.EFORBIDDEN {
			t.Fatalf("reporter retry: %v", err)
		}
		if _, err := e.store.RetryOutboxMessage(ctx, e.dir.Admin, failed[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.RetryOutboxMessage(ctx, e.dir.Admin, failed[0].ID); models.ErrCode(err) != models.ECONFLICT {
			t.Fatalf("retry of a pending message: %v", err)
		}
		got = claimAt(e.clock.Now())
		if len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("claim after retry %+v", got)
		}
		if err := e.core().MarkOutboxSent(ctx, &got[0]); err != nil {
			t.Fatal(err)
		}
		sent, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{Status: store.OutboxSent})
		if len(sent) != 1 || sent[0].SentAt == nil {
			t.Fatalf("sent list %+v", sent)
		}
	})
}

func TestOutboxLeaseExpires(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		e.core().EnqueueMessage(ctx, testMessage("1"))
		first, _ := e.store.ClaimOutbox(ctx, 10)
		// The dispatcher died mid-send; after the lease another takes the message over.
		e.clock.Advance(5 * time.Minute)
		second, _ := e.store.ClaimOutbox(ctx, 10)
		if len(first) != 1 || len(second) != 1 || second[0].Attempts != 2 {
			t.Fatalf("claims %+v then %+v", first, second)
		}
		// The first dispatcher's late failure report does not disturb the new claim.
		if _, err := e.store.MarkOutboxFailed(ctx, &first[0], errors.New("late")); err != nil {
			t.Fatal(err)
		}
		msgs, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{})
		if msgs[0].LastError != "" || msgs[0].Attempts != 2 {
			t.Fatalf("row %+v", msgs[0])
		}
	})
}

func TestOutboxListNeedsPermissionAndValidStatus(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		for _, u := range []*models.User{e.dir.Leader, e.dir.DistrictOfficer, e.dir.Reporter} {
			if _, _, err := e.store.OutboxMessages(ctx, u, store.OutboxFilter{}); models.ErrCode(err) != models.EFORBIDDEN {
				t.Fatalf("%s: %v", u.Username, err)
			}
		}
		if _, _, err := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{Status: "lost"}); models.ErrCode(err) != models.EINVALID {
			t.Fatalf("bad status: %v", err)
		}
	})
}

func TestDailyBriefAndDutyReminders(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		e := newEscalationEnv(t, dialect)
		ctx := context.Background()
		yesterday := time.Date(2026, 10, 7, 9, 0, 0, 0, testenv.Shanghai)
		e.openDeadline(t, models.DeadlineFollowUp, 1, yesterday) // still open, overdue
		met := e.openDeadline(t, models.DeadlineFollowUp, 2, yesterday.Add(time.Hour))
		e.clock.Set(yesterday)
		e.core().CloseDeadlines(ctx, models.DeadlineFollowUp, models.SubjectIncident, met.SubjectID, e.clock.Now())
		e.openDeadline(t, models.DeadlineFollowUp, 3, yesterday.Add(-24*time.Hour)) // the day before: not counted as due
		now := time.Date(2026, 10, 8, 8, 0, 0, 0, testenv.Shanghai)
		e.clock.Set(now)
		for i, want := range []int{1, 0} { // one leadership address; a second run queues nothing new
			n, err := e.store.Escalation.QueueDailyBrief(ctx, now)
			if err != nil || n != want {
				t.Fatalf("brief #%d: queued %d (%v), want %d", i+1, n, err, want)
			}
		}
		msgs, _, _ := e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{Kind: notify.KindDailyBrief})
		if len(msgs) != 1 || msgs[0].Recipient != "chief@bureau.example.org" ||
			msgs[0].Subject != "【值班简报】2026年10月7日：到期事项2项，逾期未办2项" {
			t.Fatalf("brief %+v", msgs)
		}

		if _, err := e.store.Escalation.QueueDutyReminders(ctx, now); !errors.Is(err, models.ErrNoRoster) {
			t.Fatalf("without a roster: %v", err)
		}
		var asked [2]time.Time
		e.store.Escalation = escalation.New(e.core(), escalation.Deps{Directory: e.store.Directory, Subjects: alert.Deadlines{},
			Duty: fakeDuty{starting: func(from, to time.Time) ([]models.DutyAssignment, error) {
				asked = [2]time.Time{from, to}
				start := time.Date(2026, 10, 9, 8, 30, 0, 0, testenv.Shanghai)
				return []models.DutyAssignment{{User: *e.dir.Officer, RoleName: "值班员", Shift: "白班", Start: start, End: start.Add(9 * time.Hour)}}, nil
			}}}, escalation.Options{})
		if n, err := e.store.Escalation.QueueDutyReminders(ctx, time.Date(2026, 10, 8, 18, 0, 0, 0, testenv.Shanghai)); err != nil || n != 1 {
			t.Fatalf("reminders: %d, %v", n, err)
		}
		if want := [2]time.Time{time.Date(2026, 10, 9, 0, 0, 0, 0, testenv.Shanghai), time.Date(2026, 10, 10, 0, 0, 0, 0, testenv.Shanghai)}; !asked[0].Equal(want[0]) || !asked[1].Equal(want[1]) {
			t.Fatalf("asked for %v, want %v", asked, want)
		}
		msgs, _, _ = e.store.OutboxMessages(ctx, e.dir.Admin, store.OutboxFilter{Kind: notify.KindDutyReminder})
		if len(msgs) != 1 || msgs[0].Recipient != "duty1@bureau.example.org" || msgs[0].Subject != "【值班提醒】2026年10月9日白班 08:30–17:30" {
			t.Fatalf("reminder %+v", msgs)
		}
	})
}

func TestWebhookChannelGetsOneCopyPerNotice(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		clock := testenv.Clock()
		_, db := testenv.Store(t, dialect, clock)
		stores := app.New(db, clock, app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4},
			Outbox: store.OutboxOptions{Webhook: true}})
		e := &escalationEnv{store: stores, db: db, clock: clock, dir: testenv.SeedDirectory(t, stores)}
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		d := e.openDeadline(t, models.DeadlineInitialReport, 1, due)
		if res := e.sweepAt(t, due.Add(15*time.Minute)); res.Messages != 5 { // step 0: 2 contacts + webhook; step 1: 1 officer + webhook
			t.Fatalf("sweep queued %d messages, want 5", res.Messages)
		}
		msgs, _, _ := e.store.OutboxMessages(context.Background(), e.dir.Admin, store.OutboxFilter{SubjectType: d.SubjectType, SubjectID: d.SubjectID})
		var hooks []store.OutboxMessage
		for _, m := range msgs {
			if m.Channel == notify.ChannelWebhook {
				hooks = append(hooks, m)
			}
		}
		if len(hooks) != 2 || hooks[0].MessageID == hooks[1].MessageID || hooks[0].Recipient != "webhook" {
			t.Fatalf("webhook rows %+v", hooks)
		}
	})
}

// TestMessageIDsDifferBetweenInstallations proves that two installations escalating their own
// deadline number 1 at the same moment send Message-IDs that share nothing, each carrying its
// installation, so a recipient of both (or a relay) never takes one for a retry of the other.
func TestMessageIDsDifferBetweenInstallations(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		due := time.Date(2026, 10, 8, 10, 30, 0, 0, testenv.Shanghai)
		sweep := func(installation string) []store.OutboxMessage {
			clock := testenv.Clock()
			_, db := testenv.Store(t, dialect, clock)
			stores := app.New(db, clock, app.Options{Location: testenv.Shanghai, Directory: directory.Options{PasswordCost: 4},
				Outbox: store.OutboxOptions{Installation: installation}})
			e := &escalationEnv{store: stores, db: db, clock: clock, dir: testenv.SeedDirectory(t, stores)}
			d := e.openDeadline(t, models.DeadlineInitialReport, 1, due)
			if res := e.sweepAt(t, due.Add(15*time.Minute)); res.Messages != 3 { // step 0: 2 contacts; step 1: 1 officer
				t.Fatalf("sweep queued %d messages, want 3", res.Messages)
			}
			msgs, _, err := e.store.OutboxMessages(context.Background(), e.dir.Admin, store.OutboxFilter{SubjectType: d.SubjectType, SubjectID: d.SubjectID})
			if err != nil || len(msgs) != 3 {
				t.Fatalf("outbox %d rows, %v", len(msgs), err)
			}
			return msgs
		}
		a, b := sweep("3f9a0c5e21d4"), sweep("77b1e0a9c3f2")
		seen := map[string]bool{}
		for _, m := range a {
			if !strings.HasSuffix(m.MessageID, "@3f9a0c5e21d4.dutydesk>") {
				t.Errorf("installation A queued %q", m.MessageID)
			}
			seen[m.MessageID] = true
		}
		for _, m := range b {
			if !strings.HasSuffix(m.MessageID, "@77b1e0a9c3f2.dutydesk>") || seen[m.MessageID] {
				t.Errorf("installation B queued %q (A's: %v)", m.MessageID, seen)
			}
		}
		// One installation gives the same message the same id, over a fresh database too.
		if again := sweep("3f9a0c5e21d4"); again[0].MessageID != a[0].MessageID {
			t.Fatalf("one installation gave %q, then %q", a[0].MessageID, again[0].MessageID)
		}
	})
}
