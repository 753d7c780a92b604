package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// A call the person asked to have later (R-VC-2: "请问您什么时间方便？"):
// the task sleeps until then; at the time it is due again and on the
// timeline; if nobody has made the call 30 working minutes later, staff are
// alerted. One workflow a callback, durable across restarts.

// Names of the callback workflow and its activities.
const (
	CallbackWorkflowName  = "Callback"
	ActivityStartCallback = "StartCallback"
	ActivityCallbackWake  = "CallbackWake"
	ActivityCallbackCheck = "CallbackCheck"
)

// CallbackID is the workflow ID of a task's callback at a time.
func CallbackID(taskID string, at time.Time) string {
	return "callback-" + taskID + "-" + at.UTC().Format("20060102T150405")
}

// CallbackInput is one arranged callback.
type CallbackInput struct {
	TaskID  string
	CaseID  string
	At      time.Time // when the person asked to be called
	AlertAt time.Time // 30 working minutes later (R-RV-6)
}

// Callback wakes the call at its time and alerts staff when it is late.
func Callback(ctx workflow.Context, in CallbackInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	sleep := func(until time.Time, summary string) error {
		d := until.Sub(workflow.Now(ctx))
		if d <= 0 {
			return nil
		}
		return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
	}
	if err := sleep(in.At, "callback due"); err != nil {
		return err
	}
	var open bool
	if err := workflow.ExecuteActivity(actx, ActivityCallbackWake, in).Get(ctx, &open); err != nil {
		return err
	}
	if !open { // called already (or the case went on): nothing to chase
		return nil
	}
	if err := sleep(in.AlertAt, "callback 30 working minutes"); err != nil {
		return err
	}
	return workflow.ExecuteActivity(actx, ActivityCallbackCheck, in).Get(ctx, nil)
}
