// Package worker wires the Temporal side of beian: the worker that runs the
// filing workflow and its activities, and the Engine the API uses to start
// and drive workflows.
package worker

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/activities"
	"github.com/beian/beian/workflows"
)

// New returns a worker on the filing task queue with the workflow and every
// activity registered under the names the workflow uses.
// A stopping worker lets running activities finish for up to 15 s (unless
// opts says otherwise), so a restart does not leave a mail half-sent until
// its start-to-close timeout.
func New(c client.Client, acts *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	if opts.WorkerStopTimeout == 0 {
		opts.WorkerStopTimeout = 15 * time.Second
	}
	w := sdkworker.New(c, workflows.TaskQueue, opts)
	Register(w, acts)
	return w
}

// Register registers the filing workflow and activities on r (a worker or a
// test environment).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.Filing, workflow.RegisterOptions{Name: workflows.FilingWorkflowName})
	r.RegisterActivityWithOptions(acts.Apply, activity.RegisterOptions{Name: workflows.ActivityApply})
	r.RegisterActivityWithOptions(acts.SendMail, activity.RegisterOptions{Name: workflows.ActivitySendMail})
	r.RegisterActivityWithOptions(acts.NotifyAccess, activity.RegisterOptions{Name: workflows.ActivityNotifyAccess})
	r.RegisterActivityWithOptions(acts.NotifyLinked, activity.RegisterOptions{Name: workflows.ActivityNotifyLinked})
	r.RegisterActivityWithOptions(acts.UnsentMail, activity.RegisterOptions{Name: workflows.ActivityUnsentMail})
	r.RegisterWorkflowWithOptions(workflows.InboundMail, workflow.RegisterOptions{Name: workflows.InboundWorkflowName})
	r.RegisterActivityWithOptions(acts.InboundPlan, activity.RegisterOptions{Name: workflows.ActivityInboundPlan})
	r.RegisterActivityWithOptions(acts.InboundAlert, activity.RegisterOptions{Name: workflows.ActivityInboundAlert})
	r.RegisterWorkflowWithOptions(workflows.DailySampling, workflow.RegisterOptions{Name: workflows.SamplingWorkflowName})
	r.RegisterActivityWithOptions(acts.SamplingPlan, activity.RegisterOptions{Name: workflows.ActivitySamplingPlan})
	r.RegisterActivityWithOptions(acts.RequestSampledCall, activity.RegisterOptions{Name: workflows.ActivityRequestSampledCall})
	r.RegisterWorkflowWithOptions(workflows.AccessChase, workflow.RegisterOptions{Name: workflows.ChaseWorkflowName})
	r.RegisterActivityWithOptions(acts.ChaseAccess, activity.RegisterOptions{Name: workflows.ActivityChaseAccess})
	r.RegisterWorkflowWithOptions(workflows.Escalation, workflow.RegisterOptions{Name: workflows.EscalationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.Callback, workflow.RegisterOptions{Name: workflows.CallbackWorkflowName})
	r.RegisterActivityWithOptions(acts.StartCallback, activity.RegisterOptions{Name: workflows.ActivityStartCallback})
	r.RegisterActivityWithOptions(acts.CallbackWake, activity.RegisterOptions{Name: workflows.ActivityCallbackWake})
	r.RegisterActivityWithOptions(acts.CallbackCheck, activity.RegisterOptions{Name: workflows.ActivityCallbackCheck})
	r.RegisterActivityWithOptions(acts.StartEscalation, activity.RegisterOptions{Name: workflows.ActivityStartEscalation})
	r.RegisterActivityWithOptions(acts.EscalationOrder, activity.RegisterOptions{Name: workflows.ActivityEscalationOrder})
	r.RegisterActivityWithOptions(acts.EscalationExpired, activity.RegisterOptions{Name: workflows.ActivityEscalationExpired})
	r.RegisterActivityWithOptions(acts.RectifyDeadline, activity.RegisterOptions{Name: workflows.ActivityRectifyDeadline})
	r.RegisterWorkflowWithOptions(workflows.ShellSiteSweep, workflow.RegisterOptions{Name: workflows.SweepWorkflowName})
	r.RegisterActivityWithOptions(acts.OpenSweep, activity.RegisterOptions{Name: workflows.ActivityOpenSweep})
	r.RegisterActivityWithOptions(acts.SweepBatch, activity.RegisterOptions{Name: workflows.ActivitySweepBatch})
	r.RegisterActivityWithOptions(acts.SweepNotify, activity.RegisterOptions{Name: workflows.ActivitySweepNotify})
	r.RegisterActivityWithOptions(acts.SweepHomepages, activity.RegisterOptions{Name: workflows.ActivitySweepHomepages})
	r.RegisterActivityWithOptions(acts.FinishSweep, activity.RegisterOptions{Name: workflows.ActivityFinishSweep})
}
