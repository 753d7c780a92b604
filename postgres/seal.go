package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/beian/beian/secret"
	"github.com/jackc/pgx/v5"
)

// This file keeps the store's side of personal data sealed at rest (issue
// 12 §2): the Box that seals and indexes, and (below) the step that seals
// the values written before, and the rotation to a new key.
//
// What is sealed, and where:
//   - cases.sponsor (cert_number, legal_rep.id_number), cases.principal
//     (id_number, mobile, landline, email) and cases.sponsor_cert_number,
//     with the blind indexes cases.sponsor_cert_index and cases.pii_indexes;
//   - case_corrections.data, the same fields of its sponsor and principal;
//   - blacklist.value of the kinds cert_number and phone, value_key their
//     blind index;
//   - idempotency_keys.body, the first answer to a write, which may show
//     a principal's phone or e-mail address in full;
//   - mail_outbox.recipients, each address (a filer's among them).
//
// Values already sealed are told from plain ones by their prefix
// (secret.IsSealed); a plain value read back, written by a process of the
// version before, is returned as it is and sealed by the next SealPlain.

// errNoKeyring is what a write of personal data returns when the store was
// given no Box: it never writes them plain.
var errNoKeyring = errors.New("postgres: no keyring configured (UseBox): personal data are not written unsealed")

// UseBox gives the store the keyring that seals personal data and computes
// their blind indexes. Call it once, before the store is used; Migrate seals
// the values still plain only when a Box is set.
func (db *DB) UseBox(b *secret.Box) { db.box = b }

// keys is the store's Box, or errNoKeyring.
func (db *DB) keys() (*secret.Box, error) {
	if db.box == nil {
		return nil, errNoKeyring
	}
	return db.box, nil
}

// openValue opens a sealed value with box; "" and a value not sealed yet
// (see SealPlain) come back as they are.
func openValue(box *secret.Box, v string) (string, error) {
	if v == "" || !secret.IsSealed(v) {
		return v, nil
	}
	if box == nil {
		return "", errNoKeyring
	}
	return box.Open(v)
}

// sealedOr seals v unless it is sealed already: a value moves from plain
// to sealed once, and keeps its ciphertext after.
func sealedOr(box *secret.Box, v string, reseal bool) (string, error) {
	switch {
	case v == "":
		return "", nil
	case !secret.IsSealed(v):
		return box.Seal(v)
	case reseal:
		return box.Reseal(v)
	}
	return v, nil
}

// indexKind is the blind-index kind of a blacklist kind whose values are
// sealed, or "" for the kinds kept plain (names, domains).
func indexKind(blacklistKind string) string {
	switch blacklistKind {
	case "cert_number":
		return secret.IndexID
	case "phone":
		return secret.IndexPhone
	}
	return ""
}

// wrapOpen names what did not open without quoting it.
func wrapOpen(what string, err error) error { return fmt.Errorf("open %s: %w", what, err) }

// searchIndexes are the blind indexes of q read as an ID number, a phone
// and an e-mail address, for the list's search (caseWhere): an exact number
// typed there finds its case though no column holds it plain. Without a Box
// there are none.
func (db *DB) searchIndexes(q string) []string {
	if db.box == nil || q == "" {
		return nil
	}
	var out []string
	for _, kind := range []string{secret.IndexID, secret.IndexPhone, secret.IndexEmail} {
		if ix := db.box.Index(kind, q); ix != "" {
			out = append(out, ix)
		}
	}
	return out
}

