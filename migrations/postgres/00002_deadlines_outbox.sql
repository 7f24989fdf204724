-- +goose Up
-- deadlines: every awaited action (a report due, a signature due, an acknowledgement due…) is a row
-- with due_at and done_at, opened and closed in the same transaction as the change that causes it.
-- The escalation sweep reads only open rows through the partial index, so its cost grows with what
-- is open, not with history.
CREATE TABLE deadlines (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   BIGINT NOT NULL,
    school_id    BIGINT,
    district_id  BIGINT,
    label        TEXT NOT NULL DEFAULT '',
    due_at       TIMESTAMPTZ NOT NULL,
    done_at      TIMESTAMPTZ,
    late         BOOLEAN NOT NULL DEFAULT FALSE,
    missed       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX deadlines_open_due ON deadlines (due_at) WHERE done_at IS NULL;
CREATE INDEX deadlines_subject ON deadlines (subject_type, subject_id);

-- escalations: one row per fired step of a deadline's ladder. The unique key is what makes a step
-- fire exactly once even when two replicas sweep at the same moment.
CREATE TABLE escalations (
    id          BIGSERIAL PRIMARY KEY,
    deadline_id BIGINT NOT NULL REFERENCES deadlines(id),
    step        INTEGER NOT NULL,
    target      TEXT NOT NULL,
    recipients  TEXT NOT NULL DEFAULT '',
    fired_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (deadline_id, step)
);
CREATE INDEX escalations_fired_at ON escalations (fired_at);

-- outbox_messages: every message to send, written in the transaction of the change that caused it.
-- Dispatchers claim due pending rows, send, and mark them; a crash or an outage loses nothing.
CREATE TABLE outbox_messages (
    id              BIGSERIAL PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    recipient_name  TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    subject_type    TEXT NOT NULL DEFAULT '',
    subject_id      BIGINT,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_subject ON outbox_messages (subject_type, subject_id);

-- +goose Down
DROP TABLE outbox_messages;
DROP TABLE escalations;
DROP TABLE deadlines;
