package directory

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/models/store"
)

// SchoolType is the kind of school.
type SchoolType string

// The school types.
const (
	Kindergarten SchoolType = "kindergarten" // 幼儿园
	Primary      SchoolType = "primary"      // 小学
	Middle       SchoolType = "middle"       // 初中
	High         SchoolType = "high"         // 高中
	Vocational   SchoolType = "vocational"   // 中职
	Special      SchoolType = "special"      // 特殊教育学校
)

// SchoolTypes lists every school type with its Chinese name, in display order.
var SchoolTypes = []struct {
	Type SchoolType
	Name string
}{
	{Kindergarten, "幼儿园"}, {Primary, "小学"}, {Middle, "初中"},
	{High, "高中"}, {Vocational, "中职"}, {Special, "特殊教育学校"},
}

// ParseSchoolType accepts a type by its English code or Chinese name.
func ParseSchoolType(s string) (SchoolType, bool) {
	s = strings.TrimSpace(s)
	for _, t := range SchoolTypes {
		if s == string(t.Type) || s == t.Name {
			return t.Type, true
		}
	}
	return "", false
}

// School is a school or kindergarten under the bureau.
type School struct {
	ID          int64      `json:"id"`
	DistrictID  int64      `json:"district_id"`
	Name        string     `json:"name"`
	Type        SchoolType `json:"type"`
	Address     string     `json:"address"`
	UnifiedCode *string    `json:"unified_code"` // 统一社会信用代码, if any
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Contacts    []Contact  `json:"contacts,omitempty"`
}

// SchoolInput creates or updates a school.
type SchoolInput struct {
	DistrictID  *int64  `json:"district_id"`
	Name        *string `json:"name"`
	Type        *string `json:"type"`
	Address     *string `json:"address"`
	UnifiedCode *string `json:"unified_code"`
}

func (in SchoolInput) apply(sc *School) models.Problems {
	p := models.Problems{}
	if in.DistrictID != nil {
		sc.DistrictID = *in.DistrictID
	}
	if in.Name != nil {
		sc.Name = strings.TrimSpace(*in.Name)
	}
	if in.Type != nil {
		t, ok := ParseSchoolType(*in.Type)
		if !ok {
			p.Add("type", "学校类型须为 kindergarten、primary、middle、high、vocational 或 special")
		}
		sc.Type = t
	}
	if in.Address != nil {
		sc.Address = strings.TrimSpace(*in.Address)
	}
	if in.UnifiedCode != nil {
		code := strings.ToUpper(strings.TrimSpace(*in.UnifiedCode))
		sc.UnifiedCode = nil
		if code != "" {
			sc.UnifiedCode = &code
		}
	}
	if sc.DistrictID <= 0 {
		p.Add("district_id", "请选择所属区县")
	}
	if sc.Name == "" || utf8.RuneCountInString(sc.Name) > 100 {
		p.Add("name", "请填写学校名称（不超过100字）")
	}
	if sc.Type == "" {
		p.Add("type", "请选择学校类型")
	}
	if utf8.RuneCountInString(sc.Address) > 200 {
		p.Add("address", "地址不超过200字")
	}
	if sc.UnifiedCode != nil && !validUnifiedCode(*sc.UnifiedCode) {
		p.Add("unified_code", "统一社会信用代码须为18位数字或大写字母")
	}
	return p
}

// validUnifiedCode checks the shape of an 18-character 统一社会信用代码 (GB 32100-2015 alphabet).
func validUnifiedCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	for _, r := range code {
		if !strings.ContainsRune("0123456789ABCDEFGHJKLMNPQRTUWXY", r) {
			return false
		}
	}
	return true
}

var errSchoolTaken = &models.Error{Code: models.ECONFLICT, Message: "该区县已有同名学校，或统一社会信用代码已被使用",
	Fields: map[string]string{"name": "该区县已有同名学校，或统一社会信用代码已被使用"}}

