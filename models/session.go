package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Session is a login: an opaque token whose SHA-256 is stored, so a leaked table yields no token.
type Session struct {
	ID        int64
	TokenHash string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// dummyHash is compared against when the username is unknown, so a login takes as long for a
// missing account as for a wrong password and does not reveal which usernames exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("dutydesk-no-such-user"), bcrypt.MinCost)

var errBadLogin = Errorf(EUNAUTHORIZED, "用户名或密码错误")

// Login checks a username and password and opens a session. It returns the token (shown once) and
// the session. Errors: unauthorized (unknown user, wrong password, disabled account).
func (s *Store) Login(ctx context.Context, username, password string) (string, *Session, *User, error) {
	var u User
	err := s.conn(ctx).Where("username = ?", username).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", nil, nil, errBadLogin
	} else if err != nil {
		return "", nil, nil, fmt.Errorf("login: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return "", nil, nil, errBadLogin
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", nil, nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(buf)
	now := s.Now()
	sess := &Session{TokenHash: hashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL)}
	err = s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Create(sess).Error; err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return tx.audit(ctx, &u, "auth.login", "user", u.ID, "")
	})
	if err != nil {
		return "", nil, nil, err
	}
	return token, sess, &u, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the user and session behind a token. Errors: unauthorized (unknown, expired
// or revoked token, disabled user).
func (s *Store) Authenticate(ctx context.Context, token string) (*User, *Session, error) {
	if token == "" {
		return nil, nil, Errorf(EUNAUTHORIZED, "请先登录")
	}
	var sess Session
	err := s.conn(ctx).Where("token_hash = ?", hashToken(token)).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, Errorf(EUNAUTHORIZED, "登录已失效，请重新登录")
	} else if err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	if sess.RevokedAt != nil || !s.Now().Before(sess.ExpiresAt) {
		return nil, nil, Errorf(EUNAUTHORIZED, "登录已失效，请重新登录")
	}
	var u User
	if err := s.conn(ctx).Take(&u, sess.UserID).Error; err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	if u.Disabled {
		return nil, nil, Errorf(EUNAUTHORIZED, "账号已停用")
	}
	return &u, &sess, nil
}

// Logout revokes a session at once.
func (s *Store) Logout(ctx context.Context, actor *User, sess *Session) error {
	return s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Model(&Session{}).Where("id = ?", sess.ID).Update("revoked_at", tx.Now()).Error; err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return tx.audit(ctx, actor, "auth.logout", "user", actor.ID, "")
	})
}
