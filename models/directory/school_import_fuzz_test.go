package directory_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// FuzzImportFile reads arbitrary CSV and XLSX files and imports what they hold: nothing may panic,
// and every refusal is a clear invalid (422) with the rows' problems, never an internal error.
func FuzzImportFile(f *testing.F) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Cleanup(func() { slog.SetDefault(prev) })
	stores, _ := testenv.Store(f, store.SQLite, testenv.Clock())
	testenv.SeedDirectory(f, stores)

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
		rows, err := directory.ReadImportRows(name, bytes.NewReader(data))
		if err != nil {
			if models.ErrCode(err) != models.EINVALID {
				t.Fatalf("read: %v is not a clear refusal", err)
			}
			return
		}
		if _, err := stores.Directory.ImportSchools(context.Background(), models.System, rows); err != nil && models.ErrCode(err) != models.EINVALID {
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
	// Copy the workbook, padding the worksheet with 300 MB of spaces.
	zr, err := zip.NewReader(bytes.NewReader(small.Bytes()), int64(small.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	for _, file := range zr.File {
		rc, _ := file.Open()
		content, _ := io.ReadAll(rc)
		rc.Close()
		if file.Name == "xl/worksheets/sheet1.xml" {
			head, tail, _ := strings.Cut(string(content), "<sheetData>")
			writeInflating(t, zw, file.Name, []byte(head+"<sheetData>"), bytes.Repeat([]byte(" "), 1<<20), 300, []byte(tail))
			continue
		}
		w, err := zw.Create(file.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	size := bomb.Len()
	if size > 5<<20 {
		t.Fatalf("the bomb is %d bytes; it should fit an upload", size)
	}
	_, err = directory.ReadImportRows("schools.xlsx", &bomb)
	if models.ErrCode(err) != models.EINVALID {
		t.Fatalf("a %d-byte file inflating to 300 MB: %v, want invalid", size, err)
	}
	t.Logf("a %d-byte upload inflating to 300 MB: %v", size, err)
}

// writeInflating adds a deflated entry holding head, n copies of chunk, and tail, with honest
// sizes and checksum. The chunk is compressed once and its deflate blocks repeated (each segment
// is compressed on its own and flushed to a byte boundary, so the blocks concatenate), which
// keeps the test fast under the race detector.
func writeInflating(t *testing.T, zw *zip.Writer, name string, head, chunk []byte, n int, tail []byte) {
	t.Helper()
	deflate := func(data []byte, final bool) []byte {
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.BestCompression)
		_, _ = fw.Write(data)
		if final {
			_ = fw.Close()
		} else {
			_ = fw.Flush()
		}
		return b.Bytes()
	}
	crc := crc32.ChecksumIEEE(head)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, tail)
	h, c, tl := deflate(head, false), deflate(chunk, false), deflate(tail, true)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(len(h) + n*len(c) + len(tl)),
		UncompressedSize64: uint64(len(head) + n*len(chunk) + len(tail))})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(h)
	for range n {
		_, _ = w.Write(c)
	}
	_, _ = w.Write(tl)
}
