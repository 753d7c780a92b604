package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// securityTemplate is what staff download (R-PA-2).
func securityTemplate(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, xlsx.WriteSecurityTemplate(&buf))
	return buf.Bytes()
}

// filledTemplate is the template with rows typed in from row 3, as staff
// fill it in.
func filledTemplate(t *testing.T, rows ...[]any) *bytes.Buffer {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(securityTemplate(t)))
	require.NoError(t, err)
	defer f.Close()
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+3)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow(xlsx.SecuritySheet, cell, &r))
	}
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	return &buf
}

// securityViolations returns the violations of a refused sheet, requiring
// that nothing was read.
func securityViolations(t *testing.T, rows []xlsx.SecurityRow, err error) []beian.Violation {
	t.Helper()
	require.Nil(t, rows, "a refused sheet returns no rows")
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, beian.CodeViolations, e.Code, e.Message)
	require.NotEmpty(t, e.Violations)
	for _, v := range e.Violations {
		require.Equal(t, "R-PA-2", v.Rule)
	}
	return e.Violations
}

type found struct{ Code, Field string }

func codesAndFields(vs []beian.Violation) []found {
	out := make([]found, len(vs))
	for i, v := range vs {
		out[i] = found{v.Code, v.Field}
	}
	return out
}

// fileError requires a whole-file refusal with the code and a Chinese
// message containing want.
func fileError(t *testing.T, err error, code, want string) {
	t.Helper()
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, code, e.Code, e.Message)
	require.Contains(t, e.Message, want)
	require.Empty(t, e.Violations)
}

// TestSecurityTemplate: the template has the sheet and headers the
// importer reads, the 类别 drop-down of exactly the categories fed from a
// hidden sheet, an input hint on every column, the header frozen, the
// columns wide enough, and its note row with the example is not imported.
func TestSecurityTemplate(t *testing.T) {
	data := securityTemplate(t)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	const sheet = xlsx.SecuritySheet
	require.Equal(t, sheet, f.GetSheetName(f.GetActiveSheetIndex()))

	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, rows, 2, "a note row and the header row, no data")
	require.Contains(t, rows[0][0], "例：example.cn")
	require.Equal(t, []string{"域名", "IP", "类别", "备注", "上报部门"}, rows[1])

	// The drop-down: a list validation on column C from row 3, whose source
	// is a defined name on a hidden sheet holding exactly the categories.
	dvs, err := f.GetDataValidations(sheet)
	require.NoError(t, err)
	prompts := map[string]string{}
	var list *excelize.DataValidation
	for _, dv := range dvs {
		require.True(t, dv.ShowInputMessage, dv.Sqref)
		require.NotNil(t, dv.Prompt)
		prompts[dv.Sqref[:1]] = *dv.Prompt
		if dv.Type == "list" {
			require.Nil(t, list, "one drop-down")
			list = dv
		}
	}
	require.Len(t, prompts, 5, "an input hint on each of A–E")
	require.Contains(t, prompts["A"], "域名和 IP 至少填一项")
	require.NotNil(t, list)
	require.Equal(t, "C3:C1048576", list.Sqref)
	require.True(t, list.ShowErrorMessage, "anything else is refused in Excel")
	var source string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == list.Formula1 {
			source = dn.RefersTo
		}
	}
	require.NotEmpty(t, source, "the drop-down's source %q is a defined name", list.Formula1)
	listSheet, ref, ok := strings.Cut(source, "!")
	require.True(t, ok, source)
	listSheet = strings.Trim(listSheet, "'")
	visible, err := f.GetSheetVisible(listSheet)
	require.NoError(t, err)
	require.False(t, visible, "the lists sheet is hidden")
	require.Equal(t, "$A$1:$A$7", ref)
	var cats []string
	for i := 1; i <= 8; i++ {
		v, err := f.GetCellValue(listSheet, "A"+string(rune('0'+i)))
		require.NoError(t, err)
		if v != "" {
			cats = append(cats, v)
		}
	}
	require.Equal(t, []string{"私服", "色情", "影视", "音乐", "小说", "IP不在我司", "其他"}, cats)
	require.Equal(t, xlsx.SecurityCategories, cats)

	panes, err := f.GetPanes(sheet)
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, 2, panes.YSplit, "note and header rows stay in view")
	for _, c := range []string{"A", "B", "D"} {
		w, err := f.GetColWidth(sheet, c)
		require.NoError(t, err)
		require.GreaterOrEqual(t, w, 20.0, c)
	}

	// The blank template has no data rows: the note row is not one.
	got, err := xlsx.ReadSecuritySheet(bytes.NewReader(data))
	require.Equal(t, []found{{xlsx.CodeEmpty, sheet + "!A3"}}, codesAndFields(securityViolations(t, got, err)))
}

