package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutydesk/config"
)

func noEnv(string) string { return "" }

func TestReportRulesFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dutydesk.yaml")
	yaml := `
reports:
  sign_within: 10m
  rules:
    - name: 全部事件
      phone_within: 20m
      written_within: 1h
      follow_up: {every: 4h}
      final_within: 72h
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Reports
	if r.SignWithin != 10*time.Minute || r.ForwardWithin != 2*time.Hour || len(r.Rules) != 1 ||
		r.Rules[0].FollowUp.Every != 4*time.Hour || r.Rules[0].WrittenWithin != time.Hour {
		t.Fatalf("reports = %+v, want the file's rules over the defaults", r)
	}
}

func TestBadReportRulesAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dutydesk.yaml")
	yaml := `
reports:
  rules:
    - name: 只有Ⅰ级
      severities: [1]
      phone_within: 15m
      written_within: 30m
      follow_up: {times: ["25:00"]}
      final_within: 24h
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, noEnv)
	if err == nil || !strings.Contains(err.Error(), "covers severity 2") || !strings.Contains(err.Error(), `"25:00" is not a time of day`) {
		t.Fatalf("Load = %v, want the uncovered severities and the bad time named", err)
	}
}
