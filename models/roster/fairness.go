package roster

import (
	"math"
	"time"
)

// Load is what one person has done on the roster over a stretch of time: the counts fair
// generation (公平排班) evens out and the fairness table (公平性统计) shows.
type Load struct {
	// Shifts counts the shifts.
	Shifts int `json:"shifts"`
	// Nights counts the shifts that run through midnight (夜班, and 24-hour shifts).
	Nights int `json:"nights"`
	// Weekends counts the shifts beginning on a Saturday or Sunday that is not a make-up workday.
	Weekends int `json:"weekend_shifts"`
	// Holidays counts the shifts beginning on a statutory holiday.
	Holidays int `json:"holiday_shifts"`
	// Minutes is the time on duty.
	Minutes int64 `json:"-"`
}

// Hours is the time on duty in hours, to a tenth.
func (l Load) Hours() float64 {
	return math.Round(float64(l.Minutes)/6) / 10
}

// add counts one shift of kind k into l.
func (l *Load) add(k ShiftKind) {
	l.Shifts++
	l.Minutes += k.Minutes
	if k.Night {
		l.Nights++
	}
	if k.Weekend {
		l.Weekends++
	}
	if k.Holiday {
		l.Holidays++
	}
}

// ShiftKind is what makes a shift weigh more or less: its length and whether it is a night, a
// weekend or a holiday shift.
type ShiftKind struct {
	Minutes                 int64
	Night, Weekend, Holiday bool
}

// KindOf classifies the shift [from, to) in loc given the calendar day it begins on. A night is a
// shift that runs through midnight; a weekend shift begins on a Saturday or Sunday that is not a
// make-up workday (调休上班); a holiday shift begins on a statutory holiday.
func KindOf(from, to time.Time, day CalendarDay, loc *time.Location) ShiftKind {
	start := from.In(loc)
	y, m, d := start.Date()
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	wd := start.Weekday()
	return ShiftKind{
		Minutes: int64(to.Sub(from) / time.Minute),
		Night:   to.After(midnight),
		Weekend: (wd == time.Saturday || wd == time.Sunday) && day.Kind != DayWorkday,
		Holiday: day.Kind == DayHoliday,
	}
}

// Span is a stretch of time [From, To).
type Span struct{ From, To time.Time }

// Pair is two officers, the lower user id first.
type Pair struct{ A, B int64 }

// pairOf returns the pair of x and y.
func pairOf(x, y int64) Pair {
	if x > y {
		x, y = y, x
	}
	return Pair{x, y}
}

// FairShift is one shift to fill: when it is, what kind, and the rotation each of its places
// takes someone from (officer places of one shift are the pairs that should vary).
type FairShift struct {
	StartsAt, EndsAt time.Time
	Kind             ShiftKind
	Places           []RotationRole
}

// FairInput is everything fair assignment decides from.
type FairInput struct {
	// Shifts are the shifts to fill, in time order.
	Shifts []FairShift
	// Rotations are the people of each rotation, in rotation order.
	Rotations map[RotationRole][]int64
	// Prior is what each person already did: the look-back window before the period and the
	// shifts of the period generation keeps.
	Prior map[int64]Load
	// PriorPairs counts the shifts each pair of officers already shared in the same stretch.
	PriorPairs map[Pair]int
	// Busy are the other duties of each person; a shift must keep MinRest away from them.
	Busy map[int64][]Span
	// Leave are the leaves of each person; a shift may not overlap one.
	Leave map[int64][]Span
	// MinRest is the shortest rest allowed between two duties of one person.
	MinRest time.Duration
}

// AssignFairly fills each shift's places in order with the available person of the place's
// rotation who has done least so far. Available means not on leave during the shift and with at
// least MinRest between it and every other duty (which also rules out double booking). "Least"
// compares, in this order, the counts the shift adds to — nights for a night, holidays for a
// holiday, weekends for a weekend shift — then (for a day shift) more nights done first, then
// hours on duty; among officers equal on all of those it takes the one who has shared fewest
// shifts with the officers already placed on the shift, so that pairs vary, and last the earlier
// in rotation order. The answer has, for each
// shift, the user id of each place, 0 where nobody was available. Same input, same answer.
func AssignFairly(in FairInput) [][]int64 {
	load := map[int64]Load{}
	for id, l := range in.Prior {
		load[id] = l
	}
	pairs := map[Pair]int{}
	for p, n := range in.PriorPairs {
		pairs[p] = n
	}
	busy := map[int64][]Span{}
	for id, spans := range in.Busy {
		busy[id] = append([]Span(nil), spans...)
	}
	available := func(id int64, from, to time.Time) bool {
		for _, l := range in.Leave[id] {
			if l.From.Before(to) && l.To.After(from) {
				return false
			}
		}
		for _, b := range busy[id] {
			if b.From.Before(to.Add(in.MinRest)) && b.To.After(from.Add(-in.MinRest)) {
				return false
			}
		}
		return true
	}
	out := make([][]int64, len(in.Shifts))
	for i, sh := range in.Shifts {
		out[i] = make([]int64, len(sh.Places))
		var officers []int64
		for p, rotation := range sh.Places {
			best, bestKey := int64(0), fairKey{}
			for order, id := range in.Rotations[rotation] {
				if !available(id, sh.StartsAt, sh.EndsAt) {
					continue
				}
				k := keyOf(load[id], sh.Kind, order)
				if rotation == RotationOfficers {
					for _, o := range officers {
						k.shared += pairs[pairOf(id, o)]
					}
				}
				if best == 0 || k.less(bestKey) {
					best, bestKey = id, k
				}
			}
			if best == 0 {
				continue
			}
			out[i][p] = best
			l := load[best]
			l.add(sh.Kind)
			load[best] = l
			busy[best] = append(busy[best], Span{sh.StartsAt, sh.EndsAt})
			if rotation == RotationOfficers {
				for _, o := range officers {
					pairs[pairOf(best, o)]++
				}
				officers = append(officers, best)
			}
		}
	}
	return out
}

// fairKey orders the candidates for a place: lower is fairer.
type fairKey struct {
	// counts are compared in order: nights (for a night), holidays (for a holiday), weekends
	// (for a weekend shift), and, for a day shift, nights done negated.
	counts  [4]int
	minutes int64
	shared  int // shifts shared with the officers already on the shift
	order   int // place in the rotation
}

// keyOf is the candidate's key for a shift of kind k. A day shift goes, among equals, to whoever
// has done more nights: those with fewer nights must stay free for the coming night, which a day
// shift rules out (it ends when the night begins), else the nights drift apart.
func keyOf(l Load, k ShiftKind, order int) fairKey {
	key := fairKey{minutes: l.Minutes, order: order}
	if k.Night {
		key.counts[0] = l.Nights
	} else {
		key.counts[3] = -l.Nights
	}
	if k.Holiday {
		key.counts[1] = l.Holidays
	}
	if k.Weekend {
		key.counts[2] = l.Weekends
	}
	return key
}

func (k fairKey) less(o fairKey) bool {
	for i := range k.counts {
		if k.counts[i] != o.counts[i] {
			return k.counts[i] < o.counts[i]
		}
	}
	if k.minutes != o.minutes {
		return k.minutes < o.minutes
	}
	if k.shared != o.shared {
		return k.shared < o.shared
	}
	return k.order < o.order
}
