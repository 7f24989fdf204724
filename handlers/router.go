// Package handlers is DutyDesk's HTTP layer: the Gin router, middleware and one file per resource.
// Handlers bind, call the store (which authorises and applies the rules), and render.
package handlers

import (
	"context"
	"dutydesk/models/app"
	"dutydesk/models/roster"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dutydesk/config"
	"dutydesk/models"
)

// Deps is what the router needs.
type Deps struct {
	Config config.Config
	Store  *app.Stores
	// Ping checks the database for /readyz.
	Ping func(ctx context.Context) error
	// Registry collects metrics; nil means a new one.
	Registry *prometheus.Registry
}

type api struct {
	cfg         config.Config
	store       *app.Stores
	ping        func(ctx context.Context) error
	loginByUser *keyedLimiter
	loginByAddr *keyedLimiter
}

func init() { gin.SetMode(gin.ReleaseMode) }

// NewRouter returns the complete HTTP handler: every route of the API is listed here.
func NewRouter(d Deps) *gin.Engine {
	reg := d.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a := &api{
		cfg: d.Config, store: d.Store, ping: d.Ping,
		loginByUser: newKeyedLimiter(d.Config.LoginRatePerMinute),
		loginByAddr: newKeyedLimiter(d.Config.LoginRatePerMinute * 5),
	}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	_ = r.SetTrustedProxies(nil)
	r.Use(withRequestID(), logAndMeasure(newHTTPMetrics(reg)), recoverPanics(), securityHeaders(strings.HasPrefix(d.Config.BaseURL, "https://")),
		limitBody(d.Config.MaxBodyBytes, d.Config.MaxUploadBytes))
	r.NoRoute(func(c *gin.Context) { respondError(c, models.Errorf(models.ENOTFOUND, "没有这个接口")) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": errorBody{Code: "method_not_allowed", Message: "不支持此请求方法"}})
	})

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	r.GET("/api/openapi.yaml", a.openAPI)

	v1 := r.Group("/api/v1", timeout(d.Config.RequestTimeout))
	v1.POST("/auth/login", a.login)

	authed := v1.Group("", requireAuth(a.store))
	authed.POST("/auth/logout", a.logout)
	authed.GET("/me", a.me)

	creating := authed.Group("", idempotent(a.store))

	authed.GET("/districts", a.listDistricts)
	authed.GET("/districts/:id", a.getDistrict)
	creating.POST("/districts", a.createDistrict)
	authed.PATCH("/districts/:id", a.updateDistrict)

	authed.GET("/schools", a.listSchools)
	authed.GET("/schools/:id", a.getSchool)
	creating.POST("/schools", a.createSchool)
	authed.PATCH("/schools/:id", a.updateSchool)
	creating.POST("/schools/import", a.importSchools)

	authed.GET("/schools/:id/contacts", a.listContacts)
	creating.POST("/schools/:id/contacts", a.createContact)
	authed.PATCH("/schools/:id/contacts/:contact_id", a.updateContact)
	authed.DELETE("/schools/:id/contacts/:contact_id", a.deleteContact)

	authed.GET("/users", a.listUsers)
	authed.GET("/users/:id", a.getUser)
	creating.POST("/users", a.createUser)
	authed.PATCH("/users/:id", a.updateUser)

	authed.GET("/audit", a.listAudit)

	authed.GET("/alerts", a.listAlerts)
	authed.GET("/alerts/preview", a.previewAlert)
	authed.GET("/alerts/:id", a.getAlert)
	creating.POST("/alerts", a.issueAlert)
	authed.PATCH("/alerts/:id", a.updateAlert)
	authed.POST("/alerts/:id/lift", a.liftAlert)
	authed.GET("/alerts/:id/status", a.alertStatus)
	authed.POST("/alerts/:id/acknowledge", a.acknowledgeAlert)
	authed.GET("/alerts/:id/safety", a.alertSafety)
	authed.POST("/safety-rounds/:id/reports", a.fileSafetyReport)
	authed.POST("/cap", a.ingestCAP)

	// Signed links from e-mails: no login, the token is the credential.
	v1.GET("/links/ack/:token", a.ackLinkInfo)
	v1.POST("/links/ack/:token", a.ackByLink)
	v1.GET("/links/safety/:token", a.safetyLinkInfo)
	v1.POST("/links/safety/:token", a.safetyByLink)
	authed.GET("/incident-categories", a.incidentCategories)
	authed.GET("/incidents", a.listIncidents)
	authed.GET("/incidents/:id", a.getIncident)
	creating.POST("/incidents", a.createIncident)
	creating.POST("/phone-intakes", a.recordPhoneIntake)
	creating.POST("/incidents/:id/reports", a.fileReport)
	authed.PATCH("/incidents/:id/reports/:report_id", a.updateDraft)
	creating.POST("/incidents/:id/reports/:report_id/submit", a.submitDraft)
	creating.POST("/incidents/:id/reports/:report_id/sign", a.signReport)
	creating.POST("/incidents/:id/reports/:report_id/forward", a.forwardReport)
	creating.POST("/incidents/:id/instructions", a.addInstruction)
	creating.POST("/incidents/:id/instructions/:instruction_id/reply", a.replyInstruction)
	authed.GET("/roster", a.getRoster)
	authed.GET("/roster/now", a.rosterNow)
	authed.GET("/roster/gaps", a.rosterGaps)
	creating.POST("/roster/generate", a.generateRoster)
	authed.POST("/roster/confirm", a.confirmRoster)
	authed.GET("/roster/export.xlsx", a.exportRosterXLSX)
	authed.GET("/roster/export.ics", a.exportRosterICS)
	creating.POST("/roster/feed", a.createCalendarFeed)
	v1.GET("/roster/feeds/:token", a.calendarFeed) // no login: the secret token is the credential
	authed.GET("/roster/templates", a.listShiftTemplates)
	creating.POST("/roster/templates", a.createShiftTemplate)
	authed.PATCH("/roster/templates/:id", a.updateShiftTemplate)
	authed.GET("/roster/rotations", a.listRotations)
	authed.PUT("/roster/rotations/:role", a.setRotation)
	authed.GET("/roster/leaves", a.listLeaves)
	creating.POST("/roster/leaves", a.createLeave)
	authed.DELETE("/roster/leaves/:id", a.deleteLeave)
	authed.GET("/roster/holidays", a.listHolidays)
	authed.PUT("/roster/holidays/:date", a.setHoliday)
	authed.DELETE("/roster/holidays/:date", a.resetHoliday)
	creating.POST("/roster/shifts/:id/assignments", a.addAssignment)
	authed.PATCH("/roster/assignments/:id", a.replaceAssignment)
	authed.DELETE("/roster/assignments/:id", a.removeAssignment)

	authed.GET("/roster/swaps", a.listSwaps)
	creating.POST("/roster/swaps", a.requestSwap)
	authed.POST("/roster/swaps/:id/accept", a.swapAction((*roster.Store).AcceptSwap))
	authed.POST("/roster/swaps/:id/decline", a.swapAction((*roster.Store).DeclineSwap))
	authed.POST("/roster/swaps/:id/cancel", a.swapAction((*roster.Store).CancelSwap))
	authed.POST("/roster/swaps/:id/approve", a.swapAction((*roster.Store).ApproveSwap))
	authed.POST("/roster/swaps/:id/reject", a.swapAction((*roster.Store).RejectSwap))

	authed.GET("/dutylog", a.listDutyLog)
	creating.POST("/dutylog", a.addDutyLogEntry)

	authed.GET("/handovers", a.listHandovers)
	authed.GET("/handovers/:id", a.getHandover)
	creating.POST("/handovers", a.submitHandover)
	authed.POST("/handovers/:id/sign", a.signHandover)

	authed.GET("/escalations", a.listEscalations)
	authed.GET("/escalation-policies", a.listEscalationPolicies)
	authed.PUT("/escalation-policies/:kind", a.setEscalationPolicy)

	authed.GET("/stats", a.getStats)
	authed.GET("/stats/export.xlsx", a.exportStatsXLSX)
	authed.GET("/stats/export.csv", a.exportStatsCSV)
	authed.GET("/stats/summary", a.statsSummary)

	authed.GET("/outbox", a.listOutbox)
	authed.POST("/outbox/:id/retry", a.retryOutboxMessage)

	// The duty console: HTML pages with a session cookie; every POST checks the CSRF token.
	con := newConsole(a)
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/console/login") })
	r.StaticFS("/static", con.static())
	r.GET("/console/login", con.loginPage)
	r.POST("/console/login", con.checkCSRF(), con.login)
	pages := r.Group("/console", con.consoleAuth(), con.checkCSRF())
	pages.POST("/logout", con.logout)
	pages.GET("/", con.dashboard)
	pages.GET("/incidents", con.incidents)
	pages.GET("/incidents/:id", con.incident)
	pages.POST("/incidents/:id/reports/:report_id/sign", con.signReport)
	pages.POST("/incidents/:id/reports/:report_id/forward", con.forwardReport)
	pages.POST("/incidents/:id/instructions", con.addInstruction)
	pages.POST("/incidents/:id/instructions/:instruction_id/reply", con.replyInstruction)
	pages.GET("/report", con.reportPage)
	pages.POST("/report", con.fileReport)
	pages.GET("/incidents/:id/report", con.reportPage)
	pages.POST("/incidents/:id/reports", con.fileReport)
	pages.GET("/incidents/:id/reports/:report_id/edit", con.draftPage)
	pages.POST("/incidents/:id/reports/:report_id", con.saveDraft)
	pages.GET("/phone-intake", con.phoneIntakePage)
	pages.POST("/phone-intake", con.recordPhoneIntake)
	pages.GET("/roster", con.roster)
	pages.GET("/roster/export.xlsx", a.exportRosterXLSX) // the API's exports, with the session
	pages.GET("/roster/export.ics", a.exportRosterICS)
	pages.POST("/roster/generate", con.generateRoster)
	pages.POST("/roster/confirm", con.confirmRoster)
	pages.POST("/roster/assignments/replace", con.replaceAssignment)
	pages.POST("/roster/swaps", con.requestSwap)
	pages.POST("/roster/swaps/:id/accept", con.swapAction((*roster.Store).AcceptSwap, "已同意调班，等待领导批准"))
	pages.POST("/roster/swaps/:id/decline", con.swapAction((*roster.Store).DeclineSwap, "已拒绝调班"))
	pages.POST("/roster/swaps/:id/cancel", con.swapAction((*roster.Store).CancelSwap, "已撤回调班申请"))
	pages.POST("/roster/swaps/:id/approve", con.swapAction((*roster.Store).ApproveSwap, "已批准调班"))
	pages.POST("/roster/swaps/:id/reject", con.swapAction((*roster.Store).RejectSwap, "已驳回调班"))
	pages.GET("/dutylog", con.dutyLog)
	pages.POST("/dutylog", con.addDutyLogEntry)
	pages.POST("/handovers", con.submitHandover)
	pages.POST("/handovers/:id/sign", con.signHandover)
	pages.GET("/alerts", con.alerts)
	pages.GET("/alerts/preview", a.previewAlert) // the API's preview, with the session
	pages.POST("/alerts", con.issueAlert)
	pages.GET("/alerts/:id", con.alert)
	pages.POST("/alerts/:id", con.updateAlert)
	pages.POST("/alerts/:id/lift", con.liftAlert)

	// The pages of e-mailed links (no login: the token is the credential).
	links := r.Group("", con.checkCSRF())
	links.GET("/a/:token", con.ackPage)
	links.POST("/a/:token", con.acknowledge)
	links.GET("/s/:token", con.safetyPage)
	links.POST("/s/:token", con.fileSafety)

	return r
}

// healthz says the process is alive.
func (a *api) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz says whether the service can do its work: the database answers within 2 s.
func (a *api) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
}
