package postgres_test

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
)

// appendAudit appends n entries by actor, numbered in their detail.
func (b testBundle) appendAudit(t *testing.T, actor string, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, b.db.Audit(b.ctx, beian.AuditEntry{Actor: actor, Action: "put_setting", Target: "setting/x", Detail: fmt.Sprintf("第 %d 次", i)}))
	}
}

// superExec runs sql with the audit log's refusing triggers disabled, as a
// superuser (a DBA) can; the test databases are reached as one.
func (b testBundle) superExec(t *testing.T, sql string, args ...any) {
	t.Helper()
	tx, err := b.db.Pool().Begin(b.ctx)
	require.NoError(t, err)
	defer tx.Rollback(b.ctx)
	_, err = tx.Exec(b.ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = tx.Exec(b.ctx, sql, args...)
	require.NoError(t, err)
	_, err = tx.Exec(b.ctx, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(b.ctx))
}

func (b testBundle) verify(t *testing.T) postgres.AuditVerification {
	t.Helper()
	v, err := b.db.VerifyAuditChain(b.ctx)
	require.NoError(t, err)
	return v
}

func TestAuditChainConcurrentAppends(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Appends from many connections at once, some in the transactions of
	// case creations, must still make one line.
	const writers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if w%4 == 0 && i%10 == 0 {
					errs <- b.db.CreateCase(b.ctx, newCase())
					continue
				}
				errs <- b.db.Audit(b.ctx, beian.AuditEntry{Actor: fmt.Sprintf("w%d", w), Action: "put_setting", Detail: fmt.Sprint(i)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	v := b.verify(t)
	require.True(t, v.OK(), v.Broken)
	require.EqualValues(t, writers*each, v.Rows)
	require.EqualValues(t, writers*each, v.LastID, "ids are the chain's positions, without gaps")

	var distinctPrev int
	require.NoError(t, b.db.Pool().QueryRow(b.ctx, `SELECT count(DISTINCT prev_hash) FROM audit_log`).Scan(&distinctPrev))
	require.Equal(t, writers*each, distinctPrev, "no two rows chain onto the same row")
}

func TestAuditChainDetectsEditedRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.appendAudit(t, "admin", 6)
	require.True(t, b.verify(t).OK())

	b.superExec(t, `UPDATE audit_log SET detail = '第 99 次' WHERE id = 3`)
	v := b.verify(t)
	require.False(t, v.OK())
	require.EqualValues(t, 3, v.BrokenID)
	require.EqualValues(t, 2, v.Rows, "the rows before it fit")
	require.Contains(t, v.Broken, "第 3 条的内容与其哈希不符")

	// An editor who recomputes the edited row's hash breaks the next link.
	b.superExec(t, `UPDATE audit_log SET hash = sha256(prev_hash || audit_log_encode(id, at, kind, actor, action, case_id, target, detail)) WHERE id = 3`)
	v = b.verify(t)
	require.EqualValues(t, 4, v.BrokenID, v.Broken)
	require.Contains(t, v.Broken, "不是第 3 条的哈希")

	// So does one who moves a row's time by a microsecond.
	c := setup(t)
	c.appendAudit(t, "admin", 3)
	c.superExec(t, `UPDATE audit_log SET at = at + interval '1 microsecond' WHERE id = 2`)
	require.EqualValues(t, 2, c.verify(t).BrokenID)
}

func TestAuditChainDetectsDeletedRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.appendAudit(t, "admin", 5)

	b.superExec(t, `DELETE FROM audit_log WHERE id = 2`)
	v := b.verify(t)
	require.EqualValues(t, 3, v.BrokenID)
	require.Contains(t, v.Broken, "删除")

	// The last rows gone: the head still names them.
	c := setup(t)
	c.appendAudit(t, "admin", 5)
	c.superExec(t, `DELETE FROM audit_log WHERE id >= 4`)
	v = c.verify(t)
	require.False(t, v.OK())
	require.EqualValues(t, 3, v.Rows)
	require.Contains(t, v.Broken, "末尾的记录被删除过")

	// The first row gone.
	d := setup(t)
	d.appendAudit(t, "admin", 2)
	d.superExec(t, `DELETE FROM audit_log WHERE id = 1`)
	require.EqualValues(t, 2, d.verify(t).BrokenID)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.appendAudit(t, "admin", 2)

	for _, sql := range []string{
		`UPDATE audit_log SET detail = 'x' WHERE id = 1`,
		`DELETE FROM audit_log WHERE id = 1`,
		`TRUNCATE audit_log`,
	} {
		_, err := b.db.Pool().Exec(b.ctx, sql)
		require.ErrorContains(t, err, "append-only", sql)
	}
	// An insert naming its own id and hashes is chained all the same.
	_, err := b.db.Pool().Exec(b.ctx, `INSERT INTO audit_log (id, kind, actor, action, prev_hash, hash) VALUES (1000, 'admin', 'dba', 'forged', '\x00', '\x00')`)
	require.NoError(t, err)
	v := b.verify(t)
	require.True(t, v.OK(), v.Broken)
	require.EqualValues(t, 3, v.LastID)
}

func TestAuditKindsAndCases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := b.createCase(t, newCase())
	for _, e := range []beian.AuditEntry{
		{Actor: "zhuguan", Action: "reveal", Target: "case/" + cs.ID},
		{Actor: "zhuguan", Action: "reveal", Target: "blacklist"},
		{Actor: "li", Action: "sign_in_failed", Target: "staff/li"},
		{Actor: "li", Action: "sign_out", Target: "staff/li"},
		{Actor: "li", Action: "export_tracking", Target: "tracking.xlsx"},
		{Actor: "li", Action: "download_attachment", Target: cs.ID},
		{Actor: "li", Action: "match_inbound_mail", Target: "00000000-0000-0000-0000-000000000001", Detail: cs.ID},
		{Actor: "admin", Action: "put_setting", Target: "setting/intake_rules"},
		{Actor: "admin", Action: "odd", Target: "case/not-a-uuid"},
	} {
		require.NoError(t, b.db.Audit(b.ctx, e))
	}
	page, err := b.db.ListAudit(b.ctx, beian.AuditFilter{Limit: 200})
	require.NoError(t, err)
	var got []string
	for _, r := range page.Items {
		got = append(got, r.Kind+" "+r.Action+" "+r.CaseID)
	}
	require.Equal(t, []string{
		"admin odd ",
		"admin put_setting ",
		"case match_inbound_mail " + cs.ID,
		"export download_attachment " + cs.ID,
		"export export_tracking ",
		"sign_in sign_out ",
		"sign_in sign_in_failed ",
		"reveal reveal ",
		"reveal reveal " + cs.ID,
		"state created " + cs.ID,
	}, got)
	created := page.Items[len(page.Items)-1]
	require.Equal(t, cs.CreatedBy, created.Actor)
	require.Contains(t, created.Detail, cs.CaseNo)
	require.NotContains(t, created.Detail, cs.Sponsor.CertNumber)
}

