package api

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"dutydesk/models"
	"dutydesk/models/stats"
)

//go:embed templates/stats_summary.html
var statsTemplates embed.FS

var statsSummaryPage = template.Must(template.ParseFS(statsTemplates, "templates/stats_summary.html"))

// statsFilter reads ?from=&to=&district=. from and to are RFC 3339 times or days (YYYY-MM-DD,
// bureau zone; to inclusive); both absent means the current calendar year in the bureau's zone.
func (a *API) statsFilter(c *gin.Context) (stats.StatsFilter, error) {
	district, err := queryInt64(c, "district")
	if err != nil {
		return stats.StatsFilter{}, err
	}
	f := stats.StatsFilter{DistrictID: district}
	if c.Query("from") == "" && c.Query("to") == "" {
		loc := a.Store.Location()
		year := a.Store.Now().In(loc).Year()
		f.From = time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		f.To = f.From.AddDate(1, 0, 0)
		return f, nil
	}
	f.From, f.To, err = a.queryRange(c)
	return f, err
}

// stats computes the figures of the request, or answers with the error.
func (a *API) stats(c *gin.Context) (*stats.Stats, bool) {
	f, err := a.statsFilter(c)
	if err != nil {
		RespondError(c, err)
		return nil, false
	}
	st, err := a.Store.Stats.Stats(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return nil, false
	}
	return st, true
}

// GetStats answers GET /stats with the figures as JSON.
func (a *API) GetStats(c *gin.Context) {
	if st, ok := a.stats(c); ok {
		c.JSON(http.StatusOK, st)
	}
}

// statsFileName names an export: 值班统计_东湖区_20260101_20261231.xlsx.
func statsFileName(st *stats.Stats, ext string) string {
	last := st.To.Add(-time.Nanosecond).In(st.From.Location())
	scope := ""
	if st.District != nil {
		scope = "_" + st.District.Name
	}
	return fmt.Sprintf("值班统计%s_%s_%s.%s", scope, st.From.Format("20060102"), last.Format("20060102"), ext)
}

func attachment(c *gin.Context, name string) {
	c.Header("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
}

// ExportStatsXLSX writes the statistics as a workbook: one sheet per table, Chinese headers.
func (a *API) ExportStatsXLSX(c *gin.Context) {
	st, ok := a.stats(c)
	if !ok {
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		RespondError(c, err)
		return
	}
	for i, t := range st.Tables() {
		if err := writeStatsSheet(f, i, t, bold); err != nil {
			RespondError(c, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		RespondError(c, err)
		return
	}
	attachment(c, statsFileName(st, "xlsx"))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// writeStatsSheet writes table t as the i-th sheet of f: headers in bold, then the rows.
func writeStatsSheet(f *excelize.File, i int, t stats.StatsTable, bold int) error {
	sheet := t.Title
	if i == 0 {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	headers := make([]any, len(t.Headers))
	for j, h := range t.Headers {
		headers[j] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &headers); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(t.Headers), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	for r, row := range t.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	col, _ := excelize.ColumnNumberToName(len(t.Headers))
	if err := f.SetColWidth(sheet, "A", "A", 30); err != nil {
		return err
	}
	if len(t.Headers) > 1 {
		return f.SetColWidth(sheet, "B", col, 14)
	}
	return nil
}

// ExportStatsCSV writes the statistics as CSV (UTF-8 with a byte-order mark, so that Excel reads
// the Chinese): ?table=key for one table with its header row; without it every table, each
// under a line with its title and followed by an empty line.
func (a *API) ExportStatsCSV(c *gin.Context) {
	st, ok := a.stats(c)
	if !ok {
		return
	}
	tables := st.Tables()
	name := statsFileName(st, "csv")
	if key := c.Query("table"); key != "" {
		var chosen []stats.StatsTable
		keys := ""
		for _, t := range tables {
			if t.Key == key {
				chosen = append(chosen, t)
			}
			keys += " " + t.Key
		}
		if chosen == nil {
			RespondError(c, &models.Error{Code: models.EINVALID, Message: "查询参数有误", Fields: map[string]string{"table": "没有这张表，可选：" + keys}})
			return
		}
		tables = chosen
		name = statsFileName(st, key+".csv")
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	for i, t := range tables {
		if len(tables) > 1 {
			if i > 0 {
				_ = w.Write(nil)
			}
			_ = w.Write([]string{t.Title})
		}
		_ = w.Write(t.Headers)
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for j, v := range row {
				cells[j] = csvCell(v)
			}
			_ = w.Write(cells)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		RespondError(c, err)
		return
	}
	attachment(c, name)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func csvCell(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// StatsSummary serves the printable one-page summary: the figures written as the duty section of
// an annual report, with the key tables; the browser prints it (or saves it as PDF).
func (a *API) StatsSummary(c *gin.Context) {
	st, ok := a.stats(c)
	if !ok {
		return
	}
	tables := map[string]stats.StatsTable{}
	for _, t := range st.Tables() {
		tables[t.Key] = t
	}
	data := struct {
		Title      string
		Generated  string
		Stats      *stats.Stats
		Paragraphs []string
		SideTables []stats.StatsTable
		Timeliness stats.StatsTable
	}{
		Title:      st.PeriodLabel() + st.ScopeName() + "教育系统应急值守工作统计",
		Generated:  st.GeneratedAt.In(a.Store.Location()).Format("2006-01-02 15:04"),
		Stats:      st,
		Paragraphs: st.Summary(),
		SideTables: []stats.StatsTable{tables["incidents_by_category"], tables["incidents_by_severity"]},
		Timeliness: tables["reports_by_kind"],
	}
	var buf bytes.Buffer
	if err := statsSummaryPage.Execute(&buf, data); err != nil {
		RespondError(c, fmt.Errorf("render stats summary: %w", err))
		return
	}
	// The page is self-contained: inline styles, no scripts, nothing fetched.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
