package roster

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"dutydesk/models"
)

// DayKind classifies a calendar day.
type DayKind string

// The day kinds.
const (
	DayHoliday DayKind = "holiday" // statutory holiday (法定节假日, including 调休 rest days)
	DayWorkday DayKind = "workday" // make-up workday on a weekend (调休上班)
	DayNormal  DayKind = "normal"  // an ordinary day; an override of this kind removes a shipped entry
)

// HolidayRule is a duty rule a holiday carries.
type HolidayRule string

// The holiday rules.
const (
	RuleEnhancedDuty HolidayRule = "enhanced_duty" // 加强值班: each shift gets extra officers
	RuleBureauLeader HolidayRule = "bureau_leader" // the leader on duty comes from the bureau leadership rotation
)

// CalendarDay is one day of the holiday calendar (节假日安排).
type CalendarDay struct {
	Date  string        `json:"date"` // YYYY-MM-DD
	Kind  DayKind       `json:"kind"`
	Name  string        `json:"name"`
	Rules []HolidayRule `json:"rules"`
	// Overridden tells that an admin changed the shipped entry.
	Overridden bool `json:"overridden"`
}

// Has tells whether the day carries rule r.
func (d CalendarDay) Has(r HolidayRule) bool {
	for _, have := range d.Rules {
		if have == r {
			return true
		}
	}
	return false
}

// HolidayOverride is an admin's change to one day of the shipped calendar.
type HolidayOverride struct {
	ID        int64
	Day       string
	Kind      DayKind
	Name      string
	Rules     string // comma-separated HolidayRules
	UpdatedAt time.Time
}

// The shipped calendar: one file per year, as announced by the State Council. 2025 follows
// 国办发明电〔2024〕12号 (12 Nov 2024); 2026 the notice of 4 Nov 2025. Both were checked against
// published copies of the notices in Nov 2026. Which holidays carry rules (Spring Festival and
// National Day: enhanced duty, bureau leadership on duty) is this bureau's default, not the notices'.
//
//go:embed holidays/*.json
var holidayFiles embed.FS

type holidayFile struct {
	Year     int    `json:"year"`
	Source   string `json:"source"`
	Holidays []struct {
		Name  string        `json:"name"`
		From  string        `json:"from"`
		To    string        `json:"to"`
		Rules []HolidayRule `json:"rules"`
	} `json:"holidays"`
	Workdays []struct {
		Name string `json:"name"`
		Date string `json:"date"`
	} `json:"workdays"`
}

// shippedCalendar parses the embedded files once into days by date.
var shippedCalendar = sync.OnceValues(func() (map[string]CalendarDay, error) {
	days := map[string]CalendarDay{}
	paths, err := fs.Glob(holidayFiles, "holidays/*.json")
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		raw, err := holidayFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var f holidayFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, h := range f.Holidays {
			from, err1 := time.Parse(time.DateOnly, h.From)
			to, err2 := time.Parse(time.DateOnly, h.To)
			if err1 != nil || err2 != nil || to.Before(from) {
				return nil, fmt.Errorf("%s: bad range %s–%s", path, h.From, h.To)
			}
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				days[d.Format(time.DateOnly)] = CalendarDay{Date: d.Format(time.DateOnly), Kind: DayHoliday, Name: h.Name, Rules: h.Rules}
			}
		}
		for _, w := range f.Workdays {
			if _, err := time.Parse(time.DateOnly, w.Date); err != nil {
				return nil, fmt.Errorf("%s: bad workday %s", path, w.Date)
			}
			days[w.Date] = CalendarDay{Date: w.Date, Kind: DayWorkday, Name: w.Name}
		}
	}
	return days, nil
})

// calendar returns the holiday calendar between two dates (YYYY-MM-DD, inclusive): the shipped
// days with the admins' overrides applied. Days absent from the map are normal.
func (s *Store) calendar(ctx context.Context, from, to string) (map[string]CalendarDay, error) {
	shipped, err := shippedCalendar()
	if err != nil {
		return nil, fmt.Errorf("shipped holiday calendar: %w", err)
	}
	days := map[string]CalendarDay{}
	for date, d := range shipped {
		if date >= from && date <= to {
			days[date] = d
		}
	}
	var overrides []HolidayOverride
	if err := s.db.Conn(ctx).Where("day >= ? AND day <= ?", from, to).Find(&overrides).Error; err != nil {
		return nil, fmt.Errorf("holiday overrides: %w", err)
	}
	for _, o := range overrides {
		if o.Kind == DayNormal {
			delete(days, o.Day)
			continue
		}
		days[o.Day] = CalendarDay{Date: o.Day, Kind: o.Kind, Name: o.Name, Rules: parseRules(o.Rules), Overridden: true}
	}
	return days, nil
}

