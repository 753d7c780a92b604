package xlsx_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// TestEverySheetReadsTheSameInOpenpyxl: every sheet the desk writes besides
// the tracking and province tables (tested on their own) reads cell for
// cell the same in excelize and in openpyxl, an independent reader: the
// security template, both registration forms, the weekly report and the
// sweep report.
func TestEverySheetReadsTheSameInOpenpyxl(t *testing.T) {
	t.Parallel()
	pythonWithOpenpyxl(t) // skips, saying why, without a second reader
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	meta := xlsx.ExportMeta{By: "wangzg", At: at}
	files := map[string]func(*bytes.Buffer) error{
		"security template": func(b *bytes.Buffer) error { return xlsx.WriteSecurityTemplate(b) },
		"form, person":      func(b *bytes.Buffer) error { return xlsx.WriteRegistrationForm(b, beian.SponsorPerson) },
		"form, organisation": func(b *bytes.Buffer) error {
			return xlsx.WriteRegistrationForm(b, beian.SponsorOrganisation)
		},
		"weekly report": func(b *bytes.Buffer) error {
			return xlsx.WriteWeeklyReport(b, meta, xlsx.WeeklyFigures{Week: "2026-W49", From: at, To: at.AddDate(0, 0, 7),
				Flow: [][2]any{{"新受理", 12}, {"管局退回", 1}}, ReturnReasons: [][2]any{{"=域名证书不符", 1}},
				Turnaround: [][4]any{{"江苏", 3, 9, 21}}, Calls: [][2]any{{"核对一致", 4}}, Access: [][5]any{{"开通接入", 5, 4, 1.5, 20.2}}})
		},
		"sweep report": func(b *bytes.Buffer) error {
			s := &beian.Sweep{ID: "s-1", Status: beian.SweepCompleted, StartedAt: at, Done: 2,
				Counts: map[beian.SweepClass]int{beian.SweepOurs: 1, beian.SweepElsewhere: 1}}
			sent := false
			return xlsx.WriteSweepReport(b, s, func() ([]beian.SweepFinding, error) {
				if sent {
					return nil, nil
				}
				sent = true
				return []beian.SweepFinding{
					{Domain: "a.cn", Class: beian.SweepOurs, Addresses: []string{"198.51.100.7"}, CaseNo: "JS-1", CheckedAt: at},
					{Domain: "b.cn", Class: beian.SweepElsewhere, Addresses: []string{"192.0.2.9"}, CaseNo: "JS-2", CheckedAt: at, Evidence: []byte(`[{"domain":"b.cn"}]`)},
				}, nil
			})
		},
	}
	for name, write := range files {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, write(&buf))
			f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			require.NoError(t, err)
			book := readWithOpenpyxl(t, buf.Bytes())
			require.Len(t, book.Sheets, len(f.GetSheetList()))
			for _, sh := range book.Sheets {
				rows, err := f.GetRows(sh.Name, excelize.Options{RawCellValue: true})
				require.NoError(t, err, sh.Name)
				for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
					rows = rows[:len(rows)-1]
				}
				require.Equal(t, len(rows), len(sh.Rows), "%s: rows", sh.Name)
				for i := range rows {
					got := trimRight(sh.Rows[i])
					want := trimRight(rows[i])
					require.Equal(t, want, got, "%s row %d", sh.Name, i+1)
				}
				require.Empty(t, sh.Formulas, "%s: no formulas", sh.Name)
			}
		})
	}
}

func trimRight(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	if cells == nil {
		return []string{}
	}
	return cells
}
