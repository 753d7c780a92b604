package xlsx

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Columns of the tracking worksheet 《备案跟踪表》, exactly as R-BR-5 names
// them.
const (
	ColSponsorName    = "主办者名称"
	ColPrincipalName  = "网站负责人姓名"
	ColDomains        = "域名"
	ColIPs            = "IP"
	ColFilingType     = "备案类型"
	ColBureauProvince = "备案资料递交哪省管局"
	ColBureauReceived = "管局是否收到备案资料"
	ColReturned       = "备案是否被退回"
	ColApproved       = "备案是否成功"
	ColFilingNumber   = "备案号"
)

// TrackingColumns are the R-BR-5 headers in order: the first row of the
// tracking worksheet, and nothing else in it.
var TrackingColumns = []string{
	ColSponsorName, ColPrincipalName, ColDomains, ColIPs, ColFilingType,
	ColBureauProvince, ColBureauReceived, ColReturned, ColApproved, ColFilingNumber,
}

// TrackingSheet is the name of the tracking worksheet (备案跟踪表, R-BR-5).
const TrackingSheet = "备案跟踪表"

// ExportInfoSheet is the name of the second sheet of every export: who
// exported it, when, with what filter, and how many rows (issue 12).
const ExportInfoSheet = "导出信息"

// ListSeparator joins the domains and the IPs of one case in one cell: the
// Chinese enumeration comma 、, which reads as a list in one line, keeps the
// row one line high and filters by "contains"; ReadCustomers accepts it
// between IPs too.
const ListSeparator = "、"

// TrackingRow is one case in the tracking worksheet 《备案跟踪表》 (R-BR-5).
type TrackingRow struct {
	SponsorName    string   // 主办者名称
	PrincipalName  string   // 网站负责人姓名
	Domains        []string // 域名, joined with ListSeparator
	IPs            []string // IP, joined with ListSeparator
	Type           string   // 备案类型, the Chinese title, e.g. 新增备案
	BureauProvince string   // 备案资料递交哪省管局, e.g. 江苏
	BureauReceived bool     // 管局是否收到备案资料 (是/否)
	Returned       bool     // 备案是否被退回 (是/否)
	Approved       bool     // 备案是否成功 (是/否)
	FilingNumber   string   // 备案号, empty until approved
}

// ExportMeta says who exported a sheet, when and with what filter. These
// sheets carry personal data, so every export names its exporter (issue
// 12): in the document properties (作者, 最后修改者, 创建时间, 备注) and
// in the sheet ExportInfoSheet.
type ExportMeta struct {
	By     string    // who exported, e.g. "张三（specialist）"; required
	At     time.Time // when; required, shown in Asia/Shanghai
	Filter string    // the filter in Chinese, e.g. 省份：江苏；状态：全部；日期：2026-11-01 至 2026-11-30
}

// ErrNoExporter is returned by the exports when ExportMeta lacks who
// exported or when (issue 12: a sheet of personal data names its exporter).
var ErrNoExporter = errors.New("export meta: who exported (By) and when (At) are required")

// maxDataRows is what a worksheet holds below its header rows.
func maxDataRows(headerRows int) int { return excelize.TotalRows - headerRows }

// WriteTracking writes the tracking worksheet 《备案跟踪表》 (R-BR-5) to w:
// the ten TrackingColumns in a frozen, filterable header row, then one row
// per case; yes/no as 是/否, several domains or IPs joined with
// ListSeparator, every text through CellText. next pages the rows until it
// returns an empty slice; each page is written as it comes (excelize's
// StreamWriter) and the workbook is compressed straight into w, so an
// export of 100,000 cases is never held in memory. A second sheet,
// ExportInfoSheet, and the document properties say who exported it, when
// and with what filter.
func WriteTracking(w io.Writer, meta ExportMeta, next func() ([]TrackingRow, error)) error {
	if err := meta.check(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", TrackingSheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	st, err := newExportStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(TrackingSheet)
	if err != nil {
		return fmt.Errorf("stream %s: %w", TrackingSheet, err)
	}
	// Wide enough for each header (a CJK character is two units) and the
	// filter button, or for typical values.
	widths := []float64{34, 16, 34, 30, 12, 23, 23, 17, 15, 26}
	if err := setWidths(sw, widths); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	if err := sw.SetRow("A1", headerCells(TrackingColumns, st.header), excelize.RowOpts{Height: 30}); err != nil {
		return fmt.Errorf("header row: %w", err)
	}

	row := 1 // the last row written
	vals := make([]any, len(TrackingColumns))
	for {
		page, err := next()
		if err != nil {
			return fmt.Errorf("next tracking rows after row %d: %w", row, err)
		}
		if len(page) == 0 {
			break
		}
		if row-1+len(page) > maxDataRows(1) {
			return fmt.Errorf("tracking sheet: more than %d rows (an Excel sheet's limit); narrow the filter", maxDataRows(1))
		}
		for _, r := range page {
			row++
			vals[0] = text(r.SponsorName)
			vals[1] = text(r.PrincipalName)
			vals[2] = text(strings.Join(r.Domains, ListSeparator))
			vals[3] = text(strings.Join(r.IPs, ListSeparator))
			vals[4] = text(r.Type)
			vals[5] = text(r.BureauProvince)
			vals[6] = excelize.Cell{StyleID: st.centred, Value: YesNo(r.BureauReceived)}
			vals[7] = excelize.Cell{StyleID: st.centred, Value: YesNo(r.Returned)}
			vals[8] = excelize.Cell{StyleID: st.centred, Value: YesNo(r.Approved)}
			vals[9] = text(r.FilingNumber)
			if err := sw.SetRow("A"+itoa(row), vals); err != nil {
				return fmt.Errorf("tracking row %d: %w", row, err)
			}
		}
	}
	return finishExport(f, sw, w, exportTarget{
		sheet: TrackingSheet, title: TrackingSheet + "（R-BR-5）",
		filter: "A1:" + lastCol(len(TrackingColumns)) + itoa(row), rows: row - 1,
	}, meta)
}

// YesNo is how the exports write a yes/no answer: 是 or 否.
func YesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func (m ExportMeta) check() error {
	if strings.TrimSpace(m.By) == "" || m.At.IsZero() {
		return ErrNoExporter
	}
	return nil
}

// at is the export time as staff read it.
func (m ExportMeta) at() string { return m.At.In(shanghai).Format("2006-01-02 15:04:05") }

// description is the document's 备注 (Description) property.
func (m ExportMeta) description() string {
	filter := m.Filter
	if filter == "" {
		filter = "全部"
	}
	return "导出人：" + m.By + "；导出时间：" + m.at() + "；条件：" + filter
}

// keywords is the document's 关键词 (Keywords) property: whether the
// workbook holds personal information, who exported it and when, in words
// a file search or a data-loss scanner finds without opening the sheets.
func (m ExportMeta) keywords(personal bool) string {
	k := "导出人 " + m.By + " 导出时间 " + m.at()
	if personal {
		k = "含个人信息 " + k
	}
	return k
}

// exportStyles are the cell styles every export uses.
type exportStyles struct {
	title, header, centred, date int
}

func newExportStyles(f *excelize.File) (exportStyles, error) {
	var st exportStyles
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	dateFmt := "yyyy-mm-dd"
	for _, s := range []struct {
		id    *int
		style *excelize.Style
	}{
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.centred, &excelize.Style{Alignment: &excelize.Alignment{Horizontal: "center"}}},
		{&st.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "center"}}},
	} {
		id, err := f.NewStyle(s.style)
		if err != nil {
			return st, fmt.Errorf("new style: %w", err)
		}
		*s.id = id
	}
	return st, nil
}

