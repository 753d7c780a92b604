package e2e_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/browser"
)

// The audit trail (issue 12 §3) and the exports of personal data (§4), on
// the whole stack: what staff do lands in the hash-chained trail, which
// supervisors read through the API and on the console's 审计日志 page.

// trail is the audit trail's rows of kind as "actor action target: detail",
// oldest first.
func (b *bundle) trail(kind string) []string {
	b.t.Helper()
	rows, err := b.db.Pool().Query(context.Background(),
		`SELECT actor || ' ' || action || ' ' || target || ': ' || detail FROM audit_log WHERE kind = $1 ORDER BY id`, kind)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(b.t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(b.t, rows.Err())
	return out
}

// TestAuditTrail: a state change, a reveal, sign-ins and exports each land
// in the trail; GET /api/v1/audit filters it for a supervisor and refuses
// a specialist; the chain verifies.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "audit-trail.cn")
	cs := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSupervisor, nil))
	caseNo := cs.str("case_no")

	// Every transition of the case, by whoever made it, with no detail
	// from the filer.
	state := b.trail(beian.AuditState)
	require.GreaterOrEqual(t, len(state), 4, "%v", state)
	require.True(t, strings.HasPrefix(state[0], "小李 created case/"+id+": "+caseNo), state[0])
	require.Contains(t, strings.Join(state, "\n"), "→ "+beian.StatusApproved.Title())

	// A reveal.
	b.must(200, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSupervisor, nil))
	require.Contains(t, b.trail(beian.AuditReveal), "王主管 reveal case/"+id+": 查看完整证件号码和备案密码 "+caseNo)

	// Sign-ins on the console: a wrong password, a sign-in, a sign-out.
	b.AddStaff("wangzg", "王主管", beian.RoleSupervisor)
	_, p := consoleLogin(t, b, "wangzg", "wrong password entirely")
	require.Equal(t, "/console/login", p.Path)
	cc := signInConsole(t, b, "wangzg")
	cc.send("POST", "/console/logout", url.Values{"csrf_token": {cc.csrf}})
	signIns := strings.Join(b.trail(beian.AuditSignIn), "\n")
	require.Contains(t, signIns, "wangzg sign_in_failed staff/wangzg")
	require.Contains(t, signIns, "wangzg sign_in staff/wangzg")
	require.Contains(t, signIns, "wangzg sign_out staff/wangzg")

	// Exports, with what and how many rows.
	require.Equal(t, 200, b.do("GET", "/api/v1/reports/tracking.xlsx?province=江苏", tokSpecialist, nil).Status)
	require.Equal(t, 200, b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏", tokSpecialist, nil).Status)
	exports := b.trail(beian.AuditExport)
	require.Contains(t, exports, "小李 export_tracking tracking.xlsx: 省份：江苏；状态：全部在办与有效；共 1 行")
	require.Contains(t, exports, "小李 export_province_table 江苏: 系统省份：江苏；共 1 行")

	// The API: supervisors read the trail filtered; others may not.
	r := b.must(200, b.do("GET", "/api/v1/audit?kind=export&actor="+url.QueryEscape("小李"), tokSupervisor, nil))
	items := r.get("items").([]any)
	require.Len(t, items, 2)
	require.Equal(t, "export_province_table", items[0].(map[string]any)["action"], "newest first")
	r = b.must(200, b.do("GET", "/api/v1/audit?case="+id, tokAdmin, nil))
	for _, it := range r.get("items").([]any) {
		require.Equal(t, id, it.(map[string]any)["case_id"])
	}
	require.Equal(t, 403, b.do("GET", "/api/v1/audit", tokSpecialist, nil).Status)
	require.Equal(t, 403, b.do("GET", "/api/v1/audit", tokTech, nil).Status)
	require.Equal(t, 400, b.do("GET", "/api/v1/audit?from=yesterday", tokSupervisor, nil).Status)

	v, err := b.db.VerifyAuditChain(t.Context())
	require.NoError(t, err)
	require.True(t, v.OK(), v.Broken)
	require.NotContains(t, strings.Join(b.trail(beian.AuditState), "\n"), "11010519491231002X", "no numbers in the trail")
}

