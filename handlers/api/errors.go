package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/store"
)

// ErrorStatus is the one mapping from error code to HTTP status.
var ErrorStatus = map[models.ErrorCode]int{
	models.EMALFORMED:    http.StatusBadRequest,
	models.EINVALID:      http.StatusUnprocessableEntity,
	models.EUNAUTHORIZED: http.StatusUnauthorized,
	models.EFORBIDDEN:    http.StatusForbidden,
	models.ENOTFOUND:     http.StatusNotFound,
	models.ECONFLICT:     http.StatusConflict,
	models.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	models.ETOOMANY:      http.StatusTooManyRequests,
	models.EUNAVAILABLE:  http.StatusServiceUnavailable,
	models.EINTERNAL:     http.StatusInternalServerError,
}

// apiCode is the code clients see; "invalid" reads better to them as "validation_failed".
func apiCode(code models.ErrorCode) string {
	if code == models.EINVALID {
		return "validation_failed"
	}
	return string(code)
}

type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Details any               `json:"details,omitempty"`
}

// RespondError writes err as the JSON error envelope and aborts the request. Errors that are not a
// *models.Error are logged once and shown to the client only as "internal error".
func RespondError(c *gin.Context, err error) {
	e, status := PublicError(c, err)
	c.AbortWithStatusJSON(status, gin.H{"error": ErrorBody{Code: apiCode(e.Code), Message: e.Message, Fields: e.Fields, Details: e.Details}})
}

// PublicError is err as users may see it, with its HTTP status: a *models.Error (the store's
// database errors among them: not found, conflict, unavailable) as it is, anything else logged
// once and shown only as "internal error".
func PublicError(c *gin.Context, err error) (*models.Error, int) {
	err = store.Translate(err)
	var e *models.Error
	switch {
	case !errors.As(err, &e):
		slog.ErrorContext(c.Request.Context(), "internal error", "err", err, "request_id", RequestID(c),
			"method", c.Request.Method, "path", c.FullPath())
		e = models.Errorf(models.EINTERNAL, "服务器内部错误")
	case e.Code == models.EUNAVAILABLE:
		slog.ErrorContext(c.Request.Context(), "database unavailable", "err", err, "request_id", RequestID(c))
	}
	status, ok := ErrorStatus[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return e, status
}

// bindJSON decodes the request body into v, refusing invalid UTF-8, unknown fields, wrong types,
// trailing data and bodies over the limit, with an error that says which field is wrong.
func bindJSON(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return BodyReadError(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return models.Errorf(models.EMALFORMED, "请求体为空，应为 JSON 对象")
	}
	if !utf8.Valid(raw) {
		return models.Errorf(models.EMALFORMED, "请求体不是有效的 UTF-8 文本")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return models.Errorf(models.EMALFORMED, "请求体只能包含一个 JSON 对象")
	}
	return nil
}

// decodeError explains a JSON decoding error, naming the field where it can.
func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EMALFORMED, "请求体不是有效的 JSON")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return models.Errorf(models.EMALFORMED, "请求体应为 JSON 对象")
		}
		return &models.Error{Code: models.EMALFORMED, Message: "字段类型错误",
			Fields: map[string]string{typeErr.Field: fmt.Sprintf("应为 %s 类型", jsonKind(typeErr.Type.Kind().String()))}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &models.Error{Code: models.EMALFORMED, Message: "包含未知字段", Fields: map[string]string{field: "未知字段"}}
	}
	return models.Errorf(models.EMALFORMED, "请求体无法解析")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return goKind
}

func TooLarge(limit int64) error {
	return models.Errorf(models.ETOOLARGE, "请求体超过 %d 字节上限", limit)
}

// bodyOrFieldError explains a failure to read a form field: an oversized body, or a missing field.
func bodyOrFieldError(err error, field, msg string) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return TooLarge(maxErr.Limit)
	}
	return &models.Error{Code: models.EMALFORMED, Message: msg, Fields: map[string]string{field: msg}}
}

// BodyReadError explains a failure to read the request body.
func BodyReadError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return TooLarge(maxErr.Limit)
	}
	return models.Errorf(models.EMALFORMED, "无法读取请求体")
}
