// Package devenv starts, without Docker, the services beian needs on a
// developer's machine and in CI: PostgreSQL (the local server on 5432, or a
// private cluster made with initdb under the data directory) and the Temporal
// dev server (the Temporal CLI built from the tools/ module into bin/temporal).
// `beian dev`, cmd/devenv and the Makefile use it; nothing here reads the
// environment, callers pass what they parsed.
package devenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// LocalPostgresURL is the server EnsurePostgres tries first: the machine's own
// PostgreSQL on 127.0.0.1:5432 as user postgres with trust authentication.
const LocalPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ErrPostgresNotInstalled is returned (wrapped) when neither a reachable server
// nor the initdb/pg_ctl programs to start a private one can be found.
var ErrPostgresNotInstalled = errors.New("PostgreSQL server programs initdb and pg_ctl not found")

// pgBinGlobs are the places, besides PATH, where the server programs live on
// common systems. A variable so that a test can make them "missing".
var pgBinGlobs = []string{
	"/usr/lib/postgresql/*/bin", // Debian, Ubuntu
	"/usr/pgsql-*/bin",          // PGDG RPMs
	"/usr/local/pgsql/bin",      // source builds
	"/opt/homebrew/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql@*/bin",
}

// clusterUser is the unprivileged account devenv creates when it runs as root
// and the machine has no postgres user: initdb and postgres refuse root.
const clusterUser = "beian-pg"

// EnsurePostgres returns the URL of a PostgreSQL server to use for
// development and tests. It uses LocalPostgresURL when that answers a ping;
// otherwise it starts (or reuses) a private cluster under dataDir/pg with
// EnsurePrivatePostgres. When neither is possible the error says what is
// missing and how to install it, and wraps ErrPostgresNotInstalled.
func EnsurePostgres(ctx context.Context, dataDir string, log *slog.Logger) (string, error) {
	log = orDiscard(log)
	probeErr := PingPostgres(ctx, LocalPostgresURL)
	if probeErr == nil {
		log.Info("using the local PostgreSQL server", "addr", "127.0.0.1:5432")
		return LocalPostgresURL, nil
	}
	log.Info("no usable PostgreSQL on 127.0.0.1:5432, starting a private cluster", "reason", probeErr, "dir", filepath.Join(dataDir, "pg"))
	u, err := EnsurePrivatePostgres(ctx, dataDir, log)
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL reachable at 127.0.0.1:5432 (%v), and no private cluster: %w", probeErr, err)
	}
	return u, nil
}

