package e2e_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/browser"
	"github.com/beian/beian/internal/stack"
)

// signIn signs in through the console's form and waits for the first page.
func signIn(t *testing.T, br *browser.Browser, base, username string) {
	t.Helper()
	br.Open(base + "/console/login")
	br.Fill("#username", username, "#password", stack.StaffPassword)
	br.ClickAndWait("#signin")
	require.NotContains(t, br.Location(), "/console/login", "signed in: %s", br.Text("main"))
}

// TestConsoleIntakeToApproval carries a case from intake to approval in
// Chromium as a specialist would, without typing a URL after the first:
// the intake form shows SUSPENDED_RESIDENCE beside the province (R-IN-1),
// the fixed case is saved, the ticked materials move it to 接入商审核中
// (R-IN-3), the review passes (R-RV-7), the approval with its number is
// recorded (R-BR-2), and signing out leads back to sign-in.
func TestConsoleIntakeToApproval(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	br := browser.Start(t)
	base := b.api.URL

	// Any console page without a session leads to the sign-in page.
	br.Open(base + "/")
	require.Contains(t, br.Location(), "/console/login")
	br.Screenshot("console-login")
	br.Fill("#username", "xiaoli", "#password", stack.StaffPassword)
	br.ClickAndWait("#signin")
	require.True(t, strings.HasSuffix(br.Location(), "/console/"), br.Location())
	require.Contains(t, br.Text("h1"), "工作台")

	// The menu leads to the intake form.
	br.ClickAndWait(`nav.menu a[href="/console/filings/new"]`)
	br.Fill(
		"#sponsor-name", "张三", "#sponsor-cert", "11010519491231002X",
		"#sponsor-province", "新疆", `input[name="sponsor.city"]`, "乌鲁木齐", `input[name="sponsor.address"]`, "天山区1号",
		`input[name="principal.name"]`, "张三", `input[name="principal.id_number"]`, "11010519491231002X",
		`input[name="principal.mobile"]`, "13800138000", `input[name="principal.email"]`, "zhangsan@example.net",
		"#site-name", "张三的技术笔记", "#domains", "console-notes.cn", "#server-ips", "198.51.100.7",
	)
	br.ClickAndWait("#save")
	require.Contains(t, br.Location(), "/console/filings/new", "a case with a violation is not saved")
	provinceErr := br.Text("#field-sponsor-province")
	require.NotEmpty(t, provinceErr, "the SUSPENDED_RESIDENCE violation is shown beside the province field")
	require.Contains(t, br.Text("#violations"), "SUSPENDED_RESIDENCE")
	require.Contains(t, provinceErr, "新疆")
	br.Screenshot("console-intake-violation")
	page := b.must(200, b.do("GET", "/api/v1/filings?domain=console-notes.cn", tokSpecialist, nil))
	require.Empty(t, page.get("items"), "nothing saved while a rule is broken")

	// Fixed: the form keeps what was typed, only the province changes.
	require.Equal(t, "张三的技术笔记", browser.Eval[string](br, `document.getElementById('site-name').value`))
	br.Fill("#sponsor-province", "广东", `input[name="sponsor.city"]`, "广州")
	br.ClickAndWait("#check")
	require.Contains(t, br.Text("#check-passed"), "检查通过")
	require.Contains(t, br.Text("#check-subject"), "张三+console-notes.cn", "the email subject to give the filer (R-IN-3)")
	require.Contains(t, br.Text("#check-result"), "真实性核验单-广东", "the checklist of a 广东 sponsor (R-IN-2)")
	br.ClickAndWait("#save")
	require.Regexp(t, `/console/filings/[0-9a-f-]{36}$`, br.Location())
	require.Contains(t, br.Text(".flash"), "已创建备案申请")
	require.Contains(t, br.Text(".case-head"), "待收材料")
	require.Contains(t, br.Text("#details"), "1101**********002X", "ID numbers are masked as the API masks them")
	require.NotContains(t, br.Text("main"), "11010519491231002X")

	// Tick every material: the case moves to 接入商审核中.
	n := br.Count("input.material")
	require.Greater(t, n, 3)
	br.JS(`document.querySelectorAll('input.material').forEach(function (c) { c.click(); })`)
	require.Equal(t, n, browser.Eval[int](br, `document.querySelectorAll('input.material:checked').length`))
	br.ClickAndWait("#materials-submit")
	require.Contains(t, br.Text(".case-head"), "接入商审核中", br.Text("main"))

	// Pass the review: submitted to the bureau, with a deadline in working days.
	// Nothing is chosen for the specialist: submitting without a choice says so.
	br.ClickAndWait("#review-submit")
	require.Contains(t, br.Text("#form-review"), "请选择审核结果", "the error is shown beside its form")
	require.Contains(t, br.Text(".case-head"), "接入商审核中", "nothing changed")
	br.Do(chromedp.Click(chromedp.CSS("#review-pass")))
	br.ClickAndWait("#review-submit")
	require.Contains(t, br.Text(".case-head"), "管局审核中", br.Text("main"))
	require.Contains(t, br.Text(".deadlines"), "剩余 20 个工作日")
	br.Screenshot("console-case-bureau")

	// Record the approval with its number.
	br.Fill("#filing_number", "粤ICP备20261201号-1")
	br.ClickAndWait("#approve-submit")
	require.Contains(t, br.Text(".case-head"), "备案成功", br.Text("main"))
	require.Contains(t, br.Text(".case-head"), "粤ICP备20261201号-1")

	// The timeline shows every step, the specialist's username as actor.
	tl := br.Text("#timeline")
	for _, want := range []string{"创建申请", "材料已齐全", "已提交管局", "管局审核通过", "xiaoli"} {
		require.Contains(t, tl, want)
	}
	require.Contains(t, br.Text("#access"), "开通接入", "access opens only on approval (R-AC-0)")
	require.Equal(t, 1, br.Count("#workflow-link"), "a link to the workflow in the Temporal Web UI")
	br.Screenshot("console-case-approved")

	// The same case over the API: the console's actor is the username.
	id := br.Location()[strings.LastIndex(br.Location(), "/")+1:]
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "APPROVED", r.str("status"))
	var actors []string
	for _, e := range r.get("timeline").([]any) {
		actors = append(actors, e.(map[string]any)["actor"].(string))
	}
	require.Contains(t, actors, "xiaoli")

	// The dashboard and the list, for the record.
	br.ClickAndWait(`nav.menu a[href="/console/filings"]`)
	require.Contains(t, br.Text("table.list"), "console-notes.cn")
	br.Screenshot("console-filings")
	br.ClickAndWait(`nav.menu a[href="/console/"]`)
	br.WaitFor(`document.querySelectorAll('.chart').length === 5 && Array.from(document.querySelectorAll('.chart')).every(function (c) { return c.getAttribute('data-ready') === 'true' && c.querySelector('canvas'); })`)
	br.Screenshot("console-dashboard")
	require.Empty(t, br.Problems(), "no script error and no CSP violation on any page")

	// Sign out: back at sign-in, and the console asks for it again.
	br.ClickAndWait("#logout")
	require.Contains(t, br.Location(), "/console/login")
	require.Contains(t, br.Text("main"), "您已退出登录")
	br.Open(base + "/console/filings")
	require.Contains(t, br.Location(), "/console/login")
}

