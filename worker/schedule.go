package worker

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian/workflows"
)

// EnsureSamplingSchedule creates the daily sampling's schedule (R-PA-1):
// DailySampling at 09:00 Asia/Shanghai every day, on the filing task
// queue; the workflow itself skips days off. A schedule that exists is kept
// (it shows, and can be paused, in the Temporal Web UI's schedules).
func EnsureSamplingSchedule(ctx context.Context, c client.Client) error {
	return ensureSchedule(ctx, c, workflows.SamplingScheduleID, workflows.SamplingCron, workflows.SamplingWorkflowName,
		"每日抽查 R-PA-1：工作日 09:00 抽取已备案网站进行核验电话")
}

// EnsureChaseSchedule creates the schedule of the daily chase of access
// actions tech has not confirmed (R-AC-1): AccessChase at 17:00
// Asia/Shanghai; the workflow skips days off.
func EnsureChaseSchedule(ctx context.Context, c client.Client) error {
	return ensureSchedule(ctx, c, workflows.ChaseScheduleID, workflows.ChaseCron, workflows.ChaseWorkflowName,
		"接入操作催办 R-AC-1：工作日 17:00 邮件催办技术部尚未确认的接入操作")
}

// EnsureSchedules creates every schedule of the desk.
func EnsureSchedules(ctx context.Context, c client.Client) error {
	if err := EnsureSamplingSchedule(ctx, c); err != nil {
		return err
	}
	return EnsureChaseSchedule(ctx, c)
}

// EnsureSweepSchedule creates the weekly shell-site sweep's schedule
// (R-PA-3: Thursday afternoon, workflows.SweepCron unless cron is set), or
// brings an existing one to cron. Two sweeps never overlap.
func EnsureSweepSchedule(ctx context.Context, c client.Client, cron string) error {
	if cron == "" {
		cron = workflows.SweepCron
	}
	spec := client.ScheduleSpec{CronExpressions: []string{cron}, TimeZoneName: workflows.SamplingZone}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      workflows.SweepScheduleID,
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.SweepScheduleID + "-run",
			Workflow:  workflows.SweepWorkflowName,
			Args:      []any{workflows.SweepInput{}},
			TaskQueue: workflows.TaskQueue,
		},
		Memo: map[string]any{"description": "空壳网站排查 R-PA-3：每周四 14:00 解析全部已备案域名"},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := c.ScheduleClient().GetHandle(ctx, workflows.SweepScheduleID)
		return h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			if s.Spec != nil && len(s.Spec.CronExpressions) == 1 && s.Spec.CronExpressions[0] == cron {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &s}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", workflows.SweepScheduleID, err)
	}
	return nil
}

func ensureSchedule(ctx context.Context, c client.Client, id, cron, wf, description string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: client.ScheduleSpec{CronExpressions: []string{cron}, TimeZoneName: workflows.SamplingZone},
		Action: &client.ScheduleWorkflowAction{
			ID:        id + "-run",
			Workflow:  wf,
			TaskQueue: workflows.TaskQueue,
		},
		Memo: map[string]any{"description": description},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}
