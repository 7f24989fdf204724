package directory

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"dutydesk/models"
)

// The columns of a school import file, one row per contact; a school's rows repeat its details.
// Headers may be Chinese or English; their order does not matter.
const (
	colDistrict    = "区县"
	colSchool      = "学校名称"
	colType        = "学校类型"
	colAddress     = "地址"
	colUnifiedCode = "统一社会信用代码"
	colContact     = "联系人"
	colContactRole = "职务"
	colEmail       = "邮箱"
	colMobile      = "手机"
	colPrimary     = "主要联系人"
)

var importHeaderAliases = map[string]string{
	"区县": colDistrict, "所属区县": colDistrict, "district": colDistrict,
	"学校名称": colSchool, "学校": colSchool, "school": colSchool, "school_name": colSchool,
	"学校类型": colType, "类型": colType, "type": colType,
	"地址": colAddress, "address": colAddress,
	"统一社会信用代码": colUnifiedCode, "统一代码": colUnifiedCode, "unified_code": colUnifiedCode,
	"联系人": colContact, "姓名": colContact, "contact": colContact, "contact_name": colContact,
	"职务": colContactRole, "role": colContactRole, "contact_role": colContactRole,
	"邮箱": colEmail, "电子邮箱": colEmail, "email": colEmail,
	"手机": colMobile, "手机号": colMobile, "mobile": colMobile,
	"主要联系人": colPrimary, "primary": colPrimary, "is_primary": colPrimary,
}

var requiredImportColumns = []string{colDistrict, colSchool, colType, colContact}

// RowProblem is one thing wrong with an import file, located by row (1 = header) and column.
type RowProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Rows            int `json:"rows"`
	SchoolsCreated  int `json:"schools_created"`
	SchoolsUpdated  int `json:"schools_updated"`
	ContactsCreated int `json:"contacts_created"`
	ContactsUpdated int `json:"contacts_updated"`
	ContactsDeleted int `json:"contacts_deleted"`
}

// maxImportUnzipped bounds what an .xlsx upload may inflate to. A list of a city's ~1,000 schools
// and their contacts unpacks to a few megabytes; without a bound a 10 MB upload crafted as a zip
// bomb would unpack gigabytes (excelize's own default limit is 16 GB).
const maxImportUnzipped = 64 << 20

// ReadImportRows reads a CSV (UTF-8, with or without BOM, or GB18030 as older Excel writes it) or
// an XLSX file (first sheet) into rows of cells. name's extension chooses the format.
func ReadImportRows(name string, r io.Reader) ([][]string, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".xlsx"):
		f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxImportUnzipped, UnzipXMLSizeLimit: maxImportUnzipped})
		if err != nil {
			return nil, importFileError("无法读取 XLSX 文件：" + err.Error())
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, importFileError("XLSX 文件没有工作表")
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, importFileError("无法读取工作表：" + err.Error())
		}
		return rows, nil
	case strings.HasSuffix(lower, ".csv"):
		raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(raw) {
			decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
			if err != nil {
				return nil, importFileError("CSV 文件编码无法识别（请使用 UTF-8）")
			}
			raw = decoded
		}
		cr := csv.NewReader(bytes.NewReader(raw))
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			return nil, importFileError("CSV 格式错误：" + err.Error())
		}
		return rows, nil
	}
	return nil, importFileError("只支持 .csv 和 .xlsx 文件")
}

func importFileError(msg string) error {
	return &models.Error{Code: models.EINVALID, Message: msg, Fields: map[string]string{"file": msg}}
}

type importRow struct {
	line    int
	school  School
	contact Contact
}

