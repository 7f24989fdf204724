-- +goose Up
-- The directory (districts, schools, contacts), accounts, sessions, audit and idempotency keys:
-- the ground every later table refers to. Times are UTC (timestamptz).
CREATE TABLE districts (
    id         BIGSERIAL PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE schools (
    id           BIGSERIAL PRIMARY KEY,
    district_id  BIGINT NOT NULL REFERENCES districts(id),
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    -- unified_code is the 统一社会信用代码; not every kindergarten has one.
    unified_code TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (district_id, name)
);
CREATE UNIQUE INDEX schools_unified_code ON schools (unified_code) WHERE unified_code IS NOT NULL;

CREATE TABLE contacts (
    id         BIGSERIAL PRIMARY KEY,
    school_id  BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    mobile     TEXT NOT NULL DEFAULT '',
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    district_id   BIGINT REFERENCES districts(id),
    school_id     BIGINT REFERENCES schools(id),
    email         TEXT NOT NULL DEFAULT '',
    mobile        TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_entries (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     BIGINT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   BIGINT,
    summary      TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entries_at ON audit_entries (at);
CREATE INDEX audit_entries_subject ON audit_entries (subject_type, subject_id);

-- idempotency_keys remembers the answer to a creating request so that a retry with the same
-- Idempotency-Key gets the same answer instead of a second record.
CREATE TABLE idempotency_keys (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0,
    response_body BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE audit_entries;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE contacts;
DROP TABLE schools;
DROP TABLE districts;
