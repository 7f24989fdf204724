-- +goose Up
-- On PostgreSQL this version adds the triggers that keep every replica's read cache fresh
-- (models/readcache.go). SQLite has no read cache, so it has nothing to do; the version is kept
-- so that both dialects count the same migrations.
SELECT 1;

-- +goose Down
SELECT 1;
