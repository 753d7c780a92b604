package devenv

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// temporalServerModule is the Temporal server module tools/go.mod pins: the
// version the Temporal CLI embeds. bin/temporal-server and
// bin/temporal-sql-tool are built from it; the main module never imports it.
const temporalServerModule = "go.temporal.io/server"

// Packages of temporalServerModule built into bin/.
const (
	temporalServerPkg  = temporalServerModule + "/cmd/server"
	temporalSQLToolPkg = temporalServerModule + "/cmd/tools/sql"
)

// The embedded schemas of temporal-sql-tool for PostgreSQL 12+ (the same
// files as schema/postgresql/v12/{temporal,visibility}/versioned in the
// server module, baked into the tool at the server's version).
const (
	pgSchemaName           = "postgresql/v12/temporal"
	pgVisibilitySchemaName = "postgresql/v12/visibility"
	pgPlugin               = "postgres12"
)

// TemporalServerBinaries returns the absolute paths of repoRoot/bin/temporal-server
// and repoRoot/bin/temporal-sql-tool, first building each from the tools/
// module (`go build -o bin/temporal-server go.temporal.io/server/cmd/server`,
// `go build -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql`,
// GOTOOLCHAIN=local) when it is missing or was built from another server
// version than tools/go.mod pins. Progress goes to stderr. After the Temporal
// CLI has been built the build cache holds most of the server and a build
// takes well under a minute; from a cold cache about as long as the CLI's.
// Concurrent callers wait for one build.
func TemporalServerBinaries(repoRoot string) (server, sqlTool string, err error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", "", err
	}
	server = filepath.Join(root, "bin", "temporal-server")
	sqlTool = filepath.Join(root, "bin", "temporal-sql-tool")
	toolsDir := filepath.Join(root, "tools")
	want, err := pinnedVersion(filepath.Join(toolsDir, "go.mod"), temporalServerModule)
	if err != nil {
		if isExecutable(server) && isExecutable(sqlTool) {
			return server, sqlTool, nil // no tools module to build from: trust what is there
		}
		return "", "", fmt.Errorf("no %s and %s, and cannot build them: %w", server, sqlTool, err)
	}
	fresh := func() bool {
		return moduleVersion(server, temporalServerModule) == want && moduleVersion(sqlTool, temporalServerModule) == want
	}
	if fresh() {
		return server, sqlTool, nil
	}
	if err := os.MkdirAll(filepath.Dir(server), 0o755); err != nil {
		return "", "", err
	}
	lock, err := lockFile(filepath.Join(root, "bin", ".temporal-server.lock"))
	if err != nil {
		return "", "", err
	}
	defer lock.Close()
	if fresh() { // built by whoever held the lock
		return server, sqlTool, nil
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", "", fmt.Errorf("building the Temporal server needs the go command in PATH: %w", err)
	}
	for _, b := range []struct{ bin, pkg string }{{server, temporalServerPkg}, {sqlTool, temporalSQLToolPkg}} {
		if moduleVersion(b.bin, temporalServerModule) == want {
			continue
		}
		name := filepath.Base(b.bin)
		fmt.Fprintf(os.Stderr, "devenv: building %s (Temporal server %s) from tools/ into bin/%s (a few minutes from a cold build cache)...\n", b.pkg, want, name)
		start := time.Now()
		tmp := b.bin + ".building"
		cmd := exec.Command(goBin, "build", "-o", tmp, b.pkg)
		cmd.Dir = toolsDir
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			_ = os.Remove(tmp)
			return "", "", fmt.Errorf("build %s (go build in %s): %w", b.pkg, toolsDir, err)
		}
		if err := os.Rename(tmp, b.bin); err != nil {
			return "", "", err
		}
		fmt.Fprintf(os.Stderr, "devenv: built bin/%s in %s\n", name, time.Since(start).Round(time.Second))
	}
	return server, sqlTool, nil
}

