package faults_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/internal/testenv"
	"dutydesk/models/app"
	"dutydesk/models/store"
	"dutydesk/notify"
	"dutydesk/scheduler"
)

// cutAfter is an e-mail sender that stops the SMTP server once it has delivered n messages: the
// outage strikes in the middle of a fan-out, with other messages in flight on the pool.
type cutAfter struct {
	notify.Sender
	srv  *smtptest.Server
	n    int64
	sent atomic.Int64
	once sync.Once
}

func (c *cutAfter) Send(ctx context.Context, m notify.Message) error {
	err := c.Sender.Send(ctx, m)
	if err == nil && c.sent.Add(1) == c.n {
		c.once.Do(c.srv.Stop)
	}
	return err
}

// TestSMTPOutageMidFanOut queues a 2,000-message fan-out, takes the SMTP server down after 700
// deliveries, keeps dispatching through 60 s of outage (FakeClock, a tick every 5 s), brings the
// server back and drains: every message arrives, none twice except those in flight at the cut.
func TestSMTPOutageMidFanOut(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		const messages, cutAt, poolSize = 2000, 700, 4
		srv := smtptest.Start(t, smtptest.Options{})
		clock := testenv.Clock()
		db := testenv.OpenDB(t, dialect, clock)
		opts := testenv.Options()
		opts.Outbox = store.OutboxOptions{MaxAttempts: 8, RetryBase: 5 * time.Second, RetryMax: 40 * time.Second}
		stores := app.New(db, clock, opts)
		smtp, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: "值守 <duty@edu.example.cn>",
			PoolSize: poolSize, Timeout: 5 * time.Second, TLSConfig: srv.ClientTLS()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { smtp.Close() })
		sender := &cutAfter{Sender: smtp, srv: srv, n: cutAt}
		dispatcher, err := scheduler.NewDispatcher(stores, map[notify.Channel]notify.Sender{notify.ChannelEmail: sender}, poolSize, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()

		// The fan-out: one transaction, one message per contact, as an alert queues them.
		msgs := make([]notify.Message, messages)
		want := make([]string, messages)
		for i := range msgs {
			to := fmt.Sprintf("contact%04d@school.example.org", i)
			msgs[i] = notify.Message{ID: notify.MessageID("", "alert", "alert/1", "email", to), Channel: notify.ChannelEmail,
				Kind: notify.KindAlertIssued, To: to, Subject: "【红色预警】暴雨红色预警", Text: "请确认收到：…", SubjectType: "alert", SubjectID: 1}
			want[i] = msgs[i].ID
		}
		if n, err := testenv.Core(db, clock).EnqueueMessages(ctx, msgs); err != nil || n != messages {
			t.Fatalf("enqueue: %d, %v", n, err)
		}

		// Dispatch until the cut, then through 60 s of outage.
		var failedAttempts int
		res, _ := dispatcher.Dispatch(ctx) // errors here are the failed sends, counted in res
		failedAttempts += res.Failed
		if sender.sent.Load() < cutAt {
			t.Fatalf("only %d sent before the outage", sender.sent.Load())
		}
		outageStart := clock.Now()
		for clock.Now().Sub(outageStart) < 60*time.Second {
			clock.Advance(5 * time.Second)
			res, _ := dispatcher.Dispatch(ctx)
			failedAttempts += res.Failed
			if res.Sent > 0 {
				t.Fatalf("%d messages sent while the server was down", res.Sent)
			}
		}
		pending, _, err := stores.OutboxBacklog(ctx)
		if err != nil || pending == 0 {
			t.Fatalf("after the outage: %d pending, %v", pending, err)
		}
		t.Logf("outage: %d delivered before the cut, %d failed attempts in 60 s, %d pending", len(srv.Received()), failedAttempts, pending)

		srv.Restart()
		for range 30 { // the backoff is at most 40 s: a few ticks drain everything
			clock.Advance(10 * time.Second)
			if _, err := dispatcher.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
			if p, _, _ := stores.OutboxBacklog(ctx); p == 0 {
				break
			}
		}
		pending, failed, err := stores.OutboxBacklog(ctx)
		if err != nil || pending != 0 || failed != 0 {
			t.Fatalf("after recovery: %d pending, %d failed, %v", pending, failed, err)
		}
		checkDelivery(t, deliveries(srv), want, poolSize)
	})
}
