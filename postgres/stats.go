package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// This file answers the dashboard's figures. Each is one query over the
// cases and their timelines, except the open-case counts, which a trigger
// keeps in case_counts in the same transaction as each case (migration 009;
// TestCaseCountsFollowTheCases checks that they agree).

var _ beian.StatsStore = (*DB)(nil)

// OpenCaseCounts counts the cases that have not ended, by status, system
// province and bureau province, in that order.
func (db *DB) OpenCaseCounts(ctx context.Context) ([]beian.StatusCount, error) {
	// case_counts is kept by a trigger on cases (migration 009), so the
	// dashboard reads a few dozen rows, not every case.
	rows, _ := db.pool.Query(ctx, `
		SELECT status, province, bureau_province, n
		FROM case_counts
		WHERE status <> ALL ($1::text[]) AND n > 0
		ORDER BY 1, 2, 3`, endedStatuses())
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.StatusCount, error) {
		var c beian.StatusCount
		err := row.Scan(&c.Status, &c.Province, &c.BureauProvince, &c.N)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("open case counts: %w", err)
	}
	return counts, nil
}

// BureauOutcomes returns the bureau decisions recorded at or after since,
// oldest first, each with the case's last submission before it, so the
// dashboard can tell how long the bureau took.
func (db *DB) BureauOutcomes(ctx context.Context, since time.Time) ([]beian.BureauOutcome, error) {
	// The events are written out rather than passed: the planner matches
	// them to the predicate of case_events_bureau_outcome_idx.
	rows, _ := db.pool.Query(ctx, `
		SELECT e.case_id::text, e.event, e.at, s.at, c.bureau_province
		FROM case_events e
		JOIN cases c ON c.id = e.case_id
		LEFT JOIN LATERAL (
			SELECT p.at FROM case_events p
			WHERE p.case_id = e.case_id AND p.event = 'submitted' AND (p.at, p.id) < (e.at, e.id)
			ORDER BY p.at DESC, p.id DESC
			LIMIT 1
		) s ON true
		WHERE e.event IN ('bureau_approved', 'bureau_returned', 'filing_cancelled') AND e.at >= $1
		ORDER BY e.at, e.id`, since)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.BureauOutcome, error) {
		var o beian.BureauOutcome
		err := row.Scan(&o.CaseID, &o.Event, &o.At, &o.SubmittedAt, &o.BureauProvince)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("bureau outcomes: %w", err)
	}
	return out, nil
}

// IntakeByWeek counts the cases created at or after since, ended ones too,
// by week starting Monday 00:00 Asia/Shanghai, oldest week first. Weeks are
// returned in China Standard Time, so each reads as its Monday.
func (db *DB) IntakeByWeek(ctx context.Context, since time.Time) ([]beian.WeekCount, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT date_trunc('week', created_at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai', count(*)
		FROM cases
		WHERE created_at >= $1
		GROUP BY 1
		ORDER BY 1`, since)
	weeks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.WeekCount, error) {
		var w beian.WeekCount
		err := row.Scan(&w.Week, &w.N)
		w.Week = w.Week.In(shanghai)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("intake by week: %w", err)
	}
	return weeks, nil
}

// CaseTasks returns the tasks of one case, soonest due first, as ListTasks
// does; a caseID that is no UUID names no case and has none.
func (db *DB) CaseTasks(ctx context.Context, caseID string) ([]beian.Task, error) {
	if !validUUID(caseID) {
		return nil, nil
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT `+taskColumns+` FROM tasks WHERE case_id = $1
		ORDER BY due_at NULLS LAST, created_at, id`, caseID)
	tasks, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return nil, fmt.Errorf("tasks of case %s: %w", caseID, err)
	}
	return tasks, nil
}

// CaseAccessActions returns the access actions of one case, oldest request
// first, as ListAccessActions does; a caseID that is no UUID has none.
func (db *DB) CaseAccessActions(ctx context.Context, caseID string) ([]beian.AccessAction, error) {
	if !validUUID(caseID) {
		return nil, nil
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT `+accessActionColumns+` FROM access_actions WHERE case_id = $1
		ORDER BY requested_at, key`, caseID)
	actions, err := pgx.CollectRows(rows, scanAccessAction)
	if err != nil {
		return nil, fmt.Errorf("access actions of case %s: %w", caseID, err)
	}
	return actions, nil
}

// OpenTasksDue returns the open tasks due before before, soonest first, at
// most limit of them, and how many there are in all.
func (db *DB) OpenTasksDue(ctx context.Context, before time.Time, limit int) ([]beian.Task, int, error) {
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status = 'open' AND due_at < $1`, before).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count open tasks: %w", err)
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT `+taskColumns+` FROM tasks WHERE status = 'open' AND due_at < $1
		ORDER BY due_at, created_at, id LIMIT $2`, before, limit)
	tasks, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return nil, 0, fmt.Errorf("open tasks due: %w", err)
	}
	return tasks, total, nil
}

// PendingAccessActions returns the oldest limit access actions tech has
// not confirmed, and how many there are in all (R-AC-1).
func (db *DB) PendingAccessActions(ctx context.Context, limit int) ([]beian.AccessAction, int, error) {
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM access_actions WHERE status = 'pending'`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count pending access actions: %w", err)
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT `+accessActionColumns+` FROM access_actions WHERE status = 'pending'
		ORDER BY requested_at, key LIMIT $1`, limit)
	actions, err := pgx.CollectRows(rows, scanAccessAction)
	if err != nil {
		return nil, 0, fmt.Errorf("pending access actions: %w", err)
	}
	return actions, total, nil
}