// TestSecurityTemplateRoundTrip: rows typed into the template are read back
// normalised (R-PA-2): the domain as intake stores it, the IP parsed, the
// category in its list spelling; empty rows between them are skipped and
// each row keeps its sheet row.
func TestSecurityTemplateRoundTrip(t *testing.T) {
	buf := filledTemplate(t,
		[]any{"https://WWW.Example.cn/index.html", "198.51.100.7", "私服", "疑似私服游戏", "信息安全部"},
		[]any{"bbs.例子.中国", "", "色情"},
		[]any{},
		[]any{"", " 2001:DB8::1 ", "ＩＰ 不在我司", "", "技术部"},
		[]any{nil, nil, nil, nil, nil},
		[]any{"shop.example.com.cn", "::ffff:203.0.113.9", " 影 视 "},
	)
	got, err := xlsx.ReadSecuritySheet(buf)
	require.NoError(t, err)
	const s = xlsx.SecuritySheet + "!"
	require.Equal(t, []xlsx.SecurityRow{
		{Row: 3, Cell: s + "A3", Domain: "example.cn", IP: netip.MustParseAddr("198.51.100.7"), Category: "私服", Note: "疑似私服游戏", Department: "信息安全部"},
		{Row: 4, Cell: s + "A4", Domain: "xn--fsqu00a.xn--fiqs8s", Category: "色情"},
		{Row: 6, Cell: s + "A6", IP: netip.MustParseAddr("2001:db8::1"), Category: "IP不在我司", Department: "技术部"},
		{Row: 8, Cell: s + "A8", Domain: "example.com.cn", IP: netip.MustParseAddr("203.0.113.9"), Category: "影视"},
	}, got)
}

// TestReadSecuritySheetForms: sheets not made from the template are read
// when their data is clear: headers renamed (aliases), reordered, marked
// required or in any width and case, in row 1 or below a title; the sheet
// found by a name with a date after it, or as the only visible sheet; a
// sheet without an IP column or without a domain column.
func TestReadSecuritySheetForms(t *testing.T) {
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		name  string
		sheet string
		rows  [][]any
		want  []xlsx.SecurityRow
	}{{
		name:  "aliases in another order",
		sheet: "Sheet1",
		rows: [][]any{
			{"违规类别", "来源", "服务器IP", "说明", "网站域名"},
			{"小说", "信息安全部", "198.51.100.9", "盗版小说", "novel.cn"},
		},
		want: []xlsx.SecurityRow{{Row: 2, Cell: "Sheet1!E2", Domain: "novel.cn", IP: ip("198.51.100.9"), Category: "小说", Note: "盗版小说", Department: "信息安全部"}},
	}, {
		name:  "marked and full-width titles under a title row, sheet named with its date",
		sheet: "备案和信息安全规范表2026-11-25",
		rows: [][]any{
			{"备案和信息安全规范表（11月25日）"},
			{},
			{"域名*", "ｉｐ（每格一个）", "分 类", "备注", "部门"},
			{"music.cn", "", "音乐", "", "技术部"},
		},
		want: []xlsx.SecurityRow{{Row: 4, Cell: "备案和信息安全规范表2026-11-25!A4", Domain: "music.cn", Category: "音乐", Department: "技术部"}},
	}, {
		name:  "no IP column",
		sheet: "Sheet1",
		rows:  [][]any{{"域名", "类别"}, {"a.cn", "其他"}},
		want:  []xlsx.SecurityRow{{Row: 2, Cell: "Sheet1!A2", Domain: "a.cn", Category: "其他"}},
	}, {
		name:  "no domain column",
		sheet: "Sheet1",
		rows:  [][]any{{"类别", "IP地址"}, {"IP不在我司", "192.0.2.1"}},
		want:  []xlsx.SecurityRow{{Row: 2, Cell: "Sheet1!B2", IP: ip("192.0.2.1"), Category: "IP不在我司"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xlsx.ReadSecuritySheet(workbook(t, tc.sheet, tc.rows...))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestReadSecuritySheetPicksSheet: among several sheets the named one is
// read; the hidden lists sheet of the template does not count; several
// sheets none of which is named are refused, naming them.
func TestReadSecuritySheetPicksSheet(t *testing.T) {
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"域名", "类别"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"wrong.cn", "其他"}))
	_, err := f.NewSheet("Sheet2")
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	got, err := xlsx.ReadSecuritySheet(bytes.NewReader(buf.Bytes()))
	fileError(t, err, beian.CodeInvalid, "找不到工作表「备案和信息安全规范表」（现有：Sheet1、Sheet2）")
	require.Nil(t, got)

	_, err = f.NewSheet(xlsx.SecuritySheet)
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow(xlsx.SecuritySheet, "A1", &[]any{"域名", "类别"}))
	require.NoError(t, f.SetSheetRow(xlsx.SecuritySheet, "A2", &[]any{"right.cn", "其他"}))
	buf.Reset()
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	got, err = xlsx.ReadSecuritySheet(&buf)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "right.cn", got[0].Domain)

	// The template with its sheet renamed: the hidden lists sheet aside, it
	// is the only sheet.
	tf, err := excelize.OpenReader(bytes.NewReader(securityTemplate(t)))
	require.NoError(t, err)
	require.NoError(t, tf.SetSheetName(xlsx.SecuritySheet, "Sheet1"))
	require.NoError(t, tf.SetSheetRow("Sheet1", "A3", &[]any{"renamed.cn", "", "其他"}))
	buf.Reset()
	_, err = tf.WriteTo(&buf)
	require.NoError(t, err)
	got, err = xlsx.ReadSecuritySheet(&buf)
	require.NoError(t, err)
	require.Equal(t, []xlsx.SecurityRow{{Row: 3, Cell: "Sheet1!A3", Domain: "renamed.cn", Category: "其他"}}, got)
}

