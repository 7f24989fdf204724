package testenv

import (
	"context"
	"testing"

	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/directory"
)

// Password is the password of every fixture account.
const Password = "correct-horse-battery"

// Directory is a small city: two districts with two schools each, two contacts per school, and one
// account per role (the district officer in District1, the school reporter at School1A).
type Directory struct {
	District1, District2                              directory.District
	School1A, School1B                                directory.School // in District1
	School2A                                          directory.School // in District2
	Admin, Officer, Leader, DistrictOfficer, Reporter *models.User
}

// Users returns the fixture accounts by role.
func (d *Directory) Users() map[models.Role]*models.User {
	return map[models.Role]*models.User{
		models.RoleAdmin: d.Admin, models.RoleDutyOfficer: d.Officer, models.RoleLeader: d.Leader,
		models.RoleDistrictOfficer: d.DistrictOfficer, models.RoleSchoolReporter: d.Reporter,
	}
}

// SeedDirectory creates the Directory through the Store's own methods.
func SeedDirectory(t testing.TB, s *app.Stores) *Directory {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed directory: %v", err)
		}
	}
	d := &Directory{}
	district := func(code, name string) directory.District {
		dist, err := s.Directory.CreateDistrict(ctx, models.System, directory.DistrictInput{Code: &code, Name: &name})
		must(err)
		return *dist
	}
	d.District1, d.District2 = district("330102", "东湖区"), district("330103", "西江区")
	school := func(districtID int64, name, typ string) directory.School {
		sc, err := s.Directory.CreateSchool(ctx, models.System, directory.SchoolInput{DistrictID: &districtID, Name: &name, Type: &typ})
		must(err)
		for i, c := range []struct{ name, role, email string }{
			{name + "校长", "校长", "principal"}, {name + "安全专干", "安全专干", "safety"},
		} {
			email := c.email + "." + models.FormatID(sc.ID) + "@example.org"
			primary := i == 0
			_, err := s.Directory.CreateContact(ctx, models.System, sc.ID, directory.ContactInput{Name: &c.name, Role: &c.role, Email: &email, IsPrimary: &primary})
			must(err)
		}
		return *sc
	}
	d.School1A = school(d.District1.ID, "东湖区第一小学", "primary")
	d.School1B = school(d.District1.ID, "东湖区实验幼儿园", "kindergarten")
	d.School2A = school(d.District2.ID, "西江区第一中学", "middle")
	user := func(username, name string, role models.Role, districtID, schoolID *int64) *models.User {
		pw := Password
		email := username + "@bureau.example.org"
		u, err := s.Directory.CreateUser(ctx, models.System, directory.UserInput{Username: &username, DisplayName: &name, Role: &role,
			Password: &pw, DistrictID: districtID, SchoolID: schoolID, Email: &email})
		must(err)
		return u
	}
	d.Admin = user("admin1", "管理员", models.RoleAdmin, nil, nil)
	d.Officer = user("duty1", "值班员甲", models.RoleDutyOfficer, nil, nil)
	d.Leader = user("leader1", "带班领导", models.RoleLeader, nil, nil)
	d.DistrictOfficer = user("district1", "东湖区值班员", models.RoleDistrictOfficer, &d.District1.ID, nil)
	d.Reporter = user("reporter1a", "一小报送员", models.RoleSchoolReporter, nil, &d.School1A.ID)
	return d
}
