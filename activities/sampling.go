package activities

import (
	"context"
	"fmt"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/workflows"
)

// DefaultSampleSize is how many approved filings the daily sampling calls:
// R-PA-1 asks for more than three.
const DefaultSampleSize = 4

// Caller asks a filing's workflow for an action (worker.Engine).
type Caller interface {
	Act(ctx context.Context, caseID string, a beian.Action, req workflows.ActionRequest, updateID string) (workflows.State, error)
}

// SamplingRuns reports whether the daily sampling works on day: on working
// days, holidays skipped and make-up working days (调休) included (R-PA-1).
func SamplingRuns(cal *calendar.Calendar, day string) (bool, error) {
	d, err := calendar.ParseDate(day)
	if err != nil {
		return false, err
	}
	return cal.Day(d).Working, nil
}

// SamplingPlan picks the day's sampled filings (R-PA-1): none on a day off;
// otherwise the approved filings verified longest ago, spread in turn over
// the specialists on duty (enabled accounts with role specialist).
func (a *Activities) SamplingPlan(ctx context.Context, in workflows.SamplingPlanInput) ([]workflows.SampledCall, error) {
	day := in.At.In(calendar.Shanghai).Format("2006-01-02")
	cal, err := a.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := SamplingRuns(cal, day)
	if err != nil || !runs {
		return nil, err
	}
	n := a.Config.SampleSize
	if n <= 0 {
		n = DefaultSampleSize
	}
	ids, err := a.Store.SamplingCandidates(ctx, n)
	if err != nil {
		return nil, err
	}
	var specialists []string
	if a.Staff != nil {
		staff, err := a.Staff.ListStaff(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range staff {
			if s.Role == beian.RoleSpecialist && !s.Disabled {
				specialists = append(specialists, s.Username)
			}
		}
	}
	plan := make([]workflows.SampledCall, 0, len(ids))
	for i, id := range ids {
		call := workflows.SampledCall{Day: day, CaseID: id}
		if len(specialists) > 0 {
			call.Assignee = specialists[i%len(specialists)]
		}
		plan = append(plan, call)
	}
	return plan, nil
}

// RequestSampledCall asks the filing's workflow for the call; the update's
// ID is the day's, so a retried activity or a rerun of the day asks once.
func (a *Activities) RequestSampledCall(ctx context.Context, call workflows.SampledCall) error {
	if a.Caller == nil {
		return fmt.Errorf("sampling: no workflow caller configured")
	}
	_, err := a.Caller.Act(ctx, call.CaseID, beian.ActionVerificationCall, workflows.ActionRequest{
		Actor: "sampling", Reason: "每日抽查（R-PA-1）", Assignee: call.Assignee,
	}, "sampling:"+call.Day+":"+call.CaseID)
	if beian.ErrorCode(err) == beian.CodeInvalidState { // the filing changed since the plan: nothing to call
		return nil
	}
	return appErr(err)
}
