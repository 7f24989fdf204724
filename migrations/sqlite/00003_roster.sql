-- +goose Up
-- The duty roster (值班表): shift templates, generated shifts with their assignments, rotations,
-- leave, holiday overrides, swaps (调班), the duty log (值班日志), handovers (交接班) and the secret
-- calendar feed tokens. Times are UTC; wall-clock template times are read in the bureau's zone.
CREATE TABLE shift_templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    start_time TEXT NOT NULL, -- HH:MM wall clock
    end_time   TEXT NOT NULL, -- HH:MM; not after start_time means the next day (equal: 24 hours)
    leaders    INTEGER NOT NULL,
    officers   INTEGER NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id INTEGER REFERENCES shift_templates(id),
    name        TEXT NOT NULL,
    starts_at   DATETIME NOT NULL,
    ends_at     DATETIME NOT NULL,
    holiday     TEXT NOT NULL DEFAULT '',
    enhanced    BOOLEAN NOT NULL DEFAULT 0,
    confirmed   BOOLEAN NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    UNIQUE (template_id, starts_at)
);
CREATE INDEX shifts_starts_at ON shifts (starts_at);

-- assignments copy their shift's interval so that "who is on duty now" is one indexed query.
CREATE TABLE assignments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    shift_id   INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    starts_at  DATETIME NOT NULL,
    ends_at    DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (shift_id, user_id)
);
CREATE INDEX assignments_ends_at ON assignments (ends_at, starts_at);
CREATE INDEX assignments_user ON assignments (user_id, starts_at);

CREATE TABLE rotation_members (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    role     TEXT NOT NULL,
    position INTEGER NOT NULL,
    user_id  INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (role, position),
    UNIQUE (role, user_id)
);

CREATE TABLE leaves (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    starts_at  DATETIME NOT NULL,
    ends_at    DATETIME NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE INDEX leaves_user ON leaves (user_id, ends_at);

-- holiday_overrides replace the shipped calendar (models/holidays/*.json) for one day.
CREATE TABLE holiday_overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day        TEXT NOT NULL UNIQUE, -- YYYY-MM-DD
    kind       TEXT NOT NULL,        -- holiday, workday or normal
    name       TEXT NOT NULL DEFAULT '',
    rules      TEXT NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
);

CREATE TABLE swaps (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_id         INTEGER NOT NULL REFERENCES users(id),
    assignment_id        INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    target_id            INTEGER NOT NULL REFERENCES users(id),
    target_assignment_id INTEGER REFERENCES assignments(id) ON DELETE CASCADE,
    reason               TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL,
    accepted_at          DATETIME,
    decided_by           INTEGER REFERENCES users(id),
    decided_at           DATETIME,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
);
CREATE INDEX swaps_status ON swaps (status, id);

-- duty_log_entries are append-only: a correction is a new entry naming the one it corrects.
CREATE TABLE duty_log_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    shift_id     INTEGER REFERENCES shifts(id),
    author_id    INTEGER NOT NULL REFERENCES users(id),
    occurred_at  DATETIME NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL,
    action_taken TEXT NOT NULL DEFAULT '',
    corrects_id  INTEGER REFERENCES duty_log_entries(id),
    created_at   DATETIME NOT NULL
);
CREATE INDEX duty_log_entries_occurred_at ON duty_log_entries (occurred_at);

CREATE TABLE handovers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    shift_id     INTEGER NOT NULL UNIQUE REFERENCES shifts(id),
    outgoing_id  INTEGER NOT NULL REFERENCES users(id),
    summary      TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    open_items   TEXT NOT NULL DEFAULT '[]', -- JSON, filled from the open deadlines at submission
    submitted_at DATETIME NOT NULL,
    due_at       DATETIME NOT NULL,
    signed_by    INTEGER REFERENCES users(id),
    signed_at    DATETIME
);
CREATE INDEX handovers_submitted_at ON handovers (submitted_at);

-- calendar_feeds: one secret per person for the subscribable ICS feed; only its SHA-256 is kept.
CREATE TABLE calendar_feeds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE handovers;
DROP TABLE duty_log_entries;
DROP TABLE swaps;
DROP TABLE holiday_overrides;
DROP TABLE leaves;
DROP TABLE rotation_members;
DROP TABLE assignments;
DROP TABLE shifts;
DROP TABLE shift_templates;
