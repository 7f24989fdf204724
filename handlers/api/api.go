// Package api is DutyDesk's JSON API: one file per resource, handlers that bind, call the stores
// and render, the error envelope every route answers with, and the OpenAPI document.
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dutydesk/config"
	"dutydesk/models/app"
)

// API is the JSON API under /api/v1: one method per route, each binding the request, calling the
// stores (which authorise and apply the rules) and rendering the answer or the error envelope.
// The console embeds it for the stores, the settings and the login limits.
type API struct {
	Config config.Config
	Store  *app.Stores
	// Ping checks the database for /readyz.
	Ping func(ctx context.Context) error
	// LoginByUser and LoginByAddr limit login attempts per account and per client address.
	LoginByUser *keyedLimiter
	LoginByAddr *keyedLimiter
}

// New returns the API over stores; ping checks the database for /readyz.
func New(cfg config.Config, stores *app.Stores, ping func(ctx context.Context) error) *API {
	return &API{
		Config: cfg, Store: stores, Ping: ping,
		LoginByUser: NewKeyedLimiter(cfg.LoginRatePerMinute),
		LoginByAddr: NewKeyedLimiter(cfg.LoginRatePerMinute * 5),
	}
}

// Healthz says the process is alive.
func (a *API) Healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// Readyz says whether the service can do its work: the database answers within 2 s.
func (a *API) Readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.Ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
}