// moduleVersion returns the version of module mod compiled into the binary
// at path (its main module or a dependency), or "" when there is no such binary.
func moduleVersion(path, mod string) string {
	if !isExecutable(path) {
		return ""
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return ""
	}
	if bi.Main.Path == mod {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return ""
}

// TemporalServerOptions says how EnsureTemporalServer sets up and runs the
// Temporal server.
type TemporalServerOptions struct {
	// Root is the repository root: bin/ holds the binaries, tools/ the module
	// they are built from. Required.
	Root string
	// DatabaseURL is the PostgreSQL server (a postgres:// URL or key=value
	// DSN, TCP only) on which the two databases are made; its user must be
	// allowed to create databases. Its database name and query options
	// (sslmode...) are not used: the server connects without TLS. Required.
	DatabaseURL string
	// DBSuffix names the databases temporal_<suffix> and
	// temporal_visibility_<suffix>: lower-case letters, digits and _, at most
	// 40 characters. Default "dev".
	DBSuffix string
	// Dir holds the server's config (Dir/config), its remembered ports
	// (Dir/ports.json) and its log (Dir/temporal-server.log). Default
	// Root/.data/temporal-server/<suffix>.
	Dir string
	// NumHistoryShards is fixed when the databases are first used; a later
	// start with another count fails. Default 4.
	NumHistoryShards int
	// Namespace is created (retention 1 day) when missing. Default "default".
	Namespace string
	// SearchAttributes (name → type as the Temporal CLI spells it: Keyword,
	// Datetime, Text, Int, Double, Bool, KeywordList) are registered in
	// Namespace when missing.
	SearchAttributes map[string]string
	// Ports fixes the server's ports; nil: the ports remembered in
	// Dir/ports.json when all are still free, else new free ones.
	Ports *TemporalServerPorts
	// LogLevel of the server's log: debug, info, warn (default) or error.
	LogLevel string
	// DynamicConfig adds to or overrides the dynamic config values written
	// to Dir/config/dynamicconfig.yaml (key → value, for every constraint).
	DynamicConfig map[string]any
	// StartTimeout bounds each start until the server is ready: namespace,
	// search attributes and history shards answer (default 3 minutes, or
	// ctx's deadline if sooner).
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL
	// (default 30 seconds).
	StopTimeout time.Duration
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// TemporalServerPorts are the TCP ports on 127.0.0.1 of the four services of
// a Temporal server: each has a gRPC port and a membership (ringpop) port,
// the frontend an HTTP API port too.
type TemporalServerPorts struct {
	Frontend, FrontendMembership, FrontendHTTP int
	History, HistoryMembership                 int
	Matching, MatchingMembership               int
	Worker, WorkerMembership                   int
}

func (p TemporalServerPorts) list() []int {
	return []int{p.Frontend, p.FrontendMembership, p.FrontendHTTP, p.History, p.HistoryMembership,
		p.Matching, p.MatchingMembership, p.Worker, p.WorkerMembership}
}

func (p TemporalServerPorts) allFree() bool {
	seen := map[int]bool{}
	for _, port := range p.list() {
		if port <= 0 || port > maxServerPort || seen[port] || !portFree(port) {
			return false
		}
		seen[port] = true
	}
	return true
}

// maxServerPort bounds the server's ports: PostgreSQL's cluster_membership
// table keeps a service's port in a smallint, so a port above 32767 makes
// the server fail at start ("out of range for type smallint").
const maxServerPort = 32767

// freeServerPorts picks nine distinct free ports in 10000-32767 (below the
// kernel's ephemeral range, so that no outgoing connection takes one),
// holding each open until all are chosen so that none is picked twice.
func freeServerPorts() (TemporalServerPorts, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, 9)
	for tries := 0; len(ports) < 9; tries++ {
		if tries > 1000 {
			return TemporalServerPorts{}, errors.New("find free ports for the Temporal server: none free in 10000-32767")
		}
		port := 10000 + rand.IntN(maxServerPort-10000+1)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, port)
	}
	return TemporalServerPorts{
		Frontend: ports[0], FrontendMembership: ports[1], FrontendHTTP: ports[2],
		History: ports[3], HistoryMembership: ports[4],
		Matching: ports[5], MatchingMembership: ports[6],
		Worker: ports[7], WorkerMembership: ports[8],
	}, nil
}

// TemporalServer is a Temporal server (frontend, history, matching and worker
// services in one process, bin/temporal-server) with persistence and
// visibility on PostgreSQL, started by EnsureTemporalServer.
type TemporalServer struct {
	// Addr is the frontend's gRPC address, host:port (TEMPORAL_ADDRESS).
	Addr string
	// Namespace is the namespace that was made ready.
	Namespace string
	// Ports are the ports it listens on; a restart reuses them.
	Ports TemporalServerPorts
	// DB and VisibilityDB are the names of its databases on the PostgreSQL
	// server of DatabaseURL.
	DB, VisibilityDB string
	// ConfigDir holds the server's config files; LogFile its output.
	ConfigDir, LogFile string

	opts     TemporalServerOptions // defaults filled in
	bin      string
	log      *slog.Logger
	mu       sync.Mutex
	proc     *serverProc // nil when stopped
	saNames  []string
	probeSQL string // a visibility query that names every search attribute
}

