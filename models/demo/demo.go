package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"dutydesk/models"
	"dutydesk/models/directory"
)

// DemoPassword is the password of every demo staff account (not the admin's).
const DemoPassword = "dutydesk-demo"

// DemoInfo says what SeedDemo created.
type DemoInfo struct {
	Districts, Schools, Contacts, Users int
	// Usernames lists one demo account per role, for the start-up message.
	Usernames map[models.Role]string
}

var demoDistricts = []struct{ code, name string }{
	{"330102", "东湖区"}, {"330103", "西江区"}, {"330104", "南山区"},
	{"330105", "北岭区"}, {"330106", "滨海新区"}, {"330121", "青峰县"},
}

// demoSchoolMix is how many schools of each type the demo city has per district (×6 ≈ 1,000).
var demoSchoolMix = []struct {
	typ    directory.SchoolType
	count  int
	format string
}{
	{directory.Kindergarten, 67, "%s第%d幼儿园"},
	{directory.Primary, 55, "%s第%d小学"},
	{directory.Middle, 25, "%s第%d初级中学"},
	{directory.High, 10, "%s第%d高级中学"},
	{directory.Vocational, 7, "%s第%d职业学校"},
	{directory.Special, 3, "%s第%d特殊教育学校"},
}

var (
	demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
	demoGiven    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "建国", "志强", "海燕", "晓东", "春梅", "国平", "文博", "子涵", "雨欣"}
	demoRoles    = []string{"校长", "安全专干", "值班电话", "副校长"}
)

// SeedDemo fills an empty database with a realistic, deterministic demo city: six districts,
// about 1,000 schools of every type with 2–4 contacts each (e-mail on example.org, a reserved
// domain), and staff accounts of every role. It does nothing if any school exists.
func (s *Store) SeedDemo(ctx context.Context) (*DemoInfo, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&directory.School{}).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	hash, err := s.dir.HashPassword(DemoPassword)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(2026, 1128)) // fixed seed: the same city every time
	name := func() string {
		return string(demoSurnames[rng.IntN(len(demoSurnames))]) + demoGiven[rng.IntN(len(demoGiven))]
	}
	mobile := func() string { return fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000)) }
	info := &DemoInfo{Usernames: map[models.Role]string{}}
	err = s.transact(ctx, func(tx *Store) error {
		districts := make([]directory.District, len(demoDistricts))
		for i, d := range demoDistricts {
			districts[i] = directory.District{Code: d.code, Name: d.name}
		}
		if err := tx.db.DB().Create(&districts).Error; err != nil {
			return fmt.Errorf("demo districts: %w", err)
		}
		var schools []directory.School
		for _, d := range districts {
			for _, mix := range demoSchoolMix {
				for i := 1; i <= mix.count; i++ {
					schools = append(schools, directory.School{
						DistrictID: d.ID, Type: mix.typ,
						Name:    fmt.Sprintf(mix.format, d.Name, i),
						Address: fmt.Sprintf("%s%s路%d号", d.Name, []string{"建设", "人民", "解放", "中山", "学府", "文化"}[rng.IntN(6)], 1+rng.IntN(300)),
					})
				}
			}
		}
		if err := tx.db.DB().Omit("Contacts").CreateInBatches(&schools, 200).Error; err != nil {
			return fmt.Errorf("demo schools: %w", err)
		}
		var contacts []directory.Contact
		for _, sc := range schools {
			used := map[string]bool{}
			for i := 0; i < 2+rng.IntN(3); i++ {
				contactName := name()
				for used[contactName] {
					contactName = name()
				}
				used[contactName] = true
				contacts = append(contacts, directory.Contact{
					SchoolID: sc.ID, Name: contactName, Role: demoRoles[i],
					Email:     fmt.Sprintf("s%04d.c%d@example.org", sc.ID, i+1),
					Mobile:    mobile(),
					IsPrimary: i == 0,
				})
			}
		}
		if err := tx.db.DB().CreateInBatches(&contacts, 500).Error; err != nil {
			return fmt.Errorf("demo contacts: %w", err)
		}
		var users []models.User
		staff := func(username, display string, role models.Role, districtID, schoolID *int64) {
			users = append(users, models.User{Username: username, DisplayName: display, PasswordHash: hash, Role: role,
				DistrictID: districtID, SchoolID: schoolID, Email: username + "@bureau.example.org", Mobile: mobile()})
			if _, ok := info.Usernames[role]; !ok {
				info.Usernames[role] = username
			}
		}
		for i := 1; i <= 8; i++ {
			staff(fmt.Sprintf("duty%02d", i), name(), models.RoleDutyOfficer, nil, nil)
		}
		for i := 1; i <= 4; i++ {
			staff(fmt.Sprintf("leader%02d", i), name(), models.RoleLeader, nil, nil)
		}
		for i := range districts {
			staff(fmt.Sprintf("district%02d", i+1), name(), models.RoleDistrictOfficer, &districts[i].ID, nil)
		}
		for i := 0; i < 12; i++ {
			sc := &schools[i*len(schools)/12]
			staff(fmt.Sprintf("school%04d", sc.ID), name(), models.RoleSchoolReporter, nil, &sc.ID)
		}
		if err := tx.db.DB().Create(&users).Error; err != nil {
			return fmt.Errorf("demo users: %w", err)
		}
		info.Districts, info.Schools, info.Contacts, info.Users = len(districts), len(schools), len(contacts), len(users)
		return tx.db.Audit(ctx, models.System, "demo.seed", "school", 0, fmt.Sprintf("%d districts, %d schools, %d contacts, %d users",
			info.Districts, info.Schools, info.Contacts, info.Users))
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}
