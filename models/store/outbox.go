package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"dutydesk/models"
	"dutydesk/notify"
)

// OutboxStatus is where a queued message stands.
type OutboxStatus string

// The outbox statuses: pending until sent, failed after the last allowed attempt.
const (
	OutboxPending OutboxStatus = "pending"
	OutboxSent    OutboxStatus = "sent"
	OutboxFailed  OutboxStatus = "failed"
)

// OutboxMessage is a message waiting in, or done with, the transactional outbox (design.md,
// mechanism 3). It is written in the transaction of the change that caused it.
type OutboxMessage struct {
	ID            int64          `json:"id"`
	MessageID     string         `json:"message_id"`
	Channel       notify.Channel `json:"channel"`
	Recipient     string         `json:"recipient"`
	RecipientName string         `json:"recipient_name"`
	Subject       string         `json:"subject"`
	BodyText      string         `json:"body_text"`
	BodyHTML      string         `json:"-"`
	Kind          notify.Kind    `json:"kind"`
	SubjectType   string         `json:"subject_type"`
	SubjectID     *int64         `json:"subject_id"`
	Status        OutboxStatus   `json:"status"`
	Attempts      int            `json:"attempts"`
	NextAttemptAt time.Time      `json:"next_attempt_at"`
	LastError     string         `json:"last_error"`
	CreatedAt     time.Time      `json:"created_at"`
	SentAt        *time.Time     `json:"sent_at"`
}

// Message turns the row back into the notify.Message it was queued as.
func (m *OutboxMessage) Message() notify.Message {
	msg := notify.Message{
		ID: m.MessageID, Channel: m.Channel, Kind: m.Kind, To: m.Recipient, ToName: m.RecipientName,
		Subject: m.Subject, Text: m.BodyText, HTML: m.BodyHTML, SubjectType: m.SubjectType, CreatedAt: m.CreatedAt,
	}
	if m.SubjectID != nil {
		msg.SubjectID = *m.SubjectID
	}
	return msg
}

// OutboxOptions set how the outbox retries.
type OutboxOptions struct {
	// MaxAttempts is how often a message is tried before it is marked failed. Default 8.
	MaxAttempts int
	// RetryBase is the wait after the first failure; it doubles with each attempt up to RetryMax.
	// Defaults 30 s and 1 h.
	RetryBase, RetryMax time.Duration
	// Lease is how long a claimed message is left to its dispatcher before another may claim it
	// (a dispatcher that crashed mid-send). It must exceed the send timeout. Default 5 min.
	Lease time.Duration
	// Webhook queues a copy of each notice for the webhook channel.
	Webhook bool
	// Installation is this installation's part of every Message-ID (config.Config.InstallationID),
	// so that two installations never send the same Message-ID for different messages.
	Installation string
}

func (o OutboxOptions) withDefaults() OutboxOptions {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 30 * time.Second
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = max(time.Hour, o.RetryBase)
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	return o
}

// Backoff is the wait before the next attempt after the given number of failed attempts:
// RetryBase, doubling, at most RetryMax.
func (o OutboxOptions) Backoff(attempts int) time.Duration {
	o = o.withDefaults()
	d := o.RetryBase
	for i := 1; i < attempts && d < o.RetryMax; i++ {
		d *= 2
	}
	return min(d, o.RetryMax)
}

// MessageID is notify.MessageID for this installation: the deterministic Message-ID of the message
// the parts identify.
func (s *Store) MessageID(parts ...string) string {
	return notify.MessageID(s.opts.Outbox.Installation, parts...)
}