// serverProc is one run of bin/temporal-server.
type serverProc struct {
	cmd     *exec.Cmd
	out     *tailWriter
	done    chan struct{}
	waitErr error
}

var dbSuffixRe = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// EnsureTemporalServer builds bin/temporal-server and bin/temporal-sql-tool
// if needed (TemporalServerBinaries), creates the databases
// temporal_<suffix> and temporal_visibility_<suffix> on opts.DatabaseURL's
// server when missing, sets up or updates their schemas with
// temporal-sql-tool (plugin postgres12, the schemas embedded in the tool),
// writes the server's config under opts.Dir (numHistoryShards, every
// service on 127.0.0.1, single cluster, noop DC redirection, dynamic
// config), starts bin/temporal-server, and returns once the frontend
// answers, the namespace exists, its search attributes are registered and
// queryable, and the history shards answer. The server runs until Stop, or until the calling process
// dies (it gets SIGTERM then). On failure the error carries the tail of the
// server's output.
func EnsureTemporalServer(ctx context.Context, opts TemporalServerOptions) (*TemporalServer, error) {
	log := orDiscard(opts.Log)
	if opts.Root == "" {
		return nil, errors.New("temporal server: Root must be set")
	}
	if opts.DatabaseURL == "" {
		return nil, errors.New("temporal server: DatabaseURL must be set")
	}
	var err error
	if opts.Root, err = filepath.Abs(opts.Root); err != nil {
		return nil, err
	}
	if opts.DBSuffix == "" {
		opts.DBSuffix = "dev"
	}
	if !dbSuffixRe.MatchString(opts.DBSuffix) {
		return nil, fmt.Errorf("temporal server: database suffix %q: want 1 to 40 of a-z, 0-9, _", opts.DBSuffix)
	}
	if opts.Dir == "" {
		opts.Dir = filepath.Join(opts.Root, ".data", "temporal-server", opts.DBSuffix)
	}
	if opts.Dir, err = filepath.Abs(opts.Dir); err != nil { // the server runs in Dir
		return nil, err
	}
	if opts.NumHistoryShards <= 0 {
		opts.NumHistoryShards = 4
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	s := &TemporalServer{
		Namespace:    opts.Namespace,
		DB:           "temporal_" + opts.DBSuffix,
		VisibilityDB: "temporal_visibility_" + opts.DBSuffix,
		ConfigDir:    filepath.Join(opts.Dir, "config"),
		LogFile:      filepath.Join(opts.Dir, "temporal-server.log"),
		opts:         opts,
		log:          log,
	}
	if s.saNames, s.probeSQL, err = searchAttributeProbe(opts.SearchAttributes); err != nil {
		return nil, err
	}
	pg, err := pgx.ParseConfig(opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("temporal server: parse DatabaseURL %s: %w", RedactURL(opts.DatabaseURL), err)
	}
	if strings.HasPrefix(pg.Host, "/") {
		return nil, fmt.Errorf("temporal server: DatabaseURL %s names a Unix socket; the Temporal server needs a TCP host:port", RedactURL(opts.DatabaseURL))
	}

	bin, sqlTool, err := TemporalServerBinaries(opts.Root)
	if err != nil {
		return nil, err
	}
	s.bin = bin
	if err := os.MkdirAll(s.ConfigDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", s.ConfigDir, err)
	}
	// One setup at a time per directory (a second `devenv temporal-server`).
	lock, err := lockFile(filepath.Join(opts.Dir, ".setup.lock"))
	if err != nil {
		return nil, err
	}
	defer lock.Close()

	if err := createDatabases(ctx, opts.DatabaseURL, s.DB, s.VisibilityDB); err != nil {
		return nil, err
	}
	for _, db := range []struct{ name, schema string }{{s.DB, pgSchemaName}, {s.VisibilityDB, pgVisibilitySchemaName}} {
		if err := setupSchema(ctx, sqlTool, pg, db.name, db.schema, log); err != nil {
			return nil, err
		}
	}

	fixed := opts.Ports != nil
	if fixed {
		s.Ports = *opts.Ports
	} else if p, err := readPorts(filepath.Join(opts.Dir, "ports.json")); err == nil && p.allFree() {
		s.Ports = p
	} else if s.Ports, err = freeServerPorts(); err != nil {
		return nil, err
	}
	// Ports chosen here can be taken by another program before the server
	// binds them: a server that exits while starting is retried on new ones.
	for attempt := 1; ; attempt++ {
		if err := s.writeConfig(pg); err != nil {
			return nil, err
		}
		err := s.Start(ctx)
		if err == nil {
			return s, nil
		}
		if fixed || attempt == 3 || ctx.Err() != nil || !errors.Is(err, errExitedEarly) ||
			!strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
		log.Warn("Temporal server could not bind its ports; retrying on new ones", "attempt", attempt, "err", err)
		if s.Ports, err = freeServerPorts(); err != nil {
			return nil, err
		}
	}
}

// errExitedEarly marks a start that failed because the process exited.
var errExitedEarly = errors.New("exited before it was ready")

// Start starts the server again after Stop or Kill, on the same databases,
// ports and config, and waits until it is ready as EnsureTemporalServer does.
// It does nothing when the server runs.
func (s *TemporalServer) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		select {
		case <-s.proc.done:
		default:
			return nil
		}
	}
	if addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Ports.Frontend)); addr != s.Addr {
		s.Addr = addr // only on the first start: readers of Addr must not race a restart
	}
	logFile, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open temporal server log: %w", err)
	}
	p := &serverProc{out: &tailWriter{max: 32 << 10}, done: make(chan struct{})}
	fmt.Fprintf(logFile, "\n===== devenv: starting %s at %s =====\n", s.bin, time.Now().Format(time.RFC3339))
	p.cmd = exec.Command(s.bin, "--root", s.opts.Dir, "--config", "config", "--env", "beian", "--allow-no-auth", "start")
	p.cmd.Dir = s.opts.Dir
	p.cmd.Stdout = io.MultiWriter(logFile, p.out)
	p.cmd.Stderr = p.cmd.Stdout
	p.cmd.SysProcAttr = childProcAttr()
	p.cmd.WaitDelay = 5 * time.Second
	started := time.Now()
	s.log.Info("starting the Temporal server", "bin", s.bin, "addr", s.Addr, "db", s.DB, "visibility", s.VisibilityDB, "log", s.LogFile)
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	s.proc = p

	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	if err := s.waitReady(ctx, p); err != nil {
		if !errors.Is(err, errExitedEarly) {
			s.stopLocked(syscall.SIGTERM)
		}
		return fmt.Errorf("temporal server on %s: %w\n%s", s.Addr, err, p.outputTail(s.LogFile))
	}
	s.log.Info("Temporal server ready", "addr", s.Addr, "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// Stop asks the server to shut down (SIGTERM), waits up to StopTimeout, then
// kills it. The databases stay: Start runs it again on them. Stopping a
// stopped server does nothing.
func (s *TemporalServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGTERM)
}