// text is the value of a text cell: s through CellText, or no cell at all
// for empty text (an empty string would still be a cell, which Excel's
// filter does not list as blank).
func text(s string) any {
	if s == "" {
		return nil
	}
	return CellText(s)
}

// setWidths sets the widths of the first columns. excelize puts each new
// column before those set already, and Excel wants them in ascending
// order, so they are set from the last.
func setWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	return nil
}

// headerCells are the titles of a header row in the header style.
func headerCells(titles []string, style int) []any {
	out := make([]any, len(titles))
	for i, t := range titles {
		out[i] = excelize.Cell{StyleID: style, Value: CellText(t)}
	}
	return out
}

// exportTarget describes the streamed sheet finishExport closes.
type exportTarget struct {
	sheet  string // the streamed sheet
	title  string // the workbook's title property
	filter string // the autofilter's range, header row included
	rows   int    // data rows written
}

// finishExport puts the autofilter on the streamed sheet (it must come
// before Flush: excelize writes a streamed sheet's autoFilter element when
// flushing it, and drops one set later), adds the export information and
// the document properties, and writes the workbook to w.
func finishExport(f *excelize.File, sw *excelize.StreamWriter, w io.Writer, t exportTarget, meta ExportMeta) error {
	if err := f.AutoFilter(t.sheet, t.filter, nil); err != nil {
		return fmt.Errorf("autofilter %s: %w", t.filter, err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush %s: %w", t.sheet, err)
	}
	if err := writeExportInfo(f, meta, t.rows); err != nil {
		return err
	}
	created := meta.At.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: t.title, Creator: meta.By, LastModifiedBy: meta.By,
		Created: created, Modified: created, Description: meta.description(),
		Keywords: meta.keywords(true), Category: "含个人信息，仅限备案工作使用",
	}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	// The streamed sheet stays the active one. (SetActiveSheet would parse
	// the flushed sheet back into memory and write it out again.)
	return writeWorkbook(f, w)
}

// writeExportInfo adds the sheet that says who exported the workbook.
func writeExportInfo(f *excelize.File, meta ExportMeta, rows int) error {
	if _, err := f.NewSheet(ExportInfoSheet); err != nil {
		return fmt.Errorf("new sheet %s: %w", ExportInfoSheet, err)
	}
	filter := meta.Filter
	if filter == "" {
		filter = "全部"
	}
	info := [][]any{
		{"导出人", CellText(meta.By)},
		{"导出时间", meta.at()},
		{"导出条件", CellText(filter)},
		{"行数", rows},
		{"说明", "本表含个人信息，仅限备案工作使用，不得外传"},
	}
	for i, r := range info {
		if err := f.SetSheetRow(ExportInfoSheet, "A"+itoa(i+1), &r); err != nil {
			return fmt.Errorf("export info: %w", err)
		}
	}
	if err := f.SetColWidth(ExportInfoSheet, "A", "A", 12); err != nil {
		return err
	}
	return f.SetColWidth(ExportInfoSheet, "B", "B", 60)
}

// writeWorkbook writes f to w as it is compressed. excelize's WriteTo
// builds the whole .xlsx in a bytes.Buffer before copying it; its
// documented ZipWriter hook lets the zip archive go to w instead, so the
// compressed workbook never sits in memory whole (the buffer WriteTo then
// copies stays empty). excelize only touches that buffer again for zip64
// entries, parts over 4 GiB, which a sheet of at most 1,048,576 rows of
// filings does not reach.
func writeWorkbook(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if _, err := f.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// lastCol is the name of the n-th column (1 → A).
func lastCol(n int) string {
	name, _ := excelize.ColumnNumberToName(n)
	return name
}
