package postgres_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
)

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewURL(t)

	// Drop the schema pgtest made, so that the processes below race on an empty database.
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	_, err = db.Pool().Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)

	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			other, err := postgres.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer other.Close()
			errs <- other.Migrate(ctx)
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	// And once more, after the fact: nothing to do.
	require.NoError(t, db.Migrate(ctx))

	var version int
	require.NoError(t, db.Pool().QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version))
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.Equal(t, len(files), version, "every migration is applied")
	require.Len(t, files, 17, "a new migration is counted here: check that its tables exist below")
	var chainHead int // 016 (issue 12 §3): the audit chain's head
	require.NoError(t, db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_chain_head`).Scan(&chainHead))
	require.Equal(t, 1, chainHead)
	var tables int
	require.NoError(t, db.Pool().QueryRow(ctx,
		`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
		 AND tablename IN ('cases', 'staff', 'staff_sessions', 'login_failures')`).Scan(&tables))
	require.Equal(t, 4, tables)
	var addressed int
	require.NoError(t, db.Pool().QueryRow(ctx,
		`SELECT count(*) FROM information_schema.columns WHERE table_name = 'access_actions' AND column_name = 'addressed_to'`).Scan(&addressed))
	require.Equal(t, 1, addressed, "011 adds access_actions.addressed_to")
	var filer int
	require.NoError(t, db.Pool().QueryRow(ctx,
		`SELECT count(*) FROM information_schema.columns WHERE (table_name = 'cases' AND column_name IN ('sms_verification', 'public_security'))
		 OR (table_name = 'mail_outbox' AND column_name IN ('in_reply_to', 'reply_to'))
		 OR (table_name = 'inbound_mail' AND column_name IN ('alerted_at', 'escalated_at', 'watched', 'auto_submitted'))`).Scan(&filer))
	require.Equal(t, 8, filer, "015 adds the filer steps and the mail threading columns")
	var sealed int // 017 (issue 12 §2): the blind-index columns
	require.NoError(t, db.Pool().QueryRow(ctx,
		`SELECT count(*) FROM information_schema.columns WHERE table_name = 'cases' AND column_name IN ('sponsor_cert_index', 'pii_indexes')`).Scan(&sealed))
	require.Equal(t, 2, sealed, "017 adds the blind indexes of cases")
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://postgres:secret-password@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret-password", "errors do not leak the password")
}
