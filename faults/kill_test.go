package faults_test

import (
	"net/http"
	"testing"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/scheduler"
)

// TestKillMidFanOut runs the real binary on the demo city, issues a red rainstorm alert for the
// whole city through the API, SIGKILLs the process while the outbox drains, restarts it and waits
// until the outbox is empty: every message arrives, none twice except those sent but not yet
// recorded at the kill (scheduler.MaxUnrecorded), and those with the same Message-ID.
func TestKillMidFanOut(t *testing.T) {
	forEachServiceDB(t, func(t *testing.T, database string) {
		srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
		dataDir := t.TempDir()
		env := serviceEnv(database, dataDir, srv.URL())
		svc := startService(t, env, "--demo")
		token := svc.login()
		var alert struct{ ID int64 }
		if st := svc.call("POST", "/api/v1/alerts", token, map[string]any{"type": "rainstorm", "level": "red", "whole_city": true}, &alert); st != http.StatusCreated {
			t.Fatalf("issue alert: %d\n%s", st, svc.output())
		}
		db := openDirect(t, database, dataDir)
		_, want := outboxState(t, db)
		if len(want) < 2000 {
			t.Fatalf("the red alert queued %d e-mails; the demo city should give over 2,000", len(want))
		}

		// Kill -9 once a quarter has gone out.
		waitFor(t, 60*time.Second, "a quarter of the fan-out", func() bool { return len(srv.Received()) >= len(want)/4 })
		svc.kill()
		atKill := len(srv.Received())
		byStatus, _ := outboxState(t, db)
		t.Logf("killed with %d of %d delivered; outbox %v", atKill, len(want), byStatus)
		if atKill >= len(want) {
			t.Fatal("the fan-out finished before the kill; the test proved nothing")
		}

		svc = startService(t, env)
		waitFor(t, 90*time.Second, "the outbox to drain after the restart", func() bool {
			s, _ := outboxState(t, db)
			return s["pending"] == 0
		})
		byStatus, _ = outboxState(t, db)
		if byStatus["failed"] != 0 {
			t.Errorf("outbox after recovery %v", byStatus)
		}
		checkDelivery(t, deliveries(srv), want, scheduler.MaxUnrecorded(4)) // DUTYDESK_SMTP_POOL_SIZE=4
	})
}