// TestProvinceTableReveal (issue 12 §4): the registration table masks the
// certificate number, mobile and email for everyone; with ?reveal=true a
// supervisor gets them in clear, stamped and audited as such, a specialist
// 403.
func TestProvinceTableReveal(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	approvedCase(t, b, "audit-reveal.cn")
	const cert, mobile, email = "11010519491231002X", "13800138000", "zhangsan@example.net"

	cells := func(raw []byte) (string, excelize.DocProperties) {
		t.Helper()
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		require.NoError(t, err)
		rows, err := f.GetRows(f.GetSheetList()[0])
		require.NoError(t, err)
		var all strings.Builder
		for _, row := range rows {
			all.WriteString(strings.Join(row, "|") + "\n")
		}
		props, err := f.GetDocProps()
		require.NoError(t, err)
		return all.String(), *props
	}

	masked := b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏", tokSpecialist, nil)
	require.Equal(t, 200, masked.Status, "%s", masked.Raw)
	all, props := cells(masked.Raw)
	require.Contains(t, all, "audit-reveal.cn")
	for _, s := range []string{cert, mobile, email} {
		require.NotContains(t, all, s)
	}
	require.Contains(t, all, "z***@example.net")
	require.Equal(t, "小李", props.Creator)
	require.Equal(t, "小李", props.LastModifiedBy)
	require.NotEmpty(t, props.Created)
	require.Regexp(t, `^含个人信息 导出人 小李 导出时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, props.Keywords)

	refused := b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏&reveal=true", tokSpecialist, nil)
	require.Equal(t, 403, refused.Status)
	require.Equal(t, beian.CodeForbidden, refused.str("error", "code"))
	require.Contains(t, refused.str("error", "message"), "只有主管或管理员")
	require.Equal(t, 403, b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏&reveal=true", tokTech, nil).Status)

	inClear := b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏&reveal=true", tokSupervisor, nil)
	require.Equal(t, 200, inClear.Status, "%s", inClear.Raw)
	all, props = cells(inClear.Raw)
	for _, s := range []string{cert, mobile, email} {
		require.Contains(t, all, s)
	}
	require.Equal(t, "王主管", props.Creator)
	require.Contains(t, props.Description, "完整证件号码")

	exports := b.trail(beian.AuditExport)
	require.Equal(t, []string{
		"小李 export_province_table 江苏: 系统省份：江苏；共 1 行",
		"王主管 export_province_table 江苏: 系统省份：江苏；完整证件号码、手机和邮箱；共 1 行",
	}, exports, "the refused exports are not exports")
}

// TestConsoleAuditPage: the 审计日志 page is a supervisor's (in the menu,
// filtered like the API), not a specialist's; signed out it asks to sign
// in. A screenshot shows it.
func TestConsoleAuditPage(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "audit-page.cn")
	b.must(200, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSupervisor, nil))
	require.Equal(t, 200, b.do("GET", "/api/v1/reports/tracking.xlsx", tokSpecialist, nil).Status)
	b.AddStaff("wangzg", "王主管", beian.RoleSupervisor)
	b.AddStaff("xiaoli", "小李", beian.RoleSpecialist)

	anon := newConsoleClient(t, b).get("/console/audit")
	require.Equal(t, "/console/login", anon.Path)
	spec := signInConsole(t, b, "xiaoli")
	require.Equal(t, 403, spec.get("/console/audit").Status)
	require.NotContains(t, spec.get("/console/filings").Body, `href="/console/audit"`, "not in a specialist's menu")

	cc := signInConsole(t, b, "wangzg")
	p := cc.get("/console/audit")
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.Body, `href="/console/audit"`)
	rows := p.section("audit-rows")
	require.Contains(t, rows, "状态变更")
	require.Contains(t, rows, "查看完整号码")
	require.Contains(t, rows, "导出")
	require.Contains(t, rows, "wangzg") // the sign-in just now

	only := cc.get("/console/audit?kind=reveal")
	require.Equal(t, 200, only.Status)
	require.Contains(t, only.section("audit-rows"), "查看完整证件号码和备案密码")
	require.NotContains(t, only.section("audit-rows"), "状态变更")
	byCase := cc.get("/console/audit?case=" + id)
	require.NotContains(t, byCase.section("audit-rows"), "export_tracking")
	require.Contains(t, byCase.section("audit-rows"), "created")
	bad := cc.get("/console/audit?from=someday")
	require.Equal(t, 400, bad.Status)
	require.Contains(t, bad.Body, "起始时间应为时间")

	br := browser.Start(t)
	signIn(t, br, b.api.URL, "wangzg")
	br.Open(b.api.URL + "/console/audit")
	require.Contains(t, br.Text("#audit-rows"), "状态变更")
	br.Screenshot("console-audit")
	require.Empty(t, br.Problems())
}
