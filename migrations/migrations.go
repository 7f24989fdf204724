// Package migrations embeds DutyDesk's versioned SQL schema, one folder per dialect.
// Files are goose migrations: NNNNN_name.sql with "-- +goose Up" / "-- +goose Down" sections.
// Never edit a migration that has shipped; add a new one.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
