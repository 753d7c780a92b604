package e2e_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/browser"
	"github.com/beian/beian/xlsx"
)

// securitySheet fills the downloaded template with rows from row 3.
func securitySheet(t *testing.T, template []byte, rows ...[]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(template))
	require.NoError(t, err)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, 3+i)
		require.NoError(t, f.SetSheetRow(xlsx.SecuritySheet, cell, &r))
	}
	var out bytes.Buffer
	require.NoError(t, f.Write(&out))
	return out.Bytes()
}

// TestSecuritySheet (R-PA-2): the desk downloads the template, info-security
// fills it in, the upload previews what it will cancel and what matches
// nothing, nothing is cut before the supervisor confirms; the confirmation
// cuts each matched filing through its workflow (an action for tech, the
// filer told); the same file again cancels nothing twice. A bad sheet is
// refused whole, the cell named.
func TestSecuritySheet(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	byDomain := approvedCase(t, b, "sec-game.cn")
	byIP := approvedCase(t, b, "sec-film.cn", func(body map[string]any) {
		body["website"].(map[string]any)["server_ips"] = []string{"198.51.100.20"}
	})
	kept := approvedCase(t, b, "sec-fine.cn", func(body map[string]any) {
		body["website"].(map[string]any)["server_ips"] = []string{"198.51.100.21"}
	})
	tmpl := b.do("GET", "/api/v1/templates/security-sheet.xlsx", tokSpecialist, nil)
	require.Equal(t, 200, tmpl.Status)
	sheet := securitySheet(t, tmpl.Raw,
		[]any{"sec-game.cn", "", "私服", "疑似私服游戏", "信息安全部"},
		[]any{"", "198.51.100.20", "影视", "盗版影视", "技术部"},
		[]any{"nobody-here.cn", "", "小说", "", "信息安全部"})

	b.must(403, b.upload("/api/v1/imports/security-sheet", tokSpecialist, "备案和信息安全规范表20261201.xlsx", sheet))
	prev := b.must(200, b.upload("/api/v1/imports/security-sheet", tokSupervisor, "备案和信息安全规范表20261201.xlsx", sheet))
	require.Equal(t, map[string]any{"cancel": 2.0, "already_cancelled": 0.0, "unmatched": 1.0, "failed": 0.0}, prev.get("summary"))
	require.Nil(t, prev.get("confirmed_at"))
	for _, id := range []string{byDomain, byIP, kept} {
		require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"), "nothing cut before the confirmation")
	}
	done := b.must(200, b.do("POST", "/api/v1/imports/security-sheet/"+prev.str("id")+"/confirm", tokSupervisor, nil))
	require.NotNil(t, done.get("confirmed_at"))
	for _, id := range []string{byDomain, byIP} {
		r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
		require.Equal(t, "ACCESS_CANCELLED", r.str("status"))
		require.Contains(t, string(r.Raw), "信息安全规范表")
	}
	require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+kept, tokSpecialist, nil)).str("status"))
	b.waitMail("zhangsan@example.net", "已取消接入")
	cuts := func() int {
		n := 0
		for _, it := range b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil)).get("items").([]any) {
			if it.(map[string]any)["kind"] == "cancel" {
				n++
			}
		}
		return n
	}
	require.Equal(t, 2, cuts())

	// The same file again: the same upload, already confirmed; confirming
	// again cuts nothing.
	again := b.must(200, b.upload("/api/v1/imports/security-sheet", tokSupervisor, "copy.xlsx", sheet))
	require.Equal(t, prev.str("id"), again.str("id"))
	require.NotNil(t, again.get("confirmed_at"))
	b.must(200, b.do("POST", "/api/v1/imports/security-sheet/"+prev.str("id")+"/confirm", tokSupervisor, nil))
	require.Equal(t, 2, cuts(), "nothing cancelled twice")

	// A bad sheet is refused whole, the cell named; not a spreadsheet is 415.
	bad := securitySheet(t, tmpl.Raw,
		[]any{"sec-fine.cn", "", "私服", "", "信息安全部"},
		[]any{"other.cn", "", "赌博", "", "信息安全部"})
	refused := b.must(422, b.upload("/api/v1/imports/security-sheet", tokSupervisor, "bad.xlsx", bad))
	require.Contains(t, string(refused.Raw), "C4")
	require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+kept, tokSpecialist, nil)).str("status"))
	b.must(415, b.upload("/api/v1/imports/security-sheet", tokSupervisor, "fake.xlsx", []byte("域名,IP\nsec-fine.cn,\n")))
}

