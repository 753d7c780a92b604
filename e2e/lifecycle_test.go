package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/beian/beian/mail/catcher"
)

// TestApprovalLifecycle drives a filing from intake to the bureau's approval
// over HTTP (R-RV-*, R-BR-1, R-BR-2, R-AC-0, R-IN-3, R-ENT-3).
func TestApprovalLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})

	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("zhangsan-notes.cn")))
	id := created.str("id")
	caseNo := created.str("case_no")
	require.Regexp(t, `^JS-\d{4}-\d{6}$`, caseNo)
	require.Equal(t, "AWAITING_MATERIALS", created.str("status"))
	require.Equal(t, "江苏", created.str("routing", "province"), "system province from the server IP (R-ENT-1)")
	require.Equal(t, "广东", created.str("routing", "bureau_province"), "the sponsor's bureau reviews (R-ENT-3)")
	require.Equal(t, "JSBA@ChinaNet.CC", created.str("routing", "mailbox"))
	require.NotEmpty(t, created.str("customer_id"), "the holder of the product owning the IP (R-ENT-2)")
	require.Equal(t, "张三+zhangsan-notes.cn", created.str("email_subject"), "R-IN-3")
	require.NotEmpty(t, created.str("deadlines", "purge_at"))
	require.Equal(t, "1101**********002X", created.str("sponsor", "cert_number"), "ID numbers are masked")
	require.NotContains(t, string(created.Raw), "11010519491231002X")
	require.Contains(t, checklistCodes(created), "verification_sheet_guangdong", "广东 has its own verification sheet (R-IN-2)")

	receipt := b.waitMail("zhangsan@example.net", caseNo)
	require.Contains(t, receipt.Body, "JSBA@ChinaNet.CC", "the receipt says where to send materials (R-IN-3)")
	require.Contains(t, receipt.Body, "张三+zhangsan-notes.cn")

	// Materials arrive in two parts; the case moves on when all are in.
	codes := checklistCodes(created)
	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes[:1]}))
	require.Equal(t, "AWAITING_MATERIALS", r.str("status"))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes[1:]}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	require.Nil(t, r.get("deadlines", "purge_at"), "the stale purge stops once materials are complete")

	// A verification call task with the R-VC-2 script (R-RV-2).
	tasks := b.must(200, b.do("GET", "/api/v1/tasks?kind=verification_call&status=open", tokSpecialist, nil))
	items := tasks.get("items").([]any)
	require.Len(t, items, 1)
	task := items[0].(map[string]any)
	require.Equal(t, id, task["filing_id"])
	require.Contains(t, task["script"], "中网科技", "a Jiangsu IP: introduce as 中网科技 (R-VC-2)")

	// Review passes: submitted to the bureau with a 20-working-day deadline (R-BR-1).
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))
	due, err := time.Parse(time.RFC3339, r.str("deadlines", "bureau_due_at"))
	require.NoError(t, err)
	require.Equal(t, "17:30", due.Format("15:04"), "due at 17:30 Asia/Shanghai")
	require.True(t, due.After(time.Now().Add(20*24*time.Hour)), "20 working days are more than 20 calendar days: %s", due)
	b.waitMail("zhangsan@example.net", "提交")

	// No access before the filing number (R-AC-0).
	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	require.Empty(t, pending.get("items"))

	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"received": true}))
	require.Equal(t, true, r.get("bureau_received"))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备12345678号-1", "filing_password": "S3cret-pw"}))
	require.Equal(t, "APPROVED", r.str("status"))
	require.Equal(t, "苏ICP备12345678号-1", r.str("filing_number"))
	require.Equal(t, "********", r.str("filing_password"), "the password is masked")
	require.NotContains(t, string(r.Raw), "S3cret-pw")

	approved := b.waitMail("zhangsan@example.net", "备案")
	for !strings.Contains(approved.Body, "苏ICP备12345678号-1") { // the receipt and submission mails match too
		approved = b.waitMailAfter(approved.ID, "zhangsan@example.net")
	}
	require.NotContains(t, approved.Body, "S3cret-pw", "the password never goes by our mail")

	// Access opens on approval and waits for tech (R-AC-0, R-AC-1).
	pending = b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	acts := pending.get("items").([]any)
	require.Len(t, acts, 1)
	act := acts[0].(map[string]any)
	require.Equal(t, "open", act["kind"])
	require.Equal(t, id, act["filing_id"])
	b.must(200, b.do("POST", fmt.Sprintf("/api/v1/access-actions/%s/confirm", act["id"]), tokTech, nil))
	b.must(409, b.do("POST", fmt.Sprintf("/api/v1/access-actions/%s/confirm", act["id"]), tokTech, nil))

	// Reveal: supervisors only, audited (R-BR-2).
	b.must(403, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSpecialist, nil))
	rev := b.must(200, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSupervisor, nil))
	require.Equal(t, "S3cret-pw", rev.str("filing_password"))
	require.Equal(t, "11010519491231002X", rev.str("sponsor", "cert_number"))

	// The password is encrypted at rest: not in the case row.
	var stored string
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		"SELECT filing_password_sealed FROM cases WHERE id = $1", id).Scan(&stored))
	require.NotEmpty(t, stored)
	require.NotContains(t, stored, "S3cret-pw")

	// The timeline has every step, with who did it.
	final := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	var events []string
	for _, e := range final.get("timeline").([]any) {
		events = append(events, e.(map[string]any)["event"].(string))
	}
	for _, want := range []string{"created", "receipt_sent", "materials_received", "materials_complete", "submitted", "bureau_received", "bureau_approved", "access_confirmed"} {
		require.Contains(t, events, want)
	}

	// Every timer (the purge, the bureau SLA, the SMS check) was cancelled
	// when its event came first; the public-security 30 days run (R-PA-6).
	h := b.history(id)
	b.requireOpenTimers(h, 1)
	b.saveHistory(h, "approval_filer_steps_history.json")

	// The Temporal Web UI finds the case by its search attributes.
	b.waitVisible(fmt.Sprintf("BeianCaseNo = '%s' AND BeianStatus = 'APPROVED' AND BeianDomain = 'zhangsan-notes.cn' AND BeianProvince = '江苏'", caseNo))

	// The list finds it by domain and province; other filters leave it out.
	list := b.must(200, b.do("GET", "/api/v1/filings?domain=zhangsan-notes.cn&province=江苏", tokSpecialist, nil))
	require.Len(t, list.get("items"), 1)
	list = b.must(200, b.do("GET", "/api/v1/filings?bureau_province=广东", tokSpecialist, nil))
	require.Len(t, list.get("items"), 1, "the reviewing bureau (R-ENT-3)")
	list = b.must(200, b.do("GET", "/api/v1/filings?system_province=广东", tokSpecialist, nil))
	require.Empty(t, list.get("items"), "the system province is the server IP's (R-ENT-1)")
	list = b.must(200, b.do("GET", "/api/v1/filings?status=BUREAU_REVIEW", tokSpecialist, nil))
	require.Empty(t, list.get("items"))
}

func (b *bundle) waitMailAfter(afterID int, to string) catcher.Message {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := b.mail.Wait(ctx, func(m catcher.Message) bool {
		return m.ID > afterID && len(m.To) > 0 && strings.EqualFold(m.To[0], to)
	})
	require.NoError(b.t, err)
	return m
}

// waitVisible waits until Temporal visibility lists a workflow for query.
func (b *bundle) waitVisible(query string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := b.tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		require.NoError(b.t, err)
		if len(resp.Executions) == 1 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.t.Fatalf("no workflow visible for %s", query)
}
