package xlsx

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/idna"
	"golang.org/x/text/width"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// SecuritySheet is the name of the sheet of 《备案和信息安全规范表》 (R-PA-2):
// the daily list in which info-security and tech name the filings suspected
// of illegal content, or whose IP is no longer ours, whose access is to be
// cancelled.
const SecuritySheet = "备案和信息安全规范表"

// Columns of the security sheet (R-PA-2), found by their title in the
// header row, in any order and under the aliases of securityAliases.
const (
	ColSecurityDomain     = "域名"   // the filed site's domain; normalised as intake stores it
	ColSecurityIP         = "IP"   // one server IP, IPv4 or IPv6
	ColSecurityCategory   = "类别"   // one of SecurityCategories
	ColSecurityNote       = "备注"   // free text, optional
	ColSecurityDepartment = "上报部门" // who reported it (信息安全部, 技术部…), optional
)

// SecurityColumns are the column titles of the security sheet, in the order
// WriteSecurityTemplate writes them.
var SecurityColumns = []string{ColSecurityDomain, ColSecurityIP, ColSecurityCategory, ColSecurityNote, ColSecurityDepartment}

// SecurityCategories are the categories (类别) of the security sheet
// (R-PA-2): the kinds of illegal content info-security and tech report, and
// 「IP不在我司」 for a site whose IP is no longer ours. Every one leads to
// cancelling access.
var SecurityCategories = []string{"私服", "色情", "影视", "音乐", "小说", "IP不在我司", "其他"}

// SecurityRow is one row of the security sheet (R-PA-2): a filing to cancel
// access for, named by its domain, its IP or both.
type SecurityRow struct {
	Row  int    // 1-based sheet row
	Cell string // the row's domain cell (its IP cell when the sheet has no domain column), e.g. 备案和信息安全规范表!A5
	// Domain is the registrable domain in lower-case punycode, as intake
	// stores a filing's domain (intake.NormaliseDomain, R-IN-4):
	// "https://WWW.Example.cn/x" gives "example.cn". Empty when blank.
	Domain     string
	IP         netip.Addr // zero when blank
	Category   string     // one of SecurityCategories
	Note       string
	Department string
}

// The template's layout: a note row, the header row, then data.
const (
	securityListsSheet = "类别列表" // hidden; feeds the 类别 drop-down
	securityListName   = "违规类别" // defined name of the categories on it
	securityHeaderRow  = 2
	// securityHeaderScan is how many rows ReadSecuritySheet searches for the
	// header row: a note or title may stand above it.
	securityHeaderScan = 10
)

// securityNote is the template's first row. The example is in the note and
// not a grey example row: an example row that the importer skipped would
// drop real data typed over it, and one edited only in part would be
// imported. A row above the header row is never read.
var securityNote = "填写说明（R-PA-2）：从第 3 行起每行填写一个需取消接入的网站；域名和 IP 至少填写一项（可都填），每格只填一个；" +
	"类别从下拉列表中选择（" + strings.Join(SecurityCategories, "/") + "）；请填写数值，不要使用公式。" +
	"例：example.cn ｜ 198.51.100.7 ｜ 私服 ｜ 疑似私服游戏 ｜ 信息安全部。本说明行与标题行不会被导入。"

