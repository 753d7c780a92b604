package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/beian/beian/calendar"
	"github.com/beian/beian/internal/browser"
	"github.com/beian/beian/notices"
	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

// waitSweep polls the sweep until it has ended.
func (b *bundle) waitSweep(id string) response {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := b.must(200, b.do("GET", "/api/v1/sweeps/"+id, tokSpecialist, nil))
		if s := r.str("status"); s != "running" {
			require.Equal(b.t, "completed", s, "sweep ended: %s", r.Raw)
			return r
		}
		require.True(b.t, time.Now().Before(deadline), "sweep still running: %s", r.Raw)
		time.Sleep(200 * time.Millisecond)
	}
}

func (b *bundle) mailsWith(text string) int {
	n := 0
	for _, m := range b.mail.Messages() {
		if strings.Contains(m.Body, text) || strings.Contains(m.Subject, text) {
			n++
		}
	}
	return n
}

func classOf(r response, domain string) (string, map[string]any) {
	for _, it := range r.get("findings").([]any) {
		if f := it.(map[string]any); f["domain"] == domain {
			return f["class"].(string), f
		}
	}
	return "", nil
}

// TestShellSiteSweep (R-PA-3) over a real DNS server on loopback: of four
// live filings one resolves to us, two to another provider, one does not
// exist. A second sweep started meanwhile joins the first. The two moved
// filings get the notice with the fixed text once and 24 (shortened) hours;
// one moves back in time and is cleared, the other is cut, tech gets the
// access action and marketing the follow-up; the missing domain is reported
// to the specialists, not cut. A second sweep sends no notice again. The
// report downloads as .xlsx.
func TestShellSiteSweep(t *testing.T) {
	t.Parallel()
	// Eight seconds: time enough, on a loaded machine, to move one domain
	// back after the notices and before the deadline.
	b := setup(t, options{Rectify: 8 * time.Second})
	ids := map[string]string{}
	for _, d := range []string{"sweep-ours.cn", "sweep-moved.cn", "sweep-back.cn", "sweep-gone.cn"} {
		ids[d] = approvedCase(t, b, d)
	}
	b.SetDNS("sweep-ours.cn", "198.51.100.7")
	b.SetDNS("www.sweep-ours.cn", "198.51.100.7", "2001:db8:1::7")
	b.SetDNS("sweep-moved.cn", "192.0.2.50")
	b.SetDNS("sweep-back.cn", "192.0.2.51")

	b.must(403, b.do("POST", "/api/v1/sweeps", tokSpecialist, nil))
	started := b.must(202, b.do("POST", "/api/v1/sweeps", tokSupervisor, nil))
	id := started.str("id")
	again := b.do("POST", "/api/v1/sweeps", tokSupervisor, nil)
	if again.Status == 200 { // still running: joined, never doubled
		require.Equal(t, id, again.str("id"))
		require.Equal(t, true, again.get("joined"))
	}
	r := b.waitSweep(id)
	require.Equal(t, map[string]any{"ours": 1.0, "elsewhere": 2.0, "nxdomain": 1.0, "unresolved": 0.0}, r.get("counts"))
	class, f := classOf(r, "sweep-moved.cn")
	require.Equal(t, "elsewhere", class)
	require.Equal(t, []any{"192.0.2.50"}, f["addresses"])
	require.Equal(t, ids["sweep-moved.cn"], f["filing_id"])
	require.NotEmpty(t, f["evidence"], "the DNS answers are kept")
	class, _ = classOf(r, "sweep-gone.cn")
	require.Equal(t, "nxdomain", class)
	require.Equal(t, 2.0, r.get("notified"))

	for _, d := range []string{"sweep-moved.cn", "sweep-back.cn"} {
		b.waitCase(ids[d], "rectifying", func(r response) bool { return r.str("status") == "RECTIFYING" || r.str("status") == "ACCESS_CANCELLED" })
		m := b.waitMail("zhangsan@example.net", d)
		_ = m
	}
	b.SetDNS("sweep-back.cn", "198.51.100.8") // moves back within the 24 hours
	b.waitCase(ids["sweep-moved.cn"], "cut", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	back := b.waitCase(ids["sweep-back.cn"], "cleared", func(r response) bool {
		tl, _ := r.get("timeline").([]any)
		return r.str("status") == "APPROVED" && len(tl) > 0 && tl[len(tl)-1].(map[string]any)["event"] == "moved_back"
	})
	require.Contains(t, string(back.Raw), "已解析回我公司IP")
	require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+ids["sweep-gone.cn"], tokSpecialist, nil)).str("status"), "nxdomain is not cut")
	b.waitMail("marketing@test.local", "sweep-moved.cn")
	b.waitMail("supervisor@test.local", "域名不存在")
	pending := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	cuts := 0
	for _, it := range pending.get("items").([]any) {
		if a := it.(map[string]any); a["kind"] == "cancel" {
			require.Equal(t, ids["sweep-moved.cn"], a["filing_id"])
			cuts++
		}
	}
	require.Equal(t, 1, cuts)
	require.Equal(t, 2, b.mailsWith(notices.ShellSiteWarning), "one notice per moved filing")
	b.saveHistory(b.history(ids["sweep-moved.cn"]), "shell_site_cut_history.json")
	b.saveHistory(b.history(ids["sweep-back.cn"]), "shell_site_cleared_history.json")

	// A second sweep: the cut filing is not swept, nothing is sent twice.
	b.SetDNS("sweep-back.cn", "192.0.2.51") // moved away again: a new notice is right
	second := b.must(202, b.do("POST", "/api/v1/sweeps", tokSupervisor, nil)).str("id")
	require.NotEqual(t, id, second)
	r2 := b.waitSweep(second)
	require.Equal(t, 1.0, r2.get("counts").(map[string]any)["elsewhere"])
	b.waitCase(ids["sweep-back.cn"], "rectifying again", func(r response) bool { return r.str("status") == "RECTIFYING" || r.str("status") == "ACCESS_CANCELLED" })
	time.Sleep(time.Second)
	require.Equal(t, 3, b.mailsWith(notices.ShellSiteWarning), "only the filing that moved again is told again")

	// The report and the filing's last results.
	rep := b.do("GET", "/api/v1/sweeps/"+id+"/report.xlsx", tokSpecialist, nil)
	require.Equal(t, 200, rep.Status)
	x, err := excelize.OpenReader(bytes.NewReader(rep.Raw))
	require.NoError(t, err)
	rows, err := x.GetRows("排查结果")
	require.NoError(t, err)
	require.Len(t, rows, 5, "a header and four domains")
	require.Equal(t, "域名", rows[0][0])
	mine := b.must(200, b.do("GET", "/api/v1/filings/"+ids["sweep-moved.cn"]+"/sweeps", tokSpecialist, nil))
	require.Len(t, mine.get("items"), 1)
	list := b.must(200, b.do("GET", "/api/v1/sweeps", tokSpecialist, nil))
	require.Len(t, list.get("items"), 2)
}

