package worker

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian/workflows"
)

// EnsureSamplingSchedule creates the daily sampling's schedule (R-PA-1):
// DailySampling at 09:00 Asia/Shanghai every day, on the filing task
// queue; the workflow itself skips days off. A schedule that exists is kept
// (it shows, and can be paused, in the Temporal Web UI's schedules).
func EnsureSamplingSchedule(ctx context.Context, c client.Client) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: workflows.SamplingScheduleID,
		Spec: client.ScheduleSpec{
			CronExpressions: []string{workflows.SamplingCron},
			TimeZoneName:    workflows.SamplingZone,
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        "daily-sampling",
			Workflow:  workflows.SamplingWorkflowName,
			TaskQueue: workflows.TaskQueue,
		},
		Memo: map[string]any{"description": "每日抽查 R-PA-1：工作日 09:00 抽取已备案网站进行核验电话"},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the daily sampling schedule: %w", err)
	}
	return nil
}