func TestAuditStateChangeInTransition(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := b.createCase(t, newCase())
	cs.Status = beian.StatusBureauReview
	tr := &beian.Transition{Seq: 2, Case: cs, Event: beian.Event{Event: "submitted", Actor: "li", Detail: "提交管局"}}
	applied, err := b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)
	require.True(t, applied)
	// A retried transition writes nothing, in the trail neither.
	applied, err = b.db.SaveTransition(b.ctx, tr)
	require.NoError(t, err)
	require.False(t, applied)

	page, err := b.db.ListAudit(b.ctx, beian.AuditFilter{CaseID: cs.ID, Kind: beian.AuditState})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.Equal(t, "submitted", page.Items[0].Action)
	require.Equal(t, "li", page.Items[0].Actor)
	require.Equal(t, cs.CaseNo+" → "+beian.StatusBureauReview.Title()+"（第 2 步）", page.Items[0].Detail)
	require.True(t, b.verify(t).OK())
}

func TestListAuditFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	for i := range 7 {
		actor := "wang"
		if i%2 == 1 {
			actor = "li"
		}
		require.NoError(t, b.db.Audit(b.ctx, beian.AuditEntry{At: base.Add(time.Duration(i) * time.Hour), Actor: actor, Action: "put_setting", Detail: fmt.Sprint(i)}))
	}
	details := func(f beian.AuditFilter) ([]string, string) {
		t.Helper()
		page, err := b.db.ListAudit(b.ctx, f)
		require.NoError(t, err)
		var out []string
		for _, r := range page.Items {
			out = append(out, r.Detail)
		}
		return out, page.NextCursor
	}
	got, _ := details(beian.AuditFilter{Actor: "li"})
	require.Equal(t, []string{"5", "3", "1"}, got)
	from, to := base.Add(2*time.Hour), base.Add(5*time.Hour)
	got, _ = details(beian.AuditFilter{From: &from, To: &to})
	require.Equal(t, []string{"4", "3", "2"}, got, "from inclusive, to exclusive")

	got, next := details(beian.AuditFilter{Limit: 3})
	require.Equal(t, []string{"6", "5", "4"}, got)
	got, next = details(beian.AuditFilter{Limit: 3, Cursor: next})
	require.Equal(t, []string{"3", "2", "1"}, got)
	got, next = details(beian.AuditFilter{Limit: 3, Cursor: next})
	require.Equal(t, []string{"0"}, got)
	require.Empty(t, next)

	for _, f := range []beian.AuditFilter{{Kind: "nonsense"}, {CaseID: "BA-1"}, {Cursor: "!!"}, {Cursor: "MTIz"}, {Limit: 201}} {
		_, err := b.db.ListAudit(b.ctx, f)
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), "%+v: %v", f, err)
	}
}

