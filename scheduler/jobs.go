package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// The jobs' names.
const (
	JobEscalation    = "escalation_sweep"
	JobOutbox        = "outbox_dispatch"
	JobDutyReminders = "duty_reminders"
	JobDailyBrief    = "daily_brief"
)

// Deps are what the DutyDesk jobs work with.
type Deps struct {
	Store *app.Stores
	DB    *store.DB
	// Senders deliver outbox messages by channel; nil means SendersFromConfig.
	Senders map[notify.Channel]notify.Sender
	Log     *slog.Logger
	// Registry receives the job and outbox metrics; nil means none.
	Registry prometheus.Registerer
}

// Standard returns a Scheduler with DutyDesk's jobs on the configured schedules.
func Standard(cfg config.Config, d Deps) (*Scheduler, error) {
	var closers []func() error
	if d.Senders == nil {
		senders, closeSenders, err := SendersFromConfig(cfg)
		if err != nil {
			return nil, err
		}
		d.Senders = senders
		closers = append(closers, closeSenders)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	dispatcher, err := NewDispatcher(d.Store, d.Senders, cfg.SMTPPoolSize, d.Registry, d.Log)
	if err != nil {
		return nil, err
	}
	stores, log := d.Store, d.Log
	jobs := []Job{
		{Name: JobEscalation, Spec: cfg.ScheduleEscalation, Setting: "DUTYDESK_SCHEDULE_ESCALATION", Timeout: time.Minute,
			Run: func(ctx context.Context) error {
				res, err := stores.Escalation.Sweep(ctx, stores.Now())
				if res.Fired > 0 {
					log.Info("escalation sweep", "overdue", res.Overdue, "fired", res.Fired, "messages", res.Messages)
				}
				return err
			}},
		{Name: JobOutbox, Spec: cfg.ScheduleOutbox, Setting: "DUTYDESK_SCHEDULE_OUTBOX", Timeout: time.Minute,
			Run: func(ctx context.Context) error {
				res, err := dispatcher.Dispatch(ctx)
				if res.Sent+res.Failed > 0 {
					log.Info("outbox dispatch", "sent", res.Sent, "failed", res.Failed, "gave_up", res.GaveUp)
				}
				return err
			}},
		{Name: JobDutyReminders, Spec: cfg.ScheduleDutyReminders, Setting: "DUTYDESK_SCHEDULE_DUTY_REMINDERS", Timeout: 5 * time.Minute,
			Run: func(ctx context.Context) error {
				n, err := stores.Escalation.QueueDutyReminders(ctx, stores.Now())
				if errors.Is(err, models.ErrNoRoster) {
					log.Info("duty reminders: no roster yet")
					return nil
				}
				log.Info("duty reminders queued", "messages", n)
				return err
			}},
		{Name: JobDailyBrief, Spec: cfg.ScheduleDailyBrief, Setting: "DUTYDESK_SCHEDULE_DAILY_BRIEF", Timeout: 5 * time.Minute,
			Run: func(ctx context.Context) error {
				n, err := stores.Escalation.QueueDailyBrief(ctx, stores.Now())
				log.Info("daily brief queued", "messages", n)
				return err
			}},
	}
	jobs = append(jobs, alertJobs(cfg, stores, log)...)
	s, err := New(Options{Location: cfg.Location, Lock: NewLock(d.DB), Log: d.Log, Registry: d.Registry}, jobs...)
	if err != nil {
		for _, c := range closers {
			_ = c()
		}
		return nil, err
	}
	s.closers = closers
	return s, nil
}

// SendersFromConfig returns the configured transports: e-mail over SMTP, or as .eml files under
// DataDir/mail when no relay is configured; and the webhook when one is. The function closes them.
func SendersFromConfig(cfg config.Config) (map[notify.Channel]notify.Sender, func() error, error) {
	senders := map[notify.Channel]notify.Sender{}
	closeFn := func() error { return nil }
	if cfg.SMTPURL != "" {
		smtp, err := notify.NewSMTPSender(notify.SMTPConfig{URL: cfg.SMTPURL, From: cfg.MailFrom, PoolSize: cfg.SMTPPoolSize, Timeout: cfg.SMTPTimeout})
		if err != nil {
			return nil, nil, fmt.Errorf("DUTYDESK_SMTP_URL: %w", err)
		}
		senders[notify.ChannelEmail], closeFn = smtp, smtp.Close
	} else {
		senders[notify.ChannelEmail] = &notify.FileSender{Dir: filepath.Join(cfg.DataDir, "mail"), From: cfg.MailFrom}
	}
	if cfg.WebhookURL != "" {
		senders[notify.ChannelWebhook] = &notify.WebhookSender{URL: cfg.WebhookURL, Client: &http.Client{Timeout: cfg.SMTPTimeout}}
	}
	return senders, closeFn, nil
}

// claimBatch is how many messages a dispatcher claims at a time. Each claim is a statement and a
// commit; at 100 rather than 50 a fan-out's claims cost PostgreSQL about a fifth less CPU, and a
// larger batch saved nothing more.
const claimBatch = 100

// recordGroup is how many sent messages a dispatcher records at most in one statement.
const recordGroup = 50

// recordWait is how long a sent message may wait for others to be recorded with it. Recording
// whatever had come in as soon as the last statement returned made groups of one or two while a
// fan-out was being sent (the workers send about as fast as a statement takes): thousands of
// statements, each a transaction rewriting its rows in PostgreSQL on the cores the sending needs.
const recordWait = 20 * time.Millisecond

// MaxUnrecorded bounds how many messages a dispatcher with that many workers may have sent but not
// yet recorded as sent: the group being recorded, the outcomes queued behind it, and one held by
// each worker. If the process dies, these and only these go out again after the restart, with the
// same Message-ID — the price of recording sent messages in groups rather than one commit each.
func MaxUnrecorded(parallel int) int { return 2*recordGroup + max(parallel, 1) }

// Dispatcher drains the outbox: it claims due messages, sends them, and marks each sent or
// failed (to be retried with backoff, or given up after the configured attempts).
type Dispatcher struct {
	store    *app.Stores
	senders  map[notify.Channel]notify.Sender
	parallel int
	log      *slog.Logger

	sent, attemptFailed, gaveUp *prometheus.CounterVec
	backlog                     *prometheus.GaugeVec
}

// DispatchResult counts what one Dispatch did.
type DispatchResult struct {
	Sent   int // accepted by their channel
	Failed int // failed attempts (to be retried, or given up)
	GaveUp int // of those, marked failed for good
}

// NewDispatcher returns a dispatcher sending up to parallel messages at a time (match the SMTP
// pool size). Its metrics go to reg when it is not nil; it logs messages given up to log, or to
// slog.Default() when log is nil.
func NewDispatcher(stores *app.Stores, senders map[notify.Channel]notify.Sender, parallel int, reg prometheus.Registerer, log *slog.Logger) (*Dispatcher, error) {
	if log == nil {
		log = slog.Default()
	}
	d := &Dispatcher{
		store: stores, senders: senders, parallel: max(parallel, 1), log: log,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutydesk_outbox_sent_total", Help: "Outbox messages accepted by their channel.",
		}, []string{"channel"}),
		attemptFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutydesk_outbox_attempt_failures_total", Help: "Failed attempts to send an outbox message.",
		}, []string{"channel"}),
		gaveUp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutydesk_outbox_failed_total", Help: "Outbox messages given up after the last allowed attempt.",
		}, []string{"channel"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dutydesk_outbox_messages", Help: "Outbox messages waiting (pending) or given up (failed), as of the last dispatch.",
		}, []string{"status"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{d.sent, d.attemptFailed, d.gaveUp, d.backlog} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("outbox metrics: %w", err)
			}
		}
	}
	return d, nil
}

