package api

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// PathID reads a positive integer path parameter; a malformed id is simply not found.
func PathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "记录不存在")
	}
	return id, nil
}

// queryInt64 reads an optional integer query parameter (0 when absent).
func queryInt64(c *gin.Context, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{name: "应为非负整数"}}
	}
	return n, nil
}

// timeOrDateHint is what a malformed time parameter is told to look like.
const timeOrDateHint = "应为 RFC 3339 时间（如 2026-10-01T08:30:00+08:00）或日期（如 2026-10-01）"

// ParseTimeOrDate reads a time in the one form every parameter and body field of the API takes:
// an RFC 3339 time (2026-10-01T08:30:00+08:00) or a date (2026-10-01), which means its midnight
// in loc, the bureau's zone (Asia/Shanghai unless configured otherwise). An empty raw is the zero
// time. isDate says which form it was, for the upper bound of a range, where a date includes its
// day. Anything else is a malformed error naming field.
func ParseTimeOrDate(field, raw string, loc *time.Location) (t time.Time, isDate bool, err error) {
	if raw == "" {
		return time.Time{}, false, nil
	}
	if day, err := time.ParseInLocation(time.DateOnly, raw, loc); err == nil {
		return day, true, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, &models.Error{Code: models.EMALFORMED, Message: "参数 " + field + " 的时间格式有误",
		Fields: map[string]string{field: timeOrDateHint}}
}

// rangeFrom reads the lower bound of a range: a date is its midnight.
func rangeFrom(field, raw string, loc *time.Location) (time.Time, error) {
	t, _, err := ParseTimeOrDate(field, raw, loc)
	return t, err
}

// rangeTo reads the upper (exclusive) bound of a range: a date includes its day, so it stands for
// the following midnight — from=2026-10-01&to=2026-10-01 is that one day.
func rangeTo(field, raw string, loc *time.Location) (time.Time, error) {
	t, isDate, err := ParseTimeOrDate(field, raw, loc)
	if isDate {
		t = t.AddDate(0, 0, 1)
	}
	return t, err
}

// queryTimeRange reads the optional ?from=&to= of a list (zero when absent), by rangeFrom and
// rangeTo.
func queryTimeRange(c *gin.Context, loc *time.Location) (from, to time.Time, err error) {
	if from, err = rangeFrom("from", c.Query("from"), loc); err != nil {
		return from, to, err
	}
	to, err = rangeTo("to", c.Query("to"), loc)
	return from, to, err
}

// queryRange reads the required ?from=&to= of roster reads and statistics, by the same rule as
// queryTimeRange.
func (a *API) queryRange(c *gin.Context) (time.Time, time.Time, error) {
	from, to, err := queryTimeRange(c, a.Store.Location())
	if err != nil {
		return from, to, err
	}
	missing := func(name string) error {
		return &models.Error{Code: models.EINVALID, Message: "查询参数有误", Fields: map[string]string{name: "必填，" + timeOrDateHint}}
	}
	switch {
	case from.IsZero():
		return from, to, missing("from")
	case to.IsZero():
		return from, to, missing("to")
	}
	return from, to, nil
}

// queryPage reads ?limit=&cursor=.
func queryPage(c *gin.Context) (models.Page, error) {
	limit, err := queryInt64(c, "limit")
	if err != nil {
		return models.Page{}, err
	}
	if limit > models.MaxPageSize {
		return models.Page{}, &models.Error{Code: models.EINVALID, Message: "查询参数有误", Fields: map[string]string{"limit": "不超过1000"}}
	}
	cursor, err := queryInt64(c, "cursor")
	if err != nil {
		return models.Page{}, err
	}
	return models.Page{Limit: int(limit), Cursor: cursor}, nil
}

// listResponse is the shape of every list: the items and, when more follow, the cursor for them.
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	Total      *int64 `json:"total,omitempty"`
}

func newList[T any](items []T, next int64) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	l := listResponse[T]{Items: items}
	if next > 0 {
		l.NextCursor = strconv.FormatInt(next, 10)
	}
	return l
}

// ReportPath reads the incident and report ids of an /incidents/:id/reports/:report_id path.
func ReportPath(c *gin.Context) (id, reportID int64, err error) {
	if id, err = PathID(c, "id"); err == nil {
		reportID, err = PathID(c, "report_id")
	}
	return id, reportID, err
}
