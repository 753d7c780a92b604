package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The daily sampling (每日抽查, R-PA-1): a Temporal Schedule starts
// DailySampling at 09:00 Asia/Shanghai every day; whether the day is a
// working day (holidays skipped, make-up working days included) is decided
// by the SamplingPlan activity against the calendar, which a cron line
// cannot say. The plan picks the approved filings verified longest ago and
// spreads them over the specialists on duty; each gets a call task through
// its own filing's workflow, idempotent by the day.

// Names of the sampling workflow, its schedule and activities.
const (
	SamplingWorkflowName       = "DailySampling"
	SamplingScheduleID         = "beian-daily-sampling"
	ActivitySamplingPlan       = "SamplingPlan"
	ActivityRequestSampledCall = "RequestSampledCall"
)

// SamplingCron is when the schedule starts the sampling, in SamplingZone.
const (
	SamplingCron = "0 9 * * *"
	SamplingZone = "Asia/Shanghai"
)

// SampledCall is one call of a day's sampling.
type SampledCall struct {
	Day      string // "2006-01-02", Asia/Shanghai
	CaseID   string
	Assignee string // a specialist's username; empty when none is on duty
}

// SamplingPlanInput asks for the plan of one day.
type SamplingPlanInput struct {
	At time.Time // when the sampling runs
}

// DailySampling asks for the day's sampled calls: none on a day off.
func DailySampling(ctx workflow.Context) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var plan []SampledCall
	if err := workflow.ExecuteActivity(actx, ActivitySamplingPlan, SamplingPlanInput{At: workflow.Now(ctx)}).Get(ctx, &plan); err != nil {
		return 0, err
	}
	for _, call := range plan {
		if err := workflow.ExecuteActivity(actx, ActivityRequestSampledCall, call).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("sampled call not requested", "case", call.CaseID, "error", err)
		}
	}
	return len(plan), nil
}

// The daily chase of access actions tech has not confirmed (R-AC-1): a
// schedule starts AccessChase at 17:00 Asia/Shanghai; the ChaseAccess
// activity acts on working days only.
const (
	ChaseWorkflowName   = "AccessChase"
	ChaseScheduleID     = "beian-access-chase"
	ChaseCron           = "0 17 * * *"
	ActivityChaseAccess = "ChaseAccess"
)

// ChaseInput asks for one day's chase.
type ChaseInput struct {
	At time.Time // when the chase runs: actions requested before it are late
}

// AccessChase mails tech the access actions still unconfirmed.
func AccessChase(ctx workflow.Context) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var n int
	err := workflow.ExecuteActivity(actx, ActivityChaseAccess, ChaseInput{At: workflow.Now(ctx)}).Get(ctx, &n)
	return n, err
}
