package xlsx_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// TestSweepReport (R-PA-3): the report streams every finding, page by page,
// under a frozen, filterable header, after a summary of the counts.
func TestSweepReport(t *testing.T) {
	t.Parallel()
	s := &beian.Sweep{ID: "s-1", Status: beian.SweepCompleted, StartedAt: time.Now(), Done: 2500,
		Counts:     map[beian.SweepClass]int{beian.SweepOurs: 2499, beian.SweepElsewhere: 1},
		ByProvince: map[string]map[beian.SweepClass]int{"江苏": {beian.SweepOurs: 2499, beian.SweepElsewhere: 1}}}
	pages := 0
	next := func() ([]beian.SweepFinding, error) {
		if pages == 3 {
			return nil, nil
		}
		var out []beian.SweepFinding
		for i := range 1000 {
			n := pages*1000 + i
			if n >= 2500 {
				break
			}
			out = append(out, beian.SweepFinding{Domain: fmt.Sprintf("d%05d.cn", n), Class: beian.SweepOurs, CaseNo: "JS-1",
				Addresses: []string{"198.51.100.7"}, Evidence: []byte(`[{"domain":"x"}]`), CheckedAt: time.Now()})
		}
		pages++
		return out, nil
	}
	var buf bytes.Buffer
	require.NoError(t, xlsx.WriteSweepReport(&buf, s, next))
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	rows, err := f.GetRows("排查结果")
	require.NoError(t, err)
	require.Len(t, rows, 2501)
	require.Equal(t, "d02499.cn", rows[2500][0])
	require.Equal(t, "解析在我司", rows[1][1])
	sum, err := f.GetRows("汇总")
	require.NoError(t, err)
	require.Contains(t, fmt.Sprint(sum), "解析到他处（elsewhere） 1")
	require.Contains(t, sheetXML(t, buf.Bytes(), 2), "<autoFilter ", "the findings can be filtered")
}