// TestReadSecuritySheetMissingColumn: without 类别, or without both 域名
// and IP, the header row is refused, naming it.
func TestReadSecuritySheetMissingColumn(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]any
		want []found
		msg  string
	}{
		{"no category", [][]any{{"域名", "IP", "备注"}, {"a.cn", "192.0.2.1", "x"}},
			[]found{{xlsx.CodeMissingColumn, "Sheet1!1:1"}}, "缺少列「类别」"},
		{"neither domain nor IP", [][]any{{"类别", "备注"}, {"私服", "x"}},
			[]found{{xlsx.CodeMissingColumn, "Sheet1!1:1"}}, "缺少列「域名」和「IP」"},
		{"customer sheet", [][]any{{"客户编号", "客户名称"}, {"C-1", "某公司"}},
			[]found{{xlsx.CodeMissingColumn, "Sheet1!1:1"}, {xlsx.CodeMissingColumn, "Sheet1!1:1"}}, "标题应为：域名、IP、类别、备注、上报部门"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xlsx.ReadSecuritySheet(workbook(t, "Sheet1", tc.rows...))
			vs := securityViolations(t, got, err)
			require.Equal(t, tc.want, codesAndFields(vs))
			require.Contains(t, vs[0].Message, tc.msg)
		})
	}
}

