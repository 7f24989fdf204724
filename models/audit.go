package models

import (
	"context"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id that audit entries record.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// System is the actor for changes the system makes by itself (start-up, cron jobs, imports from
// the command line).
var System = &User{Username: "system", DisplayName: "系统", Role: RoleAdmin}
