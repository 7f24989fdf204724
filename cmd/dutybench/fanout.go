package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// seedCity adds 10 districts, schools schools spread over them, and contacts contacts per school,
// each with an e-mail address.
func seedCity(ctx context.Context, db *store.DB, schools, contacts int) error {
	stmts := []string{
		`INSERT INTO districts (code, name, created_at, updated_at)
		 SELECT 'D' || g, '测试区' || g, now(), now() FROM generate_series(1, 10) g`,
		`INSERT INTO schools (district_id, name, type, created_at, updated_at)
		 SELECT (SELECT id FROM districts ORDER BY id OFFSET g % 10 LIMIT 1), '第' || g || '学校',
		        (ARRAY['kindergarten','primary','middle','high'])[1 + g % 4], now(), now()
		 FROM generate_series(1, ` + strconv.Itoa(schools) + `) g`,
		`INSERT INTO contacts (school_id, name, role, email, mobile, is_primary, created_at, updated_at)
		 SELECT s.id, '联系人' || c, '安全专干', 'c' || c || '.s' || s.id || '@school.bench.test', '1380000' || lpad(c::text, 4, '0'), c = 1, now(), now()
		 FROM schools s, generate_series(1, ` + strconv.Itoa(contacts) + `) c`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("seed city: %w", err)
		}
	}
	return nil
}

// benchFanout: a typhoon warning to every contact of every school, queued by POST /api/v1/alerts
// on the real server and delivered by its outbox dispatcher to an SMTP server on loopback; the
// baseline is notify.SMTPSender with the same pool size sending the same messages to the same
// server, from a process of its own like the server. A delivery takes about three seconds, short
// enough for a burst of other work on a shared machine to move one ratio by ten points either
// way: so o.fanoutRounds warnings are issued one after another, each delivered by the server and
// then sent again by the baseline client, and the median of the rounds' ratios is reported beside
// every round's figures.
func benchFanout(ctx context.Context, o options, bin string, r *report) error {
	db, dbURL, cleanup, err := freshDatabase(ctx, o, "fanout")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedCity(ctx, db, o.schools, o.contacts); err != nil {
		return err
	}
	smtpServer, err := smtptest.Listen(smtptest.Options{CountOnly: true})
	if err != nil {
		return err
	}
	defer smtpServer.Stop()
	certDir, err := os.MkdirTemp("", "dutydesk-bench-cert-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(certDir)
	certFile := filepath.Join(certDir, "smtp.pem")
	if err := os.WriteFile(certFile, smtpServer.CertPEM(), 0o600); err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, dbURL,
		"DUTYDESK_SMTP_URL="+smtpServer.URL(), "SSL_CERT_FILE="+certFile, // STARTTLS + AUTH, trusting the test certificate
		"DUTYDESK_SMTP_POOL_SIZE="+strconv.Itoa(o.poolSize), "DUTYDESK_SCHEDULE_OUTBOX=@every 1s")
	if err != nil {
		return err
	}
	defer srv.stop()
	token, err := srv.login(ctx)
	if err != nil {
		return err
	}

	rounds := make([]fanoutRound, max(o.fanoutRounds, 1))
	for i := range rounds {
		rd := &rounds[i]
		if err := rd.run(ctx, o, db, dbURL, srv, token, smtpServer, certFile); err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		fmt.Fprintf(os.Stderr, "fanout: round %d: %d queued in %s, delivered at %.0f msg/s, baseline %.0f msg/s (%.0f%%)\n",
			i+1, rd.queued, rd.queueTime.Round(time.Millisecond), rd.rate, rd.baseRate, 100*rd.ratio())
	}
	rss, err := srv.peakRSS()
	if err != nil {
		return err
	}
	srv.stop()
	// For reference, the last round's messages once more from this process, beside the SMTP server
	// (there a round trip is a hand-off between goroutines of one process rather than between processes).
	last := rounds[len(rounds)-1]
	msgs, err := outboxMessages(ctx, db, last.ids)
	if err != nil {
		return err
	}
	inProcessRate, err := bareSMTP(ctx, smtpServer, o.poolSize, msgs)
	if err != nil {
		return err
	}

	slowestQueue := slices.MaxFunc(rounds, func(a, b fanoutRound) int { return cmp.Compare(a.queueTime, b.queueTime) })
	oneTransaction := !slices.ContainsFunc(rounds, func(rd fanoutRound) bool { return len(rd.partial) > 0 })
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("queue %d messages (POST /api/v1/alerts, %d schools × %d contacts), slowest of %d",
		slowestQueue.queued, o.schools, o.contacts, len(rounds)),
		value: ms(slowestQueue.queueTime), target: "< 1 s, one transaction", ok: check(slowestQueue.queueTime < time.Second && oneTransaction)})
	slowestDelivery := slices.MaxFunc(rounds, func(a, b fanoutRound) int { return cmp.Compare(a.endToEnd, b.endToEnd) })
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("all accepted by the SMTP server, from the POST, slowest of %d", len(rounds)),
		value: fmt.Sprintf("%.2f s", slowestDelivery.endToEnd.Seconds()), target: "< 10 s", ok: check(slowestDelivery.endToEnd < 10*time.Second)})
	ratios := make([]float64, len(rounds))
	for i, rd := range rounds {
		ratios[i] = rd.ratio()
	}
	slices.Sort(ratios)
	median := (ratios[(len(ratios)-1)/2] + ratios[len(ratios)/2]) / 2
	rates := func(rate func(fanoutRound) float64) string {
		lo := slices.MinFunc(rounds, func(a, b fanoutRound) int { return cmp.Compare(rate(a), rate(b)) })
		hi := slices.MaxFunc(rounds, func(a, b fanoutRound) int { return cmp.Compare(rate(a), rate(b)) })
		return fmt.Sprintf("%.0f–%.0f msg/s", rate(lo), rate(hi))
	}
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("delivery rate (outbox dispatcher, SMTP pool %d), median of %d rounds' ratios", o.poolSize, len(rounds)),
		value:    fmt.Sprintf("%.0f%% (%s)", 100*median, rates(func(rd fanoutRound) float64 { return rd.rate })),
		baseline: fmt.Sprintf("bare SMTPSender, own process, after each round: %s", rates(func(rd fanoutRound) float64 { return rd.baseRate })),
		target:   "≥ 80% of baseline", ok: check(median >= 0.8)})
	var each []string
	for i, rd := range rounds {
		each = append(each, fmt.Sprintf("%d: %.0f/%.0f msg/s = %.0f%% (queued in %s, %d watcher polls saw %v, %d distinct xmin)",
			i+1, rd.rate, rd.baseRate, 100*rd.ratio(), ms(rd.queueTime), rd.polls, rd.seen, rd.xmins))
	}
	r.note("fanout rounds, dispatcher/bare client: %s. While each POST ran, a watcher counted the e-mails it had queued; a count other than 0 and all would be a partial fan-out. The rows of one warning carry as many xmin as the COPY's savepoints",
		strings.Join(each, "; "))
	r.note("fanout: bare client in the SMTP server's process, last round's messages: %.0f msg/s (the dispatcher's last round: %.0f%% of it)",
		inProcessRate, 100*last.rate/inProcessRate)
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("peak RSS of dutydesk serve over %d rounds (VmHWM)", len(rounds)), value: fmt.Sprintf("%.1f MB", float64(rss)/(1<<20)),
		target: "< 150 MB", ok: check(rss < 150<<20)})
	return nil
}