// TestReadSecuritySheetViolations: every bad row of a sheet is reported at
// once, each naming its cell, and nothing is imported.
func TestReadSecuritySheetViolations(t *testing.T) {
	buf := filledTemplate(t,
		[]any{"ok.cn", "198.51.100.1", "私服"},                             // 3
		[]any{"", "", "色情", "只有备注"},                                      // 4: neither domain nor IP
		[]any{"not a domain!", "", "影视"},                                 // 5
		[]any{"a.cn、b.cn", "", "音乐"},                                     // 6: two domains
		[]any{"c.cn", "198.51.100.300", "小说"},                            // 7
		[]any{"d.cn", "198.51.100.1, 198.51.100.2", "小说"},                // 8: two IPs
		[]any{"e.cn", "fe80::1%eth0", "小说"},                              // 9: a zone
		[]any{"f.cn", "", ""},                                            // 10: no category
		[]any{"g.cn", "", "赌博"},                                          // 11: not a category
		[]any{"www.OK.cn", "198.51.100.1", "其他"},                         // 12: row 3 again
		[]any{"198.51.100.5", "", "私服"},                                  // 13: an IP as domain
		[]any{"h.invalidtld", "", "私服"},                                  // 14: not fileable
		[]any{"=HYPERLINK(\"http://x.cn\")", "", "私服"},                   // 15: formula as text
		[]any{"", "2001:db8::5", "私服"}, []any{"", "2001:db8:0::5", "其他"}, // 16, 17
	)
	got, err := xlsx.ReadSecuritySheet(buf)
	vs := securityViolations(t, got, err)
	s := xlsx.SecuritySheet + "!"
	require.Equal(t, []found{
		{xlsx.CodeInvalidCell, s + "A4"},
		{xlsx.CodeInvalidCell, s + "A5"},
		{xlsx.CodeInvalidCell, s + "A6"},
		{xlsx.CodeInvalidCell, s + "B7"},
		{xlsx.CodeInvalidCell, s + "B8"},
		{xlsx.CodeInvalidCell, s + "B9"},
		{xlsx.CodeInvalidCell, s + "C10"},
		{xlsx.CodeInvalidCell, s + "C11"},
		{xlsx.CodeDuplicate, s + "A12"},
		{xlsx.CodeInvalidCell, s + "A13"},
		{xlsx.CodeInvalidCell, s + "A14"},
		{xlsx.CodeInvalidCell, s + "A15"},
		{xlsx.CodeDuplicate, s + "B17"},
	}, codesAndFields(vs))
	msgs := map[string]string{}
	for _, v := range vs {
		msgs[strings.TrimPrefix(v.Field, s)] = v.Message
		require.True(t, strings.HasPrefix(v.Message, "工作表「备案和信息安全规范表」单元格 "+strings.TrimPrefix(v.Field, s)+"："), v.Message)
	}
	for at, want := range map[string]string{
		"A4":  "域名和 IP 至少填写一项",
		"A5":  "不是有效的域名",
		"A6":  "每格只填一个域名",
		"B7":  "不是有效的 IPv4 或 IPv6 地址",
		"B8":  "每格只填一个 IP",
		"C10": "类别不能为空，应为：私服、色情、影视、音乐、小说、IP不在我司、其他",
		"C11": "类别「赌博」不在列表中",
		"A12": "与第 3 行重复（域名 ok.cn，IP 198.51.100.1）",
		"A13": "是 IP 地址，不是域名",
		"A14": "不在工信部可备案的域名后缀名单上",
		"A15": "以“=”开头",
		"B17": "与第 16 行重复（域名 —，IP 2001:db8::5）",
	} {
		require.Contains(t, msgs[at], want, at)
	}
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "信息安全规范表有 13 处错误，未导入任何数据", e.Message)
}

// TestReadSecuritySheetFormulas: a formula cell is refused even with a
// cached value, or with none (a generated file Excel never calculated,
// which would otherwise read as empty); a formula in a column not read is
// no matter.
func TestReadSecuritySheetFormulas(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(securityTemplate(t)))
	require.NoError(t, err)
	defer f.Close()
	const sheet = xlsx.SecuritySheet
	require.NoError(t, f.SetSheetRow(sheet, "A3", &[]any{"ok.cn", "", "私服"}))
	require.NoError(t, f.SetCellFormula(sheet, "F3", `ROW()`)) // not a column of the sheet
	require.NoError(t, f.SetCellFormula(sheet, "A4", `LOWER("EXAMPLE.CN")`))
	require.NoError(t, f.SetCellValue(sheet, "C4", "私服"))
	require.NoError(t, f.SetCellFormula(sheet, "B5", `"198.51."&"100.7"`)) // no cached value
	require.NoError(t, f.SetCellValue(sheet, "C5", "私服"))
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	data := buf.Bytes()

	got, err := xlsx.ReadSecuritySheet(bytes.NewReader(data))
	vs := securityViolations(t, got, err)
	require.Equal(t, []found{{xlsx.CodeInvalidCell, sheet + "!A4"}, {xlsx.CodeInvalidCell, sheet + "!B5"}}, codesAndFields(vs))
	require.Contains(t, vs[0].Message, `域名列含公式（=LOWER("EXAMPLE.CN")）`)
	require.Contains(t, vs[1].Message, "选择性粘贴 → 数值")

	// Values only, and a formula elsewhere: read.
	g, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.SetCellValue(sheet, "A4", "example.cn"))
	require.NoError(t, g.SetCellValue(sheet, "B5", "198.51.100.7"))
	buf.Reset()
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	got, err = xlsx.ReadSecuritySheet(&buf)
	require.NoError(t, err)
	require.Len(t, got, 3)
}

