// Package workflows holds the deterministic orchestration of a filing case:
// one long-lived Temporal workflow per case (备案申请), from intake to the
// bureau's decision and on through the filing's life. Every side effect is an
// activity (package activities); this package only decides what happens when.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian"
	"github.com/beian/beian/lifecycle"
)

// TaskQueue is the task queue of the filing worker.
const TaskQueue = "beian-filings"

// Names of the workflow, its query, signal and updates.
const (
	FilingWorkflowName   = "Filing"
	QueryState           = "state"
	SignalBureauDecision = "bureau-decision"
	// SignalLinkedOutcome tells a live filing that a change, cancel or
	// cancel_access case linked to it has its outcome (Decision: the status
	// this filing takes, Source: the linked case's ID).
	SignalLinkedOutcome = "linked-outcome"
)

// Search attributes that make every case findable in the Temporal Web UI.
var (
	SADomain         = temporal.NewSearchAttributeKeyKeyword("BeianDomain")
	SAProvince       = temporal.NewSearchAttributeKeyKeyword("BeianProvince")
	SABureauProvince = temporal.NewSearchAttributeKeyKeyword("BeianBureauProvince")
	SAStatus         = temporal.NewSearchAttributeKeyKeyword("BeianStatus")
	SACaseNo         = temporal.NewSearchAttributeKeyKeyword("BeianCaseNo")
	SABureauDue      = temporal.NewSearchAttributeKeyTime("BeianBureauDue")
)

// SearchAttributeTypes lists the search attributes to register on a server,
// name → type as the Temporal CLI spells it.
var SearchAttributeTypes = map[string]string{
	"BeianDomain":         "Keyword",
	"BeianProvince":       "Keyword",
	"BeianBureauProvince": "Keyword",
	"BeianStatus":         "Keyword",
	"BeianCaseNo":         "Keyword",
	"BeianBureauDue":      "Datetime",
}

// ErrNoWorkflow is the answer of an action on a case whose workflow is not
// running: ended, or never started (saved while Temporal was down, before
// the reconciler started it).
var ErrNoWorkflow = &beian.Error{Code: beian.CodeInvalidState, Message: "该备案申请的流程已结束，不能再执行此操作"}

// WorkflowID is the workflow ID of the case with the given ID.
func WorkflowID(caseID string) string { return "filing-" + caseID }

// FilingInput starts (or continues) the workflow of one case.
type FilingInput struct {
	CaseID         string
	CaseNo         string
	Type           beian.CaseType
	Domain         string // first domain, or first IP for an IP-only site
	Province       string
	BureauProvince string
	// State is set when the workflow continues as new.
	State *State
	// StartSeq is the highest transition number the case already has, for a
	// workflow started again for an existing case (reconcile): numbers are
	// never reused, since Apply is idempotent by them.
	StartSeq int
	// Resumed is set when the case already had transitions: no receipt again.
	Resumed bool
	// PurgeAt is one calendar month after creation (R-RV-5), computed by the caller.
	PurgeAt time.Time
}

// Snapshot is where a case stands, as a transition leaves it: what the
// workflow needs for its timers and search attributes.
type Snapshot struct {
	Status       beian.Status
	PurgeAt      *time.Time
	BureauDueAt  *time.Time
	Overdue      bool
	RectifyBy    *time.Time
	FilingNumber string
	// Alarms are the timers besides the main deadline: the SMS check
	// (R-BR-6) and the public-security filing (R-PA-6).
	Alarms []Alarm `json:",omitempty"`
	// Search attributes, kept current after corrections.
	Domain         string
	Province       string
	BureauProvince string
}

// State is what the workflow knows of its case; the full case lives in
// Postgres. (Snapshot is embedded, so the JSON shape is flat as before.)
type State struct {
	Snapshot
	Seq int
	// Pending are mail sends and webhook calls not yet done when the
	// workflow continued as new; the next run does them.
	Pending []Dispatch
}

// Dispatch is one background activity call by key (SendMail, NotifyAccess).
type Dispatch struct {
	Activity string
	Key      string
}

