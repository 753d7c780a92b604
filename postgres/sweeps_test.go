package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestSweepStore (R-PA-3): one sweep runs at a time (a second joins it),
// the targets are the live filings' domains page by page, a retried batch
// records nothing twice, and the counts add up by class and province.
func TestSweepStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var live []*beian.Case
	for i := range 5 {
		c := newCase(uniqueDomain(), uniqueDomain())
		c.Status = beian.StatusApproved
		if i == 4 {
			c.Status = beian.StatusUnderReview // not a live filing: not swept
		}
		live = append(live, b.createCase(t, c))
	}

	// Concurrent opens: one sweep, the others join it.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	joined := make([]bool, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, j, err := b.db.OpenSweep(b.ctx, "manual", "wangzg", "")
			require.NoError(t, err)
			ids[i], joined[i] = s.ID, j
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range 8 {
		require.Equal(t, ids[0], ids[i], "one running sweep")
		if !joined[i] {
			fresh++
		}
	}
	require.Equal(t, 1, fresh)
	id := ids[0]

	n, err := b.db.CountSweepTargets(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 8, n, "four live filings with two domains each")
	var all []beian.SweepTarget
	cursor := ""
	for {
		page, next, err := b.db.SweepTargets(b.ctx, cursor, 3)
		require.NoError(t, err)
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Len(t, all, 8)

	at := time.Now()
	var fs []beian.SweepFinding
	for i, tg := range all {
		class := beian.SweepOurs
		if i == 0 {
			class = beian.SweepElsewhere
		}
		fs = append(fs, beian.SweepFinding{SweepID: id, CaseID: tg.CaseID, CaseNo: tg.CaseNo, Domain: tg.Domain, Province: tg.Province,
			Class: class, Addresses: []string{"192.0.2.1"}, Evidence: []byte(`[{"name":"x"}]`), CheckedAt: at})
	}
	require.NoError(t, b.db.SaveSweepFindings(b.ctx, fs[:5]))
	fs[0].Class = beian.SweepOurs // a retry that answered otherwise keeps the first record
	require.NoError(t, b.db.SaveSweepFindings(b.ctx, fs))
	s, err := b.db.GetSweep(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, 8, s.Done)
	require.Equal(t, map[beian.SweepClass]int{beian.SweepElsewhere: 1, beian.SweepOurs: 7}, s.Counts)
	require.Equal(t, 8, s.ByProvince["江苏"][beian.SweepOurs]+s.ByProvince["江苏"][beian.SweepElsewhere])

	moved, err := b.db.SweepFindings(b.ctx, id, beian.SweepElsewhere, "", 10)
	require.NoError(t, err)
	require.Len(t, moved, 1)
	require.JSONEq(t, `[{"name":"x"}]`, string(moved[0].Evidence))
	require.NoError(t, b.db.MarkSweepNotified(b.ctx, id, moved[0].CaseID, at))
	require.NoError(t, b.db.MarkSweepNotified(b.ctx, id, moved[0].CaseID, at.Add(time.Hour)))
	s, err = b.db.GetSweep(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, 1, s.Notified)
	mine, err := b.db.CaseSweepFindings(b.ctx, moved[0].CaseID, 5)
	require.NoError(t, err)
	require.Len(t, mine, 2, "both domains of the filing")

	require.NoError(t, b.db.FinishSweep(b.ctx, id, beian.SweepCompleted, ""))
	s2, j, err := b.db.OpenSweep(b.ctx, "schedule", "", "run-1")
	require.NoError(t, err)
	require.False(t, j, "after the first ended a new one starts")
	require.NotEqual(t, id, s2.ID)
	s3, j, err := b.db.OpenSweep(b.ctx, "schedule", "", "run-1")
	require.NoError(t, err)
	require.False(t, j, "a retry of the run that opened it finds its own sweep")
	require.Equal(t, s2.ID, s3.ID)
	_, j, err = b.db.OpenSweep(b.ctx, "manual", "wangzg", "")
	require.NoError(t, err)
	require.True(t, j, "anyone else joins it")
	list, err := b.db.ListSweeps(b.ctx, 10)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, s2.ID, list[0].ID)
	_, err = b.db.GetSweep(b.ctx, "nope")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
	_ = live
}
