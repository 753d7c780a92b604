package e2e_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

// TestDailySampling (R-PA-1): on a working day the plan picks the approved
// filings never or longest ago verified, at least four, spread over the
// specialists on duty, and nothing on a day off; the DailySampling workflow
// makes their call tasks through the filings' own workflows, once a case;
// the schedule starts it at 09:00 Asia/Shanghai and shows on the dev server.
func TestDailySampling(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		id := approvedCase(t, b, fmt.Sprintf("sampled-%d.cn", i))
		ids = append(ids, id)
		// The review's call was made: an open call keeps a filing out of the sampling.
		call := openCall(t, b, id)
		b.must(200, b.do("POST", "/api/v1/tasks/"+call["id"].(string)+"/complete", tokSpecialist,
			map[string]any{"outcome": "answered", "answers": rightAnswers()}))
	}
	b.AddStaff("zhang", "张专员", beian.RoleSpecialist)
	b.AddStaff("li", "李专员", beian.RoleSpecialist)
	b.AddStaff("boss", "王主管", beian.RoleSupervisor)

	workday := time.Date(2026, 10, 10, 9, 0, 0, 0, calendar.Shanghai) // the make-up Saturday
	plan, err := b.Acts.SamplingPlan(ctx, workflows.SamplingPlanInput{At: workday})
	require.NoError(t, err)
	require.Len(t, plan, activities.DefaultSampleSize)
	assignees := map[string]int{}
	for _, p := range plan {
		require.Equal(t, "2026-10-10", p.Day)
		require.Contains(t, ids, p.CaseID)
		assignees[p.Assignee]++
	}
	require.Equal(t, map[string]int{"zhang": 2, "li": 2}, assignees, "spread over the specialists, not the supervisor")
	holiday, err := b.Acts.SamplingPlan(ctx, workflows.SamplingPlanInput{At: time.Date(2026, 10, 3, 9, 0, 0, 0, calendar.Shanghai)})
	require.NoError(t, err)
	require.Empty(t, holiday, "National Day: no sampling")

	// The workflow on the dev server, as the schedule starts it.
	runs, err := activities.SamplingRuns(calendar.New(nil, nil), time.Now().In(calendar.Shanghai).Format("2006-01-02"))
	require.NoError(t, err)
	run, err := b.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "sampling-test", TaskQueue: workflows.TaskQueue}, workflows.SamplingWorkflowName)
	require.NoError(t, err)
	var n int
	require.NoError(t, run.Get(ctx, &n))
	tasks := b.must(200, b.do("GET", "/api/v1/tasks?kind=verification_call&status=open", tokSpecialist, nil))
	if !runs {
		t.Logf("today is a day off in Asia/Shanghai: the workflow plans nothing")
		require.Zero(t, n)
		return
	}
	require.Equal(t, activities.DefaultSampleSize, n)
	require.Len(t, tasks.get("items").([]any), activities.DefaultSampleSize, "one call task per sampled filing")
	got := map[string]int{}
	for _, it := range tasks.get("items").([]any) {
		got[it.(map[string]any)["assignee"].(string)]++
	}
	require.Equal(t, map[string]int{"zhang": 2, "li": 2}, got, "each task is for its specialist")
	for _, it := range tasks.get("items").([]any) {
		c := b.must(200, b.do("GET", "/api/v1/filings/"+it.(map[string]any)["filing_id"].(string), tokSpecialist, nil))
		last := c.get("timeline").([]any)
		require.Equal(t, "verification_call_requested", last[len(last)-1].(map[string]any)["event"])
		require.Equal(t, "sampling", last[len(last)-1].(map[string]any)["actor"])
	}
	// A call asked again for the same day and case (a retried activity)
	// is the same update: no second task.
	today := time.Now().In(calendar.Shanghai).Format("2006-01-02")
	first := tasks.get("items").([]any)[0].(map[string]any)
	require.NoError(t, b.Acts.RequestSampledCall(ctx, workflows.SampledCall{Day: today, CaseID: first["filing_id"].(string)}))
	again := b.must(200, b.do("GET", "/api/v1/tasks?kind=verification_call&status=open", tokSpecialist, nil))
	require.Len(t, again.get("items").([]any), activities.DefaultSampleSize)

	// The schedule: 09:00 Asia/Shanghai, created once.
	require.NoError(t, worker.EnsureSamplingSchedule(ctx, b.Temporal))
	require.NoError(t, worker.EnsureSamplingSchedule(ctx, b.Temporal), "a schedule that exists is kept")
	desc, err := b.Temporal.ScheduleClient().GetHandle(ctx, workflows.SamplingScheduleID).Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, "Asia/Shanghai", desc.Schedule.Spec.TimeZoneName)
	require.NotEmpty(t, desc.Info.NextActionTimes)
	for _, next := range desc.Info.NextActionTimes {
		local := next.In(calendar.Shanghai)
		require.Equal(t, 9, local.Hour(), "next run %s", local)
		require.Equal(t, 0, local.Minute())
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, workflows.SamplingWorkflowName, action.Workflow)
}
