package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// LiveFilingsByDomainOrIP finds the live filings (approved, rectifying or
// cut) holding each domain (active case_domains) and each server IP.
func (db *DB) LiveFilingsByDomainOrIP(ctx context.Context, domains, ips []string) (map[string][]beian.CaseRef, map[string][]beian.CaseRef, error) {
	byDomain, byIP := map[string][]beian.CaseRef{}, map[string][]beian.CaseRef{}
	var key, id, no, st string
	if len(domains) > 0 {
		rows, _ := db.pool.Query(ctx, `SELECT d.domain, c.id, c.case_no, c.status FROM case_domains d JOIN cases c ON c.id = d.case_id
			WHERE d.active AND d.domain = ANY($1) AND c.status IN ('APPROVED', 'RECTIFYING', 'ACCESS_CANCELLED')`, domains)
		if _, err := pgx.ForEachRow(rows, []any{&key, &id, &no, &st}, func() error {
			byDomain[key] = append(byDomain[key], beian.CaseRef{ID: id, CaseNo: no, Status: beian.Status(st)})
			return nil
		}); err != nil {
			return nil, nil, fmt.Errorf("filings by domain: %w", err)
		}
	}
	if len(ips) > 0 {
		rows, _ := db.pool.Query(ctx, `SELECT ip, c.id, c.case_no, c.status
			FROM cases c CROSS JOIN LATERAL jsonb_array_elements_text(c.website->'server_ips') ip
			WHERE c.status IN ('APPROVED', 'RECTIFYING', 'ACCESS_CANCELLED') AND ip = ANY($1)`, ips)
		if _, err := pgx.ForEachRow(rows, []any{&key, &id, &no, &st}, func() error {
			byIP[key] = append(byIP[key], beian.CaseRef{ID: id, CaseNo: no, Status: beian.Status(st)})
			return nil
		}); err != nil {
			return nil, nil, fmt.Errorf("filings by IP: %w", err)
		}
	}
	return byDomain, byIP, nil
}

const securityColumns = `id, file_sha256, filename, uploaded_by, uploaded_at, confirmed_by, confirmed_at, items`

func scanSecurityImport(row pgx.Row) (*beian.SecurityImport, error) {
	var s beian.SecurityImport
	var items []byte
	if err := row.Scan(&s.ID, &s.SHA256, &s.Filename, &s.UploadedBy, &s.UploadedAt, &s.ConfirmedBy, &s.ConfirmedAt, &items); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(items, &s.Items); err != nil {
		return nil, fmt.Errorf("security import items: %w", err)
	}
	return &s, nil
}

// PutSecurityImport records a sheet once by its SHA-256.
func (db *DB) PutSecurityImport(ctx context.Context, imp *beian.SecurityImport) (*beian.SecurityImport, bool, error) {
	items, err := json.Marshal(imp.Items)
	if err != nil {
		return nil, false, err
	}
	got, err := scanSecurityImport(db.pool.QueryRow(ctx, `
		INSERT INTO security_imports (file_sha256, filename, uploaded_by, items) VALUES ($1, $2, $3, $4)
		ON CONFLICT (file_sha256) DO NOTHING RETURNING `+securityColumns, imp.SHA256, imp.Filename, imp.UploadedBy, items))
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("put security import: %w", err)
	}
	got, err = scanSecurityImport(db.pool.QueryRow(ctx, `SELECT `+securityColumns+` FROM security_imports WHERE file_sha256 = $1`, imp.SHA256))
	if err != nil {
		return nil, false, fmt.Errorf("get security import: %w", err)
	}
	return got, false, nil
}

// GetSecurityImport returns a recorded sheet.
func (db *DB) GetSecurityImport(ctx context.Context, id string) (*beian.SecurityImport, error) {
	notFound := beian.Errorf(beian.CodeNotFound, "上传记录 %s 不存在", id)
	if !validUUID(id) {
		return nil, notFound
	}
	got, err := scanSecurityImport(db.pool.QueryRow(ctx, `SELECT `+securityColumns+` FROM security_imports WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	return got, err
}

// ConfirmSecurityImport stores the outcomes and marks the sheet confirmed
// (keeping the first confirmation's who and when), audited.
func (db *DB) ConfirmSecurityImport(ctx context.Context, id, actor string, items []beian.SecurityItem) (*beian.SecurityImport, error) {
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	var got *beian.SecurityImport
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		got, err = scanSecurityImport(tx.QueryRow(ctx, `UPDATE security_imports SET items = $2,
			confirmed_by = CASE WHEN confirmed_at IS NULL THEN $3 ELSE confirmed_by END,
			confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1 RETURNING `+securityColumns, id, b, actor))
		if errors.Is(err, pgx.ErrNoRows) {
			return beian.Errorf(beian.CodeNotFound, "上传记录 %s 不存在", id)
		}
		if err != nil {
			return fmt.Errorf("confirm security import: %w", err)
		}
		return audit(ctx, tx, beian.AuditEntry{Actor: actor, Action: "confirm_security_sheet", Target: id,
			Detail: fmt.Sprintf("%s（%d 行）", got.Filename, len(items))})
	})
	return got, err
}
