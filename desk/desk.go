// Package desk is the filing desk's services: what staff can do with a case
// and with the desk's data, whoever asks. The REST API (api/, Echo) and the
// staff console (console/, net/http) are two faces of it; neither writes a
// business rule of its own. It imports no HTTP framework.
package desk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/faq"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// Engine drives filing workflows (worker.Engine on Temporal).
type Engine interface {
	Start(ctx context.Context, in workflows.FilingInput) error
	Act(ctx context.Context, caseID string, a beian.Action, req workflows.ActionRequest, updateID string) (workflows.State, error)
	Signal(ctx context.Context, caseID string, req workflows.ActionRequest) error
}

// Store is everything the desk keeps: cases and reference data, staff
// accounts and sessions, and the dashboard's figures (postgres.DB).
type Store interface {
	beian.Store
	beian.StaffStore
	beian.StatsStore
}

// Config holds what the services need besides their dependencies.
type Config struct {
	// PurgeAfter replaces "one calendar month" (R-RV-5) when set; for demos and tests.
	PurgeAfter time.Duration
	// BureauWorkingDays is the bureau's review period (R-BR-1), 20.
	BureauWorkingDays int
	// SessionIdle ends a console session after this long without a request.
	SessionIdle time.Duration
	// TemporalUI is the Temporal Web UI's base URL, for links to a case's workflow.
	TemporalUI string
	// TemporalNamespace is the namespace of the filing workflows.
	TemporalNamespace string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// browser's address (failed sign-ins are counted per address).
	TrustedProxies []netip.Prefix
}

// Service is the desk. Build it once in main and share it.
type Service struct {
	Store  Store
	Engine Engine
	Box    *secret.Box
	Logger *slog.Logger
	Config Config
	// Rules returns the intake rules in force (embedded defaults, admin
	// overrides); StoredRules(Store) when nil.
	Rules func(ctx context.Context) (intake.Rules, error)
	// FAQ is the answer bank (R-FAQ-1); the embedded one when nil.
	FAQ *faq.Bank
	// Domains resolves filed domains (R-RV-2); nil: no DNS check at review.
	Domains DomainChecker
	// Sweeper starts shell-site sweeps (R-PA-3).
	Sweeper Sweeper
	// Watcher starts the workflow of each inbound mail (R-RV-6); nil: none.
	Watcher MailWatcher
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	once sync.Once
}

// Init fills in the defaults of unset fields; every method calls it, and
// callers that read Now, Rules or Config directly call it first.
func (s *Service) Init() {
	s.once.Do(func() {
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		if s.Rules == nil {
			s.Rules = StoredRules(s.Store)
		}
		if s.Config.BureauWorkingDays == 0 {
			s.Config.BureauWorkingDays = 20
		}
		if s.Config.SessionIdle == 0 {
			s.Config.SessionIdle = DefaultSessionIdle
		}
		if s.Config.TemporalNamespace == "" {
			s.Config.TemporalNamespace = "default"
		}
	})
}

// now is the service's clock.
func (s *Service) now() time.Time { s.Init(); return s.Now() }

// Actor is who asks: a staff member signed in to the console (Name is the
// username) or an API token (Name is the token's name). It goes on the
// timeline and in the audit log as it is.
type Actor struct {
	Name string
	Role string
}

// Is reports whether the actor has one of roles; admin has every role.
func (a Actor) Is(roles ...string) bool {
	if a.Role == beian.RoleAdmin {
		return true
	}
	for _, r := range roles {
		if r == a.Role {
			return true
		}
	}
	return false
}

// Require is a CodeForbidden error unless the actor has one of roles.
func (a Actor) Require(roles ...string) error {
	if a.Is(roles...) {
		return nil
	}
	return beian.Errorf(beian.CodeForbidden, "角色「%s」无权执行此操作", beian.RoleTitle(a.Role))
}

// Shanghai is the zone of every business date (deadlines, working days).
var Shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("Asia/Shanghai", 8*3600)
	}
	return l
}()

// Today is the business date in Asia/Shanghai, "2006-01-02".
func (s *Service) Today() string { return s.now().In(Shanghai).Format("2006-01-02") }

// NewID returns a random (version 4) UUID.
// KeyID is the case ID an Idempotency-Key of actor names: a create retried
// after its answer was lost (the database restarting under it) finds the
// case it made, instead of a DOMAIN_CONFLICT with itself.
func KeyID(actor, key string) string {
	b := sha256.Sum256([]byte("beian-case\x00" + actor + "\x00" + key))
	b[6] = b[6]&0x0f | 0x50 // a name-based UUID (version 5 layout)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Calendar is the working-day calendar with staff overrides and the years
// staff have marked published (R-BR-1).
func (s *Service) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	days, err := s.Store.ListCalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	published, err := s.Store.ListPublishedYears(ctx)
	if err != nil {
		return nil, err
	}
	return calendar.New(days, published), nil
}

// embeddedBank loads the embedded answer bank once.
var embeddedBank = sync.OnceValues(faq.Load)

// AnswerBank is the answer bank staff search (R-FAQ-1).
func (s *Service) AnswerBank() (*faq.Bank, error) {
	if s.FAQ != nil {
		return s.FAQ, nil
	}
	return embeddedBank()
}

// Audit records who did what to which target.
func (s *Service) Audit(ctx context.Context, who Actor, action, target, detail string) error {
	return s.Store.Audit(ctx, beian.AuditEntry{At: s.now(), Actor: who.Name, Action: action, Target: target, Detail: detail})
}

// HTTPStatus maps a domain error code to the HTTP status both faces answer
// with, in this one place (the API's error handler, the console's pages).
func HTTPStatus(code string) int {
	switch code {
	case beian.CodeInvalid:
		return http.StatusBadRequest
	case beian.CodeUnauthorized:
		return http.StatusUnauthorized
	case beian.CodeForbidden:
		return http.StatusForbidden
	case beian.CodeNotFound:
		return http.StatusNotFound
	case beian.CodeConflict, beian.CodeInvalidState, beian.CodeDomainConflict, beian.CodeSponsorConflict, beian.CodeIdempotencyReuse, beian.CodeDomainElsewhere:
		return http.StatusConflict
	case beian.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case beian.CodeUnsupportedType:
		return http.StatusUnsupportedMediaType
	case beian.CodeViolations, beian.CodeCalendarNoData:
		return http.StatusUnprocessableEntity
	case beian.CodeRateLimited:
		return http.StatusTooManyRequests
	case beian.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