// WriteSecurityTemplate writes the downloadable template of the security
// sheet (R-PA-2): sheet 「备案和信息安全规范表」 with a note row (how to fill
// it in, with an example), the header row (域名, IP, 类别, 备注, 上报部门)
// frozen under it, an input hint on every column and a drop-down of
// SecurityCategories on 类别, fed from a hidden sheet. ReadSecuritySheet
// reads what is typed into it from row 3.
func WriteSecurityTemplate(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = SecuritySheet
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}

	// The categories on a hidden sheet, under a defined name, so the
	// drop-down works in every Excel and WPS version.
	if _, err := f.NewSheet(securityListsSheet); err != nil {
		return fmt.Errorf("add lists sheet: %w", err)
	}
	for i, c := range SecurityCategories {
		if err := f.SetCellStr(securityListsSheet, cell(0, i+1), c); err != nil {
			return fmt.Errorf("write category: %w", err)
		}
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name:     securityListName,
		RefersTo: fmt.Sprintf("'%s'!$A$1:$A$%d", securityListsSheet, len(SecurityCategories)),
	}); err != nil {
		return fmt.Errorf("name categories: %w", err)
	}
	if err := f.SetSheetVisible(securityListsSheet, false); err != nil {
		return fmt.Errorf("hide lists sheet: %w", err)
	}

	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": typed IPs stay text
	if err != nil {
		return err
	}
	note, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Italic: true, Color: "808080", Size: 10},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
	})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
		NumFmt:    49,
	})
	if err != nil {
		return err
	}
	last := cell(len(SecurityColumns)-1, securityHeaderRow)
	lastCol := strings.TrimRight(last, "0123456789")
	steps := []func() error{
		func() error { return f.SetColStyle(sheet, "A:"+lastCol, textStyle) },
		func() error { return f.SetColWidth(sheet, "A", "A", 30) },
		func() error { return f.SetColWidth(sheet, "B", "B", 22) },
		func() error { return f.SetColWidth(sheet, "C", "C", 14) },
		func() error { return f.SetColWidth(sheet, "D", "D", 40) },
		func() error { return f.SetColWidth(sheet, "E", "E", 16) },
		func() error { return f.MergeCell(sheet, "A1", lastCol+"1") },
		func() error { return f.SetCellStr(sheet, "A1", securityNote) },
		func() error { return f.SetCellStyle(sheet, "A1", lastCol+"1", note) },
		func() error { return f.SetRowHeight(sheet, 1, 66) },
		func() error {
			titles := make([]any, len(SecurityColumns))
			for i, t := range SecurityColumns {
				titles[i] = t
			}
			return f.SetSheetRow(sheet, cell(0, securityHeaderRow), &titles)
		},
		func() error { return f.SetCellStyle(sheet, cell(0, securityHeaderRow), last, head) },
		func() error { // printed: landscape, all columns on one page wide
			landscape, wide, tall, fit := "landscape", 1, 0, true
			if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
				return err
			}
			return f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall})
		},
		func() error {
			return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: securityHeaderRow,
				TopLeftCell: cell(0, securityHeaderRow+1), ActivePane: "bottomLeft"})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("lay out template: %w", err)
		}
	}

	hints := []struct{ title, prompt string }{
		{"域名", "网站域名，如 example.cn；可带 www 或 http://，导入时自动规范。每格一个域名；域名和 IP 至少填一项。"},
		{"IP", "服务器 IP（IPv4 或 IPv6），如 198.51.100.7。每格一个 IP；域名和 IP 至少填一项。"},
		{"类别", "从下拉列表中选择：" + strings.Join(SecurityCategories, "、") + "。"},
		{"备注", "选填：违规情况说明，如“疑似私服游戏”。"},
		{"上报部门", "选填：上报的部门，如信息安全部、技术部。"},
	}
	for i, h := range hints {
		col := strings.TrimRight(cell(i, 1), "0123456789")
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s%d:%s%d", col, securityHeaderRow+1, col, excelize.TotalRows)
		dv.SetInput(h.title, h.prompt)
		if SecurityColumns[i] == ColSecurityCategory {
			dv.SetSqrefDropList(securityListName)
			dv.SetError(excelize.DataValidationErrorStyleStop, "类别无效", "类别只能从下拉列表中选择："+strings.Join(SecurityCategories, "、"))
		}
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return fmt.Errorf("add input hint: %w", err)
		}
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// Messages for files that are no workbook to read.
const (
	msgNotWorkbook = "文件不是 Excel 工作簿（.xlsx）：请在 Excel 或 WPS 中另存为 .xlsx 后再上传"
	msgLegacyXLS   = "不支持旧版 .xls 文件：请在 Excel 或 WPS 中另存为 .xlsx 后重新上传"
	msgEncrypted   = "文件设置了打开密码：请在 Excel 或 WPS 中取消密码并另存为 .xlsx 后再上传"
	msgText        = "文件是文本文件（如 CSV），不是 Excel 工作簿：请在 Excel 或 WPS 中打开后另存为 .xlsx 再上传"
	msgCorrupt     = "文件已损坏或不完整：请重新导出或在 Excel 或 WPS 中另存为 .xlsx 后再上传"
)

