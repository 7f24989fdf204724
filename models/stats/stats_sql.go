package stats

import (
	"context"
	"fmt"
	"math"
	"time"

	"dutydesk/models/store"
)

// The dialect branches of the statistics. Stored times are UTC on both databases: timestamptz on
// PostgreSQL, text ("2026-10-08 02:00:00+00:00", which compares in time order) on SQLite.

// secondsBetween is an SQL expression for the whole seconds from earlier to later.
func (s *Store) secondsBetween(later, earlier string) string {
	if s.db.Dialect() == store.Postgres {
		return fmt.Sprintf("ROUND(CAST(EXTRACT(EPOCH FROM (%s - %s)) AS double precision))", later, earlier)
	}
	// julianday keeps milliseconds; rounding makes both dialects agree to the second.
	return fmt.Sprintf("ROUND((julianday(%s) - julianday(%s)) * 86400.0)", later, earlier)
}

// monthGrouping says how to count rows by the month of a time column in the bureau's zone.
type monthGrouping struct {
	// expr is the SQL expression grouped by; args are its parameters.
	expr string
	args []any
	// month turns a group's key into "YYYY-MM"; nil means the key is that already.
	month func(key string) string
}

// bucketSeconds is the width of the UTC buckets counted when months cannot be told in SQL: a
// quarter hour, because every zone's offset is a multiple of it, so no bucket straddles a local
// midnight.
const bucketSeconds = 900

// monthOf returns how to group the time column col by bureau-zone month over [from, to).
//
// PostgreSQL converts with AT TIME ZONE, which knows the zone's rules. SQLite has no zone rules:
// when the zone keeps one offset over the whole period (Asia/Shanghai has had no DST since 1991)
// the offset is added with a date modifier; otherwise, and on PostgreSQL when the zone has no
// IANA name, the database counts per quarter-hour UTC bucket and Go assigns each bucket to its
// local month — aggregated counts, never rows.
func (s *Store) monthOf(col string, from, to time.Time) monthGrouping {
	loc := s.db.Location()
	name := loc.String()
	if s.db.Dialect() == store.Postgres && name != "Local" {
		return monthGrouping{expr: "to_char(" + col + " AT TIME ZONE ?, 'YYYY-MM')", args: []any{name}}
	}
	if offset, ok := fixedOffset(loc, from, to); ok && s.db.Dialect() == store.SQLite {
		return monthGrouping{expr: "strftime('%Y-%m', " + col + ", ?)", args: []any{fmt.Sprintf("%+d seconds", offset)}}
	}
	bucket := fmt.Sprintf("CAST(strftime('%%s', %s) AS INTEGER) / %d", col, bucketSeconds)
	if s.db.Dialect() == store.Postgres {
		bucket = fmt.Sprintf("CAST(FLOOR(EXTRACT(EPOCH FROM %s) / %d) AS BIGINT)", col, bucketSeconds)
	}
	return monthGrouping{expr: bucket, month: func(key string) string {
		var n int64
		_, _ = fmt.Sscan(key, &n)
		return time.Unix(n*bucketSeconds, 0).In(loc).Format("2006-01")
	}}
}

// fixedOffset tells whether loc keeps one UTC offset from a day before from to a day after to,
// and which. Offsets change at most a few times a year, so looking at every day finds any change.
func fixedOffset(loc *time.Location, from, to time.Time) (int, bool) {
	_, offset := from.Add(-24 * time.Hour).In(loc).Zone()
	for t := from; !t.After(to.Add(24 * time.Hour)); t = t.Add(24 * time.Hour) {
		if _, o := t.In(loc).Zone(); o != offset {
			return 0, false
		}
	}
	return offset, true
}

// percentiles returns the continuous percentiles ps (0–1, interpolated between neighbours like
// PostgreSQL's percentile_cont) of column v of the query sub, and how many values it has. The
// values are nil when there are none. PostgreSQL computes them with percentile_cont; SQLite, which
// has none, counts the values and reads the one or two neighbours of each percentile's position
// with ORDER BY … LIMIT 2 OFFSET.
func (s *Store) percentiles(ctx context.Context, sub string, args []any, ps ...float64) (int64, []*float64, error) {
	out := make([]*float64, len(ps))
	if s.db.Dialect() == store.Postgres {
		sel := "SELECT COUNT(v)"
		for _, p := range ps {
			sel += fmt.Sprintf(", percentile_cont(%g) WITHIN GROUP (ORDER BY v)", p)
		}
		row := s.db.Conn(ctx).Raw(sel+" FROM ("+sub+") pv", args...).Row()
		var n int64
		dest := []any{&n}
		vals := make([]*float64, len(ps))
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := row.Scan(dest...); err != nil {
			return 0, nil, fmt.Errorf("percentiles: %w", err)
		}
		return n, vals, nil
	}
	var n int64
	if err := s.db.Conn(ctx).Raw("SELECT COUNT(v) FROM ("+sub+") pv", args...).Row().Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("count for percentiles: %w", err)
	}
	if n == 0 {
		return 0, out, nil
	}
	for i, p := range ps {
		pos := p * float64(n-1)
		lo := math.Floor(pos)
		var near []float64
		err := s.db.Conn(ctx).Raw("SELECT v FROM ("+sub+") pv WHERE v IS NOT NULL ORDER BY v LIMIT 2 OFFSET ?",
			append(append([]any{}, args...), int64(lo))...).Scan(&near).Error
		if err != nil || len(near) == 0 {
			return 0, nil, fmt.Errorf("percentile %g: %v", p, err)
		}
		v := near[0]
		if len(near) > 1 {
			v += (pos - lo) * (near[1] - near[0])
		}
		out[i] = &v
	}
	return n, out, nil
}
