package faults_test

import (
	"sort"
	"testing"

	"dutydesk/internal/smtptest"
)

// deliveries counts, per Message-ID, how often the SMTP server accepted the message.
func deliveries(srv *smtptest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Received() {
		n[r.MessageID]++
	}
	return n
}

// checkDelivery fails the test unless every wanted Message-ID arrived, nothing else arrived, and at
// most maxDup messages arrived twice (those in flight when the fault struck). It returns the
// number of duplicates.
func checkDelivery(t *testing.T, got map[string]int, want []string, maxDup int) int {
	t.Helper()
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	var missing, unexpected []string
	dups := 0
	for _, id := range want {
		switch n := got[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 2:
			t.Errorf("message %s delivered %d times", id, n)
			dups += n - 1
		case n == 2:
			dups++
		}
	}
	for id := range got {
		if !wanted[id] {
			unexpected = append(unexpected, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d messages never delivered (lost), e.g. %v", len(missing), len(want), missing[:min(3, len(missing))])
	}
	if len(unexpected) > 0 {
		t.Errorf("%d unexpected messages delivered, e.g. %v", len(unexpected), unexpected[:min(3, len(unexpected))])
	}
	if dups > maxDup {
		t.Errorf("%d messages delivered twice, want at most %d (the messages in flight)", dups, maxDup)
	}
	t.Logf("%d messages: %d delivered, %d duplicates (same Message-ID), %d lost", len(want), len(got), dups, len(missing))
	return dups
}
