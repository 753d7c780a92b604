package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// LiveFilingByNumber returns the live filing (approved, rectifying or with
// access cancelled) with the filing number, nil, nil when we hold none. Only
// cases that establish a filing count (new, transfer_in, change), not the
// cancel_access or cancel cases that worked on it.
func (db *DB) LiveFilingByNumber(ctx context.Context, filingNumber string) (*beian.Case, error) {
	filingNumber = strings.TrimSpace(filingNumber)
	if filingNumber == "" {
		return nil, nil
	}
	var statuses []string
	for _, s := range beian.AllStatuses {
		if s.OnRecord() {
			statuses = append(statuses, string(s))
		}
	}
	return db.oneCase(ctx, `SELECT `+caseColumns+` FROM cases
		WHERE filing_number = $1 AND status = ANY ($2) AND type IN ('new', 'transfer_in', 'change')
		ORDER BY created_at DESC, id LIMIT 1`, filingNumber, statuses)
}

// InProgressLinkedTo returns the application in progress linked to the live
// filing caseID, nil, nil when there is none.
func (db *DB) InProgressLinkedTo(ctx context.Context, caseID string) (*beian.Case, error) {
	var statuses []string
	for _, s := range beian.InProgressStatuses() {
		statuses = append(statuses, string(s))
	}
	return db.oneCase(ctx, `SELECT `+caseColumns+` FROM cases
		WHERE linked_case_id = $1 AND status = ANY ($2) ORDER BY created_at, id LIMIT 1`, caseID, statuses)
}

// oneCase runs a query for at most one case row.
func (db *DB) oneCase(ctx context.Context, sql string, args ...any) (*beian.Case, error) {
	var r caseRow
	err := db.pool.QueryRow(ctx, sql, args...).Scan(r.scanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	c, err := db.caseFromRow(r)
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	return &c, nil
}

// LiveCasesOfCustomer returns the live filings (approved, rectifying, or
// with access cancelled) of a customer, oldest first (R-VC-4).
func (db *DB) LiveCasesOfCustomer(ctx context.Context, customerID string) ([]beian.Case, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+caseColumns+` FROM cases c
		WHERE c.customer_id = $1 AND c.status IN ('APPROVED', 'RECTIFYING', 'ACCESS_CANCELLED')
		ORDER BY c.created_at, c.id`, customerID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.Case, error) {
		var r caseRow
		if err := row.Scan(r.scanTargets()...); err != nil {
			return beian.Case{}, err
		}
		return db.caseFromRow(r)
	})
	if err != nil {
		return nil, fmt.Errorf("live cases of customer %s: %w", customerID, err)
	}
	return out, nil
}