// TestConsoleTechSeesAccessActions: tech signs in to the access-action page,
// confirms an action there, and is refused the case form (a role sees only
// its pages).
func TestConsoleTechSeesAccessActions(t *testing.T) {
	t.Parallel()
	b := setup(t, options{Rectify: 2 * time.Second})
	b.AddStaff("jishu", "技术部小王", beian.RoleTech)
	id := approvedCase(t, b, "tech-console.cn")
	// A filing of an escalated customer not rectified in time: its stop is
	// for tech's supervisor, one per server IP (R-VC-4).
	cut := approvedCase(t, b, "tech-console-cut.cn", func(body map[string]any) {
		body["website"].(map[string]any)["server_ips"] = []string{"198.51.100.7", "198.51.100.9"}
	})
	b.must(200, b.do("POST", "/api/v1/filings/"+cut+"/rectification", tokSpecialist, map[string]any{"reason": "核验发现信息虚假", "source": "verification"}))
	b.waitCase(cut, "cut", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	br := browser.Start(t)
	base := b.api.URL

	signIn(t, br, base, "jishu")
	require.True(t, strings.HasSuffix(br.Location(), "/console/access-actions"), "tech's first page: %s", br.Location())
	pending := br.Text("#pending-access")
	require.Contains(t, pending, "开通接入")
	require.Contains(t, pending, "tech-console.cn")
	require.Contains(t, pending, "客户 C-TEST", "grouped by customer")
	require.Equal(t, 2, strings.Count(pending, "致技术部主管"), "two stops for the supervisor, one per server IP")
	require.Contains(t, pending, "停止接入 2 项")
	menu := br.Text("nav.menu")
	require.NotContains(t, menu, "新建申请")
	require.NotContains(t, menu, "备案申请")
	br.Screenshot("console-tech-access")

	br.Open(base + "/console/filings/new")
	require.Contains(t, br.Text("main"), "无权访问")
	require.Equal(t, 0, br.Count("#intake-form"))
	br.Open(base + "/console/filings/" + id)
	require.Contains(t, br.Text("main"), "无权访问", "tech does not read cases")

	br.Open(base + "/console/access-actions")
	br.JS(`window.confirm = function () { return true; }`) // the page asks before an irreversible form
	br.ClickAndWait("button.confirm-access")
	require.Contains(t, br.Text(".flash"), "已确认执行")
	acts := b.must(200, b.do("GET", "/api/v1/access-actions?status=confirmed", tokTech, nil))
	items := acts.get("items").([]any)
	require.Len(t, items, 1)
	require.Equal(t, "jishu", items[0].(map[string]any)["confirmed_by"])
	require.Empty(t, br.Problems())
}

// approvedCase drives a case to APPROVED over the API and returns its ID.
func approvedCase(t *testing.T, b *bundle, domain string, edit ...func(body map[string]any)) string {
	t.Helper()
	body := personFiling(domain)
	for _, e := range edit {
		e(body)
	}
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, body))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokSpecialist,
		map[string]any{"decision": "approved", "filing_number": "粤ICP备20260001号-1"}))
	return id
}

