package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// Page sizes of ListCases.
const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// endedStatuses are the statuses of ended cases, left out of lists unless asked for.
func endedStatuses() []string {
	var ended []string
	for _, s := range beian.AllStatuses {
		if s.Terminal() {
			ended = append(ended, string(s))
		}
	}
	return ended
}

// caseCursor is where a page of cases ends: the list runs newest first by
// (created_at, id), and the next page starts after this pair.
type caseCursor struct {
	CreatedAt time.Time
	ID        string
}

// encodeCursor makes the opaque text of a cursor: base64 of
// "<created_at in Unix microseconds>/<id>".
func encodeCursor(c caseCursor) string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "/" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(s string) (caseCursor, error) {
	invalid := beian.Errorf(beian.CodeInvalid, "分页游标 cursor 无效，请从第一页重新查询")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return caseCursor{}, invalid
	}
	micros, id, ok := strings.Cut(string(raw), "/")
	if !ok || !validUUID(id) {
		return caseCursor{}, invalid
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return caseCursor{}, invalid
	}
	return caseCursor{CreatedAt: time.UnixMicro(us), ID: id}, nil
}

// likePattern matches q anywhere in a text, q's wildcards taken literally.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// ListCases returns a page of the cases f selects, newest first. Ended cases
// are left out unless f.Status names one. A malformed f.Cursor is a
// CodeInvalid error.
func (db *DB) ListCases(ctx context.Context, f beian.CaseFilter) (beian.CasePage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)

	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(string(f.Status)))
	} else {
		where = append(where, "c.status <> ALL ("+arg(endedStatuses())+"::text[])")
	}
	if f.Province != "" {
		p := arg(f.Province)
		where = append(where, fmt.Sprintf("(c.province = %s OR c.bureau_province = %s)", p, p))
	}
	if f.SystemProvince != "" {
		where = append(where, "c.province = "+arg(f.SystemProvince))
	}
	if f.BureauProvince != "" {
		where = append(where, "c.bureau_province = "+arg(f.BureauProvince))
	}
	if f.Domain != "" {
		where = append(where, "EXISTS (SELECT 1 FROM case_domains d WHERE d.case_id = c.id AND d.domain = "+
			arg(strings.ToLower(strings.TrimSpace(f.Domain)))+")")
	}
	if f.Overdue != nil {
		where = append(where, "c.overdue = "+arg(*f.Overdue))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		p := arg(likePattern(q))
		where = append(where, fmt.Sprintf(`(c.case_no ILIKE %[1]s OR c.sponsor_name ILIKE %[1]s
			OR c.principal_name ILIKE %[1]s
			OR EXISTS (SELECT 1 FROM case_domains d WHERE d.case_id = c.id AND d.domain ILIKE %[1]s))`, p))
	}
	if f.Cursor != "" {
		cur, err := decodeCursor(f.Cursor)
		if err != nil {
			return beian.CasePage{}, err
		}
		where = append(where, fmt.Sprintf("(c.created_at, c.id) < (%s, %s::uuid)", arg(cur.CreatedAt), arg(cur.ID)))
	}
	sql := fmt.Sprintf(`SELECT %s FROM cases c WHERE %s ORDER BY c.created_at DESC, c.id DESC LIMIT %s`,
		caseColumns, strings.Join(where, " AND "), arg(limit+1))

	rows, _ := db.pool.Query(ctx, sql, args...)
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.Case, error) {
		var r caseRow
		err := row.Scan(r.scanTargets()...)
		return caseFromRow(r), err
	})
	if err != nil {
		return beian.CasePage{}, fmt.Errorf("list cases: %w", err)
	}
	var page beian.CasePage
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.NextCursor = encodeCursor(caseCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Items = items
	return page, nil
}