// Dispatch sends due messages until none is due or ctx ends. It is a pipeline: one goroutine
// claims batch after batch (claim), parallel workers send (send), and this goroutine records the
// outcomes as they come (record), the sent ones together in one statement (a fan-out of thousands
// of messages must not wait for a commit per message, nor for the slowest message of each batch).
func (d *Dispatcher) Dispatch(ctx context.Context) (DispatchResult, error) {
	claimed, claimErr := d.claim(ctx)
	outcomes := d.send(ctx, claimed)
	// Outcomes are recorded even when ctx has just ended, so a message that went out is not sent again.
	recordCtx := context.WithoutCancel(ctx)
	res, errs := d.record(recordCtx, outcomes)
	select {
	case err := <-claimErr:
		errs = append(errs, err)
	default:
	}
	d.observeBacklog(recordCtx)
	return res, errors.Join(errs...)
}

// claim takes due messages from the outbox, claimBatch at a time, and hands them out one by one
// on the returned channel until a batch comes back short, ctx ends or a claim fails. The channel
// is closed when claiming stops; by then a failed claim's error is waiting on the error channel,
// which holds at most that one.
func (d *Dispatcher) claim(ctx context.Context) (<-chan *store.OutboxMessage, <-chan error) {
	claimed := make(chan *store.OutboxMessage, claimBatch)
	claimErr := make(chan error, 1)
	go func() {
		defer close(claimed)
		for ctx.Err() == nil {
			batch, err := d.store.ClaimOutbox(ctx, claimBatch)
			if err != nil {
				claimErr <- err
				return
			}
			for i := range batch {
				claimed <- &batch[i]
			}
			if len(batch) < claimBatch {
				return
			}
		}
	}()
	return claimed, claimErr
}