// TestTrackingAndProvinceSheets (R-BR-5, R-RV-3): the tracking worksheet
// has exactly the ten columns, a row per case, 是/否; the province table
// masks certificate numbers; both say who exported them.
func TestTrackingAndProvinceSheets(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	approvedCase(t, b, "track-one.cn")
	r := b.do("GET", "/api/v1/reports/tracking.xlsx?province=江苏", tokSpecialist, nil)
	require.Equal(t, 200, r.Status, "%s", r.Raw)
	f, err := excelize.OpenReader(bytes.NewReader(r.Raw))
	require.NoError(t, err)
	rows, err := f.GetRows(f.GetSheetList()[0])
	require.NoError(t, err)
	var header []string
	var found []string
	for _, row := range rows {
		if len(row) > 0 && row[0] == xlsx.TrackingColumns[0] {
			header = row
		}
		for _, c := range row {
			if c == "track-one.cn" {
				found = row
			}
		}
	}
	require.Equal(t, xlsx.TrackingColumns, header)
	require.NotNil(t, found, "the case's row")
	require.Equal(t, "是", found[8], "备案是否成功")
	props, err := f.GetDocProps()
	require.NoError(t, err)
	require.Contains(t, props.Creator+props.Description, "小李")
	require.Equal(t, 400, b.do("GET", "/api/v1/reports/tracking.xlsx?from=2026-13-01", tokSpecialist, nil).Status)
	require.Equal(t, 403, b.do("GET", "/api/v1/reports/tracking.xlsx", tokTech, nil).Status)

	p := b.do("GET", "/api/v1/reports/registration-table.xlsx?province=江苏", tokSpecialist, nil)
	require.Equal(t, 200, p.Status, "%s", p.Raw)
	require.NotContains(t, string(p.Raw), "11010519491231002X")
	pf, err := excelize.OpenReader(bytes.NewReader(p.Raw))
	require.NoError(t, err)
	prows, err := pf.GetRows(pf.GetSheetList()[0])
	require.NoError(t, err)
	joined := ""
	for _, row := range prows {
		for _, c := range row {
			joined += c + "|"
		}
	}
	require.Contains(t, joined, "track-one.cn")
	require.Contains(t, joined, "1101**********002X")
	require.Equal(t, http.StatusBadRequest, b.do("GET", "/api/v1/reports/registration-table.xlsx", tokSpecialist, nil).Status)
}

// TestConsoleSheets: a supervisor downloads the template, uploads a filled
// sheet on the 报表 page, reads the preview (nothing cut yet) in Chromium,
// confirms it there, and the filing's access is cancelled (R-PA-2).
func TestConsoleSheets(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	target := approvedCase(t, b, "console-sec.cn")
	b.AddStaff("wangzg", "王主管", "supervisor")
	cc := signInConsole(t, b, "wangzg")
	tmpl := b.do("GET", "/api/v1/templates/security-sheet.xlsx", tokSupervisor, nil)
	require.Equal(t, 200, tmpl.Status)
	sheet := securitySheet(t, tmpl.Raw, []any{"console-sec.cn", "", "色情", "举报", "信息安全部"}, []any{"nowhere.cn", "", "其他", "", "技术部"})
	p := cc.upload("/console/sheets", "/console/sheets/security", "规范表.xlsx", sheet)
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.Path, "/console/sheets/security/")
	preview := p.section("security-import")
	require.Contains(t, preview, "将取消接入")
	require.Contains(t, preview, "未匹配到在我司的备案")
	require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+target, tokSpecialist, nil)).str("status"))

	bad := cc.upload("/console/sheets", "/console/sheets/security", "bad.xlsx", []byte("not a workbook"))
	require.Equal(t, 415, bad.Status)
	require.Contains(t, bad.section("import-error"), "没有任何备案被取消接入")

	br := browser.Start(t)
	signIn(t, br, b.api.URL, "wangzg")
	br.Open(b.api.URL + p.Path)
	br.Screenshot("console-security-preview")
	br.JS(`window.confirm = function () { return true; }`)
	br.ClickAndWait("#confirm-security")
	require.Contains(t, br.Text(".flash"), "已确认")
	require.Contains(t, br.Text("#security-import"), "已取消接入")
	require.Equal(t, "ACCESS_CANCELLED", b.must(200, b.do("GET", "/api/v1/filings/"+target, tokSpecialist, nil)).str("status"))
	br.Open(b.api.URL + "/console/sheets")
	require.Contains(t, br.Text("#tracking"), "备案跟踪表")
	br.Screenshot("console-sheets")
	require.Empty(t, br.Problems())
}

