package beian

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// DataCentre (机房) owns CIDR ranges; an IP in them routes a case to the
// province system, access-provider name and mailbox (R-ENT-1). Data, not code.
type DataCentre struct {
	Name           string
	Province       string
	AccessProvider string
	Mailbox        string
	CIDRs          []netip.Prefix
}

// CalendarDay is a staff override of the working-day calendar: a holiday
// (Off) or a make-up working day (调休, !Off) on Date ("2006-01-02").
type CalendarDay struct {
	Date      string
	Off       bool
	Name      string
	UpdatedBy string
	UpdatedAt time.Time
}

// Mail is one row of the email outbox. Key is the business key that makes
// sending idempotent ("case/<id>/receipt"); a key is sent at most once.
type Mail struct {
	Key     string
	CaseID  string
	To      []string
	Subject string
	Body    string
	// InReplyTo is the Message-ID (without angle brackets) of the mail this
	// one answers: a reply is threaded under the filer's mail (R-RV-6).
	InReplyTo string
	// ReplyTo is where the filer's answer goes (the province mailbox a
	// reply was written from); "" for the sender.
	ReplyTo string
	SentAt  *time.Time
}

// Personal reports whether the mail is a person's reply to a filer (not a
// notice): it is not marked Auto-Submitted.
func (m Mail) Personal() bool {
	return strings.HasPrefix(m.Key, "inbound/") && strings.Contains(m.Key, "/reply/")
}

// Task kinds and statuses.
const (
	TaskVerificationCall = "verification_call" // 真实性核验电话 (R-VC)
	TaskOpen             = "open"
	TaskDone             = "done"
)

// Task is a piece of work for staff, such as a verification call (R-RV-2, R-VC).
type Task struct {
	ID        string
	Key       string // business key; one task per key
	Kind      string
	Status    string
	CaseID    string
	DueAt     time.Time
	Script    string
	CreatedAt time.Time
	// CaseNo is the case's number, as lists of tasks show it (read only).
	CaseNo string
	// CompletedAt and Outcome (JSON) record how the task ended or, while
	// it is open, what happened so far (e.g. calls without answer).
	CompletedAt *time.Time
	Outcome     string
	// Assignee is the specialist the task is for; empty: whoever takes it.
	Assignee string
}

// TaskUpdate changes a task of the case in a transition: its status and
// outcome (JSON). A task not of the case, or already done, is an error.
type TaskUpdate struct {
	ID      string
	Status  string
	Outcome string
	At      time.Time
	DueAt   *time.Time // a new due time (a callback), if any
}

// Access action kinds and statuses (R-AC).
const (
	AccessOpen      = "open"    // 开通接入 on approval (R-AC-0)
	AccessCancel    = "cancel"  // 取消接入
	AccessRestore   = "restore" // 恢复接入
	AccessPending   = "pending"
	AccessConfirmed = "confirmed"
)

// Whom an access action is addressed to.
const (
	AddresseeTech           = "tech"            // 技术部
	AddresseeTechSupervisor = "tech_supervisor" // 技术部主管: an escalation's stop (R-VC-4)
)

// AccessKindTitle is how staff name an access action's kind (R-AC).
func AccessKindTitle(kind string) string {
	switch kind {
	case AccessOpen:
		return "开通接入"
	case AccessCancel:
		return "取消接入"
	case AccessRestore:
		return "恢复接入"
	}
	return kind
}

// AccessAction is work for tech: open, cancel or restore our network access to
// a site; pending until tech confirms (R-AC-1).
type AccessAction struct {
	ID          string
	Key         string // business key; one action per key
	CaseID      string
	Kind        string
	Status      string
	Reason      string
	ServerIPs   []string
	Domains     []string
	RequestedAt time.Time
	ConfirmedAt *time.Time
	ConfirmedBy string
	// ConfirmNote is what tech did, as it said when confirming.
	ConfirmNote string
	// AddressedTo is whom the action is for: AddresseeTech, or
	// AddresseeTechSupervisor when an escalation stops a customer (R-VC-4).
	AddressedTo string
	// CustomerID is the customer of the action's case (read only): tech
	// sees a customer's cuts together (R-VC-4 stops all of them).
	CustomerID string
}

