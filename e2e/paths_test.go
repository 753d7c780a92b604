package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
)

// toBureau creates a case and takes it through materials and a passing review.
func (b *bundle) toBureau(domain string) (id, caseNo string) {
	b.t.Helper()
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling(domain)))
	id, caseNo = created.str("id"), created.str("case_no")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Equal(b.t, "BUREAU_REVIEW", r.str("status"))
	return id, caseNo
}

// TestReturnAndCorrection: our review fails, the filer corrects; the bureau
// returns, the filer corrects, it is resubmitted and approved (R-RV-4, R-BR-3, R-IN-5).
func TestReturnAndCorrection(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("lisi-blog.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))

	// Fail without reasons is refused; with reasons the filer is emailed.
	b.must(400, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "fail"}))
	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist,
		map[string]any{"result": "fail", "reasons": []string{"幕布照片不清晰", "核验单未签字"}}))
	require.Equal(t, "NEEDS_CORRECTION", r.str("status"))
	m := b.waitMail("zhangsan@example.net", "")
	for !strings.Contains(m.Body, "幕布照片不清晰") {
		m = b.waitMailAfter(m.ID, "zhangsan@example.net")
	}
	require.Contains(t, m.Body, "核验单未签字")

	// A correction with a rule violation is refused and changes nothing.
	bad := b.must(422, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist,
		map[string]any{"website": map[string]any{"server_ips": []string{"8.8.8.8"}}}))
	require.Equal(t, "IP_NOT_OURS", bad.get("error", "violations").([]any)[0].(map[string]any)["code"])
	require.Equal(t, "NEEDS_CORRECTION", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))

	// A partial correction: only the principal's mobile changes.
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist,
		map[string]any{"principal": map[string]any{"mobile": "13900139000"}}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	require.Equal(t, "13900139000", r.str("principal", "mobile"))
	require.Equal(t, "张三", r.str("principal", "name"), "fields not in the correction are kept")
	require.Equal(t, "lisi-blog.cn", r.get("website", "domains").([]any)[0])

	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "returned", "reason": "网站名称不规范"}))
	require.Equal(t, "BUREAU_RETURNED", r.str("status"))
	require.Equal(t, true, r.get("returned"))
	m = b.waitMail("zhangsan@example.net", "")
	for !strings.Contains(m.Body, "网站名称不规范") {
		m = b.waitMailAfter(m.ID, "zhangsan@example.net")
	}
	require.Contains(t, m.Body, "不符合要求", "R-BR-3 wording")

	// After a return the same site is corrected, never re-filed as new (R-IN-5).
	dup := b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("lisi-blog.cn")))
	require.Equal(t, "DOMAIN_CONFLICT", dup.str("error", "code"))

	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist,
		map[string]any{"website": map[string]any{"name": "张三技术笔记"}}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokSpecialist,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备20000001号-1"}))
	require.Equal(t, "APPROVED", r.str("status"))
	require.Equal(t, true, r.get("returned"), "the case remembers it was returned once")

	// Corrections travel by ID: no ID number ever enters workflow history.
	j, err := protojson.Marshal(b.history(id))
	require.NoError(t, err)
	require.NotContains(t, string(j), "11010519491231002X")
	require.NotContains(t, string(j), "13900139000")
}

// TestStalePurge: materials never arrive → PURGED after the (shortened)
// month, the filer is told, the case leaves active lists but stays readable,
// and its domain is free again (R-RV-5).
func TestStalePurge(t *testing.T) {
	t.Parallel()
	b := setup(t, options{PurgeAfter: 2 * time.Second})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("stale-site.cn")))
	id := created.str("id")
	r := b.waitCase(id, "PURGED", func(r response) bool { return r.str("status") == "PURGED" })
	require.Contains(t, r.str("timeline"), "purged")
	b.waitMail("zhangsan@example.net", "删除")

	list := b.must(200, b.do("GET", "/api/v1/filings", tokSpecialist, nil))
	require.Empty(t, list.get("items"), "a purged case is out of the active list")
	list = b.must(200, b.do("GET", "/api/v1/filings?status=PURGED", tokSpecialist, nil))
	require.Len(t, list.get("items"), 1, "but kept in history")

	b.must(409, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": []string{"registration_form"}}))
	b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("stale-site.cn")))
}

