package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
)

// personalValues are the personal data of a case that must not be stored
// plain (issue 12 §2).
func personalValues(c *beian.Case) []string {
	v := []string{c.Sponsor.CertNumber, c.Principal.IDNumber, c.Principal.Mobile, c.Principal.Landline, c.Principal.Email}
	if c.Sponsor.LegalRep != nil {
		v = append(v, c.Sponsor.LegalRep.IDNumber)
	}
	return v
}

// rawDump is every row of every table of the public schema as text: what
// someone holding the database but not the key reads.
func rawDump(t *testing.T, ctx context.Context, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	var b strings.Builder
	for _, table := range tables {
		// convert_from for bytea columns: row-to-text shows bytea as hex.
		rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %q t`, table))
		require.NoError(t, err)
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			b.WriteString(table + ": " + line + "\n")
		}
		require.NoError(t, rows.Err())
		rows, err = pool.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND data_type = 'bytea'`, table)
		require.NoError(t, err)
		var byteaCols []string
		for rows.Next() {
			var c string
			require.NoError(t, rows.Scan(&c))
			byteaCols = append(byteaCols, c)
		}
		require.NoError(t, rows.Err())
		for _, c := range byteaCols {
			rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT encode(%q, 'escape') FROM %q`, c, table))
			require.NoError(t, err)
			for rows.Next() {
				var line *string
				require.NoError(t, rows.Scan(&line))
				if line != nil {
					b.WriteString(table + "." + c + ": " + *line + "\n")
				}
			}
			require.NoError(t, rows.Err())
		}
	}
	return b.String()
}

func requireNoneIn(t *testing.T, dump string, values ...string) {
	t.Helper()
	for _, v := range values {
		require.NotEmpty(t, v)
		require.NotContains(t, dump, v, "stored plain")
		// Nor in the forms of a phone normalised or an e-mail lower-cased.
		require.NotContains(t, strings.ToLower(dump), strings.ToLower(v), "stored plain")
	}
}

// The acceptance line of issue 12 §2: the data at rest are unreadable
// without the key. A case, a correction of it, blacklist entries and a
// kept answer are written through the store; the raw rows hold none of the
// numbers, and the store reads them back whole.
func TestPersonalDataSealedAtRest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCase()
	c.Sponsor.CertNumber = "91320594MA7SEAL01X"
	c.Principal.IDNumber = "32010219900307771X"
	c.Principal.Mobile = "13977170011"
	c.Principal.Landline = "0512-77170022"
	c.Principal.Email = "Seal.Tester@Example.CN"
	c.Sponsor.LegalRep.IDNumber = "320102198003077733"
	b.createCase(t, c)
	values := personalValues(c)

	corr := &beian.Correction{CaseID: c.ID, Sponsor: c.Sponsor, Principal: c.Principal, Website: c.Website, CreatedBy: "test"}
	require.NoError(t, b.db.SaveCorrection(b.ctx, corr))
	for _, e := range []*beian.BlacklistEntry{
		{Kind: "cert_number", Value: "44030019800307775X", Key: "44030019800307775X", Reason: "冒用", Author: "test"},
		{Kind: "phone", Value: "139-7717-0099", Key: "13977170099", Reason: "虚假", Author: "test"},
	} {
		require.NoError(t, b.db.AddBlacklistEntry(b.ctx, e))
	}
	values = append(values, "44030019800307775X", "13977170099", "7717-0099")
	require.NoError(t, b.db.SaveIdempotent(b.ctx, beian.IdempotentResponse{Actor: "tok", Key: "k1", BodyHash: "h", Status: 201,
		Body: []byte(`{"principal":{"mobile":"13977170011"}}`)}))

	dump := rawDump(t, b.ctx, b.db.Pool())
	require.Contains(t, dump, c.Sponsor.Name, "the dump reads the rows")
	requireNoneIn(t, dump, values...)

	// Read back whole.
	got, err := b.db.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c.Sponsor, got.Sponsor)
	require.Equal(t, c.Principal, got.Principal)
	gotCorr, err := b.db.GetCorrection(b.ctx, corr.ID)
	require.NoError(t, err)
	require.Equal(t, c.Principal, gotCorr.Principal)
	require.Equal(t, c.Sponsor, gotCorr.Sponsor)
	list, err := b.db.ListBlacklist(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "44030019800307775X", list[0].Value)
	require.Equal(t, "139-7717-0099", list[1].Value)
	kept, err := b.db.GetIdempotent(b.ctx, "k1", "tok")
	require.NoError(t, err)
	require.JSONEq(t, `{"principal":{"mobile":"13977170011"}}`, string(kept.Body))

	// A second entry of the same number is still refused (the blind index
	// is unique), and the message does not show the number whole.
	err = b.db.AddBlacklistEntry(b.ctx, &beian.BlacklistEntry{Kind: "phone", Value: "13977170099", Key: "13977170099", Author: "test"})
	require.Equal(t, beian.CodeConflict, beian.ErrorCode(err))
	require.NotContains(t, err.Error(), "13977170099")
}

// Equality finds go through the blind indexes: the in-progress application
// of a sponsor by certificate number (R-IN-5), and the list's search by an
// exact ID number, phone or e-mail address.
func TestFindByBlindIndex(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCase()
	c.Sponsor.CertNumber = "91320594MA7FIND01Y"
	c.Principal.Mobile = "13977172233"
	c.Principal.Email = "finder@example.cn"
	b.createCase(t, c)

	open, err := b.db.OpenApplicationOf(b.ctx, " 91320594ma7find01y ")
	require.NoError(t, err)
	require.NotNil(t, open)
	require.Equal(t, c.ID, open.ID)
	none, err := b.db.OpenApplicationOf(b.ctx, "91320594MA7FIND02Y")
	require.NoError(t, err)
	require.Nil(t, none)

	// R-IN-5 in the store: a second case of the same sponsor is refused.
	twin := newCase()
	twin.Sponsor.CertNumber = "91320594MA7FIND01Y"
	err = b.db.CreateCase(b.ctx, twin)
	require.Equal(t, beian.CodeSponsorConflict, beian.ErrorCode(err))

	for _, q := range []string{"91320594MA7FIND01Y", "+86 139 7717 2233", "Finder@Example.cn", c.Principal.IDNumber} {
		page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Q: q})
		require.NoError(t, err, q)
		require.Len(t, page.Items, 1, q)
		require.Equal(t, c.ID, page.Items[0].ID, q)
	}
	// A part of a number finds nothing: sealed, it cannot be matched in part.
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Q: "7717223"})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}

// The Go step of migration 017: rows written plain by the code before are
// sealed and indexed, in batches, once.
func TestSealPlain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := b.ctx
	// The old code's rows, written plain: more cases than one batch.
	const n = 510
	_, err := b.db.Pool().Exec(ctx, `
		INSERT INTO cases (case_no, type, status, sponsor, principal, website, sponsor_name, sponsor_cert_number, principal_name)
		SELECT 'OLD-' || i, 'new', 'AWAITING_MATERIALS',
			jsonb_build_object('kind', 'organisation', 'name', '旧主办者' || i, 'cert_type', 'uscc',
				'cert_number', '91320594OLD' || lpad(i::text, 7, '0'),
				'legal_rep', jsonb_build_object('name', '旧法人', 'id_number', '3201021970' || lpad(i::text, 8, '0'))),
			jsonb_build_object('name', '旧负责人', 'id_number', '3201021990' || lpad(i::text, 8, '0'),
				'mobile', '1397' || lpad(i::text, 7, '0'), 'landline', '', 'email', 'old' || i || '@example.cn', 'qq', ''),
			'{"domains": []}', '旧主办者' || i, '91320594OLD' || lpad(i::text, 7, '0'), '旧负责人'
		FROM generate_series(1, $1) AS i`, n)
	require.NoError(t, err)
	var caseID string
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT id FROM cases WHERE case_no = 'OLD-7'`).Scan(&caseID))
	_, err = b.db.Pool().Exec(ctx, `INSERT INTO case_corrections (case_id, data) VALUES ($1, jsonb_build_object(
		'sponsor', jsonb_build_object('cert_number', '91320594OLD0000007'),
		'principal', jsonb_build_object('id_number', '320102199000000007', 'mobile', '13970000007', 'email', 'old7@example.cn')))`, caseID)
	require.NoError(t, err)
	_, err = b.db.Pool().Exec(ctx, `INSERT INTO blacklist (kind, value, value_key) VALUES
		('cert_number', '91320594OLD0000042', '91320594OLD0000042'), ('phone', '139-7000-0042', '13970000042'),
		('name', '旧名字', '旧名字')`)
	require.NoError(t, err)
	_, err = b.db.Pool().Exec(ctx, `INSERT INTO idempotency_keys (actor, key, body_hash, status, body)
		VALUES ('tok', 'old', 'h', 201, convert_to('{"mobile":"13970000007"}', 'UTF8'))`)
	require.NoError(t, err)

	_, err = b.db.Pool().Exec(ctx, `INSERT INTO mail_outbox (key, case_id, recipients, subject, body)
		VALUES ('old-mail', $1, '{old7@example.cn,supervisor@test.local}', '回执', '')`, caseID)
	require.NoError(t, err)

	dump := rawDump(t, ctx, b.db.Pool())
	require.Contains(t, dump, "13970000007", "the fixture is plain to begin with")

	counts, err := b.db.SealPlain(ctx)
	require.NoError(t, err)
	require.Equal(t, postgres.SealCounts{Cases: n, Corrections: 1, Blacklist: 2, IdempotentAnswers: 1, Mails: 1}, counts)

	dump = rawDump(t, ctx, b.db.Pool())
	for _, v := range []string{"91320594OLD0000007", "320102197000000007", "320102199000000007", "13970000007", "old7@example.cn",
		"91320594OLD0000510", "13970000510", "91320594OLD0000042", "7000-0042", "13970000042"} {
		require.NotContains(t, dump, v)
	}
	require.Contains(t, dump, "旧名字", "names stay plain")

	// Read back, and found by index.
	c, err := b.db.GetCase(ctx, caseID)
	require.NoError(t, err)
	require.Equal(t, "91320594OLD0000007", c.Sponsor.CertNumber)
	require.Equal(t, "320102197000000007", c.Sponsor.LegalRep.IDNumber)
	require.Equal(t, "old7@example.cn", c.Principal.Email)
	open, err := b.db.OpenApplicationOf(ctx, "91320594OLD0000007")
	require.NoError(t, err)
	require.Equal(t, caseID, open.ID)
	page, err := b.db.ListCases(ctx, beian.CaseFilter{Q: "13970000007"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	list, err := b.db.ListBlacklist(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	kept, err := b.db.GetIdempotent(ctx, "old", "tok")
	require.NoError(t, err)
	require.JSONEq(t, `{"mobile":"13970000007"}`, string(kept.Body))
	mail, err := b.db.GetMail(ctx, "old-mail")
	require.NoError(t, err)
	require.Equal(t, []string{"old7@example.cn", "supervisor@test.local"}, mail.To)
	// The blacklist's key, now an index, still refuses the same number.
	err = b.db.AddBlacklistEntry(ctx, &beian.BlacklistEntry{Kind: "phone", Value: "13970000042", Key: "13970000042"})
	require.Equal(t, beian.CodeConflict, beian.ErrorCode(err))

	// Idempotent: nothing left to seal; Migrate runs it too.
	counts, err = b.db.SealPlain(ctx)
	require.NoError(t, err)
	require.Zero(t, counts.Total())
	require.NoError(t, b.db.Migrate(ctx))
}

// Without a keyring the store refuses to write personal data rather than
// write them plain.
func TestNoKeyringNoPlainWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := postgres.Open(ctx, pgtest.NewURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	err = db.CreateCase(ctx, newCase())
	require.ErrorContains(t, err, "no keyring")
	var n int
	require.NoError(t, db.Pool().QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&n))
	require.Zero(t, n)
}

// `beian rotate-key`: everything sealed with key A, then B current and A
// kept, a rotation, and B alone opens everything; a second rotation finds
// nothing to do.
func TestRotateKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := b.ctx
	const (
		keyA  = "rotation test key A, long enough"
		keyB  = "rotation test key B, long enough"
		index = "rotation test index key, long enough"
	)
	ring := func(current string, keys ...secret.Key) *secret.Box {
		box, err := secret.NewKeyring(secret.KeyringConfig{Keys: keys, Current: current, IndexKey: index})
		require.NoError(t, err)
		return box
	}
	a, bk := secret.Key{ID: "a", Secret: keyA}, secret.Key{ID: "b", Secret: keyB}
	onlyA := ring("a", a)
	b.db.UseBox(onlyA)

	c := newCase()
	var err error
	c.FilingPasswordSealed, err = onlyA.Seal("Pw-rotation-1")
	require.NoError(t, err)
	b.createCase(t, c)
	corr := &beian.Correction{CaseID: c.ID, Sponsor: c.Sponsor, Principal: c.Principal, FilingPasswordSealed: c.FilingPasswordSealed}
	require.NoError(t, b.db.SaveCorrection(ctx, corr))
	require.NoError(t, b.db.AddBlacklistEntry(ctx, &beian.BlacklistEntry{Kind: "cert_number", Value: "44030019800307779X", Key: "44030019800307779X"}))
	require.NoError(t, b.db.SaveIdempotent(ctx, beian.IdempotentResponse{Actor: "tok", Key: "k", BodyHash: "h", Status: 200, Body: []byte(`{"ok":true}`)}))
	_, err = b.db.QueueMailWithEvents(ctx, beian.Mail{Key: "rot-mail", CaseID: c.ID, To: []string{c.Principal.Email}, Subject: "s"}, nil)
	require.NoError(t, err)
	require.NotContains(t, rawDump(t, ctx, b.db.Pool()), "v2:b:")

	b.db.UseBox(ring("b", bk, a))
	counts, err := b.db.RotateKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, postgres.SealCounts{Cases: 1, Corrections: 1, Blacklist: 1, IdempotentAnswers: 1, Mails: 1}, counts)
	dump := rawDump(t, ctx, b.db.Pool())
	require.NotContains(t, dump, "v2:a:", "nothing is left sealed with the old key")
	require.Contains(t, dump, "v2:b:")
	counts, err = b.db.RotateKeys(ctx)
	require.NoError(t, err)
	require.Zero(t, counts.Total(), "a second rotation has nothing to do")

	onlyB := ring("b", bk)
	b.db.UseBox(onlyB)
	got, err := b.db.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c.Sponsor, got.Sponsor)
	require.Equal(t, c.Principal, got.Principal)
	pw, err := onlyB.Open(got.FilingPasswordSealed)
	require.NoError(t, err)
	require.Equal(t, "Pw-rotation-1", pw)
	gotCorr, err := b.db.GetCorrection(ctx, corr.ID)
	require.NoError(t, err)
	require.Equal(t, c.Principal, gotCorr.Principal)
	pw, err = onlyB.Open(gotCorr.FilingPasswordSealed)
	require.NoError(t, err)
	require.Equal(t, "Pw-rotation-1", pw)
	list, err := b.db.ListBlacklist(ctx)
	require.NoError(t, err)
	require.Equal(t, "44030019800307779X", list[0].Value)
	kept, err := b.db.GetIdempotent(ctx, "k", "tok")
	require.NoError(t, err)
	require.JSONEq(t, `{"ok":true}`, string(kept.Body))
	mail, err := b.db.GetMail(ctx, "rot-mail")
	require.NoError(t, err)
	require.Equal(t, []string{c.Principal.Email}, mail.To)
	// The index key did not change: still found by number.
	open, err := b.db.OpenApplicationOf(ctx, c.Sponsor.CertNumber)
	require.NoError(t, err)
	require.Equal(t, c.ID, open.ID)

	// And A alone opens nothing any more.
	b.db.UseBox(onlyA)
	_, err = b.db.GetCase(ctx, c.ID)
	require.ErrorIs(t, err, secret.ErrCorrupt)
	require.NotContains(t, err.Error(), c.Sponsor.CertNumber)
}

// A new index key takes effect with a rotation: the indexes are computed
// again, and the finds work with the new key.
func TestRotateIndexKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.createCase(t, newCase())
	box, err := secret.NewKeyring(secret.KeyringConfig{Key: "pgtest key: seals test databases only", IndexKey: "a new index key, long enough"})
	require.NoError(t, err)
	b.db.UseBox(box)
	open, err := b.db.OpenApplicationOf(b.ctx, c.Sponsor.CertNumber)
	require.NoError(t, err)
	require.Nil(t, open, "the old index does not match under the new index key")
	counts, err := b.db.RotateKeys(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Cases)
	open, err = b.db.OpenApplicationOf(b.ctx, c.Sponsor.CertNumber)
	require.NoError(t, err)
	require.NotNil(t, open)
}