// Kill ends the server at once (SIGKILL), like a crash, and waits for it.
func (s *TemporalServer) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGKILL)
}

// Restart stops the server cleanly and starts it again on the same
// databases and ports.
func (s *TemporalServer) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start(ctx)
}

func (s *TemporalServer) stopLocked(sig syscall.Signal) error {
	p := s.proc
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(s.opts.StopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("temporal server did not stop within %s after %v; killed it", s.opts.StopTimeout, sig)
	}
}

// Done is closed when the current server process exits, for any reason
// (nil channel, never closed, when none was started).
func (s *TemporalServer) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	return s.proc.done
}

// Err returns how the current server process ended, nil while it runs.
func (s *TemporalServer) Err() error {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return fmt.Errorf("temporal server exited: %v\n%s", p.waitErr, p.outputTail(s.LogFile))
	default:
		return nil
	}
}

// LogTail returns the last n lines of LogFile (all runs), JSON lines
// shortened to "ts level msg key=value..." without stack traces.
func (s *TemporalServer) LogTail(n int) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.LogFile, err)
	}
	if len(b) > 1<<20 {
		b = b[len(b)-1<<20:]
	}
	return tail(compactServerLog(string(b)), n)
}

func (p *serverProc) outputTail(logFile string) string {
	return "last lines of its output, without stack traces (" + logFile + "):\n" + tail(compactServerLog(p.out.String()), 20)
}

