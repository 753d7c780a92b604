package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The workflow of one mail read from a specialist mailbox (R-IN-3,
// R-RV-6): it sends what the desk queued about the mail (the notice of
// refused attachments, the specialist's replies) and keeps its reply
// deadline: at 16:30 of the deadline's day an unanswered mail alerts the
// specialist, at 17:30 the supervisor. Whatever happens to the mail (a
// match, a reply) wakes it with a signal; it reads the truth from
// Postgres each time, so a lost or repeated signal changes nothing.

// Names of the inbound mail workflow, its signal and activities.
const (
	InboundWorkflowName  = "InboundMail"
	SignalInboundLook    = "look"
	ActivityInboundPlan  = "InboundPlan"
	ActivityInboundAlert = "InboundAlert"
)

// InboundWorkflowID is the workflow ID of an inbound mail.
func InboundWorkflowID(mailID string) string { return "inbound-" + mailID }

// InboundInput names the mail.
type InboundInput struct{ MailID string }

// InboundPlan is where a mail stands, for its workflow.
type InboundPlan struct {
	// Unsent are the mail's outbox rows still to send.
	Unsent []string
	// Done: nothing more to wait for (answered, escalated, no deadline).
	Done bool
	// AlertAt is when the specialist is to be alerted, if still to be;
	// DueAt is the deadline, when the supervisor is told (R-RV-6).
	AlertAt *time.Time
	DueAt   *time.Time
}

// Inbound alert kinds.
const (
	InboundAlertSpecialist = "alert"
	InboundAlertSupervisor = "escalation"
)

// InboundAlertInput asks for one alert of a mail.
type InboundAlertInput struct {
	MailID string
	Kind   string
	At     time.Time // the alert's planned time
}

// InboundMail is the workflow of one inbound mail.
func InboundMail(ctx workflow.Context, in InboundInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	look := workflow.GetSignalChannel(ctx, SignalInboundLook)
	drain := func() bool {
		any := false
		for look.ReceiveAsync(nil) {
			any = true
		}
		return any
	}
	for {
		drain()
		var plan InboundPlan
		if err := workflow.ExecuteActivity(actx, ActivityInboundPlan, in.MailID).Get(ctx, &plan); err != nil {
			return err
		}
		for _, key := range plan.Unsent {
			if err := workflow.ExecuteActivity(actx, ActivitySendMail, key).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("send inbound mail", "key", key, "error", err)
			}
		}
		if plan.Done {
			if drain() { // woken while sending: look again
				continue
			}
			return nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return workflow.NewContinueAsNewError(ctx, InboundMail, in)
		}
		kind, at := InboundAlertSupervisor, plan.DueAt
		if plan.AlertAt != nil {
			kind, at = InboundAlertSpecialist, plan.AlertAt
		}
		if at == nil {
			return nil
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		d := at.Sub(workflow.Now(ctx))
		if d < time.Millisecond {
			d = time.Millisecond
		}
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: "reply " + kind + " R-RV-6"}), func(f workflow.Future) {
			fired = f.Get(ctx, nil) == nil
		})
		sel.AddReceive(look, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		cancel()
		if fired {
			if err := workflow.ExecuteActivity(actx, ActivityInboundAlert, InboundAlertInput{MailID: in.MailID, Kind: kind, At: *at}).Get(ctx, nil); err != nil {
				return err
			}
		}
	}
}
