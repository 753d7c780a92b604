package bench_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/xlsx"
)

// TestBenchTrackingExportFromPostgres (R-BR-5, issue 9): the tracking
// worksheet of the cases in Postgres (BEIAN_BENCH_TRACKING_CASES seeded,
// default 120,000; the export takes every case not ended), read page by
// page and written through the desk, against a bare excelize StreamWriter
// writing the same rows, read from Postgres beforehand, in the same run.
// Goals: ≤ 1.5× the bare writer's time, ≤ 2× its peak heap. The baseline
// holds its rows in memory (they count in its peak); ours reads them as it
// writes.
func TestBenchTrackingExportFromPostgres(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_TRACKING_CASES", 120_000)
	db := pgtest.New(t)
	stack.SeedCases(t, db, n)
	svc := &desk.Service{Store: db}
	ctx := context.Background()
	who := desk.Actor{Name: "bench", Role: beian.RoleSupervisor}

	// The same rows, read beforehand for the bare writer.
	var rows []xlsx.TrackingRow
	cf := beian.CaseFilter{Bulk: true, Limit: 2000}
	for {
		page, err := db.ListCases(ctx, cf)
		require.NoError(t, err)
		for i := range page.Items {
			rows = append(rows, desk.TrackingRow(&page.Items[i]))
		}
		if page.NextCursor == "" {
			break
		}
		cf.Cursor = page.NextCursor
	}
	pages := func() func() ([]xlsx.TrackingRow, error) {
		at := 0
		return func() ([]xlsx.TrackingRow, error) {
			end := min(at+2000, len(rows))
			p := rows[at:end]
			at = end
			return p, nil
		}
	}
	bare := measureExport(t, func(w io.Writer) error { return bareTracking(w, pages()) })
	ours := measureExport(t, func(w io.Writer) error { return svc.ExportTracking(ctx, who, desk.TrackingFilter{}, w) })
	bare2 := measureExport(t, func(w io.Writer) error { return bareTracking(w, pages()) })
	ours2 := measureExport(t, func(w io.Writer) error { return svc.ExportTracking(ctx, who, desk.TrackingFilter{}, w) })
	bt, ot := min(bare.took, bare2.took), min(ours.took, ours2.took)
	bm, om := max(bare.peak, bare2.peak), max(ours.peak, ours2.peak)
	tr, mr := float64(ot)/float64(bt), float64(om)/float64(bm)
	fmt.Printf("bench tracking-export-postgres-time: %.2f× bare StreamWriter (%.2f s vs %.2f s, %d cases from Postgres) (goal ≤ 1.5×) %s\n",
		tr, ot.Seconds(), bt.Seconds(), len(rows), verdict(tr <= 1.5))
	fmt.Printf("bench tracking-export-postgres-memory: %.2f× bare (%d MB vs %d MB) (goal ≤ 2×) %s\n",
		mr, om>>20, bm>>20, verdict(mr <= 2))
}