// TestSweepResolverDown (R-PA-3): with the resolver answering nothing for
// the whole sweep every domain is unresolved and nobody is told or cut.
func TestSweepResolverDown(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	var ids []string
	for _, d := range []string{"down-1.cn", "down-2.cn"} {
		ids = append(ids, approvedCase(t, b, d))
		b.SetDNS(d, "192.0.2.60")
	}
	b.DNS.SetDrop(true)
	r := b.waitSweep(b.must(202, b.do("POST", "/api/v1/sweeps", tokSupervisor, nil)).str("id"))
	require.Equal(t, 2.0, r.get("counts").(map[string]any)["unresolved"])
	require.Equal(t, 0.0, r.get("notified"))
	for _, id := range ids {
		require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))
	}
	require.Zero(t, b.mailsWith(notices.ShellSiteWarning))
}

// TestReviewChecksDNS (R-RV-2): a pass is refused while a domain resolves
// to another provider, unless the specialist notes why; a domain not yet
// pointed anywhere passes with a note on the timeline.
func TestReviewChecksDNS(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("review-dns.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.SetDNS("review-dns.cn", "192.0.2.70")
	dns := b.must(200, b.do("GET", "/api/v1/filings/"+id+"/dns", tokSpecialist, nil))
	require.Equal(t, "elsewhere", dns.get("items").([]any)[0].(map[string]any)["class"])
	refused := b.must(409, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Equal(t, "DOMAIN_ELSEWHERE", refused.str("error", "code"))
	require.Contains(t, refused.str("error", "message"), "192.0.2.70")
	ok := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass", "dns_note": "用户迁移中，已承诺开通前改解析"}))
	require.Contains(t, string(ok.Raw), "用户迁移中")
	// The sponsor's next site waits for this one to leave the bureau.
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokSpecialist,
		map[string]any{"decision": "approved", "filing_number": "粤ICP备20260002号-1"}))
	// Access is about to open: the DNS is checked again and tech reads it on the order.
	opens := b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil))
	var reason string
	for _, it := range opens.get("items").([]any) {
		if a := it.(map[string]any); a["filing_id"] == id && a["kind"] == "open" {
			reason = a["reason"].(string)
		}
	}
	require.Contains(t, reason, "开通前复查解析")
	require.Contains(t, reason, "192.0.2.70")

	other := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("review-dns-new.cn")))
	b.must(200, b.do("POST", "/api/v1/filings/"+other.str("id")+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(other)}))
	passed := b.must(200, b.do("POST", "/api/v1/filings/"+other.str("id")+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Contains(t, string(passed.Raw), "尚未解析到我公司IP")
}

// TestConsoleSweep: a supervisor starts a sweep from the console, watches
// it finish, reads the domain found elsewhere with its filing, and the
// filing's page shows the result and a DNS check (R-PA-3, R-RV-2).
func TestConsoleSweep(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	moved := approvedCase(t, b, "console-moved.cn")
	approvedCase(t, b, "console-ours.cn")
	b.SetDNS("console-moved.cn", "192.0.2.80")
	b.SetDNS("console-ours.cn", "198.51.100.7")
	b.AddStaff("wangzg", "王主管", "supervisor")
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "wangzg")
	br.Open(b.api.URL + "/console/sweeps")
	br.JS(`window.confirm = function () { return true; }`)
	br.ClickAndWait("#start-sweep")
	require.Contains(t, br.Location(), "/console/sweeps/")
	page := br.Location()
	b.waitSweep(page[strings.LastIndex(page, "/")+1:])
	sc := newStaffClient(t, b.api.URL)
	sc.mustSignIn("wangzg")
	got := sc.get(page[strings.Index(page, "/console"):])
	require.Equal(t, 200, got.Status, "%.2000s", got.Body)
	br.Open(page)
	require.Zero(t, br.Count(`meta[http-equiv="refresh"]`), "a finished sweep's page stops refreshing")
	found := br.Text("#findings-elsewhere")
	require.Contains(t, found, "console-moved.cn")
	require.Contains(t, found, "192.0.2.80")
	require.Contains(t, found, "已通知")
	br.Screenshot("console-sweep")
	br.ClickAndWait("#findings-elsewhere a")
	require.Contains(t, br.Location(), moved)
	br.ClickAndWait("#check-dns")
	dns := br.Text("#dns")
	require.Contains(t, dns, "解析到他处")
	require.Contains(t, dns, "最近排查")
	br.Screenshot("console-filing-dns")
	br.Open(b.api.URL + "/console/sweeps")
	require.Contains(t, br.Text("main"), "已完成")
	br.Screenshot("console-sweeps")
	require.Empty(t, br.Problems())
}

