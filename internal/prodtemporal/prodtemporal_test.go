package prodtemporal

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/workflows"
)

type probeInput struct {
	Name   string
	Domain string
	Due    time.Time
	Timer  time.Duration
}

func greet(_ context.Context, name string) (string, error) { return "hello " + name, nil }

// probeWorkflow runs one activity, sets two of beian's search attributes,
// then waits on a timer.
func probeWorkflow(ctx workflow.Context, in probeInput) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var out string
	if err := workflow.ExecuteActivity(ctx, greet, in.Name).Get(ctx, &out); err != nil {
		return "", err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx,
		workflows.SADomain.ValueSet(in.Domain), workflows.SABureauDue.ValueSet(in.Due)); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, in.Timer); err != nil {
		return "", err
	}
	return out, nil
}

func TestProdTemporalServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	began := time.Now()
	srv := Start(t, Options{})
	t.Logf("Temporal server ready on %s in %s", srv.Address(), time.Since(began).Round(time.Millisecond))
	c := srv.Client(t)

	// The server reports its stores and shard count.
	info, err := c.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	require.NoError(t, err)
	require.Equal(t, "postgres12", info.GetPersistenceStore())
	require.Equal(t, "postgres12", info.GetVisibilityStore())
	require.EqualValues(t, 4, info.GetHistoryShardCount())
	require.Regexp(t, `^1\.29\.`, info.GetServerVersion())

	const queue = "prodtemporal-probe"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(probeWorkflow)
	w.RegisterActivity(greet)
	require.NoError(t, w.Start())
	defer w.Stop()

	id := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	domain := id + ".example.cn"
	due := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             queue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SACaseNo.ValueSet("CASE-" + id)),
	}, probeWorkflow, probeInput{Name: "beian", Domain: domain, Due: due, Timer: 5 * time.Second})
	require.NoError(t, err)

	// Once the timer has started (so the activity has completed), stop the
	// server while the timer is pending, then start it again.
	require.Eventually(t, func() bool {
		return findEvent(ctx, t, c, id, enums.EVENT_TYPE_TIMER_STARTED) != nil
	}, time.Minute, 100*time.Millisecond, "the workflow never started its timer")
	stopBegan := time.Now()
	srv.Stop(t)
	stopped := time.Now()
	t.Logf("stopped the server (SIGTERM) in %s", stopped.Sub(stopBegan).Round(time.Millisecond))
	srv.Start(t)
	t.Logf("started it again on the same databases and ports in %s", time.Since(stopped).Round(time.Millisecond))

	var got string
	rctx, rcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer rcancel()
	require.NoError(t, run.Get(rctx, &got), "the workflow must finish after the restart")
	require.Equal(t, "hello beian", got)

	started := findEvent(ctx, t, c, id, enums.EVENT_TYPE_TIMER_STARTED)
	fired := findEvent(ctx, t, c, id, enums.EVENT_TYPE_TIMER_FIRED)
	require.NotNil(t, fired, "the timer must have fired")
	require.NotNil(t, findEvent(ctx, t, c, id, enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED))
	require.True(t, started.GetEventTime().AsTime().Before(stopBegan), "the timer started before the stop")
	require.True(t, fired.GetEventTime().AsTime().After(stopped),
		"the timer fired after the restart: fired %s, server down at %s", fired.GetEventTime().AsTime(), stopped)

	// Visibility on PostgreSQL: a query on custom search attributes, closed
	// workflows included, also after a second restart.
	query := fmt.Sprintf("BeianDomain = '%s' AND BeianBureauDue > '2030-01-01T00:00:00Z' AND ExecutionStatus = 'Completed'", domain)
	listOne := func() {
		t.Helper()
		var last any
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
			if err != nil {
				last = err
				continue
			}
			var ids []string
			for _, e := range resp.GetExecutions() {
				ids = append(ids, e.GetExecution().GetWorkflowId())
			}
			if len(ids) == 1 && ids[0] == id {
				return
			}
			last = ids
		}
		t.Fatalf("ListWorkflow %q: want [%s], last got %v", query, id, last)
	}
	listOne()
	srv.Restart(t)
	listOne()
	count, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("BeianCaseNo = 'CASE-%s'", id),
	})
	require.NoError(t, err)
	require.EqualValues(t, 1, count.GetCount())

	// It is PostgreSQL that holds them: the visibility row and the 4 shards.
	persistenceDB, visibilityDB := srv.Databases()
	require.Equal(t, 1, queryInt(t, srv.DatabaseURL(t, visibilityDB), "SELECT count(*) FROM executions_visibility WHERE workflow_id = $1", id))
	require.Equal(t, 4, queryInt(t, srv.DatabaseURL(t, persistenceDB), "SELECT count(*) FROM shards"))

	// A crash (SIGKILL) loses nothing either: start again, run another workflow.
	srv.Kill(t)
	srv.Start(t)
	run2, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id + "-2", TaskQueue: queue},
		probeWorkflow, probeInput{Name: "again", Domain: domain + "2", Due: due, Timer: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, run2.Get(rctx, &got))
	require.Equal(t, "hello again", got)
	listOne()
}

// findEvent returns the first event of type typ in the workflow's history, or nil.
func findEvent(ctx context.Context, t *testing.T, c client.Client, id string, typ enums.EventType) *history.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil
		}
		if e.GetEventType() == typ {
			return e
		}
	}
	return nil
}

func queryInt(t *testing.T, databaseURL, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&n))
	return n
}
