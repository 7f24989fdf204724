// Package handlers is DutyDesk's HTTP layer: the Gin router with every route on one screen and
// the middleware, over the JSON API (handlers/api) and the console (handlers/console).
package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dutydesk/config"
	"dutydesk/handlers/api"
	"dutydesk/handlers/console"
	"dutydesk/models"
	"dutydesk/models/app"
	"dutydesk/models/roster"
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

func init() { gin.SetMode(gin.ReleaseMode) }

// NewRouter returns the complete HTTP handler: every route of the API is listed here.
func NewRouter(d Deps) *gin.Engine {
	reg := d.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a := api.New(d.Config, d.Store, d.Ping)

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	_ = r.SetTrustedProxies(nil)
	r.Use(withRequestID(), logAndMeasure(newHTTPMetrics(reg)), recoverPanics(), securityHeaders(strings.HasPrefix(d.Config.BaseURL, "https://")),
		limitBody(d.Config.MaxBodyBytes, d.Config.MaxUploadBytes))
	r.NoRoute(func(c *gin.Context) { api.RespondError(c, models.Errorf(models.ENOTFOUND, "没有这个接口")) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": api.ErrorBody{Code: "method_not_allowed", Message: "不支持此请求方法"}})
	})

	r.GET("/healthz", a.Healthz)
	r.GET("/readyz", a.Readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	r.GET("/api/openapi.yaml", a.OpenAPI)

	v1 := r.Group("/api/v1", timeout(d.Config.RequestTimeout))
	v1.POST("/auth/login", a.Login)

	authed := v1.Group("", requireAuth(a.Store))
	authed.POST("/auth/logout", a.Logout)
	authed.GET("/me", a.Me)

	creating := authed.Group("", idempotent(a.Store))

	authed.GET("/districts", a.ListDistricts)
	authed.GET("/districts/:id", a.GetDistrict)
	creating.POST("/districts", a.CreateDistrict)
	authed.PATCH("/districts/:id", a.UpdateDistrict)

	authed.GET("/schools", a.ListSchools)
	authed.GET("/schools/:id", a.GetSchool)
	creating.POST("/schools", a.CreateSchool)
	authed.PATCH("/schools/:id", a.UpdateSchool)
	creating.POST("/schools/import", a.ImportSchools)

	authed.GET("/schools/:id/contacts", a.ListContacts)
	creating.POST("/schools/:id/contacts", a.CreateContact)
	authed.PATCH("/schools/:id/contacts/:contact_id", a.UpdateContact)
	authed.DELETE("/schools/:id/contacts/:contact_id", a.DeleteContact)

	authed.GET("/users", a.ListUsers)
	authed.GET("/users/:id", a.GetUser)
	creating.POST("/users", a.CreateUser)
	authed.PATCH("/users/:id", a.UpdateUser)

	authed.GET("/audit", a.ListAudit)

	authed.GET("/alerts", a.ListAlerts)
	authed.GET("/alerts/preview", a.PreviewAlert)
	authed.GET("/alerts/:id", a.GetAlert)
	creating.POST("/alerts", a.IssueAlert)
	authed.PATCH("/alerts/:id", a.UpdateAlert)
	authed.POST("/alerts/:id/lift", a.LiftAlert)
	authed.GET("/alerts/:id/status", a.AlertStatus)
	authed.POST("/alerts/:id/acknowledge", a.AcknowledgeAlert)
	authed.GET("/alerts/:id/safety", a.AlertSafety)
	authed.POST("/safety-rounds/:id/reports", a.FileSafetyReport)
	authed.POST("/cap", a.IngestCAP)

	// Signed links from e-mails: no login, the token is the credential.
	v1.GET("/links/ack/:token", a.AckLinkInfo)
	v1.POST("/links/ack/:token", a.AckByLink)
	v1.GET("/links/safety/:token", a.SafetyLinkInfo)
	v1.POST("/links/safety/:token", a.SafetyByLink)
	authed.GET("/incident-categories", a.IncidentCategories)
	authed.GET("/incidents", a.ListIncidents)
	authed.GET("/incidents/:id", a.GetIncident)
	creating.POST("/incidents", a.CreateIncident)
	creating.POST("/phone-intakes", a.RecordPhoneIntake)
	creating.POST("/incidents/:id/reports", a.FileReport)
	authed.PATCH("/incidents/:id/reports/:report_id", a.UpdateDraft)
	creating.POST("/incidents/:id/reports/:report_id/submit", a.SubmitDraft)
	creating.POST("/incidents/:id/reports/:report_id/sign", a.SignReport)
	creating.POST("/incidents/:id/reports/:report_id/forward", a.ForwardReport)
	creating.POST("/incidents/:id/resolve", a.ResolveIncident)
	creating.POST("/incidents/:id/reopen", a.ReopenIncident)
	creating.POST("/incidents/:id/instructions", a.AddInstruction)
	creating.POST("/incidents/:id/instructions/:instruction_id/reply", a.ReplyInstruction)
	authed.GET("/roster", a.GetRoster)
	authed.GET("/roster/now", a.RosterNow)
	authed.GET("/roster/gaps", a.RosterGaps)
	authed.GET("/roster/fairness", a.RosterFairness)
	creating.POST("/roster/generate", a.GenerateRoster)
	authed.POST("/roster/confirm", a.ConfirmRoster)
	authed.GET("/roster/export.xlsx", a.ExportRosterXLSX)
	authed.GET("/roster/export.ics", a.ExportRosterICS)
	creating.POST("/roster/feed", a.CreateCalendarFeed)
	v1.GET("/roster/feeds/:token", a.CalendarFeed) // no login: the secret token is the credential
	authed.GET("/roster/templates", a.ListShiftTemplates)
	creating.POST("/roster/templates", a.CreateShiftTemplate)
	authed.PATCH("/roster/templates/:id", a.UpdateShiftTemplate)
	authed.GET("/roster/rotations", a.ListRotations)
	authed.PUT("/roster/rotations/:role", a.SetRotation)
	authed.GET("/roster/leaves", a.ListLeaves)
	creating.POST("/roster/leaves", a.CreateLeave)
	authed.DELETE("/roster/leaves/:id", a.DeleteLeave)
	authed.GET("/roster/holidays", a.ListHolidays)
	authed.PUT("/roster/holidays/:date", a.SetHoliday)
	authed.DELETE("/roster/holidays/:date", a.ResetHoliday)
	creating.POST("/roster/shifts/:id/assignments", a.AddAssignment)
	authed.PATCH("/roster/assignments/:id", a.ReplaceAssignment)
	authed.DELETE("/roster/assignments/:id", a.RemoveAssignment)

	authed.GET("/roster/swaps", a.ListSwaps)
	creating.POST("/roster/swaps", a.RequestSwap)
	authed.POST("/roster/swaps/:id/accept", a.SwapAction((*roster.Store).AcceptSwap))
	authed.POST("/roster/swaps/:id/decline", a.SwapAction((*roster.Store).DeclineSwap))
	authed.POST("/roster/swaps/:id/cancel", a.SwapAction((*roster.Store).CancelSwap))
	authed.POST("/roster/swaps/:id/approve", a.SwapAction((*roster.Store).ApproveSwap))
	authed.POST("/roster/swaps/:id/reject", a.SwapAction((*roster.Store).RejectSwap))

	authed.GET("/dutylog", a.ListDutyLog)
	creating.POST("/dutylog", a.AddDutyLogEntry)

	authed.GET("/handovers", a.ListHandovers)
	authed.GET("/handovers/:id", a.GetHandover)
	creating.POST("/handovers", a.SubmitHandover)
	authed.POST("/handovers/:id/sign", a.SignHandover)

	authed.GET("/escalations", a.ListEscalations)
	authed.GET("/escalation-policies", a.ListEscalationPolicies)
	authed.PUT("/escalation-policies/:kind", a.SetEscalationPolicy)

	authed.GET("/stats", a.GetStats)
	authed.GET("/stats/export.xlsx", a.ExportStatsXLSX)
	authed.GET("/stats/export.csv", a.ExportStatsCSV)
	authed.GET("/stats/summary", a.StatsSummary)

	authed.GET("/outbox", a.ListOutbox)
	authed.POST("/outbox/:id/retry", a.RetryOutboxMessage)

	// The duty console: HTML pages with a session cookie; every POST checks the CSRF token.
	con := console.New(a)
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/console/login") })
	r.StaticFS("/static", con.Static())
	site := r.Group("", timeout(d.Config.RequestTimeout)) // the same bound on a request as the API's
	site.GET("/console/login", con.LoginPage)
	site.POST("/console/login", con.CheckCSRF(), con.Login)
	pages := site.Group("/console", con.ConsoleAuth(), con.CheckCSRF())
	pages.POST("/logout", con.Logout)
	pages.GET("/", con.Dashboard)
	pages.GET("/incidents", con.Incidents)
	pages.GET("/incidents/:id", con.Incident)
	pages.POST("/incidents/:id/reports/:report_id/sign", con.SignReport)
	pages.POST("/incidents/:id/reports/:report_id/forward", con.ForwardReport)
	pages.POST("/incidents/:id/instructions", con.AddInstruction)
	pages.POST("/incidents/:id/resolve", con.ResolveIncident)
	pages.POST("/incidents/:id/reopen", con.ReopenIncident)
	pages.POST("/incidents/:id/instructions/:instruction_id/reply", con.ReplyInstruction)
	pages.GET("/report", con.ReportPage)
	pages.POST("/report", con.FileReport)
	pages.GET("/incidents/:id/report", con.ReportPage)
	pages.POST("/incidents/:id/reports", con.FileReport)
	pages.GET("/incidents/:id/reports/:report_id/edit", con.DraftPage)
	pages.POST("/incidents/:id/reports/:report_id", con.SaveDraft)
	pages.GET("/phone-intake", con.PhoneIntakePage)
	pages.POST("/phone-intake", con.RecordPhoneIntake)
	pages.GET("/roster", con.Roster)
	pages.GET("/roster/export.xlsx", a.ExportRosterXLSX) // the API's exports, with the session
	pages.GET("/roster/export.ics", a.ExportRosterICS)
	pages.POST("/roster/generate", con.GenerateRoster)
	pages.POST("/roster/confirm", con.ConfirmRoster)
	pages.POST("/roster/assignments/replace", con.ReplaceAssignment)
	pages.POST("/roster/swaps", con.RequestSwap)
	pages.POST("/roster/swaps/:id/accept", con.SwapAction((*roster.Store).AcceptSwap, "已同意调班，等待领导批准"))
	pages.POST("/roster/swaps/:id/decline", con.SwapAction((*roster.Store).DeclineSwap, "已拒绝调班"))
	pages.POST("/roster/swaps/:id/cancel", con.SwapAction((*roster.Store).CancelSwap, "已撤回调班申请"))
	pages.POST("/roster/swaps/:id/approve", con.SwapAction((*roster.Store).ApproveSwap, "已批准调班"))
	pages.POST("/roster/swaps/:id/reject", con.SwapAction((*roster.Store).RejectSwap, "已驳回调班"))
	pages.GET("/dutylog", con.DutyLog)
	pages.POST("/dutylog", con.AddDutyLogEntry)
	pages.POST("/handovers", con.SubmitHandover)
	pages.POST("/handovers/:id/sign", con.SignHandover)
	pages.GET("/alerts", con.Alerts)
	pages.GET("/alerts/preview", a.PreviewAlert) // the API's preview, with the session
	pages.POST("/alerts", con.IssueAlert)
	pages.GET("/alerts/:id", con.Alert)
	pages.POST("/alerts/:id", con.UpdateAlert)
	pages.POST("/alerts/:id/lift", con.LiftAlert)

	// The pages of e-mailed links (no login: the token is the credential).
	links := site.Group("", con.CheckCSRF())
	links.GET("/a/:token", con.AckPage)
	links.POST("/a/:token", con.Acknowledge)
	links.GET("/s/:token", con.SafetyPage)
	links.POST("/s/:token", con.FileSafety)

	return r
}