// TestSweepSurvivesWorkerStop (R-PA-3): the worker stops in the middle of a
// sweep and another takes over: it resumes after the chunks already saved
// (the DNS server sees far fewer queries than two whole sweeps) and every
// moved filing is told once.
func TestSweepSurvivesWorkerStop(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.Acts.Config.SweepChunk = 4
	const n, moved = 20, 4
	for i := range n {
		d := fmt.Sprintf("restart-sweep-%02d.cn", i)
		approvedCase(t, b, d)
		if i < moved {
			b.SetDNS(d, "192.0.2.90")
		} else {
			b.SetDNS(d, "198.51.100.7")
		}
	}
	b.DNS.SetStall(80 * time.Millisecond) // slow enough to stop in the middle, well under the 300 ms query timeout
	before := b.DNS.Queries()
	id := b.must(202, b.do("POST", "/api/v1/sweeps", tokSupervisor, nil)).str("id")
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := b.must(200, b.do("GET", "/api/v1/sweeps/"+id, tokSpecialist, nil))
		if done, _ := r.get("done").(float64); done >= 12 {
			require.Equal(t, "running", r.str("status"), "stopped while running")
			break
		}
		require.True(t, time.Now().Before(deadline), "the sweep never got to 12 domains: %s", r.Raw)
		time.Sleep(50 * time.Millisecond)
	}
	b.stopWorker()
	time.Sleep(500 * time.Millisecond)
	b.startWorker()
	r := b.waitSweep(id)
	require.Equal(t, map[string]any{"ours": float64(n - moved), "elsewhere": float64(moved), "nxdomain": 0.0, "unresolved": 0.0}, r.get("counts"))
	require.Equal(t, float64(moved), r.get("notified"))
	whole := int64(n*4 + moved*4) // four queries a domain, four more to confirm a move
	require.Less(t, b.DNS.Queries()-before, whole+whole/2, "resumed after the saved chunks, not from the start")
	time.Sleep(time.Second)
	require.Equal(t, moved, b.mailsWith(notices.ShellSiteWarning), "each moved filing told once")
}

// TestSweepSchedule (R-PA-3): the weekly sweep's schedule runs on
// Thursdays at 14:00 Asia/Shanghai, never two at once; a new time from
// the configuration moves it.
func TestSweepSchedule(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	require.NoError(t, worker.EnsureSweepSchedule(ctx, b.Temporal, ""))
	require.NoError(t, worker.EnsureSweepSchedule(ctx, b.Temporal, ""), "a schedule that exists is kept")
	h := b.Temporal.ScheduleClient().GetHandle(ctx, workflows.SweepScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, "Asia/Shanghai", desc.Schedule.Spec.TimeZoneName)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	require.NotEmpty(t, desc.Info.NextActionTimes)
	for _, next := range desc.Info.NextActionTimes {
		local := next.In(calendar.Shanghai)
		require.Equal(t, time.Thursday, local.Weekday(), "next run %s", local)
		require.Equal(t, 14, local.Hour())
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, workflows.SweepWorkflowName, action.Workflow)

	require.NoError(t, worker.EnsureSweepSchedule(ctx, b.Temporal, "30 15 * * 5"))
	desc, err = h.Describe(ctx)
	require.NoError(t, err)
	for _, next := range desc.Info.NextActionTimes {
		local := next.In(calendar.Shanghai)
		require.Equal(t, time.Friday, local.Weekday(), "next run %s", local)
		require.Equal(t, 15, local.Hour())
		require.Equal(t, 30, local.Minute())
	}
}
