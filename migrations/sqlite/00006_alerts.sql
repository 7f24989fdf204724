-- +goose Up
-- alerts: a severe-weather warning (台风/暴雨预警…) issued by the desk or ingested from a CAP feed.
-- Lifecycle: active (issued, possibly updated) → lifted (解除).
CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    type           TEXT NOT NULL,
    level          TEXT NOT NULL,
    status         TEXT NOT NULL,
    whole_city     BOOLEAN NOT NULL,
    headline       TEXT NOT NULL,
    instructions   TEXT NOT NULL,
    issued_at      DATETIME NOT NULL,
    expected_end   DATETIME,
    lifted_at      DATETIME,
    version        INTEGER NOT NULL DEFAULT 1,
    source         TEXT NOT NULL,
    drill          BOOLEAN NOT NULL DEFAULT 0,
    issued_by      INTEGER,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX alerts_active ON alerts (status, issued_at);

CREATE TABLE alert_districts (
    alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    district_id INTEGER NOT NULL REFERENCES districts(id),
    PRIMARY KEY (alert_id, district_id)
);

-- alert_events is the alert's timeline: issued, updated (level, region or text), lifted.
CREATE TABLE alert_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    level      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    actor      TEXT NOT NULL,
    at         DATETIME NOT NULL,
    messages   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);

-- alert_schools is each school's state for an alert: notified, and acknowledged by whom and when.
CREATE TABLE alert_schools (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id          INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    school_id         INTEGER NOT NULL REFERENCES schools(id),
    district_id       INTEGER NOT NULL,
    notified_at       DATETIME NOT NULL,
    acknowledged_at   DATETIME,
    ack_contact_id    INTEGER,
    ack_user_id       INTEGER,
    ack_by_name       TEXT NOT NULL DEFAULT '',
    UNIQUE (alert_id, school_id)
);
CREATE INDEX alert_schools_unacked ON alert_schools (alert_id) WHERE acknowledged_at IS NULL;

-- safety_rounds: while an orange or red alert is active every school files a 平安报 per round.
CREATE TABLE safety_rounds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    opened_at  DATETIME NOT NULL,
    due_at     DATETIME NOT NULL,
    -- summary_sent_at: when the round's summary went to the leaders (once, at due time).
    summary_sent_at DATETIME,
    UNIQUE (alert_id, label)
);

CREATE TABLE safety_reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id        INTEGER NOT NULL REFERENCES safety_rounds(id) ON DELETE CASCADE,
    school_id       INTEGER NOT NULL REFERENCES schools(id),
    district_id     INTEGER NOT NULL,
    state           TEXT NOT NULL,
    injured         INTEGER NOT NULL DEFAULT 0,
    property_loss   INTEGER NOT NULL DEFAULT 0,
    description     TEXT NOT NULL DEFAULT '',
    reporter_name   TEXT NOT NULL DEFAULT '',
    contact_id      INTEGER,
    user_id         INTEGER,
    filed_at        DATETIME NOT NULL,
    late            BOOLEAN NOT NULL DEFAULT 0,
    UNIQUE (round_id, school_id)
);

-- cap_messages remembers every CAP message ingested, by "sender,identifier", and the alert it
-- created or changed: a feed that repeats itself changes nothing, and Update/Cancel messages find
-- their alert through references.
CREATE TABLE cap_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cap_key     TEXT NOT NULL UNIQUE,
    alert_id    INTEGER,
    msg_type    TEXT NOT NULL,
    action      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    received_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE cap_messages;
DROP TABLE safety_reports;
DROP TABLE safety_rounds;
DROP TABLE alert_schools;
DROP TABLE alert_events;
DROP TABLE alert_districts;
DROP TABLE alerts;
