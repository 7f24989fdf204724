// Package config holds DutyDesk's settings: defaults, overridden by an optional YAML file,
// overridden by DUTYDESK_* environment variables, then validated as a whole.
package config

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the bureau's zone must resolve even on machines without a zoneinfo database

	"gopkg.in/yaml.v3"
)

// Config is every setting DutyDesk reads. Each field names its environment variable in the `env`
// tag; the YAML key is in the `yaml` tag.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr" env:"DUTYDESK_ADDR"`
	// DatabaseURL selects PostgreSQL (postgres://…); empty means the embedded SQLite file in DataDir.
	DatabaseURL string `yaml:"database_url" env:"DUTYDESK_DATABASE_URL"`
	// DatabaseConns is how many PostgreSQL connections the service keeps open at most, all of
	// them kept when idle: requests beyond it wait for a connection. Replicas × DatabaseConns must
	// stay within the server's max_connections. (25 and 32 filed alike for 32 concurrent clients
	// on 2 cores: see BENCHMARKS.md.)
	DatabaseConns int `yaml:"database_conns" env:"DUTYDESK_DATABASE_CONNS"`
	// DataDir holds the SQLite file, the generated secret and the .eml mail drop.
	DataDir string `yaml:"data_dir" env:"DUTYDESK_DATA_DIR"`
	// Timezone is the bureau's zone for shift boundaries and displayed times.
	Timezone string `yaml:"timezone" env:"DUTYDESK_TIMEZONE"`
	// Secret signs links and tokens. When empty it is generated once and kept in DataDir/secret.
	Secret string `yaml:"secret" env:"DUTYDESK_SECRET"`
	// AdminPassword is the password of the built-in "admin" account, set when it is created.
	// Empty means a random one, printed once at start-up.
	AdminPassword string `yaml:"admin_password" env:"DUTYDESK_ADMIN_PASSWORD"`
	// BaseURL is how users reach the service; it appears in e-mailed links.
	BaseURL string `yaml:"base_url" env:"DUTYDESK_BASE_URL"`
	// SessionTTL is how long a login token stays valid.
	SessionTTL time.Duration `yaml:"session_ttl" env:"DUTYDESK_SESSION_TTL"`
	// ReadCacheTTL is how long, on PostgreSQL, a replica keeps a session or the on-duty answer
	// before reading it again; changes empty the cache at once (models/readcache.go). 0 turns
	// the cache off.
	ReadCacheTTL time.Duration `yaml:"read_cache_ttl" env:"DUTYDESK_READ_CACHE_TTL"`
	// PasswordCost is the bcrypt cost for stored passwords.
	PasswordCost int `yaml:"password_cost" env:"DUTYDESK_PASSWORD_COST"`
	// LoginRatePerMinute bounds login attempts per username and per client address.
	LoginRatePerMinute int `yaml:"login_rate_per_minute" env:"DUTYDESK_LOGIN_RATE_PER_MINUTE"`
	// MaxBodyBytes bounds JSON request bodies; MaxUploadBytes bounds file uploads.
	MaxBodyBytes   int64 `yaml:"max_body_bytes" env:"DUTYDESK_MAX_BODY_BYTES"`
	MaxUploadBytes int64 `yaml:"max_upload_bytes" env:"DUTYDESK_MAX_UPLOAD_BYTES"`
	// RequestTimeout bounds the work of one API request; a database that stops answering then
	// costs the client a 503 after this long instead of a hanging request.
	RequestTimeout time.Duration `yaml:"request_timeout" env:"DUTYDESK_REQUEST_TIMEOUT"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level" env:"DUTYDESK_LOG_LEVEL"`
	// Reports are the incident report deadlines per severity and category (YAML only).
	Reports ReportRules `yaml:"reports"`

	// SMTPURL is the mail relay: smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465.
	// Empty means no relay: messages are written as .eml files under DataDir/mail.
	SMTPURL string `yaml:"smtp_url" env:"DUTYDESK_SMTP_URL"`
	// MailFrom is the From address of every e-mail, e.g. "市教育局应急值守 <duty@edu.example.cn>".
	MailFrom string `yaml:"mail_from" env:"DUTYDESK_MAIL_FROM"`
	// SMTPPoolSize bounds the open connections to the relay; SMTPTimeout bounds dialling and each
	// command on them.
	SMTPPoolSize int           `yaml:"smtp_pool_size" env:"DUTYDESK_SMTP_POOL_SIZE"`
	SMTPTimeout  time.Duration `yaml:"smtp_timeout" env:"DUTYDESK_SMTP_TIMEOUT"`
	// WebhookURL, when set, also receives every notice as a JSON POST (e.g. a group robot).
	WebhookURL string `yaml:"webhook_url" env:"DUTYDESK_WEBHOOK_URL"`
	// LeadershipEmails is the bureau leadership list: the last step of an escalation and the daily
	// brief. In the environment, comma-separated.
	LeadershipEmails []string `yaml:"leadership_emails" env:"DUTYDESK_LEADERSHIP_EMAILS"`
	// OutboxMaxAttempts is how often a message is tried before it is marked failed; retries wait
	// OutboxRetryBase, doubling each time, at most OutboxRetryMax.
	OutboxMaxAttempts int           `yaml:"outbox_max_attempts" env:"DUTYDESK_OUTBOX_MAX_ATTEMPTS"`
	OutboxRetryBase   time.Duration `yaml:"outbox_retry_base" env:"DUTYDESK_OUTBOX_RETRY_BASE"`
	OutboxRetryMax    time.Duration `yaml:"outbox_retry_max" env:"DUTYDESK_OUTBOX_RETRY_MAX"`
	// OutboxLease is how long a dispatcher's claim on a message lasts: after a crash, the messages
	// it had claimed but not sent wait this long before another dispatcher takes them. It must
	// exceed SMTPTimeout.
	OutboxLease time.Duration `yaml:"outbox_lease" env:"DUTYDESK_OUTBOX_LEASE"`
	// Schedule* are cron specs (5 fields, or @every 30s, @daily…) in Timezone, checked by the
	// scheduler at start-up.
	ScheduleEscalation    string `yaml:"schedule_escalation" env:"DUTYDESK_SCHEDULE_ESCALATION"`
	ScheduleOutbox        string `yaml:"schedule_outbox" env:"DUTYDESK_SCHEDULE_OUTBOX"`
	ScheduleDutyReminders string `yaml:"schedule_duty_reminders" env:"DUTYDESK_SCHEDULE_DUTY_REMINDERS"`
	ScheduleDailyBrief    string `yaml:"schedule_daily_brief" env:"DUTYDESK_SCHEDULE_DAILY_BRIEF"`

	// Severe-weather warnings; see config/alerts.go.
	AlertAckDue          time.Duration `yaml:"alert_ack_due" env:"DUTYDESK_ALERT_ACK_DUE"`
	AlertLinkTTL         time.Duration `yaml:"alert_link_ttl" env:"DUTYDESK_ALERT_LINK_TTL"`
	SafetyTimes          []string      `yaml:"safety_times" env:"DUTYDESK_SAFETY_TIMES"`
	SafetyDue            time.Duration `yaml:"safety_due" env:"DUTYDESK_SAFETY_DUE"`
	CAPFeeds             []string      `yaml:"cap_feeds" env:"DUTYDESK_CAP_FEEDS"`
	CAPCityCode          string        `yaml:"cap_city_code" env:"DUTYDESK_CAP_CITY_CODE"`
	CAPCityName          string        `yaml:"cap_city_name" env:"DUTYDESK_CAP_CITY_NAME"`
	ScheduleSafetyRounds string        `yaml:"schedule_safety_rounds" env:"DUTYDESK_SCHEDULE_SAFETY_ROUNDS"`
	ScheduleCAPPoll      string        `yaml:"schedule_cap_poll" env:"DUTYDESK_SCHEDULE_CAP_POLL"`

	// DayShiftStart and NightShiftStart (HH:MM in Timezone) bound the default shift templates:
	// day from DayShiftStart to NightShiftStart, night from NightShiftStart to the next DayShiftStart.
	DayShiftStart   string `yaml:"day_shift_start" env:"DUTYDESK_DAY_SHIFT_START"`
	NightShiftStart string `yaml:"night_shift_start" env:"DUTYDESK_NIGHT_SHIFT_START"`
	// MinRest is the shortest rest allowed between two shifts of one person.
	MinRest time.Duration `yaml:"min_rest" env:"DUTYDESK_MIN_REST"`
	// SwapNotice is how long before the earlier shift a swap (调班) must be requested.
	SwapNotice time.Duration `yaml:"swap_notice" env:"DUTYDESK_SWAP_NOTICE"`
	// HandoverGrace is how long after the shift change the incoming officer has to sign a handover.
	HandoverGrace time.Duration `yaml:"handover_grace" env:"DUTYDESK_HANDOVER_GRACE"`
	// EnhancedExtraOfficers is how many officers enhanced duty (加强值班) adds to each shift.
	EnhancedExtraOfficers int `yaml:"enhanced_extra_officers" env:"DUTYDESK_ENHANCED_EXTRA_OFFICERS"`

	// Location is Timezone, resolved by Validate.
	Location *time.Location `yaml:"-"`
}

