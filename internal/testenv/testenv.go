// Package testenv starts the real services tests run against: the Temporal
// dev server (bin/temporal, built from tools/), with beian's search
// attributes registered. Postgres comes from postgres/pgtest.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/beian/beian/workflows"
)

// RepoRoot is the directory of the main go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && len(b) > 0 &&
			containsModule(string(b), "module github.com/beian/beian\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: cannot find the repository root (go.mod of github.com/beian/beian)")
		}
		dir = parent
	}
}

func containsModule(gomod, line string) bool {
	return len(gomod) >= len(line) && gomod[:len(line)] == line
}

// TemporalCLI is the path of the Temporal CLI: $BEIAN_TEMPORAL_CLI or
// bin/temporal. A missing binary fails the test with what to run.
func TemporalCLI(t testing.TB) string {
	t.Helper()
	p := os.Getenv("BEIAN_TEMPORAL_CLI")
	if p == "" {
		p = filepath.Join(RepoRoot(t), "bin", "temporal")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: Temporal CLI not found at %s: run `make tools` (or `make test`, which builds it)", p)
	}
	return p
}

// SearchAttributes are beian's search attributes, for registration.
func SearchAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		workflows.SADomain.ValueSet(""), workflows.SAProvince.ValueSet(""), workflows.SABureauProvince.ValueSet(""),
		workflows.SAStatus.ValueSet(""), workflows.SACaseNo.ValueSet(""), workflows.SABureauDue.ValueSet(time.Time{}),
	)
}

// Temporal starts a fresh dev server for the test and stops it at cleanup.
func Temporal(t testing.TB) *testsuite.DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The dev server opens several ports; with many starting in parallel one
	// can be taken between choosing and binding it: retry on fresh ports.
	var srv *testsuite.DevServer
	var err error
	for try := 1; try <= 3; try++ {
		srv, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:     TemporalCLI(t),
			SearchAttributes: SearchAttributes(),
			LogLevel:         "error",
			ClientOptions:    &client.Options{Namespace: "default"},
		})
		if err == nil {
			break
		}
		t.Logf("testenv: dev server attempt %d failed, retrying: %v", try, err)
	}
	if err != nil {
		t.Fatalf("testenv: start Temporal dev server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}