// sealBody seals a kept API answer (idempotency_keys.body); an empty one
// stays empty.
func sealBody(box *secret.Box, body []byte) ([]byte, error) {
	if len(body) == 0 {
		return []byte{}, nil
	}
	if box == nil {
		return nil, errNoKeyring
	}
	s, err := box.Seal(string(body))
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// openBody opens a kept answer sealed by sealBody; one kept plain before
// (JSON, which starts with no sealed prefix) comes back as it is.
func openBody(box *secret.Box, body []byte) ([]byte, error) {
	s, err := openValue(box, string(body))
	if err != nil {
		return nil, wrapOpen("kept answer", err)
	}
	return []byte(s), nil
}

// SealCounts is how many rows SealPlain or RotateKeys rewrote, by table.
type SealCounts struct {
	Cases, Corrections, Blacklist, IdempotentAnswers, Mails int
}

// Total is the number of rows rewritten.
func (c SealCounts) Total() int {
	return c.Cases + c.Corrections + c.Blacklist + c.IdempotentAnswers + c.Mails
}

// sealBatch is how many rows one transaction of SealPlain or RotateKeys
// rewrites: each batch locks its rows only for as long as it takes.
const sealBatch = 500

// notSealed is a SQL condition: the text expression x is a value, not
// sealed (no prefix of secret.IsSealed).
func notSealed(x string) string {
	return fmt.Sprintf("(coalesce(%[1]s, '') <> '' AND coalesce(%[1]s, '') !~ '^v[12]:')", x)
}

// plainCase is the SQL condition of a case with a personal value still
// plain: the rows SealPlain rewrites.
var plainCase = strings.Join([]string{
	notSealed("sponsor->>'cert_number'"), notSealed("sponsor->'legal_rep'->>'id_number'"),
	notSealed("principal->>'id_number'"), notSealed("principal->>'mobile'"),
	notSealed("principal->>'landline'"), notSealed("principal->>'email'"),
	notSealed("sponsor_cert_number"),
	"(sponsor_cert_number <> '' AND sponsor_cert_index = '')",
}, " OR ")

// plainCorrection is the same condition on case_corrections.data.
var plainCorrection = strings.Join([]string{
	notSealed("data->'sponsor'->>'cert_number'"), notSealed("data->'sponsor'->'legal_rep'->>'id_number'"),
	notSealed("data->'principal'->>'id_number'"), notSealed("data->'principal'->>'mobile'"),
	notSealed("data->'principal'->>'landline'"), notSealed("data->'principal'->>'email'"),
}, " OR ")

// SealPlain seals every personal value still stored plain (written before
// issue 12 §2, or by a process of the version before during a rolling
// update) and fills its blind indexes: the Go step of migration 017, run
// by Migrate. It rewrites only the rows that hold a plain value, in
// batches, and is idempotent: a second run finds nothing.
func (db *DB) SealPlain(ctx context.Context) (SealCounts, error) {
	return db.reseal(ctx, false)
}

// RotateKeys re-seals every sealed value (personal data and filing
// passwords) that is not sealed with the current key, seals any still
// plain, and recomputes every blind index (so a new index key takes effect
// too), in batches: `beian rotate-key`. It is idempotent; once it has run,
// the old keys open nothing the database holds (workflow histories may
// still carry a filing password sealed with one: see the README).
func (db *DB) RotateKeys(ctx context.Context) (SealCounts, error) {
	return db.reseal(ctx, true)
}

func (db *DB) reseal(ctx context.Context, rotate bool) (SealCounts, error) {
	var n SealCounts
	box, err := db.keys()
	if err != nil {
		return n, err
	}
	casesWhere, corrWhere := plainCase, plainCorrection
	if rotate {
		casesWhere, corrWhere = "true", "true"
	}
	if n.Cases, err = db.resealCases(ctx, box, rotate, casesWhere); err != nil {
		return n, err
	}
	if n.Corrections, err = db.resealCorrections(ctx, box, rotate, corrWhere); err != nil {
		return n, err
	}
	if n.Blacklist, err = db.resealBlacklist(ctx, box, rotate); err != nil {
		return n, err
	}
	if n.IdempotentAnswers, err = db.resealAnswers(ctx, box, rotate); err != nil {
		return n, err
	}
	if n.Mails, err = db.resealMails(ctx, box, rotate); err != nil {
		return n, err
	}
	return n, nil
}

// resealFields seals (or, rotating, re-seals) each value in place and
// reports whether any changed.
func resealFields(box *secret.Box, rotate bool, fields ...*string) (bool, error) {
	changed := false
	for _, f := range fields {
		v, err := sealedOr(box, *f, rotate)
		if err != nil {
			return false, err
		}
		changed = changed || v != *f
		*f = v
	}
	return changed, nil
}

// personFields are the sealed fields of a sponsor and a principal row.
func personFields(s *sponsorRow, p *principalRow) []*string {
	f := []*string{&s.CertNumber, &p.IDNumber, &p.Mobile, &p.Landline, &p.Email}
	if s.LegalRep != nil {
		f = append(f, &s.LegalRep.IDNumber)
	}
	return f
}

// batches runs fn on keyset-paged batches of a query, each in its own
// transaction, until a batch is short. fn returns the last key it saw and
// how many rows it rewrote.
func (db *DB) batches(ctx context.Context, what string, fn func(tx pgx.Tx, after string) (last string, rows, rewritten int, err error)) (int, error) {
	total, after := 0, ""
	for {
		var last string
		var rows, rewritten int
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			var err error
			last, rows, rewritten, err = fn(tx, after)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("seal %s: %w", what, err)
		}
		total += rewritten
		if rows < sealBatch {
			return total, nil
		}
		after = last
	}
}

