package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/beian/beian"
)

// OpenSweep starts a sweep, or returns the running one with joined set
// (R-PA-3: never two at once). The partial unique index decides races.
func (db *DB) OpenSweep(ctx context.Context, trigger, actor, runKey string) (*beian.Sweep, bool, error) {
	// A sweep still "running" after 12 hours lost its workflow (a sweep
	// takes minutes): it must not hold every later sweep off.
	if _, err := db.pool.Exec(ctx, `UPDATE sweeps SET status = 'failed', error = '超过12小时未结束，已视为中断', finished_at = now()
		WHERE status = 'running' AND started_at < now() - interval '12 hours'`); err != nil {
		return nil, false, fmt.Errorf("expire stale sweeps: %w", err)
	}
	for range 3 {
		var id string
		err := db.pool.QueryRow(ctx, `
			INSERT INTO sweeps (status, trigger, started_by, run_key) VALUES ('running', $1, $2, $3)
			ON CONFLICT DO NOTHING RETURNING id`, trigger, actor, runKey).Scan(&id)
		if err == nil {
			s, err := db.GetSweep(ctx, id)
			return s, false, err
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, fmt.Errorf("open sweep: %w", err)
		}
		var key string
		err = db.pool.QueryRow(ctx, `SELECT id, run_key FROM sweeps WHERE status = 'running'`).Scan(&id, &key)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // it finished between the two statements
		}
		if err != nil {
			return nil, false, fmt.Errorf("running sweep: %w", err)
		}
		s, err := db.GetSweep(ctx, id)
		return s, runKey == "" || key != runKey, err
	}
	return nil, false, fmt.Errorf("open sweep: no running sweep and none could be started")
}

const sweepColumns = `id, status, trigger, started_by, started_at, finished_at, error, total`

func scanSweep(row pgx.Row) (*beian.Sweep, error) {
	var s beian.Sweep
	err := row.Scan(&s.ID, &s.Status, &s.Trigger, &s.StartedBy, &s.StartedAt, &s.FinishedAt, &s.Error, &s.Total)
	return &s, err
}

// GetSweep returns a sweep with its counts by class and province.
func (db *DB) GetSweep(ctx context.Context, id string) (*beian.Sweep, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "排查 %s 不存在", id)
	if !validUUID(id) {
		return nil, notFound
	}
	s, err := scanSweep(db.pool.QueryRow(ctx, `SELECT `+sweepColumns+` FROM sweeps WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("get sweep %s: %w", id, err)
	}
	s.Counts = map[beian.SweepClass]int{}
	s.ByProvince = map[string]map[beian.SweepClass]int{}
	rows, _ := db.pool.Query(ctx, `
		SELECT province, class, count(*), count(notified_at) FROM sweep_findings WHERE sweep_id = $1 GROUP BY province, class`, id)
	var (
		province, class string
		n, notified     int
	)
	_, err = pgx.ForEachRow(rows, []any{&province, &class, &n, &notified}, func() error {
		c := beian.SweepClass(class)
		s.Counts[c] += n
		s.Done += n
		if s.ByProvince[province] == nil {
			s.ByProvince[province] = map[beian.SweepClass]int{}
		}
		s.ByProvince[province][c] += n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count sweep %s: %w", id, err)
	}
	if err := db.pool.QueryRow(ctx, `SELECT count(DISTINCT case_id) FROM sweep_findings WHERE sweep_id = $1 AND notified_at IS NOT NULL`, id).Scan(&s.Notified); err != nil {
		return nil, fmt.Errorf("count notified %s: %w", id, err)
	}
	return s, nil
}

// ListSweeps returns the latest sweeps, newest first, with their counts.
func (db *DB) ListSweeps(ctx context.Context, limit int) ([]beian.Sweep, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id FROM sweeps ORDER BY started_at DESC, id LIMIT $1`, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list sweeps: %w", err)
	}
	out := make([]beian.Sweep, 0, len(ids))
	for _, id := range ids {
		s, err := db.GetSweep(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// SetSweepTotal records how many domains the sweep has to check.
func (db *DB) SetSweepTotal(ctx context.Context, id string, total int) error {
	_, err := db.pool.Exec(ctx, `UPDATE sweeps SET total = $2 WHERE id = $1`, id, total)
	if err != nil {
		return fmt.Errorf("set sweep total: %w", err)
	}
	return nil
}

// FinishSweep ends a running sweep; a sweep already ended stays as it was.
func (db *DB) FinishSweep(ctx context.Context, id, status, errText string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE sweeps SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status = 'running'`, id, status, errText)
	if err != nil {
		return fmt.Errorf("finish sweep: %w", err)
	}
	return nil
}

const sweepTargetsFrom = `FROM case_domains d JOIN cases c ON c.id = d.case_id
	WHERE d.active AND c.status IN ('APPROVED', 'RECTIFYING')`

// SweepTargets pages through the active domains of live filings by domain.
func (db *DB) SweepTargets(ctx context.Context, cursor string, limit int) ([]beian.SweepTarget, string, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT d.domain, c.id, c.case_no, c.province, c.filing_number `+sweepTargetsFrom+` AND d.domain > $1
		ORDER BY d.domain LIMIT $2`, cursor, limit)
	var t beian.SweepTarget
	var out []beian.SweepTarget
	_, err := pgx.ForEachRow(rows, []any{&t.Domain, &t.CaseID, &t.CaseNo, &t.Province, &t.FilingNumber}, func() error {
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("sweep targets: %w", err)
	}
	next := ""
	if len(out) == limit {
		next = out[len(out)-1].Domain
	}
	return out, next, nil
}

// CountSweepTargets counts the domains of live filings.
func (db *DB) CountSweepTargets(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) `+sweepTargetsFrom).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sweep targets: %w", err)
	}
	return n, nil
}

// SaveSweepFindings copies the findings in and keeps those recorded before.
func (db *DB) SaveSweepFindings(ctx context.Context, fs []beian.SweepFinding) error {
	if len(fs) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE sweep_findings_in (LIKE sweep_findings INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("save findings: %w", err)
		}
		cols := []string{"sweep_id", "domain", "case_id", "case_no", "province", "class", "addresses", "evidence", "checked_at"}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"sweep_findings_in"}, cols, pgx.CopyFromSlice(len(fs), func(i int) ([]any, error) {
			f := fs[i]
			ev := f.Evidence
			if len(ev) == 0 {
				ev = []byte("[]")
			}
			return []any{f.SweepID, f.Domain, f.CaseID, f.CaseNo, f.Province, string(f.Class), nonNil(f.Addresses), string(ev), f.CheckedAt}, nil
		}))
		if err != nil {
			return fmt.Errorf("copy findings: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sweep_findings SELECT * FROM sweep_findings_in ON CONFLICT DO NOTHING`); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23503" {
				return beian.Errorf(beian.CodeNotFound, "排查或备案申请不存在")
			}
			return fmt.Errorf("save findings: %w", err)
		}
		return nil
	})
}

