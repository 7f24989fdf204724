// Package stats computes the figures of the annual summary (统计): incidents, reports on time, late
// and missing, warnings and acknowledgements, safety reports, escalations and duty, read over
// every domain's tables, and renders the summary's prose from a template. It changes nothing.
package stats

import "dutydesk/models/store"

// Store reads the statistics.
type Store struct {
	db *store.Store
}

// New returns the statistics over db.
func New(db *store.Store) *Store { return &Store{db: db} }
