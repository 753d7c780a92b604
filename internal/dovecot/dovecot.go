// Package dovecot runs Debian's Dovecot IMAP server for tests: a child
// process on 127.0.0.1 with a throwaway configuration, passwd-file and
// Maildirs under t.TempDir(), so the mailbox reader is tested against the
// server the specialists' mailboxes (JSBA, AHBA) really speak to, not a mock.
//
// The server runs as the current user. When that is root (CI and the dev
// machines), Dovecot refuses to run its login process or mail sessions as
// root, so those run as the package's dovenull and as nobody; the temporary
// directories are opened to them (mode 0711) for the test's life.
package dovecot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Binary is where Debian's dovecot-core installs the server.
const Binary = "/usr/sbin/dovecot"

// DefaultPassword is the password of the preconfigured users.
const DefaultPassword = "secret"

// DefaultUsers are the users every server starts with, all with
// DefaultPassword: the Jiangsu and Anhui specialists' mailboxes.
var DefaultUsers = []string{"JSBA", "AHBA"}

// startTimeout bounds one start: the master up and a login answered.
const startTimeout = 20 * time.Second

// Config changes what Start sets up.
type Config struct {
	// Users maps user names to passwords; nil means DefaultUsers with
	// DefaultPassword.
	Users map[string]string
	// NoIdle leaves IDLE out of the capabilities the server announces, so
	// a client must fall back to polling (the server still knows IDLE).
	NoIdle bool
}

// Server is one running (or stopped) Dovecot with its data.
type Server struct {
	// Addr is where IMAP listens, "127.0.0.1:port"; it stays the same
	// across Stop and Restart.
	Addr string

	tb       testing.TB
	dir      string // config, passwd-file, log
	runDir   string // base_dir: Dovecot's sockets and pid file
	mailRoot string // one home (with its Maildir) per user
	mailUID  int
	mailGID  int
	noIdle   bool

	mu      sync.Mutex
	users   map[string]string
	proc    *process
	started bool // once: a port clash is then not retried elsewhere
	seq     int  // for Maildir file names
}

// process is one run of the dovecot master.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the master exited
	err  error         // its exit status, after done
}

// Start runs a Dovecot with the default users (JSBA and AHBA, password
// "secret") and stops it when the test ends. It skips the test when
// Dovecot is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartConfig(t, Config{})
}

// StartConfig is Start with a Config.
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := New(t, cfg)
	s.Start()
	return s
}

// New prepares a server (configuration, users, data directories) without
// starting it: add users with AddUser, then call Start. It skips the test
// when Dovecot is not installed.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Skipf("dovecot: %s not found (%v): install it with `apt-get install -y dovecot-imapd` (`make test` does, via scripts/ensure-packages.sh)", Binary, err)
	}
	s := &Server{tb: t, dir: t.TempDir(), noIdle: cfg.NoIdle, users: map[string]string{}}
	if cfg.Users == nil {
		for _, u := range DefaultUsers {
			s.users[u] = DefaultPassword
		}
	} else {
		for u, p := range cfg.Users {
			s.users[u] = p
		}
	}
	for u := range s.users {
		checkUserName(t, u)
	}

	// Unix sockets have a 108-byte path limit that t.TempDir() under a long
	// test name can pass: the sockets get a short directory of their own.
	run, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(run) })
	// Dovecot wants its base_dir world-readable (and would fix it, noisily).
	if err := os.Chmod(run, 0o755); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	s.runDir = run
	s.mailRoot = filepath.Join(s.dir, "mail")

	internalUser, err := user.Current()
	if err != nil {
		t.Fatalf("dovecot: current user: %v", err)
	}
	loginUser := internalUser
	s.mailUID, s.mailGID = os.Getuid(), os.Getgid()
	if os.Getuid() == 0 {
		loginUser = lookupUser(t, "dovenull")
		nobody := lookupUser(t, "nobody")
		s.mailUID, _ = strconv.Atoi(nobody.Uid)
		s.mailGID, _ = strconv.Atoi(nobody.Gid)
		// The mail sessions (as nobody) reach their homes through these.
		for _, d := range ancestorsInTemp(s.dir) {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatalf("dovecot: %v", err)
			}
		}
	}
	if err := os.Mkdir(s.mailRoot, 0o700); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	if err := os.Chown(s.mailRoot, s.mailUID, s.mailGID); err != nil {
		t.Fatalf("dovecot: %v", err)
	}

	port := freePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.writeConfig(internalUser, loginUser, port)
	s.mu.Lock()
	s.writePasswd()
	s.mu.Unlock()
	t.Cleanup(s.Stop)
	return s
}