// TestConsoleBusyDesk: on a desk with thousands of cases the dashboard
// shows what is late (R-BR-4) and what is due this week, draws its five
// charts from the stats endpoints, the list sorted by bureau deadline marks
// overdue rows red and rows due this week amber, and the pages work at a
// phone's width.
func TestConsoleBusyDesk(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	stack.SeedCases(t, b.db, 3000)
	b.AddStaff("wangzg", "王主管", beian.RoleSupervisor)
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "wangzg")

	br.WaitFor(`Array.from(document.querySelectorAll('.chart')).every(function (c) { return c.getAttribute('data-ready') === 'true' && c.querySelector('canvas'); })`)
	require.Equal(t, 5, br.Count(".chart canvas"), "five charts drawn")
	overdue := br.Text(".stat-red .n")
	require.NotEqual(t, "0", overdue, "seeded bureau cases past their 30 days are overdue")
	br.Screenshot("console-dashboard-busy")

	// The cards lead to lists with the same counts.
	week := br.Text(".stat-amber .n")
	br.ClickAndWait(`a.stat-amber[href*="due_before"]`)
	require.Equal(t, 0, br.Count("tr.row-overdue"), "due this week, not overdue")
	require.Greater(t, br.Count("tr.row-week"), 0)
	if w, _ := strconv.Atoi(week); w <= 50 {
		require.Equal(t, w, br.Count("table.list tbody tr"), "the card counts what the list shows")
	}
	br.Open(b.api.URL + "/console/")
	br.ClickAndWait(`a.stat-red`)
	require.Contains(t, br.Location(), "overdue=true")
	require.Greater(t, br.Count("tr.row-overdue"), 0)
	require.Equal(t, 0, br.Count("tr.row-week"), "the overdue filter shows only overdue cases")
	br.Open(b.api.URL + "/console/filings?sort=due")
	rows := br.Count("table.list tbody tr")
	require.Equal(t, 50, rows, "a page of 50")
	require.Greater(t, br.Count("tr.row-overdue"), 0, "overdue first when sorted by deadline")
	require.Contains(t, br.Text("table.list tbody tr:first-child"), "已超期")
	require.Equal(t, 1, br.Count("#next-page"))
	br.Screenshot("console-filings-due")
	first := br.Text("table.list tbody tr:first-child td:first-child")
	br.ClickAndWait("#next-page")
	require.Contains(t, br.Location(), "sort=due", "the next page keeps the order and filters")
	require.Contains(t, br.Location(), "cursor=")
	require.Equal(t, 50, br.Count("table.list tbody tr"), "the second page")
	require.NotEqual(t, first, br.Text("table.list tbody tr:first-child td:first-child"), "the second page has other cases")
	br.ClickAndWait("#first-page")
	require.Equal(t, first, br.Text("table.list tbody tr:first-child td:first-child"), "back to the first page")
	require.Contains(t, br.Location(), "sort=due")

	// A phone: one column, the menu behind a button.
	br.Do(chromedp.EmulateViewport(390, 844))
	br.Open(b.api.URL + "/console/")
	br.WaitFor(`document.querySelector('.chart canvas')`)
	require.False(t, browser.Eval[bool](br, `getComputedStyle(document.querySelector('nav.menu')).display !== 'none'`), "the menu folds away on a phone")
	require.LessOrEqual(t, browser.Eval[int](br, `document.documentElement.scrollWidth`), 390, "nothing wider than the phone")
	br.Screenshot("console-dashboard-phone")
	require.Empty(t, br.Problems())
}

