package devenv

import (
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// testDataDir is a fresh data dir that the unprivileged account PostgreSQL
// runs as (when the tests run as root) can reach: t.TempDir's parent is 0700.
func testDataDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

func queryInt(t *testing.T, databaseURL, sql string) int {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, databaseURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, sql).Scan(&n))
	return n
}

func TestEnsurePostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testDataDir(t)
	localUp := PingPostgres(ctx, LocalPostgresURL) == nil

	got, err := EnsurePostgres(ctx, dir, testLogger(t))
	require.NoError(t, err)
	if localUp {
		require.Equal(t, LocalPostgresURL, got, "the local server answers, so it must be used")
		require.NoDirExists(t, filepath.Join(dir, "pg"), "no private cluster when the local server answers")
	} else {
		t.Cleanup(func() { require.NoError(t, StopPostgres(dir)) })
		require.NotEqual(t, LocalPostgresURL, got)
	}
	require.Equal(t, 2, queryInt(t, got, "SELECT 1 + 1"))
}

// TestEnsurePrivatePostgres exercises the path taken on a machine where no
// server runs on 5432: initdb, start, reuse while running, stop, restart on
// the remembered port with the data kept, stop.
func TestEnsurePrivatePostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testDataDir(t)
	log := testLogger(t)
	t.Cleanup(func() { _ = StopPostgres(dir) })

	first, err := EnsurePrivatePostgres(ctx, dir, log)
	require.NoError(t, err)
	require.NotEqual(t, LocalPostgresURL, first)
	u, err := url.Parse(first)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", u.Hostname())
	require.Equal(t, "postgres", u.User.Username())

	portFile, err := os.ReadFile(filepath.Join(dir, "pg", "port"))
	require.NoError(t, err, "the cluster must live under dataDir/pg and remember its port")
	require.Equal(t, u.Port(), strings.TrimSpace(string(portFile)))
	require.FileExists(t, filepath.Join(dir, "pg", "data", "PG_VERSION"))
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(dir, "pg", "data"))
		require.NoError(t, err)
		require.NotZero(t, fi.Sys().(*syscall.Stat_t).Uid, "as root the cluster must belong to an unprivileged user")
	}

	// The server outlives the call that started it and keeps data.
	conn, err := pgx.Connect(ctx, first)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	again, err := EnsurePrivatePostgres(ctx, dir, log)
	require.NoError(t, err)
	require.Equal(t, first, again, "a running cluster is reused")

	require.NoError(t, StopPostgres(dir))
	require.Error(t, PingPostgres(ctx, first), "StopPostgres must stop the server")
	require.NoError(t, StopPostgres(dir), "stopping a stopped cluster is not an error")

	restarted, err := EnsurePrivatePostgres(ctx, dir, log)
	require.NoError(t, err)
	require.Equal(t, first, restarted, "a restart reuses the remembered port")
	require.Equal(t, 42, queryInt(t, restarted, "SELECT n FROM kept"))

	require.NoError(t, StopPostgres(dir))
	require.Error(t, PingPostgres(ctx, restarted))
}

// TestEnsurePrivatePostgresUnreachableDir: as root, a data dir that the
// cluster's account cannot enter (under a 0700 directory, like /root) moves the
// cluster to the temp dir, and StopPostgres still finds it there.
func TestEnsurePrivatePostgresUnreachableDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another account")
	}
	t.Parallel()
	ctx := t.Context()
	locked := t.TempDir()
	require.NoError(t, os.Chmod(locked, 0o700))
	dir := filepath.Join(locked, "data")
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	fb := fallbackDir(abs)
	t.Cleanup(func() {
		_ = StopPostgres(dir)
		_ = os.RemoveAll(fb)
	})

	got, err := EnsurePrivatePostgres(ctx, dir, testLogger(t))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(fb, "data", "PG_VERSION"))
	require.NoDirExists(t, filepath.Join(dir, "pg"))
	require.Equal(t, 1, queryInt(t, got, "SELECT 1"))

	again, err := EnsurePrivatePostgres(ctx, dir, testLogger(t))
	require.NoError(t, err)
	require.Equal(t, got, again)
	require.NoError(t, StopPostgres(dir))
	require.Error(t, PingPostgres(ctx, got))
}

func TestEnsurePrivatePostgresSaysWhatIsMissing(t *testing.T) {
	// Not parallel: it changes PATH and the search places.
	saved := pgBinGlobs
	t.Cleanup(func() { pgBinGlobs = saved })
	pgBinGlobs = []string{filepath.Join(t.TempDir(), "*", "bin")}
	t.Setenv("PATH", t.TempDir())

	_, err := EnsurePrivatePostgres(t.Context(), t.TempDir(), testLogger(t))
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrPostgresNotInstalled), "got %v", err)
	require.Contains(t, err.Error(), "apt-get install postgresql")
	require.Contains(t, err.Error(), "initdb")
}

func TestStopPostgresWithoutCluster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, StopPostgres(dir))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "stopping nothing creates nothing")
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	p, err := FreePort()
	require.NoError(t, err)
	require.Greater(t, p, 1023)
	require.True(t, portFree(p), "port %s must be free", strconv.Itoa(p))
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	got := RedactURL("postgres://beian:s3cret@db:5432/beian?sslmode=disable")
	require.NotContains(t, got, "s3cret")
	require.Contains(t, got, "db:5432/beian")
}