func (db *DB) resealCases(ctx context.Context, box *secret.Box, rotate bool, where string) (int, error) {
	return db.batches(ctx, "cases", func(tx pgx.Tx, after string) (string, int, int, error) {
		type row struct {
			id, certCol, certIndex, password string
			sponsor                          sponsorRow
			principal                        principalRow
			indexes                          []string
		}
		rows, _ := tx.Query(ctx, `SELECT id::text, sponsor, principal, sponsor_cert_number, sponsor_cert_index,
				pii_indexes, filing_password_sealed
			FROM cases WHERE id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000') AND (`+where+`)
			ORDER BY id LIMIT $2 FOR UPDATE`, after, sealBatch)
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.sponsor, &x.principal, &x.certCol, &x.certIndex, &x.indexes, &x.password)
			return x, err
		})
		if err != nil {
			return "", 0, 0, err
		}
		// One round trip for the batch's updates: 10,000 seeded cases seal
		// in seconds, not minutes.
		updates := &pgx.Batch{}
		for _, x := range list {
			// Opened first, for the indexes: a plain value opens to itself.
			sponsor, err := sponsorFromRow(box, x.sponsor)
			if err != nil {
				return "", 0, 0, fmt.Errorf("case %s: %w", x.id, err)
			}
			principal, err := principalFromRow(box, x.principal)
			if err != nil {
				return "", 0, 0, fmt.Errorf("case %s: %w", x.id, err)
			}
			fields := append(personFields(&x.sponsor, &x.principal), &x.password)
			changed, err := resealFields(box, rotate, fields...)
			if err != nil {
				return "", 0, 0, fmt.Errorf("case %s: %w", x.id, err)
			}
			certIndex, indexes := box.Index(secret.IndexID, sponsor.CertNumber), piiIndexes(box, sponsor, principal)
			if !changed && x.certCol == x.sponsor.CertNumber && x.certIndex == certIndex && slices.Equal(x.indexes, indexes) {
				continue
			}
			updates.Queue(`UPDATE cases SET sponsor = $2, principal = $3, sponsor_cert_number = $4,
					sponsor_cert_index = $5, pii_indexes = $6, filing_password_sealed = $7 WHERE id = $1`,
				x.id, x.sponsor, x.principal, x.sponsor.CertNumber, certIndex, indexes, x.password)
		}
		rewritten := updates.Len()
		if rewritten > 0 {
			if err := tx.SendBatch(ctx, updates).Close(); err != nil {
				return "", 0, 0, fmt.Errorf("update cases: %w", err)
			}
		}
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].id
		}
		return last, len(list), rewritten, nil
	})
}

func (db *DB) resealCorrections(ctx context.Context, box *secret.Box, rotate bool, where string) (int, error) {
	return db.batches(ctx, "case corrections", func(tx pgx.Tx, after string) (string, int, int, error) {
		type row struct {
			id   string
			data correctionRow
		}
		rows, _ := tx.Query(ctx, `SELECT id::text, data FROM case_corrections
			WHERE id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000') AND (`+where+`)
			ORDER BY id LIMIT $2 FOR UPDATE`, after, sealBatch)
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.data)
			return x, err
		})
		if err != nil {
			return "", 0, 0, err
		}
		rewritten := 0
		for _, x := range list {
			fields := append(personFields(&x.data.Sponsor, &x.data.Principal), &x.data.FilingPasswordSealed)
			changed, err := resealFields(box, rotate, fields...)
			if err != nil {
				return "", 0, 0, fmt.Errorf("correction %s: %w", x.id, err)
			}
			if !changed {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE case_corrections SET data = $2 WHERE id = $1`, x.id, x.data); err != nil {
				return "", 0, 0, fmt.Errorf("correction %s: %w", x.id, err)
			}
			rewritten++
		}
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].id
		}
		return last, len(list), rewritten, nil
	})
}

func (db *DB) resealBlacklist(ctx context.Context, box *secret.Box, rotate bool) (int, error) {
	where := `kind IN ('cert_number', 'phone') AND (` + notSealed("value") + ` OR value_key NOT LIKE 'h1:%')`
	if rotate {
		where = `kind IN ('cert_number', 'phone')`
	}
	return db.batches(ctx, "blacklist", func(tx pgx.Tx, after string) (string, int, int, error) {
		rows, _ := tx.Query(ctx, `SELECT id::text, kind, value, value_key FROM blacklist
			WHERE id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000') AND `+where+`
			ORDER BY id LIMIT $2 FOR UPDATE`, after, sealBatch)
		type row struct{ id, kind, value, key string }
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.kind, &x.value, &x.key)
			return x, err
		})
		if err != nil {
			return "", 0, 0, err
		}
		rewritten := 0
		for _, x := range list {
			plain, err := openValue(box, x.value)
			if err != nil {
				return "", 0, 0, fmt.Errorf("entry %s: %w", x.id, err)
			}
			value, key := x.value, x.key
			if _, err := resealFields(box, rotate, &value); err != nil {
				return "", 0, 0, fmt.Errorf("entry %s: %w", x.id, err)
			}
			switch {
			case !strings.HasPrefix(key, "h1:"):
				key = box.Index(indexKind(x.kind), key) // the key as intake normalised it
			case rotate:
				key = box.Index(indexKind(x.kind), plain)
			}
			if value == x.value && key == x.key {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE blacklist SET value = $2, value_key = $3 WHERE id = $1`, x.id, value, key); err != nil {
				return "", 0, 0, fmt.Errorf("entry %s: %w", x.id, err)
			}
			rewritten++
		}
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].id
		}
		return last, len(list), rewritten, nil
	})
}

