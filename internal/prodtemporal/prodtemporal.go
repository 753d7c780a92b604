// Package prodtemporal runs, for a test, the Temporal server in its
// production topology instead of the CLI's dev server: bin/temporal-server
// (server 1.29.x, the version the Temporal CLI embeds, built from the tools/
// module) with persistence and visibility on PostgreSQL, schemas set up by
// bin/temporal-sql-tool, several history shards. Each Start makes two fresh
// databases on the server of $DATABASE_URL and drops them at cleanup; the
// server can be stopped, killed and restarted on them mid-test.
//
// The main module never imports go.temporal.io/server: the server is a child
// process (see devenv.EnsureTemporalServer).
package prodtemporal

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/beian/beian/devenv"
	"github.com/beian/beian/workflows"
)

// Options tune Start; the zero value is beian's setup.
type Options struct {
	// NumHistoryShards, default 4.
	NumHistoryShards int
	// SearchAttributes registered in the namespace; nil: beian's
	// (workflows.SearchAttributeTypes).
	SearchAttributes map[string]string
	// DynamicConfig adds to or overrides the server's dynamic config.
	DynamicConfig map[string]any
	// LogLevel of the server's log (kept in a temporary directory, its tail
	// printed when the test fails): default warn.
	LogLevel string
}

// Server is a Temporal server started by Start for one test.
type Server struct {
	srv         *devenv.TemporalServer
	databaseURL string
	suffix      string
}

var seq atomic.Int64

// Start builds bin/temporal-server and bin/temporal-sql-tool if needed,
// makes fresh databases temporal_<suffix> and temporal_visibility_<suffix>
// on the PostgreSQL server of $DATABASE_URL, and starts the server on free
// ports of 127.0.0.1 with namespace "default" and the search attributes
// registered. At cleanup it stops the server (printing the tail of its log
// if the test failed) and drops the databases. Without DATABASE_URL the test
// is skipped, saying so; any other problem fails it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		t.Skip("prodtemporal: DATABASE_URL is not set, so there is no PostgreSQL for the production Temporal server: " +
			"run `make test-prod`, or export DATABASE_URL=\"$(go run ./cmd/devenv postgres)\"")
	}
	root := repoRoot(t)
	attrs := opts.SearchAttributes
	if attrs == nil {
		attrs = workflows.SearchAttributeTypes
	}
	s := &Server{
		databaseURL: databaseURL,
		suffix:      fmt.Sprintf("t%d_%d_%04x", os.Getpid(), seq.Add(1), rand.IntN(1<<16)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // includes a first build
	defer cancel()
	var err error
	s.srv, err = devenv.EnsureTemporalServer(ctx, devenv.TemporalServerOptions{
		Root:             root,
		DatabaseURL:      databaseURL,
		DBSuffix:         s.suffix,
		Dir:              t.TempDir(),
		NumHistoryShards: opts.NumHistoryShards,
		SearchAttributes: attrs,
		DynamicConfig:    opts.DynamicConfig,
		LogLevel:         opts.LogLevel,
		StartTimeout:     2 * time.Minute,
		Log:              testLogger(t),
	})
	// Registered even when the start failed: the databases may exist.
	t.Cleanup(func() {
		if s.srv != nil {
			if err := s.srv.Stop(); err != nil {
				t.Errorf("prodtemporal: stop the Temporal server: %v", err)
			}
			if t.Failed() {
				t.Logf("prodtemporal: last lines of the Temporal server's log %s:\n%s", s.srv.LogFile, s.srv.LogTail(40))
			}
		}
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := devenv.DropTemporalDatabases(dctx, databaseURL, s.suffix); err != nil {
			t.Errorf("prodtemporal: drop the Temporal databases: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("prodtemporal: start the Temporal server on PostgreSQL %s: %v", devenv.RedactURL(databaseURL), err)
	}
	return s
}

// Address is the frontend's host:port.
func (s *Server) Address() string { return s.srv.Addr }

// Namespace is the namespace that was made ready: "default".
func (s *Server) Namespace() string { return s.srv.Namespace }

// Databases are the names of the server's persistence and visibility
// databases.
func (s *Server) Databases() (persistence, visibility string) {
	return s.srv.DB, s.srv.VisibilityDB
}

// DatabaseURL is $DATABASE_URL pointed at database db (one of Databases),
// for tests that look at what the server stored.
func (s *Server) DatabaseURL(t testing.TB, db string) string {
	t.Helper()
	u, err := url.Parse(s.databaseURL)
	if err != nil || u.Scheme == "" {
		t.Fatalf("prodtemporal: DATABASE_URL is not a URL: %v", err)
	}
	u.Path = "/" + db
	return u.String()
}

// LogFile is the server's log (all its runs).
func (s *Server) LogFile() string { return s.srv.LogFile }

// Client dials the frontend in the server's namespace; it is closed at
// cleanup. Like any SDK client it reconnects by itself across restarts.
func (s *Server) Client(t testing.TB) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  s.srv.Addr,
		Namespace: s.srv.Namespace,
		Logger:    tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("prodtemporal: dial %s: %v", s.srv.Addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// Stop shuts the server down cleanly (SIGTERM; SIGKILL after 30 seconds).
// The databases stay for Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.srv.Stop(); err != nil {
		t.Fatalf("prodtemporal: %v", err)
	}
}

// Kill ends the server at once (SIGKILL), like a crash.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.srv.Kill(); err != nil {
		t.Fatalf("prodtemporal: %v", err)
	}
}

// Start runs the server again after Stop or Kill, on the same databases and
// ports, and waits until it is ready.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.srv.Start(ctx); err != nil {
		t.Fatalf("prodtemporal: restart the Temporal server: %v", err)
	}
}

// Restart is Stop then Start.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Start(t)
}

// testLogger sends devenv's progress to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// repoRoot is the directory of the main go.mod, found from the working
// directory (a test runs in its package's directory).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/beian/beian\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("prodtemporal: cannot find the repository root (go.mod of github.com/beian/beian)")
		}
		dir = parent
	}
}
