package devenv

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// temporalCLI is the binary `make test` passes in BEIAN_TEMPORAL_CLI, or
// bin/temporal, built here when missing: never a skip.
func temporalCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BEIAN_TEMPORAL_CLI"); p != "" {
		return p
	}
	p, err := TemporalCLI("..")
	require.NoError(t, err)
	return p
}

func TestTemporalCLIIsThePinnedVersion(t *testing.T) {
	t.Parallel()
	cli := temporalCLI(t)
	want, err := pinnedVersion(filepath.Join("..", "tools", "go.mod"), temporalCLIModule)
	require.NoError(t, err)
	require.Regexp(t, `^v\d+\.\d+\.\d+`, want)
	require.Equal(t, want, builtVersion(cli), "%s must be built from the CLI version tools/go.mod pins", cli)

	root, err := filepath.Abs("..")
	require.NoError(t, err)
	got, err := TemporalCLI(root)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "bin", "temporal"), got)
}

func TestStartTemporal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cli := temporalCLI(t)
	attrs := map[string]string{
		"BeianDomain":    "Keyword",
		"BeianProvince":  "Keyword",
		"BeianStatus":    "Keyword",
		"BeianCaseNo":    "Keyword",
		"BeianBureauDue": "Datetime",
	}
	// The dev server also opens ports derived from the frontend port; with
	// many servers starting in parallel tests one of them can be taken. A
	// server that exits before it is ready is retried on fresh ports.
	var (
		p       *Process
		port    int
		err     error
		tries   int
		dataDir string
	)
	for tries = 1; tries <= 3; tries++ {
		var uiPort int
		port, err = FreePort()
		require.NoError(t, err)
		uiPort, err = FreePort()
		require.NoError(t, err)
		dataDir = t.TempDir()
		p, err = StartTemporal(ctx, cli, dataDir, port, uiPort, attrs, testLogger(t))
		if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
			break
		}
		t.Logf("dev server attempt %d exited early, retrying on fresh ports: %v", tries, err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop() })
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(port), p.Addr)

	c, err := client.DialContext(ctx, client.Options{HostPort: p.Addr, Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	want := map[string]enums.IndexedValueType{
		"BeianDomain":    enums.INDEXED_VALUE_TYPE_KEYWORD,
		"BeianProvince":  enums.INDEXED_VALUE_TYPE_KEYWORD,
		"BeianStatus":    enums.INDEXED_VALUE_TYPE_KEYWORD,
		"BeianCaseNo":    enums.INDEXED_VALUE_TYPE_KEYWORD,
		"BeianBureauDue": enums.INDEXED_VALUE_TYPE_DATETIME,
	}
	for name, typ := range want {
		require.Equal(t, typ, resp.GetCustomAttributes()[name], "search attribute %s", name)
	}

	res, err := http.Get(p.UIURL)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the Web UI answers at %s", p.UIURL)

	require.FileExists(t, filepath.Join(dataDir, "temporal.db"))
	require.NoError(t, p.Stop())
	select {
	case <-p.Done():
	default:
		t.Fatal("Stop returned before the server exited")
	}
	_, err = net.DialTimeout("tcp", p.Addr, time.Second)
	require.Error(t, err, "nothing listens on the frontend port after Stop")
	require.NoError(t, p.Stop(), "a second Stop is harmless")
}

// TestStartTemporalPortTaken: when the port is in use the server cannot
// start, and the error shows why instead of waiting for the timeout.
func TestStartTemporalPortTaken(t *testing.T) {
	t.Parallel()
	cli := temporalCLI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	start := time.Now()
	_, err = StartTemporal(t.Context(), cli, t.TempDir(), port, 0, nil, testLogger(t))
	require.Error(t, err)
	require.Contains(t, err.Error(), "exited before it was ready")
	require.Contains(t, err.Error(), "address already in use", "the server's own words must be in the error")
	require.Less(t, time.Since(start), 90*time.Second)
	t.Log(err)
}

func TestStartTemporalRejectsUnknownType(t *testing.T) {
	t.Parallel()
	_, err := StartTemporal(t.Context(), "/nonexistent/temporal", t.TempDir(), 7233, 0, map[string]string{"BeianDomain": "String"}, nil)
	require.ErrorContains(t, err, `unknown type "String"`)
}
