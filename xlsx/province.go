package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// ProvinceColumns are the columns of the per-province registration table
// 《网站备案资料登记表-省份》 (R-RV-3), in order. The manual names the table
// but not its columns: these are what a provincial filing desk looks a case
// up by and what the bureau asks about. The bureau (审核管局) is the
// table's province, in its title, so it is no column.
var ProvinceColumns = []string{
	"序号", "受理编号", "主办者名称", "主办者性质", "证件类型", "证件号码", "网站名称", "域名", "IP",
	"网站负责人", "手机", "邮箱", "备案类型", "受理日期", "提交管局日期", "当前状态", "备案号",
}

// ProvinceRow is one case in the per-province registration table
// 《网站备案资料登记表-省份》 (R-RV-3). The caller decides what is masked:
// WriteProvinceTable writes IDNumber, PrincipalMobile and PrincipalEmail
// as it is given them, so a caller exporting for someone who may not see
// them whole passes them masked (e.g. 3205**********1234).
type ProvinceRow struct {
	CaseNo          string    // 受理编号
	SponsorName     string    // 主办者名称
	SponsorNature   string    // 主办者性质, e.g. 企业, 个人
	IDType          string    // 证件类型, e.g. 营业执照, 居民身份证
	IDNumber        string    // 证件号码, masked or not by the caller
	SiteName        string    // 网站名称
	Domains         []string  // 域名, joined with ListSeparator
	IPs             []string  // IP, joined with ListSeparator
	PrincipalName   string    // 网站负责人
	PrincipalMobile string    // 手机, masked or not by the caller
	PrincipalEmail  string    // 邮箱, masked or not by the caller
	Type            string    // 备案类型, the Chinese title, e.g. 新增备案
	ReceivedAt      time.Time // 受理日期: the day (Asia/Shanghai) the desk took the case; zero → blank
	SubmittedAt     time.Time // 提交管局日期: the day it went to the bureau; zero → blank
	Status          string    // 当前状态, the Chinese title, e.g. 管局审核中
	FilingNumber    string    // 备案号, empty until approved
}

// ProvinceTableTitle is the title of the registration table of province,
// 网站备案资料登记表-江苏, also the name of its sheet (R-RV-3).
func ProvinceTableTitle(province string) string { return "网站备案资料登记表-" + province }

// WriteProvinceTable writes the registration table of one province
// 《网站备案资料登记表-省份》 (R-RV-3) to w: the title
// ProvinceTableTitle(province) merged across the first row, the
// ProvinceColumns as a frozen, filterable header in the second, then one
// row per case numbered from 1 (序号); dates as Excel dates (yyyy-mm-dd),
// several domains or IPs joined with ListSeparator, every text through
// CellText. next pages the rows until it returns an empty slice; each page
// is streamed and the workbook is compressed straight into w, as in
// WriteTracking, with the same export information and document properties.
func WriteProvinceTable(w io.Writer, province string, meta ExportMeta, next func() ([]ProvinceRow, error)) error {
	province = strings.TrimSpace(province)
	if province == "" {
		return fmt.Errorf("province table: no province")
	}
	if err := meta.check(); err != nil {
		return err
	}
	title := ProvinceTableTitle(province)
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", title); err != nil {
		return fmt.Errorf("province %q names no sheet: %w", province, err)
	}
	st, err := newExportStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(title)
	if err != nil {
		return fmt.Errorf("stream %s: %w", title, err)
	}
	widths := []float64{8, 16, 34, 12, 14, 22, 24, 34, 30, 12, 15, 26, 12, 12, 15, 14, 26}
	if err := setWidths(sw, widths); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A3", ActiveCell: "A3", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	last := lastCol(len(ProvinceColumns))
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: CellText(title)}}, excelize.RowOpts{Height: 32}); err != nil {
		return fmt.Errorf("title row: %w", err)
	}
	if err := sw.MergeCell("A1", last+"1"); err != nil {
		return fmt.Errorf("merge title: %w", err)
	}
	if err := sw.SetRow("A2", headerCells(ProvinceColumns, st.header), excelize.RowOpts{Height: 30}); err != nil {
		return fmt.Errorf("header row: %w", err)
	}

	row, n := 2, 0 // the last row written, the cases written
	vals := make([]any, len(ProvinceColumns))
	for {
		page, err := next()
		if err != nil {
			return fmt.Errorf("next province rows after row %d: %w", row, err)
		}
		if len(page) == 0 {
			break
		}
		if n+len(page) > maxDataRows(2) {
			return fmt.Errorf("province table: more than %d rows (an Excel sheet's limit); narrow the filter", maxDataRows(2))
		}
		for _, r := range page {
			row, n = row+1, n+1
			vals[0] = excelize.Cell{StyleID: st.centred, Value: n}
			vals[1] = text(r.CaseNo)
			vals[2] = text(r.SponsorName)
			vals[3] = text(r.SponsorNature)
			vals[4] = text(r.IDType)
			vals[5] = text(r.IDNumber)
			vals[6] = text(r.SiteName)
			vals[7] = text(strings.Join(r.Domains, ListSeparator))
			vals[8] = text(strings.Join(r.IPs, ListSeparator))
			vals[9] = text(r.PrincipalName)
			vals[10] = text(r.PrincipalMobile)
			vals[11] = text(r.PrincipalEmail)
			vals[12] = text(r.Type)
			vals[13] = dateCell(r.ReceivedAt, st.date)
			vals[14] = dateCell(r.SubmittedAt, st.date)
			vals[15] = text(r.Status)
			vals[16] = text(r.FilingNumber)
			if err := sw.SetRow("A"+itoa(row), vals); err != nil {
				return fmt.Errorf("province row %d: %w", row, err)
			}
		}
	}
	return finishExport(f, sw, w, exportTarget{
		sheet: title, title: title + "（R-RV-3）", filter: "A2:" + last + itoa(row), rows: n,
	}, meta)
}

// dateCell is the Excel date of t's day in Asia/Shanghai, or a blank cell
// for the zero time.
func dateCell(t time.Time, style int) any {
	if t.IsZero() {
		return nil
	}
	d := t.In(shanghai)
	// excelize converts a time's wall clock: midnight of the Shanghai day.
	return excelize.Cell{StyleID: style, Value: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)}
}
