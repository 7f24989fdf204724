-- +goose Up
-- escalation_policies: the bureau's own ladder for a deadline kind, one row per step. A kind with no
-- rows uses the built-in default (models.DefaultEscalationPolicies, from domain.md). targets is a
-- comma-separated list of audiences (school_contacts, officers_on_duty, leader_on_duty,
-- district_officers, leadership).
CREATE TABLE escalation_policies (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    step          INTEGER NOT NULL,
    delay_seconds INTEGER NOT NULL,
    targets       TEXT NOT NULL,
    updated_at    DATETIME NOT NULL,
    UNIQUE (kind, step)
);

-- The outbox API lists failed messages for admins; failed rows are few, so a partial index suffices.
CREATE INDEX outbox_messages_failed ON outbox_messages (id) WHERE status = 'failed';

-- +goose Down
DROP INDEX outbox_messages_failed;
DROP TABLE escalation_policies;