const findingColumns = `sweep_id, domain, case_id, case_no, province, class, addresses, evidence, checked_at,
	notified_at, homepage, homepage_detail, reminded_at,
	coalesce((SELECT filing_number FROM cases WHERE cases.id = sweep_findings.case_id), '')`

func scanFinding(row pgx.CollectableRow) (beian.SweepFinding, error) {
	var f beian.SweepFinding
	var class string
	err := row.Scan(&f.SweepID, &f.Domain, &f.CaseID, &f.CaseNo, &f.Province, &class, &f.Addresses, &f.Evidence,
		&f.CheckedAt, &f.NotifiedAt, &f.Homepage, &f.HomepageDetail, &f.RemindedAt, &f.FilingNumber)
	f.Class = beian.SweepClass(class)
	return f, err
}

// SweepFindings returns a sweep's findings of a class by domain.
func (db *DB) SweepFindings(ctx context.Context, sweepID string, class beian.SweepClass, cursor string, limit int) ([]beian.SweepFinding, error) {
	if !validUUID(sweepID) {
		return nil, beian.Errorf(beian.CodeNotFound, "排查 %s 不存在", sweepID)
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+findingColumns+` FROM sweep_findings
		WHERE sweep_id = $1 AND ($2 = '' OR class = $2) AND domain > $3 ORDER BY domain LIMIT $4`,
		sweepID, string(class), cursor, limit)
	out, err := pgx.CollectRows(rows, scanFinding)
	if err != nil {
		return nil, fmt.Errorf("sweep findings: %w", err)
	}
	return out, nil
}

// MarkSweepNotified records the shell-site notice of a filing in a sweep.
func (db *DB) MarkSweepNotified(ctx context.Context, sweepID, caseID string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE sweep_findings SET notified_at = $3
		WHERE sweep_id = $1 AND case_id = $2 AND class = 'elsewhere' AND notified_at IS NULL`, sweepID, caseID, at)
	if err != nil {
		return fmt.Errorf("mark notified: %w", err)
	}
	return nil
}

// SetSweepHomepage records the R-PA-5 check of a domain in a sweep.
func (db *DB) SetSweepHomepage(ctx context.Context, sweepID, domain, result, detail string, remindedAt *time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE sweep_findings SET homepage = $3, homepage_detail = $4,
		reminded_at = coalesce(reminded_at, $5) WHERE sweep_id = $1 AND domain = $2`, sweepID, domain, result, detail, remindedAt)
	if err != nil {
		return fmt.Errorf("set homepage: %w", err)
	}
	return nil
}

// CaseSweepFindings returns a filing's latest findings, newest first.
func (db *DB) CaseSweepFindings(ctx context.Context, caseID string, limit int) ([]beian.SweepFinding, error) {
	if !validUUID(caseID) {
		return nil, nil
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+findingColumns+` FROM sweep_findings
		WHERE case_id = $1 ORDER BY checked_at DESC, domain LIMIT $2`, caseID, limit)
	out, err := pgx.CollectRows(rows, scanFinding)
	if err != nil {
		return nil, fmt.Errorf("case sweep findings: %w", err)
	}
	return out, nil
}

// PublicSecurityNumbers are the cases' recorded public-security numbers.
func (db *DB) PublicSecurityNumbers(ctx context.Context, caseIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	rows, _ := db.pool.Query(ctx, `SELECT id::text, public_security->>'number' FROM cases
		WHERE id = ANY($1::uuid[]) AND public_security->>'status' = 'recorded' AND coalesce(public_security->>'number', '') <> ''`, caseIDs)
	var id, n string
	_, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("public-security numbers: %w", err)
	}
	return out, nil
}