// TestWeeklyReport: this week's figures, as JSON, as .xlsx and as the
// console page with its charts: a case approved, a call made, the access
// opened and confirmed by tech.
func TestWeeklyReport(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "weekly-one.cn")
	call := openCall(t, b, id)
	b.must(200, b.do("POST", "/api/v1/tasks/"+call["id"].(string)+"/complete", tokSpecialist, map[string]any{"outcome": "answered", "answers": rightAnswers()}))
	for _, it := range b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil)).get("items").([]any) {
		b.must(200, b.do("POST", "/api/v1/access-actions/"+it.(map[string]any)["id"].(string)+"/confirm", tokTech, map[string]any{"note": "已开通"}))
	}
	r := b.must(200, b.do("GET", "/api/v1/reports/weekly", tokSpecialist, nil))
	require.Equal(t, 1.0, r.get("opened"))
	require.Equal(t, 1.0, r.get("submitted"))
	require.Equal(t, 1.0, r.get("approved"))
	require.Equal(t, "match", r.get("calls").([]any)[0].(map[string]any)["key"])
	acc := r.get("access").([]any)[0].(map[string]any)
	require.Equal(t, "open", acc["kind"])
	require.Equal(t, 1.0, acc["confirmed"])
	require.Len(t, r.get("turnaround"), 1)
	week := r.str("week")
	require.Equal(t, 400, b.do("GET", "/api/v1/reports/weekly?week=2026-W60", tokSpecialist, nil).Status)

	x := b.do("GET", "/api/v1/reports/weekly.xlsx?week="+week, tokSpecialist, nil)
	require.Equal(t, 200, x.Status, "%s", x.Raw)
	f, err := excelize.OpenReader(bytes.NewReader(x.Raw))
	require.NoError(t, err)
	rows, err := f.GetRows("周报")
	require.NoError(t, err)
	all := ""
	for _, row := range rows {
		for _, c := range row {
			all += c + "|"
		}
		all += "\n"
	}
	require.Contains(t, all, "管局审核通过|1|")
	require.Contains(t, all, "核对一致|1|")

	b.AddStaff("wangzg", "王主管", "supervisor")
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "wangzg")
	br.Open(b.api.URL + "/console/reports/weekly")
	br.WaitFor(`Array.from(document.querySelectorAll('.chart')).every(function (c) { return c.getAttribute('data-ready') === 'true' && c.querySelector('canvas'); })`)
	require.Equal(t, 3, br.Count(".chart canvas"))
	require.Contains(t, br.Text("#weekly-access"), "开通接入")
	br.Screenshot("console-weekly")
	require.Empty(t, br.Problems())
}

// fillForm types values into the downloaded registration form's inputs.
func fillForm(t *testing.T, template []byte, values map[string]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(template))
	require.NoError(t, err)
	for _, fld := range xlsx.RegistrationFieldsFor(beian.SponsorPerson) {
		if v, ok := values[fld.Key]; ok {
			require.NoError(t, f.SetCellValue(xlsx.RegistrationSheet, fld.Cell, v))
		}
	}
	var out bytes.Buffer
	require.NoError(t, f.Write(&out))
	return out.Bytes()
}