// AddUser adds a user (or changes its password). It works before Start and
// while the server runs: Dovecot rereads its passwd-file when it changes.
func (s *Server) AddUser(name, password string) {
	s.tb.Helper()
	checkUserName(s.tb, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name] = password
	s.writePasswd()
}

// Start starts the server on Addr; it fails the test unless Dovecot then
// answers a login. On a fresh server a port taken between choosing and
// binding it is replaced by another.
func (s *Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	fresh := !s.started
	s.mu.Unlock()
	for try := 1; ; try++ {
		err := s.start()
		if err == nil {
			return
		}
		if fresh && try < 3 && strings.Contains(err.Error(), "Address already in use") {
			port := freePort(s.tb)
			s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			s.rewritePort(port)
			continue
		}
		s.tb.Fatalf("dovecot: start on %s: %v\n%s", s.Addr, err, s.LogTail())
	}
}

// Stop stops the server (Dovecot ends every session, so clients see their
// connection close) and waits until it has exited. The data stays; Start
// or Restart brings the server back on the same port. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	// The whole process group at once: the master alone takes a second
	// to end its children.
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Wait for the last child to exit, so nothing writes the Maildir or
	// holds the port once Stop returns.
	deadline := time.Now().Add(5 * time.Second)
	for groupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if groupAlive(pgid) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// groupAlive reports whether a process of the group still runs; zombies
// do not count (a container's init may never reap the orphans).
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// Restart stops the server and starts it again on the same port with the
// same mail.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.Start()
}

// Running reports whether the server has been started and not stopped.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil
}

// Password returns a user's password.
func (s *Server) Password(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[user]
}

// Dial logs a user in and returns the client; it is closed when the test
// ends.
func (s *Server) Dial(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	c, err := s.login(user)
	if err != nil {
		t.Fatalf("dovecot: log %s in: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Deliver appends a raw RFC 5322 message to a user's mailbox over IMAP
// (creating the mailbox when missing) and returns its UID and the
// mailbox's UIDVALIDITY. The server must be running.
func (s *Server) Deliver(t testing.TB, user, mailbox string, raw []byte) (uid, uidValidity uint32) {
	t.Helper()
	c, err := s.login(user)
	if err != nil {
		t.Fatalf("dovecot: deliver to %s/%s: %v", user, mailbox, err)
	}
	defer c.Close()
	data, err := appendMessage(c, mailbox, raw)
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeTryCreate {
		if err = c.Create(mailbox, nil).Wait(); err == nil {
			data, err = appendMessage(c, mailbox, raw)
		}
	}
	if err != nil {
		t.Fatalf("dovecot: deliver to %s/%s: %v", user, mailbox, err)
	}
	if data.UID == 0 {
		t.Fatalf("dovecot: deliver to %s/%s: no APPENDUID in the answer", user, mailbox)
	}
	_ = c.Logout().Wait()
	return uint32(data.UID), data.UIDValidity
}

func appendMessage(c *imapclient.Client, mailbox string, raw []byte) (*imap.AppendData, error) {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		_ = cmd.Close()
		return nil, err
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	return cmd.Wait()
}

// DeliverMaildir drops a raw message into the mailbox's Maildir new/
// directory, as a local delivery agent does; it works while the server is
// stopped (mail keeps arriving while IMAP is down). The mailbox, other than
// INBOX, must exist, and its name must be ASCII without '.' or '/'.
func (s *Server) DeliverMaildir(t testing.TB, user, mailbox string, raw []byte) {
	t.Helper()
	dir := s.MaildirPath(t, user, mailbox)
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		t.Fatalf("dovecot: no Maildir for %s/%s (deliver once over IMAP to create it): %v", user, mailbox, err)
	}
	s.mu.Lock()
	s.seq++
	now := time.Now()
	name := fmt.Sprintf("%d.M%dP%dQ%d.beian-test", now.Unix(), now.Nanosecond()/1000, os.Getpid(), s.seq)
	s.mu.Unlock()
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), 0o600); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	if err := os.Chown(tmp, s.mailUID, s.mailGID); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
}

