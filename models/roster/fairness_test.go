package roster_test

import (
	"fmt"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/roster"
)

// Day and night of October 2026 in Shanghai (the default templates).
func dayShift(day int) (time.Time, time.Time)   { return at(day, 8, 30), at(day, 17, 30) }
func nightShift(day int) (time.Time, time.Time) { return at(day, 17, 30), at(day+1, 8, 30) }

var officers2 = []roster.RotationRole{roster.RotationOfficers, roster.RotationOfficers}

func TestKindOf(t *testing.T) {
	loc := testenv.Shanghai
	normal, workday, holiday := roster.CalendarDay{}, roster.CalendarDay{Kind: roster.DayWorkday}, roster.CalendarDay{Kind: roster.DayHoliday, Name: "国庆节"}
	for _, c := range []struct {
		name     string
		from, to time.Time
		day      roster.CalendarDay
		want     roster.ShiftKind
	}{
		{"WeekdayDay", at(8, 8, 30), at(8, 17, 30), normal, roster.ShiftKind{Minutes: 540}},
		{"WeekdayNight", at(8, 17, 30), at(9, 8, 30), normal, roster.ShiftKind{Minutes: 900, Night: true}},
		{"EndsAtMidnightIsNoNight", at(8, 16, 0), at(9, 0, 0), normal, roster.ShiftKind{Minutes: 480}},
		{"EndsJustAfterMidnight", at(8, 16, 0), at(9, 0, 1), normal, roster.ShiftKind{Minutes: 481, Night: true}},
		{"TwentyFourHoursIsANight", at(8, 8, 30), at(9, 8, 30), normal, roster.ShiftKind{Minutes: 1440, Night: true}},
		{"Saturday", at(17, 8, 30), at(17, 17, 30), normal, roster.ShiftKind{Minutes: 540, Weekend: true}},
		{"SundayNight", at(18, 17, 30), at(19, 8, 30), normal, roster.ShiftKind{Minutes: 900, Night: true, Weekend: true}},
		{"MakeUpWorkdaySaturday", at(10, 8, 30), at(10, 17, 30), workday, roster.ShiftKind{Minutes: 540}},
		{"FridayNightIsNoWeekend", at(16, 17, 30), at(17, 8, 30), normal, roster.ShiftKind{Minutes: 900, Night: true}},
		{"HolidayOnAThursday", at(1, 8, 30), at(1, 17, 30), holiday, roster.ShiftKind{Minutes: 540, Holiday: true}},
		{"HolidayOnASaturday", at(3, 8, 30), at(3, 17, 30), holiday, roster.ShiftKind{Minutes: 540, Weekend: true, Holiday: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := roster.KindOf(c.from, c.to, c.day, loc); got != c.want {
				t.Errorf("KindOf = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestAssignFairly(t *testing.T) {
	officers := map[roster.RotationRole][]int64{roster.RotationOfficers: {1, 2, 3, 4}}
	night := func(day int, places ...roster.RotationRole) roster.FairShift {
		from, to := nightShift(day)
		return roster.FairShift{StartsAt: from, EndsAt: to, Kind: roster.KindOf(from, to, roster.CalendarDay{}, testenv.Shanghai), Places: places}
	}
	day := func(d int, cal roster.CalendarDay, places ...roster.RotationRole) roster.FairShift {
		from, to := dayShift(d)
		return roster.FairShift{StartsAt: from, EndsAt: to, Kind: roster.KindOf(from, to, cal, testenv.Shanghai), Places: places}
	}
	one := []roster.RotationRole{roster.RotationOfficers}
	holiday := roster.CalendarDay{Kind: roster.DayHoliday, Name: "国庆节"}
	for _, c := range []struct {
		name string
		in   roster.FairInput
		want [][]int64
	}{
		{"EqualLoadsFollowRotationOrder", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)}}, [][]int64{{1, 2}}},
		{"FewestNightsTakeTheNight", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)},
			Prior: map[int64]roster.Load{1: {Nights: 3}, 2: {Nights: 1}, 3: {Nights: 2}, 4: {Nights: 3}}}, [][]int64{{2, 3}}},
		{"NightsCountBeforeHours", roster.FairInput{Shifts: []roster.FairShift{night(8, one...)},
			Prior: map[int64]roster.Load{1: {Nights: 1, Minutes: 900}, 2: {Nights: 1, Minutes: 900}, 3: {Nights: 1, Minutes: 900}, 4: {Minutes: 5000}}}, [][]int64{{4}}},
		{"WeekendsCountBeforeHours", roster.FairInput{Shifts: []roster.FairShift{day(17, roster.CalendarDay{}, one...)},
			Prior: map[int64]roster.Load{1: {Weekends: 2}, 2: {Weekends: 2}, 3: {Weekends: 1, Minutes: 9000}, 4: {Weekends: 2}}}, [][]int64{{3}}},
		{"WeekdaysIgnoreWeekends", roster.FairInput{Shifts: []roster.FairShift{day(16, roster.CalendarDay{}, one...)},
			Prior: map[int64]roster.Load{1: {Weekends: 2, Minutes: 540}, 2: {Minutes: 1080}, 3: {Minutes: 1080}, 4: {Minutes: 1080}}}, [][]int64{{1}}},
		{"HolidaysCountBeforeHours", roster.FairInput{Shifts: []roster.FairShift{day(1, holiday, one...)},
			Prior: map[int64]roster.Load{1: {Holidays: 1}, 2: {Holidays: 1}, 3: {Holidays: 1}, 4: {Minutes: 5000}}}, [][]int64{{4}}},
		{"DayShiftGoesToMoreNights", roster.FairInput{Shifts: []roster.FairShift{day(8, roster.CalendarDay{}, one...)},
			Prior: map[int64]roster.Load{1: {Nights: 1, Minutes: 900}, 2: {Nights: 2, Minutes: 1800}, 3: {Nights: 1, Minutes: 900}, 4: {Nights: 1, Minutes: 900}}}, [][]int64{{2}}},
		{"FewestHoursBreakTies", roster.FairInput{Shifts: []roster.FairShift{day(8, roster.CalendarDay{}, one...)},
			Prior: map[int64]roster.Load{1: {Minutes: 1080}, 2: {Minutes: 1080}, 3: {Minutes: 540}, 4: {Minutes: 1080}}}, [][]int64{{3}}},
		{"PairsVaryAmongEquals", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)},
			PriorPairs: map[roster.Pair]int{{A: 1, B: 2}: 3, {A: 1, B: 3}: 2}}, [][]int64{{1, 4}}},
		{"FairnessComesBeforePairs", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)},
			Prior:      map[int64]roster.Load{3: {Nights: 1}, 4: {Nights: 1}},
			PriorPairs: map[roster.Pair]int{{A: 1, B: 2}: 5}}, [][]int64{{1, 2}}},
		{"LoadsAccumulateOverTheShifts", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...), night(9, officers2...), night(10, officers2...)}},
			[][]int64{{1, 2}, {3, 4}, {1, 3}}}, // 1 and 2 already shared a night: 3 is as fair
		{"ThirdOfficerVariesPairs", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...), night(9, roster.RotationOfficers, roster.RotationOfficers, roster.RotationOfficers)},
			Prior: map[int64]roster.Load{3: {Nights: 1}, 4: {Nights: 1}}}, [][]int64{{1, 2}, {3, 4, 1}}},
		{"LeaveDuringTheShift", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)},
			Leave: map[int64][]roster.Span{1: {{From: at(9, 8, 29), To: at(9, 12, 0)}}}}, [][]int64{{2, 3}}},
		{"LeaveEndingAtTheStart", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)}, MinRest: 8 * time.Hour,
			Leave: map[int64][]roster.Span{1: {{From: at(7, 0, 0), To: at(8, 17, 30)}}}}, [][]int64{{1, 2}}},
		{"RestExactlyTheMinimum", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)}, MinRest: 8 * time.Hour,
			Busy: map[int64][]roster.Span{1: {{From: at(8, 0, 0), To: at(8, 9, 30)}}}}, [][]int64{{1, 2}}},
		{"RestAMinuteShort", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)}, MinRest: 8 * time.Hour,
			Busy: map[int64][]roster.Span{1: {{From: at(8, 0, 0), To: at(8, 9, 31)}}}}, [][]int64{{2, 3}}},
		{"RestAfterTheShift", roster.FairInput{Shifts: []roster.FairShift{night(8, officers2...)}, MinRest: 8 * time.Hour,
			Busy: map[int64][]roster.Span{1: {{From: at(9, 16, 29), To: at(9, 20, 0)}}, 2: {{From: at(9, 16, 30), To: at(9, 20, 0)}}}}, [][]int64{{2, 3}}},
		{"NoDoubleBookingWithinAShift", roster.FairInput{Shifts: []roster.FairShift{night(8, roster.RotationOfficers, roster.RotationOfficers, roster.RotationOfficers, roster.RotationOfficers, roster.RotationOfficers)}},
			[][]int64{{1, 2, 3, 4, 0}}},
		{"DayThenNightNeedsRest", roster.FairInput{Shifts: []roster.FairShift{day(8, roster.CalendarDay{}, officers2...), night(8, officers2...), day(9, roster.CalendarDay{}, officers2...)}, MinRest: 8 * time.Hour},
			[][]int64{{1, 2}, {3, 4}, {1, 2}}},
		{"EmptyRotation", roster.FairInput{Shifts: []roster.FairShift{night(8, roster.RotationLeaders)}}, [][]int64{{0}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.in.Rotations == nil {
				c.in.Rotations = officers
			}
			got := roster.AssignFairly(c.in)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("AssignFairly = %v, want %v", got, c.want)
			}
			if again := roster.AssignFairly(c.in); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Errorf("second run %v, first %v: not deterministic", again, got)
			}
		})
	}
}