// Defaults returns the configuration a first run uses with nothing set.
func Defaults() Config {
	return Config{
		Addr:               ":8080",
		DataDir:            "./data",
		Timezone:           "Asia/Shanghai",
		DatabaseConns:      25,
		BaseURL:            "http://localhost:8080",
		SessionTTL:         12 * time.Hour,
		ReadCacheTTL:       5 * time.Second,
		PasswordCost:       12,
		LoginRatePerMinute: 10,
		MaxBodyBytes:       1 << 20,
		MaxUploadBytes:     10 << 20,
		RequestTimeout:     30 * time.Second,
		LogLevel:           "info",

		MailFrom:              "DutyDesk 应急值守 <dutydesk@localhost>",
		SMTPPoolSize:          2,
		SMTPTimeout:           30 * time.Second,
		OutboxMaxAttempts:     8,
		OutboxRetryBase:       30 * time.Second,
		OutboxRetryMax:        time.Hour,
		OutboxLease:           5 * time.Minute,
		ScheduleEscalation:    "@every 30s",
		ScheduleOutbox:        "@every 2s",
		ScheduleDutyReminders: "0 18 * * *", // the day before a shift
		ScheduleDailyBrief:    "0 8 * * *",
		AlertAckDue:           30 * time.Minute,
		AlertLinkTTL:          7 * 24 * time.Hour,
		SafetyTimes:           []string{"08:00", "20:00"},
		SafetyDue:             2 * time.Hour,
		ScheduleSafetyRounds:  "@every 1m",
		ScheduleCAPPoll:       "@every 2m",
		Reports:               DefaultReportRules(),
		DayShiftStart:         "08:30",
		NightShiftStart:       "17:30",
		MinRest:               8 * time.Hour,
		SwapNotice:            24 * time.Hour,
		HandoverGrace:         30 * time.Minute,
		EnhancedExtraOfficers: 1,
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if path is not empty),
// then the environment as given by getenv. The result is validated; the error names the bad setting.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyEnv overrides every field that has an `env` tag and a non-empty variable.
func applyEnv(cfg *Config, getenv func(string) string) error {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("env")
		if name == "" {
			continue
		}
		raw := getenv(name)
		if raw == "" {
			continue
		}
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString(raw)
		case time.Duration:
			d, err := time.ParseDuration(raw)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration (e.g. 12h, 30m)", name, raw)
			}
			f.SetInt(int64(d))
		case int, int64:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", name, raw)
			}
			f.SetInt(n)
		case []string:
			var list []string
			for _, item := range strings.Split(raw, ",") {
				if item = strings.TrimSpace(item); item != "" {
					list = append(list, item)
				}
			}
			f.Set(reflect.ValueOf(list))
		default:
			return fmt.Errorf("%s: unsupported setting type %s", name, f.Type())
		}
	}
	return nil
}

