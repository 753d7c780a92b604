package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The escalation of one customer (R-VC-4): a verification call found false
// data or no cooperation. The account manager's superior is told, every
// live filing of the customer is ordered to rectify within 24 hours, and
// when the deadline has passed the filings not rectified have had their
// access cut by their own workflows: tech's supervisor and the GM are then
// told, once. Access comes back only after a new verification call passes
// (the lifecycle's restore-access). One workflow a customer, started or fed
// by a signal; it ends when its round is over.

// Names of the escalation workflow, its signal and activities.
const (
	EscalationWorkflowName    = "Escalation"
	SignalEscalate            = "escalate"
	ActivityStartEscalation   = "StartEscalation"
	ActivityEscalationOrder   = "EscalationOrder"
	ActivityEscalationExpired = "EscalationExpired"
)

// EscalationID is the workflow ID of a customer's escalation.
func EscalationID(customerID string) string { return "escalation-" + customerID }

// EscalationSignal is one call that found false data or no cooperation.
type EscalationSignal struct {
	CaseID  string
	CaseNo  string
	Outcome string // false_info | uncooperative
}

// EscalationRound is one round of a customer's escalation.
type EscalationRound struct {
	CustomerID string
	Key        string // stable across retries: the run and the round
	Trigger    EscalationSignal
}

// EscalationOrdered is what the order did: the filings ordered to
// rectify and by when.
type EscalationOrdered struct {
	Cases     []string
	RectifyBy time.Time
	// CheckAt is when to look at what the deadline did: a little after it,
	// once the filings' own timers have fired.
	CheckAt time.Time
}

// EscalationCheck asks which ordered filings were not rectified in time.
type EscalationCheck struct {
	Round EscalationRound
	Cases []string
}

// Escalation runs the rounds of one customer's escalation.
func Escalation(ctx workflow.Context, customerID string) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	signals := workflow.GetSignalChannel(ctx, SignalEscalate)
	cut := 0
	for round := 1; ; round++ {
		var sig EscalationSignal
		if round == 1 {
			signals.Receive(ctx, &sig) // started with its signal
		} else if !signals.ReceiveAsync(&sig) {
			return cut, nil // nothing more to escalate: the round is over
		}
		r := EscalationRound{CustomerID: customerID, Trigger: sig,
			Key: fmt.Sprintf("%s/%d", workflow.GetInfo(ctx).WorkflowExecution.RunID, round)}
		var ordered EscalationOrdered
		if err := workflow.ExecuteActivity(actx, ActivityEscalationOrder, r).Get(ctx, &ordered); err != nil {
			return cut, err
		}
		if len(ordered.Cases) == 0 {
			continue
		}
		// The filings' own timers cut access at the deadline; a little
		// later the escalation looks at what happened.
		if d := ordered.CheckAt.Sub(workflow.Now(ctx)); d > 0 {
			if err := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: "rectification 24h R-VC-4"}).Get(ctx, nil); err != nil {
				return cut, err
			}
		}
		var n int
		if err := workflow.ExecuteActivity(actx, ActivityEscalationExpired, EscalationCheck{Round: r, Cases: ordered.Cases}).Get(ctx, &n); err != nil {
			return cut, err
		}
		cut += n
	}
}