// TestAuditMigrationChainsExistingRows applies the migrations up to 015,
// writes audit rows as the code before 016 did, then applies 016: the rows
// are classified and chained, and the chain verifies; 016 also goes down.
func TestAuditMigrationChainsExistingRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewURL(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	_, err = db.Pool().Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	m, err := migrate.NewMigrator(ctx, conn, "schema_version")
	require.NoError(t, err)
	require.NoError(t, m.LoadMigrations(os.DirFS("migrations")))
	require.NoError(t, m.MigrateTo(ctx, 15))

	caseID := "0b6f4a4e-6a33-4c59-9d3c-3a0c4c6b2f10"
	_, err = conn.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES
		('2026-03-02 09:30:15.123456+08', 'zhuguan', 'reveal', 'case/`+caseID+`', '查看'),
		(now(), 'li', 'sign_in', 'staff/li', '登录'),
		(now(), 'li', 'export_tracking', 'tracking.xlsx', '省份：全部'),
		(now(), 'admin', 'put_setting', 'setting/intake_rules', '')`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `DELETE FROM audit_log WHERE action = 'sign_in'`) // a gap, as a rollback leaves
	require.NoError(t, err)

	require.NoError(t, m.MigrateTo(ctx, 16))
	v, err := db.VerifyAuditChain(ctx)
	require.NoError(t, err)
	require.True(t, v.OK(), v.Broken)
	require.EqualValues(t, 3, v.Rows)

	require.NoError(t, db.Audit(ctx, beian.AuditEntry{Actor: "admin", Action: "put_setting"}))
	page, err := db.ListAudit(ctx, beian.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 4)
	require.EqualValues(t, 5, page.Items[0].ID, "after the last id there was")
	require.Equal(t, []string{"admin", "export", "reveal"}, []string{page.Items[1].Kind, page.Items[2].Kind, page.Items[3].Kind})
	require.Equal(t, caseID, page.Items[3].CaseID)
	v, err = db.VerifyAuditChain(ctx)
	require.NoError(t, err)
	require.True(t, v.OK(), v.Broken)

	require.NoError(t, m.MigrateTo(ctx, 15))
	_, err = conn.Exec(ctx, `INSERT INTO audit_log (actor, action) VALUES ('admin', 'after down')`)
	require.NoError(t, err)
	require.NoError(t, m.MigrateTo(ctx, 16))
	v, err = db.VerifyAuditChain(ctx)
	require.NoError(t, err)
	require.True(t, v.OK(), v.Broken)
	require.EqualValues(t, 5, v.Rows)
}