// MaildirPath is the Maildir directory of a user's mailbox (Maildir++
// layout: INBOX is ~/Maildir, others ~/Maildir/.<name>).
func (s *Server) MaildirPath(t testing.TB, user, mailbox string) string {
	t.Helper()
	base := filepath.Join(s.mailRoot, user, "Maildir")
	if strings.EqualFold(mailbox, "INBOX") {
		return base
	}
	for _, r := range mailbox {
		if r > 0x7e || r < 0x20 || r == '.' || r == '/' || r == '&' {
			t.Fatalf("dovecot: mailbox name %q has no simple Maildir folder name", mailbox)
		}
	}
	return filepath.Join(base, "."+mailbox)
}

// ResetUIDValidity makes the mailbox's UIDVALIDITY change while its mail
// stays, as after a server migration or a rebuilt index: it stops the
// server, deletes the mailbox's UID list and indexes, and starts the server
// again (if it was running). Every message then has a new UID under a new
// UIDVALIDITY.
func (s *Server) ResetUIDValidity(t testing.TB, user, mailbox string) {
	t.Helper()
	dir := s.MaildirPath(t, user, mailbox)
	running := s.Running()
	s.Stop()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	removed := false
	for _, e := range entries {
		n := e.Name()
		if n == "dovecot-uidlist" || strings.HasPrefix(n, "dovecot.index") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				t.Fatalf("dovecot: %v", err)
			}
			removed = removed || n == "dovecot-uidlist"
		}
	}
	if !removed {
		t.Fatalf("dovecot: %s has no dovecot-uidlist to reset", dir)
	}
	if running {
		s.Start()
	}
}

// LogTail returns the end of Dovecot's log, for failure messages.
func (s *Server) LogTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	if err != nil {
		return "(no dovecot log: " + err.Error() + ")"
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "dovecot log:\n" + string(b)
}

