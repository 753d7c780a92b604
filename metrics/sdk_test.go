package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/metrics"
)

func greet(ctx context.Context, name string) (string, error) { return "hello " + name, nil }

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	workflow.GetMetricsHandler(ctx).Counter("greetings").Inc(1)
	var out string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &out)
	return out, err
}

// The SDK itself drives the handler: a workflow's metric reaches the
// registry under its Prometheus name.
func TestTemporalHandlerWithSDK(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(metrics.NewTemporalHandler(reg))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(greetWorkflow)
	env.RegisterActivity(greet)
	env.ExecuteWorkflow(greetWorkflow, "备案")
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	// The test environment passes the workflow's own metrics through the
	// SDK's replay-aware wrapper to our handler (it adds no tags there).
	require.Equal(t, map[string]float64{"": 1}, values(t, gather(t, reg), "temporal_greetings_total"))
}