func parseRules(s string) []HolidayRule {
	var rules []HolidayRule
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rules = append(rules, HolidayRule(r))
		}
	}
	return rules
}

// Holidays lists the year's holidays and make-up workdays, by date. Staff only.
// Errors: forbidden, invalid.
func (s *Store) Holidays(ctx context.Context, actor *models.User, year int) ([]CalendarDay, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if year < 2000 || year > 2100 {
		return nil, &models.Error{Code: models.EINVALID, Message: "输入有误，请检查标出的字段", Fields: map[string]string{"year": "年份应在2000–2100之间"}}
	}
	days, err := s.calendar(ctx, fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year))
	if err != nil {
		return nil, err
	}
	list := make([]CalendarDay, 0, len(days))
	for _, d := range days {
		if d.Rules == nil {
			d.Rules = []HolidayRule{}
		}
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Date < list[j].Date })
	return list, nil
}

// HolidayInput sets one day of the calendar.
type HolidayInput struct {
	Kind  DayKind       `json:"kind"`
	Name  string        `json:"name"`
	Rules []HolidayRule `json:"rules"`
}

// SetHoliday overrides one day of the calendar (kind normal removes a shipped holiday or workday).
// Only admins may. Errors: forbidden, invalid.
func (s *Store) SetHoliday(ctx context.Context, actor *models.User, date string, in HolidayInput) (*CalendarDay, error) {
	if !actor.Can(models.ManageRoster) {
		return nil, models.ErrForbidden
	}
	p := models.Problems{}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		p.Add("date", "日期应为 YYYY-MM-DD")
	}
	if in.Kind != DayHoliday && in.Kind != DayWorkday && in.Kind != DayNormal {
		p.Add("kind", "类型须为 holiday、workday 或 normal")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Kind == DayHoliday && in.Name == "" {
		p.Add("name", "请填写节日名称")
	}
	if utf8.RuneCountInString(in.Name) > 32 {
		p.Add("name", "名称不超过32字")
	}
	rules := make([]string, 0, len(in.Rules))
	for _, r := range in.Rules {
		if r != RuleEnhancedDuty && r != RuleBureauLeader {
			p.Add("rules", "规则须为 enhanced_duty 或 bureau_leader")
		}
		rules = append(rules, string(r))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	o := HolidayOverride{Day: date, Kind: in.Kind, Name: in.Name, Rules: strings.Join(rules, ",")}
	err := s.transact(ctx, func(tx *Store) error {
		var existing HolidayOverride
		if err := tx.db.Conn(ctx).Where("day = ?", date).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		o.ID = existing.ID
		if err := tx.db.Conn(ctx).Save(&o).Error; err != nil {
			return fmt.Errorf("save holiday %s: %w", date, err)
		}
		return tx.db.Audit(ctx, actor, "holiday.set", "holiday", o.ID, fmt.Sprintf("%s %s %s [%s]", date, o.Kind, o.Name, o.Rules))
	})
	if err != nil {
		return nil, err
	}
	return &CalendarDay{Date: date, Kind: o.Kind, Name: o.Name, Rules: in.Rules, Overridden: true}, nil
}

// ResetHoliday removes an admin's override of a day, restoring the shipped calendar.
// Only admins may. Errors: forbidden, not_found.
func (s *Store) ResetHoliday(ctx context.Context, actor *models.User, date string) error {
	if !actor.Can(models.ManageRoster) {
		return models.ErrForbidden
	}
	return s.transact(ctx, func(tx *Store) error {
		var o HolidayOverride
		if err := tx.db.Conn(ctx).Where("day = ?", date).Take(&o).Error; err != nil {
			return models.NotFound("节假日调整", err)
		}
		if err := tx.db.Conn(ctx).Delete(&o).Error; err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "holiday.reset", "holiday", o.ID, date)
	})
}
