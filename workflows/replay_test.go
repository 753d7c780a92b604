package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/workflows"
)

// TestReplayApprovalHistory replays a history recorded on the dev server
// (create → materials → review → bureau received → approved; see e2e
// TestApprovalLifecycle with BEIAN_WRITE_HISTORY=1). A change to the workflow
// that would break running filings fails here: guard it with
// workflow.GetVersion instead.
func TestReplayApprovalHistory(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.Filing, workflow.RegisterOptions{Name: workflows.FilingWorkflowName})
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/approval_history.json"))
}
