-- +goose Up
-- The duty roster (值班表): shift templates, generated shifts with their assignments, rotations,
-- leave, holiday overrides, swaps (调班), the duty log (值班日志), handovers (交接班) and the secret
-- calendar feed tokens. Times are UTC; wall-clock template times are read in the bureau's zone.
CREATE TABLE shift_templates (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    start_time TEXT NOT NULL, -- HH:MM wall clock
    end_time   TEXT NOT NULL, -- HH:MM; not after start_time means the next day (equal: 24 hours)
    leaders    INTEGER NOT NULL,
    officers   INTEGER NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE shifts (
    id          BIGSERIAL PRIMARY KEY,
    template_id BIGINT REFERENCES shift_templates(id),
    name        TEXT NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
    holiday     TEXT NOT NULL DEFAULT '',
    enhanced    BOOLEAN NOT NULL DEFAULT FALSE,
    confirmed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (template_id, starts_at)
);
CREATE INDEX shifts_starts_at ON shifts (starts_at);

-- assignments copy their shift's interval so that "who is on duty now" is one indexed query.
CREATE TABLE assignments (
    id         BIGSERIAL PRIMARY KEY,
    shift_id   BIGINT NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (shift_id, user_id)
);
CREATE INDEX assignments_ends_at ON assignments (ends_at, starts_at);
CREATE INDEX assignments_user ON assignments (user_id, starts_at);

CREATE TABLE rotation_members (
    id       BIGSERIAL PRIMARY KEY,
    role     TEXT NOT NULL,
    position INTEGER NOT NULL,
    user_id  BIGINT NOT NULL REFERENCES users(id),
    UNIQUE (role, position),
    UNIQUE (role, user_id)
);

CREATE TABLE leaves (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX leaves_user ON leaves (user_id, ends_at);

-- holiday_overrides replace the shipped calendar (models/holidays/*.json) for one day.
CREATE TABLE holiday_overrides (
    id         BIGSERIAL PRIMARY KEY,
    day        TEXT NOT NULL UNIQUE, -- YYYY-MM-DD
    kind       TEXT NOT NULL,        -- holiday, workday or normal
    name       TEXT NOT NULL DEFAULT '',
    rules      TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE swaps (
    id                   BIGSERIAL PRIMARY KEY,
    requester_id         BIGINT NOT NULL REFERENCES users(id),
    assignment_id        BIGINT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    target_id            BIGINT NOT NULL REFERENCES users(id),
    target_assignment_id BIGINT REFERENCES assignments(id) ON DELETE CASCADE,
    reason               TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL,
    accepted_at          TIMESTAMPTZ,
    decided_by           BIGINT REFERENCES users(id),
    decided_at           TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX swaps_status ON swaps (status, id);

-- duty_log_entries are append-only: a correction is a new entry naming the one it corrects.
CREATE TABLE duty_log_entries (
    id           BIGSERIAL PRIMARY KEY,
    shift_id     BIGINT REFERENCES shifts(id),
    author_id    BIGINT NOT NULL REFERENCES users(id),
    occurred_at  TIMESTAMPTZ NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL,
    action_taken TEXT NOT NULL DEFAULT '',
    corrects_id  BIGINT REFERENCES duty_log_entries(id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX duty_log_entries_occurred_at ON duty_log_entries (occurred_at);

CREATE TABLE handovers (
    id           BIGSERIAL PRIMARY KEY,
    shift_id     BIGINT NOT NULL UNIQUE REFERENCES shifts(id),
    outgoing_id  BIGINT NOT NULL REFERENCES users(id),
    summary      TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    open_items   TEXT NOT NULL DEFAULT '[]', -- JSON, filled from the open deadlines at submission
    submitted_at TIMESTAMPTZ NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    signed_by    BIGINT REFERENCES users(id),
    signed_at    TIMESTAMPTZ
);
CREATE INDEX handovers_submitted_at ON handovers (submitted_at);

-- calendar_feeds: one secret per person for the subscribable ICS feed; only its SHA-256 is kept.
CREATE TABLE calendar_feeds (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL UNIQUE REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
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