// compactServerLog rewrites the server's JSON log lines as
// "level msg key=value ..." without the stack traces and source locations
// that make each line kilobytes long; other lines stay as they are.
func compactServerLog(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		var m map[string]any
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &m) != nil {
			b.WriteString(line)
			b.WriteByte('\n')
			continue
		}
		fmt.Fprintf(&b, "%v %v %q", m["ts"], m["level"], m["msg"])
		keys := make([]string, 0, len(m))
		for k := range m {
			switch k {
			case "ts", "level", "msg", "stacktrace", "logging-call-at":
			default:
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%v", k, m[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// waitReady waits until the frontend answers, the namespace exists with all
// the search attributes and a visibility query on them succeeds, creating
// what is missing; or until the process exits or ctx ends.
func (s *TemporalServer) waitReady(ctx context.Context, p *serverProc) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var c client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	step := "frontend port"
	for {
		last := s.readyStep(ctx, &c, &step)
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v); %s: %v", errExitedEarly, p.waitErr, step, last)
		case <-ctx.Done():
			return fmt.Errorf("not ready in time (%w); %s: %v", ctx.Err(), step, last)
		case <-tick.C:
		}
	}
}

func (s *TemporalServer) readyStep(ctx context.Context, c *client.Client, step *string) error {
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if *c == nil {
		*step = "frontend port"
		conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err != nil {
			return err
		}
		conn.Close()
		*step = "frontend health"
		cl, err := client.DialContext(actx, client.Options{
			HostPort:  s.Addr,
			Namespace: s.Namespace,
			Logger:    tlog.NewStructuredLogger(s.log.With("component", "temporal-client")),
		})
		if err != nil {
			return err
		}
		*c = cl
	}
	ws := (*c).WorkflowService()
	*step = "namespace " + s.Namespace
	if _, err := ws.DescribeNamespace(actx, &workflowservice.DescribeNamespaceRequest{Namespace: s.Namespace}); err != nil {
		var nf *serviceerror.NamespaceNotFound
		if !errors.As(err, &nf) {
			return err
		}
		_, err := ws.RegisterNamespace(actx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        s.Namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register: %w", err)
		}
		s.log.Info("registered the namespace", "namespace", s.Namespace)
		return errors.New("just registered")
	}
	if len(s.saNames) == 0 {
		return s.historyReady(actx, ws, step)
	}
	*step = "search attributes"
	missing, err := missingSearchAttributesIn(actx, *c, s.Namespace, s.saNames)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		add := map[string]enums.IndexedValueType{}
		for _, n := range missing {
			add[n] = indexedValueTypes[s.opts.SearchAttributes[n]]
		}
		_, err := (*c).OperatorService().AddSearchAttributes(actx, &operatorservice.AddSearchAttributesRequest{
			Namespace: s.Namespace, SearchAttributes: add,
		})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("add %s: %w", strings.Join(missing, ", "), err)
		}
		s.log.Info("registered search attributes", "namespace", s.Namespace, "names", missing)
		return fmt.Errorf("just registered %s", strings.Join(missing, ", "))
	}
	// Visibility queries and workflow starts resolve custom search
	// attributes through the namespace cache, which lags the registration.
	*step = "visibility query on the search attributes"
	if _, err = ws.CountWorkflowExecutions(actx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.Namespace, Query: s.probeSQL}); err != nil {
		return err
	}
	return s.historyReady(actx, ws, step)
}

// historyReady asks the history service about workflows that do not exist,
// with IDs spread over (almost surely) every shard: each answer "not found"
// means the shard is owned and loaded, so that a start or a timer does not
// wait for it.
func (s *TemporalServer) historyReady(ctx context.Context, ws workflowservice.WorkflowServiceClient, step *string) error {
	*step = "history shards"
	for i := range min(8*s.opts.NumHistoryShards, 256) {
		_, err := ws.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
			Namespace: s.Namespace,
			Execution: &commonpb.WorkflowExecution{WorkflowId: fmt.Sprintf("devenv-readiness-probe-%d", i)},
		})
		var nf *serviceerror.NotFound
		if err == nil || !errors.As(err, &nf) {
			return fmt.Errorf("describe a missing workflow: want not found, got %v", err)
		}
	}
	return nil
}

