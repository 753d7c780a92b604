package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The weekly shell-site sweep (空壳网站排查, R-PA-3, R-PA-5): a Temporal
// Schedule starts ShellSiteSweep on Thursdays at 14:00 Asia/Shanghai, and
// staff may start one (POST /api/v1/sweeps). The sweep pages through the
// live filings' domains in batches: each batch is one activity that
// resolves its domains with bounded concurrency, records every finding with
// its evidence and heartbeats its progress, so the history holds a few
// events per batch, not one per domain, and a worker killed mid-batch
// resumes where it stopped. Then each filing found elsewhere is ordered to
// rectify within 24 hours through its own workflow (which sends the notice
// once), and the home pages of the domains found ours are checked for the
// filing number. Postgres keeps one sweep running at a time.

// Names of the sweep workflow, its schedule and activities.
const (
	SweepWorkflowName      = "ShellSiteSweep"
	SweepScheduleID        = "beian-shell-site-sweep"
	ActivityOpenSweep      = "OpenSweep"
	ActivitySweepBatch     = "SweepBatch"
	ActivitySweepNotify    = "SweepNotify"
	ActivitySweepHomepages = "SweepHomepages"
	ActivityFinishSweep    = "FinishSweep"
)

// SweepCron is when the schedule starts the sweep by default, in SamplingZone.
const SweepCron = "0 14 * * 4"

// SweepWorkflowID is the workflow ID of the sweep with the given ID.
func SweepWorkflowID(id string) string { return "sweep-" + id }

// SweepInput starts (or continues) a sweep. An empty SweepID (the
// schedule's start) opens one first, or leaves it to the one running.
type SweepInput struct {
	SweepID   string
	Cursor    string // the last domain of the batches done
	BatchSize int
}

// SweepOpened is the sweep the schedule's run works on.
type SweepOpened struct {
	SweepID string
	Joined  bool // another sweep was running: this run leaves it to it
}

// SweepBatchInput is one batch: the domains after Cursor, at most Limit.
type SweepBatchInput struct {
	SweepID string
	Cursor  string
	Limit   int
}

// SweepBatchResult is where the next batch starts ("" at the end).
type SweepBatchResult struct {
	Next    string
	Checked int
}

// SweepFinish ends a sweep.
type SweepFinish struct {
	SweepID string
	Status  string
	Error   string
}

// DefaultSweepBatch is how many domains one batch activity checks.
const DefaultSweepBatch = 5000

// ShellSiteSweep runs one sweep to its end and returns its ID.
func ShellSiteSweep(ctx workflow.Context, in SweepInput) (string, error) {
	short := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	if in.SweepID == "" {
		var opened SweepOpened
		if err := workflow.ExecuteActivity(short, ActivityOpenSweep, "schedule").Get(ctx, &opened); err != nil {
			return "", err
		}
		if opened.Joined {
			workflow.GetLogger(ctx).Info("a sweep is running already; leaving it to it", "sweep", opened.SweepID)
			return opened.SweepID, nil
		}
		in.SweepID = opened.SweepID
	}
	if in.BatchSize <= 0 {
		in.BatchSize = DefaultSweepBatch
	}
	long := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	err := func() error {
		for {
			var res SweepBatchResult
			if err := workflow.ExecuteActivity(long, ActivitySweepBatch, SweepBatchInput{SweepID: in.SweepID, Cursor: in.Cursor, Limit: in.BatchSize}).Get(ctx, &res); err != nil {
				return err
			}
			if res.Next == "" {
				break
			}
			in.Cursor = res.Next
			if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				return workflow.NewContinueAsNewError(ctx, ShellSiteSweep, in)
			}
		}
		if err := workflow.ExecuteActivity(long, ActivitySweepNotify, in.SweepID).Get(ctx, nil); err != nil {
			return err
		}
		return workflow.ExecuteActivity(long, ActivitySweepHomepages, in.SweepID).Get(ctx, nil)
	}()
	if isContinueAsNew(err) {
		return in.SweepID, err
	}
	finish := SweepFinish{SweepID: in.SweepID, Status: "completed"}
	if temporal.IsCanceledError(err) {
		finish.Status, finish.Error = "failed", "排查被取消"
	} else if err != nil {
		finish.Status, finish.Error = "failed", err.Error()
	}
	dctx, _ := workflow.NewDisconnectedContext(short)
	if ferr := workflow.ExecuteActivity(dctx, ActivityFinishSweep, finish).Get(dctx, nil); ferr != nil && err == nil {
		err = ferr
	}
	return in.SweepID, err
}

func isContinueAsNew(err error) bool {
	_, ok := err.(*workflow.ContinueAsNewError)
	return ok
}
