package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/models/app"
)

// withRequestID gives every request an id (the client's X-Request-ID if sane), echoes it in the
// response, and puts it in the request context so audit entries and logs carry it.
func withRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if id == "" || len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
			buf := make([]byte, 8)
			_, _ = rand.Read(buf)
			id = hex.EncodeToString(buf)
		}
		c.Set(api.CtxRequestID, id)
		c.Header("X-Request-ID", id)
		c.Request = c.Request.WithContext(models.WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

// httpMetrics counts requests and their durations by route pattern (never the raw path, which
// would make one series per id).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutydesk_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dutydesk_http_request_duration_seconds", Help: "HTTP request duration by method and route.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// logAndMeasure writes one JSON log line per request and records its metrics.
func logAndMeasure(m *httpMetrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"method", c.Request.Method, "route", route, "status", status,
			"duration_ms", elapsed.Milliseconds(), "request_id", api.RequestID(c), "client", c.ClientIP()}
		if u := api.CurrentUser(c); u != nil {
			attrs = append(attrs, "user", u.Username)
		}
		slog.Log(c.Request.Context(), level, "http request", attrs...)
	}
}

// recoverPanics turns a panic into a logged stack trace and a plain 500 envelope.
func recoverPanics() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				slog.Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()), "request_id", api.RequestID(c))
				api.RespondError(c, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// contentSecurityPolicy lets pages load scripts, styles and images from this service only, and
// nothing frame them; JSON answers are not affected by it.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets headers every response should carry. hsts adds Strict-Transport-Security,
// for a service reached over HTTPS (BaseURL https://…): browsers then never try plain HTTP.
func securityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		c.Next()
	}
}

// timeout bounds the work of each request: the store's queries share the request's context, so a
// database that stops answering ends in a 503 after d instead of a request that hangs. A zero d
// (a Config not from Defaults) leaves requests unbounded.
func timeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d <= 0 {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// limitBody caps every request body; uploads get the larger limit.
func limitBody(maxBody, maxUpload int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := maxBody
		if strings.HasPrefix(c.ContentType(), "multipart/") {
			limit = maxUpload
		}
		if c.Request.ContentLength > limit {
			api.RespondError(c, api.TooLarge(limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// requireAuth authenticates the Bearer token and puts the user in the context.
func requireAuth(store *app.Stores) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok {
			api.RespondError(c, models.Errorf(models.EUNAUTHORIZED, "请先登录（Authorization: Bearer <token>）"))
			return
		}
		user, sess, err := store.Directory.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			api.RespondError(c, err)
			return
		}
		c.Set(api.CtxUser, user)
		c.Set(api.CtxSession, sess)
		c.Next()
	}
}

// bodyRecorder keeps a copy of what a handler writes, for idempotent replay.
type bodyRecorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *bodyRecorder) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// idempotent makes a creating request safe to retry: with an Idempotency-Key header, the first
// successful (2xx) answer is stored and replayed for any retry of the same request by the same
// user; after a refusal (4xx) or a server error the key is free again for the corrected retry.
func idempotent(store *app.Stores) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		if key == "" {
			c.Next()
			return
		}
		if len(key) > 200 {
			api.RespondError(c, &models.Error{Code: models.EMALFORMED, Message: "Idempotency-Key 过长", Fields: map[string]string{"Idempotency-Key": "不超过200字符"}})
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			api.RespondError(c, api.BodyReadError(err))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
		user := api.CurrentUser(c)
		ctx := c.Request.Context()
		replay, err := store.ClaimIdempotencyKey(ctx, user.ID, key, hex.EncodeToString(sum[:]))
		if err != nil {
			api.RespondError(c, err)
			return
		}
		if replay != nil {
			c.Header("Idempotent-Replayed", "true")
			c.Data(replay.Status, "application/json; charset=utf-8", replay.ResponseBody)
			c.Abort()
			return
		}
		rec := &bodyRecorder{ResponseWriter: c.Writer}
		c.Writer = rec
		c.Next()
		if err := store.FinishIdempotencyKey(ctx, user.ID, key, rec.Status(), rec.buf.Bytes()); err != nil {
			slog.ErrorContext(ctx, "store idempotent response", "err", err, "request_id", api.RequestID(c))
		}
	}
}