// zipOf writes a zip of the named parts, deflated, in order.
func zipOf(t *testing.T, parts ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p[0])
		require.NoError(t, err)
		_, err = io.WriteString(w, p[1])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// withSheetXML is the workbook data with the part xl/worksheets/sheet1.xml
// replaced by what write produces; declared, when not zero, is the
// uncompressed size its header claims (a lie).
func withSheetXML(t *testing.T, data []byte, write func(io.Writer), declared uint64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet1.xml" {
			require.NoError(t, zw.Copy(zf))
			continue
		}
		var raw bytes.Buffer
		crc := crc32.NewIEEE()
		fw, err := flate.NewWriter(&raw, flate.BestCompression)
		require.NoError(t, err)
		n := &countingWriter{}
		write(io.MultiWriter(fw, crc, n))
		require.NoError(t, fw.Close())
		size := n.n
		if declared != 0 {
			size = declared
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(raw.Len()), UncompressedSize64: size})
		require.NoError(t, err)
		_, err = w.Write(raw.Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

type countingWriter struct{ n uint64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += uint64(len(p)); return len(p), nil }

// bombSheet writes a worksheet that inflates to 160 MiB of blank rows.
func bombSheet(w io.Writer) {
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	chunk := []byte(strings.Repeat(" ", 1<<20))
	for range 160 {
		w.Write(chunk)
	}
	io.WriteString(w, `</sheetData></worksheet>`)
}

// legacyXLS is a minimal OLE2 compound file as Excel 97–2003 saves a .xls:
// a header, one FAT sector, one directory sector (Root Entry, Workbook) and
// a Workbook stream of 4096 bytes (no mini stream) that holds a BIFF8 BOF
// and EOF record.
func legacyXLS() []byte {
	const (
		endOfChain = 0xFFFFFFFE
		freeSect   = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
	)
	le := binary.LittleEndian
	sector := func() []byte { return make([]byte, 512) }
	h := sector()
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(h[0x18:], 0x003E) // minor version
	le.PutUint16(h[0x1A:], 0x0003) // major version 3: 512-byte sectors
	le.PutUint16(h[0x1C:], 0xFFFE) // little-endian
	le.PutUint16(h[0x1E:], 9)      // sector shift
	le.PutUint16(h[0x20:], 6)      // mini sector shift
	le.PutUint32(h[0x2C:], 1)      // FAT sectors
	le.PutUint32(h[0x30:], 1)      // first directory sector
	le.PutUint32(h[0x38:], 4096)   // mini stream cutoff
	le.PutUint32(h[0x3C:], endOfChain)
	le.PutUint32(h[0x44:], endOfChain)
	le.PutUint32(h[0x4C:], 0) // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		le.PutUint32(h[0x4C+4*i:], freeSect)
	}
	fat := sector()
	for i := range 128 {
		le.PutUint32(fat[4*i:], freeSect)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], endOfChain) // directory
	for s := 2; s < 9; s++ {          // Workbook: sectors 2–9
		le.PutUint32(fat[4*s:], uint32(s+1))
	}
	le.PutUint32(fat[4*9:], endOfChain)
	dir := sector()
	entry := func(i int, name string, typ byte, child, start uint32, size uint32) {
		e := dir[128*i:]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[0x40:], uint16(2*(len(u)+1)))
		e[0x42], e[0x43] = typ, 1 // type, black
		le.PutUint32(e[0x44:], freeSect)
		le.PutUint32(e[0x48:], freeSect)
		le.PutUint32(e[0x4C:], child)
		le.PutUint32(e[0x74:], start)
		le.PutUint32(e[0x78:], size)
	}
	entry(0, "Root Entry", 5, 1, endOfChain, 0)
	entry(1, "Workbook", 2, freeSect, 2, 4096)
	for i := 2; i < 4; i++ {
		le.PutUint32(dir[128*i+0x44:], freeSect)
		le.PutUint32(dir[128*i+0x48:], freeSect)
		le.PutUint32(dir[128*i+0x4C:], freeSect)
	}
	wb := make([]byte, 4096)
	le.PutUint16(wb[0:], 0x0809) // BOF
	le.PutUint16(wb[2:], 16)
	le.PutUint16(wb[4:], 0x0600)  // BIFF8
	le.PutUint16(wb[6:], 0x0005)  // workbook globals
	le.PutUint16(wb[20:], 0x000A) // EOF
	out := append(h, fat...)
	out = append(out, dir...)
	return append(out, wb...)
}

