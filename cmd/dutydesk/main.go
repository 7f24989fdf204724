// Command dutydesk is DutyDesk's one binary: serve, migrate, import, demo, version.
// It only wires: configuration, database, store, scheduler and router.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"dutydesk/config"
	"dutydesk/handlers"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
	"dutydesk/models/demo"
	"dutydesk/models/directory"
	"dutydesk/models/escalation"
	"dutydesk/models/incident"
	"dutydesk/models/roster"
	"dutydesk/models/store"
	"dutydesk/scheduler"
)

// demoAdminPassword is the admin password of a demo run when none is configured.
const demoAdminPassword = "dutydesk-admin"

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `DutyDesk — 教育系统应急值守与信息报送平台

usage: dutydesk <command> [flags]

commands:
  serve [--demo]          run the service (migrates first; --demo seeds a demo city into an empty database)
  migrate                 apply database migrations and exit
  import schools FILE     import schools and contacts from a .csv or .xlsx file
  demo                    seed the demo city into an empty database and exit
  backup FILE             write a consistent copy of the SQLite database to FILE (the service may run)
  restore FILE            replace the SQLite database with the backup FILE (stop the service first)
  version                 print the version

every command takes --config FILE (YAML); DUTYDESK_* environment variables override it.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dutydesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	flags := flag.NewFlagSet(cmd, flag.ContinueOnError)
	configPath := flags.String("config", "", "YAML configuration file")
	demo := flags.Bool("demo", false, "seed the demo city into an empty database (serve)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "dutydesk", version)
		return nil
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	slog.SetDefault(newLogger(cfg.LogLevel))

	switch cmd {
	case "serve":
		return serve(ctx, cfg, *demo, stdout)
	case "migrate":
		db, err := openDB(ctx, cfg, models.SystemClock{})
		if err != nil {
			return err
		}
		defer db.Close()
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database schema at version %d\n", v)
		return nil
	case "demo":
		db, stores, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return seedDemo(ctx, stores, stdout)
	case "backup", "restore":
		if flags.NArg() != 1 {
			return fmt.Errorf("usage: dutydesk %s FILE", cmd)
		}
		if cmd == "backup" {
			return backup(ctx, cfg, flags.Arg(0), stdout)
		}
		return restore(ctx, cfg, flags.Arg(0), stdout)
	case "import":
		if flags.NArg() != 2 || flags.Arg(0) != "schools" {
			return errors.New("usage: dutydesk import schools FILE")
		}
		db, stores, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return importSchools(ctx, stores, flags.Arg(1), stdout)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// openDB opens the configured database and brings its schema up to date.
func openDB(ctx context.Context, cfg config.Config, clock models.Clock) (*store.DB, error) {
	var db *store.DB
	var err error
	if cfg.DatabaseURL != "" {
		db, err = store.OpenPostgres(cfg.DatabaseURL, clock)
	} else {
		db, err = store.OpenSQLite(cfg.SQLitePath(), clock)
	}
	if err != nil {
		return nil, err
	}
	if err := db.SetPoolSize(cfg.DatabaseConns); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openStore(ctx context.Context, cfg config.Config) (*store.DB, *app.Stores, error) {
	// Links and Message-IDs derive from the secret: every command that writes needs the same one.
	if err := cfg.EnsureSecret(); err != nil {
		return nil, nil, err
	}
	clock := models.SystemClock{}
	db, err := openDB(ctx, cfg, clock)
	if err != nil {
		return nil, nil, err
	}
	stores := app.New(db, clock, app.Options{
		Location: cfg.Location,
		Outbox: store.OutboxOptions{MaxAttempts: cfg.OutboxMaxAttempts, RetryBase: cfg.OutboxRetryBase, RetryMax: cfg.OutboxRetryMax,
			Lease: cfg.OutboxLease, Webhook: cfg.WebhookURL != "", Installation: cfg.InstallationID()},
		Directory:  directory.Options{PasswordCost: cfg.PasswordCost, SessionTTL: cfg.SessionTTL, Links: directory.NewLinkSigner(cfg.Secret)},
		Escalation: escalation.Options{Leadership: cfg.LeadershipEmails, BaseURL: cfg.BaseURL},
		Alerts: alert.Options{AckDue: cfg.AlertAckDue, LinkTTL: cfg.AlertLinkTTL, SafetyTimes: cfg.SafetyTimes, SafetyDue: cfg.SafetyDue,
			BaseURL: cfg.BaseURL, CAP: alert.CAPOptions{CityCode: cfg.CAPCityCode, CityName: cfg.CAPCityName}},
		Incidents: incident.Options{ReportRules: cfg.Reports, BaseURL: cfg.BaseURL},
		Roster: roster.Options{DayStart: cfg.DayShiftStart, NightStart: cfg.NightShiftStart, MinRest: cfg.MinRest,
			SwapNotice: cfg.SwapNotice, HandoverGrace: cfg.HandoverGrace, EnhancedExtraOfficers: cfg.EnhancedExtraOfficers},
	})
	return db, stores, nil
}

// watchChanges keeps the read cache on, on PostgreSQL, until the returned stop is called.
func watchChanges(ctx context.Context, db *store.DB, ttl time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.WatchChanges(ctx, ttl, func(err error) {
			slog.Warn("read cache off until the change listener reconnects", "err", err)
		})
	}()
	return func() { cancel(); <-done }
}

func seedDemo(ctx context.Context, stores *app.Stores, stdout io.Writer) error {
	info, err := stores.Demo.SeedDemo(ctx)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if info == nil {
		fmt.Fprintln(stdout, "demo: the database already has schools; nothing seeded")
		return nil
	}
	fmt.Fprintf(stdout, "demo: seeded %d districts, %d schools, %d contacts, %d staff accounts (password %q):\n",
		info.Districts, info.Schools, info.Contacts, info.Users, demo.DemoPassword)
	for _, role := range models.Roles {
		if name, ok := info.Usernames[role]; ok {
			fmt.Fprintf(stdout, "  %-17s %s\n", role, name)
		}
	}
	roster, err := stores.Demo.SeedDemoRoster(ctx)
	if err != nil {
		return fmt.Errorf("seed demo roster: %w", err)
	}
	if roster != nil {
		fmt.Fprintf(stdout, "demo: roster of the coming four weeks generated (%d shifts)\n", roster.Created)
	}
	return nil
}

func importSchools(ctx context.Context, stores *app.Stores, path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := directory.ReadImportRows(path, f)
	if err != nil {
		return err
	}
	result, err := stores.Directory.ImportSchools(ctx, models.System, rows)
	if problems := directory.ImportRowProblems(err); problems != nil {
		for _, p := range problems {
			fmt.Fprintf(stdout, "row %d, %s: %s\n", p.Row, p.Column, p.Message)
		}
		return fmt.Errorf("%s: %d problems, nothing imported", path, len(problems))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d rows: schools %d new, %d updated; contacts %d new, %d updated, %d removed\n",
		result.Rows, result.SchoolsCreated, result.SchoolsUpdated, result.ContactsCreated, result.ContactsUpdated, result.ContactsDeleted)
	return nil
}

// serve runs the HTTP service until SIGINT or SIGTERM, then shuts down gracefully.
func serve(ctx context.Context, cfg config.Config, demo bool, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := cfg.EnsureSecret(); err != nil {
		return err
	}
	if demo && cfg.AdminPassword == "" {
		cfg.AdminPassword = demoAdminPassword
	}
	unlock, err := lockDataDir(cfg) // restore waits for the service to stop
	if err != nil {
		return err
	}
	defer unlock()
	db, stores, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	stopWatching := watchChanges(ctx, db, cfg.ReadCacheTTL)
	defer stopWatching()
	adminPassword, err := stores.Directory.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if demo {
		if err := seedDemo(ctx, stores, stdout); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dutydesk_read_cache_on",
			Help: "1 while the read cache is on (PostgreSQL, change listener connected), else 0."},
			func() float64 {
				if db.ReadCacheOn() {
					return 1
				}
				return 0
			}))
	sched, err := scheduler.Standard(cfg, scheduler.Deps{Store: stores, DB: db, Log: slog.Default(), Registry: reg})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handlers.NewRouter(handlers.Deps{Config: cfg, Store: stores, Ping: db.Ping, Registry: reg}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	where := "SQLite " + cfg.SQLitePath()
	if cfg.DatabaseURL != "" {
		where = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "DutyDesk %s listening on %s (database: %s)\n", version, cfg.Addr, where)
	fmt.Fprintf(stdout, "duty console: %s/console/\n", cfg.BaseURL)
	fmt.Fprintf(stdout, "log in at %s/api/v1/auth/login as admin", cfg.BaseURL)
	switch {
	case demo && cfg.AdminPassword == demoAdminPassword:
		fmt.Fprintf(stdout, " / %s (demo)", demoAdminPassword)
	case adminPassword != "" && adminPassword != cfg.AdminPassword:
		fmt.Fprintf(stdout, " with password %s (generated now; set DUTYDESK_ADMIN_PASSWORD to choose it)", adminPassword)
	case adminPassword == "":
		fmt.Fprint(stdout, " (existing account)")
	}
	fmt.Fprintln(stdout)

	if cfg.SMTPURL == "" {
		fmt.Fprintf(stdout, "no DUTYDESK_SMTP_URL: e-mails are written to %s\n", filepath.Join(cfg.DataDir, "mail"))
	}

	sched.Start()
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := sched.Stop(stopCtx); err != nil {
			slog.Error("stop scheduler", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
