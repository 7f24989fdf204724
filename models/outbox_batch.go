package models

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"

	"dutydesk/notify"
)

// EnqueueMessages queues many messages in batches (an alert's fan-out to thousands of contacts),
// inside the caller's transaction. Messages whose Message-ID is already queued are skipped; it
// returns how many rows were added.
func (s *Store) EnqueueMessages(ctx context.Context, msgs []notify.Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	now := s.Now()
	rows := make([]OutboxMessage, len(msgs))
	for i, m := range msgs {
		if m.ID == "" || m.To == "" || m.Subject == "" {
			return 0, fmt.Errorf("enqueue messages: incomplete message %d (id %q, to %q)", i, m.ID, m.To)
		}
		rows[i] = OutboxMessage{
			MessageID: m.ID, Channel: m.Channel, Recipient: m.To, RecipientName: m.ToName, Subject: m.Subject,
			BodyText: m.Text, BodyHTML: m.HTML, Kind: m.Kind, SubjectType: m.SubjectType,
			Status: OutboxPending, NextAttemptAt: now, CreatedAt: now,
		}
		if m.SubjectID != 0 {
			id := m.SubjectID
			rows[i].SubjectID = &id
		}
	}
	// 13 columns a row: 500 rows stay under SQLite's and PostgreSQL's bound-parameter limits.
	res := s.conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "message_id"}}, DoNothing: true}).CreateInBatches(rows, 500)
	if res.Error != nil {
		return 0, fmt.Errorf("enqueue %d messages: %w", len(msgs), res.Error)
	}
	return int(res.RowsAffected), nil
}
