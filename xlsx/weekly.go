package xlsx

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// WeeklyFigures is the weekly management report as the sheet shows it:
// the desk computes it (desk.Weekly), this writes it.
type WeeklyFigures struct {
	Week     string
	From, To time.Time
	// Flow is the week's figures in order, label → number.
	Flow          [][2]any
	ReturnReasons [][2]any // reason, count
	// Turnaround rows: province, decisions, median, worst (working days).
	Turnaround [][4]any
	Calls      [][2]any // outcome, count
	// Access rows: kind, requested, confirmed, median hours, worst hours.
	Access [][5]any
}

// WriteWeeklyReport writes the weekly management report: one sheet of
// sections (flow, return reasons, bureau turnaround per province,
// verification calls, access actions), stamped with who exported it.
func WriteWeeklyReport(w io.Writer, meta ExportMeta, r WeeklyFigures) error {
	if err := meta.check(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "周报"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	row := 1
	put := func(style int, vals ...any) error {
		for i, v := range vals {
			if s, ok := v.(string); ok {
				vals[i] = CellText(s)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
		if style != 0 {
			end, _ := excelize.CoordinatesToCellName(max(len(vals), 1), row)
			if err := f.SetCellStyle(sheet, cell, end, style); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	section := func(name string, header ...any) error {
		row++
		if err := put(bold, name); err != nil {
			return err
		}
		return put(bold, header...)
	}
	to := r.To.AddDate(0, 0, -1)
	if err := put(title, fmt.Sprintf("备案管理周报 %s（%s 至 %s）", r.Week, r.From.In(shanghai).Format("2006-01-02"), to.In(shanghai).Format("2006-01-02"))); err != nil {
		return err
	}
	if err := put(0, "导出："+meta.By+" "+meta.at()); err != nil {
		return err
	}
	if err := section("一、受理与管局", "项目", "数量"); err != nil {
		return err
	}
	for _, x := range r.Flow {
		if err := put(0, x[0], x[1]); err != nil {
			return err
		}
	}
	if err := section("二、管局退回原因", "原因", "次数"); err != nil {
		return err
	}
	for _, x := range r.ReturnReasons {
		if err := put(0, x[0], x[1]); err != nil {
			return err
		}
	}
	if err := section("三、管局审核用时（工作日，按审核管局）", "管局", "结论数", "中位数", "最长"); err != nil {
		return err
	}
	for _, x := range r.Turnaround {
		if err := put(0, x[0], x[1], x[2], x[3]); err != nil {
			return err
		}
	}
	if err := section("四、核验电话", "结果", "次数"); err != nil {
		return err
	}
	for _, x := range r.Calls {
		if err := put(0, x[0], x[1]); err != nil {
			return err
		}
	}
	if err := section("五、接入操作（技术部确认用时，小时）", "操作", "提出", "已确认", "中位数", "最长"); err != nil {
		return err
	}
	for _, x := range r.Access {
		if err := put(0, x[0], x[1], x[2], x[3], x[4]); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 40); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "E", 12); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Creator: meta.By, LastModifiedBy: meta.By, Created: meta.At.UTC().Format(time.RFC3339),
		Modified: meta.At.UTC().Format(time.RFC3339), Title: "备案管理周报 " + r.Week, Description: meta.description(),
		Keywords: meta.keywords(false)}); err != nil { // figures only: no personal information
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
