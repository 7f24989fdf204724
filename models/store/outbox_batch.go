package store

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm/clause"

	"dutydesk/notify"
)

// EnqueueMessages queues many messages at once (an alert's fan-out to thousands of contacts),
// inside the caller's transaction, or in one of its own when there is none. Messages whose
// Message-ID is already queued are skipped; it returns how many rows were added.
func (s *Store) EnqueueMessages(ctx context.Context, msgs []notify.Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	return s.EnqueueSeq(ctx, func(yield func(notify.Message, error) bool) {
		for _, m := range msgs {
			if !yield(m, nil) {
				return
			}
		}
	})
}

// EnqueueSeq queues the messages msgs yields as it yields them, so a fan-out need not hold
// all of its rendered messages at once; msgs stops at its first error, may be read twice, and must
// not use the database (on PostgreSQL it runs while the COPY holds the connection). On
// PostgreSQL the rows are COPYed in a savepoint; should one of them already be queued, the COPY
// fails as a whole, the savepoint is rolled back and the messages are inserted again with
// ON CONFLICT DO NOTHING, as they are on SQLite.
func (s *Store) EnqueueSeq(ctx context.Context, msgs iter.Seq2[notify.Message, error]) (int, error) {
	if s.dialect != Postgres {
		return s.insertOutbox(ctx, msgs)
	}
	if s.txConn == nil {
		var added int
		err := s.Transact(ctx, func(tx *Store) error {
			var err error
			added, err = tx.EnqueueSeq(ctx, msgs)
			return err
		})
		return added, err
	}
	var added int
	err := s.Transact(ctx, func(sp *Store) error {
		var err error
		added, err = sp.copyOutbox(ctx, msgs)
		return err
	})
	if IsUniqueViolation(err) {
		return s.insertOutbox(ctx, msgs)
	}
	return added, err
}

// outboxColumns are the columns a queued message fills, in the order of outboxRow.
var outboxColumns = []string{"message_id", "channel", "recipient", "recipient_name", "subject", "body_text", "body_html",
	"kind", "subject_type", "subject_id", "status", "attempts", "next_attempt_at", "last_error", "created_at"}

// outboxRow is the row that queues m, or an error when m lacks what it takes to be sent.
func (s *Store) outboxRow(m notify.Message, now time.Time) (OutboxMessage, error) {
	if m.ID == "" || m.To == "" || m.Subject == "" {
		return OutboxMessage{}, fmt.Errorf("enqueue messages: incomplete message (id %q, to %q)", m.ID, m.To)
	}
	row := OutboxMessage{
		MessageID: m.ID, Channel: m.Channel, Recipient: m.To, RecipientName: m.ToName, Subject: m.Subject,
		BodyText: m.Text, BodyHTML: m.HTML, Kind: m.Kind, SubjectType: m.SubjectType,
		Status: OutboxPending, NextAttemptAt: now, CreatedAt: now,
	}
	if m.SubjectID != 0 {
		id := m.SubjectID
		row.SubjectID = &id
	}
	return row, nil
}

// copyOutbox writes the messages with PostgreSQL's COPY over the transaction's own connection:
// pgx encodes the rows while they are yielded and sends them in chunks of about 64 KB, so the
// database writes the first rows while the last are still being rendered, and only a chunk is
// held at a time. A Message-ID already queued fails the whole COPY with a unique violation.
func (s *Store) copyOutbox(ctx context.Context, msgs iter.Seq2[notify.Message, error]) (int, error) {
	now := s.Now()
	next, stop := iter.Pull2(msgs)
	defer stop()
	source := pgx.CopyFromFunc(func() ([]any, error) {
		m, err, ok := next()
		if !ok {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r, err := s.outboxRow(m, now)
		if err != nil {
			return nil, err
		}
		return []any{r.MessageID, string(r.Channel), r.Recipient, r.RecipientName, r.Subject, r.BodyText, r.BodyHTML,
			string(r.Kind), r.SubjectType, r.SubjectID, string(r.Status), r.Attempts, r.NextAttemptAt, r.LastError, r.CreatedAt}, nil
	})
	var added int64
	err := s.withPGX(func(conn *pgx.Conn) error {
		var err error
		added, err = conn.CopyFrom(ctx, pgx.Identifier{"outbox_messages"}, outboxColumns, source)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("copy messages into the outbox: %w", err)
	}
	return int(added), nil
}

// insertOutbox writes the messages with multi-row INSERTs of up to 500 rows (13 columns a row stay
// under SQLite's and PostgreSQL's bound-parameter limits), skipping Message-IDs already queued.
func (s *Store) insertOutbox(ctx context.Context, msgs iter.Seq2[notify.Message, error]) (int, error) {
	const batch = 500
	now := s.Now()
	rows := make([]OutboxMessage, 0, batch)
	added := 0
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		res := s.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "message_id"}}, DoNothing: true}).Create(&rows)
		if res.Error != nil {
			return fmt.Errorf("enqueue %d messages: %w", len(rows), res.Error)
		}
		added += int(res.RowsAffected)
		rows = rows[:0]
		return nil
	}
	for m, err := range msgs {
		if err != nil {
			return added, err
		}
		r, err := s.outboxRow(m, now)
		if err != nil {
			return added, err
		}
		if rows = append(rows, r); len(rows) == batch {
			if err := flush(); err != nil {
				return added, err
			}
		}
	}
	return added, flush()
}
