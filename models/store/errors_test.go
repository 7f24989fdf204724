package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// TestDatabaseErrorsCarryTheirCodes: what the HTTP layer shows of a database error is decided
// here, by code, with the cause kept for the log.
func TestDatabaseErrorsCarryTheirCodes(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		ctx := context.Background()
		clock := testenv.Clock()
		db := testenv.OpenDB(t, dialect, clock)
		core := testenv.Core(db, clock)

		t.Run("MissingRowIsNotFound", func(t *testing.T) {
			err := core.Conn(ctx).Take(&directory.District{}, 999).Error
			if models.ErrCode(err) != models.ENOTFOUND || !errors.Is(err, gorm.ErrRecordNotFound) {
				t.Fatalf("got %v (code %q)", err, models.ErrCode(err))
			}
		})
		t.Run("DuplicateKeyIsConflict", func(t *testing.T) {
			d := directory.District{Code: "330101", Name: "上城区"}
			if err := core.Conn(ctx).Create(&d).Error; err != nil {
				t.Fatal(err)
			}
			err := core.Conn(ctx).Create(&directory.District{Code: "330101", Name: "另一个区"}).Error
			if models.ErrCode(err) != models.ECONFLICT || !store.IsUniqueViolation(err) {
				t.Fatalf("got %v (code %q)", err, models.ErrCode(err))
			}
		})
		t.Run("ScanOfAMissingTableIsInternal", func(t *testing.T) {
			var n int
			err := core.Conn(ctx).Raw("SELECT COUNT(*) FROM no_such_table").Scan(&n).Error
			if err == nil || models.ErrCode(err) != models.EINTERNAL {
				t.Fatalf("got %v (code %q)", err, models.ErrCode(err))
			}
		})
	})
}

// TestTranslate: the codes of errors as they come from the drivers, wherever they surface.
func TestTranslate(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want models.ErrorCode
	}{
		{"AdminShutdown", fmt.Errorf("scan: %w", &pgconn.PgError{Code: "57P01"}), models.EUNAVAILABLE},
		{"ConnectionDropped", fmt.Errorf("authenticate: %w", io.ErrUnexpectedEOF), models.EUNAVAILABLE},
		{"RequestTimedOut", context.DeadlineExceeded, models.EUNAVAILABLE},
		{"UniqueViolationPastGORM", &pgconn.PgError{Code: "23505"}, models.ECONFLICT}, // a COPY's
		{"NotFound", fmt.Errorf("take: %w", gorm.ErrRecordNotFound), models.ENOTFOUND},
		{"Duplicate", gorm.ErrDuplicatedKey, models.ECONFLICT},
		{"DomainErrorKept", models.Errorf(models.EFORBIDDEN, "无权"), models.EFORBIDDEN},
		{"Other", errors.New("boom"), models.EINTERNAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := store.Translate(c.err)
			if models.ErrCode(got) != c.want {
				t.Fatalf("Translate(%v) = %v (code %q), want %q", c.err, got, models.ErrCode(got), c.want)
			}
			if !errors.Is(got, c.err) {
				t.Fatalf("Translate(%v) lost the cause: %v", c.err, got)
			}
		})
	}
	if store.Translate(nil) != nil {
		t.Fatal("Translate(nil) is not nil")
	}
}