// fanoutRound is one warning: queued, delivered by the server, and sent again by the baseline client.
type fanoutRound struct {
	ids            idRange // the e-mails the warning queued
	queued         int64
	queueTime      time.Duration
	polls          int
	seen, partial  []int64 // e-mail counts the watcher saw while the POST ran, and those of a partial fan-out
	xmins          int64
	endToEnd       time.Duration // from the POST to the last message accepted
	rate, baseRate float64       // messages per second: the dispatcher's and the bare client's
}

func (rd fanoutRound) ratio() float64 { return rd.rate / rd.baseRate }

func (rd *fanoutRound) run(ctx context.Context, o options, db *store.DB, dbURL string, srv *server, token string,
	smtpServer *smtptest.Server, certFile string) error {
	// Queue: one POST, which the store handles in one transaction. While it runs, a watcher counts
	// the queued e-mails every few milliseconds: written by one transaction, they appear all at
	// once. (Counting the rows' distinct xmin no longer tells: the COPY writes them in a savepoint,
	// whose subtransaction id they carry, one per batch.) It counts the rows after the last one of
	// the rounds before, through the primary key: counting the whole outbox would read every
	// earlier round's rows each time, and slow the POST it watches.
	const countEmails = `SELECT COUNT(*) FROM outbox_messages WHERE id > ? AND channel = 'email'`
	const lastID = `SELECT COALESCE(MAX(id), 0) FROM outbox_messages`
	if err := db.WithContext(ctx).Raw(lastID).Row().Scan(&rd.ids.after); err != nil {
		return err
	}
	smtpServer.ResetCount()
	watchCtx, stopWatching := context.WithCancel(ctx)
	observed := make(chan map[int64]bool, 1)
	go func() {
		seen := map[int64]bool{}
		for watchCtx.Err() == nil {
			var n int64
			if err := db.WithContext(watchCtx).Raw(countEmails, rd.ids.after).Row().Scan(&n); err == nil {
				seen[n] = true
				rd.polls++
			}
			time.Sleep(2 * time.Millisecond)
		}
		observed <- seen
	}()
	body := map[string]any{"type": "typhoon", "level": o.alertLevel, "whole_city": true, "headline": "台风预警（基准测试）"}
	start := time.Now()
	_, err := srv.call(ctx, "POST", "/api/v1/alerts", token, body, nil)
	rd.queueTime = time.Since(start)
	stopWatching()
	seen := <-observed
	if err != nil {
		return err
	}
	// The warning's e-mails (and, orange or red, the safety-report requests) are the rows the POST added.
	if err := db.WithContext(ctx).Raw(lastID).Row().Scan(&rd.ids.through); err != nil {
		return err
	}
	if err := db.WithContext(ctx).Raw(`SELECT COUNT(*), COUNT(DISTINCT xmin::text) FROM outbox_messages
		WHERE id > ? AND id <= ? AND channel = 'email'`, rd.ids.after, rd.ids.through).Row().Scan(&rd.queued, &rd.xmins); err != nil {
		return err
	}
	rd.seen = sortedKeys(seen)
	for _, n := range rd.seen {
		if n != 0 && n != rd.queued {
			rd.partial = append(rd.partial, n)
		}
	}

	// Deliver: wait until the SMTP server has accepted them all.
	var n int
	var first, last time.Time
	for wait := time.Now().Add(o.fanoutWait); ; {
		n, first, last = smtpServer.Count()
		if int64(n) >= rd.queued || time.Now().After(wait) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if int64(n) < rd.queued || n < 2 {
		return fmt.Errorf("only %d of %d messages accepted after %s", n, rd.queued, o.fanoutWait)
	}
	rd.endToEnd = last.Sub(start)
	rd.rate = float64(n-1) / last.Sub(first).Seconds()

	// Baseline: the same messages, composed and sent by a bare pooled client in a process of its
	// own, as the server is (which meanwhile idles: its next dispatches find nothing due).
	rd.baseRate, err = bareSMTPProcess(ctx, o, dbURL, smtpServer.URL(), certFile, rd.ids)
	return err
}

// idRange is the outbox rows with after < id ≤ through.
type idRange struct{ after, through int64 }

// outboxMessages reads back the e-mails of a round.
func outboxMessages(ctx context.Context, db *store.DB, ids idRange) ([]notify.Message, error) {
	var rows []store.OutboxMessage
	if err := db.WithContext(ctx).Where("channel = ? AND id > ? AND id <= ?", notify.ChannelEmail, ids.after, ids.through).
		Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	msgs := make([]notify.Message, len(rows))
	for i := range rows {
		msgs[i] = rows[i].Message()
	}
	return msgs, nil
}

// bareSMTPProcess runs this program again as the baseline client (bareSMTPChild) and returns the
// rate it measured.
func bareSMTPProcess(ctx context.Context, o options, dbURL, smtpURL, certFile string, ids idRange) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, self, "-bare-smtp-child", "-db", dbURL, "-smtp-url", smtpURL, "-smtp-pool", strconv.Itoa(o.poolSize),
		"-after-id", strconv.FormatInt(ids.after, 10), "-through-id", strconv.FormatInt(ids.through, 10))
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+certFile) // trust the test certificate, as the server does
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("baseline client: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// bareSMTPChild is the baseline client's process: it reads the e-mails with -after-id < id ≤ -through-id from -db, sends
// them to -smtp-url through a notify.SMTPSender with -smtp-pool connections, and prints the rate.
func bareSMTPChild(ctx context.Context, o options) error {
	db, err := store.OpenPostgres(o.db, models.SystemClock{})
	if err != nil {
		return err
	}
	msgs, err := outboxMessages(ctx, db, o.bareIDs)
	db.Close()
	if err != nil {
		return err
	}
	sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: o.smtpURL, From: "值班室 <duty@bench.test>", PoolSize: o.poolSize,
		Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer sender.Close()
	rate, err := sendAll(ctx, sender, o.poolSize, msgs)
	if err != nil {
		return err
	}
	fmt.Println(rate)
	return nil
}

// bareSMTP sends msgs through a notify.SMTPSender with pool size parallel senders, from this
// process, and returns the rate in messages per second.
func bareSMTP(ctx context.Context, server *smtptest.Server, pool int, msgs []notify.Message) (float64, error) {
	sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: server.URL(), From: "值班室 <duty@bench.test>", PoolSize: pool,
		Timeout: 30 * time.Second, TLSConfig: server.ClientTLS()})
	if err != nil {
		return 0, err
	}
	defer sender.Close()
	return sendAll(ctx, sender, pool, msgs)
}

// sendAll sends msgs through sender from parallel goroutines and returns the rate in messages
// per second.
func sendAll(ctx context.Context, sender *notify.SMTPSender, parallel int, msgs []notify.Message) (float64, error) {
	next := make(chan notify.Message)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if err := sender.Send(ctx, m); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, m := range msgs {
		select {
		case next <- m:
		case err := <-errs:
			close(next)
			wg.Wait()
			return 0, err
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(len(msgs)) / elapsed.Seconds(), nil
}

func sortedKeys(m map[int64]bool) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
