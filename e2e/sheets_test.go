package e2e_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian/xlsx"
)

// upload posts file as the multipart field "file".
func (b *bundle) uploadFile(path, token, name string, file []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(b.t, err)
	_, err = fw.Write(file)
	require.NoError(b.t, err)
	require.NoError(b.t, mw.Close())
	req, err := http.NewRequest("POST", b.api.URL+path, &body)
	require.NoError(b.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

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

	b.must(403, b.uploadFile("/api/v1/imports/security-sheet", tokSpecialist, "备案和信息安全规范表20261201.xlsx", sheet))
	prev := b.must(200, b.uploadFile("/api/v1/imports/security-sheet", tokSupervisor, "备案和信息安全规范表20261201.xlsx", sheet))
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
	again := b.must(200, b.uploadFile("/api/v1/imports/security-sheet", tokSupervisor, "copy.xlsx", sheet))
	require.Equal(t, prev.str("id"), again.str("id"))
	require.NotNil(t, again.get("confirmed_at"))
	b.must(200, b.do("POST", "/api/v1/imports/security-sheet/"+prev.str("id")+"/confirm", tokSupervisor, nil))
	require.Equal(t, 2, cuts(), "nothing cancelled twice")

	// A bad sheet is refused whole, the cell named; not a spreadsheet is 415.
	bad := securitySheet(t, tmpl.Raw,
		[]any{"sec-fine.cn", "", "私服", "", "信息安全部"},
		[]any{"other.cn", "", "赌博", "", "信息安全部"})
	refused := b.must(422, b.uploadFile("/api/v1/imports/security-sheet", tokSupervisor, "bad.xlsx", bad))
	require.Contains(t, string(refused.Raw), "C4")
	require.Equal(t, "APPROVED", b.must(200, b.do("GET", "/api/v1/filings/"+kept, tokSpecialist, nil)).str("status"))
	b.must(415, b.uploadFile("/api/v1/imports/security-sheet", tokSupervisor, "fake.xlsx", []byte("域名,IP\nsec-fine.cn,\n")))
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
