package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// DomainHolders returns, for each of domains held by an open case or a live
// filing (an active row of case_domains), the case holding it (R-IN-5).
// Domains are compared lower-cased; the map is keyed by the lower-cased
// domain. Domains nobody holds are absent. It writes nothing, so the dry run
// of POST /filings/check can report DOMAIN_CONFLICT.
func (db *DB) DomainHolders(ctx context.Context, domains []string) (map[string]beian.DomainHolder, error) {
	ds := normaliseDomains(domains)
	out := make(map[string]beian.DomainHolder, len(ds))
	if len(ds) == 0 {
		return out, nil
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT d.domain, c.id::text, c.case_no, c.status
		FROM case_domains d JOIN cases c ON c.id = d.case_id
		WHERE d.active AND d.domain = ANY ($1)`, ds)
	holders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.DomainHolder, error) {
		var h beian.DomainHolder
		err := row.Scan(&h.Domain, &h.CaseID, &h.CaseNo, &h.Status)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("find holders of domains: %w", err)
	}
	for _, h := range holders {
		out[h.Domain] = h
	}
	return out, nil
}