// start runs the master and waits until a login succeeds.
func (s *Server) start() error {
	s.mu.Lock()
	if s.proc != nil {
		s.mu.Unlock()
		return errors.New("already running")
	}
	s.mu.Unlock()
	logPath := filepath.Join(s.dir, "dovecot.log")
	logStart := fileSize(logPath)

	// What the master says before its log is open goes in the log too.
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	p, err := spawn(out, Binary, "-F", "-c", filepath.Join(s.dir, "dovecot.conf"))
	_ = out.Close() // the child has its own descriptor
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	anyUser := ""
	s.mu.Lock()
	for u := range s.users {
		if anyUser == "" || u < anyUser {
			anyUser = u
		}
	}
	s.mu.Unlock()

	// Ready once a login succeeds; the probe runs aside, so a master that
	// dies (a port taken by someone else, who never answers) is seen at once.
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		probe := make(chan error, 1)
		go func() { probe <- s.probe(anyUser) }()
		select {
		case <-p.done:
			s.mu.Lock()
			s.proc = nil
			s.mu.Unlock()
			return fmt.Errorf("dovecot exited (%v): %s", p.err, newLog(logPath, logStart))
		case err := <-probe:
			if err == nil {
				if l := newLog(logPath, logStart); strings.Contains(l, "Fatal:") {
					s.Stop()
					return fmt.Errorf("a Dovecot service failed: %s", l)
				}
				s.mu.Lock()
				s.started = true
				s.mu.Unlock()
				return nil
			}
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("no login within %s: %v", startTimeout, last)
}

// spawn starts the master from a goroutine locked to its OS thread, which
// stays until the master exits: Pdeathsig (the master gets SIGTERM when the
// test binary dies) fires when the starting thread ends, not the process.
func spawn(out io.Writer, name string, args ...string) (*process, error) {
	p := &process{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.cmd = cmd
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// probe logs user in and out (or, without users, connects).
func (s *Server) probe(user string) error {
	if user == "" {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err
	}
	c, err := s.login(user)
	if err != nil {
		return err
	}
	_ = c.Logout().Wait()
	return c.Close()
}

func (s *Server) login(user string) (*imapclient.Client, error) {
	s.mu.Lock()
	pass, ok := s.users[user]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no user %s", user)
	}
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := imapclient.New(conn, nil)
	if err := c.Login(user, pass).Wait(); err != nil {
		_ = c.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return c, nil
}

func (s *Server) writeConfig(internalUser, loginUser *user.User, port int) {
	group, err := user.LookupGroupId(internalUser.Gid)
	if err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	idle := ""
	if s.noIdle {
		// The post-login capabilities Dovecot 2.3 announces, less IDLE.
		idle = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY " +
			"THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT " +
			"CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES " +
			"WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE LITERAL+\n"
	}
	// Without root there is no chroot: the services Dovecot chroots by
	// default run without.
	chroot, moreServices := "", ""
	if os.Getuid() != 0 {
		chroot = "  chroot =\n"
		for _, svc := range []string{"aggregator", "director", "imap-urlauth-login", "ipc", "old-stats"} {
			moreServices += "service " + svc + " {\n  chroot =\n}\n"
		}
	}
	conf := fmt.Sprintf(`# Written by internal/dovecot for one test.
base_dir = %[1]s
state_dir = %[2]s/state
log_path = %[2]s/dovecot.log
instance_name = beian-test-%[3]d
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %%u
auth_failure_delay = 0
default_internal_user = %[4]s
default_internal_group = %[5]s
default_login_user = %[6]s
first_valid_uid = %[7]d
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 100
mailbox_idle_check_interval = 1 secs
%[8]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[2]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[2]s/passwd
}
# No growing delay after a failed login (the anvil auth penalty): tests
# log in with a wrong password on purpose.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
%[9]s}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    port = 0
  }
%[9]s}
%[10]s`, s.runDir, s.dir, port, internalUser.Username, group.Name, loginUser.Username, s.mailUID, idle, chroot, moreServices)
	if err := os.MkdirAll(filepath.Join(s.dir, "state"), 0o700); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "dovecot.conf"), []byte(conf), 0o600); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
}

func (s *Server) rewritePort(port int) {
	p := filepath.Join(s.dir, "dovecot.conf")
	b, err := os.ReadFile(p)
	if err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "port = ") && t != "port = 0" {
			lines[i] = "    port = " + strconv.Itoa(port)
		}
		if strings.HasPrefix(t, "instance_name = ") {
			lines[i] = "instance_name = beian-test-" + strconv.Itoa(port)
		}
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
}

// writePasswd writes the passwd-file; s.mu is held.
func (s *Server) writePasswd() {
	names := make([]string, 0, len(s.users))
	for u := range s.users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, u := range names {
		fmt.Fprintf(&b, "%s:{PLAIN}%s:%d:%d::%s::\n", u, s.users[u], s.mailUID, s.mailGID, filepath.Join(s.mailRoot, u))
	}
	// Written aside and renamed, so Dovecot never reads half a file.
	p := filepath.Join(s.dir, "passwd")
	if err := os.WriteFile(p+".new", []byte(b.String()), 0o600); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
}

func checkUserName(t testing.TB, name string) {
	t.Helper()
	if name == "" || strings.ContainsAny(name, ":/\n\r\t ") || name == "." || name == ".." {
		t.Fatalf("dovecot: user name %q cannot go in a passwd-file", name)
	}
}

func lookupUser(t testing.TB, name string) *user.User {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Skipf("dovecot: running as root needs the system user %s (dovecot-core creates dovenull; `apt-get install -y dovecot-imapd`): %v", name, err)
	}
	return u
}

// ancestorsInTemp returns dir and its parents below os.TempDir().
func ancestorsInTemp(dir string) []string {
	root := filepath.Clean(os.TempDir())
	var out []string
	for d := filepath.Clean(dir); d != root && strings.HasPrefix(d, root+string(filepath.Separator)); d = filepath.Dir(d) {
		out = append(out, d)
	}
	return out
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dovecot: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// newLog returns what was logged since offset.
func newLog(p string, offset int64) string {
	b, err := os.ReadFile(p)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return strings.TrimSpace(string(b[offset:]))
}