// TestRegistrationFormImport (R-IN-2 item 1): the filer's form, downloaded,
// filled and uploaded, reads as the filing the API would take; its
// problems name their cells; ?create=true opens the case.
func TestRegistrationFormImport(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	tmpl := b.do("GET", "/api/v1/templates/registration-form.xlsx?kind=person", tokSpecialist, nil)
	require.Equal(t, 200, tmpl.Status)
	values := map[string]any{
		"sponsor.name": "张三", "sponsor.cert_number": "11010519491231002X", "sponsor.province": "广东",
		"sponsor.city": "广州", "sponsor.address": "广东省广州市天河区体育西路1号",
		"principal.name": "张三", "principal.id_number": "11010519491231002X", "principal.mobile": "13800138000",
		"principal.email": "zhangsan@example.net", "website.name": "张三的技术笔记",
		"website.domains": "regform-e2e.cn", "website.server_ips": "198.51.100.7", "type": "新增备案",
	}
	bad := map[string]any{}
	for k, v := range values {
		bad[k] = v
	}
	bad["sponsor.cert_number"] = "110105194912310021" // a wrong check digit
	r := b.must(422, b.upload("/api/v1/imports/registration-form", tokSpecialist, "登记表.xlsx", fillForm(t, tmpl.Raw, bad)))
	require.Equal(t, false, r.get("ok"))
	cells := ""
	for _, p := range r.get("problems").([]any) {
		cells += p.(map[string]any)["cell"].(string) + " "
	}
	require.Contains(t, cells, "登记表!B6", "the certificate number's cell")

	good := fillForm(t, tmpl.Raw, values)
	r = b.must(200, b.upload("/api/v1/imports/registration-form", tokSpecialist, "登记表.xlsx", good))
	require.Equal(t, true, r.get("ok"), "%s", r.Raw)
	require.Equal(t, "regform-e2e.cn", r.get("filing").(map[string]any)["website"].(map[string]any)["domains"].([]any)[0])
	created := b.must(201, b.upload("/api/v1/imports/registration-form?create=true", tokSpecialist, "登记表.xlsx", good))
	id := created.get("created").(map[string]any)["id"].(string)
	require.Equal(t, "AWAITING_MATERIALS", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))
	damaged := b.must(400, b.upload("/api/v1/imports/registration-form", tokSpecialist, "x.xlsx", []byte("PK\x03\x04 broken")))
	require.Contains(t, damaged.str("error", "message"), "损坏")
	b.must(415, b.upload("/api/v1/imports/registration-form", tokSpecialist, "x.xlsx", []byte("主办者,域名\n张三,a.cn\n")))
}

// TestConsoleFormImport: from 新建申请 the specialist uploads a filled form
// in Chromium, sees its cells with the problem on the certificate number,
// uploads the corrected one and opens the case from it (R-IN-2 item 1).
func TestConsoleFormImport(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	tmpl := b.do("GET", "/api/v1/templates/registration-form.xlsx?kind=person", tokSpecialist, nil)
	require.Equal(t, 200, tmpl.Status)
	values := map[string]any{
		"sponsor.name": "张三", "sponsor.cert_number": "110105194912310021", "sponsor.province": "广东",
		"sponsor.city": "广州", "sponsor.address": "广东省广州市天河区体育西路1号",
		"principal.name": "张三", "principal.id_number": "11010519491231002X", "principal.mobile": "13800138000",
		"principal.email": "zhangsan@example.net", "website.name": "张三的技术笔记",
		"website.domains": "console-form.cn", "website.server_ips": "198.51.100.7", "type": "新增备案",
	}
	dir := t.TempDir()
	badPath := filepath.Join(dir, "登记表-张三.xlsx")
	require.NoError(t, os.WriteFile(badPath, fillForm(t, tmpl.Raw, values), 0o644))
	values["sponsor.cert_number"] = "11010519491231002X"
	goodPath := filepath.Join(dir, "登记表-张三-更正.xlsx")
	require.NoError(t, os.WriteFile(goodPath, fillForm(t, tmpl.Raw, values), 0o644))

	b.AddStaff("xiaoli", "李专员", "specialist")
	cc := signInConsole(t, b, "xiaoli")
	pg := cc.get("/console/filings/import")
	require.Equal(t, 200, pg.Status, pg.Body)
	br := browser.Start(t)
	signIn(t, br, b.api.URL, "xiaoli")
	br.Open(b.api.URL + "/console/filings/new")
	br.ClickAndWait("#link-form-import")
	br.Do(chromedp.SetUploadFiles(chromedp.CSS(`#form-upload input[type=file]`), []string{badPath}))
	br.ClickAndWait("#upload-form")
	// The wrong check digit, and so the principal no longer the sponsor:
	// both cells marked, each with its rule.
	require.Equal(t, 2, br.Count(".sheet-bad"), "cells marked: %s", br.Text("#form-picture"))
	require.Contains(t, br.Text(".sheet-bad"), "110105194912310021")
	require.Contains(t, br.Text("#form-picture"), "校验位错误")
	require.Zero(t, br.Count("#create-from-form"), "no case from a form with problems")
	br.Screenshot("console-form-import-problems")
	br.Do(chromedp.SetUploadFiles(chromedp.CSS(`#form-upload input[type=file]`), []string{goodPath}))
	br.ClickAndWait("#upload-form")
	require.Zero(t, br.Count(".sheet-bad"))
	br.ClickAndWait("#create-from-form")
	require.Contains(t, br.Text(".flash"), "已由登记表建立申请")
	require.Contains(t, br.Location(), "/console/filings/")
	require.Contains(t, br.Text("main"), "console-form.cn")
	require.Empty(t, br.Problems())
}
