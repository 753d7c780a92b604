package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// cst is China Standard Time, the zone the dashboard's weeks are in.
var cst = time.FixedZone("CST", 8*3600)

// end moves c to an ended status, as a workflow would.
func (b testBundle) end(t *testing.T, c *beian.Case, seq int) {
	t.Helper()
	c.Status = beian.StatusWithdrawn
	_, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: seq, Case: c, Event: beian.Event{Event: "withdrawn"}})
	require.NoError(t, err)
}

// TestOpenCaseCounts counts open cases by status, system province and bureau
// province; ended cases are left out.
func TestOpenCaseCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)

	counts, err := b.db.OpenCaseCounts(b.ctx)
	require.NoError(t, err)
	require.Empty(t, counts)

	mk := func(status beian.Status, province, bureau string) *beian.Case {
		c := newCase()
		c.Status, c.Routing.Province, c.Routing.BureauProvince = status, province, bureau
		return b.createCase(t, c)
	}
	mk(beian.StatusAwaitingMaterials, "江苏", "广东")
	mk(beian.StatusAwaitingMaterials, "江苏", "广东")
	mk(beian.StatusAwaitingMaterials, "江苏", "江苏")
	mk(beian.StatusBureauReview, "安徽", "安徽")
	mk(beian.StatusApproved, "江苏", "江苏") // a live filing has not ended
	b.end(t, mk(beian.StatusAwaitingMaterials, "江苏", "广东"), 1)
	b.end(t, mk(beian.StatusBureauReview, "安徽", "安徽"), 1)

	counts, err = b.db.OpenCaseCounts(b.ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []beian.StatusCount{
		{Status: beian.StatusAwaitingMaterials, Province: "江苏", BureauProvince: "广东", N: 2},
		{Status: beian.StatusAwaitingMaterials, Province: "江苏", BureauProvince: "江苏", N: 1},
		{Status: beian.StatusBureauReview, Province: "安徽", BureauProvince: "安徽", N: 1},
		{Status: beian.StatusApproved, Province: "江苏", BureauProvince: "江苏", N: 1},
	}, counts)
}

