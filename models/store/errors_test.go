package store_test

import (
	"context"
	"errors"
	"testing"

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
