package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// The audit trail (issue 12 §3) is one append-only table, audit_log, whose
// rows are hash-chained: the insert trigger of migration 016 gives each row
// the next id after the chain's head and hash = SHA-256(prev_hash ||
// encoding of the row); UPDATE, DELETE and TRUNCATE are refused by
// triggers. A superuser can disable those triggers, so the chain is the
// proof: VerifyAuditChain recomputes every hash here, independently of the
// database, and names the first row that does not fit.

// Audit records e; a zero e.At means now.
func (db *DB) Audit(ctx context.Context, e beian.AuditEntry) error {
	if err := audit(ctx, db.pool, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// audit appends e to the trail in q's transaction. The append locks the
// chain's head until that transaction ends, so it comes last in a
// transaction: nothing after it should wait on another lock.
func audit(ctx context.Context, q execer, e beian.AuditEntry) error {
	_, err := q.Exec(ctx, `
		INSERT INTO audit_log (at, kind, actor, action, case_id, target, detail)
		VALUES (coalesce($1, now()), $2, $3, $4, $5, $6, $7)`,
		nullTime(e.At), auditKind(e), e.Actor, e.Action, nullUUID(auditCase(e)), e.Target, e.Detail)
	return err
}

// auditKind is e.Kind, or the kind its action belongs to: the callers that
// predate kinds name only an action.
func auditKind(e beian.AuditEntry) string {
	if e.Kind != "" {
		return e.Kind
	}
	switch a := e.Action; {
	case strings.HasPrefix(a, "reveal"):
		return beian.AuditReveal
	case strings.HasPrefix(a, "sign_in"), a == "sign_out":
		return beian.AuditSignIn
	case strings.HasPrefix(a, "export_"), a == "download_attachment":
		return beian.AuditExport
	case a == "override", a == "match_inbound_mail", a == "reply_inbound_mail", a == "attachment_checklist":
		return beian.AuditCase
	}
	return beian.AuditAdmin
}

// auditCase is e.CaseID, or the case its target or detail names; "" when
// none (or when what is named is no UUID).
func auditCase(e beian.AuditEntry) string {
	id := e.CaseID
	if id == "" {
		switch {
		case strings.HasPrefix(e.Target, "case/"):
			id = strings.TrimPrefix(e.Target, "case/")
		case e.Action == "attachment_checklist", e.Action == "download_attachment":
			id = e.Target
		case e.Action == "match_inbound_mail":
			id = e.Detail
		}
	}
	if !validUUID(id) {
		return ""
	}
	return id
}

// auditGenesis is the prev_hash of the first row.
var auditGenesis = make([]byte, sha256.Size)

// AuditHash is the hash of r after prev: SHA-256 over prev, then r's ID and
// At (UTC microseconds since 1970) as big-endian int64s, then Kind, Actor,
// Action, CaseID, Target and Detail, each a big-endian uint32 byte length
// and its UTF-8 bytes. It is audit_log_encode of migration 016.
func AuditHash(prev []byte, r beian.AuditRecord) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(r.ID))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.At.UnixMicro()))
	h.Write(n[:])
	for _, s := range []string{r.Kind, r.Actor, r.Action, r.CaseID, r.Target, r.Detail} {
		binary.BigEndian.PutUint32(n[:4], uint32(len(s)))
		h.Write(n[:4])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

const auditColumns = `id, at, kind, actor, action, coalesce(case_id::text, ''), target, detail, prev_hash, hash`

func scanAudit(row pgx.CollectableRow) (beian.AuditRecord, error) {
	var r beian.AuditRecord
	err := row.Scan(&r.ID, &r.At, &r.Kind, &r.Actor, &r.Action, &r.CaseID, &r.Target, &r.Detail, &r.PrevHash, &r.Hash)
	return r, err
}

// ListAudit pages the trail newest first, filtered by f. A bad cursor,
// case ID or kind is a CodeInvalid error.
func (db *DB) ListAudit(ctx context.Context, f beian.AuditFilter) (*beian.AuditPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 200 {
		return nil, beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 200 之间的整数")
	}
	where, args := []string{"true"}, []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Actor != "" {
		where = append(where, "actor = "+arg(f.Actor))
	}
	if f.CaseID != "" {
		if !validUUID(f.CaseID) {
			return nil, beian.Errorf(beian.CodeInvalid, "备案申请编号 case 应为 UUID")
		}
		where = append(where, "case_id = "+arg(f.CaseID))
	}
	if f.Kind != "" {
		if !validAuditKind(f.Kind) {
			return nil, beian.Errorf(beian.CodeInvalid, "类别 kind「%s」无效，应为 %s 之一", f.Kind, strings.Join(beian.AuditKinds, "、"))
		}
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.From != nil {
		where = append(where, "at >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "at < "+arg(*f.To))
	}
	if f.Cursor != "" {
		id, err := decodeAuditCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		where = append(where, "id < "+arg(id))
	}
	rows, _ := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT `+arg(limit+1), args...)
	items, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	page := &beian.AuditPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = encodeAuditCursor(items[limit-1].ID)
	}
	return page, nil
}

func validAuditKind(k string) bool {
	for _, x := range beian.AuditKinds {
		if x == k {
			return true
		}
	}
	return false
}

// An audit cursor is the last id of the page before, "a" + decimal, in
// base64url; the prefix tells it from a case list's cursor.
func encodeAuditCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(id, 10)))
}

func decodeAuditCursor(s string) (int64, error) {
	invalid := beian.Errorf(beian.CodeInvalid, "分页游标 cursor 无效，请从第一页重新查询")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'a' {
		return 0, invalid
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalid
	}
	return id, nil
}

// AuditVerification is what VerifyAuditChain found.
type AuditVerification struct {
	Rows     int64  // rows that fit the chain, in order, before any break
	LastID   int64  // the last of them
	LastHash []byte // its hash
	// BrokenID is the first row that does not fit (0 when the chain is
	// whole), and Broken says in Chinese what differs.
	BrokenID int64
	Broken   string
}

// OK reports whether the chain is unbroken.
func (v AuditVerification) OK() bool { return v.Broken == "" }

// auditVerifyBatch is how many rows VerifyAuditChain reads at a time.
const auditVerifyBatch = 5000

// VerifyAuditChain walks the trail in id order, batch by batch, recomputing
// each row's hash (AuditHash) and checking that it names the hash of the
// row before, then that the chain's head is the last row. An edited row is
// named by its own hash; a deleted or inserted row by the prev_hash of the
// row after it; deleted rows at the end by the head. A broken chain is no
// error: the result says where; an error is a failure to read.
func (db *DB) VerifyAuditChain(ctx context.Context) (AuditVerification, error) {
	v := AuditVerification{LastHash: auditGenesis}
	for {
		rows, _ := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, v.LastID, auditVerifyBatch)
		batch, err := pgx.CollectRows(rows, scanAudit)
		if err != nil {
			return v, fmt.Errorf("verify audit chain after row %d: %w", v.LastID, err)
		}
		for _, r := range batch {
			if !bytes.Equal(r.PrevHash, v.LastHash) {
				v.BrokenID = r.ID
				if v.Rows == 0 {
					v.Broken = fmt.Sprintf("第 %d 条是表中第一条，其前一哈希 prev_hash 却不是链首的全零值：之前的记录被删除了", r.ID)
				} else {
					v.Broken = fmt.Sprintf("第 %d 条的前一哈希 prev_hash（%s）不是第 %d 条的哈希（%s）：两条之间的记录被删除或插入过",
						r.ID, shortHash(r.PrevHash), v.LastID, shortHash(v.LastHash))
				}
				return v, nil
			}
			if want := AuditHash(r.PrevHash, r); !bytes.Equal(r.Hash, want) {
				v.BrokenID = r.ID
				v.Broken = fmt.Sprintf("第 %d 条的内容与其哈希不符（存的是 %s，按内容算得 %s）：这条记录被改过", r.ID, shortHash(r.Hash), shortHash(want))
				return v, nil
			}
			v.Rows, v.LastID, v.LastHash = v.Rows+1, r.ID, r.Hash
		}
		if len(batch) < auditVerifyBatch {
			break
		}
	}
	var headID int64
	var headHash []byte
	err := db.pool.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_chain_head`).Scan(&headID, &headHash)
	if errors.Is(err, pgx.ErrNoRows) {
		v.Broken = "链头 audit_chain_head 不见了"
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("verify audit chain: read head: %w", err)
	}
	if headID != v.LastID || !bytes.Equal(headHash, v.LastHash) {
		v.BrokenID = headID
		v.Broken = fmt.Sprintf("链头记录末条为第 %d 条（%s），表中末条却是第 %d 条（%s）：末尾的记录被删除过",
			headID, shortHash(headHash), v.LastID, shortHash(v.LastHash))
	}
	return v, nil
}

// shortHash is the first 16 hex digits of h, enough to tell hashes apart
// in a message.
func shortHash(h []byte) string {
	s := hex.EncodeToString(h)
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// auditState records in tx that a case's workflow applied e, leaving the
// case in status: the event, the case number, the status and the step,
// never the event's detail (which may quote what a filer sent).
func auditState(ctx context.Context, tx pgx.Tx, caseID, caseNo string, status beian.Status, e beian.Event) error {
	err := audit(ctx, tx, beian.AuditEntry{
		At: e.At, Kind: beian.AuditState, Actor: e.Actor, Action: e.Event, CaseID: caseID, Target: "case/" + caseID,
		Detail: fmt.Sprintf("%s → %s（第 %d 步）", caseNo, status.Title(), e.Seq),
	})
	if err != nil {
		return fmt.Errorf("audit %s of case %s: %w", e.Event, caseID, err)
	}
	return nil
}
