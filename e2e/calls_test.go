package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/workflows"
)

// rightAnswers are the answers of a call to the person of personFiling.
func rightAnswers() map[string]any {
	return map[string]any{"sponsor_name": "张三", "principal": "张三", "phone_last4": "8000",
		"email_domain": "EXAMPLE.net", "province": "广东省", "city": "广州市"}
}

// openCall is the open call task of a case.
func openCall(t *testing.T, b *bundle, caseID string) map[string]any {
	t.Helper()
	tasks := b.must(200, b.do("GET", "/api/v1/tasks?kind=verification_call&status=open", tokSpecialist, nil))
	for _, it := range tasks.get("items").([]any) {
		if m := it.(map[string]any); m["filing_id"] == caseID {
			return m
		}
	}
	t.Fatalf("no open call task for case %s: %s", caseID, tasks.Raw)
	return nil
}

// TestVerificationCall: a call with a wrong email domain is a mismatch that
// names it and asks for a confirming call (R-VC-3); a call nobody answers
// is counted; the confirming call with the right answers verifies the
// filing (R-VC-1); a task is recorded once; a call on demand makes a task.
func TestVerificationCall(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("call-me.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	first := openCall(t, b, id)

	wrong := rightAnswers()
	wrong["email_domain"] = "qq.com"
	r := b.must(200, b.do("POST", "/api/v1/tasks/"+first["id"].(string)+"/complete", tokSpecialist,
		map[string]any{"outcome": "answered", "answers": wrong, "dialled": "mobile"}))
	require.Equal(t, "mismatch", r.str("result"))
	require.Equal(t, []any{"email_domain"}, r.get("mismatches"))
	require.Equal(t, "done", r.str("task", "status"))
	b.must(409, b.do("POST", "/api/v1/tasks/"+first["id"].(string)+"/complete", tokSpecialist,
		map[string]any{"outcome": "answered", "answers": rightAnswers()}))

	confirm := openCall(t, b, id)
	require.NotEqual(t, first["id"], confirm["id"], "a confirming call follows the mismatch")
	r = b.must(200, b.do("POST", "/api/v1/tasks/"+confirm["id"].(string)+"/complete", tokSpecialist, map[string]any{"outcome": "no_answer"}))
	require.Equal(t, "open", r.str("task", "status"), "nobody answered: still to call")
	require.EqualValues(t, 1, r.get("no_answer"))
	r = b.must(200, b.do("POST", "/api/v1/tasks/"+confirm["id"].(string)+"/complete", tokSpecialist,
		map[string]any{"outcome": "answered", "answers": rightAnswers()}))
	require.Equal(t, "match", r.str("result"))

	c := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.NotEmpty(t, c.str("last_verified_at"), "the filing is verified")
	var events []string
	for _, e := range c.get("timeline").([]any) {
		events = append(events, e.(map[string]any)["event"].(string))
	}
	require.Contains(t, events, "verification_mismatch")
	require.Contains(t, events, "call_not_answered")
	require.Contains(t, events, "verified")

	// On demand.
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/verification-calls", tokSpecialist, map[string]any{"reason": "抽查"}))
	demand := openCall(t, b, id)
	require.NotEqual(t, confirm["id"], demand["id"])

	// Bad input: a clear error in Chinese, nothing recorded.
	task := "/api/v1/tasks/" + demand["id"].(string) + "/complete"
	require.Contains(t, b.must(400, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "answered"})).str("error", "message"), "回答")
	b.must(400, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "answered", "answers": map[string]any{"shoe_size": "42"}}))
	b.must(400, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "maybe"}))
	b.must(404, b.do("POST", "/api/v1/tasks/00000000-0000-4000-8000-000000000000/complete", tokSpecialist, map[string]any{"outcome": "no_answer"}))
	b.must(403, b.do("POST", task, tokTech, map[string]any{"outcome": "no_answer"}))
	require.Equal(t, "open", openCall(t, b, id)["status"])
}

// TestCallbackArranged: "请问您什么时间方便？" — a callback keeps the task
// open, due at the time asked for, with a durable wake-up running for it
// on the dev server; a time in the past is refused.
func TestCallbackArranged(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("call-back.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	call := openCall(t, b, id)
	task := "/api/v1/tasks/" + call["id"].(string) + "/complete"
	b.must(400, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "callback", "at": time.Now().Add(-time.Hour).Format(time.RFC3339)}))
	b.must(400, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "callback"}))
	when := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	r := b.must(200, b.do("POST", task, tokSpecialist, map[string]any{"outcome": "callback", "at": when.Format(time.RFC3339)}))
	require.Equal(t, "open", r.str("task", "status"))
	due, err := time.Parse(time.RFC3339, r.str("task", "due_at"))
	require.NoError(t, err)
	require.True(t, due.Equal(when), "due at the time asked for: %s", due)
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := b.tc.DescribeWorkflowExecution(context.Background(), workflows.CallbackID(call["id"].(string), when), "")
		if err == nil {
			require.Equal(t, "Running", d.WorkflowExecutionInfo.Status.String(), "the wake-up sleeps until then")
			break
		}
		require.True(t, time.Now().Before(deadline), "no callback workflow: %v", err)
		time.Sleep(200 * time.Millisecond)
	}
}
