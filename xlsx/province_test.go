package xlsx_test

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian/xlsx"
)

var shanghaiZone = time.FixedZone("CST", 8*3600)

func sampleProvince() []xlsx.ProvinceRow {
	return []xlsx.ProvinceRow{
		{CaseNo: "JS-20261103-0001", SponsorName: "苏州示例科技有限公司", SponsorNature: "企业", IDType: "营业执照",
			IDNumber: "91320500MA1XXXXX1X", SiteName: "示例科技官网", Domains: []string{"example.cn", "example.com.cn"},
			IPs: []string{"198.51.100.7"}, PrincipalName: "张三", PrincipalMobile: "138****8000", PrincipalEmail: "z***@example.cn",
			Type: "新增备案", ReceivedAt: time.Date(2026, 11, 3, 9, 30, 0, 0, shanghaiZone),
			// 23:30 UTC is already the next morning in Shanghai.
			SubmittedAt: time.Date(2026, 11, 4, 23, 30, 0, 0, time.UTC),
			Status:      "备案成功", FilingNumber: "苏ICP备2026000001号"},
		{CaseNo: "JS-20261110-0002", SponsorName: "=1+2", SponsorNature: "个人", IDType: "居民身份证",
			IDNumber: "3205**********1234", SiteName: "-个人博客", Domains: []string{"blog-example.cn"},
			IPs: []string{"198.51.100.9", "2001:db8:1::9"}, PrincipalName: "李四", PrincipalMobile: "13900139000",
			PrincipalEmail: "lisi@example.cn", Type: "新增备案", ReceivedAt: time.Date(2026, 11, 10, 14, 0, 0, 0, shanghaiZone),
			Status: "初审中"},
	}
}

// wantProvince is what staff see in sampleProvince's table of 江苏.
var wantProvince = [][]string{
	{"网站备案资料登记表-江苏"},
	xlsx.ProvinceColumns,
	{"1", "JS-20261103-0001", "苏州示例科技有限公司", "企业", "营业执照", "91320500MA1XXXXX1X", "示例科技官网", "example.cn、example.com.cn",
		"198.51.100.7", "张三", "138****8000", "z***@example.cn", "新增备案", "2026-11-03", "2026-11-05", "备案成功", "苏ICP备2026000001号"},
	{"2", "JS-20261110-0002", "'=1+2", "个人", "居民身份证", "3205**********1234", "'-个人博客", "blog-example.cn",
		"198.51.100.9、2001:db8:1::9", "李四", "13900139000", "lisi@example.cn", "新增备案", "2026-11-10", "", "初审中"},
}

func writeProvince(t *testing.T, rows []xlsx.ProvinceRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	calls := 0
	require.NoError(t, xlsx.WriteProvinceTable(&buf, " 江苏 ", exportMeta, pages(rows, 1, &calls)))
	require.Equal(t, len(rows)+1, calls)
	return buf.Bytes()
}

// TestProvinceTableRoundTrip (R-RV-3): the registration table of a
// province reads back cell by cell under its merged title, numbered, with
// real dates of the Shanghai day and formula-looking text kept as text.
func TestProvinceTableRoundTrip(t *testing.T) {
	t.Parallel()
	data := writeProvince(t, sampleProvince())
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	sheet := xlsx.ProvinceTableTitle("江苏")
	require.Equal(t, []string{sheet, xlsx.ExportInfoSheet}, f.GetSheetList())
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Equal(t, wantProvince, rows)

	merged, err := f.GetMergeCells(sheet)
	require.NoError(t, err)
	require.Len(t, merged, 1)
	require.Equal(t, "A1", merged[0].GetStartAxis())
	require.Equal(t, "Q1", merged[0].GetEndAxis())

	for _, cell := range []string{"C4", "G4"} {
		formula, err := f.GetCellFormula(sheet, cell)
		require.NoError(t, err)
		require.Empty(t, formula, cell)
	}
	// 受理日期 is a date Excel sorts and filters as one, not text.
	raw, err := f.GetCellValue(sheet, "N3", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	serial, err := strconv.ParseFloat(raw, 64)
	require.NoError(t, err, "N3 = %q", raw)
	day, err := excelize.ExcelDateToTime(serial, false)
	require.NoError(t, err)
	require.Equal(t, "2026-11-03", day.Format("2006-01-02"))

	requireLayout(t, f, data, sheet, 2, "$A$2:$Q$4", map[string]float64{"A": 8, "C": 34, "H": 34, "O": 15})
	requireProvenance(t, f, "网站备案资料登记表-江苏（R-RV-3）", 2)
}

// TestProvinceTableOpenpyxl (R-RV-3): the second reader sees the same
// cells and dates, no formula, the merged title, the frozen header and
// the filter.
func TestProvinceTableOpenpyxl(t *testing.T) {
	t.Parallel()
	book := readWithOpenpyxl(t, writeProvince(t, sampleProvince()))
	s := book.Sheets[0]
	require.Equal(t, "网站备案资料登记表-江苏", s.Name)
	require.Equal(t, wantProvince, s.Rows)
	require.Empty(t, s.Formulas)
	require.Equal(t, []string{"A1:Q1"}, s.Merged)
	require.Equal(t, "A3", s.Freeze)
	require.Equal(t, "A2:Q4", s.AutoFilter)
	requireOpenpyxlProvenance(t, book, 2)
}

// TestProvinceTableRefuses: no province, one that cannot name a sheet, or
// no exporter.
func TestProvinceTableRefuses(t *testing.T) {
	t.Parallel()
	none := func() ([]xlsx.ProvinceRow, error) { return nil, nil }
	require.Error(t, xlsx.WriteProvinceTable(io.Discard, " ", exportMeta, none))
	require.Error(t, xlsx.WriteProvinceTable(io.Discard, "江苏/南京", exportMeta, none))
	require.ErrorIs(t, xlsx.WriteProvinceTable(io.Discard, "江苏", xlsx.ExportMeta{At: exportMeta.At}, none), xlsx.ErrNoExporter)
}
