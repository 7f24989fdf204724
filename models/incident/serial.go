package incident

import (
	"context"
	"fmt"
)

// nextSerial takes the next yearly serial number (期号) inside the caller's transaction and returns
// it formatted, e.g. "2026-033". The counter row is incremented with UPDATE … RETURNING: on
// PostgreSQL its row lock makes a concurrent signer wait for this transaction, so numbers are
// unique and gap-free across replicas, and a rolled-back signature gives its number back; SQLite
// has a single writer.
func (s *Store) nextSerial(ctx context.Context, year int) (string, error) {
	db := s.db.Conn(ctx)
	if err := db.Exec("INSERT INTO serial_counters (year, n) VALUES (?, 0) ON CONFLICT (year) DO NOTHING", year).Error; err != nil {
		return "", fmt.Errorf("serial counter %d: %w", year, err)
	}
	var n int
	if err := db.Raw("UPDATE serial_counters SET n = n + 1 WHERE year = ? RETURNING n", year).Scan(&n).Error; err != nil {
		return "", fmt.Errorf("next serial %d: %w", year, err)
	}
	if n == 0 {
		return "", fmt.Errorf("next serial %d: counter row missing", year)
	}
	return FormatSerial(year, n), nil
}

// FormatSerial writes a 期号 as year and at least three digits: 2026-033.
func FormatSerial(year, n int) string { return fmt.Sprintf("%d-%03d", year, n) }
