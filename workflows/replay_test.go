package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/workflows"
)

// TestReplayHistories replays every history in testdata, recorded on the dev
// server by e2e tests run with BEIAN_WRITE_HISTORY=1:
//   - approval_v0_history.json: create → materials → review → received →
//     approved, recorded on the first version of the workflow;
//   - approval_history.json: the same path on the current version
//     (TestApprovalLifecycle);
//   - refused_signal_history.json: a bureau result before submission, refused
//     and recorded (TestRefusedBureauSignalIsRecorded);
//   - linked_change_history.json: a change replacing a live filing, then
//     access cancelled and the number cancelled through linked cases
//     (TestOwnFilingChangedAndCancelled);
//   - shell_site_cut_history.json, shell_site_cleared_history.json: a sweep's
//     order to rectify, then at the deadline the domains resolved again (the
//     version "rectify-deadline-decides") and the access cut, or cleared
//     (TestShellSiteSweep);
//   - approval_filer_steps_history.json: the approval path with the SMS
//     check closed by the bureau's receipt and the public-security clock
//     started (TestApprovalLifecycle);
//   - sms_expired_history.json: an SMS check that expired and returned the
//     case, the resubmission's new check closed by the approval
//     (TestSMSCheckByAPI).
//
// A change to the workflow that would break running filings fails here:
// guard it with workflow.GetVersion instead, and add the new history.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*_history.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8)
	for _, f := range files {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(workflows.Filing, workflow.RegisterOptions{Name: workflows.FilingWorkflowName})
		require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), f)
	}
}