// EnqueueMessage queues m for sending. Call it inside the transaction of the change that causes
// the message. A message whose Message-ID is already queued is not queued again; the result
// says whether a row was added.
func (s *Store) EnqueueMessage(ctx context.Context, m notify.Message) (bool, error) {
	if m.ID == "" || m.To == "" || m.Subject == "" || (m.Channel != notify.ChannelEmail && m.Channel != notify.ChannelWebhook) {
		return false, fmt.Errorf("enqueue message: incomplete message (id %q, to %q, channel %q)", m.ID, m.To, m.Channel)
	}
	now := s.Now()
	row := OutboxMessage{
		MessageID: m.ID, Channel: m.Channel, Recipient: m.To, RecipientName: m.ToName, Subject: m.Subject,
		BodyText: m.Text, BodyHTML: m.HTML, Kind: m.Kind, SubjectType: m.SubjectType,
		Status: OutboxPending, NextAttemptAt: now, CreatedAt: now,
	}
	if m.SubjectID != 0 {
		row.SubjectID = &m.SubjectID
	}
	res := s.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "message_id"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("enqueue message %s: %w", m.ID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// QueueNotice renders the templates of kind with data (notify.AlertData, …) and queues the result
// to each recipient by e-mail and, when the webhook channel is on, once to the webhook. idParts
// identify the notice, e.g. ("alert", "alert/7", "school/12"); with the channel and the address
// they make each message's Message-ID, so queueing the same notice again adds nothing. Call it
// inside the transaction of the change that causes the notice. It returns how many messages
// were added.
func (s *Store) QueueNotice(ctx context.Context, kind notify.Kind, data any, to []models.Recipient,
	subjectType models.SubjectType, subjectID int64, idParts ...string) (int, error) {
	r, err := notify.Render(kind, data)
	if err != nil {
		return 0, err
	}
	emails, err := s.EnqueueEmails(ctx, kind, r, to, subjectType, subjectID, idParts...)
	if err != nil {
		return emails, err
	}
	hooks, err := s.EnqueueWebhook(ctx, kind, r, subjectType, subjectID, idParts...)
	return emails + hooks, err
}

// EnqueueEmails queues the rendered content to each recipient by e-mail. The Message-ID is made of
// idParts, the channel and the address, so queueing the same notice again adds nothing.
func (s *Store) EnqueueEmails(ctx context.Context, kind notify.Kind, r notify.Rendered, to []models.Recipient,
	subjectType models.SubjectType, subjectID int64, idParts ...string) (int, error) {
	queued := 0
	for _, rcpt := range to {
		m := notify.Message{Channel: notify.ChannelEmail, Kind: kind, To: rcpt.Email, ToName: rcpt.Name,
			Subject: r.Subject, Text: r.Text, HTML: r.HTML, SubjectType: string(subjectType), SubjectID: subjectID}
		m.ID = s.MessageID(append(idParts, string(m.Channel), strings.ToLower(rcpt.Email))...)
		added, err := s.EnqueueMessage(ctx, m)
		if err != nil {
			return queued, err
		}
		if added {
			queued++
		}
	}
	return queued, nil
}

// EnqueueWebhook queues the rendered content once for the webhook channel, when it is on.
func (s *Store) EnqueueWebhook(ctx context.Context, kind notify.Kind, r notify.Rendered,
	subjectType models.SubjectType, subjectID int64, idParts ...string) (int, error) {
	if !s.opts.Outbox.Webhook {
		return 0, nil
	}
	m := notify.Message{Channel: notify.ChannelWebhook, Kind: kind, To: "webhook",
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, SubjectType: string(subjectType), SubjectID: subjectID}
	m.ID = s.MessageID(append(idParts, string(m.Channel))...)
	added, err := s.EnqueueMessage(ctx, m)
	if err != nil || !added {
		return 0, err
	}
	return 1, nil
}

// ClaimOutbox takes up to limit pending messages that are due, oldest first, for this dispatcher:
// it counts the attempt and leases them for Lease, so no other dispatcher takes them meanwhile.
// On PostgreSQL it is one statement, and rows locked by a concurrent claim are skipped (FOR UPDATE
// SKIP LOCKED); SQLite has one writer. The messages come back in id order.
func (s *Store) ClaimOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	opts := s.opts.Outbox.withDefaults()
	var claimed []OutboxMessage
	if s.dialect == Postgres {
		now := s.Now()
		err := s.Conn(ctx).Raw(`UPDATE outbox_messages SET attempts = attempts + 1, next_attempt_at = ?
			WHERE id IN (SELECT id FROM outbox_messages WHERE status = ? AND next_attempt_at <= ?
			             ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
			RETURNING *`, now.Add(opts.Lease), OutboxPending, now, limit).Scan(&claimed).Error
		if err != nil {
			return nil, fmt.Errorf("claim outbox: %w", err)
		}
		sort.Slice(claimed, func(i, j int) bool { return claimed[i].ID < claimed[j].ID })
		return claimed, nil
	}
	err := s.Transact(ctx, func(tx *Store) error {
		now := tx.Now()
		err := tx.db.Where("status = ? AND next_attempt_at <= ?", OutboxPending, now).
			Order("next_attempt_at, id").Limit(limit).Find(&claimed).Error
		if err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]int64, len(claimed))
		for i := range claimed {
			ids[i] = claimed[i].ID
			claimed[i].Attempts++
			claimed[i].NextAttemptAt = now.Add(opts.Lease)
		}
		return tx.db.Model(&OutboxMessage{}).Where("id IN ?", ids).
			Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "next_attempt_at": now.Add(opts.Lease)}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return claimed, nil
}

// MarkOutboxSent records that a claimed message was accepted by its channel.
func (s *Store) MarkOutboxSent(ctx context.Context, m *OutboxMessage) error {
	return s.MarkOutboxSentAll(ctx, []*OutboxMessage{m})
}

// MarkOutboxSentAll records, in one statement, that claimed messages were accepted by their
// channel (the dispatcher records a fan-out's thousands of messages this way, not one commit each).
func (s *Store) MarkOutboxSentAll(ctx context.Context, ms []*OutboxMessage) error {
	if len(ms) == 0 {
		return nil
	}
	now := s.Now()
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	// One statement: GORM's own transaction around it would be two more round trips.
	err := s.Conn(ctx).Session(&gorm.Session{SkipDefaultTransaction: true}).Model(&OutboxMessage{}).
		Where("id IN ? AND status = ?", ids, OutboxPending).
		Updates(map[string]any{"status": OutboxSent, "sent_at": now, "last_error": ""}).Error
	if err != nil {
		return fmt.Errorf("mark %d messages sent (first %d): %w", len(ms), ids[0], err)
	}
	for _, m := range ms {
		m.Status, m.SentAt, m.LastError = OutboxSent, &now, ""
	}
	return nil
}