// PingPostgres connects to the server at databaseURL and pings it, giving up
// after 5 seconds.
func PingPostgres(ctx context.Context, databaseURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// EnsurePrivatePostgres starts, or finds already running, a private
// PostgreSQL cluster under dataDir/pg and returns its URL, without looking at
// port 5432 first. The cluster is made once with initdb (trust
// authentication, superuser postgres), listens on 127.0.0.1 on a free port
// that is remembered in dataDir/pg/port so that restarts reuse it, keeps its
// Unix socket in dataDir/pg/run, logs to dataDir/pg/postgres.log, and is
// started with `pg_ctl -w` so that it outlives the calling process; stop it
// with StopPostgres. It is tuned for tests (fsync off): a crash of the machine
// can lose or corrupt its data.
//
// As root it runs initdb and pg_ctl as the postgres user, or as a system user
// beian-pg that it creates when there is no postgres user. If that user
// cannot reach dataDir (say it lies under /root), the cluster lives in a
// directory of its own under the system temporary directory instead, and a
// warning says so.
func EnsurePrivatePostgres(ctx context.Context, dataDir string, log *slog.Logger) (string, error) {
	log = orDiscard(log)
	c, err := openCluster(ctx, dataDir, true, log)
	if err != nil {
		return "", err
	}
	defer c.unlock()

	if !c.initialized() {
		if err := c.initdb(ctx, log); err != nil {
			return "", err
		}
	}
	if port, ok := c.runningPort(ctx); ok {
		u := c.url(port)
		if err := PingPostgres(ctx, u); err != nil {
			return "", fmt.Errorf("private PostgreSQL in %s is running but does not answer on 127.0.0.1:%d: %w\n%s", c.data, port, err, c.logTail())
		}
		log.Info("using the private PostgreSQL cluster", "dir", c.dir, "port", port)
		return u, nil
	}
	port, err := c.start(ctx, log)
	if err != nil {
		return "", err
	}
	u := c.url(port)
	if err := PingPostgres(ctx, u); err != nil {
		return "", fmt.Errorf("private PostgreSQL started in %s but does not answer on 127.0.0.1:%d: %w\n%s", c.data, port, err, c.logTail())
	}
	log.Info("started the private PostgreSQL cluster", "dir", c.dir, "port", port, "log", c.logFile)
	return u, nil
}

// StopPostgres stops the private cluster under dataDir (fast shutdown: open
// sessions are ended) and waits for it to exit. It does nothing when there is
// no cluster or it is not running.
func StopPostgres(dataDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := openCluster(ctx, dataDir, false, orDiscard(nil))
	if err != nil {
		return err
	}
	defer c.unlock()
	if c == nil || !c.initialized() {
		return nil
	}
	if _, ok := c.runningPort(ctx); !ok {
		return nil
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", c.data, "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("stop PostgreSQL in %s: %w\n%s", c.data, err, out)
	}
	return nil
}

// cluster is a private PostgreSQL cluster's files and the programs and
// account that run it.
type cluster struct {
	dir      string // dataDir/pg, or the fallback under the temp dir
	data     string // PGDATA
	sock     string // Unix socket directory, "" when the path would be too long
	portFile string
	logFile  string
	bin      string   // directory holding initdb, pg_ctl, postgres
	owner    *account // nil: run as the current user
	lock     *os.File
}

// account is the unprivileged user the cluster runs as when we are root.
type account struct {
	name     string
	uid, gid uint32
}

// openCluster locates the cluster for dataDir, takes its lock, finds the
// programs and the account to run them as. With create false it returns nil,
// nil when there is no cluster, and creates nothing but the lock file.
func openCluster(ctx context.Context, dataDir string, create bool, log *slog.Logger) (*cluster, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	if !create && !isDir(filepath.Join(abs, "pg")) && !isDir(fallbackDir(abs)) {
		return nil, nil
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockFile(filepath.Join(abs, ".pg.lock"))
	if err != nil {
		return nil, err
	}
	c := &cluster{lock: lock}
	fail := func(err error) (*cluster, error) { c.unlock(); return nil, err }

	if c.bin, err = findPostgresBin(); err != nil {
		return fail(err)
	}
	c.setDir(filepath.Join(abs, "pg"))
	if os.Geteuid() == 0 {
		// The fallback holds the data once the preferred place proved
		// unreachable for the cluster's account.
		if fb := fallbackDir(abs); !c.initialized() && isDir(filepath.Join(fb, "data")) {
			c.setDir(fb)
		}
		if fi, err := os.Stat(c.data); err == nil {
			st := fi.Sys().(*syscall.Stat_t)
			c.owner = &account{name: "uid " + strconv.Itoa(int(st.Uid)), uid: st.Uid, gid: st.Gid}
		} else if create {
			if c.owner, err = clusterAccount(ctx, log); err != nil {
				return fail(err)
			}
		}
	}
	if !create {
		return c, nil
	}
	if err := c.makeDirs(); err != nil {
		return fail(err)
	}
	if c.owner != nil && !c.ownerCanWrite(ctx, c.dir) {
		fb := fallbackDir(abs)
		log.Warn("PostgreSQL runs as an unprivileged user who cannot reach the data dir (check its parent directories' permissions); keeping the cluster in the temp dir instead",
			"user", c.owner.name, "wanted", c.dir, "using", fb)
		_ = os.RemoveAll(c.dir) // holds no data: initialized() was false
		c.setDir(fb)
		if err := c.makeDirs(); err != nil {
			return fail(err)
		}
		if !c.ownerCanWrite(ctx, c.dir) {
			return fail(fmt.Errorf("user %s cannot write to %s either", c.owner.name, c.dir))
		}
	}
	return c, nil
}

// makeDirs creates the cluster's directory and socket directory and, as
// root, gives them to the cluster's account (initdb and the log need them).
func (c *cluster) makeDirs() error {
	dirs := []string{c.dir}
	if c.sock != "" {
		dirs = append(dirs, c.sock)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if c.owner != nil {
			if err := os.Chown(d, int(c.owner.uid), int(c.owner.gid)); err != nil {
				return fmt.Errorf("chown %s to %s: %w", d, c.owner.name, err)
			}
		}
	}
	return nil
}

func (c *cluster) setDir(dir string) {
	c.dir = dir
	c.data = filepath.Join(dir, "data")
	c.portFile = filepath.Join(dir, "port")
	c.logFile = filepath.Join(dir, "postgres.log")
	c.sock = filepath.Join(dir, "run")
	// A Unix socket path must fit in 107 bytes: <sock>/.s.PGSQL.65535.lock
	if len(c.sock)+len("/.s.PGSQL.65535.lock") > 100 {
		c.sock = ""
	}
}

// fallbackDir is where the cluster of dataDir lives when the unprivileged
// account cannot reach dataDir; derived from the path so StopPostgres finds it.
func fallbackDir(absDataDir string) string {
	var h uint32 = 2166136261 // FNV-1a
	for i := 0; i < len(absDataDir); i++ {
		h ^= uint32(absDataDir[i])
		h *= 16777619
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("beian-pg-%08x", h))
}

func (c *cluster) unlock() {
	if c != nil && c.lock != nil {
		_ = c.lock.Close() // closing releases the flock
		c.lock = nil
	}
}

func (c *cluster) initialized() bool {
	_, err := os.Stat(filepath.Join(c.data, "PG_VERSION"))
	return err == nil
}

func (c *cluster) url(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func (c *cluster) initdb(ctx context.Context, log *slog.Logger) error {
	log.Info("creating a private PostgreSQL cluster with initdb", "dir", c.data)
	out, err := c.run(ctx, "initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions")
	if err != nil {
		_ = os.RemoveAll(c.data) // a half-made cluster would be taken as made next time
		return fmt.Errorf("initdb %s: %w\n%s", c.data, err, out)
	}
	conf := fmt.Sprintf(`
# Added by beian devenv: a private cluster for development and tests.
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
`, c.sock)
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return fmt.Errorf("configure cluster: %w", err)
	}
	return f.Close()
}

// runningPort reports whether the cluster's postmaster is running, and the
// port it listens on (read from postmaster.pid).
func (c *cluster) runningPort(ctx context.Context) (int, bool) {
	if _, err := c.run(ctx, "pg_ctl", "-D", c.data, "status"); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

// start runs pg_ctl start on the remembered port, choosing a new free port
// when there is none yet or the remembered one has been taken meanwhile.
func (c *cluster) start(ctx context.Context, log *slog.Logger) (int, error) {
	port, err := c.rememberedPort()
	if err != nil || !portFree(port) {
		if err == nil {
			log.Warn("the private PostgreSQL's port is taken by another program, choosing a new one", "port", port)
		}
		if port, err = FreePort(); err != nil {
			return 0, err
		}
		if err := os.WriteFile(c.portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			return 0, fmt.Errorf("remember port: %w", err)
		}
	}
	out, err := c.run(ctx, "pg_ctl", "-D", c.data, "-l", c.logFile, "-w", "-t", "60", "-o", "-p "+strconv.Itoa(port), "start")
	if err != nil {
		return 0, fmt.Errorf("start PostgreSQL in %s on port %d: %w\n%s\n%s", c.data, port, err, out, c.logTail())
	}
	return port, nil
}

func (c *cluster) rememberedPort() (int, error) {
	b, err := os.ReadFile(c.portFile)
	if err != nil {
		return 0, err
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("bad port in %s: %q", c.portFile, b)
	}
	return p, nil
}

// run runs one of the server programs as the cluster's account and returns
// its combined output.
func (c *cluster) run(ctx context.Context, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir // the account may not be allowed into our working directory
	if c.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.owner.uid, Gid: c.owner.gid}}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // the postmaster must not hold our pipe open
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// ownerCanWrite reports whether the cluster's account can create files in dir.
func (c *cluster) ownerCanWrite(ctx context.Context, dir string) bool {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `test -w "$1" && test -x "$1"`, "sh", dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.owner.uid, Gid: c.owner.gid}}
	return cmd.Run() == nil
}

