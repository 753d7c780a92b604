package bench_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian/xlsx"
)

// TestBenchSecurityImport (R-PA-2): reading a security sheet of 10,000 rows
// typed into the template with xlsx.ReadSecuritySheet (checks, domain
// normalisation, duplicates) takes at most twice as long as a bare excelize
// Rows iteration collecting the same cells, both from the same bytes in the
// same run, median of 5 each, interleaved.
func TestBenchSecurityImport(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_SECURITY_ROWS", 10_000)
	runs := benchEnv("BEIAN_BENCH_ROUNDS", 5)
	data := securitySheet(t, n)
	fmt.Printf("security sheet: %d rows, %d KB\n", n, len(data)/1024)

	bare := func() time.Duration {
		start := time.Now()
		f, err := excelize.OpenReader(bytes.NewReader(data))
		require.NoError(t, err)
		rows, err := f.Rows(xlsx.SecuritySheet)
		require.NoError(t, err)
		var all [][]string
		for rows.Next() {
			cells, err := rows.Columns()
			require.NoError(t, err)
			all = append(all, cells)
		}
		require.NoError(t, rows.Close())
		require.NoError(t, f.Close())
		d := time.Since(start)
		require.Len(t, all, n+2, "note, header and data rows")
		return d
	}
	ours := func() time.Duration {
		start := time.Now()
		got, err := xlsx.ReadSecuritySheet(bytes.NewReader(data))
		d := time.Since(start)
		require.NoError(t, err)
		require.Len(t, got, n)
		return d
	}
	bare() // warm up both paths
	ours()
	var bareDs, oursDs []time.Duration
	for range runs {
		bareDs = append(bareDs, bare())
		oursDs = append(oursDs, ours())
	}
	slices.Sort(bareDs)
	slices.Sort(oursDs)
	b, o := bareDs[len(bareDs)/2], oursDs[len(oursDs)/2]
	ratio := float64(o) / float64(b)
	fmt.Printf("bench security-import: %.2f× bare excelize Rows (%.0f ms vs %.0f ms) (goal ≤ 2×) %s\n",
		ratio, ms(o), ms(b), verdict(ratio <= 2))
}

// securitySheet is the template with n rows typed in: a domain and an IP
// each, the categories in turn.
func securitySheet(t *testing.T, n int) []byte {
	t.Helper()
	var tmpl bytes.Buffer
	require.NoError(t, xlsx.WriteSecurityTemplate(&tmpl))
	f, err := excelize.OpenReader(&tmpl)
	require.NoError(t, err)
	defer f.Close()
	for i := range n {
		cell, err := excelize.CoordinatesToCellName(1, i+3)
		require.NoError(t, err)
		row := []any{
			fmt.Sprintf("www.site%d.cn", i),
			fmt.Sprintf("198.51.%d.%d", i/250%250, i%250+1),
			xlsx.SecurityCategories[i%len(xlsx.SecurityCategories)],
			"疑似违规内容，信息安全部巡查发现",
			"信息安全部",
		}
		require.NoError(t, f.SetSheetRow(xlsx.SecuritySheet, cell, &row))
	}
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}
