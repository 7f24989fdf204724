-- +goose Up
-- incidents: one row per event (一事一报). school_id and district_id are copied from the school at
-- filing so that scoping a list is one indexed comparison. serial (期号, e.g. 2026-033) is given at
-- the first signature; late_reports and missed_reports keep 迟报 and 漏报 forever for statistics.
CREATE TABLE incidents (
    id             BIGSERIAL PRIMARY KEY,
    school_id      BIGINT NOT NULL REFERENCES schools(id),
    district_id    BIGINT NOT NULL REFERENCES districts(id),
    title          TEXT NOT NULL,
    category       TEXT NOT NULL,
    subtype        TEXT NOT NULL DEFAULT '',
    sensitive      BOOLEAN NOT NULL DEFAULT FALSE,
    severity       INTEGER NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    place          TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    serial         TEXT UNIQUE,
    last_report_at TIMESTAMPTZ,
    resolved_at    TIMESTAMPTZ,
    closed_at      TIMESTAMPTZ,
    late_reports   INTEGER NOT NULL DEFAULT 0,
    missed_reports INTEGER NOT NULL DEFAULT 0,
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX incidents_school ON incidents (school_id);
CREATE INDEX incidents_district ON incidents (district_id);
CREATE INDEX incidents_occurred_at ON incidents (occurred_at);

-- incident_reports: the initial report (首报, in writing or taken down by phone), follow-ups
-- (续报, numbered) and the final report (终报). Drafts are rows too, so a school on a bad network
-- can save and submit later.
CREATE TABLE incident_reports (
    id             BIGSERIAL PRIMARY KEY,
    incident_id    BIGINT NOT NULL REFERENCES incidents(id),
    school_id      BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    number         INTEGER NOT NULL DEFAULT 0,
    channel        TEXT NOT NULL,
    status         TEXT NOT NULL,
    severity       INTEGER NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    dead           INTEGER NOT NULL DEFAULT 0,
    injured        INTEGER NOT NULL DEFAULT 0,
    missing        INTEGER NOT NULL DEFAULT 0,
    property_loss  BIGINT NOT NULL DEFAULT 0,
    cause          TEXT NOT NULL DEFAULT '',
    measures       TEXT NOT NULL DEFAULT '',
    leaders_on_site TEXT NOT NULL DEFAULT '',
    next_steps     TEXT NOT NULL DEFAULT '',
    reporter_name  TEXT NOT NULL DEFAULT '',
    reporter_phone TEXT NOT NULL DEFAULT '',
    resolved       BOOLEAN NOT NULL DEFAULT FALSE,
    late           BOOLEAN NOT NULL DEFAULT FALSE,
    late_reason    TEXT NOT NULL DEFAULT '',
    -- phone intake (电话接报): when the call came and who called and was told
    received_at    TIMESTAMPTZ,
    caller_unit    TEXT NOT NULL DEFAULT '',
    caller_name    TEXT NOT NULL DEFAULT '',
    caller_title   TEXT NOT NULL DEFAULT '',
    caller_phone   TEXT NOT NULL DEFAULT '',
    also_notified  TEXT NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL REFERENCES users(id),
    submitted_at   TIMESTAMPTZ,
    signed_at      TIMESTAMPTZ,
    signed_by      BIGINT REFERENCES users(id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX incident_reports_incident ON incident_reports (incident_id);
-- Follow-ups are numbered once per incident; drafts (number 0) are not.
CREATE UNIQUE INDEX incident_reports_number ON incident_reports (incident_id, kind, number) WHERE number > 0;

-- report_forwards: the desk forwarding (上报) a report upward: to whom and how.
CREATE TABLE report_forwards (
    id           BIGSERIAL PRIMARY KEY,
    report_id    BIGINT NOT NULL REFERENCES incident_reports(id),
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    recipient    TEXT NOT NULL,
    method       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    forwarded_by BIGINT NOT NULL REFERENCES users(id),
    forwarded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_forwards_incident ON report_forwards (incident_id);

-- incident_instructions: a leader's instruction (批示) and the school's answer.
CREATE TABLE incident_instructions (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    report_id   BIGINT REFERENCES incident_reports(id),
    school_id   BIGINT NOT NULL,
    district_id BIGINT NOT NULL,
    text        TEXT NOT NULL,
    given_by    BIGINT NOT NULL REFERENCES users(id),
    given_at    TIMESTAMPTZ NOT NULL,
    reply       TEXT NOT NULL DEFAULT '',
    replied_by  BIGINT REFERENCES users(id),
    replied_at  TIMESTAMPTZ
);
CREATE INDEX incident_instructions_incident ON incident_instructions (incident_id);

-- serial_counters: the last 期号 given per year. Signing increments it with
-- UPDATE … SET n = n + 1 … RETURNING inside the signing transaction; the row lock makes serials
-- gap-free and unique across replicas, and a rolled-back signature gives its number back.
CREATE TABLE serial_counters (
    year INTEGER PRIMARY KEY,
    n    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE serial_counters;
DROP TABLE incident_instructions;
DROP TABLE report_forwards;
DROP TABLE incident_reports;
DROP TABLE incidents;