func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.logFile)
	if err != nil {
		return ""
	}
	return "last lines of " + c.logFile + ":\n" + tail(string(b), 20)
}

// findPostgresBin returns the directory that holds initdb, pg_ctl and
// postgres of one installation: the one on PATH first, then the newest of
// the usual places.
func findPostgresBin() (string, error) {
	var dirs []string
	for _, prog := range []string{"initdb", "pg_ctl"} {
		if p, err := exec.LookPath(prog); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				dirs = append(dirs, filepath.Dir(r))
			}
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, g := range pgBinGlobs {
		m, _ := filepath.Glob(g)
		sort.SliceStable(m, func(i, j int) bool { return versionOf(m[i]) > versionOf(m[j]) })
		dirs = append(dirs, m...)
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w (looked in PATH and %s): install the PostgreSQL server with `apt-get install postgresql` (Debian/Ubuntu; `dnf install postgresql-server` on Fedora, `brew install postgresql` on macOS), or set DATABASE_URL to a running server",
		ErrPostgresNotInstalled, strings.Join(pgBinGlobs, ", "))
}

var digits = regexp.MustCompile(`[0-9]+`)

func versionOf(p string) int {
	n, _ := strconv.Atoi(digits.FindString(p))
	return n
}

// clusterAccount returns the account a root process runs the cluster as: the
// postgres user, else beian-pg, which it creates with useradd.
func clusterAccount(ctx context.Context, log *slog.Logger) (*account, error) {
	for _, name := range []string{"postgres", clusterUser} {
		if u, err := user.Lookup(name); err == nil {
			return toAccount(u)
		}
	}
	log.Info("PostgreSQL refuses to run as root; creating a system user for it", "user", clusterUser)
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", clusterUser).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user; creating user %s failed: %w: %s (create an unprivileged user named postgres, or run as a normal user)",
			clusterUser, err, bytes.TrimSpace(out))
	}
	u, err := user.Lookup(clusterUser)
	if err != nil {
		return nil, fmt.Errorf("look up user %s after creating it: %w", clusterUser, err)
	}
	return toAccount(u)
}

func toAccount(u *user.User) (*account, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", u.Username, u.Gid, err)
	}
	return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// lockFile takes an exclusive flock on path, waiting for other holders (a
// second `make test`, `beian dev`) to finish starting the cluster.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// RedactURL returns databaseURL without its password, for logs.
func RedactURL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
