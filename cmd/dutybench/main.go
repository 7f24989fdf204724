// Command bench measures DutyDesk where it matters most (issue 9, BENCHMARKS.md): an alert's
// fan-out to every school contact over real SMTP, incident reports filed by many schools at once,
// the escalation sweep over a large history, and the on-duty look-up. Every figure is printed next
// to a baseline measured in the same run, because absolute times on a shared machine drift.
//
//	go run ./bench                       # every scenario at the sizes
//	go run ./bench -scenarios sweep -history 100000 -growth 2   # one scenario, small
//
// It needs PostgreSQL (-db, a URL whose user may create databases); each scenario works in its
// own database dutydesk_bench_<scenario>, dropped first. The server runs as a separate process:
// the real dutydesk binary, built here unless -binary names one. Only loopback traffic.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	db        string
	binary    string
	scenarios string
	keep      bool

	schools, contacts int
	alertLevel        string
	poolSize          int
	fanoutWait        time.Duration
	fanoutRounds      int

	filingClients  int
	filingDuration time.Duration
	traceFiling    bool

	history, open, overdue, growth int
	sweepRuns                      int

	rosterConns    int
	rosterDuration time.Duration

	// bareSMTPChild makes this process the fan-out's baseline client (see bareSMTPProcess).
	bareSMTPChild bool
	smtpURL       string
	bareIDs       idRange
}

func main() {
	var o options
	flag.StringVar(&o.db, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL of a user that may create databases")
	flag.StringVar(&o.binary, "binary", "", "dutydesk binary to run (default: go build ./cmd/dutydesk)")
	flag.StringVar(&o.scenarios, "scenarios", "fanout,filing,sweep,roster", "scenarios to run, comma-separated")
	flag.BoolVar(&o.keep, "keep", false, "keep the benchmark databases afterwards")
	flag.IntVar(&o.schools, "schools", 2500, "fanout: schools in the city")
	flag.IntVar(&o.contacts, "contacts", 4, "fanout: contacts per school")
	flag.StringVar(&o.alertLevel, "alert-level", "yellow", "fanout: level of the typhoon warning (orange and red also queue a safety-report request per contact)")
	flag.IntVar(&o.poolSize, "smtp-pool", 2, "fanout: SMTP pool size of the server and of the baseline client")
	flag.DurationVar(&o.fanoutWait, "fanout-wait", 90*time.Second, "fanout: give up waiting for delivery after this long")
	flag.IntVar(&o.fanoutRounds, "fanout-rounds", 5, "fanout: warnings issued one after another, each delivered and then sent again by the baseline client (the median ratio is reported)")
	flag.IntVar(&o.filingClients, "filing-clients", 32, "filing: concurrent clients (and pgbench clients)")
	flag.DurationVar(&o.filingDuration, "filing-duration", 10*time.Second, "filing: how long each side runs")
	flag.BoolVar(&o.traceFiling, "trace-filing", false, "filing: print the SQL one POST /api/v1/incidents executes, and stop")
	flag.IntVar(&o.history, "history", 1_000_000, "sweep: closed historical deadlines")
	flag.IntVar(&o.open, "open", 10_000, "sweep: open deadlines")
	flag.IntVar(&o.overdue, "overdue", 1_000, "sweep: of the open deadlines, overdue ones")
	flag.IntVar(&o.growth, "growth", 10, "sweep: history grows by this factor for the second measurement")
	flag.IntVar(&o.sweepRuns, "sweep-runs", 20, "sweep: timed steady-state sweeps per measurement (the median is reported)")
	flag.IntVar(&o.rosterConns, "roster-conns", 16, "roster: concurrent keep-alive connections of the load client")
	flag.DurationVar(&o.rosterDuration, "roster-duration", 10*time.Second, "roster: how long each endpoint is loaded")
	flag.BoolVar(&o.bareSMTPChild, "bare-smtp-child", false, "internal: be the fan-out's baseline client, sending e-mails of -db to -smtp-url")
	flag.StringVar(&o.smtpURL, "smtp-url", "", "internal: with -bare-smtp-child")
	flag.Int64Var(&o.bareIDs.after, "after-id", 0, "internal: with -bare-smtp-child, send the e-mails with an id above this")
	flag.Int64Var(&o.bareIDs.through, "through-id", 0, "internal: with -bare-smtp-child, up to this id")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	r := &report{}
	host, _ := os.Hostname()
	r.header = fmt.Sprintf("%s, %s/%s, %d CPUs, %s, %s", time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.Version(), host)
	if o.traceFiling {
		return traceFiling(ctx, o)
	}
	if o.bareSMTPChild {
		return bareSMTPChild(ctx, o)
	}
	bin := o.binary
	if bin == "" {
		var cleanup func()
		var err error
		bin, cleanup, err = buildBinary(ctx)
		if err != nil {
			return err
		}
		defer cleanup()
	}
	scenarios := map[string]func(context.Context, options, string, *report) error{
		"fanout": benchFanout, "filing": benchFiling, "sweep": benchSweep, "roster": benchRoster,
	}
	for _, name := range strings.Split(o.scenarios, ",") {
		name = strings.TrimSpace(name)
		fn, ok := scenarios[name]
		if !ok {
			return fmt.Errorf("unknown scenario %q (fanout, filing, sweep, roster)", name)
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "== %s\n", name)
		if err := fn(ctx, o, bin, r); err != nil {
			r.print(os.Stdout)
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "== %s done in %s\n", name, time.Since(start).Round(time.Second))
	}
	r.print(os.Stdout)
	return nil
}
