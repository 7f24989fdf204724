package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"dutydesk/models"
)

// Database errors leave the store as *models.Error with the cause inside (errors.Is still finds
// gorm.ErrRecordNotFound and the PostgreSQL error): a missing row is not_found, a duplicate key
// or a broken reference conflict, an unreachable database unavailable. Everything else stays as
// it is, an internal error for the HTTP layer to log.

// Translate gives err its DutyDesk code, if it has one. The store translates what its statements
// return; a few errors surface later (a scan's rows.Err after GORM's callbacks), so the HTTP layer
// translates once more before it answers.
func Translate(err error) error {
	var e *models.Error
	switch {
	case err == nil || errors.As(err, &e):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &models.Error{Code: models.ENOTFOUND, Message: "记录不存在", Err: err}
	case IsUniqueViolation(err), errors.Is(err, gorm.ErrForeignKeyViolated):
		return &models.Error{Code: models.ECONFLICT, Message: "与现有数据冲突", Err: err}
	case unavailable(err):
		return &models.Error{Code: models.EUNAVAILABLE, Message: "服务暂时不可用，请稍后重试", Err: err}
	}
	return err
}

// unavailable tells whether err means the database could not be reached: refused or failed
// connections, a connection dropped mid-query (a restarting server: unexpected EOF), a timeout, or
// PostgreSQL saying it is shutting down or starting up (SQLSTATE classes 08 and 57P).
func unavailable(err error) bool {
	var netErr net.Error
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) || errors.As(err, &connErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// registerTranslation translates the error of every statement GORM runs, at the end of its
// callbacks: errors set there directly (a query's, a scan's) never pass through the dialector's
// translation, and a dropped connection must be unavailable wherever it surfaces.
func registerTranslation(db *gorm.DB) error {
	translateStatement := func(tx *gorm.DB) {
		if tx.Error == nil {
			return
		}
		err := tx.Error
		if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok {
			err = t.Translate(err)
		}
		tx.Error = Translate(err)
	}
	cb, name := db.Callback(), "dutydesk:translate_error"
	return errors.Join(
		cb.Create().After("*").Register(name, translateStatement),
		cb.Query().After("*").Register(name, translateStatement),
		cb.Update().After("*").Register(name, translateStatement),
		cb.Delete().After("*").Register(name, translateStatement),
		cb.Row().After("*").Register(name, translateStatement),
		cb.Raw().After("*").Register(name, translateStatement),
	)
}
