package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// WeekActivity counts the week's intake, timeline events, return reasons,
// call outcomes and access actions (the weekly management report).
func (db *DB) WeekActivity(ctx context.Context, from, to time.Time) (*beian.WeekActivity, error) {
	w := &beian.WeekActivity{Events: map[string]int{}, ReturnReasons: map[string]int{}, CallOutcomes: map[string]int{}}
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE created_at >= $1 AND created_at < $2`, from, to).Scan(&w.Opened); err != nil {
		return nil, fmt.Errorf("week opened: %w", err)
	}
	var key string
	var n int
	count := func(m map[string]int, sql string) error {
		rows, _ := db.pool.Query(ctx, sql, from, to)
		_, err := pgx.ForEachRow(rows, []any{&key, &n}, func() error { m[key] += n; return nil })
		return err
	}
	if err := count(w.Events, `SELECT event, count(*) FROM case_events WHERE at >= $1 AND at < $2
		AND event IN ('submitted', 'bureau_approved', 'bureau_returned', 'purged', 'bureau_overdue') GROUP BY event`); err != nil {
		return nil, fmt.Errorf("week events: %w", err)
	}
	if err := count(w.ReturnReasons, `SELECT coalesce(nullif(c.return_reason, ''), '（未写明）'), count(*)
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.at >= $1 AND e.at < $2 AND e.event = 'bureau_returned' GROUP BY 1`); err != nil {
		return nil, fmt.Errorf("week return reasons: %w", err)
	}
	if err := count(w.CallOutcomes, `SELECT coalesce(outcome->>'result', outcome->>'outcome', 'unknown'), count(*) FROM tasks
		WHERE kind = 'verification_call' AND completed_at >= $1 AND completed_at < $2 GROUP BY 1`); err != nil {
		return nil, fmt.Errorf("week calls: %w", err)
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+accessActionColumns+` FROM access_actions
		WHERE requested_at >= $1 AND requested_at < $2 ORDER BY requested_at, key`, from, to)
	acts, err := pgx.CollectRows(rows, scanAccessAction)
	if err != nil {
		return nil, fmt.Errorf("week access actions: %w", err)
	}
	w.Access = acts
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status = 'BUREAU_REVIEW' AND overdue`).Scan(&w.OverdueNow); err != nil {
		return nil, fmt.Errorf("overdue now: %w", err)
	}
	return w, nil
}

// EachTrackingCase streams the cases of f, newest first, in one query,
// with only what the tracking worksheet shows (R-BR-5): sponsor and
// principal names, domains, server IPs, type, bureau province, received,
// returned, status and filing number. fn sees each case; its error stops.
func (db *DB) EachTrackingCase(ctx context.Context, f beian.CaseFilter, fn func(c *beian.Case) error) error {
	where, args := caseWhere(f, db.searchIndexes(f.Q)...)
	rows, err := db.pool.Query(ctx, `SELECT c.sponsor_name, c.principal_name,
			coalesce(array(SELECT jsonb_array_elements_text(c.website->'domains')), '{}'),
			coalesce(array(SELECT jsonb_array_elements_text(c.website->'server_ips')), '{}'),
			c.type, c.bureau_province, c.bureau_received, c.returned, c.status, c.filing_number
		FROM cases c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC`, args...)
	if err != nil {
		return fmt.Errorf("tracking cases: %w", err)
	}
	defer rows.Close()
	var c beian.Case
	var typ, status string
	for rows.Next() {
		c = beian.Case{}
		if err := rows.Scan(&c.Sponsor.Name, &c.Principal.Name, &c.Website.Domains, &c.Website.ServerIPs, &typ,
			&c.Routing.BureauProvince, &c.BureauReceived, &c.Returned, &status, &c.FilingNumber); err != nil {
			return fmt.Errorf("tracking case: %w", err)
		}
		c.Type, c.Status = beian.CaseType(typ), beian.Status(status)
		if err := fn(&c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("tracking cases: %w", err)
	}
	return nil
}