// TestReadSecuritySheetBadFiles: what is no readable .xlsx is refused
// whole with a Chinese message saying what to do, and a zip bomb without
// inflating it.
func TestReadSecuritySheetBadFiles(t *testing.T) {
	valid := filledTemplate(t, []any{"ok.cn", "198.51.100.1", "私服"}).Bytes()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	damaged := bytes.Clone(valid)
	{
		zr, err := zip.NewReader(bytes.NewReader(valid), int64(len(valid)))
		require.NoError(t, err)
		for _, zf := range zr.File {
			if zf.Name == "xl/worksheets/sheet1.xml" {
				off, err := zf.DataOffset()
				require.NoError(t, err)
				for i := off + int64(zf.CompressedSize64)/3; i < off+int64(zf.CompressedSize64)*2/3; i++ {
					damaged[i] ^= 0x5A
				}
			}
		}
	}
	var encrypted bytes.Buffer
	{
		f, err := excelize.OpenReader(bytes.NewReader(valid))
		require.NoError(t, err)
		require.NoError(t, f.Write(&encrypted, excelize.Options{Password: "secret"}))
	}
	csv := "\xef\xbb\xbf域名,IP,类别,备注,上报部门\r\nexample.cn,198.51.100.7,私服,,信息安全部\r\n"
	for _, tc := range []struct {
		name      string
		data      []byte
		code, msg string
	}{
		{"empty file", nil, beian.CodeUnsupportedType, "文件是空的"},
		{"random bytes", random, beian.CodeUnsupportedType, "文件不是 Excel 工作簿（.xlsx）"},
		{"a CSV renamed to .xlsx", []byte(csv), beian.CodeUnsupportedType, "文本文件（如 CSV）"},
		{"a legacy .xls", legacyXLS(), beian.CodeUnsupportedType, "不支持旧版 .xls 文件：请在 Excel 或 WPS 中另存为 .xlsx 后重新上传"},
		{"a password-protected workbook", encrypted.Bytes(), beian.CodeUnsupportedType, "设置了打开密码"},
		{"a zip that is no workbook", zipOf(t, [2]string{"word/document.xml", "<w:document/>"}), beian.CodeUnsupportedType, "文件不是 Excel 工作簿"},
		{"cut short (an interrupted upload)", valid[:len(valid)/2], beian.CodeInvalid, "已损坏或不完整"},
		{"damaged data in the sheet", damaged, beian.CodeInvalid, "已损坏或不完整"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xlsx.ReadSecuritySheet(bytes.NewReader(tc.data))
			require.Nil(t, got)
			fileError(t, err, tc.code, tc.msg)
		})
	}
}

// TestReadSecuritySheetZipBomb: a sheet that inflates past 128 MiB is
// refused by its declared size before anything is inflated, and one whose
// header lies about its size is stopped at the size it claims: the read
// allocates a small part of what the sheet would inflate to.
func TestReadSecuritySheetZipBomb(t *testing.T) {
	valid := filledTemplate(t, []any{"ok.cn", "198.51.100.1", "私服"}).Bytes()
	for _, tc := range []struct {
		name      string
		declared  uint64
		code, msg string
	}{
		{"honest header", 0, beian.CodeTooLarge, "解压后超过 128 MiB"},
		{"lying header", 4096, beian.CodeInvalid, "已损坏或不完整"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := withSheetXML(t, valid, bombSheet, tc.declared)
			require.Less(t, len(bomb), 1<<20, "the bomb is small")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got, err := xlsx.ReadSecuritySheet(bytes.NewReader(bomb))
			runtime.ReadMemStats(&after)
			require.Nil(t, got)
			fileError(t, err, tc.code, tc.msg)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32<<20), "allocated far less than the 160 MiB sheet")
		})
	}
}
