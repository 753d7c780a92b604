// Package api is the staff REST API, version 1 (../shared/docs/api.md). It is
// the only package that imports Echo, so a move to Echo v5 touches only here.
package api

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian/desk"
	"github.com/beian/beian/health"
	"github.com/beian/beian/metrics"
)

// Engine drives filing workflows (worker.Engine on Temporal).
type Engine = desk.Engine

// Deps are the API's dependencies, built once in main.
type Deps struct {
	// Desk is the filing desk's services, shared with the console.
	Desk    *desk.Service
	Tokens  []Token
	Logger  *slog.Logger
	HTTP    *metrics.HTTP
	Metrics http.Handler // /metrics; nil to leave it out
	// MetricsToken, when set, is the bearer token Prometheus must send to
	// /metrics (METRICS_TOKEN); unset, /metrics is open as usual.
	MetricsToken string
	// Console is the staff console (package console), mounted at /console/;
	// nil to serve the API alone.
	Console http.Handler
	// Ready answers /readyz (health.Checker: Postgres, Temporal, a worker
	// on the task queue); nil: always ready.
	Ready http.Handler
}

// Server is the HTTP API.
type Server struct {
	d    Deps
	desk *desk.Service
	echo *echo.Echo
}

// New builds the API with every route of the v1 contract.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Desk == nil {
		d.Desk = &desk.Service{}
	}
	d.Desk.Init()
	s := &Server{d: d, desk: d.Desk, echo: echo.New()}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.logAndMeasure, s.recover, s.limitBody) // limitBody: issue 12 §6 (limits.go)
	s.routes()
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Routes lists every method and path the API serves (for the OpenAPI test).
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// route table: one place that says who may call what.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	ready := s.d.Ready
	if ready == nil {
		ready = &health.Checker{}
	}
	e.GET("/readyz", echo.WrapHandler(ready))
	e.GET("/api/v1/openapi.json", s.openapi)
	if s.d.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.d.Metrics), s.metricsAuth)
	}
	v1 := e.Group("/api/v1", s.authenticate, s.refuseRevealOnWrite, s.idempotency)
	staff := []string{RoleSpecialist, RoleSupervisor}
	v1.POST("/filings/check", s.checkFiling, allow(RoleSpecialist, RoleSupervisor))
	v1.POST("/filings", s.createFiling, allow(RoleSpecialist, RoleSupervisor))
	// Cases carry personal data: staff and the bureau integration read them, tech does not
	// (an access action names the IPs and domains tech needs).
	v1.GET("/filings", s.listFilings, allow(append(staff, RoleBureau)...))
	v1.GET("/filings/:id", s.getFiling, allow(append(staff, RoleBureau)...))
	v1.POST("/filings/:id/materials", s.materials, allow(staff...))
	v1.POST("/filings/:id/review", s.review, allow(staff...))
	v1.POST("/filings/:id/corrections", s.corrections, allow(staff...))
	v1.POST("/filings/:id/bureau-decision", s.bureauDecision, allow(RoleSpecialist, RoleSupervisor, RoleBureau))
	v1.POST("/filings/:id/withdraw", s.withdraw, allow(staff...))
	v1.POST("/filings/:id/rectification", s.requireRectification, allow(staff...))
	v1.POST("/filings/:id/rectified", s.rectified, allow(staff...))
	v1.POST("/filings/:id/restore-access", s.restoreAccess, allow(RoleSupervisor))
	v1.POST("/filings/:id/cancel-access", s.cancelAccess, allow(RoleSupervisor))
	v1.POST("/filings/:id/sms-verified", s.smsVerified, allow(staff...))
	v1.POST("/filings/:id/public-security", s.publicSecurity, allow(staff...))
	v1.GET("/filings/:id/mails", s.filingMails, allow(staff...))
	v1.GET("/filings/:id/dns", s.filingDNS, allow(staff...))
	v1.GET("/filings/:id/attachments/:attachment_id", s.filingAttachment, allow(staff...))
	v1.GET("/mailbox/messages", s.listMail, allow(staff...))
	v1.POST("/mailbox/messages/:id/match", s.matchMail, allow(staff...))
	v1.POST("/mailbox/messages/:id/reply", s.replyMail, allow(staff...))
	v1.POST("/filings/:id/attachments/:attachment_id/checklist", s.tickAttachment, allow(staff...))
	v1.GET("/filings/:id/sweeps", s.filingSweeps, allow(staff...))
	v1.POST("/sweeps", s.startSweep, allow(RoleSupervisor))
	v1.GET("/sweeps", s.listSweeps, allow(staff...))
	v1.GET("/sweeps/:id", s.getSweep, allow(staff...))
	v1.GET("/sweeps/:id/report.xlsx", s.sweepReport, allow(staff...))

	v1.POST("/filings/:id/verification-calls", s.requestCall, allow(staff...))
	v1.POST("/filings/:id/false-data", s.confirmFalseData, allow(RoleSupervisor))
	v1.GET("/tasks", s.listTasks, allow(staff...))
	v1.POST("/tasks/:id/complete", s.completeTask, allow(staff...))
	v1.GET("/access-actions", s.listAccessActions, allow(RoleTech, RoleSpecialist, RoleSupervisor))
	v1.POST("/access-actions/:id/confirm", s.confirmAccessAction, allow(RoleTech))

	v1.GET("/datacenters", s.getDataCentres, allow())
	v1.PUT("/datacenters", s.putDataCentres, allow())
	v1.GET("/calendar/due", s.calendarDue, allow(append(staff, RoleTech, RoleBureau)...))
	v1.GET("/calendar/days/:date", s.calendarDay, allow(append(staff, RoleTech, RoleBureau)...))
	v1.PUT("/calendar/days/:date", s.putCalendarDay, allow())
	v1.PUT("/calendar/years/:year", s.putCalendarYear, allow())

	v1.GET("/rules", s.getRules, allow(RoleSupervisor))
	v1.PUT("/rules", s.putRules, allow())
	v1.DELETE("/rules", s.deleteRules, allow())
	v1.GET("/blacklist", s.listBlacklist, allow(staff...))
	v1.POST("/blacklist", s.addBlacklistEntry, allow(RoleSupervisor))
	v1.DELETE("/blacklist/:id", s.deleteBlacklistEntry, allow(RoleSupervisor))
	v1.GET("/customers", s.listCustomers, allow())
	v1.GET("/customers/:id", s.getCustomer, allow())
	v1.PUT("/customers/:id", s.putCustomer, allow())
	v1.POST("/imports/customers", s.importCustomers, allow())
	v1.GET("/reports/expiring-products", s.expiringProducts, allow(staff...))
	v1.GET("/reports/tracking.xlsx", s.trackingSheet, allow(staff...))
	v1.GET("/reports/weekly", s.weeklyReport, allow(staff...))
	v1.GET("/reports/weekly.xlsx", s.weeklySheet, allow(staff...))
	v1.GET("/reports/registration-table.xlsx", s.provinceTable, allow(staff...))
	v1.GET("/templates/security-sheet.xlsx", s.securityTemplate, allow(staff...))
	v1.GET("/templates/registration-form.xlsx", s.registrationTemplate, allow(staff...))
	v1.POST("/imports/registration-form", s.importRegistrationForm, allow(staff...))
	v1.POST("/imports/security-sheet", s.importSecuritySheet, allow(RoleSupervisor))
	v1.POST("/imports/security-sheet/:id/confirm", s.confirmSecuritySheet, allow(RoleSupervisor))
	v1.GET("/faq", s.searchFAQ, allow(append(staff, RoleTech, RoleBureau)...))

	v1.GET("/staff", s.listStaff, allow())
	v1.POST("/staff", s.createStaff, allow())
	v1.GET("/staff/:username", s.getStaff, allow())
	v1.PUT("/staff/:username", s.putStaff, allow())
	v1.DELETE("/staff/:username", s.deleteStaff, allow())
	v1.PUT("/staff/:username/password", s.putStaffPassword, allow())

	v1.GET("/stats/open-by-status", s.statsOpenByStatus, allow(staff...))
	v1.GET("/stats/open-by-province", s.statsOpenByProvince, allow(staff...))
	v1.GET("/stats/bureau-decisions", s.statsBureauDecisions, allow(staff...))
	v1.GET("/stats/bureau-days", s.statsBureauDays, allow(staff...))
	v1.GET("/stats/intake", s.statsIntake, allow(staff...))

	v1.GET("/audit", s.listAudit, allow(RoleSupervisor)) // issue 12 §3: the audit trail (audit.go)

	if s.d.Console != nil {
		// The staff console: plain net/http handlers (package console).
		console := echo.WrapHandler(s.d.Console)
		e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
		e.Any("/console", console)
		e.Any("/console/*", console)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