func missingSearchAttributesIn(ctx context.Context, c client.Client, namespace string, names []string) ([]string, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if _, ok := resp.GetCustomAttributes()[n]; !ok {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

var indexedValueTypes = map[string]enums.IndexedValueType{
	"Text":        enums.INDEXED_VALUE_TYPE_TEXT,
	"Keyword":     enums.INDEXED_VALUE_TYPE_KEYWORD,
	"Int":         enums.INDEXED_VALUE_TYPE_INT,
	"Double":      enums.INDEXED_VALUE_TYPE_DOUBLE,
	"Bool":        enums.INDEXED_VALUE_TYPE_BOOL,
	"Datetime":    enums.INDEXED_VALUE_TYPE_DATETIME,
	"KeywordList": enums.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// searchAttributeProbe checks the types and returns the sorted names and a
// visibility query that mentions every one of them.
func searchAttributeProbe(attrs map[string]string) ([]string, string, error) {
	names := make([]string, 0, len(attrs))
	for name, typ := range attrs {
		if _, ok := indexedValueTypes[typ]; !ok {
			return nil, "", fmt.Errorf("search attribute %s: unknown type %q", name, typ)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var terms []string
	for _, n := range names {
		switch attrs[n] {
		case "Int", "Double":
			terms = append(terms, n+" = 0")
		case "Bool":
			terms = append(terms, n+" = true")
		case "Datetime":
			terms = append(terms, n+" > '2000-01-01T00:00:00Z'")
		default:
			terms = append(terms, n+" = 'devenv-probe'")
		}
	}
	return names, strings.Join(terms, " OR "), nil
}

// createDatabases creates the named databases on databaseURL's server when
// they do not exist.
func createDatabases(ctx context.Context, databaseURL string, names ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", RedactURL(databaseURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, name := range names {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			return fmt.Errorf("look for database %s: %w", name, err)
		}
		if exists {
			continue
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return nil
}

// DropTemporalDatabases drops temporal_<suffix> and
// temporal_visibility_<suffix> on databaseURL's server, ending their
// sessions first; missing databases are fine. Stop the server first.
func DropTemporalDatabases(ctx context.Context, databaseURL, suffix string) error {
	if !dbSuffixRe.MatchString(suffix) {
		return fmt.Errorf("database suffix %q: want 1 to 40 of a-z, 0-9, _", suffix)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", RedactURL(databaseURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var errs []error
	for _, name := range []string{"temporal_" + suffix, "temporal_visibility_" + suffix} {
		// WITH (FORCE) needs PostgreSQL 13; older servers: end sessions, then drop.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			_, _ = conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
			if _, err2 := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err2 != nil {
				errs = append(errs, fmt.Errorf("drop database %s: %w", name, err2))
			}
		}
	}
	return errors.Join(errs...)
}

// setupSchema runs temporal-sql-tool setup-schema -v 0.0 (the versioning
// tables; a no-op when they exist) and update-schema to the newest version
// of the embedded schema on database db.
func setupSchema(ctx context.Context, sqlTool string, pg *pgx.ConnConfig, db, schemaName string, log *slog.Logger) error {
	base := []string{
		"--endpoint", pg.Host, "--port", strconv.Itoa(int(pg.Port)),
		"--user", pg.User, "--database", db, "--plugin", pgPlugin,
	}
	env := os.Environ()
	if pg.Password != "" {
		env = append(env, "SQL_PASSWORD="+pg.Password) // not on the command line
	}
	for _, args := range [][]string{
		{"setup-schema", "-v", "0.0"},
		{"update-schema", "--schema-name", schemaName},
	} {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		cmd := exec.CommandContext(cctx, sqlTool, append(append([]string{}, base...), args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("temporal-sql-tool %s on database %s: %w\n%s", args[0], db, err, tail(string(out), 20))
		}
	}
	log.Info("Temporal schema up to date", "db", db, "schema", schemaName)
	return nil
}

func readPorts(path string) (TemporalServerPorts, error) {
	var p TemporalServerPorts
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	err = json.Unmarshal(b, &p)
	return p, err
}

// defaultDynamicConfig is the dynamic config the server starts with: what
// the Temporal CLI's dev server sets and beian relies on (search attributes
// visible as soon as they are registered, with the persistence QPS raised
// to match; a higher visibility rate for tests that poll List/Count).
// Updates, multi-operations (update-with-start) and the worker versioning
// APIs are on by default in server 1.29.
var defaultDynamicConfig = map[string]any{
	"system.forceSearchAttributesCacheRefreshOnRead": true,
	"frontend.persistenceMaxQPS":                     10000,
	"history.persistenceMaxQPS":                      45000,
	"frontend.namespaceRPS.visibility":               100,
	"frontend.enableUpdateWorkflowExecution":         true,
	"frontend.enableExecuteMultiOperation":           true,
}

// writeConfig writes ConfigDir/beian.yaml (the server config; JSON, which
// is YAML), ConfigDir/dynamicconfig.yaml and Dir/ports.json.
func (s *TemporalServer) writeConfig(pg *pgx.ConnConfig) error {
	store := func(db string, maxConns int) map[string]any {
		sql := map[string]any{
			"pluginName":      pgPlugin,
			"databaseName":    db,
			"connectAddr":     net.JoinHostPort(pg.Host, strconv.Itoa(int(pg.Port))),
			"connectProtocol": "tcp",
			"user":            pg.User,
			"maxConns":        maxConns,
			"maxIdleConns":    maxConns,
			"maxConnLifetime": "1h",
		}
		if pg.Password != "" {
			sql["password"] = pg.Password
		}
		return map[string]any{"sql": sql}
	}
	rpc := func(grpc, membership, http int) map[string]any {
		r := map[string]any{"grpcPort": grpc, "membershipPort": membership, "bindOnLocalHost": true}
		if http > 0 {
			r["httpPort"] = http
		}
		return map[string]any{"rpc": r}
	}
	p := s.Ports
	dynPath := filepath.Join(s.ConfigDir, "dynamicconfig.yaml")
	cfg := map[string]any{
		"log": map[string]any{"stdout": true, "level": s.opts.LogLevel, "format": "json"},
		"persistence": map[string]any{
			"defaultStore":     "postgres-default",
			"visibilityStore":  "postgres-visibility",
			"numHistoryShards": s.opts.NumHistoryShards,
			"datastores": map[string]any{
				"postgres-default":    store(s.DB, 20),
				"postgres-visibility": store(s.VisibilityDB, 10),
			},
		},
		"global": map[string]any{
			"membership": map[string]any{"maxJoinDuration": "30s", "broadcastAddress": "127.0.0.1"},
		},
		"services": map[string]any{
			"frontend": rpc(p.Frontend, p.FrontendMembership, p.FrontendHTTP),
			"history":  rpc(p.History, p.HistoryMembership, 0),
			"matching": rpc(p.Matching, p.MatchingMembership, 0),
			"worker":   rpc(p.Worker, p.WorkerMembership, 0),
		},
		"clusterMetadata": map[string]any{
			"enableGlobalNamespace":    false,
			"failoverVersionIncrement": 10,
			"masterClusterName":        "active",
			"currentClusterName":       "active",
			"clusterInformation": map[string]any{
				"active": map[string]any{
					"enabled":                true,
					"initialFailoverVersion": 1,
					"rpcName":                "frontend",
					"rpcAddress":             net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Frontend)),
				},
			},
		},
		"dcRedirectionPolicy": map[string]any{"policy": "noop"},
		"archival": map[string]any{
			"history":    map[string]any{"state": "disabled"},
			"visibility": map[string]any{"state": "disabled"},
		},
		"namespaceDefaults": map[string]any{
			"archival": map[string]any{
				"history":    map[string]any{"state": "disabled"},
				"visibility": map[string]any{"state": "disabled"},
			},
		},
		"dynamicConfigClient": map[string]any{"filepath": dynPath, "pollInterval": "10s"},
	}
	dyn := map[string]any{}
	for k, v := range defaultDynamicConfig {
		dyn[k] = []map[string]any{{"value": v, "constraints": map[string]any{}}}
	}
	for k, v := range s.opts.DynamicConfig {
		dyn[k] = []map[string]any{{"value": v, "constraints": map[string]any{}}}
	}
	for path, v := range map[string]any{
		filepath.Join(s.ConfigDir, "beian.yaml"): cfg,
		dynPath:                                  dyn,
		filepath.Join(s.opts.Dir, "ports.json"):  p,
	} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