// TestPurgeTimerCancelledByMaterials: materials complete before the deadline,
// so the purge never fires (no stray timer).
func TestPurgeTimerCancelledByMaterials(t *testing.T) {
	t.Parallel()
	b := setup(t, options{PurgeAfter: 3 * time.Second})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("quick-site.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	time.Sleep(4 * time.Second)
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	require.NotContains(t, string(r.Raw), "purged")
}

// TestBureauOverdue: no decision by the (shortened) due time → overdue, an
// alert to the province mailbox and supervisors; the case keeps waiting and
// can still be approved (R-BR-4).
func TestBureauOverdue(t *testing.T) {
	t.Parallel()
	b := setup(t, options{BureauSLA: 2 * time.Second})
	id, caseNo := b.toBureau("slow-bureau.cn")
	r := b.waitCase(id, "overdue", func(r response) bool { return r.get("overdue") == true })
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))
	alert := b.waitMail("JSBA@ChinaNet.CC", caseNo)
	require.Contains(t, alert.To, "supervisor@test.local")
	list := b.must(200, b.do("GET", "/api/v1/filings?overdue=true", tokSupervisor, nil))
	require.Len(t, list.get("items"), 1)
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备30000001号-1"}))
	require.Equal(t, "APPROVED", r.str("status"))
	require.Equal(t, false, r.get("overdue"))
}

// TestRectification: a 24-hour deadline (shortened) that expires cancels our
// access; one met in time does not (R-PA-3, R-VC-4, R-AC-1).
func TestRectification(t *testing.T) {
	t.Parallel()
	b := setup(t, options{Rectify: 2 * time.Second})
	approve := func(domain, number string) string {
		id, _ := b.toBureau(domain)
		b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
			map[string]any{"decision": "approved", "filing_number": number}))
		return id
	}
	late := approve("moved-away.cn", "苏ICP备40000001号-1")
	onTime := approve("came-back.cn", "苏ICP备40000002号-1")

	// A sweep's order: at the deadline the domain is resolved again and
	// still points elsewhere (R-PA-3).
	b.SetDNS("moved-away.cn", "192.0.2.99")
	r := b.must(200, b.do("POST", "/api/v1/filings/"+late+"/rectification", tokSpecialist,
		map[string]any{"reason": "域名解析已不在我公司", "source": "sweep"}))
	require.Equal(t, "RECTIFYING", r.str("status"))
	require.NotEmpty(t, r.str("deadlines", "rectify_by"))
	b.must(200, b.do("POST", "/api/v1/filings/"+onTime+"/rectification", tokSpecialist, map[string]any{"reason": "核验信息不实", "source": "verification"}))
	b.must(200, b.do("POST", "/api/v1/filings/"+onTime+"/rectified", tokSpecialist, nil))

	b.waitCase(late, "ACCESS_CANCELLED", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	m := b.waitMail("zhangsan@example.net", "整改")
	require.NotEmpty(t, m.Body)
	time.Sleep(2500 * time.Millisecond)
	r = b.must(200, b.do("GET", "/api/v1/filings/"+onTime, tokSpecialist, nil))
	require.Equal(t, "APPROVED", r.str("status"), "a rectification met in time leaves access alone")
	require.Nil(t, r.get("deadlines", "rectify_by"))

	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	kinds := map[string]int{}
	for _, it := range pending.get("items").([]any) {
		a := it.(map[string]any)
		if a["filing_id"] == late {
			kinds[a["kind"].(string)]++
		}
	}
	require.Equal(t, map[string]int{"open": 1, "cancel": 1}, kinds)

	// A supervisor restores access after the rectification passes, once
	// tech has carried out the cut: a cut never made needs no restore (R-AC-1).
	b.must(403, b.do("POST", "/api/v1/filings/"+late+"/restore-access", tokSpecialist, map[string]any{"reason": "整改合格"}))
	refused := b.must(409, b.do("POST", "/api/v1/filings/"+late+"/restore-access", tokSupervisor, map[string]any{"reason": "整改合格"}))
	require.Contains(t, refused.str("error", "message"), "尚未确认执行")
	for _, it := range pending.get("items").([]any) {
		if a := it.(map[string]any); a["filing_id"] == late && a["kind"] == "cancel" {
			b.must(200, b.do("POST", "/api/v1/access-actions/"+a["id"].(string)+"/confirm", tokTech, nil))
		}
	}
	r = b.must(200, b.do("POST", "/api/v1/filings/"+late+"/restore-access", tokSupervisor, map[string]any{"reason": "整改合格"}))
	require.Equal(t, "APPROVED", r.str("status"))
}

// TestWorkerRestartLosesNothing: the worker stops mid-case and a new one
// takes over; the case goes on and no mail is sent twice.
func TestWorkerRestartLosesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("restart-site.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.stopWorker()

	// While no worker runs, an action waits; it completes once one is back.
	done := make(chan response, 1)
	go func() {
		done <- b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"})
	}()
	time.Sleep(time.Second)
	select {
	case r := <-done:
		t.Fatalf("review answered without a worker: %s", r.Raw)
	default:
	}
	b.startWorker()
	r := <-done
	require.Equal(t, 200, r.Status, string(r.Raw))
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))

	b.stopWorker()
	b.startWorker()
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备50000001号-1"}))
	require.Equal(t, "APPROVED", r.str("status"))
	b.waitMail("zhangsan@example.net", "苏ICP备50000001号-1")

	// Every outbox row gets sent (a send cut off by the restart is retried).
	deadline := time.Now().Add(90 * time.Second)
	for {
		unsent := 0
		for _, it := range b.must(200, b.do("GET", "/api/v1/filings/"+id+"/mails", tokSpecialist, nil)).get("items").([]any) {
			if it.(map[string]any)["sent_at"] == nil {
				unsent++
			}
		}
		if unsent == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d mails never sent", unsent)
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let any duplicate arrive
	seen := map[string]int{}
	for _, m := range b.mail.Messages() {
		seen[m.Headers.Get("X-Beian-Key")]++
	}
	require.GreaterOrEqual(t, len(seen), 3, "receipt, submitted, approved: %v", seen)
	for k, n := range seen {
		require.Equal(t, 1, n, "mail %s sent %d times", k, n)
	}
}