// Validate checks every setting and resolves Location. Its error names the environment variable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("DUTYDESK_ADDR", "%q is not a listen address like :8080", c.Addr)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DUTYDESK_DATABASE_URL", "must be a postgres:// URL, or empty for the embedded SQLite database")
		}
	}
	if c.DatabaseConns < 1 || c.DatabaseConns > 1000 {
		bad("DUTYDESK_DATABASE_CONNS", "must be between 1 and 1000")
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("DUTYDESK_DATA_DIR", "must not be empty")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		bad("DUTYDESK_TIMEZONE", "%q is not a known time zone (e.g. Asia/Shanghai)", c.Timezone)
	} else {
		c.Location = loc
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		bad("DUTYDESK_SECRET", "must be at least 32 characters")
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < MinPasswordLength {
		bad("DUTYDESK_ADMIN_PASSWORD", "must be at least %d characters", MinPasswordLength)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("DUTYDESK_BASE_URL", "%q is not an http(s) URL", c.BaseURL)
	}
	if c.SessionTTL < time.Minute {
		bad("DUTYDESK_SESSION_TTL", "must be at least 1m")
	}
	if c.ReadCacheTTL < 0 || c.ReadCacheTTL > time.Minute {
		bad("DUTYDESK_READ_CACHE_TTL", "must be between 0 (off) and 1m")
	}
	if c.PasswordCost < 4 || c.PasswordCost > 16 {
		bad("DUTYDESK_PASSWORD_COST", "must be between 4 and 16")
	}
	if c.LoginRatePerMinute < 1 {
		bad("DUTYDESK_LOGIN_RATE_PER_MINUTE", "must be at least 1")
	}
	if c.MaxBodyBytes < 1024 {
		bad("DUTYDESK_MAX_BODY_BYTES", "must be at least 1024")
	}
	if c.MaxUploadBytes < 1024 {
		bad("DUTYDESK_MAX_UPLOAD_BYTES", "must be at least 1024")
	}
	if c.RequestTimeout < time.Second {
		bad("DUTYDESK_REQUEST_TIMEOUT", "must be at least 1s")
	}
	if !ValidClock(c.DayShiftStart) {
		bad("DUTYDESK_DAY_SHIFT_START", "%q is not a time of day like 08:30", c.DayShiftStart)
	}
	if !ValidClock(c.NightShiftStart) || c.NightShiftStart == c.DayShiftStart {
		bad("DUTYDESK_NIGHT_SHIFT_START", "%q is not a time of day like 17:30, different from the day shift start", c.NightShiftStart)
	}
	if c.MinRest < 0 || c.MinRest > 48*time.Hour {
		bad("DUTYDESK_MIN_REST", "must be between 0 and 48h")
	}
	if c.SwapNotice < 0 {
		bad("DUTYDESK_SWAP_NOTICE", "must not be negative")
	}
	if c.HandoverGrace < time.Minute {
		bad("DUTYDESK_HANDOVER_GRACE", "must be at least 1m")
	}
	if c.EnhancedExtraOfficers < 0 || c.EnhancedExtraOfficers > 10 {
		bad("DUTYDESK_ENHANCED_EXTRA_OFFICERS", "must be between 0 and 10")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("DUTYDESK_LOG_LEVEL", "%q must be debug, info, warn or error", c.LogLevel)
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("DUTYDESK_SMTP_URL", "must be smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465")
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad("DUTYDESK_MAIL_FROM", "%q is not an e-mail address like 值班室 <duty@example.cn>", c.MailFrom)
	}
	if c.SMTPPoolSize < 1 || c.SMTPPoolSize > 100 {
		bad("DUTYDESK_SMTP_POOL_SIZE", "must be between 1 and 100")
	}
	if c.SMTPTimeout < time.Second {
		bad("DUTYDESK_SMTP_TIMEOUT", "must be at least 1s")
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("DUTYDESK_WEBHOOK_URL", "%q is not an http(s) URL", c.WebhookURL)
		}
	}
	for _, addr := range c.LeadershipEmails {
		if _, err := mail.ParseAddress(addr); err != nil {
			bad("DUTYDESK_LEADERSHIP_EMAILS", "%q is not an e-mail address", addr)
		}
	}
	if c.OutboxMaxAttempts < 1 {
		bad("DUTYDESK_OUTBOX_MAX_ATTEMPTS", "must be at least 1")
	}
	if c.OutboxRetryBase < time.Second || c.OutboxRetryMax < c.OutboxRetryBase {
		bad("DUTYDESK_OUTBOX_RETRY_BASE", "must be at least 1s and not above DUTYDESK_OUTBOX_RETRY_MAX")
	}
	if c.OutboxLease < 2*c.SMTPTimeout {
		bad("DUTYDESK_OUTBOX_LEASE", "must be at least twice DUTYDESK_SMTP_TIMEOUT (%s)", c.SMTPTimeout)
	}
	for _, s := range [][2]string{
		{"DUTYDESK_SCHEDULE_ESCALATION", c.ScheduleEscalation}, {"DUTYDESK_SCHEDULE_OUTBOX", c.ScheduleOutbox},
		{"DUTYDESK_SCHEDULE_DUTY_REMINDERS", c.ScheduleDutyReminders}, {"DUTYDESK_SCHEDULE_DAILY_BRIEF", c.ScheduleDailyBrief},
		{"DUTYDESK_SCHEDULE_SAFETY_ROUNDS", c.ScheduleSafetyRounds}, {"DUTYDESK_SCHEDULE_CAP_POLL", c.ScheduleCAPPoll},
	} {
		if strings.TrimSpace(s[1]) == "" {
			bad(s[0], "must be a cron spec such as \"0 8 * * *\" or \"@every 30s\"")
		}
	}
	errs = append(errs, c.validateAlerts()...)
	if err := c.Reports.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ValidClock tells whether s is a wall-clock time HH:MM, as shift times are written.
func ValidClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// MinPasswordLength is the shortest password DutyDesk accepts.
const MinPasswordLength = 10

// SQLitePath is the embedded database file used when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "dutydesk.db") }

// InstallationID names this installation in what it sends out (the right-hand side of every
// Message-ID): 12 hex digits of an HMAC-SHA256 of a fixed label, keyed with Secret. It is derived
// from the secret rather than from BaseURL because the secret is what sets one installation apart:
// generated at random on first run (EnsureSecret) or configured, so two installations differ even
// when both keep the default base URL, while one installation — every replica (they must share the
// secret to verify each other's links) and every restart — keeps it. A base URL is shared by
// default installs and changes when a bureau moves its domain; a changed secret also invalidates
// every link already sent, so no one changes it lightly. Keyed hashing of a label reveals nothing
// of the secret. Call it after EnsureSecret.
func (c *Config) InstallationID() string {
	mac := hmac.New(sha256.New, []byte(c.Secret))
	mac.Write([]byte("dutydesk installation id"))
	return hex.EncodeToString(mac.Sum(nil)[:6])
}

// EnsureSecret fills Secret from DataDir/secret, generating and persisting one on first run.
func (c *Config) EnsureSecret() error {
	if c.Secret != "" {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret")
	if raw, err := os.ReadFile(path); err == nil {
		c.Secret = strings.TrimSpace(string(raw))
		if len(c.Secret) < 32 {
			return fmt.Errorf("%s: stored secret is too short; delete it to generate a new one", path)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read secret: %w", err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return fmt.Errorf("generate secret: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	secret := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write secret: %w", err)
	}
	c.Secret = secret
	return nil
}