// ReadSecuritySheet reads 《备案和信息安全规范表》 (R-PA-2) from an .xlsx
// workbook: the sheet 「备案和信息安全规范表」 (a name that contains
// 信息安全规范表, or else the only visible sheet), its header row among the
// first rows by titles (域名, IP, 类别, 备注, 上报部门, or aliases such as
// 网站域名, 服务器IP, 违规类别, 说明, 来源, in any order), then every row
// below it that is not empty. Each row names a domain, an IP or both; the
// category is one of SecurityCategories (full-width letters and spaces
// tolerated). Cells must hold values: a formula is refused.
//
// Every problem is reported at once as a *beian.Error with code
// RULE_VIOLATIONS whose violations name the cell (Field
// "备案和信息安全规范表!C5") with codes MISSING_COLUMN, INVALID_CELL,
// DUPLICATE (the same domain and IP twice) and EMPTY (no data rows); no rows
// are returned then. A file that is no .xlsx workbook (a legacy .xls, a
// CSV, random bytes, a password-protected workbook) is UNSUPPORTED_TYPE; a
// damaged one, or one without the sheet, is INVALID; one that unpacks past
// 128 MiB (a zip bomb) is TOO_LARGE.
func ReadSecuritySheet(r io.Reader) ([]SecurityRow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read security sheet: %w", err)
	}
	formulas, err := checkWorkbook(data)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped})
	if err != nil {
		return nil, beian.Errorf(beian.CodeUnsupportedType, msgNotWorkbook)
	}
	defer f.Close()
	sheet, err := securitySheet(f)
	if err != nil {
		return nil, err
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, beian.Errorf(beian.CodeInvalid, "无法读取工作表「%s」：文件可能已损坏", sheet)
	}
	rd := &securityReader{f: f, sheet: sheet, formulas: formulas}
	return rd.read(rows)
}

// oleMagic starts an OLE2 compound file: a legacy .xls (BIFF) or an
// encrypted .xlsx.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// encryptedPackage is the stream name, in UTF-16LE as OLE2 directories hold
// it, of an encrypted OOXML workbook.
var encryptedPackage = func() []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune("EncryptedPackage")) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}()

