package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEscalation (R-VC-4): a call that finds false data tells the account
// manager's superior and orders all three live filings of the customer to
// rectify within the (shortened) 24 hours; not rectified, each has its
// access cut and tech's supervisor and the GM are told once; tech confirms
// the cuts; access comes back only after a new verification call passes,
// noted 「整改合格」.
func TestEscalation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{Rectify: 3 * time.Second})
	var ids []string
	for i := range 2 {
		ids = append(ids, approvedCase(t, b, fmt.Sprintf("escalate-%d.cn", i)))
	}
	// The third filing is served from two addresses: one cut for each.
	ids = append(ids, approvedCase(t, b, "escalate-2.cn", func(body map[string]any) {
		body["website"].(map[string]any)["server_ips"] = []string{"198.51.100.7", "198.51.100.9"}
	}))
	call := openCall(t, b, ids[0])
	r := b.must(200, b.do("POST", "/api/v1/tasks/"+call["id"].(string)+"/complete", tokSpecialist,
		map[string]any{"outcome": "false_info", "note": "对方称从未申请过该网站"}))
	require.Equal(t, "done", r.str("task", "status"))

	superior := b.waitMail("director@test.local", "备案核验上报")
	for _, d := range []string{"escalate-0.cn", "escalate-1.cn", "escalate-2.cn"} {
		require.Contains(t, superior.Body, d, "every live filing of the customer is in the order")
	}
	for _, id := range ids {
		b.waitCase(id, "rectifying or cut", func(r response) bool {
			s := r.str("status")
			return s == "RECTIFYING" || s == "ACCESS_CANCELLED"
		})
	}
	for _, id := range ids {
		b.waitCase(id, "cut after the deadline", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	}
	gm := b.waitMail("gm@test.local", "停止接入报告")
	require.Equal(t, 3, strings.Count(gm.Body, "escalate-"), "one report naming all three")
	time.Sleep(time.Second)
	reports := 0
	for _, m := range b.mail.Messages() {
		if strings.Contains(m.Subject, "停止接入报告") {
			reports++
		}
	}
	require.Equal(t, 1, reports, "the GM is told once")

	// Tech carries out the cuts.
	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	cuts := map[string]int{}
	for _, it := range pending.get("items").([]any) {
		if a := it.(map[string]any); a["kind"] == "cancel" {
			require.Equal(t, "tech_supervisor", a["addressed_to"], "an escalation's stop is for tech's supervisor")
			require.Len(t, a["server_ips"], 1, "one action per server IP")
			cuts[a["filing_id"].(string)]++
			b.must(200, b.do("POST", "/api/v1/access-actions/"+a["id"].(string)+"/confirm", tokTech, map[string]any{"note": "已停止接入"}))
		}
	}
	require.Equal(t, map[string]int{ids[0]: 1, ids[1]: 1, ids[2]: 2}, cuts, "one cut per filing and server IP")
	for _, d := range []string{"escalate-0.cn", "escalate-1.cn", "escalate-2.cn"} {
		b.waitMail("techboss@test.local", d)
	}

	// No restore before a new verification passes; then it is 整改合格.
	refused := b.must(409, b.do("POST", "/api/v1/filings/"+ids[1]+"/restore-access", tokSupervisor, map[string]any{"reason": "客户已整改"}))
	require.Contains(t, refused.str("error", "message"), "核验一致")
	b.must(200, b.do("POST", "/api/v1/filings/"+ids[1]+"/verification-calls", tokSpecialist, map[string]any{"reason": "整改后复核"}))
	again := openCall(t, b, ids[1])
	b.must(200, b.do("POST", "/api/v1/tasks/"+again["id"].(string)+"/complete", tokSpecialist,
		map[string]any{"outcome": "answered", "answers": rightAnswers()}))
	restored := b.must(200, b.do("POST", "/api/v1/filings/"+ids[1]+"/restore-access", tokSupervisor, map[string]any{"reason": "客户已整改"}))
	require.Equal(t, "APPROVED", restored.str("status"))
	tl := restored.get("timeline").([]any)
	require.Contains(t, tl[len(tl)-1].(map[string]any)["detail"], "整改合格")

	// A supervisor, having checked with sales, confirms the false data:
	// the sponsor goes on the blacklist (R-PA-1) and cannot file again.
	b.must(403, b.do("POST", "/api/v1/filings/"+ids[0]+"/false-data", tokSpecialist, map[string]any{"reason": "销售已核实"}))
	b.must(409, b.do("POST", "/api/v1/filings/"+ids[1]+"/false-data", tokSupervisor, map[string]any{"reason": "销售已核实"}))
	entry := b.must(201, b.do("POST", "/api/v1/filings/"+ids[0]+"/false-data", tokSupervisor, map[string]any{"reason": "销售已核实"}))
	require.Equal(t, "cert_number", entry.str("kind"))
	require.NotContains(t, string(entry.Raw), "11010519491231002X", "masked as the blacklist is")
	check := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("new-site-after-fraud.cn")))
	require.Contains(t, string(check.Raw), "BLACKLISTED")
}