// TestBureauOutcomes pairs each bureau decision since a time with the case's
// last submission before it.
func TestBureauOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t)

	day := func(d int, h int) time.Time { return time.Date(2026, 6, d, h, 0, 0, 0, time.UTC) }
	ev := func(c *beian.Case, at time.Time, event string) {
		t.Helper()
		require.NoError(t, b.db.AddEvent(b.ctx, c.ID, beian.Event{At: at, Event: event, Actor: "system"}))
	}

	// Returned once, submitted again, approved.
	a := newCase()
	a.Routing.BureauProvince = "广东"
	b.createCase(t, a)
	ev(a, day(2, 9), "submitted")
	ev(a, day(5, 9), "bureau_returned")
	ev(a, day(6, 9), "correction_received")
	ev(a, day(8, 9), "submitted")
	ev(a, day(12, 9), "bureau_approved")
	// Cancelled without a submission on record.
	c := newCase()
	c.Routing.BureauProvince = "江苏"
	b.createCase(t, c)
	ev(c, day(10, 9), "filing_cancelled")
	// Decided before since: left out.
	old := newCase()
	b.createCase(t, old)
	ev(old, day(1, 9), "submitted")
	ev(old, day(2, 8), "bureau_approved")
	// A submission and its decision in the same instant: the submission
	// written first counts as before it.
	same := newCase()
	same.Routing.BureauProvince = "安徽"
	b.createCase(t, same)
	ev(same, day(15, 9), "submitted")
	ev(same, day(15, 9), "bureau_approved")

	got, err := b.db.BureauOutcomes(b.ctx, day(3, 0))
	require.NoError(t, err)
	for i := range got {
		got[i].At = got[i].At.UTC()
		if got[i].SubmittedAt != nil {
			got[i].SubmittedAt = ptr(got[i].SubmittedAt.UTC())
		}
	}
	require.Equal(t, []beian.BureauOutcome{
		{CaseID: a.ID, Event: "bureau_returned", At: day(5, 9), SubmittedAt: ptr(day(2, 9)), BureauProvince: "广东"},
		{CaseID: c.ID, Event: "filing_cancelled", At: day(10, 9), BureauProvince: "江苏"},
		{CaseID: a.ID, Event: "bureau_approved", At: day(12, 9), SubmittedAt: ptr(day(8, 9)), BureauProvince: "广东"},
		{CaseID: same.ID, Event: "bureau_approved", At: day(15, 9), SubmittedAt: ptr(day(15, 9)), BureauProvince: "安徽"},
	}, got)

	got, err = b.db.BureauOutcomes(b.ctx, day(20, 0))
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestIntakeByWeek buckets cases by week starting Monday 00:00 in
// Asia/Shanghai: Sunday 23:30 and Monday 00:30 there are one UTC day but two
// weeks.
func TestIntakeByWeek(t *testing.T) {
	t.Parallel()
	b := setup(t)

	mk := func(at time.Time) *beian.Case {
		c := newCase()
		c.CreatedAt = at
		return b.createCase(t, c)
	}
	// 2026-06-01 is a Monday.
	mk(time.Date(2026, 5, 25, 12, 0, 0, 0, cst)) // before since
	mk(time.Date(2026, 6, 1, 0, 0, 0, 0, cst))   // the first instant of the week
	mk(time.Date(2026, 6, 3, 10, 0, 0, 0, cst))
	b.end(t, mk(time.Date(2026, 6, 7, 23, 30, 0, 0, cst)), 1) // ended cases were taken in too
	mk(time.Date(2026, 6, 8, 0, 30, 0, 0, cst))
	mk(time.Date(2026, 6, 22, 9, 0, 0, 0, cst)) // a week without cases in between

	weeks, err := b.db.IntakeByWeek(b.ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, cst))
	require.NoError(t, err)
	require.Len(t, weeks, 3)
	want := []struct {
		week time.Time
		n    int
	}{
		{time.Date(2026, 6, 1, 0, 0, 0, 0, cst), 3},
		{time.Date(2026, 6, 8, 0, 0, 0, 0, cst), 1},
		{time.Date(2026, 6, 22, 0, 0, 0, 0, cst), 1},
	}
	for i, w := range want {
		require.True(t, w.week.Equal(weeks[i].Week), "week %d is %v, want %v", i, weeks[i].Week, w.week)
		require.Equal(t, w.n, weeks[i].N, "week of %v", w.week)
		require.Equal(t, time.Monday, weeks[i].Week.Weekday(), "weeks read as their Monday")
		require.Zero(t, weeks[i].Week.Hour())
	}
}

