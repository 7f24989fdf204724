package roster_test

import (
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models/roster"
)

// at is a wall-clock time in Shanghai in October 2026.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 10, day, hour, minute, 0, 0, testenv.Shanghai)
}

// shift builds a shift from its people: a role for each user id.
func shift(from, to time.Time, people map[int64]roster.DutyRole) roster.Shift {
	sh := roster.Shift{StartsAt: from, EndsAt: to}
	for id, role := range people {
		sh.Assignments = append(sh.Assignments, roster.Assignment{ID: id * 100, UserID: id, Role: role, StartsAt: from, EndsAt: to})
	}
	return sh
}

var full = map[int64]roster.DutyRole{1: roster.DutyLeader, 2: roster.DutyOfficer, 3: roster.DutyOfficer}

func TestCoverageGaps(t *testing.T) {
	day := shift(at(1, 8, 30), at(1, 17, 30), full)
	night := shift(at(1, 17, 30), at(2, 8, 30), map[int64]roster.DutyRole{4: roster.DutyLeader, 5: roster.DutyOfficer, 6: roster.DutyOfficer})
	thinNight := shift(at(1, 17, 30), at(2, 8, 30), map[int64]roster.DutyRole{4: roster.DutyLeader, 5: roster.DutyOfficer})
	leaderDay := shift(at(1, 8, 30), at(2, 8, 30), map[int64]roster.DutyRole{7: roster.DutyLeader})
	officersDay := shift(at(1, 8, 30), at(1, 17, 30), map[int64]roster.DutyRole{2: roster.DutyOfficer, 3: roster.DutyExtra})
	officersNight := shift(at(1, 17, 30), at(2, 8, 30), map[int64]roster.DutyRole{5: roster.DutyOfficer, 6: roster.DutyOfficer})

	tests := []struct {
		name   string
		shifts []roster.Shift
		from   time.Time
		to     time.Time
		want   []roster.Gap
	}{
		{"FullDayAndNight", []roster.Shift{day, night}, at(1, 8, 30), at(2, 8, 30), nil},
		{"OneMinuteBeforeTheFirstShift", []roster.Shift{day, night}, at(1, 8, 29), at(2, 8, 30),
			[]roster.Gap{{From: at(1, 8, 29), To: at(1, 8, 30)}}},
		{"OneMinuteAfterTheLastShift", []roster.Shift{day, night}, at(1, 8, 30), at(2, 8, 31),
			[]roster.Gap{{From: at(2, 8, 30), To: at(2, 8, 31)}}},
		{"NightWithOneOfficer", []roster.Shift{day, thinNight}, at(1, 8, 30), at(2, 8, 30),
			[]roster.Gap{{From: at(1, 17, 30), To: at(2, 8, 30), Leaders: 1, Officers: 1}}},
		{"NoNightAtAll", []roster.Shift{day}, at(1, 0, 0), at(2, 0, 0),
			[]roster.Gap{{From: at(1, 0, 0), To: at(1, 8, 30)}, {From: at(1, 17, 30), To: at(2, 0, 0)}}},
		{"TwentyFourHourLeaderOverOfficerShifts", []roster.Shift{leaderDay, officersDay, officersNight}, at(1, 8, 30), at(2, 8, 30), nil},
		{"NoShifts", nil, at(1, 8, 30), at(1, 9, 30), []roster.Gap{{From: at(1, 8, 30), To: at(1, 9, 30)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roster.CoverageGaps(tt.shifts, tt.from, tt.to)
			if len(got) != len(tt.want) {
				t.Fatalf("gaps %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if !g.From.Equal(w.From) || !g.To.Equal(w.To) || g.Leaders != w.Leaders || g.Officers != w.Officers {
					t.Errorf("gap %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestScheduleConflicts(t *testing.T) {
	a := func(id int64, from, to time.Time) roster.Assignment {
		return roster.Assignment{ID: id, UserID: 9, Role: roster.DutyOfficer, StartsAt: from, EndsAt: to}
	}
	tests := []struct {
		name string
		as   []roster.Assignment
		want []roster.ConflictKind
	}{
		{"DayThenNextDay", []roster.Assignment{a(1, at(1, 8, 30), at(1, 17, 30)), a(2, at(2, 8, 30), at(2, 17, 30))}, nil},
		{"DayThenNightBackToBack", []roster.Assignment{a(1, at(1, 8, 30), at(1, 17, 30)), a(2, at(1, 17, 30), at(2, 8, 30))},
			[]roster.ConflictKind{roster.ShortRest}},
		{"RestOneMinuteShort", []roster.Assignment{a(1, at(1, 8, 30), at(1, 17, 30)), a(2, at(2, 1, 29), at(2, 8, 30))},
			[]roster.ConflictKind{roster.ShortRest}},
		{"RestExactlyEightHours", []roster.Assignment{a(1, at(1, 8, 30), at(1, 17, 30)), a(2, at(2, 1, 30), at(2, 8, 30))}, nil},
		{"Overlap", []roster.Assignment{a(1, at(1, 8, 30), at(1, 17, 30)), a(2, at(1, 17, 29), at(2, 8, 30))},
			[]roster.ConflictKind{roster.DoubleBooking}},
		{"InsideALongShift", []roster.Assignment{a(1, at(1, 8, 30), at(2, 8, 30)), a(2, at(1, 9, 0), at(1, 10, 0)), a(3, at(1, 20, 0), at(1, 21, 0))},
			[]roster.ConflictKind{roster.DoubleBooking, roster.DoubleBooking}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roster.ScheduleConflicts(tt.as, 8*time.Hour)
			if len(got) != len(tt.want) {
				t.Fatalf("conflicts %+v, want kinds %v", got, tt.want)
			}
			for i := range got {
				if got[i].Kind != tt.want[i] {
					t.Errorf("conflict %d is %s, want %s", i, got[i].Kind, tt.want[i])
				}
			}
		})
	}
}

func TestLeaveConflicts(t *testing.T) {
	day := shift(at(2, 8, 30), at(2, 17, 30), full)
	night := shift(at(2, 17, 30), at(3, 8, 30), map[int64]roster.DutyRole{4: roster.DutyLeader, 5: roster.DutyOfficer, 6: roster.DutyOfficer})
	leader24 := shift(at(2, 8, 30), at(3, 8, 30), map[int64]roster.DutyRole{7: roster.DutyLeader})
	leave := func(user int64, from, to time.Time) roster.Leave {
		return roster.Leave{ID: user * 10, UserID: user, StartsAt: from, EndsAt: to, Reason: "病假"}
	}
	type hit struct{ user, assignment, leave int64 }
	tests := []struct {
		name   string
		shifts []roster.Shift
		leaves []roster.Leave
		want   []hit
	}{
		{"NoLeave", []roster.Shift{day, night}, nil, nil},
		{"LeaveEndsAsTheShiftBegins", []roster.Shift{day}, []roster.Leave{leave(2, at(1, 8, 30), at(2, 8, 30))}, nil},
		{"LeaveEndsOneMinuteIntoTheShift", []roster.Shift{day}, []roster.Leave{leave(2, at(1, 8, 30), at(2, 8, 31))},
			[]hit{{2, 200, 20}}},
		{"LeaveBeginsAsTheShiftEnds", []roster.Shift{day}, []roster.Leave{leave(3, at(2, 17, 30), at(4, 0, 0))}, nil},
		{"LeaveBeginsOneMinuteBeforeTheShiftEnds", []roster.Shift{day, night}, []roster.Leave{leave(3, at(2, 17, 29), at(4, 0, 0))},
			[]hit{{3, 300, 30}}},
		{"LeaveInsideTheShift", []roster.Shift{day}, []roster.Leave{leave(1, at(2, 12, 0), at(2, 13, 0))}, []hit{{1, 100, 10}}},
		{"SomeoneElsesLeave", []roster.Shift{day}, []roster.Leave{leave(9, at(1, 0, 0), at(5, 0, 0))}, nil},
		{"LongLeaveOverDayAndNight", []roster.Shift{day, night}, []roster.Leave{leave(2, at(1, 0, 0), at(5, 0, 0)), leave(5, at(1, 0, 0), at(5, 0, 0))},
			[]hit{{2, 200, 20}, {5, 500, 50}}},
		{"NightLeaderAfterMidnight", []roster.Shift{leader24}, []roster.Leave{leave(7, at(3, 0, 0), at(3, 8, 0))}, []hit{{7, 700, 70}}},
		{"TwoLeavesOneConflict", []roster.Shift{day}, []roster.Leave{
			{ID: 22, UserID: 2, StartsAt: at(2, 16, 0), EndsAt: at(3, 0, 0)}, leave(2, at(2, 9, 0), at(2, 10, 0))},
			[]hit{{2, 200, 20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roster.LeaveConflicts(tt.shifts, tt.leaves)
			if len(got) != len(tt.want) {
				t.Fatalf("conflicts %+v, want %+v", got, tt.want)
			}
			for i, c := range got {
				w := tt.want[i]
				if c.Kind != roster.OnLeave || c.UserID != w.user || c.First.ID != w.assignment || c.Leave == nil || c.Leave.ID != w.leave {
					t.Errorf("conflict %d = %s user %d assignment %d leave %+v, want on_leave user %d assignment %d leave %d",
						i, c.Kind, c.UserID, c.First.ID, c.Leave, w.user, w.assignment, w.leave)
				}
				if c.Second != (roster.Assignment{}) {
					t.Errorf("conflict %d has a second assignment %+v", i, c.Second)
				}
			}
		})
	}
}

func TestConflictKindNames(t *testing.T) {
	for kind, want := range map[roster.ConflictKind]string{roster.DoubleBooking: "重复排班", roster.ShortRest: "休息不足", roster.OnLeave: "请假期间排班"} {
		if got := kind.Name(); got != want {
			t.Errorf("%s.Name() = %q, want %q", kind, got, want)
		}
	}
}

func TestTemplateIntervalAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	night := roster.ShiftTemplate{StartTime: "17:30", EndTime: "08:30"}
	leader24 := roster.ShiftTemplate{StartTime: "08:30", EndTime: "08:30"}
	tests := []struct {
		name     string
		tpl      roster.ShiftTemplate
		day      time.Time
		loc      *time.Location
		duration time.Duration
	}{
		{"ShanghaiNight", night, time.Date(2026, 10, 24, 0, 0, 0, 0, testenv.Shanghai), testenv.Shanghai, 15 * time.Hour},
		{"BerlinNightWhenSummerTimeEnds", night, time.Date(2026, 10, 24, 0, 0, 0, 0, berlin), berlin, 16 * time.Hour},
		{"BerlinNightWhenSummerTimeBegins", night, time.Date(2026, 3, 28, 0, 0, 0, 0, berlin), berlin, 14 * time.Hour},
		{"Leader24Hours", leader24, time.Date(2026, 10, 1, 0, 0, 0, 0, testenv.Shanghai), testenv.Shanghai, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := tt.tpl.Interval(tt.day, tt.loc)
			if got := start.In(tt.loc).Format("15:04"); got != tt.tpl.StartTime {
				t.Errorf("starts at %s local, want %s", got, tt.tpl.StartTime)
			}
			if got := end.In(tt.loc).Format("15:04"); got != tt.tpl.EndTime {
				t.Errorf("ends at %s local, want %s", got, tt.tpl.EndTime)
			}
			if end.Sub(start) != tt.duration {
				t.Errorf("lasts %s, want %s", end.Sub(start), tt.duration)
			}
		})
	}
}