func (db *DB) resealAnswers(ctx context.Context, box *secret.Box, rotate bool) (int, error) {
	where := `length(body) > 0 AND substring(body FROM 1 FOR 3) NOT IN ('v1:'::bytea, 'v2:'::bytea)`
	if rotate {
		where = `length(body) > 0`
	}
	return db.batches(ctx, "kept answers", func(tx pgx.Tx, after string) (string, int, int, error) {
		// Keyed by (actor, key): the cursor is both, NUL-separated.
		afterActor, afterKey, _ := strings.Cut(after, "\x00")
		rows, _ := tx.Query(ctx, `SELECT actor, key, body FROM idempotency_keys
			WHERE (actor, key) > ($1, $2) AND `+where+`
			ORDER BY actor, key LIMIT $3 FOR UPDATE`, afterActor, afterKey, sealBatch)
		type row struct {
			actor, key string
			body       []byte
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.actor, &x.key, &x.body)
			return x, err
		})
		if err != nil {
			return "", 0, 0, err
		}
		rewritten := 0
		for _, x := range list {
			body := string(x.body)
			changed, err := resealFields(box, rotate, &body)
			if err != nil {
				return "", 0, 0, fmt.Errorf("kept answer: %w", err)
			}
			if !changed {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE idempotency_keys SET body = $3 WHERE actor = $1 AND key = $2`, x.actor, x.key, []byte(body)); err != nil {
				return "", 0, 0, fmt.Errorf("kept answer: %w", err)
			}
			rewritten++
		}
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].actor + "\x00" + list[len(list)-1].key
		}
		return last, len(list), rewritten, nil
	})
}

// sealMailTo seals each recipient of a queued mail: the outbox holds
// filers' e-mail addresses (issue 12 §2). The sender reads them opened.
func sealMailTo(box *secret.Box, to []string) ([]string, error) {
	out := make([]string, 0, len(to))
	for _, addr := range to {
		if box == nil {
			return nil, errNoKeyring
		}
		s, err := box.Seal(addr)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// openMailTo opens the recipients sealMailTo sealed; one queued plain
// before comes back as it is.
func openMailTo(box *secret.Box, to []string) ([]string, error) {
	out := make([]string, 0, len(to))
	for _, s := range to {
		addr, err := openValue(box, s)
		if err != nil {
			return nil, wrapOpen("mail recipient", err)
		}
		out = append(out, addr)
	}
	return out, nil
}

func (db *DB) resealMails(ctx context.Context, box *secret.Box, rotate bool) (int, error) {
	where := `EXISTS (SELECT 1 FROM unnest(recipients) r WHERE r !~ '^v[12]:')`
	if rotate {
		where = `cardinality(recipients) > 0`
	}
	return db.batches(ctx, "mail outbox", func(tx pgx.Tx, after string) (string, int, int, error) {
		rows, _ := tx.Query(ctx, `SELECT key, recipients FROM mail_outbox WHERE key > $1 AND `+where+`
			ORDER BY key LIMIT $2 FOR UPDATE`, after, sealBatch)
		type row struct {
			key string
			to  []string
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.key, &x.to)
			return x, err
		})
		if err != nil {
			return "", 0, 0, err
		}
		rewritten := 0
		for _, x := range list {
			fields := make([]*string, len(x.to))
			for i := range x.to {
				fields[i] = &x.to[i]
			}
			changed, err := resealFields(box, rotate, fields...)
			if err != nil {
				return "", 0, 0, fmt.Errorf("mail %s: %w", x.key, err)
			}
			if !changed {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE mail_outbox SET recipients = $2 WHERE key = $1`, x.key, x.to); err != nil {
				return "", 0, 0, fmt.Errorf("mail %s: %w", x.key, err)
			}
			rewritten++
		}
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].key
		}
		return last, len(list), rewritten, nil
	})
}