// ImportSchools creates or updates schools and their contacts from rows read by ReadImportRows.
// Schools are matched by district and name, contacts by school and name, so importing the same file
// again changes nothing; a listed school's contacts that the file no longer lists are removed.
// A file with any bad row is rejected whole: the error is EINVALID with Details []RowProblem, and
// nothing is written. Only admins may import. Errors: forbidden, invalid.
func (s *Store) ImportSchools(ctx context.Context, actor *models.User, rows [][]string) (*ImportResult, error) {
	if !actor.Can(models.ManageDirectory) {
		return nil, models.ErrForbidden
	}
	districts, err := s.Districts(ctx)
	if err != nil {
		return nil, err
	}
	parsed, problems := parseImportRows(rows, districts)
	if len(problems) > 0 {
		return nil, importRowsError(problems)
	}
	result := &ImportResult{Rows: len(parsed)}
	err = s.transact(ctx, func(tx *Store) error {
		problems, err := tx.applyImport(ctx, parsed, result)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return importRowsError(problems)
		}
		return tx.db.Audit(ctx, actor, "school.import", "school", 0, fmt.Sprintf("%d rows: schools +%d ~%d, contacts +%d ~%d -%d",
			result.Rows, result.SchoolsCreated, result.SchoolsUpdated, result.ContactsCreated, result.ContactsUpdated, result.ContactsDeleted))
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

func importRowsError(problems []RowProblem) error {
	return &models.Error{Code: models.EINVALID, Message: fmt.Sprintf("导入文件有%d处错误，未导入任何数据", len(problems)), Details: problems}
}

// parseImportRows validates every row on its own (and against the districts), collecting every problem.
func parseImportRows(rows [][]string, districts []District) ([]importRow, []RowProblem) {
	var problems []RowProblem
	if len(rows) == 0 {
		return nil, []RowProblem{{Row: 1, Column: "", Message: "文件为空"}}
	}
	index := map[string]int{}
	for i, h := range rows[0] {
		if col, ok := importHeaderAliases[strings.ToLower(strings.TrimSpace(h))]; ok {
			index[col] = i
		}
	}
	for _, col := range requiredImportColumns {
		if _, ok := index[col]; !ok {
			problems = append(problems, RowProblem{Row: 1, Column: col, Message: "缺少此列"})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	byName := map[string]int64{}
	for _, d := range districts {
		byName[d.Name] = d.ID
		byName[d.Code] = d.ID
	}
	cell := func(row []string, col string) string {
		i, ok := index[col]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	var parsed []importRow
	schoolOfCode := map[string]string{}
	seenContact := map[string]int{}
	for n, row := range rows[1:] {
		line := n + 2
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue // blank lines are common at the end of spreadsheets
		}
		add := func(col, msg string) { problems = append(problems, RowProblem{Row: line, Column: col, Message: msg}) }
		r := importRow{line: line}
		districtID, ok := byName[cell(row, colDistrict)]
		if !ok {
			add(colDistrict, fmt.Sprintf("区县“%s”不存在", cell(row, colDistrict)))
		}
		name, typ, addr, code := cell(row, colSchool), cell(row, colType), cell(row, colAddress), cell(row, colUnifiedCode)
		sp := SchoolInput{DistrictID: &districtID, Name: &name, Type: &typ, Address: &addr, UnifiedCode: &code}.apply(&r.school)
		for field, msg := range sp {
			if field == "district_id" {
				continue // reported above, by name
			}
			add(schoolColumn[field], msg)
		}
		if r.school.UnifiedCode != nil {
			key := fmt.Sprintf("%d/%s", districtID, r.school.Name)
			if other, dup := schoolOfCode[*r.school.UnifiedCode]; dup && other != key {
				add(colUnifiedCode, "同一统一社会信用代码出现在不同学校")
			}
			schoolOfCode[*r.school.UnifiedCode] = key
		}
		cname, crole, email, mobile := cell(row, colContact), cell(row, colContactRole), cell(row, colEmail), cell(row, colMobile)
		primary, okPrimary := parseYesNo(cell(row, colPrimary))
		if !okPrimary {
			add(colPrimary, "请填写“是”或“否”")
		}
		cp := ContactInput{Name: &cname, Role: &crole, Email: &email, Mobile: &mobile, IsPrimary: &primary}.apply(&r.contact)
		for field, msg := range cp {
			add(contactColumn[field], msg)
		}
		key := fmt.Sprintf("%d/%s/%s", districtID, r.school.Name, r.contact.Name)
		if first, dup := seenContact[key]; dup {
			add(colContact, fmt.Sprintf("与第%d行重复", first))
		} else {
			seenContact[key] = line
		}
		parsed = append(parsed, r)
	}
	if len(parsed) == 0 && len(problems) == 0 {
		problems = append(problems, RowProblem{Row: 2, Message: "文件中没有数据行"})
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Row != problems[j].Row {
			return problems[i].Row < problems[j].Row
		}
		return problems[i].Column < problems[j].Column
	})
	return parsed, problems
}

var schoolColumn = map[string]string{"name": colSchool, "type": colType, "address": colAddress, "unified_code": colUnifiedCode}

var contactColumn = map[string]string{"name": colContact, "role": colContactRole, "email": colEmail, "mobile": colMobile}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "否", "no", "n", "false", "0":
		return false, true
	case "是", "yes", "y", "true", "1":
		return true, true
	}
	return false, false
}

// applyImport writes the parsed rows, inside the caller's transaction. It returns row problems that
// only the database can reveal (a unified code held by another school), checked before writing so
// that no statement fails inside the transaction.
func (s *Store) applyImport(ctx context.Context, rows []importRow, result *ImportResult) ([]RowProblem, error) {
	var existing []School
	if err := s.db.DB().Find(&existing).Error; err != nil {
		return nil, fmt.Errorf("load schools: %w", err)
	}
	schoolKey := func(sc *School) string { return fmt.Sprintf("%d/%s", sc.DistrictID, sc.Name) }
	schools := map[string]*School{}
	codeOwner := map[string]string{} // unified code → school key, to refuse a code held by another school
	for i := range existing {
		schools[schoolKey(&existing[i])] = &existing[i]
		if existing[i].UnifiedCode != nil {
			codeOwner[*existing[i].UnifiedCode] = schoolKey(&existing[i])
		}
	}
	var contacts []Contact
	if err := s.db.DB().Find(&contacts).Error; err != nil {
		return nil, fmt.Errorf("load contacts: %w", err)
	}
	contactsOf := map[int64]map[string]*Contact{}
	for i := range contacts {
		c := &contacts[i]
		if contactsOf[c.SchoolID] == nil {
			contactsOf[c.SchoolID] = map[string]*Contact{}
		}
		contactsOf[c.SchoolID][c.Name] = c
	}

	var problems []RowProblem
	listed := map[int64]map[string]bool{} // school id → contact names in the file
	for _, r := range rows {
		key := schoolKey(&r.school)
		if r.school.UnifiedCode != nil {
			if owner, taken := codeOwner[*r.school.UnifiedCode]; taken && owner != key {
				problems = append(problems, RowProblem{Row: r.line, Column: colUnifiedCode, Message: "统一社会信用代码已被其他学校使用"})
				continue
			}
		}
		sc, ok := schools[key]
		switch {
		case !ok:
			sc = &School{DistrictID: r.school.DistrictID, Name: r.school.Name, Type: r.school.Type, Address: r.school.Address, UnifiedCode: r.school.UnifiedCode}
			if err := s.db.DB().Omit("Contacts").Create(sc).Error; err != nil {
				return nil, fmt.Errorf("import school row %d: %w", r.line, err)
			}
			schools[key] = sc
			listed[sc.ID] = map[string]bool{}
			result.SchoolsCreated++
		case listed[sc.ID] == nil:
			// First row of an existing school: its details come from this row.
			listed[sc.ID] = map[string]bool{}
			if sc.Type != r.school.Type || sc.Address != r.school.Address || !sameCode(sc.UnifiedCode, r.school.UnifiedCode) {
				sc.Type, sc.Address, sc.UnifiedCode = r.school.Type, r.school.Address, r.school.UnifiedCode
				if err := s.db.DB().Omit("Contacts").Save(sc).Error; err != nil {
					return nil, fmt.Errorf("import school row %d: %w", r.line, err)
				}
				result.SchoolsUpdated++
			}
		}
		listed[sc.ID][r.contact.Name] = true
		c, ok := contactsOf[sc.ID][r.contact.Name]
		if !ok {
			c = &Contact{SchoolID: sc.ID, Name: r.contact.Name, Role: r.contact.Role, Email: r.contact.Email, Mobile: r.contact.Mobile, IsPrimary: r.contact.IsPrimary}
			if err := s.db.DB().Create(c).Error; err != nil {
				return nil, fmt.Errorf("import contact row %d: %w", r.line, err)
			}
			result.ContactsCreated++
			continue
		}
		if c.Role != r.contact.Role || c.Email != r.contact.Email || c.Mobile != r.contact.Mobile || c.IsPrimary != r.contact.IsPrimary {
			c.Role, c.Email, c.Mobile, c.IsPrimary = r.contact.Role, r.contact.Email, r.contact.Mobile, r.contact.IsPrimary
			if err := s.db.DB().Save(c).Error; err != nil {
				return nil, fmt.Errorf("import contact row %d: %w", r.line, err)
			}
			result.ContactsUpdated++
		}
	}
	for schoolID, names := range listed {
		for name, c := range contactsOf[schoolID] {
			if names[name] {
				continue
			}
			if err := s.db.DB().Delete(c).Error; err != nil {
				return nil, fmt.Errorf("import: remove contact %d: %w", c.ID, err)
			}
			result.ContactsDeleted++
		}
	}
	return problems, nil
}

func sameCode(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ImportRowProblems returns the row problems of an import error, if err is one.
func ImportRowProblems(err error) []RowProblem {
	var e *models.Error
	if errors.As(err, &e) {
		if rows, ok := e.Details.([]RowProblem); ok {
			return rows
		}
	}
	return nil
}
