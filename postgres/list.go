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

// caseCursor is where a page of cases ends, and the next page starts after
// it. Newest first (Sort ""), the list runs by (created_at, id) descending;
// by deadline (SortDue), by the bureau deadline ascending with cases
// without one last (Due nil), then by (created_at, id) descending.
type caseCursor struct {
	Sort      string
	Due       *time.Time
	CreatedAt time.Time
	ID        string
}

// dueCursorPrefix starts the text of a SortDue cursor, which tells it apart
// from a newest-first cursor (those start with a digit or a minus).
const dueCursorPrefix = "due:"

// noDue stands for "no bureau deadline" in a SortDue cursor.
const noDue = "-"

// encodeCursor makes the opaque text of a cursor: base64 of
// "<created_at in Unix microseconds>/<id>" newest first, and of
// "due:<bureau_due_at in Unix microseconds, or ->/<created_at>/<id>" by
// deadline. The newest-first form is the one of old, so cursors handed out
// before SortDue existed still work.
func encodeCursor(c caseCursor) string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "/" + c.ID
	if c.Sort == beian.SortDue {
		due := noDue
		if c.Due != nil {
			due = strconv.FormatInt(c.Due.UnixMicro(), 10)
		}
		raw = dueCursorPrefix + due + "/" + raw
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor made by encodeCursor for a list sorted by
// sort. A cursor of the other order is a CodeInvalid error of its own: the
// client changed the sort and kept paging.
func decodeCursor(s, sort string) (caseCursor, error) {
	invalid := beian.Errorf(beian.CodeInvalid, "分页游标 cursor 无效，请从第一页重新查询")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return caseCursor{}, invalid
	}
	raw := string(b)
	c := caseCursor{}
	if rest, ok := strings.CutPrefix(raw, dueCursorPrefix); ok {
		c.Sort = beian.SortDue
		due, tail, ok := strings.Cut(rest, "/")
		if !ok {
			return caseCursor{}, invalid
		}
		if due != noDue {
			us, err := strconv.ParseInt(due, 10, 64)
			if err != nil {
				return caseCursor{}, invalid
			}
			c.Due = ptrTo(time.UnixMicro(us))
		}
		raw = tail
	}
	micros, id, ok := strings.Cut(raw, "/")
	if !ok || !validUUID(id) {
		return caseCursor{}, invalid
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return caseCursor{}, invalid
	}
	c.CreatedAt, c.ID = time.UnixMicro(us), id
	if c.Sort != sort {
		return caseCursor{}, beian.Errorf(beian.CodeInvalid, "分页游标 cursor 属于另一种排序方式，请按当前排序从第一页重新查询")
	}
	return c, nil
}

// ptrTo is a pointer to v.
func ptrTo[T any](v T) *T { return &v }

// dueKey is how the list sorts by bureau deadline: cases without one last.
// It is the expression of cases_bureau_due_idx and
// cases_status_bureau_due_idx, written the same way so that the planner
// uses them.
const dueKey = `coalesce(c.bureau_due_at, 'infinity'::timestamptz)`