func (s *Store) checkDistrict(id int64, p models.Problems) error {
	if id <= 0 {
		return nil
	}
	var n int64
	if err := s.db.DB().Model(&District{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		p.Add("district_id", "区县不存在")
	}
	return nil
}

// CreateSchool adds a school. Only admins may. Errors: forbidden, invalid, conflict.
func (s *Store) CreateSchool(ctx context.Context, actor *models.User, in SchoolInput) (*School, error) {
	if !actor.Can(models.ManageDirectory) {
		return nil, models.ErrForbidden
	}
	sc := &School{}
	err := s.transact(ctx, func(tx *Store) error {
		p := in.apply(sc)
		if err := tx.checkDistrict(sc.DistrictID, p); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := tx.db.DB().Omit("Contacts").Create(sc).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errSchoolTaken
			}
			return fmt.Errorf("create school: %w", err)
		}
		return tx.db.Audit(ctx, actor, "school.create", "school", sc.ID, sc.Name)
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// UpdateSchool changes a school's details. Admins may change any school; a district officer the
// schools of its district, without moving them to another district.
// Errors: not_found (including schools outside the actor's scope), forbidden, invalid, conflict.
func (s *Store) UpdateSchool(ctx context.Context, actor *models.User, id int64, in SchoolInput) (*School, error) {
	var sc School
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Take(&sc, id).Error; err != nil {
			return models.NotFound("学校", err)
		}
		if !actor.CanSeeSchool(sc.ID, sc.DistrictID) {
			return models.Errorf(models.ENOTFOUND, "学校不存在")
		}
		if !actor.Can(models.EditSchools) {
			return models.ErrForbidden
		}
		if !actor.Can(models.ManageDirectory) && in.DistrictID != nil && *in.DistrictID != sc.DistrictID {
			return &models.Error{Code: models.EFORBIDDEN, Message: "无权将学校调整到其他区县", Fields: map[string]string{"district_id": "无权将学校调整到其他区县"}}
		}
		before := fmt.Sprintf("%s %s d=%d", sc.Name, sc.Type, sc.DistrictID)
		p := in.apply(&sc)
		if err := tx.checkDistrict(sc.DistrictID, p); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := tx.db.DB().Omit("Contacts").Save(&sc).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errSchoolTaken
			}
			return fmt.Errorf("update school %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "school.update", "school", sc.ID, before+" → "+fmt.Sprintf("%s %s d=%d", sc.Name, sc.Type, sc.DistrictID))
	})
	if err != nil {
		return nil, err
	}
	return &sc, nil
}

// School returns a school with its contacts, if actor may see it. Errors: not_found.
func (s *Store) School(ctx context.Context, actor *models.User, id int64) (*School, error) {
	var sc School
	if err := s.db.Conn(ctx).Take(&sc, id).Error; err != nil {
		return nil, models.NotFound("学校", err)
	}
	if !actor.CanSeeSchool(sc.ID, sc.DistrictID) {
		return nil, models.Errorf(models.ENOTFOUND, "学校不存在")
	}
	if err := s.db.Conn(ctx).Where("school_id = ?", id).Order("is_primary DESC, id").Find(&sc.Contacts).Error; err != nil {
		return nil, fmt.Errorf("school %d contacts: %w", id, err)
	}
	return &sc, nil
}

// SchoolFilter narrows a list of schools.
type SchoolFilter struct {
	DistrictID int64
	Type       SchoolType
	// Query matches part of the name or the unified code.
	Query string
	Page  models.Page
}

// Schools lists the schools actor may see, with the total number matching the filter.
func (s *Store) Schools(ctx context.Context, actor *models.User, f SchoolFilter) (schools []School, next int64, total int64, err error) {
	q := store.ScopeSchools(actor, s.db.Conn(ctx).Model(&School{}), "schools.id", "schools.district_id")
	if f.DistrictID != 0 {
		q = q.Where("district_id = ?", f.DistrictID)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Query != "" {
		like := store.ContainsPattern(f.Query)
		q = q.Where("(name LIKE ? ESCAPE '\\' OR unified_code = ?)", like, strings.ToUpper(f.Query))
	}
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("count schools: %w", err)
	}
	page := f.Page.Normalize()
	if err := store.PageQuery(page, q, "schools").Find(&schools).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("list schools: %w", err)
	}
	schools, next = models.PageResult(schools, page, func(sc School) int64 { return sc.ID })
	return schools, next, total, nil
}