// TestConsoleEveryPageRenders: an admin opens every page of the menu; each
// renders (no error page), without a script error or CSP violation, and is
// saved as a screenshot to look at.
func TestConsoleEveryPageRenders(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("boss", "管理员", beian.RoleAdmin)
	approvedCase(t, b, "every-page.cn")
	b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "cert_number", "value": "11010519491231002X", "reason": "虚假资料"}))
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "boss")
	links := browser.Eval[[]string](br, `Array.from(document.querySelectorAll('nav.menu a')).map(function (a) { return a.getAttribute('href'); })`)
	require.Len(t, links, 18, "an admin sees every page: %v", links)
	for _, href := range append(links, "/console/account") {
		br.Open(b.api.URL + href)
		require.NotContains(t, br.Text("h1"), "出错了", href)
		require.NotContains(t, br.Text("h1"), "无权访问", href)
		name := strings.Trim(strings.TrimPrefix(href, "/console"), "/")
		if name == "" {
			name = "dashboard"
		}
		br.Screenshot("page-" + strings.ReplaceAll(name, "/", "-"))
	}
	require.Empty(t, br.Problems())
}

// TestConsoleCorrection: a review that fails mails the filer the reasons,
// one a line (R-RV-4); the 更正 form comes filled in with the case (ID
// numbers left blank keep the stored ones) and shows a broken rule beside
// its field; the fixed correction puts the case back under review.
func TestConsoleCorrection(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("correct-me.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "xiaoli")
	br.Open(b.api.URL + "/console/filings/" + id)

	br.Do(chromedp.Click(chromedp.CSS("#review-fail")))
	br.Fill(`#form-review textarea[name="reasons"]`, "网站名称与主办者不符，请修改\n邮箱无法接收邮件")
	br.ClickAndWait("#review-submit")
	require.Contains(t, br.Text(".case-head"), "待用户更正")
	require.Contains(t, br.Text("#details"), "网站名称与主办者不符，请修改；邮箱无法接收邮件", "two reasons, the comma kept inside the first")
	mail := b.waitMail("zhangsan@example.net", "更正")
	require.Contains(t, mail.Body, "网站名称与主办者不符，请修改")

	br.ClickAndWait("#correct-link")
	require.Equal(t, "张三的技术笔记", browser.Eval[string](br, `document.getElementById('site-name').value`), "the form comes filled in")
	require.Empty(t, browser.Eval[string](br, `document.getElementById('sponsor-cert').value`), "ID numbers are not put into the page")
	require.Contains(t, browser.Eval[string](br, `document.getElementById('sponsor-cert').placeholder`), "1101**********002X")
	br.Fill(`input[name="principal.mobile"]`, "1234")
	br.ClickAndWait("#save")
	require.Contains(t, br.Text("#intake-form"), "手机", "the broken rule is shown beside its field")
	require.Equal(t, "1234", browser.Eval[string](br, `document.querySelector('input[name="principal.mobile"]').value`), "what was typed is kept")
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "NEEDS_CORRECTION", r.str("status"), "nothing saved")

	br.Fill(`input[name="principal.mobile"]`, "13900139000", "#site-name", "张三的读书笔记")
	br.ClickAndWait("#save")
	require.Contains(t, br.Text(".flash"), "更正已提交")
	require.Contains(t, br.Text(".case-head"), "接入商审核中")
	require.Contains(t, br.Text("#details"), "张三的读书笔记")
	require.Contains(t, br.Text("#timeline"), "已更正")
	br.Screenshot("console-corrected")
	r = b.must(200, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSupervisor, nil))
	require.Equal(t, "11010519491231002X", r.str("sponsor", "cert_number"), "the blank ID field kept the stored number")
	require.Equal(t, "13900139000", r.str("principal", "mobile"))
	require.Empty(t, br.Problems())
}

