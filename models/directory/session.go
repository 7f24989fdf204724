package directory

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

	"dutydesk/models"
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

var errBadLogin = models.Errorf(models.EUNAUTHORIZED, "用户名或密码错误")

// Login checks a username and password and opens a session. It returns the token (shown once) and
// the session. Errors: unauthorized (unknown user, wrong password, disabled account).
func (s *Store) Login(ctx context.Context, username, password string) (string, *Session, *models.User, error) {
	var u models.User
	err := s.db.Conn(ctx).Where("username = ?", username).Take(&u).Error
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
	now := s.db.Now()
	sess := &Session{TokenHash: HashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL)}
	err = s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Create(sess).Error; err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return tx.db.Audit(ctx, &u, "auth.login", "user", u.ID, "")
	})
	if err != nil {
		return "", nil, nil, err
	}
	return token, sess, &u, nil
}

func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the user and session behind a token. Errors: unauthorized (unknown, expired
// or revoked token, disabled user).
func (s *Store) Authenticate(ctx context.Context, token string) (*models.User, *Session, error) {
	if token == "" {
		return nil, nil, models.Errorf(models.EUNAUTHORIZED, "请先登录")
	}
	hash := HashToken(token)
	row, ok := s.sessions.get(hash)
	if !ok {
		var err error
		if row, ok, err = s.readSession(ctx, hash); err != nil {
			return nil, nil, err
		}
	}
	if !ok {
		return nil, nil, models.Errorf(models.EUNAUTHORIZED, "登录已失效，请重新登录")
	}
	sess := Session{ID: row.SessionID, TokenHash: hash, UserID: row.ID, CreatedAt: row.SessionCreatedAt,
		ExpiresAt: row.SessionExpiresAt, RevokedAt: row.SessionRevokedAt}
	if sess.RevokedAt != nil || !s.db.Now().Before(sess.ExpiresAt) {
		return nil, nil, models.Errorf(models.EUNAUTHORIZED, "登录已失效，请重新登录")
	}
	u := row.User
	if u.Disabled {
		return nil, nil, models.Errorf(models.EUNAUTHORIZED, "账号已停用")
	}
	return &u, &sess, nil
}

// AuthRow is a session and its user, as Authenticate reads them (and the read cache keeps them).
type AuthRow struct {
	models.User
	SessionID        int64
	SessionCreatedAt time.Time
	SessionExpiresAt time.Time
	SessionRevokedAt *time.Time
}

// Clone returns a copy that shares nothing with r.
func (r AuthRow) Clone() AuthRow {
	r.User = *r.User.Clone()
	r.SessionRevokedAt = models.ClonePtr(r.SessionRevokedAt)
	return r
}

// readSession reads the session with the token hash and its user, in one query: every
// authenticated request the read cache cannot answer pays for it. ok is false if there is none.
func (s *Store) readSession(ctx context.Context, hash string) (row AuthRow, ok bool, err error) {
	gen, _ := s.db.ReadCache().Generation()
	res := s.db.Conn(ctx).Table("sessions").
		Select("users.*, sessions.id AS session_id, sessions.created_at AS session_created_at, "+
			"sessions.expires_at AS session_expires_at, sessions.revoked_at AS session_revoked_at").
		Joins("JOIN users ON users.id = sessions.user_id").
		Where("sessions.token_hash = ?", hash).Limit(1).Scan(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("authenticate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return row, false, nil
	}
	s.sessions.put(gen, hash, row)
	return row, true, nil
}

// Logout revokes a session at once.
func (s *Store) Logout(ctx context.Context, actor *models.User, sess *Session) error {
	return s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Model(&Session{}).Where("id = ?", sess.ID).Update("revoked_at", tx.db.Now()).Error; err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return tx.db.Audit(ctx, actor, "auth.logout", "user", actor.ID, "")
	})
}