// send delivers the claimed messages with d.parallel workers, each taking the next message as soon
// as it is done with one, and returns their outcomes; the channel is closed once claimed is closed
// and drained and every worker has finished.
func (d *Dispatcher) send(ctx context.Context, claimed <-chan *store.OutboxMessage) <-chan sendOutcome {
	outcomes := make(chan sendOutcome, recordGroup)
	var wg sync.WaitGroup
	for range d.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range claimed {
				outcomes <- sendOutcome{m, d.deliver(ctx, m)}
			}
		}()
	}
	go func() { wg.Wait(); close(outcomes) }()
	return outcomes
}

// sendOutcome is the result of one attempt at a claimed message.
type sendOutcome struct {
	m   *store.OutboxMessage
	err error
}

// deliver sends one claimed message through the sender of its channel.
func (d *Dispatcher) deliver(ctx context.Context, m *store.OutboxMessage) error {
	sender, ok := d.senders[m.Channel]
	if !ok {
		return fmt.Errorf("no sender for channel %q is configured", m.Channel)
	}
	return sender.Send(ctx, m.Message())
}

// record records the outcomes as they come until the channel is closed: a failed attempt at once
// (recordFailure), sent messages in groups (recordSent), a group being recorded when it holds
// recordGroup messages or its first message has waited recordWait. It returns what it recorded
// and the errors of recording; an outcome that could not be recorded is not counted.
func (d *Dispatcher) record(ctx context.Context, outcomes <-chan sendOutcome) (DispatchResult, []error) {
	var res DispatchResult
	var errs []error
	var group []*store.OutboxMessage // sent, not yet recorded
	var groupDue <-chan time.Time    // while group waits to be recorded
	flush := func() {
		if err := d.recordSent(ctx, group); err != nil {
			errs = append(errs, err)
		} else {
			res.Sent += len(group)
		}
		group, groupDue = group[:0], nil
	}
	for {
		select {
		case <-groupDue:
			flush()
		case o, ok := <-outcomes:
			switch {
			case !ok:
				flush()
				return res, errs
			case o.err == nil:
				d.sent.WithLabelValues(string(o.m.Channel)).Inc()
				group = append(group, o.m)
				if len(group) >= recordGroup {
					flush()
				} else if len(group) == 1 {
					groupDue = time.After(recordWait)
				}
			default:
				if gaveUp, err := d.recordFailure(ctx, o.m, o.err); err != nil {
					errs = append(errs, err)
				} else {
					res.Failed++
					if gaveUp {
						res.GaveUp++
					}
				}
			}
		}
	}
}

// recordSent marks sent messages as sent, all in one statement.
func (d *Dispatcher) recordSent(ctx context.Context, msgs []*store.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	markCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return d.store.MarkOutboxSentAll(markCtx, msgs)
}

// recordFailure records a failed attempt: retried after the backoff, or, after the configured
// attempts, given up for good and logged as an error.
func (d *Dispatcher) recordFailure(ctx context.Context, m *store.OutboxMessage, sendErr error) (gaveUp bool, err error) {
	markCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	channel := string(m.Channel)
	d.attemptFailed.WithLabelValues(channel).Inc()
	gaveUp, err = d.store.MarkOutboxFailed(markCtx, m, sendErr)
	if gaveUp {
		d.gaveUp.WithLabelValues(channel).Inc()
		d.log.Error("outbox message failed for good", "message_id", m.MessageID, "kind", m.Kind,
			"channel", m.Channel, "recipient", m.Recipient, "attempts", m.Attempts, "err", sendErr)
	}
	return gaveUp, err
}

// observeBacklog sets the backlog gauge to the outbox's pending and failed messages as of now.
// When they cannot be counted the gauge keeps its last values: Dispatch's result does not
// depend on them.
func (d *Dispatcher) observeBacklog(ctx context.Context) {
	if pending, failed, err := d.store.OutboxBacklog(ctx); err == nil {
		d.backlog.WithLabelValues(string(store.OutboxPending)).Set(float64(pending))
		d.backlog.WithLabelValues(string(store.OutboxFailed)).Set(float64(failed))
	}
}
