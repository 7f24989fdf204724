-- +goose Up
-- Indexes for the statistics (GET /api/v1/stats): the 期号 issued in a period are found by the
-- reports signed in it, alerts by their time of issue, and handover deadlines by kind and due time.
-- Everything else the statistics read is reached through existing indexes (incidents by occurrence,
-- deadlines by subject, escalations by firing time, shifts by start).
CREATE INDEX incident_reports_signed_at ON incident_reports (signed_at) WHERE signed_at IS NOT NULL;
CREATE INDEX alerts_issued_at ON alerts (issued_at);
CREATE INDEX deadlines_kind_due ON deadlines (kind, due_at);

-- +goose Down
DROP INDEX deadlines_kind_due;
DROP INDEX alerts_issued_at;
DROP INDEX incident_reports_signed_at;
