package devenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// temporalCLIModule is the module tools/go.mod pins; its version is compared
// with the one recorded in bin/temporal to tell whether the binary is stale.
const temporalCLIModule = "github.com/temporalio/cli"

// TemporalCLI returns the absolute path of repoRoot/bin/temporal, first
// building it from the tools/ module with `go build -o bin/temporal
// github.com/temporalio/cli/cmd/temporal` (GOTOOLCHAIN=local) when it is
// missing or was built from another CLI version than tools/go.mod pins. The
// build's progress goes to stderr; the first one takes about five minutes,
// later ones are served from the Go build cache. Concurrent callers wait for
// one build.
func TemporalCLI(repoRoot string) (string, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "temporal")
	toolsDir := filepath.Join(root, "tools")
	want, err := pinnedVersion(filepath.Join(toolsDir, "go.mod"), temporalCLIModule)
	if err != nil {
		if isExecutable(bin) {
			return bin, nil // no tools module to build from: trust what is there
		}
		return "", fmt.Errorf("no %s and cannot build it: %w", bin, err)
	}
	if builtVersion(bin) == want {
		return bin, nil
	}

	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	lock, err := lockFile(filepath.Join(root, "bin", ".temporal.lock"))
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if builtVersion(bin) == want { // built by whoever held the lock
		return bin, nil
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building the Temporal CLI needs the go command in PATH: %w", err)
	}
	fmt.Fprintf(os.Stderr, "devenv: building the Temporal CLI %s from tools/ into bin/temporal (the first build takes about 5 minutes; later ones are cached)...\n", want)
	start := time.Now()
	tmp := bin + ".building"
	cmd := exec.Command(goBin, "build", "-o", tmp, temporalCLIModule+"/cmd/temporal")
	cmd.Dir = toolsDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("build the Temporal CLI (go build in %s): %w", toolsDir, err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "devenv: built bin/temporal in %s\n", time.Since(start).Round(time.Second))
	return bin, nil
}

// pinnedVersion returns the version of module mod required by the go.mod at path.
func pinnedVersion(path, mod string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s.Text()), "require "))
		if len(fields) >= 2 && fields[0] == mod {
			return fields[1], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s does not require %s", path, mod)
}

// builtVersion returns the version of the Temporal CLI module compiled into
// the binary at path, or "" when there is no such binary.
func builtVersion(path string) string { return moduleVersion(path, temporalCLIModule) }

// Process is a running Temporal dev server started by StartTemporal.
type Process struct {
	// Addr is the frontend's gRPC address, host:port (TEMPORAL_ADDRESS).
	Addr string
	// UIURL is the Web UI's address, "" when started without one.
	UIURL string
	// LogFile holds the server's output.
	LogFile string

	cmd      *exec.Cmd
	out      *tailWriter
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// Temporal search attribute types the dev server accepts.
var searchAttrTypes = map[string]bool{
	"Text": true, "Keyword": true, "Int": true, "Double": true, "Bool": true, "Datetime": true, "KeywordList": true,
}

// StartTemporal runs `temporal server start-dev` from cliPath on 127.0.0.1
// with the frontend on port and the Web UI on uiPort (0: no Web UI), keeping
// its state in dataDir/temporal.db and its output in dataDir/temporal.log,
// and registering searchAttrs (name → type, such as "Keyword" or "Datetime")
// in the default namespace. It returns once the frontend accepts connections
// and lists every search attribute; ctx bounds that wait (two minutes when
// ctx has no deadline), not the server's life: the server runs until Stop,
// or until the calling process dies. On failure the error carries the tail of
// the server's output.
func StartTemporal(ctx context.Context, cliPath, dataDir string, port, uiPort int, searchAttrs map[string]string, log *slog.Logger) (*Process, error) {
	log = orDiscard(log)
	if port <= 0 {
		return nil, fmt.Errorf("temporal frontend port must be set, got %d", port)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dataDir, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--db-filename", filepath.Join(dataDir, "temporal.db"),
		"--namespace", "default",
		"--log-level", "warn",
	}
	p := &Process{Addr: addr, LogFile: filepath.Join(dataDir, "temporal.log"), done: make(chan struct{})}
	if uiPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(uiPort))
		p.UIURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(uiPort))
	} else {
		args = append(args, "--headless")
	}
	names := make([]string, 0, len(searchAttrs))
	for name, typ := range searchAttrs {
		if !searchAttrTypes[typ] {
			return nil, fmt.Errorf("search attribute %s: unknown type %q", name, typ)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "--search-attribute", name+"="+searchAttrs[name])
	}

	logFile, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open temporal log: %w", err)
	}
	p.out = &tailWriter{max: 16 << 10}
	p.cmd = exec.Command(cliPath, args...)
	p.cmd.Stdout = io.MultiWriter(logFile, p.out)
	p.cmd.Stderr = p.cmd.Stdout
	p.cmd.SysProcAttr = childProcAttr()
	p.cmd.WaitDelay = 5 * time.Second
	log.Info("starting the Temporal dev server", "cli", cliPath, "addr", addr, "ui", p.UIURL, "log", p.LogFile)
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", cliPath, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
	}
	if err := p.waitReady(ctx, names, log); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("temporal dev server on %s: %w\n%s", addr, err, p.outputTail())
	}
	log.Info("Temporal dev server ready", "addr", addr, "ui", p.UIURL)
	return p, nil
}

// waitReady waits until the frontend accepts connections and the default
// namespace lists all the search attributes, or the server exits.
func (p *Process) waitReady(ctx context.Context, names []string, log *slog.Logger) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var c client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	step := "frontend port"
	var last error
	for {
		last = p.readyStep(ctx, &c, &step, names, log)
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was ready (%v); %s: %v", p.waitErr, step, last)
		case <-ctx.Done():
			return fmt.Errorf("not ready in time (%w); %s: %v", ctx.Err(), step, last)
		case <-tick.C:
		}
	}
}

// readyStep makes one attempt at the next readiness step, recording in step
// which one it is at.
func (p *Process) readyStep(ctx context.Context, c *client.Client, step *string, names []string, log *slog.Logger) error {
	if *c == nil {
		*step = "frontend port"
		conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err != nil {
			return err
		}
		conn.Close()
		*step = "connect"
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		cl, err := client.DialContext(dctx, client.Options{
			HostPort:  p.Addr,
			Namespace: "default",
			Logger:    tlog.NewStructuredLogger(log.With("component", "temporal-client")),
		})
		if err != nil {
			return err
		}
		*c = cl
	}
	*step = "search attributes"
	missing, err := missingSearchAttributes(ctx, *c, names)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("not registered yet: %s", strings.Join(missing, ", "))
	}
	return nil
}

func missingSearchAttributes(ctx context.Context, c client.Client, names []string) ([]string, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
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

// Stop asks the server to shut down (SIGINT), waits up to 15 seconds, then
// kills it. Calling it again does nothing and returns the first result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("temporal dev server did not stop within 15s after SIGINT; killed it")
		}
	})
	return p.stopErr
}

// Done is closed when the server process has exited, for any reason.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns how the server process ended; call it after Done is closed.
func (p *Process) Err() error {
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("temporal dev server exited: %w\n%s", p.waitErr, p.outputTail())
		}
		return errors.New("temporal dev server exited")
	default:
		return nil
	}
}

func (p *Process) outputTail() string {
	return "last lines of its output (" + p.LogFile + "):\n" + tail(p.out.String(), 30)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(b), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
