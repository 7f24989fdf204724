package directory

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/store"
)

// UserInput creates a user or, with pointer fields left nil, updates some of its fields.
type UserInput struct {
	Username    *string      `json:"username"`
	DisplayName *string      `json:"display_name"`
	Password    *string      `json:"password"`
	Role        *models.Role `json:"role"`
	DistrictID  *int64       `json:"district_id"`
	SchoolID    *int64       `json:"school_id"`
	Email       *string      `json:"email"`
	Mobile      *string      `json:"mobile"`
	Disabled    *bool        `json:"disabled"`
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{3,64}$`)

// apply copies the set fields of in onto u and validates the result.
func (in UserInput) apply(u *models.User, creating bool) models.Problems {
	p := models.Problems{}
	if in.Username != nil {
		u.Username = strings.TrimSpace(*in.Username)
	}
	if in.DisplayName != nil {
		u.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Role != nil {
		u.Role = *in.Role
	}
	if in.DistrictID != nil {
		u.DistrictID = nilIfZero(*in.DistrictID)
	}
	if in.SchoolID != nil {
		u.SchoolID = nilIfZero(*in.SchoolID)
	}
	if in.Email != nil {
		u.Email = strings.TrimSpace(*in.Email)
	}
	if in.Mobile != nil {
		u.Mobile = strings.TrimSpace(*in.Mobile)
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	if !usernamePattern.MatchString(u.Username) {
		p.Add("username", "用户名须为3–64位字母、数字或 _ . -")
	}
	if u.DisplayName == "" || utf8.RuneCountInString(u.DisplayName) > 64 {
		p.Add("display_name", "请填写姓名（不超过64字）")
	}
	if !u.Role.Valid() {
		p.Add("role", "角色须为 admin、duty_officer、leader、district_officer 或 school_reporter")
	}
	switch u.Role {
	case models.RoleDistrictOfficer:
		if u.DistrictID == nil {
			p.Add("district_id", "区县教育局用户须指定所属区县")
		}
		u.SchoolID = nil
	case models.RoleSchoolReporter:
		if u.SchoolID == nil {
			p.Add("school_id", "学校报送员须指定所属学校")
		}
		u.DistrictID = nil
	default:
		u.DistrictID, u.SchoolID = nil, nil
	}
	if u.Email != "" && !validEmail(u.Email) {
		p.Add("email", "邮箱格式不正确")
	}
	if u.Mobile != "" && !validMobile(u.Mobile) {
		p.Add("mobile", "手机号格式不正确")
	}
	if in.Password != nil {
		if msg := passwordProblem(*in.Password); msg != "" {
			p.Add("password", msg)
		}
	} else if creating {
		p.Add("password", "请设置密码")
	}
	return p
}

func nilIfZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// passwordProblem returns why pw is not acceptable, or "".
func passwordProblem(pw string) string {
	if utf8.RuneCountInString(pw) < config.MinPasswordLength {
		return fmt.Sprintf("密码至少%d位", config.MinPasswordLength)
	}
	if len(pw) > 72 { // bcrypt reads only the first 72 bytes
		return "密码不能超过72字节"
	}
	return ""
}

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

var mobilePattern = regexp.MustCompile(`^\+?[0-9][0-9\- ]{5,19}$`)

func validEmail(s string) bool { return len(s) <= 254 && emailPattern.MatchString(s) }

func validMobile(s string) bool { return mobilePattern.MatchString(s) }

// HashPassword returns the bcrypt hash of pw at the Store's cost.
func (s *Store) HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.opts.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// checkRefs verifies that the district and school a user is bound to exist.
func (s *Store) checkUserRefs(ctx context.Context, u *models.User, p models.Problems) error {
	if u.DistrictID != nil {
		if err := s.db.Conn(ctx).Select("id").Take(&District{}, *u.DistrictID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			p.Add("district_id", "区县不存在")
		} else if err != nil {
			return err
		}
	}
	if u.SchoolID != nil {
		if err := s.db.Conn(ctx).Select("id").Take(&School{}, *u.SchoolID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			p.Add("school_id", "学校不存在")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateUser creates an account. Only admins may. Errors: forbidden, invalid, conflict (username taken).
func (s *Store) CreateUser(ctx context.Context, actor *models.User, in UserInput) (*models.User, error) {
	if !actor.Can(models.ManageUsers) {
		return nil, models.ErrForbidden
	}
	u := &models.User{}
	p := in.apply(u, true)
	if err := s.checkUserRefs(ctx, u, p); err != nil {
		return nil, err
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	hash, err := s.HashPassword(*in.Password)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = hash
	err = s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Create(u).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return &models.Error{Code: models.ECONFLICT, Message: "用户名已被使用", Fields: map[string]string{"username": "用户名已被使用"}}
			}
			return fmt.Errorf("create user: %w", err)
		}
		return tx.db.Audit(ctx, actor, "user.create", "user", u.ID, fmt.Sprintf("%s (%s)", u.Username, u.Role))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser changes an account. Only admins may. Errors: forbidden, not_found, invalid, conflict.
func (s *Store) UpdateUser(ctx context.Context, actor *models.User, id int64, in UserInput) (*models.User, error) {
	if !actor.Can(models.ManageUsers) {
		return nil, models.ErrForbidden
	}
	var u models.User
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Take(&u, id).Error; err != nil {
			return models.NotFound("用户", err)
		}
		before := fmt.Sprintf("%s/%s disabled=%v", u.Username, u.Role, u.Disabled)
		p := in.apply(&u, false)
		if err := tx.checkUserRefs(ctx, &u, p); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		if in.Password != nil {
			hash, err := tx.HashPassword(*in.Password)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
		if err := tx.db.DB().Save(&u).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return &models.Error{Code: models.ECONFLICT, Message: "用户名已被使用", Fields: map[string]string{"username": "用户名已被使用"}}
			}
			return fmt.Errorf("update user %d: %w", id, err)
		}
		// A disabled account or a new password ends every open session at once.
		if u.Disabled || in.Password != nil {
			if err := tx.db.DB().Model(&Session{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).
				Update("revoked_at", tx.db.Now()).Error; err != nil {
				return err
			}
		}
		after := fmt.Sprintf("%s/%s disabled=%v", u.Username, u.Role, u.Disabled)
		if in.Password != nil {
			after += " password changed"
		}
		return tx.db.Audit(ctx, actor, "user.update", "user", u.ID, before+" → "+after)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// User returns an account by id. Admins see every account, others only their own. Errors: not_found.
func (s *Store) User(ctx context.Context, actor *models.User, id int64) (*models.User, error) {
	if !actor.Can(models.ManageUsers) && actor.ID != id {
		return nil, models.Errorf(models.ENOTFOUND, "用户不存在")
	}
	var u models.User
	if err := s.db.Conn(ctx).Take(&u, id).Error; err != nil {
		return nil, models.NotFound("用户", err)
	}
	return &u, nil
}

// UserFilter narrows a list of users.
type UserFilter struct {
	Role       models.Role
	DistrictID int64
	SchoolID   int64
	Page       models.Page
}

// Users lists accounts. Only admins may. Errors: forbidden.
func (s *Store) Users(ctx context.Context, actor *models.User, f UserFilter) ([]models.User, int64, error) {
	if !actor.Can(models.ManageUsers) {
		return nil, 0, models.ErrForbidden
	}
	q := s.db.Conn(ctx).Model(&models.User{})
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.DistrictID != 0 {
		q = q.Where("district_id = ?", f.DistrictID)
	}
	if f.SchoolID != 0 {
		q = q.Where("school_id = ?", f.SchoolID)
	}
	page := f.Page.Normalize()
	var users []models.User
	if err := store.PageQuery(page, q, "users").Find(&users).Error; err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	users, next := models.PageResult(users, page, func(u models.User) int64 { return u.ID })
	return users, next, nil
}

// EnsureAdmin creates the built-in "admin" account when no admin exists yet. With password empty a
// random one is generated. It returns the password when it created the account, "" otherwise.
func (s *Store) EnsureAdmin(ctx context.Context, password string) (string, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&models.User{}).Where("role = ?", models.RoleAdmin).Count(&n).Error; err != nil {
		return "", fmt.Errorf("count admins: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	if password == "" {
		buf := make([]byte, 12)
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		password = base64.RawURLEncoding.EncodeToString(buf)
	}
	username, name, role := "admin", "系统管理员", models.RoleAdmin
	if _, err := s.CreateUser(ctx, models.System, UserInput{Username: &username, DisplayName: &name, Role: &role, Password: &password}); err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return password, nil
}
