package devenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTemporalServerBinariesArePinned(t *testing.T) {
	t.Parallel()
	server, sqlTool, err := TemporalServerBinaries("..") // builds them when missing: never a skip
	require.NoError(t, err)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "bin", "temporal-server"), server)
	require.Equal(t, filepath.Join(root, "bin", "temporal-sql-tool"), sqlTool)

	want, err := pinnedVersion(filepath.Join("..", "tools", "go.mod"), temporalServerModule)
	require.NoError(t, err)
	require.Regexp(t, `^v1\.\d+\.\d+`, want)
	require.Equal(t, want, moduleVersion(server, temporalServerModule))
	require.Equal(t, want, moduleVersion(sqlTool, temporalServerModule))
	// The server is the one the CLI embeds, so that both topologies run the same code.
	require.Equal(t, moduleVersion(temporalCLI(t), temporalServerModule), want,
		"tools/go.mod must pin %s at the version the Temporal CLI embeds", temporalServerModule)
}

func TestFreeServerPorts(t *testing.T) {
	t.Parallel()
	p, err := freeServerPorts()
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, port := range p.list() {
		require.GreaterOrEqual(t, port, 10000)
		require.LessOrEqual(t, port, 32767, "PostgreSQL keeps membership ports in a smallint")
		require.False(t, seen[port], "port %d chosen twice", port)
		seen[port] = true
	}
	require.Len(t, seen, 9)
	require.True(t, p.allFree())
	p.History = 40000
	require.False(t, p.allFree(), "a port above 32767 must not be reused")
}

func TestSearchAttributeProbe(t *testing.T) {
	t.Parallel()
	names, q, err := searchAttributeProbe(map[string]string{"B": "Datetime", "A": "Keyword", "C": "Int"})
	require.NoError(t, err)
	require.Equal(t, []string{"A", "B", "C"}, names)
	require.Equal(t, "A = 'devenv-probe' OR B > '2000-01-01T00:00:00Z' OR C = 0", q)
	_, _, err = searchAttributeProbe(map[string]string{"X": "Date"})
	require.ErrorContains(t, err, `unknown type "Date"`)
}

func TestCompactServerLog(t *testing.T) {
	t.Parallel()
	in := "2026/01/01 Loading config\n" +
		`{"level":"fatal","ts":"2026-01-01T00:00:00Z","msg":"boom","error":"out of range","logging-call-at":"x.go:1","stacktrace":"very\nlong"}` + "\n"
	require.Equal(t, "2026/01/01 Loading config\n2026-01-01T00:00:00Z fatal \"boom\" error=out of range\n", compactServerLog(in))
}

func TestEnsureTemporalServerRejectsBadOptions(t *testing.T) {
	t.Parallel()
	_, err := EnsureTemporalServer(t.Context(), TemporalServerOptions{Root: "..", DatabaseURL: LocalPostgresURL, DBSuffix: "Bad-Name"})
	require.ErrorContains(t, err, "database suffix")
	_, err = EnsureTemporalServer(t.Context(), TemporalServerOptions{Root: "..", DatabaseURL: LocalPostgresURL, SearchAttributes: map[string]string{"X": "Date"}})
	require.ErrorContains(t, err, "unknown type")
	_, err = EnsureTemporalServer(t.Context(), TemporalServerOptions{Root: ".."})
	require.ErrorContains(t, err, "DatabaseURL")
}

// TestEnsureTemporalServerAgain is what `devenv temporal-server` does on a
// second run: the databases and the schema exist, the ports are remembered.
func TestEnsureTemporalServerAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		var err error
		databaseURL, err = EnsurePostgres(ctx, testDataDir(t), testLogger(t))
		require.NoError(t, err)
	}
	suffix := fmt.Sprintf("devenv_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	t.Cleanup(func() { require.NoError(t, DropTemporalDatabases(context.Background(), databaseURL, suffix)) })
	opts := TemporalServerOptions{
		Root:             "..",
		DatabaseURL:      databaseURL,
		DBSuffix:         suffix,
		Dir:              t.TempDir(),
		NumHistoryShards: 2,
		SearchAttributes: map[string]string{"BeianDomain": "Keyword", "BeianBureauDue": "Datetime"},
		Log:              testLogger(t),
	}
	first, err := EnsureTemporalServer(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = first.Stop() })
	require.Equal(t, "temporal_"+suffix, first.DB)
	require.Equal(t, "temporal_visibility_"+suffix, first.VisibilityDB)
	require.FileExists(t, filepath.Join(opts.Dir, "config", "beian.yaml"))
	require.FileExists(t, filepath.Join(opts.Dir, "config", "dynamicconfig.yaml"))
	require.NoError(t, first.Stop())
	require.NoError(t, first.Stop(), "stopping twice is fine")
	<-first.Done()

	second, err := EnsureTemporalServer(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.Stop() })
	require.Equal(t, first.Ports, second.Ports, "the remembered ports are reused")
	require.Equal(t, first.Addr, second.Addr)
	require.NoError(t, second.Err(), "it runs")
	require.NoError(t, second.Kill())
	require.Error(t, second.Err(), "it was killed")
	require.NoError(t, second.Start(ctx))
	require.NoError(t, second.Stop())
}

// A port taken by another program: with fixed ports the error says so (with
// chosen ports EnsureTemporalServer retries on new ones).
func TestEnsureTemporalServerPortTaken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		var err error
		databaseURL, err = EnsurePostgres(ctx, testDataDir(t), testLogger(t))
		require.NoError(t, err)
	}
	suffix := fmt.Sprintf("devenv_taken_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	t.Cleanup(func() { require.NoError(t, DropTemporalDatabases(context.Background(), databaseURL, suffix)) })
	ports, err := freeServerPorts()
	require.NoError(t, err)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.History)))
	require.NoError(t, err)
	defer l.Close()
	_, err = EnsureTemporalServer(ctx, TemporalServerOptions{
		Root: "..", DatabaseURL: databaseURL, DBSuffix: suffix, Dir: t.TempDir(), Ports: &ports, Log: testLogger(t),
	})
	t.Logf("the error: %v", err)
	require.ErrorContains(t, err, "address already in use")
}
