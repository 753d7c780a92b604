package postgres_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// dueCases makes cases with bureau deadlines, ties on deadline and on
// creation time, and cases without a deadline, and returns their case
// numbers in the order of the deadline sort.
func dueCases(t *testing.T, b testBundle) []string {
	t.Helper()
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	due := func(d int) *time.Time { return ptr(base.AddDate(0, 0, d)) }
	specs := []struct {
		name    string
		due     *time.Time
		created int // minutes after base
	}{
		{"late", due(20), 1},
		{"none-old", nil, 2},
		{"soon-old", due(3), 3},
		{"soon-new", due(3), 9},
		{"mid", due(10), 4},
		{"none-new", nil, 8},
		{"soon-tie-a", due(3), 5}, // the two "tie" cases share deadline and creation time
		{"soon-tie-b", due(3), 5},
		{"none-mid", nil, 6},
	}
	byName := map[string]*beian.Case{}
	for _, s := range specs {
		c := newCase()
		c.CreatedAt = base.Add(time.Duration(s.created) * time.Minute)
		c.Deadlines.BureauDueAt = s.due
		byName[s.name] = b.createCase(t, c)
	}
	a, bb := byName["soon-tie-a"], byName["soon-tie-b"]
	if a.ID < bb.ID {
		a, bb = bb, a // id descending breaks the tie
	}
	return []string{
		byName["soon-new"].CaseNo, a.CaseNo, bb.CaseNo, byName["soon-old"].CaseNo,
		byName["mid"].CaseNo, byName["late"].CaseNo,
		byName["none-new"].CaseNo, byName["none-mid"].CaseNo, byName["none-old"].CaseNo,
	}
}

// TestListCasesSortDue: soonest bureau deadline first, cases without one
// last, ties newest first; paging by cursor neither skips nor repeats a case.
func TestListCasesSortDue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	want := dueCases(t, b)

	all, err := b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue})
	require.NoError(t, err)
	require.Equal(t, want, caseNos(all))
	require.Empty(t, all.NextCursor)

	// Every page size, so that pages end on a tie, on the last case with a
	// deadline and among the cases without one.
	for size := 1; size <= len(want); size++ {
		var paged []string
		f := beian.CaseFilter{Sort: beian.SortDue, Limit: size}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 20, "paging does not end")
			page, err := b.db.ListCases(b.ctx, f)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Items), size)
			paged = append(paged, caseNos(page)...)
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		require.Equal(t, want, paged, "page size %d", size)
	}

	// The newest-first order is untouched.
	newest, err := b.db.ListCases(b.ctx, beian.CaseFilter{})
	require.NoError(t, err)
	require.Len(t, newest.Items, len(want))
	for i := 1; i < len(newest.Items); i++ {
		require.False(t, newest.Items[i].CreatedAt.After(newest.Items[i-1].CreatedAt))
	}
}

// TestListCasesDueBefore keeps the cases due before a time, in either order;
// cases without a deadline are never due.
func TestListCasesDueBefore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	want := dueCases(t, b)
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, DueBefore: ptr(base.AddDate(0, 0, 10))})
	require.NoError(t, err)
	require.Equal(t, want[:4], caseNos(page), "before is strict: the case due at the bound is out")

	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, DueBefore: ptr(base.AddDate(0, 0, 30)), Limit: 4})
	require.NoError(t, err)
	require.Equal(t, want[:4], caseNos(page))
	require.NotEmpty(t, page.NextCursor)
	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, DueBefore: ptr(base.AddDate(0, 0, 30)), Limit: 4, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, want[4:6], caseNos(page), "no case without a deadline")
	require.Empty(t, page.NextCursor)

	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{DueBefore: ptr(base.AddDate(0, 0, 11))})
	require.NoError(t, err)
	require.Len(t, page.Items, 5, "newest first, filtered too")
	for _, c := range page.Items {
		require.NotNil(t, c.Deadlines.BureauDueAt)
		require.True(t, c.Deadlines.BureauDueAt.Before(base.AddDate(0, 0, 11)))
	}

	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, DueBefore: ptr(base)})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}

// TestListCasesCursorOfOtherSort: a cursor is valid only for the order that
// made it, and an unknown sort is refused.
func TestListCasesCursorOfOtherSort(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dueCases(t, b)

	byDue, err := b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, byDue.NextCursor)
	newest, err := b.db.ListCases(b.ctx, beian.CaseFilter{Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, newest.NextCursor)
	require.NotEqual(t, byDue.NextCursor, newest.NextCursor)

	_, err = b.db.ListCases(b.ctx, beian.CaseFilter{Cursor: byDue.NextCursor})
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)
	require.Contains(t, beian.ErrorMessage(err), "排序")
	_, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, Cursor: newest.NextCursor})
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)
	require.Contains(t, beian.ErrorMessage(err), "排序")

	_, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: "name"})
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%v", err)

	enc := base64.RawURLEncoding.EncodeToString
	for _, cursor := range []string{
		enc([]byte("due:")),
		enc([]byte("due:123")),
		enc([]byte("due:soon/123/00000000-0000-0000-0000-000000000000")),
		enc([]byte("due:-/123/not-a-uuid")),
		enc([]byte("due:123/00000000-0000-0000-0000-000000000000")),
	} {
		_, err := b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, Cursor: cursor})
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), cursor)
	}
}

// TestListCasesCountTotal: with CountTotal every page says how many cases
// the filter selects in all (the dashboard's totals), cursor or not.
func TestListCasesCountTotal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dueCases(t, b)
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	f := beian.CaseFilter{Sort: beian.SortDue, DueBefore: ptr(base.AddDate(0, 0, 30)), Limit: 4, CountTotal: true}
	page, err := b.db.ListCases(b.ctx, f)
	require.NoError(t, err)
	require.Equal(t, 6, page.Total)
	require.Len(t, page.Items, 4)
	f.Cursor = page.NextCursor
	page, err = b.db.ListCases(b.ctx, f)
	require.NoError(t, err)
	require.Equal(t, 6, page.Total, "the total of the filter, not of the page")
	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Sort: beian.SortDue, Limit: 4})
	require.NoError(t, err)
	require.Zero(t, page.Total, "no count unless asked")
}
