package roster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"dutydesk/models"
	"dutydesk/models/directory"
)

// CalendarFeed is a person's secret calendar subscription: whoever holds the token reads that
// person's shifts (and the whole roster) as ICS without logging in, as calendar apps must. Only the
// token's SHA-256 is stored; making a new token revokes the old one.
type CalendarFeed struct {
	ID        int64
	UserID    int64
	TokenHash string
	CreatedAt time.Time
}

// NewCalendarFeed makes (or replaces) the actor's calendar feed and returns its secret token,
// shown only this once. Staff only. Errors: forbidden.
func (s *Store) NewCalendarFeed(ctx context.Context, actor *models.User) (string, error) {
	if !actor.Can(models.ReadRoster) {
		return "", models.ErrForbidden
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(buf)
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Where("user_id = ?", actor.ID).Delete(&CalendarFeed{}).Error; err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Create(&CalendarFeed{UserID: actor.ID, TokenHash: directory.HashToken(token)}).Error; err != nil {
			return fmt.Errorf("create calendar feed: %w", err)
		}
		return tx.db.Audit(ctx, actor, "calendar_feed.create", "user", actor.ID, "")
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// CalendarFeedOwner returns the enabled account a feed token belongs to. Errors: not_found.
func (s *Store) CalendarFeedOwner(ctx context.Context, token string) (*models.User, error) {
	var u models.User
	err := s.db.Conn(ctx).Joins("JOIN calendar_feeds ON calendar_feeds.user_id = users.id").
		Where("calendar_feeds.token_hash = ? AND users.disabled = ?", directory.HashToken(token), false).Take(&u).Error
	if err != nil {
		return nil, models.NotFound("日历订阅", err)
	}
	return &u, nil
}

// PersonalRoster returns the shifts overlapping [from, to) on which the actor is assigned, with
// all their assignments. Staff only. Errors: forbidden, invalid.
func (s *Store) PersonalRoster(ctx context.Context, actor *models.User, from, to time.Time) ([]Shift, error) {
	shifts, err := s.Roster(ctx, actor, from, to)
	if err != nil {
		return nil, err
	}
	mine := shifts[:0]
	for _, sh := range shifts {
		for _, a := range sh.Assignments {
			if a.UserID == actor.ID {
				mine = append(mine, sh)
				break
			}
		}
	}
	return mine, nil
}
