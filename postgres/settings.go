package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

// This file keeps settings (JSON documents admins edit, such as the intake
// rules of R-IN-*) and the blacklist (R-IN-6).

// GetSetting returns the JSON document stored under key, or nil, nil when
// there is none.
func (db *DB) GetSetting(ctx context.Context, key string) ([]byte, error) {
	var value []byte
	err := db.pool.QueryRow(ctx, `SELECT value::text FROM settings WHERE key = $1`, key).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get setting %s: %w", key, err)
	}
	return value, nil
}

// PutSetting stores the JSON document value under key, or removes the
// setting when value is nil, and audits the change with a summary of the old
// and the new value. A value that is not JSON is a CodeInvalid error.
func (db *DB) PutSetting(ctx context.Context, key string, value []byte, actor string) error {
	if value != nil && !json.Valid(value) {
		return beian.Errorf(beian.CodeInvalid, "设置 %s 的值不是有效的 JSON", key)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, `SELECT value::text FROM settings WHERE key = $1 FOR UPDATE`, key).Scan(&old)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		action := "setting.put"
		if value == nil {
			action = "setting.delete"
			if _, err := tx.Exec(ctx, `DELETE FROM settings WHERE key = $1`, key); err != nil {
				return err
			}
		} else {
			_, err := tx.Exec(ctx, `
				INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, now())
				ON CONFLICT (key) DO UPDATE
				SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				key, string(value), actor)
			if err != nil {
				return err
			}
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor:  actor,
			Action: action,
			Target: "setting/" + key,
			Detail: "旧值：" + summariseJSON(old) + "；新值：" + summariseJSON(value),
		})
	})
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}

// summariseJSON describes a JSON document in a line for the audit log: for
// an object, each key with the size of its list or map (or its value), and a
// hash of the whole, so two versions can be told apart.
func summariseJSON(b []byte) string {
	if b == nil {
		return "（无，即默认值）"
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "（无法解析）"
	}
	sum := sha256.Sum256(b)
	hash := "sha256:" + hex.EncodeToString(sum[:6])
	m, ok := v.(map[string]any)
	if !ok {
		return clip(string(b), 80) + " " + hash
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		switch x := m[k].(type) {
		case []any:
			parts = append(parts, fmt.Sprintf("%s %d 项", k, len(x)))
		case map[string]any:
			parts = append(parts, fmt.Sprintf("%s %d 项", k, len(x)))
		default:
			j, _ := json.Marshal(x)
			parts = append(parts, k+" "+clip(string(j), 40))
		}
	}
	return strings.Join(parts, "，") + " " + hash
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// blacklistColumns are the columns of blacklist in the order of scanBlacklist.
const blacklistColumns = `id, kind, value, value_key, reason, author, created_at`

func scanBlacklist(row pgx.CollectableRow) (beian.BlacklistEntry, error) {
	var e beian.BlacklistEntry
	err := row.Scan(&e.ID, &e.Kind, &e.Value, &e.Key, &e.Reason, &e.Author, &e.CreatedAt)
	return e, err
}

// openBlacklist opens the value of an entry of a sealed kind (issue 12 §2:
// certificate numbers and phones are sealed, value_key is their blind
// index); its Key becomes the value normalised, as an unsealed kind's is.
func (db *DB) openBlacklist(e *beian.BlacklistEntry) error {
	kind := indexKind(e.Kind)
	if kind == "" {
		return nil
	}
	v, err := openValue(db.box, e.Value)
	if err != nil {
		return wrapOpen("blacklist entry "+e.ID, err)
	}
	e.Value, e.Key = v, secret.Normalise(kind, v)
	return nil
}

// ListBlacklist returns the blacklist (R-IN-6), oldest entry first, its
// certificate numbers and phones opened: intake matches them whole against
// a case's (a list of hundreds, read once an intake).
func (db *DB) ListBlacklist(ctx context.Context) ([]beian.BlacklistEntry, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+blacklistColumns+` FROM blacklist ORDER BY created_at, id`)
	list, err := pgx.CollectRows(rows, scanBlacklist)
	if err != nil {
		return nil, fmt.Errorf("list blacklist: %w", err)
	}
	for i := range list {
		if err := db.openBlacklist(&list[i]); err != nil {
			return nil, fmt.Errorf("list blacklist: %w", err)
		}
	}
	return list, nil
}

// AddBlacklistEntry adds e, audited as e.Author, and sets e.ID and
// e.CreatedAt (now when zero). An empty e.Key is e.Value. An entry of the
// same kind and key is a CodeConflict error; an unknown kind CodeInvalid.
func (db *DB) AddBlacklistEntry(ctx context.Context, e *beian.BlacklistEntry) error {
	if e.Key == "" {
		e.Key = strings.TrimSpace(e.Value)
	}
	if e.Key == "" {
		return beian.Errorf(beian.CodeInvalid, "黑名单条目的值不能为空")
	}
	// issue 12 §2: a certificate number or phone is stored sealed, its key
	// as a blind index, and neither the error nor the audit shows it whole.
	value, key, shown := e.Value, e.Key, e.Value
	if kind := indexKind(e.Kind); kind != "" {
		box, err := db.keys()
		if err != nil {
			return err
		}
		if value, err = box.Seal(e.Value); err != nil {
			return fmt.Errorf("add blacklist entry: %w", err)
		}
		key, shown = box.Index(kind, e.Key), secret.Mask(e.Value)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO blacklist (kind, value, value_key, reason, author, created_at)
			VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
			RETURNING id, created_at`,
			e.Kind, value, key, e.Reason, e.Author, nullTime(e.CreatedAt)).Scan(&e.ID, &e.CreatedAt)
		switch code, constraint := pgErrorCode(err); {
		case code == sqlUniqueViolation:
			return beian.Errorf(beian.CodeConflict, "黑名单中已有%s「%s」", blacklistKindTitle(e.Kind), shown)
		case code == sqlCheckViolation && strings.Contains(constraint, "kind"):
			return beian.Errorf(beian.CodeInvalid, "黑名单类型「%s」无效", e.Kind)
		case err != nil:
			return err
		}
		return audit(ctx, tx, beian.AuditEntry{
			At: e.CreatedAt, Actor: e.Author, Action: "blacklist.add", Target: "blacklist/" + e.ID,
			Detail: fmt.Sprintf("%s「%s」加入黑名单：%s", blacklistKindTitle(e.Kind), shown, e.Reason),
		})
	})
	if err != nil {
		return fmt.Errorf("add blacklist entry: %w", err)
	}
	return nil
}