// likePattern matches q anywhere in a text, q's wildcards taken literally.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// ListCases returns a page of the cases f selects, newest first, or by
// f.Sort. Ended cases are left out unless f.Status names one. An unknown
// f.Sort, a malformed f.Cursor or one of the other order is a CodeInvalid
// error.
func (db *DB) ListCases(ctx context.Context, f beian.CaseFilter) (beian.CasePage, error) {
	if f.Sort != "" && f.Sort != beian.SortDue {
		return beian.CasePage{}, beian.Errorf(beian.CodeInvalid, "排序方式 sort「%s」无效，可选：%s（按管局截止时间）或留空（最新在前）", f.Sort, beian.SortDue)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	if f.Bulk {
		limit = min(limit, 5000)
	} else {
		limit = min(limit, maxPageSize)
	}

	where, args := caseWhere(f, db.searchIndexes(f.Q)...)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var total int
	if f.CountTotal {
		if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM cases c WHERE "+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return beian.CasePage{}, fmt.Errorf("count cases: %w", err)
		}
	}
	if f.Cursor != "" {
		cur, err := decodeCursor(f.Cursor, f.Sort)
		if err != nil {
			return beian.CasePage{}, err
		}
		after := fmt.Sprintf("(c.created_at, c.id) < (%s, %s::uuid)", arg(cur.CreatedAt), arg(cur.ID))
		switch {
		case f.Sort == beian.SortDue && cur.Due == nil:
			// Among the cases without a deadline only older ones follow;
			// the row comparison alone bounds an index scan.
			after = dueKey + " = 'infinity'::timestamptz AND " + after
		case f.Sort == beian.SortDue:
			// A later deadline, or the same one and older: the columns run
			// in opposite directions, so no single row comparison says it.
			// The first term gives the index scan its start.
			due := arg(*cur.Due)
			after = fmt.Sprintf("%[1]s >= %[2]s AND (%[1]s > %[2]s OR %[3]s)", dueKey, due, after)
		}
		where = append(where, after)
	}
	order := "c.created_at DESC, c.id DESC"
	if f.Sort == beian.SortDue {
		order = dueKey + ", " + order
	}
	sql := fmt.Sprintf(`SELECT %s FROM cases c WHERE %s ORDER BY %s LIMIT %s`,
		caseColumns, strings.Join(where, " AND "), order, arg(limit+1))

	rows, _ := db.pool.Query(ctx, sql, args...)
	raw, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (caseRow, error) {
		var r caseRow
		err := row.Scan(r.scanTargets()...)
		return r, err
	})
	if err != nil {
		return beian.CasePage{}, fmt.Errorf("list cases: %w", err)
	}
	page := beian.CasePage{Total: total}
	more := len(raw) > limit
	if more {
		raw = raw[:limit] // the row that tells of a next page is not opened (issue 12 §2)
	}
	items := make([]beian.Case, 0, len(raw))
	for _, r := range raw {
		c, err := db.caseFromRow(r)
		if err != nil {
			return beian.CasePage{}, fmt.Errorf("list cases: %w", err)
		}
		items = append(items, c)
	}
	if more {
		last := items[limit-1]
		page.NextCursor = encodeCursor(caseCursor{Sort: f.Sort, Due: last.Deadlines.BureauDueAt, CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Items = items
	return page, nil
}

// caseWhere is the WHERE conditions of a case filter and their arguments.
// qIndexes are the blind indexes of f.Q read as an ID number, phone or
// e-mail address (searchIndexes): a case holding one is found too.
func caseWhere(f beian.CaseFilter, qIndexes ...string) ([]string, []any) {
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
	switch f.Step {
	case beian.StepSMSPending:
		where = append(where, "c.sms_verification->>'status' = 'pending' AND c.status = 'BUREAU_REVIEW'")
	case beian.StepPublicSecurityDue:
		where = append(where, "c.public_security->>'status' = 'due'")
	case beian.StepPublicSecurityOverdue:
		where = append(where, "c.public_security->>'status' = 'overdue'")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		p := arg(likePattern(q))
		// One UNION of index scans (the trigram indexes), not an OR the
		// planner answers by walking every case: 1–2 ms instead of 200 on
		// 100,000 cases.
		// An exact ID number, phone or e-mail address finds its cases by
		// blind index (issue 12 §2): sealed, they cannot be matched in part.
		byIndex := ""
		if len(qIndexes) > 0 {
			byIndex = "\n\t\t\tUNION SELECT id FROM cases WHERE pii_indexes && " + arg(qIndexes) + "::text[]"
		}
		where = append(where, fmt.Sprintf(`c.id IN (SELECT id FROM cases WHERE case_no ILIKE %[1]s
			UNION SELECT id FROM cases WHERE sponsor_name ILIKE %[1]s
			UNION SELECT id FROM cases WHERE principal_name ILIKE %[1]s
			UNION SELECT case_id FROM case_domains WHERE domain ILIKE %[1]s%[2]s)`, p, byIndex))
	}
	if f.DueBefore != nil {
		p := arg(*f.DueBefore)
		where = append(where, "c.bureau_due_at < "+p)
		if f.Sort == beian.SortDue {
			// The same condition on the index's expression bounds the index
			// scan, which otherwise reads on to the end looking for a full page.
			where = append(where, dueKey+" < "+p)
		}
	}
	if f.CreatedFrom != nil {
		where = append(where, "c.created_at >= "+arg(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		where = append(where, "c.created_at < "+arg(*f.CreatedBefore))
	}
	return where, args
}
