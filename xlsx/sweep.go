package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("Asia/Shanghai", 8*3600)
	}
	return l
}()

// WriteSweepReport writes the report of a shell-site sweep (R-PA-3): a
// summary sheet (counts by class and by province) and a findings sheet, one
// row per domain with its addresses and DNS evidence, streamed (next pages
// the findings until it returns none) so a sweep of 100,000 domains is
// never built in memory.
func WriteSweepReport(w io.Writer, s *beian.Sweep, next func() ([]beian.SweepFinding, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	const summary, findings = "汇总", "排查结果"
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	rows := [][]any{
		{"空壳网站排查报告（R-PA-3）"},
		{"排查编号", s.ID},
		{"开始时间", s.StartedAt.In(shanghai).Format("2006-01-02 15:04:05")},
		{"状态", s.Status},
		{"域名总数", s.Done},
		{"已发送空壳网站通知的备案", s.Notified},
		{},
		{"类别", "数量"},
	}
	for _, c := range beian.SweepClasses {
		rows = append(rows, []any{c.Title() + "（" + string(c) + "）", s.Counts[c]})
	}
	rows = append(rows, []any{}, []any{"省份", beian.SweepElsewhere.Title(), beian.SweepNXDomain.Title(), beian.SweepUnresolved.Title(), beian.SweepOurs.Title()})
	for p, m := range s.ByProvince {
		rows = append(rows, []any{p, m[beian.SweepElsewhere], m[beian.SweepNXDomain], m[beian.SweepUnresolved], m[beian.SweepOurs]})
	}
	for i, r := range rows {
		cellName, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(summary, cellName, &r); err != nil {
			return err
		}
	}
	_ = f.SetCellStyle(summary, "A1", "A1", bold)
	_ = f.SetColWidth(summary, "A", "A", 28)

	if _, err := f.NewSheet(findings); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(findings)
	if err != nil {
		return err
	}
	widths := []float64{28, 12, 34, 16, 8, 20, 20, 12, 60}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := []any{"域名", "类别", "解析到的IP", "受理编号", "省份", "检查时间", "已通知用户", "首页备案号", "解析证据"}
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	row := 2
	for {
		page, err := next()
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, x := range page {
			notified := "否"
			if x.NotifiedAt != nil {
				notified = x.NotifiedAt.In(shanghai).Format("2006-01-02 15:04")
			}
			ev := string(x.Evidence)
			if len(ev) > 30000 { // a cell holds 32,767 characters
				ev = ev[:30000]
			}
			cellName, _ := excelize.CoordinatesToCellName(1, row)
			vals := []any{x.Domain, x.Class.Title(), strings.Join(x.Addresses, " "), x.CaseNo, x.Province,
				x.CheckedAt.In(shanghai).Format("2006-01-02 15:04:05"), notified, homepageTitle(x.Homepage), ev}
			if err := sw.SetRow(cellName, vals); err != nil {
				return err
			}
			row++
		}
	}
	if row > 2 { // before Flush, or the streamed sheet loses its filter
		if err := f.AutoFilter(findings, fmt.Sprintf("A1:I%d", row-1), nil); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func homepageTitle(s string) string {
	switch s {
	case "shown":
		return "已标明"
	case "missing":
		return "未标明"
	case "unreachable":
		return "无法访问"
	}
	return ""
}
