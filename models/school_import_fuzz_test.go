package models_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"dutydesk/internal/testenv"
	"dutydesk/models"
)

// FuzzImportFile reads arbitrary CSV and XLSX files and imports what they hold: nothing may panic,
// and every refusal is a clear invalid (422) with the rows' problems, never an internal error.
func FuzzImportFile(f *testing.F) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Cleanup(func() { slog.SetDefault(prev) })
	store, _ := testenv.Store(f, models.SQLite, testenv.Clock())
	testenv.SeedDirectory(f, store)

	csv := "区县,学校名称,学校类型,联系人,职务,邮箱,手机\n东湖区,东湖区第五小学,小学,周杰,校长,zhou@example.org,13800000001\n"
	f.Add(false, []byte(csv))
	f.Add(false, []byte("\xef\xbb\xbf"+csv))
	f.Add(false, []byte("区县,学校名称\n\"unterminated,\n"))
	x := excelize.NewFile()
	for i, line := range strings.Split(strings.TrimSpace(csv), "\n") {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		row := []any{}
		for _, v := range strings.Split(line, ",") {
			row = append(row, v)
		}
		_ = x.SetSheetRow("Sheet1", cell, &row)
	}
	var buf bytes.Buffer
	_ = x.Write(&buf)
	f.Add(true, buf.Bytes())
	f.Add(true, []byte("PK\x03\x04"))

	f.Fuzz(func(t *testing.T, isXLSX bool, data []byte) {
		name := "schools.csv"
		if isXLSX {
			name = "schools.xlsx"
		}
		rows, err := models.ReadImportRows(name, bytes.NewReader(data))
		if err != nil {
			if models.ErrCode(err) != models.EINVALID {
				t.Fatalf("read: %v is not a clear refusal", err)
			}
			return
		}
		if _, err := store.ImportSchools(context.Background(), models.System, rows); err != nil && models.ErrCode(err) != models.EINVALID {
			t.Fatalf("import: %v is not a clear refusal", err)
		}
	})
}

// TestImportRefusesZipBomb reads an .xlsx whose worksheet inflates to far more than any real
// school list: it is refused, not unpacked into memory or onto disk.
func TestImportRefusesZipBomb(t *testing.T) {
	x := excelize.NewFile()
	_ = x.SetCellValue("Sheet1", "A1", "区县")
	var small bytes.Buffer
	if err := x.Write(&small); err != nil {
		t.Fatal(err)
	}
	// Copy the workbook, padding the worksheet with 300 MB of spaces (compressed: about 300 KB).
	zr, err := zip.NewReader(bytes.NewReader(small.Bytes()), int64(small.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	for _, file := range zr.File {
		w, err := zw.Create(file.Name)
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := file.Open()
		content, _ := io.ReadAll(rc)
		rc.Close()
		if file.Name == "xl/worksheets/sheet1.xml" {
			head, tail, _ := strings.Cut(string(content), "<sheetData>")
			_, _ = io.WriteString(w, head+"<sheetData>")
			space := bytes.Repeat([]byte(" "), 1<<20)
			for range 300 {
				_, _ = w.Write(space)
			}
			_, _ = io.WriteString(w, tail)
			continue
		}
		_, _ = w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if bomb.Len() > 5<<20 {
		t.Fatalf("the bomb is %d bytes; it should fit an upload", bomb.Len())
	}
	size := bomb.Len()
	_, err = models.ReadImportRows("schools.xlsx", &bomb)
	if models.ErrCode(err) != models.EINVALID {
		t.Fatalf("a %d-byte file inflating to 300 MB: %v, want invalid", size, err)
	}
	t.Logf("a %d-byte upload inflating to 300 MB: %v", size, err)
}