// DeleteBlacklistEntry removes the entry with the id and audits it; a
// CodeNotFound error when there is none.
func (db *DB) DeleteBlacklistEntry(ctx context.Context, id, actor string) error {
	notFound := beian.Errorf(beian.CodeNotFound, "黑名单条目 %s 不存在", id)
	if !validUUID(id) {
		return notFound
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `DELETE FROM blacklist WHERE id = $1 RETURNING `+blacklistColumns, id)
		e, err := pgx.CollectExactlyOneRow(rows, scanBlacklist)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		if err := db.openBlacklist(&e); err != nil {
			return err
		}
		if indexKind(e.Kind) != "" {
			e.Value = secret.Mask(e.Value) // issue 12 §2: not whole in the audit trail
		}
		return audit(ctx, tx, beian.AuditEntry{
			Actor: actor, Action: "blacklist.delete", Target: "blacklist/" + id,
			Detail: fmt.Sprintf("%s「%s」移出黑名单（原因：%s，由 %s 加入）", blacklistKindTitle(e.Kind), e.Value, e.Reason, e.Author),
		})
	})
	if err != nil {
		return fmt.Errorf("delete blacklist entry %s: %w", id, err)
	}
	return nil
}

// sqlCheckViolation is the SQLSTATE of a failed CHECK constraint.
const sqlCheckViolation = "23514"

func blacklistKindTitle(kind string) string {
	switch kind {
	case "cert_number":
		return "证件号码"
	case "name":
		return "姓名/名称"
	case "domain":
		return "域名"
	case "phone":
		return "电话"
	}
	return kind
}