// TestConsoleCall: the caller opens today's call from the task inbox, reads
// the script beside the answer form, records the answers, and sees per
// question what matched; the confirming call then verifies the filing.
func TestConsoleCall(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("console-call.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "xiaoli")

	br.ClickAndWait(`nav.menu a[href="/console/tasks"]`)
	br.ClickAndWait(`table.list a[href^="/console/tasks/"]`)
	require.Contains(t, br.Text("#script"), "中网科技", "a Jiangsu case's caller introduces 中网科技 (R-VC-2)")
	answers := func(email string) {
		br.Fill("#answer-sponsor_name", "张三", "#answer-principal", "张三", "#answer-phone_last4", "８０００",
			"#answer-email_domain", email, "#answer-province", "广东省", "#answer-city", "广州市")
	}
	answers("qq.com")
	br.Do(chromedp.Click(chromedp.CSS(`input[name="dialled"][value="landline"]`)))
	br.ClickAndWait("#record-call")
	require.Contains(t, br.Text(".flash"), "核验不一致：邮箱域名")
	require.Equal(t, 1, br.Count("#answers tr.row-overdue"), "one answer did not match")
	require.Contains(t, br.Text("#answers tr.row-overdue"), "邮箱域名")
	br.Screenshot("console-call-mismatch")

	br.ClickAndWait(`nav.menu a[href="/console/tasks"]`)
	br.ClickAndWait(`table.list a[href^="/console/tasks/"]`)
	answers("Example.NET")
	br.Do(chromedp.Click(chromedp.CSS(`input[name="dialled"][value="landline"]`)))
	br.ClickAndWait("#record-call")
	require.Contains(t, br.Text(".flash"), "核验一致")
	require.Equal(t, 0, br.Count("#answers tr.row-overdue"))
	br.ClickAndWait(`h1 a[href="/console/filings/` + id + `"]`)
	require.Contains(t, br.Text("#timeline"), "核验不一致")
	require.Contains(t, br.Text("#timeline"), "核验一致")
	require.Contains(t, br.Text("#actions"), "上次核验一致", "the case page says when it was last verified")
	require.Empty(t, br.Problems())
}

// TestConsoleRectifications: the 整改 page shows a filing under a 24-hour
// order with its deadline counting down.
func TestConsoleRectifications(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	id := approvedCase(t, b, "rectify-page.cn")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/rectification", tokSpecialist, map[string]any{"reason": "首页未标明备案号（R-PA-5）", "source": "manual"}))
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "xiaoli")
	br.ClickAndWait(`nav.menu a[href="/console/rectifications"]`)
	require.Contains(t, br.Text("main"), "rectify-page.cn")
	require.Contains(t, br.Text("main"), "剩余 23 小时")
	br.Screenshot("console-rectifications")
	require.Empty(t, br.Problems())
}
