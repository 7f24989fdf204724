package directory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

const goodCSV = `区县,学校名称,学校类型,地址,统一社会信用代码,联系人,职务,邮箱,手机,主要联系人
东湖区,东湖区第九小学,小学,东湖区人民路1号,,张伟,校长,zhang@example.org,13800000001,是
东湖区,东湖区第九小学,小学,东湖区人民路1号,,李娜,安全专干,li@example.org,13800000002,否
西江区,西江区第三幼儿园,kindergarten,西江区文化路8号,12330100MB0000001X,王芳,园长,wang@example.org,,是
`

func TestImportSchools(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		stores, _ := testenv.Store(t, dialect, testenv.Clock())
		dir := testenv.SeedDirectory(t, stores)

		rows, err := directory.ReadImportRows("schools.csv", strings.NewReader("\ufeff"+goodCSV))
		if err != nil {
			t.Fatal(err)
		}
		t.Run("FirstImport", func(t *testing.T) {
			res, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows)
			if err != nil {
				t.Fatal(err)
			}
			want := directory.ImportResult{Rows: 3, SchoolsCreated: 2, ContactsCreated: 3}
			if *res != want {
				t.Fatalf("result %+v, want %+v", *res, want)
			}
			schools, _, total, err := stores.Directory.Schools(ctx, dir.Admin, directory.SchoolFilter{Query: "第九小学"})
			if err != nil || total != 1 || schools[0].Type != directory.Primary || schools[0].Address != "东湖区人民路1号" {
				t.Fatalf("imported school %+v (total %d, %v)", schools, total, err)
			}
			full, _ := stores.Directory.School(ctx, dir.Admin, schools[0].ID)
			if len(full.Contacts) != 2 || full.Contacts[0].Name != "张伟" || !full.Contacts[0].IsPrimary {
				t.Fatalf("contacts %+v", full.Contacts)
			}
		})
		t.Run("SameFileAgainChangesNothing", func(t *testing.T) {
			res, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows)
			if err != nil {
				t.Fatal(err)
			}
			if *res != (directory.ImportResult{Rows: 3}) {
				t.Fatalf("re-import changed things: %+v", *res)
			}
			_, _, total, _ := stores.Directory.Schools(ctx, dir.Admin, directory.SchoolFilter{})
			if total != 5 { // 3 fixture schools + 2 imported
				t.Fatalf("%d schools after re-import, want 5", total)
			}
		})
		t.Run("UpdatedFileUpdatesInPlace", func(t *testing.T) {
			changed := strings.Replace(goodCSV, "13800000001", "13900000009", 1)
			changed = strings.Replace(changed, "东湖区,东湖区第九小学,小学,东湖区人民路1号,,李娜,安全专干,li@example.org,13800000002,否\n", "", 1)
			rows, _ := directory.ReadImportRows("schools.csv", strings.NewReader(changed))
			res, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows)
			if err != nil {
				t.Fatal(err)
			}
			if *res != (directory.ImportResult{Rows: 2, ContactsUpdated: 1, ContactsDeleted: 1}) {
				t.Fatalf("result %+v", *res)
			}
		})
		t.Run("BadRowsRejectWholeFile", func(t *testing.T) {
			before := countAll(t, stores, dir.Admin)
			bad := goodCSV +
				"南湖区,南湖区第一小学,小学,,,赵六,校长,zhao@example.org,,是\n" + // row 5: unknown district
				"东湖区,东湖区第十小学,大学,,,钱七,校长,not-an-email,,也许\n" + // row 6: type, e-mail, primary
				"东湖区,东湖区第十一小学,小学,,,,校长,,,\n" // row 7: no contact name, no e-mail or mobile
			rows, _ := directory.ReadImportRows("schools.csv", strings.NewReader(bad))
			_, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows)
			got := directory.ImportRowProblems(err)
			want := []directory.RowProblem{
				{Row: 5, Column: "区县", Message: "区县“南湖区”不存在"},
				{Row: 6, Column: "主要联系人", Message: "请填写“是”或“否”"},
				{Row: 6, Column: "学校类型", Message: "学校类型须为 kindergarten、primary、middle、high、vocational 或 special"},
				{Row: 6, Column: "邮箱", Message: "邮箱格式不正确"},
				{Row: 7, Column: "联系人", Message: "请填写联系人姓名（不超过64字）"},
				{Row: 7, Column: "邮箱", Message: "邮箱和手机号至少填写一项"},
			}
			if g, w := mustJSON(got), mustJSON(want); g != w {
				t.Fatalf("problems\n got %s\nwant %s", g, w)
			}
			if after := countAll(t, stores, dir.Admin); after != before {
				t.Fatalf("a rejected file changed the directory: %v → %v", before, after)
			}
		})
		t.Run("MissingColumns", func(t *testing.T) {
			rows, _ := directory.ReadImportRows("x.csv", strings.NewReader("学校名称,联系人\n某校,某人\n"))
			got := directory.ImportRowProblems(func() error { _, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows); return err }())
			if len(got) != 2 || got[0].Column != "区县" || got[1].Column != "学校类型" {
				t.Fatalf("problems %+v", got)
			}
		})
		t.Run("OnlyAdminsImport", func(t *testing.T) {
			for _, u := range []*models.User{dir.Officer, dir.Leader, dir.DistrictOfficer, dir.Reporter} {
				if _, err := stores.Directory.ImportSchools(ctx, u, rows); models.ErrCode(err) != models.EFORBIDDEN {
					t.Errorf("%s: %v, want forbidden", u.Role, err)
				}
			}
		})
	})
}

