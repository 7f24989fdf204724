package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// EnsureAdmin creates the built-in "admin" account when no admin exists yet. With password empty a
// random one is generated. It returns the password when it created the account, "" otherwise.
func (s *Store) EnsureAdmin(ctx context.Context, password string) (string, error) {
	var n int64
	if err := s.conn(ctx).Model(&User{}).Where("role = ?", RoleAdmin).Count(&n).Error; err != nil {
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
	username, name, role := "admin", "系统管理员", RoleAdmin
	if _, err := s.CreateUser(ctx, System, UserInput{Username: &username, DisplayName: &name, Role: &role, Password: &password}); err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return password, nil
}
