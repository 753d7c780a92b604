package beian

import (
	"context"
	"time"
)

// SweepClass is what the shell-site sweep (空壳网站排查, R-PA-3) found a
// filed domain resolving to.
type SweepClass string

// The classes of a swept domain. Unresolved is never treated as moved: a
// resolver's hiccup cuts nobody off.
const (
	SweepOurs       SweepClass = "ours"       // every address in our data-centre ranges
	SweepElsewhere  SweepClass = "elsewhere"  // an address outside them, confirmed by a second resolver when there is one
	SweepNXDomain   SweepClass = "nxdomain"   // the name does not exist
	SweepUnresolved SweepClass = "unresolved" // timeouts, SERVFAIL after retries
)

// SweepClasses are the classes in the order staff read them.
var SweepClasses = []SweepClass{SweepElsewhere, SweepNXDomain, SweepUnresolved, SweepOurs}

// Title is the class's Chinese name.
func (c SweepClass) Title() string {
	switch c {
	case SweepOurs:
		return "解析在我司"
	case SweepElsewhere:
		return "解析到他处"
	case SweepNXDomain:
		return "域名不存在"
	case SweepUnresolved:
		return "未能解析"
	}
	return string(c)
}

// Sweep statuses.
const (
	SweepRunning   = "running"
	SweepCompleted = "completed"
	SweepFailed    = "failed"
)

// Sweep is one run of the shell-site sweep (R-PA-3).
type Sweep struct {
	ID         string
	Status     string
	Trigger    string // "schedule" | "manual"
	StartedBy  string
	StartedAt  time.Time
	FinishedAt *time.Time
	Error      string
	// Total is how many domains the sweep has to check (known once it
	// started); Done how many it has recorded.
	Total  int
	Done   int
	Counts map[SweepClass]int
	// Notified is how many filings were sent the shell-site notice.
	Notified int
	// ByProvince counts the classes per system province.
	ByProvince map[string]map[SweepClass]int
}

// SweepTarget is one filed domain to sweep.
type SweepTarget struct {
	CaseID       string
	CaseNo       string
	Domain       string
	Province     string
	FilingNumber string
}

// SweepFinding is what the sweep found for one domain, with its evidence
// (the DNS answers, as JSON: names, addresses, resolver, rcode, time).
type SweepFinding struct {
	SweepID  string
	CaseID   string
	CaseNo   string
	Domain   string
	Province string
	// FilingNumber is the filing's number (read only), for R-PA-5.
	FilingNumber string
	Class        SweepClass
	Addresses    []string
	Evidence     []byte
	CheckedAt    time.Time
	// NotifiedAt is when the filing was sent the shell-site notice (elsewhere).
	NotifiedAt *time.Time
	// Homepage is the R-PA-5 check of a domain found ours: "shown",
	// "missing", "unreachable" or "" (not checked).
	Homepage       string
	HomepageDetail string
	RemindedAt     *time.Time
}

// SweepStore keeps the sweeps and their findings.
type SweepStore interface {
	// PublicSecurityNumbers are the recorded public-security numbers
	// (R-PA-6) of the cases, by case ID; cases without one are left out.
	PublicSecurityNumbers(ctx context.Context, caseIDs []string) (map[string]string, error)
	// OpenSweep starts a sweep, or returns the running one with joined
	// set: two sweeps never run at once.
	// runKey names the caller's run: a sweep it opened before is its own,
	// not joined.
	OpenSweep(ctx context.Context, trigger, actor, runKey string) (s *Sweep, joined bool, err error)
	// GetSweep returns a sweep with its counts; CodeNotFound when unknown.
	GetSweep(ctx context.Context, id string) (*Sweep, error)
	// ListSweeps returns the latest sweeps, newest first.
	ListSweeps(ctx context.Context, limit int) ([]Sweep, error)
	// SetSweepTotal records how many domains the sweep has to check.
	SetSweepTotal(ctx context.Context, id string, total int) error
	// FinishSweep ends a running sweep as completed or failed.
	FinishSweep(ctx context.Context, id, status, errText string) error
	// SweepTargets pages through the domains of live filings (approved or
	// rectifying) after the cursor, in a stable order; next is "" at the end.
	SweepTargets(ctx context.Context, cursor string, limit int) (targets []SweepTarget, next string, err error)
	// CountSweepTargets counts the domains SweepTargets pages through.
	CountSweepTargets(ctx context.Context) (int, error)
	// SaveSweepFindings records findings; a domain recorded before in the
	// sweep is kept as it was (a retried batch changes nothing).
	SaveSweepFindings(ctx context.Context, fs []SweepFinding) error
	// SweepFindings returns the findings of a sweep of a class ("" any),
	// after the cursor (a domain), by domain; at most limit.
	SweepFindings(ctx context.Context, sweepID string, class SweepClass, cursor string, limit int) ([]SweepFinding, error)
	// MarkSweepNotified records that the filing's findings in the sweep
	// were sent the shell-site notice.
	MarkSweepNotified(ctx context.Context, sweepID, caseID string, at time.Time) error
	// SetSweepHomepage records the R-PA-5 check of a domain.
	SetSweepHomepage(ctx context.Context, sweepID, domain, result, detail string, remindedAt *time.Time) error
	// CaseSweepFindings returns a filing's findings in its latest sweeps,
	// newest first.
	CaseSweepFindings(ctx context.Context, caseID string, limit int) ([]SweepFinding, error)
}

// SecurityItem is one row of a security sheet (备案和信息安全规范表,
// R-PA-2) with the live filing it matched and what became of it.
type SecurityItem struct {
	Row        int    `json:"row"`
	Cell       string `json:"cell"`
	Domain     string `json:"domain"`
	IP         string `json:"ip"`
	Category   string `json:"category"`
	Note       string `json:"note"`
	Department string `json:"department"`
	CaseID     string `json:"case_id"`
	CaseNo     string `json:"case_no"`
	// Outcome: "cancel" (will be / was cancelled), "already_cancelled",
	// "unmatched" (no live filing holds the domain or IP).
	Outcome string `json:"outcome"`
	// Error is why a confirmed cut did not go through (retried when the
	// same file is confirmed again).
	Error string `json:"error,omitempty"`
}

// SecurityImport is one uploaded security sheet.
type SecurityImport struct {
	ID          string
	SHA256      string
	Filename    string
	UploadedBy  string
	UploadedAt  time.Time
	ConfirmedBy string
	ConfirmedAt *time.Time
	Items       []SecurityItem
}

// CaseRef names a live filing a security-sheet row matched.
type CaseRef struct {
	ID     string
	CaseNo string
	Status Status
}

// SecurityStore keeps the security sheets.
type SecurityStore interface {
	// LiveFilingsByDomainOrIP returns the live filings holding each of
	// domains and each of ips.
	LiveFilingsByDomainOrIP(ctx context.Context, domains, ips []string) (byDomain, byIP map[string][]CaseRef, err error)
	// PutSecurityImport records an uploaded sheet, or returns the one with
	// the same SHA-256 as it is (created false).
	PutSecurityImport(ctx context.Context, imp *SecurityImport) (got *SecurityImport, created bool, err error)
	// GetSecurityImport returns a recorded sheet; CodeNotFound when unknown.
	GetSecurityImport(ctx context.Context, id string) (*SecurityImport, error)
	// ConfirmSecurityImport marks a sheet confirmed (the first time only)
	// and stores its items' outcomes.
	ConfirmSecurityImport(ctx context.Context, id, actor string, items []SecurityItem) (*SecurityImport, error)
}
