package faults_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/internal/testenv"
)

// TestTwoProcessesOnePostgres runs two server processes on one PostgreSQL database. Through both
// at once it files 20 written reports and signs each through both processes at the same moment
// (each incident gets one 期号), takes 20 phone reports of incidents that happened three hours ago
// (their written reports are overdue, so every step of their ladders is due), and issues a red
// alert for the whole city. Both processes sweep and dispatch every second.
// Every escalation step fires once, every message arrives once, serials are unique and gap-free.
func TestTwoProcessesOnePostgres(t *testing.T) {
	if os.Getenv(testenv.PostgresURLVar) == "" {
		t.Skip("replicas share PostgreSQL; SQLite is for a single process") // CI sets the variable
	}
	srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
	database := testenv.PostgresURL(t)
	env := append(serviceEnv(database, t.TempDir(), srv.URL()), "DUTYDESK_LEADERSHIP_EMAILS=局长 <chief@bureau.example.org>",
		"DUTYDESK_READ_CACHE_TTL=1m") // long, so that only invalidation can refuse a revoked session in time
	a := startService(t, env, "--demo")
	b := startService(t, env) // the demo city is there already
	procs := []*service{a, b}
	tokens := []string{a.login(), b.login()}
	db := openDirect(t, database, "")

	const incidents = 20
	occurred := time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339)
	report := func(i int) map[string]any {
		return map[string]any{
			"school_id": i + 1, "title": fmt.Sprintf("学生课间摔伤 %d", i), "category": "accident", "subtype": "stampede",
			"severity": 4, "occurred_at": occurred, "place": "教学楼楼梯", "summary": "课间下楼时拥挤，一名学生摔伤，已送医。",
			"injured": 1, "reporter_name": "王老师", "reporter_phone": "13800000001", "late_reason": "送医后才上报",
		}
	}
	type filed struct{ incident, report int64 }
	var mu sync.Mutex
	var all []filed
	var wg sync.WaitGroup
	for i := range 2 * incidents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := i % 2
			var out struct {
				ID      int64
				Reports []struct{ ID int64 }
			}
			body, path := report(i/2), "/api/v1/incidents" // a written initial report, to be signed
			if i%4 >= 2 {
				// A phone report: the written one is overdue, so its whole ladder is due.
				body["caller_unit"], body["caller_name"], body["caller_phone"] = "学校", "王老师", "13800000001"
				delete(body, "late_reason")
				path = "/api/v1/phone-intakes"
			}
			st := procs[p].call("POST", path, tokens[p], body, &out)
			if st != http.StatusCreated || len(out.Reports) == 0 {
				t.Errorf("%s %d through process %d: %d", path, i, p, st)
				return
			}
			if path == "/api/v1/incidents" {
				mu.Lock()
				all = append(all, filed{out.ID, out.Reports[0].ID})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.Fatalf("process A:\n%s\nprocess B:\n%s", a.output(), b.output())
	}
	// Sign every report through both processes at the same moment; one signing wins, the other is a conflict.
	for _, f := range all {
		for p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := fmt.Sprintf("/api/v1/incidents/%d/reports/%d/sign", f.incident, f.report)
				if st := procs[p].call("POST", path, tokens[p], nil, nil); st != http.StatusOK && st != http.StatusConflict {
					t.Errorf("sign %d through process %d: %d", f.report, p, st)
				}
			}()
		}
	}
	var alert struct{ ID int64 }
	wg.Add(1)
	go func() {
		defer wg.Done()
		if st := b.call("POST", "/api/v1/alerts", tokens[1], map[string]any{"type": "rainstorm", "level": "red", "whole_city": true}, &alert); st != http.StatusCreated {
			t.Errorf("issue alert: %d", st)
		}
	}()
	wg.Wait()

	var serials []string
	if err := db.DB.Raw("SELECT serial FROM incidents WHERE serial IS NOT NULL ORDER BY serial").Scan(&serials).Error; err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(testenv.Shanghai).Year()
	if len(serials) != len(all) || len(all) != incidents {
		t.Fatalf("%d serials for %d signed incidents: %v", len(serials), len(all), serials)
	}
	for i, s := range serials {
		if want := fmt.Sprintf("%d-%03d", year, i+1); s != want {
			t.Errorf("serial %d is %s, want %s (unique and gap-free): %v", i+1, s, want, serials)
			break
		}
	}

	// Every step of every ladder is due: wait for them all, then for the outbox to drain.
	waitFor(t, 60*time.Second, "every escalation step", func() bool {
		var n int64
		db.DB.Raw("SELECT COUNT(*) FROM escalations").Scan(&n)
		return n >= incidents*4
	})
	waitFor(t, 120*time.Second, "the outbox to drain", func() bool {
		s, _ := outboxState(t, db)
		return s["pending"] == 0
	})
	time.Sleep(2 * time.Second) // a late step would show up now
	var steps []struct {
		DeadlineID int64
		Step       int
		N          int
	}
	db.DB.Raw("SELECT deadline_id, step, COUNT(*) AS n FROM escalations GROUP BY deadline_id, step").Scan(&steps)
	perDeadline := map[int64][]int{}
	for _, s := range steps {
		perDeadline[s.DeadlineID] = append(perDeadline[s.DeadlineID], s.Step)
	}
	overdueLadders := 0
	for id, ss := range perDeadline {
		sort.Ints(ss)
		if fmt.Sprint(ss) == "[0 1 2 3]" {
			overdueLadders++
		} else {
			t.Logf("deadline %d fired steps %v", id, ss)
		}
	}
	if overdueLadders != incidents {
		t.Errorf("%d complete ladders, want %d (one per overdue written report)", overdueLadders, incidents)
	}
	byStatus, want := outboxState(t, db)
	if byStatus["failed"] != 0 {
		t.Errorf("outbox %v", byStatus)
	}
	checkDelivery(t, deliveries(srv), want, 0)

	// Each process keeps sessions in its read cache; a logout through one is refused by the other.
	for i, p := range procs {
		resp, err := http.Get(p.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(metrics, []byte("\ndutydesk_read_cache_on 1\n")) {
			t.Errorf("process %d: the read cache is not on:\n%s", i, metrics)
		}
	}
	token := a.login()
	if st := b.call("GET", "/api/v1/roster/now", token, nil, nil); st != http.StatusOK {
		t.Fatalf("roster/now through B: %d", st)
	}
	if st := a.call("POST", "/api/v1/auth/logout", token, nil, nil); st != http.StatusNoContent {
		t.Fatalf("logout through A: %d", st)
	}
	waitFor(t, 10*time.Second, "process B to refuse a token logged out through A", func() bool {
		return b.call("GET", "/api/v1/roster/now", token, nil, nil) == http.StatusUnauthorized
	})
	t.Logf("%d escalation steps, %d e-mails, serials %s…%s", len(steps), len(want), serials[0], serials[len(serials)-1])
}