// TestEscalationRectifiedInTime (R-VC-4): the customer rectifies every
// filing before the deadline: no access is cut and the GM hears nothing.
func TestEscalationRectifiedInTime(t *testing.T) {
	t.Parallel()
	b := setup(t, options{Rectify: 6 * time.Second})
	var ids []string
	for i := range 2 {
		ids = append(ids, approvedCase(t, b, fmt.Sprintf("in-time-%d.cn", i)))
	}
	call := openCall(t, b, ids[0])
	b.must(200, b.do("POST", "/api/v1/tasks/"+call["id"].(string)+"/complete", tokSpecialist, map[string]any{"outcome": "uncooperative"}))
	b.waitMail("director@test.local", "不配合核验")
	for _, id := range ids {
		b.waitCase(id, "rectifying", func(r response) bool { return r.str("status") == "RECTIFYING" })
	}
	// The console's 整改 page counts the deadline down, by customer.
	b.AddStaff("xiaoli", "李专员", "specialist")
	sc := newStaffClient(t, b.api.URL)
	sc.mustSignIn("xiaoli")
	p := sc.get("/console/rectifications")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.Body, "in-time-0.cn")
	require.Contains(t, p.Body, "in-time-1.cn")
	require.Contains(t, p.Body, "剩余")
	require.Equal(t, 1, strings.Count(p.Body, "个备案整改中"), "one customer, one group")
	for _, id := range ids {
		b.must(200, b.do("POST", "/api/v1/filings/"+id+"/rectified", tokSpecialist, map[string]any{"note": "已更正资料"}))
	}
	time.Sleep(8 * time.Second) // past the deadline and the escalation's look at it
	for _, id := range ids {
		require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))
	}
	for _, m := range b.mail.Messages() {
		require.NotContains(t, m.Subject, "停止接入报告", "nothing to report")
	}
	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	for _, it := range pending.get("items").([]any) {
		require.NotEqual(t, "cancel", it.(map[string]any)["kind"], "no cut")
	}
}

// TestEscalationSurvivesWorkerRestart: the worker stops during an
// escalation's 24 hours and another takes over: the cuts still happen,
// and the superior and the GM are each mailed once.
func TestEscalationSurvivesWorkerRestart(t *testing.T) {
	t.Parallel()
	b := setup(t, options{Rectify: 4 * time.Second})
	var ids []string
	for i := range 2 {
		ids = append(ids, approvedCase(t, b, fmt.Sprintf("restart-esc-%d.cn", i)))
	}
	call := openCall(t, b, ids[0])
	b.must(200, b.do("POST", "/api/v1/tasks/"+call["id"].(string)+"/complete", tokSpecialist, map[string]any{"outcome": "false_info"}))
	b.waitMail("director@test.local", "备案核验上报")
	for _, id := range ids {
		b.waitCase(id, "rectifying", func(r response) bool { return r.str("status") == "RECTIFYING" })
	}
	b.stopWorker()
	time.Sleep(2 * time.Second)
	b.startWorker()
	for _, id := range ids {
		b.waitCase(id, "cut", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	}
	b.waitMail("gm@test.local", "停止接入报告")
	time.Sleep(time.Second)
	count := map[string]int{}
	for _, m := range b.mail.Messages() {
		for _, subj := range []string{"备案核验上报", "停止接入报告"} {
			if strings.Contains(m.Subject, subj) {
				count[subj]++
			}
		}
	}
	require.Equal(t, map[string]int{"备案核验上报": 1, "停止接入报告": 1}, count, "nobody mailed twice")
}
