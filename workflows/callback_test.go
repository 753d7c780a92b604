package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/workflows"
)

// callbackFixture is a case with an open call task whose call was arranged
// for T (2026-11-30 16:00, a Monday).
func callbackFixture(t *testing.T) (*fixture, string, time.Time) {
	t.Helper()
	start := at("2026-11-30 10:00:00")
	f := newFixture(t, start, activities.Config{StaffAlerts: []string{"boss@test.local"}})
	ctx := context.Background()
	T := at("2026-11-30 16:00:00")
	_, err := f.db.SaveTransition(ctx, &beian.Transition{Seq: 1, Case: f.c, Event: beian.Event{Seq: 1, At: start, Event: "materials_complete"},
		Tasks: []beian.Task{{Key: "case/" + f.c.ID + "/1/verification-call", Kind: beian.TaskVerificationCall, DueAt: start}}})
	require.NoError(t, err)
	tasks, err := f.db.CaseTasks(ctx, f.c.ID)
	require.NoError(t, err)
	task := tasks[0].ID
	_, err = f.db.SaveTransition(ctx, &beian.Transition{Seq: 2, Case: f.c, Event: beian.Event{Seq: 2, At: start, Event: "callback_arranged"},
		TaskUpdates: []beian.TaskUpdate{{ID: task, Status: beian.TaskOpen, DueAt: &T,
			Outcome: `{"outcome":"callback","callback_at":"` + T.Format(time.RFC3339) + `"}`, At: start}}})
	require.NoError(t, err)
	return f, task, T
}

// TestCallbackWakesAtItsTime: the arranged callback wakes at T and not
// before, and when nobody calls, staff are alerted 30 working minutes
// later, once.
func TestCallbackWakesAtItsTime(t *testing.T) {
	t.Parallel()
	f, task, T := callbackFixture(t)
	started := map[string]time.Time{}
	f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		started[info.ActivityType.Name] = f.env.Now()
	})
	alertAt := at("2026-11-30 16:30:00")
	f.env.ExecuteWorkflow(workflows.CallbackWorkflowName, workflows.CallbackInput{TaskID: task, CaseID: f.c.ID, At: T, AlertAt: alertAt})
	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	require.True(t, started[workflows.ActivityCallbackWake].Equal(T), "woke at %s, want %s", started[workflows.ActivityCallbackWake], T)
	require.True(t, started[workflows.ActivityCallbackCheck].Equal(alertAt), "checked at %s", started[workflows.ActivityCallbackCheck])
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := f.mail.Wait(wctx, func(m catcher.Message) bool { return strings.Contains(m.Subject, "回拨超时") })
	require.NoError(t, err)
	require.Contains(t, m.Body, f.c.CaseNo)
	require.Contains(t, m.To, "boss@test.local")
	var cs *beian.Case
	cs, err = f.db.GetCase(context.Background(), f.c.ID)
	require.NoError(t, err)
	var events []string
	for _, e := range cs.Timeline {
		events = append(events, e.Event)
	}
	require.Contains(t, strings.Join(events, ","), "callback_due")
	require.Contains(t, strings.Join(events, ","), "callback_late")
}

// TestCallbackMadeInTime: a call recorded before the alert ends the
// wake-up: nobody is alerted.
func TestCallbackMadeInTime(t *testing.T) {
	t.Parallel()
	f, task, T := callbackFixture(t)
	f.env.RegisterDelayedCallback(func() { // the call is made at 16:10
		_, err := f.db.SaveTransition(context.Background(), &beian.Transition{Seq: 3, Case: f.c, Event: beian.Event{Seq: 3, At: T, Event: "verified"},
			TaskUpdates: []beian.TaskUpdate{{ID: task, Status: beian.TaskDone, Outcome: `{"outcome":"answered","result":"match"}`, At: T}}})
		if err != nil {
			f.errs = append(f.errs, err.Error())
		}
	}, 6*time.Hour+10*time.Minute)
	checked := false
	f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		checked = checked || info.ActivityType.Name == workflows.ActivityCallbackCheck
	})
	f.env.ExecuteWorkflow(workflows.CallbackWorkflowName, workflows.CallbackInput{TaskID: task, CaseID: f.c.ID, At: T, AlertAt: at("2026-11-30 16:30:00")})
	require.NoError(t, f.env.GetWorkflowError())
	require.Empty(t, f.errs)
	require.True(t, checked, "the check runs, and finds the call made")
	time.Sleep(200 * time.Millisecond)
	for _, m := range f.mail.Messages() {
		require.NotContains(t, m.Subject, "回拨超时")
	}
}
