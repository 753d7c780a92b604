package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/postgres/pgtest"
)

func TestVerifyAudit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.New(t)
	for range 3 {
		require.NoError(t, db.Audit(ctx, beian.AuditEntry{Actor: "admin", Action: "put_setting"}))
	}
	var out bytes.Buffer
	require.NoError(t, verifyAudit(ctx, db, &out))
	require.Regexp(t, `^审计链完整：3 条，末条哈希 [0-9a-f]{64}（第 3 条）\n$`, out.String())

	tx, err := db.Pool().Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE audit_log SET actor = 'someone else' WHERE id = 2`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	out.Reset()
	require.ErrorContains(t, verifyAudit(ctx, db, &out), "row 2")
	require.Contains(t, out.String(), "第 2 条的内容与其哈希不符")
	require.Contains(t, out.String(), "前 1 条完整")
}
