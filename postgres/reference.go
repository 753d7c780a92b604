package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/beian/beian"
)

// This file keeps the data staff edit without a release: data centres and
// their ranges (R-ENT-1) and the working-day calendar; and, beside them, the
// idempotency keys of the API and the audit log.

// ListDataCentres returns the data centres in the order they were saved,
// each with its ranges in order.
func (db *DB) ListDataCentres(ctx context.Context) ([]beian.DataCentre, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT d.name, d.province, d.access_provider, d.mailbox,
			coalesce(array_agg(c.cidr ORDER BY c.position) FILTER (WHERE c.cidr IS NOT NULL), '{}')
		FROM data_centres d LEFT JOIN data_centre_cidrs c ON c.data_centre = d.name
		GROUP BY d.name
		ORDER BY d.position`)
	dcs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.DataCentre, error) {
		var dc beian.DataCentre
		err := row.Scan(&dc.Name, &dc.Province, &dc.AccessProvider, &dc.Mailbox, &dc.CIDRs)
		if len(dc.CIDRs) == 0 {
			dc.CIDRs = nil
		}
		return dc, err
	})
	if err != nil {
		return nil, fmt.Errorf("list data centres: %w", err)
	}
	return dcs, nil
}

// ReplaceDataCentres replaces the whole list of data centres in one
// transaction and audits it. Ranges are stored as networks, host bits
// cleared (198.51.100.7/24 is 198.51.100.0/24). Ranges may nest, since the
// longest prefix wins; a name or a range given twice is a CodeInvalid error.
func (db *DB) ReplaceDataCentres(ctx context.Context, dcs []beian.DataCentre, actor string) error {
	summary := make([]string, 0, len(dcs))
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM data_centres`); err != nil {
			return err
		}
		for i, dc := range dcs {
			_, err := tx.Exec(ctx, `
				INSERT INTO data_centres (name, province, access_provider, mailbox, position)
				VALUES ($1, $2, $3, $4, $5)`, dc.Name, dc.Province, dc.AccessProvider, dc.Mailbox, i)
			if code, _ := pgErrorCode(err); code == sqlUniqueViolation {
				return beian.Errorf(beian.CodeInvalid, "机房名称「%s」重复", dc.Name)
			}
			if err != nil {
				return err
			}
			cidrs := make([]string, 0, len(dc.CIDRs))
			for j, p := range dc.CIDRs {
				if !p.IsValid() {
					return beian.Errorf(beian.CodeInvalid, "机房「%s」的第 %d 个网段无效", dc.Name, j+1)
				}
				p = p.Masked()
				_, err := tx.Exec(ctx, `
					INSERT INTO data_centre_cidrs (data_centre, cidr, position) VALUES ($1, $2, $3)`, dc.Name, p, j)
				if code, _ := pgErrorCode(err); code == sqlUniqueViolation {
					return beian.Errorf(beian.CodeInvalid, "机房「%s」的网段 %s 重复：同一网段只能属于一个机房", dc.Name, p)
				}
				if err != nil {
					return err
				}
				cidrs = append(cidrs, p.String())
			}
			summary = append(summary, fmt.Sprintf("%s(%s %s %s): %s", dc.Name, dc.Province, dc.AccessProvider,
				dc.Mailbox, strings.Join(cidrs, ", ")))
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor:  actor,
			Action: "datacentres.replace",
			Target: "datacentres",
			Detail: strings.Join(summary, "; "),
		})
	})
	if err != nil {
		return fmt.Errorf("replace data centres: %w", err)
	}
	return nil
}

// calendarDateLayout is the layout of CalendarDay.Date.
const calendarDateLayout = "2006-01-02"

// ListCalendarDays returns the staff's calendar overrides by date.
func (db *DB) ListCalendarDays(ctx context.Context) ([]beian.CalendarDay, error) {
	rows, _ := db.pool.Query(ctx, `SELECT date, off, name, updated_by, updated_at FROM calendar_days ORDER BY date`)
	days, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.CalendarDay, error) {
		var (
			d    beian.CalendarDay
			date time.Time
		)
		err := row.Scan(&date, &d.Off, &d.Name, &d.UpdatedBy, &d.UpdatedAt)
		d.Date = date.Format(calendarDateLayout)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list calendar days: %w", err)
	}
	return days, nil
}

// PutCalendarDay adds or corrects the override of d.Date and audits it. A
// zero d.UpdatedAt means now.
func (db *DB) PutCalendarDay(ctx context.Context, d beian.CalendarDay) error {
	date, err := time.Parse(calendarDateLayout, d.Date)
	if err != nil {
		return beian.Errorf(beian.CodeInvalid, "日期 %q 格式不正确，应为 YYYY-MM-DD", d.Date)
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = time.Now()
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO calendar_days (date, off, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (date) DO UPDATE
			SET off = excluded.off, name = excluded.name, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			date, d.Off, d.Name, d.UpdatedBy, d.UpdatedAt)
		if err != nil {
			return err
		}
		kind := "工作日（调休）"
		if d.Off {
			kind = "休息日"
		}
		return audit(ctx, tx, beian.AuditEntry{
			At:     d.UpdatedAt,
			Actor:  d.UpdatedBy,
			Action: "calendar.put",
			Target: "calendar/" + d.Date,
			Detail: fmt.Sprintf("%s %s %s", d.Date, kind, d.Name),
		})
	})
	if err != nil {
		return fmt.Errorf("put calendar day %s: %w", d.Date, err)
	}
	return nil
}

// idempotencyTTL is how long the first answer to a write is kept.
const idempotencyTTL = "24 hours"

// GetIdempotent returns the first answer given to actor's write with key, or
// nil, nil when there is none or it is older than 24 hours.
func (db *DB) GetIdempotent(ctx context.Context, key, actor string) (*beian.IdempotentResponse, error) {
	r := beian.IdempotentResponse{Key: key, Actor: actor}
	err := db.pool.QueryRow(ctx, `
		SELECT body_hash, status, body, created_at FROM idempotency_keys
		WHERE actor = $1 AND key = $2 AND created_at > now() - $3::interval`,
		actor, key, idempotencyTTL).Scan(&r.BodyHash, &r.Status, &r.Body, &r.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get idempotency key %s: %w", key, err)
	}
	// issue 12 §2: the kept answer is sealed (it may show a phone whole).
	if r.Body, err = openBody(db.box, r.Body); err != nil {
		return nil, fmt.Errorf("get idempotency key %s: %w", key, err)
	}
	return &r, nil
}

// SaveIdempotent keeps r as the answer to r.Actor's write with r.Key. An
// answer kept for the key within 24 hours stays: the first answer wins. An
// older one is replaced. A zero r.At means now.
func (db *DB) SaveIdempotent(ctx context.Context, r beian.IdempotentResponse) error {
	// issue 12 §2: the kept answer is sealed (it may show a phone whole).
	body, err := sealBody(db.box, r.Body)
	if err != nil {
		return fmt.Errorf("save idempotency key %s: %w", r.Key, err)
	}
	_, err = db.pool.Exec(ctx, `
		INSERT INTO idempotency_keys (actor, key, body_hash, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
		ON CONFLICT (actor, key) DO UPDATE
		SET body_hash = excluded.body_hash, status = excluded.status, body = excluded.body,
			created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= now() - $7::interval`,
		r.Actor, r.Key, r.BodyHash, r.Status, body, nullTime(r.At), idempotencyTTL)
	if err != nil {
		return fmt.Errorf("save idempotency key %s: %w", r.Key, err)
	}
	return nil
}

// Audit and audit, the one way into the audit log, are in audit.go.

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}
