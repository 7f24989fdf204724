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

// queryTime reads an optional RFC 3339 time query parameter (zero when absent).
func queryTime(c *gin.Context, name string) (time.Time, error) {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{name: "应为 RFC 3339 时间，如 2026-10-01T08:30:00+08:00"}}
	}
	return t, nil
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