// Transition is one state change of a case, written in one transaction: the
// case as it now is, the timeline event, and the mails, tasks and access
// actions it causes. Seq numbers a case's transitions; a Seq already written
// is not written again, so a retried activity changes nothing.
type Transition struct {
	Seq           int
	Case          *Case
	Event         Event
	Mails         []Mail
	Tasks         []Task
	TaskUpdates   []TaskUpdate
	AccessActions []AccessAction
}

// CaseFilter selects cases for a list. Ended cases (PURGED, WITHDRAWN,
// CANCELLED) are listed only when Status names them.
type CaseFilter struct {
	Status   Status
	Province string // system or bureau province
	// SystemProvince (from the server IP, R-ENT-1) and BureauProvince (the
	// reviewing bureau, R-ENT-3) filter on one of the two only.
	SystemProvince string
	BureauProvince string
	Domain         string
	Overdue        *bool
	Q              string // matches case number, sponsor, principal, domain
	// DueBefore keeps the cases whose bureau deadline (R-BR-1) falls before it.
	DueBefore *time.Time
	// CreatedFrom and CreatedBefore keep the cases opened in [from, before).
	CreatedFrom, CreatedBefore *time.Time
	// Step keeps the cases waiting on a filer's step: StepSMSPending (the
	// MIIT SMS code, R-BR-6), StepPublicSecurityDue or
	// StepPublicSecurityOverdue (R-PA-6).
	Step string
	// Sort is "" (newest first) or SortDue: soonest bureau deadline first,
	// cases without one last, then newest first.
	Sort string
	// CountTotal asks for CasePage.Total, the number of cases f selects
	// on every page (one more query: for short lists such as the dashboard's).
	CountTotal bool
	// Bulk allows pages of up to 5,000 (exports), not 200.
	Bulk   bool
	Limit  int
	Cursor string
}

// Filer steps a case list can be filtered by (CaseFilter.Step).
const (
	StepSMSPending            = "sms_pending"
	StepPublicSecurityDue     = "public_security_due"
	StepPublicSecurityOverdue = "public_security_overdue"
)

// SortDue orders a case list by bureau deadline, soonest first.
const SortDue = "due"

// CasePage is one page of a case list.
type CasePage struct {
	Items      []Case
	NextCursor string
	// Total is set when the filter asked for it (CountTotal).
	Total int
}

// AuditEntry records who did what to which target, e.g. revealing a secret.
type AuditEntry struct {
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail string
	// Kind groups the entry (AuditState, AuditReveal, …); empty means the
	// store derives it from Action. CaseID is the case it concerns, if
	// any; empty means the store takes it from a Target "case/<id>".
	// (issue 12 §3: audit trail)
	Kind   string
	CaseID string
}

// The kinds of audit entry (issue 12 §3).
const (
	AuditState  = "state"   // a case's workflow applied an action
	AuditCase   = "case"    // staff changed one case outside a transition (override, mail matched)
	AuditReveal = "reveal"  // someone saw unmasked numbers
	AuditSignIn = "sign_in" // a console sign-in, failed sign-in or sign-out
	AuditAdmin  = "admin"   // an edit of settings, staff, customers, reference data
	AuditExport = "export"  // a spreadsheet or file of personal data left the desk
)

// AuditKinds are the kinds of audit entry, in the order staff pick them.
var AuditKinds = []string{AuditState, AuditCase, AuditReveal, AuditSignIn, AuditAdmin, AuditExport}

// AuditRecord is one row of the hash-chained audit trail: the entry, its
// place in the chain and the hashes that link it (issue 12 §3).
type AuditRecord struct {
	AuditEntry
	ID       int64
	PrevHash []byte
	Hash     []byte
}

// AuditFilter selects audit records, newest first. Empty fields match
// everything; From and To bound At ([From, To)).
type AuditFilter struct {
	Actor, CaseID, Kind string
	From, To            *time.Time
	Limit               int    // 1–200; 0 means 50
	Cursor              string // NextCursor of the page before
}

// AuditPage is one page of the audit trail.
type AuditPage struct {
	Items      []AuditRecord
	NextCursor string
}

