package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

// TestReconcileRestartsEndedWorkflow: a case awaiting materials whose
// workflow was cancelled (e.g. in the Web UI) gets a new run from the
// reconciler; it goes on from where it was, numbers no transition twice and
// sends no second receipt.
func TestReconcileRestartsEndedWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("restarted.cn")))
	id := created.str("id")
	codes := checklistCodes(created)
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes[:1]}))

	ctx := context.Background()
	require.NoError(t, b.tc.CancelWorkflow(ctx, workflows.WorkflowID(id), ""))
	require.Eventually(t, func() bool {
		d, err := b.tc.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
		return err == nil && d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}, 20*time.Second, 100*time.Millisecond)

	started, err := worker.Reconcile(ctx, b.db, &worker.Engine{Client: b.tc}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.Equal(t, 1, started)

	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes[1:]}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"), "the new run applies the action (no reused transition number)")
	// The receipt reaches the filer exactly once: sent by the first run, or
	// (if the cancellation cut it off) by the new run from the outbox.
	b.waitMail("zhangsan@example.net", "已受理")
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		receipts := 0
		for _, m := range b.mail.Messages() {
			if strings.Contains(m.Subject, "已受理") {
				receipts++
			}
		}
		require.LessOrEqual(t, receipts, 1, "no second receipt")
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRefusedBureauSignalIsRecorded: a bureau result the case cannot take
// (here: before it was submitted) is kept on the timeline and staff are told.
func TestRefusedBureauSignalIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("early-result.cn")))
	id, caseNo := created.str("id"), created.str("case_no")
	b.must(202, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision?async=true", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备70000001号-1"}))
	r := b.waitCase(id, "refusal recorded", func(r response) bool { return strings.Contains(string(r.Raw), "bureau_signal_refused") })
	require.Equal(t, "AWAITING_MATERIALS", r.str("status"))
	require.Nil(t, r.get("filing_number"))
	m := b.waitMail("JSBA@ChinaNet.CC", caseNo)
	require.Contains(t, m.Subject, "管局结果未能应用")
	require.Contains(t, m.Body, "苏ICP备70000001号-1")
	b.saveHistory(b.history(id), "refused_signal_history.json")
}

// TestCorrectionThatNeedsMoreMaterials: a correction that adds a required
// item (a pre-approval) sends the case back to collecting materials, and a
// review cannot pass while materials are missing (R-RV-2, R-IN-2).
func TestCorrectionThatNeedsMoreMaterials(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("news-site.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist,
		map[string]any{"result": "fail", "reasons": []string{"网站内容涉及新闻，需前置审批"}}))

	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist, map[string]any{"website": map[string]any{
		"categories":    []string{"news"},
		"pre_approvals": []map[string]any{{"category": "news", "document_no": "苏新审〔2026〕1号"}},
	}}))
	require.Equal(t, "AWAITING_MATERIALS", r.str("status"))
	require.Contains(t, checklistCodes(r), "pre_approval_news")
	require.NotNil(t, r.get("deadlines", "purge_at"), "a fresh month for the new items (R-RV-5), never none")

	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": []string{"pre_approval_news"}}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	require.Equal(t, "BUREAU_REVIEW", b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"})).str("status"))
}
