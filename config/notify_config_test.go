package config_test

import (
	"reflect"
	"strings"
	"testing"

	"dutydesk/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestMailAndScheduleSettings(t *testing.T) {
	cfg, err := config.Load("", env(map[string]string{
		"DUTYDESK_SMTP_URL":             "smtp://duty:secret@mail.example.cn:587?starttls=1",
		"DUTYDESK_LEADERSHIP_EMAILS":    " 局长 <chief@edu.example.cn>, deputy@edu.example.cn ,",
		"DUTYDESK_SCHEDULE_OUTBOX":      "@every 1s",
		"DUTYDESK_OUTBOX_MAX_ATTEMPTS":  "5",
		"DUTYDESK_OUTBOX_RETRY_BASE":    "1m",
		"DUTYDESK_SCHEDULE_DAILY_BRIEF": "30 7 * * *",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"局长 <chief@edu.example.cn>", "deputy@edu.example.cn"}; !reflect.DeepEqual(cfg.LeadershipEmails, want) {
		t.Errorf("leadership %q, want %q", cfg.LeadershipEmails, want)
	}
	if cfg.ScheduleOutbox != "@every 1s" || cfg.ScheduleEscalation != "@every 30s" || cfg.OutboxMaxAttempts != 5 || cfg.ScheduleDailyBrief != "30 7 * * *" {
		t.Errorf("settings %+v", cfg)
	}

	for name, c := range map[string]struct{ env, value string }{
		"SMTPScheme":    {"DUTYDESK_SMTP_URL", "http://mail.example.cn"},
		"MailFrom":      {"DUTYDESK_MAIL_FROM", "not an address"},
		"Leadership":    {"DUTYDESK_LEADERSHIP_EMAILS", "chief@edu.example.cn, nobody"},
		"WebhookScheme": {"DUTYDESK_WEBHOOK_URL", "ftp://robot"},
		"PoolSize":      {"DUTYDESK_SMTP_POOL_SIZE", "0"},
		"Attempts":      {"DUTYDESK_OUTBOX_MAX_ATTEMPTS", "0"},
		"RetryBase":     {"DUTYDESK_OUTBOX_RETRY_BASE", "2h"},
		"EmptySchedule": {"DUTYDESK_SCHEDULE_ESCALATION", " "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load("", env(map[string]string{c.env: c.value}))
			if err == nil || !strings.Contains(err.Error(), c.env) {
				t.Fatalf("error %v, want one naming %s", err, c.env)
			}
		})
	}
}
