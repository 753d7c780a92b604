//go:build prod

package prodtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/beian/beian/devenv"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/internal/testenv"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// Tokens of the API process.
const (
	tokSpecialist = "prod-specialist-token"
	tokSupervisor = "prod-supervisor-token"
	tokTech       = "prod-tech-token"
	tokBureau     = "prod-bureau-token"
)

// topo is one production topology: a private PostgreSQL cluster, the
// Temporal server on it, an SMTP receiver, a network-control receiver, and
// beian's API and worker processes.
type topo struct {
	t       *testing.T
	root    string
	pgDir   string
	pgURL   string // the cluster's postgres database
	dbURL   string // beian's database
	db      *postgres.DB
	ts      *devenv.TemporalServer
	tc      client.Client
	mail    *catcher.Catcher
	smtp    string // host:port, kept across a restart of the receiver
	hook    *hook
	bin     string
	apiAddr string
	api     *proc
	workers []*proc
	env     []string
}

type topoOptions struct {
	// Env adds settings of the beian processes (BEIAN_PURGE_AFTER=…).
	Env []string
}

var buildOnce sync.Once
var buildErr error

// beianBinary builds bin/beian-prodtest once per run (the real binary).
func beianBinary(t *testing.T, root string) string {
	bin := filepath.Join(root, "bin", "beian-prodtest")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/beian")
		cmd.Dir, cmd.Env = root, append(os.Environ(), "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/beian: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return bin
}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// startTopo starts everything; it stops at the end of the test.
func startTopo(t *testing.T, o topoOptions) *topo {
	t.Helper()
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	tp := &topo{t: t, root: root, pgDir: filepath.Join(t.TempDir(), "pg")}
	var err error
	tp.pgURL, err = devenv.EnsurePrivatePostgres(ctx, tp.pgDir, logger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = devenv.StopPostgres(tp.pgDir) })
	conn, err := pgx.Connect(ctx, tp.pgURL)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE DATABASE beian")
	require.NoError(t, err)
	_ = conn.Close(ctx)
	tp.dbURL = strings.Replace(tp.pgURL, "/postgres?", "/beian?", 1)
	tp.db, err = postgres.Open(ctx, tp.dbURL)
	require.NoError(t, err)
	t.Cleanup(tp.db.Close)
	// issue 12 §2: the test reads cases the processes sealed with their
	// BEIAN_SECRET_KEY (below): the same key opens them here.
	box, err := secret.NewBox("prod test key, long enough to stretch")
	require.NoError(t, err)
	tp.db.UseBox(box)
	require.NoError(t, tp.db.Migrate(ctx))
	require.NoError(t, tp.db.ReplaceDataCentres(ctx, stack.DataCentres(), "test"))
	require.NoError(t, tp.db.PutCustomers(ctx, stack.Customers(), "test"))

	tp.ts, err = devenv.EnsureTemporalServer(ctx, devenv.TemporalServerOptions{
		Root: root, DatabaseURL: tp.pgURL, DBSuffix: "prodtest", Dir: filepath.Join(t.TempDir(), "temporal"),
		NumHistoryShards: 4, SearchAttributes: workflows.SearchAttributeTypes, Log: logger(t),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tp.ts.Stop() })
	tp.tc, err = client.Dial(client.Options{HostPort: tp.ts.Addr})
	require.NoError(t, err)
	t.Cleanup(tp.tc.Close)

	tp.startMail()
	tp.hook = startHook(t)
	tp.bin = beianBinary(t, root)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tp.apiAddr = ln.Addr().String()
	_ = ln.Close()
	tp.env = append([]string{
		"DATABASE_URL=" + tp.dbURL,
		"TEMPORAL_ADDRESS=" + tp.ts.Addr,
		"SMTP_URL=smtp://" + tp.smtp,
		"MAIL_FROM=beian@prod.test",
		"BEIAN_SECRET_KEY=prod test key, long enough to stretch",
		"BEIAN_API_TOKENS=李专员:specialist:" + tokSpecialist + ",王主管:supervisor:" + tokSupervisor + ",技术部:tech:" + tokTech + ",管局接口:bureau:" + tokBureau,
		"BEIAN_ACCESS_WEBHOOK_URL=" + tp.hook.srv.URL,
		"BEIAN_ACCESS_WEBHOOK_SECRET=prod-hook-secret",
		"BEIAN_STAFF_ALERTS=supervisor@prod.test",
		"BEIAN_TECH_MAILBOX=tech@prod.test",
		"BEIAN_SWEEP_HOMEPAGES=false",
		"DNS_RESOLVERS=127.0.0.1:1", // nothing answers: the sweep classifies unresolved, never cuts
		"LOG_LEVEL=info",
		"HTTP_ADDR=" + tp.apiAddr,
	}, o.Env...)
	tp.api = tp.start("api", "api")
	tp.waitReady()
	tp.workers = append(tp.workers, tp.start("worker", "worker", "HEALTH_ADDR=127.0.0.1:0"))
	return tp
}

