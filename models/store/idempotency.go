package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"dutydesk/models"
)

// IdempotencyKey remembers the answer to a creating request sent with an Idempotency-Key header,
// so that a school retrying on a bad network gets the first answer again instead of filing twice.
type IdempotencyKey struct {
	ID           int64
	UserID       int64
	Key          string
	RequestHash  string
	Status       int // 0 while the first request is still being handled
	ResponseBody []byte
	CreatedAt    time.Time
}

// idempotencyPendingTimeout is how long a key stays claimed by a request that never finished
// (its process died); after it, a retry may claim the key again.
const idempotencyPendingTimeout = time.Minute

// ClaimIdempotencyKey claims key for user's request with the given hash. If the key already holds
// a finished answer for the same request, it returns that answer to replay. Errors: conflict (the
// first request is still running), invalid (the key was used for a different request).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, userID int64, key, requestHash string) (*IdempotencyKey, error) {
	var replay *IdempotencyKey
	err := s.Transact(ctx, func(tx *Store) error {
		var k IdempotencyKey
		err := tx.db.Where("user_id = ? AND key = ?", userID, key).Take(&k).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			k = IdempotencyKey{UserID: userID, Key: key, RequestHash: requestHash, CreatedAt: tx.Now()}
			if err := tx.db.Create(&k).Error; err != nil {
				if IsUniqueViolation(err) {
					return models.Errorf(models.ECONFLICT, "相同的请求正在处理中，请稍后重试")
				}
				return fmt.Errorf("claim idempotency key: %w", err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("claim idempotency key: %w", err)
		case k.RequestHash != requestHash:
			return &models.Error{Code: models.EINVALID, Message: "Idempotency-Key 已用于另一个不同的请求", Fields: map[string]string{"Idempotency-Key": "已用于另一个不同的请求"}}
		case k.Status != 0:
			replay = &k
			return nil
		case tx.Now().Sub(k.CreatedAt) < idempotencyPendingTimeout:
			return models.Errorf(models.ECONFLICT, "相同的请求正在处理中，请稍后重试")
		}
		// A stale claim from a request that never finished: take it over.
		return tx.db.Model(&k).Update("created_at", tx.Now()).Error
	})
	return replay, err
}

// FinishIdempotencyKey stores the answer to a claimed key. Only answers that changed something (2xx)
// are kept for replay; after any other answer (a 4xx the client is expected to correct, a server
// error) the claim is released, so that the corrected retry with the same key runs afresh instead
// of being refused or answered with the old error.
func (s *Store) FinishIdempotencyKey(ctx context.Context, userID int64, key string, status int, body []byte) error {
	q := s.Conn(ctx).Where("user_id = ? AND key = ? AND status = 0", userID, key)
	if status < 200 || status > 299 {
		return q.Delete(&IdempotencyKey{}).Error
	}
	return q.Model(&IdempotencyKey{}).Updates(map[string]any{"status": status, "response_body": body}).Error
}
