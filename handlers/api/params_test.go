package api

import (
	"errors"
	"testing"
	"time"

	"dutydesk/models"
)

func TestParseTimeOrDate(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, raw string
		want      time.Time
		isDate    bool
		wantTo    time.Time // the same text as the upper bound of a range
	}{
		{"Empty", "", time.Time{}, false, time.Time{}},
		{"DateIsMidnightInTheBureauZone", "2026-10-01", time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), true, time.Date(2026, 10, 2, 0, 0, 0, 0, shanghai)},
		{"DateAtYearEnd", "2026-12-31", time.Date(2026, 12, 31, 0, 0, 0, 0, shanghai), true, time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)},
		{"LeapDay", "2028-02-29", time.Date(2028, 2, 29, 0, 0, 0, 0, shanghai), true, time.Date(2028, 3, 1, 0, 0, 0, 0, shanghai)},
		{"RFC3339WithOffset", "2026-10-01T08:29:59+08:00", time.Date(2026, 10, 1, 8, 29, 59, 0, shanghai), false, time.Date(2026, 10, 1, 8, 29, 59, 0, shanghai)},
		{"RFC3339InUTC", "2026-09-30T16:00:00Z", time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), false, time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai)},
		{"RFC3339WithFraction", "2026-10-01T08:30:00.5+08:00", time.Date(2026, 10, 1, 8, 30, 0, 500000000, shanghai), false, time.Date(2026, 10, 1, 8, 30, 0, 500000000, shanghai)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, isDate, err := ParseTimeOrDate("from", tc.raw, shanghai)
			if err != nil || !got.Equal(tc.want) || isDate != tc.isDate {
				t.Fatalf("ParseTimeOrDate(%q) = %v, %v, %v; want %v, %v", tc.raw, got, isDate, err, tc.want, tc.isDate)
			}
			if to, err := rangeTo("to", tc.raw, shanghai); err != nil || !to.Equal(tc.wantTo) {
				t.Fatalf("rangeTo(%q) = %v, %v; want %v", tc.raw, to, err, tc.wantTo)
			}
		})
	}
	for _, tc := range []struct{ name, raw string }{
		{"Slashes", "2026/10/01"},
		{"NoDashes", "20261001"},
		{"ImpossibleDay", "2026-02-30"},
		{"Month13", "2026-13-01"},
		{"NoZone", "2026-10-01T08:30:00"},
		{"SpaceInsteadOfT", "2026-10-01 08:30:00+08:00"},
		{"ChineseDate", "2026年10月1日"},
		{"Unix", "1790000000"},
		{"Word", "today"},
	} {
		t.Run("Refuses"+tc.name, func(t *testing.T) {
			_, _, err := ParseTimeOrDate("occurred_from", tc.raw, shanghai)
			var e *models.Error
			if !errors.As(err, &e) || e.Code != models.EMALFORMED || e.Message != "参数 occurred_from 的时间格式有误" ||
				e.Fields["occurred_from"] != "应为 RFC 3339 时间（如 2026-10-01T08:30:00+08:00）或日期（如 2026-10-01）" {
				t.Fatalf("ParseTimeOrDate(%q) error %#v", tc.raw, err)
			}
		})
	}
}