// IdempotentResponse is the first answer given to a write with an Idempotency-Key.
type IdempotentResponse struct {
	Key      string
	Actor    string
	BodyHash string
	Status   int
	Body     []byte
	At       time.Time
}

// Correction is corrected case data (R-RV-4, R-BR-3) kept in the database
// until the workflow applies it, so that personal data (ID numbers) never
// enters workflow history: the update carries only the correction's ID.
type Correction struct {
	ID                   string
	CaseID               string
	Sponsor              Sponsor
	Principal            Principal
	Website              Website
	Routing              Routing
	Checklist            []ChecklistItem
	EmailSubject         string
	FilingPasswordSealed string
	CustomerID           string // the holder of the product owning the corrected IPs
	FilingNumber         string
	AcceptedOverrides    []string
	CreatedBy            string
	CreatedAt            time.Time
}

// Store keeps cases and everything around them (PostgreSQL in production).
// Errors are *Error with CodeNotFound, CodeDomainConflict (message names the
// case holding the domain) or CodeSponsorConflict where they apply.
type Store interface {
	SweepStore
	SecurityStore
	ReportStore
	MailboxStore
	// CreateCase inserts c with its domains and a "created" event; it sets
	// c.ID, c.CaseNo, c.CreatedAt and c.UpdatedAt.
	CreateCase(ctx context.Context, c *Case) error
	GetCase(ctx context.Context, id string) (*Case, error)
	ListCases(ctx context.Context, f CaseFilter) (CasePage, error)
	// SaveTransition writes t in one transaction; applied is false when t.Seq
	// was written before (then nothing changes).
	SaveTransition(ctx context.Context, t *Transition) (applied bool, err error)
	AddEvent(ctx context.Context, caseID string, e Event) error
	// SaveCorrection stores a correction and sets its ID and CreatedAt.
	SaveCorrection(ctx context.Context, c *Correction) error
	GetCorrection(ctx context.Context, id string) (*Correction, error)

	GetMail(ctx context.Context, key string) (*Mail, error)
	MarkMailSent(ctx context.Context, key string, at time.Time) error
	// ClaimMail claims the unsent mail of key for lease so only one sender
	// sends it; claimed is false when it was sent or another sender holds it.
	ClaimMail(ctx context.Context, key string, lease time.Duration) (claimed, sent bool, err error)
	// ReleaseMail gives up a claim after a failed send.
	ReleaseMail(ctx context.Context, key string) error
	ListMails(ctx context.Context, caseID string) ([]Mail, error)

	ListTasks(ctx context.Context, kind, status string) ([]Task, error)

	ListAccessActions(ctx context.Context, status string) ([]AccessAction, error)
	// SamplingCandidates returns up to limit approved filings verified
	// longest ago, without an open call (R-PA-1).
	SamplingCandidates(ctx context.Context, limit int) ([]string, error)
	// LiveCasesOfCustomer returns the live filings (status OnRecord) of a customer.
	LiveCasesOfCustomer(ctx context.Context, customerID string) ([]Case, error)
	// GetTask returns one task; CodeNotFound when there is none.
	GetTask(ctx context.Context, id string) (*Task, error)
	// CaseTasks returns the tasks of one case, soonest due first.
	CaseTasks(ctx context.Context, caseID string) ([]Task, error)
	// CaseAccessActions returns the access actions of one case, oldest
	// first: a query by case, never a scan of all of them.
	CaseAccessActions(ctx context.Context, caseID string) ([]AccessAction, error)
	// ConfirmAccessAction records that tech carried out the action, with
	// what it did (note); confirmed before is CodeInvalidState.
	ConfirmAccessAction(ctx context.Context, id, actor string, at time.Time, note string) (*AccessAction, error)
	// QueueMailWithEvents queues a mail not of one transition (e.g. the
	// daily chase of unconfirmed access actions) with a timeline event on
	// each case it concerns, in one transaction; queued is false when the
	// mail's key was queued before (then nothing is written).
	QueueMailWithEvents(ctx context.Context, m Mail, events map[string]Event) (queued bool, err error)

	ListDataCentres(ctx context.Context) ([]DataCentre, error)
	ReplaceDataCentres(ctx context.Context, dcs []DataCentre, actor string) error

	ListCalendarDays(ctx context.Context) ([]CalendarDay, error)
	PutCalendarDay(ctx context.Context, d CalendarDay) error

	GetIdempotent(ctx context.Context, key, actor string) (*IdempotentResponse, error) // nil, nil when absent or older than 24 h
	SaveIdempotent(ctx context.Context, r IdempotentResponse) error

	Audit(ctx context.Context, e AuditEntry) error
	// ListAudit pages the audit trail newest first (issue 12 §3).
	ListAudit(ctx context.Context, f AuditFilter) (*AuditPage, error)

	// GetSetting returns the JSON document stored under key, such as the
	// admins' intake rules; nil, nil when there is none.
	GetSetting(ctx context.Context, key string) ([]byte, error)
	// PutSetting stores the JSON document value under key, or removes the
	// setting when value is nil, and audits the change with a summary of the
	// old and the new value. A value that is not JSON is CodeInvalid.
	PutSetting(ctx context.Context, key string, value []byte, actor string) error

	// ListBlacklist returns the blacklist (R-IN-6), oldest entry first.
	ListBlacklist(ctx context.Context) ([]BlacklistEntry, error)
	// AddBlacklistEntry adds e, audited as e.Author, and sets e.ID and
	// e.CreatedAt. An entry of the same Kind and Key is CodeConflict.
	AddBlacklistEntry(ctx context.Context, e *BlacklistEntry) error
	// DeleteBlacklistEntry removes the entry and audits it; CodeNotFound when
	// there is none.
	DeleteBlacklistEntry(ctx context.Context, id, actor string) error

	// ListCustomers returns every customer with its products, by ID.
	ListCustomers(ctx context.Context) ([]Customer, error)
	// GetCustomer returns the customer with its products; CodeNotFound when
	// there is none.
	GetCustomer(ctx context.Context, id string) (*Customer, error)
	// PutCustomers replaces each customer and its products (products of the
	// customer not in c.Products are dropped) in one transaction, each
	// audited. A product ID held by another customer is CodeConflict.
	PutCustomers(ctx context.Context, cs []Customer, actor string) error
	// ProductsForIPs returns the products holding any of ips, expired ones
	// too (R-ENT-2, R-RV-1).
	ProductsForIPs(ctx context.Context, ips []netip.Addr) ([]Product, error)
	// ExpiringProducts returns the products valid until through ("2006-01-02")
	// or earlier that have live filings on their IPs, soonest first.
	ExpiringProducts(ctx context.Context, through string) ([]ExpiringProduct, error)

	// OpenApplicationOf returns an application in progress (Status.InProgress)
	// of the sponsor with the certificate number, nil, nil when there is none
	// (R-IN-5).
	OpenApplicationOf(ctx context.Context, certNumber string) (*Case, error)

	// DomainHolders returns, for each of domains (registrable, lower-case
	// punycode) held by an open case or a live filing, the case holding it
	// (R-IN-5); domains nobody holds are absent. It writes nothing.
	DomainHolders(ctx context.Context, domains []string) (map[string]DomainHolder, error)

	// ListPublishedYears returns the years staff have marked as published
	// (their holiday schedule entered in full), ascending (R-BR-1).
	ListPublishedYears(ctx context.Context) ([]int, error)
	// PublishYear marks year as published or not, audited as actor (R-BR-1).
	PublishYear(ctx context.Context, year int, published bool, actor string) error

	// LiveFilingByNumber returns the live filing (status OnRecord) with the
	// filing number, nil, nil when we hold none (R-TY).
	LiveFilingByNumber(ctx context.Context, filingNumber string) (*Case, error)
	// InProgressLinkedTo returns the application in progress linked to the
	// live filing caseID, nil, nil when there is none.
	InProgressLinkedTo(ctx context.Context, caseID string) (*Case, error)
}

// DomainHolder is the case holding a domain: an open application or a live
// filing (R-IN-5).
type DomainHolder struct {
	Domain string
	CaseID string
	CaseNo string
	Status Status
}