// startMail (re)starts the SMTP receiver on the same address.
func (tp *topo) startMail() {
	addr := tp.smtp
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var err error
	for i := 0; i < 50; i++ { // the old listener's port may linger a moment
		if tp.mail, err = catcher.Start(addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(tp.t, err)
	tp.smtp = tp.mail.Addr()
	tp.t.Cleanup(func() { _ = tp.mail.Close() })
}

// proc is one beian process.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func (tp *topo) start(name, role string, env ...string) *proc {
	tp.t.Helper()
	logFile := filepath.Join(tp.t.TempDir(), name+".log")
	f, err := os.Create(logFile)
	require.NoError(tp.t, err)
	cmd := exec.Command(tp.bin, role)
	cmd.Env = append(append(append([]string{}, os.Environ()...), tp.env...), env...)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(tp.t, cmd.Start())
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() { _ = cmd.Wait(); _ = f.Close(); close(p.done) }()
	tp.t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM, as an orchestrator does, and waits.
func (p *proc) stop(t *testing.T, within time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("%s did not stop within %s of SIGTERM", p.name, within)
	}
}

// logText is the process's log so far.
func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitReady waits for the API's /readyz (the worker is not needed yet).
func (tp *topo) waitReady() {
	tp.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + tp.apiAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	tp.t.Fatalf("the API did not come up; its log:\n%s", tp.api.logText())
}

// answer is one API response.
type answer struct {
	Status int
	Body   map[string]any
	Raw    string
	Err    error
}

func (a answer) str(path ...string) string {
	var cur any = a.Body
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	if cur == nil {
		return ""
	}
	return fmt.Sprint(cur)
}

var httpClient = &http.Client{Timeout: 40 * time.Second}

// call calls the API; a network error is an answer too (Status 0).
func (tp *topo) call(method, path, token string, body any, key string) answer {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, "http://"+tp.apiAddr+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{Err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

// hook is network control's receiver: it answers 200, 500, or hangs, as
// told, and records every delivery by X-Beian-Key.
type hook struct {
	srv  *httptest.Server
	mode atomic.Value // "ok" | "500" | "hang"
	mu   sync.Mutex
	ok   map[string]int // deliveries answered 200, by key
	all  map[string]int // every attempt, by key
}

func startHook(t *testing.T) *hook {
	h := &hook{ok: map[string]int{}, all: map[string]int{}}
	h.mode.Store("ok")
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Beian-Key")
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.all[key]++
		mode := h.mode.Load().(string)
		if mode == "ok" {
			h.ok[key]++
		}
		h.mu.Unlock()
		switch mode {
		case "500":
			http.Error(w, "network control is down", http.StatusInternalServerError)
		case "hang":
			select { // longer than the webhook client's timeout
			case <-r.Context().Done():
			case <-time.After(40 * time.Second):
			}
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) counts() (ok, all map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ok, all = map[string]int{}, map[string]int{}
	for k, v := range h.ok {
		ok[k] = v
	}
	for k, v := range h.all {
		all[k] = v
	}
	return ok, all
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, d)
}

// nthFiling is stack.NthPersonFiling (here so bench_test.go reads alone).
func nthFiling(i int, domain string) map[string]any { return stack.NthPersonFiling(i, domain) }
