package store

import (
	"gorm.io/gorm"

	"dutydesk/models"
)

// PageQuery restricts q to the page p, ordered by the table's id; it asks for one extra row to
// learn whether more follow (models.PageResult trims it).
func PageQuery(p models.Page, q *gorm.DB, table string) *gorm.DB {
	if p.Cursor > 0 {
		q = q.Where(table+".id > ?", p.Cursor)
	}
	return q.Order(table + ".id").Limit(p.Limit + 1)
}

// ScopeSchools restricts a query over a table with school_id and district_id columns (given by
// their qualified names) to what u may see (models.User.CanSeeSchool, as SQL).
func ScopeSchools(u *models.User, q *gorm.DB, schoolCol, districtCol string) *gorm.DB {
	switch {
	case u.Can(models.SeeAll):
		return q
	case u != nil && !u.Disabled && u.Role == models.RoleDistrictOfficer && u.DistrictID != nil:
		return q.Where(districtCol+" = ?", *u.DistrictID)
	case u != nil && !u.Disabled && u.Role == models.RoleSchoolReporter && u.SchoolID != nil:
		return q.Where(schoolCol+" = ?", *u.SchoolID)
	}
	return q.Where("1 = 0")
}