// TestBureauSignal: the bureau integration delivers its result as a signal.
func TestBureauSignal(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id, _ := b.toBureau("signal-site.cn")
	r := b.must(202, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision?async=true", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "苏ICP备60000001号-1"}))
	require.Equal(t, true, r.get("accepted"))
	b.waitCase(id, "APPROVED", func(r response) bool {
		return r.str("status") == "APPROVED" && r.str("filing_number") == "苏ICP备60000001号-1"
	})
}

// TestIdempotencyKey: the same key and body returns the first answer and
// creates nothing; the same key with another body is refused.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	first := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("idem-site.cn"), "Idempotency-Key", "k-1"))
	again := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("idem-site.cn"), "Idempotency-Key", "k-1"))
	require.Equal(t, first.str("id"), again.str("id"))
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	other := b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("idem-other.cn"), "Idempotency-Key", "k-1"))
	require.Equal(t, "IDEMPOTENCY_KEY_REUSED", other.str("error", "code"))
	var n int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM cases").Scan(&n))
	require.Equal(t, 1, n)

	// A repeated action with the same key is one transition.
	id := first.str("id")
	codes := checklistCodes(first)
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes}, "Idempotency-Key", "m-1"))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes}, "Idempotency-Key", "m-1"))
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, 1, strings.Count(string(r.Raw), "materials_complete"))
}

// TestErrorAnswers: 400, 401, 403, 404, 409 and 422 each with a stable code
// and a Chinese message, and nothing changed.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	code := func(r response) string { return r.str("error", "code") }

	r := b.must(400, b.do("POST", "/api/v1/filings", tokSpecialist, `{"type": "new",`))
	require.Equal(t, "INVALID", code(r))
	require.Regexp(t, `\p{Han}`, r.str("error", "message"))
	r = b.must(400, b.do("POST", "/api/v1/filings", tokSpecialist, `{"type": 5}`))
	require.Contains(t, r.str("error", "message"), "type")
	r = b.must(400, b.do("POST", "/api/v1/filings", tokSpecialist, `{"typo": "new"}`))
	require.Contains(t, r.str("error", "message"), "typo")

	require.Equal(t, "UNAUTHORIZED", code(b.must(401, b.do("GET", "/api/v1/filings", "", nil))))
	require.Equal(t, "UNAUTHORIZED", code(b.must(401, b.do("GET", "/api/v1/filings", "wrong", nil))))
	require.Equal(t, "FORBIDDEN", code(b.must(403, b.do("POST", "/api/v1/filings", tokTech, personFiling("x-site.cn")))))
	require.Equal(t, "FORBIDDEN", code(b.must(403, b.do("PUT", "/api/v1/datacenters", tokSpecialist, `[]`))))
	require.Equal(t, "FORBIDDEN", code(b.must(403, b.do("GET", "/api/v1/filings", tokTech, nil))), "tech sees access actions, not personal data")
	require.Equal(t, "NOT_FOUND", code(b.must(404, b.do("GET", "/api/v1/filings/00000000-0000-0000-0000-000000000000", tokSpecialist, nil))))
	require.Equal(t, "NOT_FOUND", code(b.must(404, b.do("GET", "/api/v1/filings/not-a-uuid", tokSpecialist, nil))))

	bad := personFiling("bad-site.cn")
	bad["website"].(map[string]any)["server_ips"] = []string{"8.8.8.8"}
	r = b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, bad))
	require.Equal(t, "RULE_VIOLATIONS", code(r))
	v := r.get("error", "violations").([]any)[0].(map[string]any)
	require.Equal(t, "IP_NOT_OURS", v["code"])
	require.Equal(t, "R-ENT-2", v["rule"])

	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("state-site.cn")))
	id := created.str("id")
	r = b.must(409, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Equal(t, "INVALID_STATE", code(r))
	require.Contains(t, r.str("error", "message"), "待收材料")
	r = b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("state-site.cn")))
	require.Equal(t, "DOMAIN_CONFLICT", code(r))
	require.Contains(t, r.str("error", "message"), created.str("case_no"), "the conflict names the case")
	r = b.must(400, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": []string{"no_such_item"}}))
	require.Contains(t, r.str("error", "message"), "no_such_item")

	var n int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM cases").Scan(&n))
	require.Equal(t, 1, n, "no failed request left a case behind")
}
