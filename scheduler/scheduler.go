// Package scheduler runs DutyDesk's periodic jobs with github.com/robfig/cron/v3: the escalation
// sweep, the outbox dispatch, duty reminders and the daily brief. Each run has a timeout, a
// recover, a log line and a lock that lets one replica at a time run the job; the jobs' effects
// are idempotent, so a second run never sends twice.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is a periodic task.
type Job struct {
	// Name identifies the job in logs, metrics and the replica lock.
	Name string
	// Spec is when it runs: five cron fields, or a descriptor such as "@every 30s" or "@daily",
	// in the scheduler's zone unless it starts with CRON_TZ=.
	Spec string
	// Setting names where Spec came from (e.g. DUTYDESK_SCHEDULE_OUTBOX), for error messages.
	Setting string
	// Timeout bounds one run.
	Timeout time.Duration
	// Run does the work; it must be safe to run again (another tick, another replica).
	Run func(ctx context.Context) error
}

// Options configure a Scheduler.
type Options struct {
	// Location is the zone of the cron specs (the bureau's).
	Location *time.Location
	// Lock lets one replica at a time run a job; nil means LocalLock.
	Lock Locker
	// Log receives a line per run (debug when it went well) and cron's own messages.
	Log *slog.Logger
	// Registry receives the job metrics; nil means none.
	Registry prometheus.Registerer
}

// Scheduler runs Jobs on their schedules.
type Scheduler struct {
	cron    *cron.Cron
	jobs    map[string]Job
	lock    Locker
	log     *slog.Logger
	runs    *prometheus.CounterVec
	ctx     context.Context
	cancel  context.CancelFunc
	closers []func() error
}

// specParser reads five-field specs and descriptors (@every 1s, @daily).
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSpec parses a user-entered cron spec. robfig/cron v3.0.1 panics on some malformed specs
// (e.g. "CRON_TZ=" with no fields); that becomes an error here.
func ParseSpec(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("%q is not a cron spec: %v", spec, r)
		}
	}()
	sched, err = specParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron spec (e.g. \"0 8 * * *\" or \"@every 30s\"): %w", spec, err)
	}
	// cron quietly turns "@every 0s" or "@every -1m" into every second; refuse them instead.
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(spec, "@every"))); err == nil && d < time.Second {
			return nil, fmt.Errorf("%q: the interval must be at least 1s", spec)
		}
	}
	return sched, nil
}

// New schedules the jobs; nothing runs before Start. Its error names the setting of a bad spec.
func New(opts Options, jobs ...Job) (*Scheduler, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Lock == nil {
		opts.Lock = LocalLock{}
	}
	s := &Scheduler{
		jobs: map[string]Job{}, lock: opts.Lock, log: opts.Log,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutydesk_job_runs_total", Help: "Scheduled job runs by job and result (ok, error, panic, skipped: another replica held the lock).",
		}, []string{"job", "result"}),
	}
	if opts.Registry != nil {
		if err := opts.Registry.Register(s.runs); err != nil {
			return nil, fmt.Errorf("scheduler metrics: %w", err)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	logger := cronLogger{opts.Log}
	// SkipIfStillRunning outside Recover: in the other order, a panic would leave the skip
	// token taken and the job would never run again (robfig/cron v3.0.1).
	s.cron = cron.New(cron.WithLocation(opts.Location), cron.WithParser(specParser),
		cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)))
	for _, job := range jobs {
		sched, err := ParseSpec(job.Spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", job.Setting, err)
		}
		if job.Timeout <= 0 {
			job.Timeout = time.Minute
		}
		s.jobs[job.Name] = job
		s.cron.Schedule(sched, cron.FuncJob(func() { _ = s.run(s.ctx, job) }))
	}
	return s, nil
}

// Start begins running the jobs on their schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling, cancels the runs in progress and waits for them until ctx ends; then it
// closes what the jobs used (SMTP connections).
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	s.cancel()
	var err error
	select {
	case <-done.Done():
	case <-ctx.Done():
		err = fmt.Errorf("scheduler stop: %w", ctx.Err())
	}
	for _, closeFn := range s.closers {
		_ = closeFn()
	}
	return err
}

// RunNow runs a job once, now, the way its schedule would (lock, timeout, recover, log), and
// returns its error. For tests and manual runs.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	job, ok := s.jobs[name]
	if !ok {
		return fmt.Errorf("no job %q", name)
	}
	return s.run(ctx, job)
}

// run is one run of a job.
func (s *Scheduler) run(parent context.Context, job Job) (err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, job.Timeout)
	defer cancel()
	result, ran := "ok", false
	defer func() {
		if r := recover(); r != nil {
			result, err = "panic", fmt.Errorf("job %s panicked: %v", job.Name, r)
			s.log.Error("job panicked", "job", job.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		s.runs.WithLabelValues(job.Name, result).Inc()
		switch {
		case result == "panic":
		case err != nil:
			s.log.Error("job failed", "job", job.Name, "err", err, "duration_ms", time.Since(start).Milliseconds())
		default:
			s.log.Debug("job run", "job", job.Name, "result", result, "duration_ms", time.Since(start).Milliseconds())
		}
	}()
	ran, err = s.lock.Do(ctx, job.Name, job.Run)
	switch {
	case err != nil:
		result = "error"
	case !ran:
		result = "skipped"
	}
	return err
}

// cronLogger adapts slog to cron's logger; cron's routine chatter goes to debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
