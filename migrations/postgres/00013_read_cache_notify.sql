-- +goose Up
-- The read cache (models/readcache.go) keeps sessions and the on-duty answer for a few seconds
-- on each replica. These triggers tell every replica, at commit, that a row behind those answers
-- changed, whoever changed it. A new session (INSERT on sessions) cannot make an answer stale.
-- +goose StatementBegin
CREATE FUNCTION dutydesk_notify_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dutydesk_cache', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_notify_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION dutydesk_notify_cache();
CREATE TRIGGER sessions_notify_cache AFTER UPDATE OR DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION dutydesk_notify_cache();
CREATE TRIGGER assignments_notify_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON assignments
    FOR EACH STATEMENT EXECUTE FUNCTION dutydesk_notify_cache();

-- +goose Down
DROP TRIGGER assignments_notify_cache ON assignments;
DROP TRIGGER sessions_notify_cache ON sessions;
DROP TRIGGER users_notify_cache ON users;
DROP FUNCTION dutydesk_notify_cache();
