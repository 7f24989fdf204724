package models

import (
	"strconv"
)

// Page asks for one page of a list: up to Limit items after the item with ID Cursor.
type Page struct {
	Limit  int
	Cursor int64
}

// DefaultPageSize and MaxPageSize bound list pages.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// FormatID writes an id in decimal.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }

// Normalize clamps the page size into [1, MaxPageSize].
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	return p
}

// PageResult trims the extra row fetched by Page.apply and returns the next cursor (0 at the end).
func PageResult[T any](items []T, p Page, id func(T) int64) ([]T, int64) {
	if len(items) <= p.Limit {
		return items, 0
	}
	items = items[:p.Limit]
	return items, id(items[len(items)-1])
}
