package roster

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"dutydesk/models"
)

// FairnessRow is one person's line of the fairness table (公平性统计): what they did in a stretch
// of the roster.
type FairnessRow struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	// Rotation is the first rotation the person is in (leaders, bureau leaders, officers), or
	// empty when they are in none but held shifts.
	Rotation RotationRole `json:"rotation"`
	Load
	Hours float64 `json:"hours"`
}

// Fairness returns the fairness table of the shifts beginning in [from, to): one row per member
// of a rotation, in rotation order, then anyone else who held a shift, by name. Counts follow
// KindOf, as generation does. Staff only. Errors: forbidden, invalid.
func (s *Store) Fairness(ctx context.Context, actor *models.User, from, to time.Time) ([]FairnessRow, error) {
	if !actor.Can(models.ReadRoster) {
		return nil, models.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	loc := s.db.Location()
	var as []Assignment
	if err := s.db.Conn(ctx).Preload("User").Where("starts_at >= ? AND starts_at < ?", from.UTC(), to.UTC()).
		Order("starts_at, id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	cal, err := s.calendar(ctx, from.In(loc).Format(time.DateOnly), to.In(loc).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	loads, _ := Loads(as, cal, loc)
	var members []RotationMember
	if err := s.db.Conn(ctx).Preload("User").Order("position").Find(&members).Error; err != nil {
		return nil, fmt.Errorf("list rotations: %w", err)
	}
	rows := []FairnessRow{}
	seen := map[int64]bool{}
	add := func(u *models.User, rotation RotationRole) {
		if u == nil || seen[u.ID] {
			return
		}
		seen[u.ID] = true
		l := loads[u.ID]
		rows = append(rows, FairnessRow{UserID: u.ID, Name: u.DisplayName, Rotation: rotation, Load: l, Hours: l.Hours()})
	}
	for _, role := range []RotationRole{RotationLeaders, RotationBureauLeaders, RotationOfficers} {
		for _, m := range members {
			if m.Role == role && m.User != nil && (!m.User.Disabled || loads[m.UserID].Shifts > 0) {
				add(m.User, role)
			}
		}
	}
	others := map[int64]*models.User{}
	for _, a := range as {
		if a.User != nil && !seen[a.UserID] {
			others[a.UserID] = a.User
		}
	}
	rest := slices.SortedFunc(maps.Values(others), func(a, b *models.User) int {
		return cmp.Or(strings.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	for _, u := range rest {
		add(u, "")
	}
	return rows, nil
}
