package config_test

import (
	"strings"
	"testing"
	"time"

	"dutydesk/config"
)

func TestRosterSettings(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DayShiftStart != "08:30" || cfg.NightShiftStart != "17:30" || cfg.MinRest != 8*time.Hour ||
		cfg.SwapNotice != 24*time.Hour || cfg.HandoverGrace != 30*time.Minute || cfg.EnhancedExtraOfficers != 1 {
		t.Errorf("defaults %+v", cfg)
	}

	cfg, err = config.Load("", env(map[string]string{"DUTYDESK_DAY_SHIFT_START": "09:00", "DUTYDESK_MIN_REST": "6h",
		"DUTYDESK_HANDOVER_GRACE": "45m", "DUTYDESK_ENHANCED_EXTRA_OFFICERS": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DayShiftStart != "09:00" || cfg.MinRest != 6*time.Hour || cfg.HandoverGrace != 45*time.Minute || cfg.EnhancedExtraOfficers != 2 {
		t.Errorf("from the environment %+v", cfg)
	}

	for name, vars := range map[string]map[string]string{
		"DUTYDESK_DAY_SHIFT_START":         {"DUTYDESK_DAY_SHIFT_START": "8:30"},
		"DUTYDESK_NIGHT_SHIFT_START":       {"DUTYDESK_NIGHT_SHIFT_START": "08:30"},
		"DUTYDESK_HANDOVER_GRACE":          {"DUTYDESK_HANDOVER_GRACE": "10s"},
		"DUTYDESK_ENHANCED_EXTRA_OFFICERS": {"DUTYDESK_ENHANCED_EXTRA_OFFICERS": "-1"},
	} {
		if _, err := config.Load("", env(vars)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", vars, err, name)
		}
	}
}