// TestCaseTasksAndAccessActions lists the tasks and access actions of one
// case only; an ID that is no UUID has none.
func TestCaseTasksAndAccessActions(t *testing.T) {
	t.Parallel()
	b := setup(t)

	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	cases := []*beian.Case{b.createCase(t, newCase()), b.createCase(t, newCase())}
	for _, c := range cases {
		_, err := b.db.SaveTransition(b.ctx, &beian.Transition{
			Seq: 1, Case: c, Event: beian.Event{At: at, Event: "review_passed"},
			Tasks: []beian.Task{
				{Key: "case/" + c.ID + "/call/2", Kind: beian.TaskVerificationCall, DueAt: at.Add(48 * time.Hour)},
				{Key: "case/" + c.ID + "/call/1", Kind: beian.TaskVerificationCall, DueAt: at.Add(24 * time.Hour)},
			},
			AccessActions: []beian.AccessAction{
				{Key: "case/" + c.ID + "/open", Kind: beian.AccessOpen, RequestedAt: at, ServerIPs: []string{"198.51.100.7"}},
				{Key: "case/" + c.ID + "/cancel", Kind: beian.AccessCancel, RequestedAt: at.Add(time.Hour)},
			},
		})
		require.NoError(t, err)
	}
	a := cases[0]

	tasks, err := b.db.CaseTasks(b.ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	require.Equal(t, "case/"+a.ID+"/call/1", tasks[0].Key, "soonest due first")
	require.Equal(t, "case/"+a.ID+"/call/2", tasks[1].Key)
	for _, task := range tasks {
		require.Equal(t, a.ID, task.CaseID)
		require.Equal(t, beian.TaskOpen, task.Status)
	}
	require.True(t, at.Add(24*time.Hour).Equal(tasks[0].DueAt))

	actions, err := b.db.CaseAccessActions(b.ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, actions, 2)
	require.Equal(t, "case/"+a.ID+"/open", actions[0].Key, "oldest first")
	require.Equal(t, []string{"198.51.100.7"}, actions[0].ServerIPs)
	require.Equal(t, "case/"+a.ID+"/cancel", actions[1].Key)
	for _, x := range actions {
		require.Equal(t, a.ID, x.CaseID)
		require.Equal(t, beian.AccessPending, x.Status)
	}

	for _, id := range []string{"not-a-uuid", "", "00000000-0000-4000-8000-000000000000"} {
		tasks, err := b.db.CaseTasks(b.ctx, id)
		require.NoError(t, err, id)
		require.Empty(t, tasks, id)
		actions, err := b.db.CaseAccessActions(b.ctx, id)
		require.NoError(t, err, id)
		require.Empty(t, actions, id)
	}
}

// TestOpenTasksDueAndPendingAccess: the dashboard's first rows and totals
// of open tasks due by a time and of access actions tech has not confirmed.
func TestOpenTasksDueAndPendingAccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		c := b.createCase(t, newCase())
		_, err := b.db.SaveTransition(b.ctx, &beian.Transition{
			Seq: 1, Case: c, Event: beian.Event{At: at, Event: "review_passed"},
			Tasks: []beian.Task{
				{Key: "case/" + c.ID + "/call/today", Kind: beian.TaskVerificationCall, DueAt: at.Add(time.Duration(i) * time.Hour)},
				{Key: "case/" + c.ID + "/call/later", Kind: beian.TaskVerificationCall, DueAt: at.Add(72 * time.Hour)},
			},
			AccessActions: []beian.AccessAction{{Key: "case/" + c.ID + "/open", Kind: beian.AccessOpen, RequestedAt: at.Add(time.Duration(i) * time.Minute)}},
		})
		require.NoError(t, err)
	}
	tasks, total, err := b.db.OpenTasksDue(b.ctx, at.Add(24*time.Hour), 2)
	require.NoError(t, err)
	require.Equal(t, 3, total, "the three due today, not the three due in three days")
	require.Len(t, tasks, 2, "at most the limit")
	require.True(t, tasks[0].DueAt.Before(tasks[1].DueAt), "soonest first")

	acts, total, err := b.db.PendingAccessActions(b.ctx, 2)
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, acts, 2)
	require.True(t, acts[0].RequestedAt.Before(acts[1].RequestedAt), "oldest first")
	_, err = b.db.ConfirmAccessAction(b.ctx, acts[0].ID, "tech", at.Add(time.Hour), "")
	require.NoError(t, err)
	_, total, err = b.db.PendingAccessActions(b.ctx, 2)
	require.NoError(t, err)
	require.Equal(t, 2, total, "a confirmed action is no longer pending")
}

// TestCaseCountsFollowTheCases: the trigger-kept counts agree with a count
// of the cases after inserts, status and province changes and a delete,
// also when many transactions move cases at once.
func TestCaseCountsFollowTheCases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for range 12 {
		ids = append(ids, b.createCase(t, newCase()).ID)
	}
	statuses := []string{"UNDER_REVIEW", "BUREAU_REVIEW", "APPROVED", "WITHDRAWN"}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 8 {
				_, err := b.db.Pool().Exec(b.ctx, `UPDATE cases SET status = $2, bureau_province = $3 WHERE id = $1`,
					id, statuses[(i+j)%len(statuses)], []string{"广东", "江苏"}[j%2])
				require.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	_, err := b.db.Pool().Exec(b.ctx, `DELETE FROM cases WHERE id = $1`, ids[0])
	require.NoError(t, err)

	got, err := b.db.OpenCaseCounts(b.ctx)
	require.NoError(t, err)
	rows, err := b.db.Pool().Query(b.ctx, `SELECT status, province, bureau_province, count(*) FROM cases
		WHERE status NOT IN ('PURGED','WITHDRAWN','CANCELLED','SUPERSEDED') GROUP BY 1,2,3 ORDER BY 1,2,3`)
	require.NoError(t, err)
	var want []beian.StatusCount
	for rows.Next() {
		var c beian.StatusCount
		require.NoError(t, rows.Scan(&c.Status, &c.Province, &c.BureauProvince, &c.N))
		want = append(want, c)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, want, got)
}