// formulaTag matches the start of a formula element (<f>, <f t="shared"…/>,
// <x:f>) in worksheet XML. Text never holds a raw "<", so no cell value
// matches.
var formulaTag = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?f[\s/>]`)

// checkWorkbook tells what data is before excelize reads it, and unpacks
// every part once to check it: excelize stops quietly at a damaged part and
// would return the rows before the damage as if they were all. It reports
// whether a worksheet may hold formulas (so cells need checking one by one).
func checkWorkbook(data []byte) (formulas bool, err error) {
	switch {
	case len(data) == 0:
		return false, beian.Errorf(beian.CodeUnsupportedType, "上传的文件是空的")
	case bytes.HasPrefix(data, oleMagic):
		if bytes.Contains(data, encryptedPackage) {
			return false, beian.Errorf(beian.CodeUnsupportedType, msgEncrypted)
		}
		return false, beian.Errorf(beian.CodeUnsupportedType, msgLegacyXLS)
	case !bytes.HasPrefix(data, []byte("PK")):
		if looksLikeText(data) {
			return false, beian.Errorf(beian.CodeUnsupportedType, msgText)
		}
		return false, beian.Errorf(beian.CodeUnsupportedType, msgNotWorkbook)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false, beian.Errorf(beian.CodeInvalid, msgCorrupt)
	}
	var total uint64
	for _, zf := range zr.File {
		if zf.UncompressedSize64 > maxUnzipped || total+zf.UncompressedSize64 > maxUnzipped {
			return false, beian.Errorf(beian.CodeTooLarge, "工作簿解压后超过 %d MiB（疑似压缩炸弹），已拒绝：请只保留需要的数据后另存为 .xlsx 再上传", maxUnzipped>>20)
		}
		total += zf.UncompressedSize64
	}
	for _, zf := range zr.File {
		// archive/zip fails a part that inflates past its declared size or
		// fails its checksum, so nothing here outgrows the sum checked above.
		rc, err := zf.Open()
		if err != nil {
			return false, beian.Errorf(beian.CodeInvalid, msgCorrupt)
		}
		name := strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))
		if strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml") {
			var b []byte
			b, err = io.ReadAll(rc)
			formulas = formulas || formulaTag.Match(b)
		} else {
			_, err = io.Copy(io.Discard, rc)
		}
		rc.Close()
		if err != nil {
			return false, beian.Errorf(beian.CodeInvalid, msgCorrupt)
		}
	}
	return formulas, nil
}

// looksLikeText tells a text file (CSV, TSV, HTML saved as .xls) from
// binary: no NUL bytes in its start, and a line break or separator.
func looksLikeText(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.IndexByte(head, 0) < 0 && bytes.ContainsAny(head, ",\t;\n")
}

// securitySheet picks the sheet to read: the first visible one whose name
// contains 信息安全规范表 (a date may follow), else the only visible one.
func securitySheet(f *excelize.File) (string, error) {
	var visible []string
	for _, s := range f.GetSheetList() {
		if v, err := f.GetSheetVisible(s); err == nil && v {
			visible = append(visible, s)
		}
	}
	for _, s := range visible {
		if strings.Contains(foldKey(s), "信息安全规范表") {
			return s, nil
		}
	}
	switch len(visible) {
	case 0:
		return "", beian.Errorf(beian.CodeUnsupportedType, "工作簿中没有可见的工作表")
	case 1:
		return visible[0], nil
	}
	return "", beian.Errorf(beian.CodeInvalid, "工作簿中找不到工作表「%s」（现有：%s）：请使用下载的模板，或把数据所在的工作表改名为「%s」",
		SecuritySheet, strings.Join(visible, "、"), SecuritySheet)
}

// foldKey makes titles and categories comparable: full-width letters and
// digits as ASCII, ASCII letters upper-case, no spaces of any width.
func foldKey(s string) string {
	return strings.ToUpper(normaliseTitle(width.Fold.String(s)))
}

// headerKey is foldKey of a header title without a required-mark or a
// bracketed remark: "域名*", "IP（多个请分行）" and "ip" all give the column.
func headerKey(s string) string {
	k := strings.NewReplacer("*", "", "＊", "").Replace(foldKey(s)) // width.Fold keeps ＊
	if i := strings.IndexAny(k, "(["); i > 0 {
		k = k[:i]
	}
	return k
}

// securityAliases maps headerKey of a title to its column.
var securityAliases = func() map[string]string {
	m := map[string]string{}
	for col, titles := range map[string][]string{
		ColSecurityDomain:     {"域名", "网站域名", "网址", "网站网址", "网站地址", "域名地址", "站点域名", "网站", "URL"},
		ColSecurityIP:         {"IP", "IP地址", "服务器IP", "服务器IP地址", "服务器地址", "接入IP", "网站IP", "解析IP"},
		ColSecurityCategory:   {"类别", "分类", "类型", "违规类别", "违规类型", "违规分类", "问题类别", "问题类型"},
		ColSecurityNote:       {"备注", "说明", "备注说明", "情况说明", "违规说明", "问题描述", "描述"},
		ColSecurityDepartment: {"上报部门", "部门", "来源", "来源部门", "上报单位", "报送部门", "提交部门"},
	} {
		for _, t := range titles {
			m[headerKey(t)] = col
		}
	}
	return m
}()

// securityCategoryKeys maps foldKey of a category to its canonical spelling.
var securityCategoryKeys = func() map[string]string {
	m := map[string]string{}
	for _, c := range SecurityCategories {
		m[foldKey(c)] = c
	}
	return m
}()

type securityReader struct {
	f        *excelize.File
	sheet    string
	formulas bool // a worksheet may hold formulas: check each cell
	vs       []beian.Violation
}

func (rd *securityReader) add(code, cellName, format string, args ...any) {
	rd.vs = append(rd.vs, beian.Violation{
		Rule: "R-PA-2", Code: code, Field: rd.sheet + "!" + cellName,
		Message: fmt.Sprintf("工作表「%s」单元格 %s：", rd.sheet, cellName) + fmt.Sprintf(format, args...),
	})
}

func (rd *securityReader) err() error {
	return &beian.Error{
		Code:       beian.CodeViolations,
		Message:    fmt.Sprintf("信息安全规范表有 %d 处错误，未导入任何数据", len(rd.vs)),
		Violations: rd.vs,
	}
}

// securityHeader finds the header row among the first rows: the first that has 类别
// and 域名 or IP, else the one with the most known titles. It returns the
// row's index and the columns by their canonical title.
func securityHeader(rows [][]string) (int, map[string]int) {
	best, bestCols := 0, map[string]int{}
	for i := 0; i < len(rows) && i < securityHeaderScan; i++ {
		cols := map[string]int{}
		for c, title := range rows[i] {
			if col, ok := securityAliases[headerKey(title)]; ok {
				if _, dup := cols[col]; !dup {
					cols[col] = c
				}
			}
		}
		_, cat := cols[ColSecurityCategory]
		_, dom := cols[ColSecurityDomain]
		_, ip := cols[ColSecurityIP]
		if cat && (dom || ip) {
			return i, cols
		}
		if len(cols) > len(bestCols) {
			best, bestCols = i, cols
		}
	}
	return best, bestCols
}

func (rd *securityReader) read(rows [][]string) ([]SecurityRow, error) {
	h, col := securityHeader(rows)
	headerRow := fmt.Sprintf("%d:%d", h+1, h+1)
	missing := func(msg string) {
		rd.vs = append(rd.vs, beian.Violation{
			Rule: "R-PA-2", Code: CodeMissingColumn, Field: rd.sheet + "!" + headerRow,
			Message: fmt.Sprintf("工作表「%s」第 %d 行（标题行）%s（标题应为：%s）", rd.sheet, h+1, msg, strings.Join(SecurityColumns, "、")),
		})
	}
	_, hasDomain := col[ColSecurityDomain]
	_, hasIP := col[ColSecurityIP]
	if !hasDomain && !hasIP {
		missing(fmt.Sprintf("缺少列「%s」和「%s」（至少需要其中一列）", ColSecurityDomain, ColSecurityIP))
	}
	if _, ok := col[ColSecurityCategory]; !ok {
		missing(fmt.Sprintf("缺少列「%s」", ColSecurityCategory))
	}
	if len(rd.vs) > 0 {
		return nil, rd.err()
	}
	keyCol := ColSecurityDomain
	if !hasDomain {
		keyCol = ColSecurityIP
	}

	type key struct {
		domain string
		ip     netip.Addr
	}
	var (
		out  []SecurityRow
		seen = map[key]int{} // → row
	)
	for i := h + 1; i < len(rows); i++ {
		row, n := rows[i], i+1
		get := func(title string) (string, string) {
			c, ok := col[title]
			if !ok {
				return "", ""
			}
			if c < len(row) {
				return strings.TrimSpace(row[c]), cell(c, n)
			}
			return "", cell(c, n)
		}
		if rd.formulaCells(row, col, n) {
			continue
		}
		if blank(row) {
			continue
		}
		before := len(rd.vs)
		for _, title := range SecurityColumns {
			if v, at := get(title); strings.HasPrefix(v, "=") || strings.HasPrefix(v, "＝") {
				rd.add(CodeInvalidCell, at, "「%s」以“=”开头，像是公式的文本：请填写数值", shortText(v))
			}
		}
		if len(rd.vs) > before {
			continue
		}

		sr := SecurityRow{Row: n}
		_, sr.Cell = get(keyCol)
		sr.Cell = rd.sheet + "!" + sr.Cell
		rawDomain, domainCell := get(ColSecurityDomain)
		rawIP, ipCell := get(ColSecurityIP)
		if rawDomain == "" && rawIP == "" {
			at := domainCell
			if at == "" {
				at = ipCell
			}
			rd.add(CodeInvalidCell, at, "域名和 IP 至少填写一项")
		}
		if rawDomain != "" {
			if strings.ContainsAny(rawDomain, listSeparators) {
				rd.add(CodeInvalidCell, domainCell, "域名「%s」：每格只填一个域名，多个域名请分行填写", shortText(rawDomain))
			} else if d, err := normaliseDomain(rawDomain); err != nil {
				rd.add(CodeInvalidCell, domainCell, "%s", beian.ErrorMessage(err))
			} else {
				sr.Domain = d
			}
		}
		if rawIP != "" {
			if strings.ContainsAny(rawIP, listSeparators) {
				rd.add(CodeInvalidCell, ipCell, "IP「%s」：每格只填一个 IP，多个 IP 请分行填写", shortText(rawIP))
			} else if a, err := netip.ParseAddr(rawIP); err != nil || a.Zone() != "" {
				rd.add(CodeInvalidCell, ipCell, "IP「%s」不是有效的 IPv4 或 IPv6 地址", shortText(rawIP))
			} else {
				sr.IP = a.Unmap()
			}
		}
		rawCat, catCell := get(ColSecurityCategory)
		if rawCat == "" {
			rd.add(CodeInvalidCell, catCell, "类别不能为空，应为：%s", strings.Join(SecurityCategories, "、"))
		} else if c, ok := securityCategoryKeys[foldKey(rawCat)]; ok {
			sr.Category = c
		} else {
			rd.add(CodeInvalidCell, catCell, "类别「%s」不在列表中，应为：%s", shortText(rawCat), strings.Join(SecurityCategories, "、"))
		}
		sr.Note, _ = get(ColSecurityNote)
		sr.Department, _ = get(ColSecurityDepartment)
		if len(rd.vs) > before {
			continue
		}
		k := key{sr.Domain, sr.IP}
		if prev, dup := seen[k]; dup {
			at := domainCell
			if sr.Domain == "" {
				at = ipCell
			}
			rd.add(CodeDuplicate, at, "与第 %d 行重复（域名 %s，IP %s）：同一网站只填一行", prev, dashIfEmpty(sr.Domain), dashIfEmpty(addrString(sr.IP)))
			continue
		}
		seen[k] = n
		out = append(out, sr)
	}
	if len(out) == 0 && len(rd.vs) == 0 {
		rd.add(CodeEmpty, cell(0, h+2), "没有数据行：从第 %d 行起每行填写一个需取消接入的网站", h+2)
	}
	if len(rd.vs) > 0 {
		return nil, rd.err()
	}
	return out, nil
}

// formulaCells flags the formula cells of a row in the columns read; only
// when the workbook has formulas at all, as each check reads the cell. A
// formula is refused even with its cached value: the cache may be stale or
// missing (a generated file), and the sheet is evidence that should hold
// what staff saw.
func (rd *securityReader) formulaCells(row []string, col map[string]int, n int) bool {
	if !rd.formulas {
		return false
	}
	found := false
	for _, title := range SecurityColumns {
		c, ok := col[title]
		if !ok || c >= len(row) {
			continue
		}
		at := cell(c, n)
		if fm, err := rd.f.GetCellFormula(rd.sheet, at); err == nil && fm != "" {
			rd.add(CodeInvalidCell, at, "%s列含公式（=%s）：信息安全规范表只收数值，请复制后“选择性粘贴 → 数值”再上传", title, shortText(fm))
			found = true
		}
	}
	return found
}

// listSeparators split several values typed into one cell.
const listSeparators = ",，、;；\n"

// shortText shortens a cell's text for a message.
func shortText(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// fileableASCII are the shipped fileable suffixes (R-IN-4) in lower-case
// punycode, as intake.NormaliseDomain compares them.
var fileableASCII = sync.OnceValue(func() (out []string) {
	for _, s := range intake.DefaultRules().FileableSuffixes {
		a, err := idna.Lookup.ToASCII(strings.Trim(strings.TrimSpace(s), "."))
		if a = strings.ToLower(a); err == nil && intake.ValidDNSName(a) {
			out = append(out, a)
		}
	}
	return out
})

var fileableAll = sync.OnceValue(func() []string { return intake.DefaultRules().FileableSuffixes })

// normaliseDomain is intake.NormaliseDomain with the shipped fileable
// suffixes, the same answer for every input, faster: that function converts
// each suffix it is given to punycode on every call (0.4 ms a domain with
// all of them). For an ASCII input it is given only the suffixes that occur
// in the input, lower-cased: the name it compares is the lower-cased host
// within the input, so every suffix that can match occurs there. Any other
// input gets the whole list.
func normaliseDomain(s string) (string, error) {
	list := fileableAll()
	if asciiOnly(s) {
		low := strings.ToLower(s)
		list = make([]string, 0, 4)
		for _, a := range fileableASCII() {
			if strings.Contains(low, a) {
				list = append(list, a)
			}
		}
	}
	reg, _, err := intake.NormaliseDomain(s, list)
	return reg, err
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