// MarkOutboxFailed records a failed attempt at a claimed message: it is tried again after the
// backoff, or, after MaxAttempts, marked failed for good (gaveUp). A claim that has since expired
// and been taken by another dispatcher is left alone.
func (s *Store) MarkOutboxFailed(ctx context.Context, m *OutboxMessage, sendErr error) (gaveUp bool, err error) {
	opts := s.opts.Outbox.withDefaults()
	now := s.Now()
	updates := map[string]any{"last_error": models.Truncate(sendErr.Error(), 1000)}
	if m.Attempts >= opts.MaxAttempts {
		updates["status"] = OutboxFailed
		gaveUp = true
	} else {
		updates["next_attempt_at"] = now.Add(opts.Backoff(m.Attempts))
	}
	err = s.Conn(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ? AND attempts = ?", m.ID, OutboxPending, m.Attempts).
		Updates(updates).Error
	if err != nil {
		return false, fmt.Errorf("mark message %d failed: %w", m.ID, err)
	}
	m.LastError = updates["last_error"].(string)
	if gaveUp {
		m.Status = OutboxFailed
	} else {
		m.NextAttemptAt = updates["next_attempt_at"].(time.Time)
	}
	return gaveUp, nil
}

// OutboxFilter narrows the outbox list.
type OutboxFilter struct {
	Status      OutboxStatus
	Kind        notify.Kind
	SubjectType models.SubjectType
	SubjectID   int64
	Page        models.Page
}

// OutboxMessages lists queued messages, oldest first. Admins and duty officers may.
// Errors: forbidden, invalid (unknown status).
func (s *Store) OutboxMessages(ctx context.Context, actor *models.User, f OutboxFilter) ([]OutboxMessage, int64, error) {
	if !actor.Can(models.ReadOutbox) {
		return nil, 0, models.ErrForbidden
	}
	q := s.Conn(ctx).Model(&OutboxMessage{})
	switch f.Status {
	case "":
	case OutboxPending, OutboxSent, OutboxFailed:
		q = q.Where("status = ?", f.Status)
	default:
		return nil, 0, models.Problems{"status": "须为 pending、sent 或 failed"}.Err()
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != 0 {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	page := f.Page.Normalize()
	var msgs []OutboxMessage
	if err := PageQuery(page, q, "outbox_messages").Find(&msgs).Error; err != nil {
		return nil, 0, fmt.Errorf("list outbox: %w", err)
	}
	msgs, next := models.PageResult(msgs, page, func(m OutboxMessage) int64 { return m.ID })
	return msgs, next, nil
}

// RetryOutboxMessage puts a failed message back in the queue with a fresh count of attempts,
// for when the cause (a wrong address, a relay outage) is fixed. Admins and duty officers may.
// Errors: forbidden, not_found, conflict (the message has not failed).
func (s *Store) RetryOutboxMessage(ctx context.Context, actor *models.User, id int64) (*OutboxMessage, error) {
	if !actor.Can(models.ReadOutbox) {
		return nil, models.ErrForbidden
	}
	var m OutboxMessage
	err := s.Transact(ctx, func(tx *Store) error {
		if err := tx.db.Take(&m, id).Error; err != nil {
			return models.NotFound("消息", err)
		}
		if m.Status != OutboxFailed {
			return models.Errorf(models.ECONFLICT, "只有发送失败的消息可以重发")
		}
		m.Status, m.Attempts, m.NextAttemptAt = OutboxPending, 0, tx.Now()
		if err := tx.db.Model(&m).Select("status", "attempts", "next_attempt_at").Updates(&m).Error; err != nil {
			return fmt.Errorf("retry message %d: %w", id, err)
		}
		return tx.Audit(ctx, actor, "outbox.retry", "outbox_message", m.ID, fmt.Sprintf("%s → %s (%s)", m.Kind, m.Recipient, m.LastError))
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// OutboxBacklog counts the pending and the failed messages, for metrics.
func (s *Store) OutboxBacklog(ctx context.Context) (pending, failed int64, err error) {
	var rows []struct {
		Status OutboxStatus
		N      int64
	}
	err = s.Conn(ctx).Model(&OutboxMessage{}).Select("status, COUNT(*) AS n").
		Where("status IN ?", []OutboxStatus{OutboxPending, OutboxFailed}).Group("status").Scan(&rows).Error
	if err != nil {
		return 0, 0, fmt.Errorf("count outbox: %w", err)
	}
	for _, r := range rows {
		if r.Status == OutboxPending {
			pending = r.N
		} else {
			failed = r.N
		}
	}
	return pending, failed, nil
}
