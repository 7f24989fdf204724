package main

import (
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
	"dutydesk/notify"
)

// seedCity adds 10 districts, schools schools spread over them, and contacts contacts per school,
// each with an e-mail address.
func seedCity(ctx context.Context, db *models.DB, schools, contacts int) error {
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
// server, from a process of its own like the server.
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

	// Queue: one POST, which the store handles in one transaction. While it runs, a watcher counts
	// the queued e-mails every few milliseconds: written by one transaction, they appear all at
	// once. (Counting the rows' distinct xmin no longer tells: the COPY writes them in a savepoint,
	// whose subtransaction id they carry, one per batch.)
	const countEmails = `SELECT COUNT(*) FROM outbox_messages WHERE channel = 'email'`
	watchCtx, stopWatching := context.WithCancel(ctx)
	observed := make(chan map[int64]bool, 1)
	var polls int
	go func() {
		seen := map[int64]bool{}
		for watchCtx.Err() == nil {
			var n int64
			if err := db.WithContext(watchCtx).Raw(countEmails).Row().Scan(&n); err == nil {
				seen[n] = true
				polls++
			}
			time.Sleep(2 * time.Millisecond)
		}
		observed <- seen
	}()
	body := map[string]any{"type": "typhoon", "level": o.alertLevel, "whole_city": true, "headline": "台风预警（基准测试）"}
	start := time.Now()
	_, err = srv.call(ctx, "POST", "/api/v1/alerts", token, body, nil)
	queueTime := time.Since(start)
	stopWatching()
	seen := <-observed
	if err != nil {
		return err
	}
	var queued, xmins int64
	if err := db.WithContext(ctx).Raw(`SELECT COUNT(*), COUNT(DISTINCT xmin::text) FROM outbox_messages WHERE channel = 'email'`).
		Row().Scan(&queued, &xmins); err != nil {
		return err
	}
	var partial []int64
	for n := range seen {
		if n != 0 && n != queued {
			partial = append(partial, n)
		}
	}
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("queue %d messages (POST /api/v1/alerts, %d schools × %d contacts)", queued, o.schools, o.contacts),
		value: ms(queueTime), target: "< 1 s, one transaction", ok: check(queueTime < time.Second && len(partial) == 0)})
	r.note("fanout: while the POST ran, a watcher counted the queued e-mails %d times and saw %v (a count other than 0 and %d would be a partial fan-out: %v); the rows carry %d distinct xmin (the COPY's savepoints)",
		polls, sortedKeys(seen), queued, partial, xmins)

	fmt.Fprintf(os.Stderr, "fanout: %d messages queued in %s; waiting for delivery\n", queued, queueTime)
	// Deliver: wait until the SMTP server has accepted them all.
	var n int
	var first, last time.Time
	for wait := time.Now().Add(o.fanoutWait); ; {
		n, first, last = smtpServer.Count()
		if int64(n) >= queued || time.Now().After(wait) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if int64(n) < queued {
		return fmt.Errorf("only %d of %d messages accepted after %s", n, queued, o.fanoutWait)
	}
	endToEnd := last.Sub(start)
	dispatchRate := float64(n-1) / last.Sub(first).Seconds()
	rss, err := srv.peakRSS()
	if err != nil {
		return err
	}
	srv.stop()
	fmt.Fprintf(os.Stderr, "fanout: delivered %d in %s; baseline next\n", n, endToEnd)

	// Baselines: the same messages, composed and sent by a bare pooled client in a process of its
	// own, as the server is; and in this process, beside the SMTP server, for reference (there a
	// round trip is a hand-off between goroutines of one process rather than between processes).
	baseRate, err := bareSMTPProcess(ctx, o, dbURL, smtpServer.URL(), certFile)
	if err != nil {
		return err
	}
	msgs, err := outboxMessages(ctx, db)
	if err != nil {
		return err
	}
	inProcessRate, err := bareSMTP(ctx, smtpServer, o.poolSize, msgs)
	if err != nil {
		return err
	}
	r.add(result{scenario: "fanout", measure: "all accepted by the SMTP server, from the POST", value: fmt.Sprintf("%.2f s", endToEnd.Seconds()),
		target: "< 10 s", ok: check(endToEnd < 10*time.Second)})
	r.add(result{scenario: "fanout", measure: fmt.Sprintf("delivery rate (outbox dispatcher, SMTP pool %d)", o.poolSize),
		value:    fmt.Sprintf("%.0f msg/s", dispatchRate),
		baseline: fmt.Sprintf("%.0f msg/s (bare SMTPSender, own process); %.0f msg/s in the SMTP server's process", baseRate, inProcessRate),
		target:   "≥ 80% of baseline", ok: check(dispatchRate >= 0.8*baseRate)})
	r.note("fanout: dispatcher at %.0f%% of the bare client in its own process, %.0f%% of it in the SMTP server's process",
		100*dispatchRate/baseRate, 100*dispatchRate/inProcessRate)
	r.add(result{scenario: "fanout", measure: "peak RSS of dutydesk serve (VmHWM)", value: fmt.Sprintf("%.1f MB", float64(rss)/(1<<20)),
		target: "< 150 MB", ok: check(rss < 150<<20)})
	return nil
}

// outboxMessages reads back the e-mails the fan-out queued.
func outboxMessages(ctx context.Context, db *models.DB) ([]notify.Message, error) {
	var rows []models.OutboxMessage
	if err := db.WithContext(ctx).Where("channel = ?", notify.ChannelEmail).Order("id").Find(&rows).Error; err != nil {
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
func bareSMTPProcess(ctx context.Context, o options, dbURL, smtpURL, certFile string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, self, "-bare-smtp-child", "-db", dbURL, "-smtp-url", smtpURL, "-smtp-pool", strconv.Itoa(o.poolSize))
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+certFile) // trust the test certificate, as the server does
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("baseline client: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// bareSMTPChild is the baseline client's process: it reads the queued e-mails from -db, sends
// them to -smtp-url through a notify.SMTPSender with -smtp-pool connections, and prints the rate.
func bareSMTPChild(ctx context.Context, o options) error {
	db, err := models.OpenPostgres(o.db, models.SystemClock{})
	if err != nil {
		return err
	}
	msgs, err := outboxMessages(ctx, db)
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