// ActionRequest is the argument of every staff update and of the bureau
// signal. Only the fields of its action are read.
type ActionRequest struct {
	Actor string
	// materials
	Received []string
	// review
	Result  string // "pass" | "fail"
	Reasons []string
	// corrections: the stored correction (beian.Correction) to apply; only
	// its ID travels, so personal data stays out of workflow history
	CorrectionID string
	// bureau-decision
	Decision             string // "approved" | "returned" | "" with Received
	BureauReceived       bool
	FilingNumber         string
	FilingPasswordSealed string // sealed by the API: no clear password enters history
	// bureau-decision returned, require-rectification, withdraw, restore-access
	Reason string
	Source string // require-rectification: "sweep", "verification", "security", "manual"
	// RefusedBecause says why a bureau signal could not be applied (EventSignalRefused).
	RefusedBecause string
	// DNSNote is where the domains resolve as the approval is recorded: tech
	// reads it on the order to open access (R-RV-2).
	DNSNote string
	// verification-result: the call task, its outcome ("answered",
	// "no_answer"), what was answered by question, and which number was
	// dialled ("mobile" or "landline", R-VC-2).
	TaskID  string
	Outcome string
	Answers map[string]string
	Dialled string
	// verification-call: the specialist the call is for (daily sampling).
	Assignee string
	// verification-result callback: when the person asked to be called back.
	CallbackAt time.Time
	// public-security: the number the filer was given (R-PA-6).
	PublicSecurityNumber string `json:",omitempty"`
}

// ApplyInput asks the Apply activity to carry out one transition.
type ApplyInput struct {
	CaseID  string
	Seq     int
	Action  string // a beian.Action, or a timer event: "receipt", "purge", "overdue", "rectify-expired"
	Request ActionRequest
	At      time.Time // workflow time of the transition
}

// Timer and system events, applied like actions: the lifecycle's names
// (package lifecycle holds what each does).
const (
	EventReceipt        = lifecycle.EventReceipt
	EventPurge          = lifecycle.EventPurge
	EventOverdue        = lifecycle.EventOverdue
	EventRectifyExpired = lifecycle.EventRectifyExpired
	// EventSignalRefused records a bureau signal the case could not take.
	EventSignalRefused = lifecycle.EventSignalRefused
	// EventLinkedOutcome applies the outcome of a linked case to this filing.
	EventLinkedOutcome = lifecycle.EventLinkedOutcome
	// The outcomes of a shell-site deadline other than the cut (R-PA-3).
	EventSweepCleared  = lifecycle.EventSweepCleared
	EventSweepNXDomain = lifecycle.EventSweepNXDomain
	EventSweepRecheck  = lifecycle.EventSweepRecheck
)

// Alarm events (lifecycle.Alarms).
const (
	EventSMSReminder            = lifecycle.EventSMSReminder
	EventSMSExpired             = lifecycle.EventSMSExpired
	EventPublicSecurityReminder = lifecycle.EventPublicSecurityReminder
	EventPublicSecurityOverdue  = lifecycle.EventPublicSecurityOverdue
)

// Alarm is a timer of a case besides its main deadline (lifecycle.Alarms).
type Alarm = lifecycle.Alarm

// DeadlineDecision is what a rectification deadline does: the event to
// apply (EventRectifyExpired, or a shell-site outcome) and why.
type DeadlineDecision struct {
	Event  string
	Detail string
}

// ApplyResult is what the workflow needs back from a transition.
type ApplyResult struct {
	Snapshot
	Applied bool
	// Linked is set when the outcome must be passed to the linked live filing.
	Linked     bool
	MailKeys   []string // outbox rows to send
	AccessKeys []string // access actions to tell network control about
	// Escalate starts (or feeds) the escalation of the case's customer (R-VC-4).
	Escalate bool
	// Callback starts the wake-up of a call the person asked to have later.
	Callback bool
}

// InputFor is the input that starts the workflow of case c.
func InputFor(c *beian.Case) FilingInput {
	in := FilingInput{
		CaseID: c.ID, CaseNo: c.CaseNo, Type: c.Type, Domain: c.PrimaryName(),
		Province: c.Routing.Province, BureauProvince: c.Routing.BureauProvince,
	}
	if c.Deadlines.PurgeAt != nil {
		in.PurgeAt = *c.Deadlines.PurgeAt
	}
	for _, e := range c.Timeline {
		if e.Seq > in.StartSeq {
			in.StartSeq = e.Seq
		}
	}
	in.Resumed = in.StartSeq > 0
	return in
}
