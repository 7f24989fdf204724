package roster_test

import (
	"context"
	"errors"
	"testing"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/roster"
	"dutydesk/models/store"
)

func TestHolidayCalendar(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		stores, _ := testenv.Store(t, dialect, testenv.Clock())
		dir := testenv.SeedDirectory(t, stores)

		days := func(year int) map[string]roster.CalendarDay {
			t.Helper()
			list, err := stores.Roster.Holidays(ctx, dir.Officer, year)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]roster.CalendarDay{}
			for _, d := range list {
				m[d.Date] = d
			}
			return m
		}
		shipped := []struct {
			date string
			kind roster.DayKind
			name string
		}{
			{"2025-01-01", roster.DayHoliday, "元旦"},
			{"2025-01-26", roster.DayWorkday, "春节调休上班"},
			{"2025-01-28", roster.DayHoliday, "春节"},
			{"2025-02-04", roster.DayHoliday, "春节"},
			{"2025-02-08", roster.DayWorkday, "春节调休上班"},
			{"2025-04-27", roster.DayWorkday, "劳动节调休上班"},
			{"2025-06-02", roster.DayHoliday, "端午节"},
			{"2025-10-08", roster.DayHoliday, "国庆节、中秋节"},
			{"2025-10-11", roster.DayWorkday, "国庆节调休上班"},
			{"2026-01-03", roster.DayHoliday, "元旦"},
			{"2026-01-04", roster.DayWorkday, "元旦调休上班"},
			{"2026-02-14", roster.DayWorkday, "春节调休上班"},
			{"2026-02-23", roster.DayHoliday, "春节"},
			{"2026-05-09", roster.DayWorkday, "劳动节调休上班"},
			{"2026-06-19", roster.DayHoliday, "端午节"},
			{"2026-09-20", roster.DayWorkday, "国庆节调休上班"},
			{"2026-09-25", roster.DayHoliday, "中秋节"},
			{"2026-10-01", roster.DayHoliday, "国庆节"},
			{"2026-10-07", roster.DayHoliday, "国庆节"},
			{"2026-10-10", roster.DayWorkday, "国庆节调休上班"},
		}
		cal := map[int]map[string]roster.CalendarDay{2025: days(2025), 2026: days(2026)}
		if n := len(cal[2025]); n != 28+5 {
			t.Errorf("2025 has %d entries, want 28 holidays and 5 make-up workdays", n)
		}
		if n := len(cal[2026]); n != 33+6 {
			t.Errorf("2026 has %d entries, want 33 holidays and 6 make-up workdays", n)
		}
		for _, want := range shipped {
			got := cal[map[byte]int{'5': 2025, '6': 2026}[want.date[3]]][want.date]
			if got.Kind != want.kind || got.Name != want.name {
				t.Errorf("%s = %+v, want %s %s", want.date, got, want.kind, want.name)
			}
		}
		if _, ok := cal[2026]["2026-10-08"]; ok {
			t.Error("2026-10-08 is an ordinary day")
		}
		if nd := cal[2026]["2026-10-01"]; !nd.Has(roster.RuleEnhancedDuty) || !nd.Has(roster.RuleBureauLeader) {
			t.Errorf("National Day rules = %v", nd.Rules)
		}

		t.Run("OfficersMayNotEdit", func(t *testing.T) {
			_, err := stores.Roster.SetHoliday(ctx, dir.Officer, "2026-10-08", roster.HolidayInput{Kind: roster.DayHoliday, Name: "x"})
			if models.ErrCode(err) != models.EFORBIDDEN {
				t.Fatalf("err = %v, want forbidden", err)
			}
		})
		t.Run("OverrideAndReset", func(t *testing.T) {
			if _, err := stores.Roster.SetHoliday(ctx, dir.Admin, "2026-10-08", roster.HolidayInput{Kind: roster.DayHoliday, Name: "台风停课",
				Rules: []roster.HolidayRule{roster.RuleEnhancedDuty}}); err != nil {
				t.Fatal(err)
			}
			if _, err := stores.Roster.SetHoliday(ctx, dir.Admin, "2026-10-10", roster.HolidayInput{Kind: roster.DayNormal}); err != nil {
				t.Fatal(err)
			}
			got := days(2026)
			if d := got["2026-10-08"]; d.Name != "台风停课" || !d.Overridden || !d.Has(roster.RuleEnhancedDuty) {
				t.Errorf("override not applied: %+v", d)
			}
			if _, ok := got["2026-10-10"]; ok {
				t.Error("2026-10-10 still a make-up workday after being set normal")
			}
			if err := stores.Roster.ResetHoliday(ctx, dir.Admin, "2026-10-10"); err != nil {
				t.Fatal(err)
			}
			if d := days(2026)["2026-10-10"]; d.Kind != roster.DayWorkday || d.Overridden {
				t.Errorf("after reset 2026-10-10 = %+v, want the shipped workday", d)
			}
		})
		t.Run("BadInput", func(t *testing.T) {
			_, err := stores.Roster.SetHoliday(ctx, dir.Admin, "2026-13-01", roster.HolidayInput{Kind: "feast", Rules: []roster.HolidayRule{"party"}})
			var e *models.Error
			if models.ErrCode(err) != models.EINVALID || !errors.As(err, &e) || e.Fields["date"] == "" || e.Fields["kind"] == "" || e.Fields["rules"] == "" {
				t.Fatalf("err = %v, want invalid date, kind and rules", err)
			}
		})
	})
}