func TestReadImportRowsFormats(t *testing.T) {
	t.Run("XLSX", func(t *testing.T) {
		f := excelize.NewFile()
		sheet := f.GetSheetName(0)
		for i, line := range strings.Split(strings.TrimSpace(goodCSV), "\n") {
			cells := strings.Split(line, ",")
			row := make([]any, len(cells))
			for j, c := range cells {
				row[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rows, err := directory.ReadImportRows("学校.xlsx", &buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[3][5] != "王芳" {
			t.Fatalf("rows %q", rows)
		}
	})
	t.Run("GB18030CSV", func(t *testing.T) {
		gbk, err := simplifiedchinese.GB18030.NewEncoder().String(goodCSV)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := directory.ReadImportRows("schools.CSV", strings.NewReader(gbk))
		if err != nil {
			t.Fatal(err)
		}
		if rows[1][1] != "东湖区第九小学" {
			t.Fatalf("decoded %q", rows[1][1])
		}
	})
	t.Run("UnsupportedAndBroken", func(t *testing.T) {
		if _, err := directory.ReadImportRows("schools.txt", strings.NewReader(goodCSV)); models.ErrCode(err) != models.EINVALID {
			t.Errorf(".txt: %v", err)
		}
		if _, err := directory.ReadImportRows("schools.xlsx", strings.NewReader("not a zip")); models.ErrCode(err) != models.EINVALID {
			t.Errorf("broken xlsx: %v", err)
		}
		if _, err := directory.ReadImportRows("schools.csv", strings.NewReader("a,\"b\n")); models.ErrCode(err) != models.EINVALID {
			t.Errorf("broken csv: %v", err)
		}
	})
}

func countAll(t *testing.T, s *app.Stores, admin *models.User) [2]int {
	t.Helper()
	schools, _, _, err := s.Directory.Schools(context.Background(), admin, directory.SchoolFilter{Page: models.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	contacts := 0
	for _, sc := range schools {
		full, err := s.Directory.School(context.Background(), admin, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		contacts += len(full.Contacts)
	}
	return [2]int{len(schools), contacts}
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func TestImportRefusesUnifiedCodeOfAnotherSchool(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		stores, _ := testenv.Store(t, dialect, testenv.Clock())
		dir := testenv.SeedDirectory(t, stores)
		code := "12330100MB0000001X"
		if _, err := stores.Directory.UpdateSchool(ctx, dir.Admin, dir.School2A.ID, directory.SchoolInput{UnifiedCode: &code}); err != nil {
			t.Fatal(err)
		}
		rows, _ := directory.ReadImportRows("s.csv", strings.NewReader(goodCSV))
		_, err := stores.Directory.ImportSchools(ctx, dir.Admin, rows)
		got := directory.ImportRowProblems(err)
		if len(got) != 1 || got[0].Row != 4 || got[0].Column != "统一社会信用代码" {
			t.Fatalf("problems %+v (err %v)", got, err)
		}
		if n := countAll(t, stores, dir.Admin); n[0] != 3 {
			t.Fatalf("%d schools after a refused import, want 3", n[0])
		}
	})
}
