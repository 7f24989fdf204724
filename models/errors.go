package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrorCode classifies an Error; the HTTP layer maps each code to exactly one status.
type ErrorCode string

// The error codes DutyDesk uses.
const (
	ECONFLICT     ErrorCode = "conflict"     // the request clashes with current state
	EFORBIDDEN    ErrorCode = "forbidden"    // authenticated but not allowed
	EINTERNAL     ErrorCode = "internal"     // our fault; details are logged, never shown
	EINVALID      ErrorCode = "invalid"      // the input is wrong; Fields says where
	ENOTFOUND     ErrorCode = "not_found"    // no such thing (or not visible to this user)
	EUNAUTHORIZED ErrorCode = "unauthorized" // not logged in, or the credentials are wrong
	ETOOMANY      ErrorCode = "too_many_requests"
	EUNAVAILABLE  ErrorCode = "unavailable" // a dependency (the database) is down; try again
	EMALFORMED    ErrorCode = "bad_request" // the request itself cannot be read (bad JSON, wrong types)
	ETOOLARGE     ErrorCode = "too_large"   // the body exceeds its limit
)

// Error is a domain error with a code, a human message (zh-CN where users see it) and per-field details.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  map[string]string
	// Details carries structured problems that do not fit Fields, such as an import's row errors.
	Details any
	// Err is the cause, if any: the database error behind a not_found, conflict or unavailable
	// (models/store translates them). It is logged, never shown.
	Err error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an Error with the given code and message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrCode returns the code of the first *Error in err's chain, EINTERNAL for any other error,
// and "" for nil. Database errors come as *Error too (not_found, conflict, unavailable): the
// store translates what its statements return (store.Translate).
func ErrCode(err error) ErrorCode {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// Problems collects per-field validation messages; Err returns nil when there are none.
type Problems map[string]string

// Add records msg for field unless the field already has a message.
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = msg
	}
}

// Err returns an EINVALID *Error listing the problems, or nil.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "输入有误，请检查标出的字段", Fields: p}
}

// NotFound turns a not-found into an ENOTFOUND naming the thing; other errors pass through.
func NotFound(what string, err error) error {
	if ErrCode(err) == ENOTFOUND {
		return &Error{Code: ENOTFOUND, Message: what + "不存在", Err: err}
	}
	return err
}

// ErrForbidden is what every refused action answers.
var ErrForbidden = Errorf(EFORBIDDEN, "无权进行此操作")
