package models

import (
	"slices"
	"time"
)

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleAdmin           Role = "admin"
	RoleDutyOfficer     Role = "duty_officer"     // 值班员
	RoleLeader          Role = "leader"           // 带班领导 / 局领导
	RoleDistrictOfficer Role = "district_officer" // 区县教育局
	RoleSchoolReporter  Role = "school_reporter"  // 学校报送员
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleDutyOfficer, RoleLeader, RoleDistrictOfficer, RoleSchoolReporter}

// Valid tells whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is an account.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	PasswordHash string    `json:"-"`
	Role         Role      `json:"role"`
	DistrictID   *int64    `json:"district_id"`
	SchoolID     *int64    `json:"school_id"`
	Email        string    `json:"email"`
	Mobile       string    `json:"mobile"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Clone returns a copy of u that shares nothing with it.
func (u *User) Clone() *User {
	c := *u
	c.DistrictID, c.SchoolID = ClonePtr(u.DistrictID), ClonePtr(u.SchoolID)
	return &c
}

// ClonePtr returns a pointer to a copy of *p, or nil.
func ClonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
