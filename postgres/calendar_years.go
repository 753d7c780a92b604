package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// ListPublishedYears returns the years staff have marked as published,
// ascending (R-BR-1).
func (db *DB) ListPublishedYears(ctx context.Context) ([]int, error) {
	rows, _ := db.pool.Query(ctx, `SELECT year FROM calendar_years WHERE published ORDER BY year`)
	years, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("list published years: %w", err)
	}
	return years, nil
}

// PublishYear marks year as published (its holiday schedule entered in full)
// or not, and audits it as actor. A year outside 1900–9999 is CodeInvalid.
func (db *DB) PublishYear(ctx context.Context, year int, published bool, actor string) error {
	if year < 1900 || year > 9999 {
		return beian.Errorf(beian.CodeInvalid, "年份 %d 无效", year)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO calendar_years (year, published, updated_by, updated_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (year) DO UPDATE
			SET published = excluded.published, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			year, published, actor)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%d 年节假日安排已公布并录入", year)
		if !published {
			detail = fmt.Sprintf("%d 年节假日安排改为未公布", year)
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "calendar.year", Target: fmt.Sprintf("calendar/%d", year), Detail: detail,
		})
	})
	if err != nil {
		return fmt.Errorf("publish year %d: %w", year, err)
	}
	return nil
}
