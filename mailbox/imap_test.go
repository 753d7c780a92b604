package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/internal/dovecot"
	"github.com/beian/beian/mailbox"
)

// mail builds an RFC 5322 message; the subject goes in as given, so a test
// can pass an RFC 2047 encoded word.
func mail(n int, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: =?UTF-8?B?5byg5LiJ?= <filer%d@example.com>\r\n"+
		"To: JSBA@ChinaNet.CC\r\n"+
		"Subject: %s\r\n"+
		"Message-ID: <m%d@example.com>\r\n"+
		"Date: Mon, 01 Dec 2025 09:%02d:00 +0800\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: 8bit\r\n"+
		"\r\n%s\r\n", n, subject, n, n%60, body))
}

// subjects are R-IN-3 subjects (<sponsor full name>+<domain>) as mail
// programs send them: UTF-8 and GB2312 encoded words, and plain ASCII.
var subjects = []string{
	mime.BEncoding.Encode("UTF-8", "苏州某某科技有限公司+example.cn"),
	"=?GB2312?B?sbiwuA==?= materials", // 备案
	"Re: question",
}

func reader(srv *dovecot.Server, user string) *mailbox.Reader {
	return &mailbox.Reader{
		Account: mailbox.Account{Name: user, Addr: srv.Addr, Username: user, Password: srv.Password(user)},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func uids(batch []mailbox.Fetched) []uint32 {
	var out []uint32
	for _, f := range batch {
		out = append(out, f.UID)
	}
	return out
}

func TestFetchReturnsNewMailInUIDOrderAndAdvancesTheCursor(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "JSBA")
	ctx := context.Background()

	got, cur, err := r.Fetch(ctx, mailbox.Cursor{})
	require.NoError(t, err)
	require.Empty(t, got, "an empty mailbox")
	require.NotZero(t, cur.UIDValidity)
	require.Zero(t, cur.LastUID)

	var sent [][]byte
	var validity uint32
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	for i, s := range subjects {
		raw := mail(i, s, "材料见附件，请查收。")
		sent = append(sent, raw)
		_, validity = srv.Deliver(t, "JSBA", "INBOX", raw)
	}
	srv.Deliver(t, "AHBA", "INBOX", mail(9, "for Anhui", "x")) // another account's mail is not ours

	got, cur, err = r.Fetch(ctx, cur)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2, 3}, uids(got))
	require.Equal(t, mailbox.Cursor{UIDValidity: validity, LastUID: 3}, cur)
	for i, f := range got {
		require.Equal(t, "JSBA", f.Account)
		require.Equal(t, validity, f.UIDValidity)
		require.Equal(t, sent[i], f.Raw, "message %d comes back byte for byte, its subject not decoded", i)
		require.Equal(t, int64(len(sent[i])), f.Size)
		require.False(t, f.Truncated)
		require.False(t, f.InternalDate.Before(before), "received now, not at the Date header")
		require.WithinDuration(t, time.Now(), f.InternalDate, time.Minute)
	}
	require.Contains(t, string(got[0].Raw), "Subject: =?UTF-8?b?6IuP5bee")
	require.Contains(t, string(got[1].Raw), "Subject: =?GB2312?B?sbiwuA==?= materials\r\n")

	again, cur2, err := r.Fetch(ctx, cur)
	require.NoError(t, err)
	require.Empty(t, again, "nothing new")
	require.Equal(t, cur, cur2)

	fourth := mail(4, "one more", "第四封")
	srv.Deliver(t, "JSBA", "INBOX", fourth)
	got, cur, err = r.Fetch(ctx, cur)
	require.NoError(t, err)
	require.Equal(t, []uint32{4}, uids(got), "only the new one")
	require.Equal(t, fourth, got[0].Raw)
	require.Equal(t, mailbox.Cursor{UIDValidity: validity, LastUID: 4}, cur)

	// The reader leaves the mail unread for the specialists.
	c := srv.Dial(t, "JSBA")
	_, err = c.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	unseen, err := c.UIDSearch(unseenCriteria(), nil).Wait()
	require.NoError(t, err)
	require.Len(t, unseen.AllUIDs(), 4)
}

func unseenCriteria() *imap.SearchCriteria {
	return &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
}

func TestFetchReturnsEverythingAgainAfterUIDValidityChanged(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "AHBA")
	r.Account.Mailbox = "Materials"
	ctx := context.Background()
	for i := range 3 {
		srv.Deliver(t, "AHBA", "Materials", mail(i, fmt.Sprint("materials ", i), "x"))
	}
	got, cur, err := r.Fetch(ctx, mailbox.Cursor{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	old := cur.UIDValidity

	srv.ResetUIDValidity(t, "AHBA", "Materials")
	got, cur, err = r.Fetch(ctx, cur)
	require.NoError(t, err)
	require.NotEqual(t, old, cur.UIDValidity)
	require.Equal(t, []uint32{1, 2, 3}, uids(got), "all of them, under the new UIDVALIDITY")
	for i, f := range got {
		require.Equal(t, cur.UIDValidity, f.UIDValidity)
		require.Contains(t, string(f.Raw), fmt.Sprintf("Message-ID: <m%d@example.com>", i), "the caller dedupes by Message-ID")
	}
	require.Equal(t, uint32(3), cur.LastUID)

	got, _, err = r.Fetch(ctx, cur)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestFetchReturnsOverCapMessagesHeadersOnly(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "JSBA")
	r.MaxMessage = 4096
	small := mail(1, subjects[0], "small")
	big := mail(2, subjects[1], strings.Repeat("0123456789abcdef", 1024)) // 16 KiB of body
	srv.Deliver(t, "JSBA", "INBOX", small)
	srv.Deliver(t, "JSBA", "INBOX", big)
	srv.Deliver(t, "JSBA", "INBOX", small)

	got, cur, err := r.Fetch(context.Background(), mailbox.Cursor{})
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2, 3}, uids(got))
	require.Equal(t, uint32(3), cur.LastUID, "the cursor passes the big one too")
	require.False(t, got[0].Truncated)
	require.Equal(t, small, got[0].Raw)
	require.True(t, got[1].Truncated)
	require.Equal(t, int64(len(big)), got[1].Size, "Size is the whole message's")
	header := big[:bytes.Index(big, []byte("\r\n\r\n"))+4]
	require.Equal(t, header, got[1].Raw, "the header, blank line included, subject untouched")
	require.False(t, got[2].Truncated)
}

func TestFetchBatchesByMaxBatch(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "JSBA")
	r.MaxBatch = 2
	r.Account.Mailbox = "备案材料" // a folder named in Chinese (modified UTF-7 on the wire)
	for i := range 5 {
		srv.Deliver(t, "JSBA", "备案材料", mail(i, "m", "x"))
	}
	var cur mailbox.Cursor
	var sizes []int
	for {
		got, next, err := r.Fetch(context.Background(), cur)
		require.NoError(t, err)
		if len(got) == 0 {
			break
		}
		require.Equal(t, cur.LastUID+1, got[0].UID)
		sizes = append(sizes, len(got))
		cur = next
	}
	require.Equal(t, []int{2, 2, 1}, sizes)
	require.Equal(t, uint32(5), cur.LastUID)
}

func TestFetchFailsOnAWrongPasswordWithoutShowingIt(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "JSBA")
	r.Account.Password = "not-the-password"
	_, cur, err := r.Fetch(context.Background(), mailbox.Cursor{UIDValidity: 7, LastUID: 2})
	require.Error(t, err)
	require.Contains(t, err.Error(), "log in as JSBA")
	require.NotContains(t, err.Error(), "not-the-password")
	require.Equal(t, mailbox.Cursor{UIDValidity: 7, LastUID: 2}, cur, "the cursor stays")
	require.NotContains(t, fmt.Sprint(r.Account), "not-the-password")
	require.NotContains(t, fmt.Sprintf("%#v", r.Account), "not-the-password")
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "account", r.Account)
	require.NotContains(t, log.String(), "not-the-password")
	require.Contains(t, log.String(), "account.name=JSBA")

	r.Account.Addr = "127.0.0.1:1"
	_, _, err = r.Fetch(context.Background(), mailbox.Cursor{})
	require.Error(t, err, "nobody listens")
}

// store is a caller's durable record: the batches and the cursor, saved
// together, each message once by Message-ID.
type store struct {
	mu      sync.Mutex
	cur     mailbox.Cursor
	ids     []string       // Message-IDs in the order recorded
	handed  map[string]int // Message-ID → times handed over
	loads   int
	failing int // fail this many handle calls first
	changed chan struct{}
}

func newStore() *store { return &store{handed: map[string]int{}, changed: make(chan struct{}, 1)} }

func (s *store) load(ctx context.Context) (mailbox.Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	return s.cur, nil
}

func (s *store) handle(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range batch {
		s.handed[messageID(f.Raw)]++
	}
	if s.failing > 0 {
		s.failing--
		return errors.New("database unavailable")
	}
	for _, f := range batch {
		id := messageID(f.Raw)
		if !contains(s.ids, id) {
			s.ids = append(s.ids, id)
		}
	}
	s.cur = next
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (s *store) recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// waitRecorded waits until n messages are recorded and returns how long
// that took.
func (s *store) waitRecorded(t *testing.T, n int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for len(s.recorded()) < n {
		select {
		case <-s.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("after %s, %d messages recorded, want %d: %v", within, len(s.recorded()), n, s.recorded())
		}
	}
	return time.Since(start)
}

func messageID(raw []byte) string {
	for _, l := range strings.Split(string(raw), "\r\n") {
		if v, ok := strings.CutPrefix(l, "Message-ID: "); ok {
			return v
		}
	}
	return ""
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// run starts r.Run on st and returns a stop that waits for Run's result.
func run(t *testing.T, r *mailbox.Reader, st *store) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, st.load, st.handle) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				err = errors.New("Run did not return within 5 s of its context ending")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestRunPicksNewMailUpWithIdleWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	srv.Deliver(t, "JSBA", "INBOX", mail(1, subjects[0], "before Run"))
	r := reader(srv, "JSBA")
	r.Poll = time.Hour // only IDLE can bring the mail in time
	st := newStore()
	stop := run(t, r, st)
	st.waitRecorded(t, 1, 10*time.Second)

	for i := 2; i <= 3; i++ {
		time.Sleep(200 * time.Millisecond) // Run is idling again
		srv.Deliver(t, "JSBA", "INBOX", mail(i, subjects[1], "while idling"))
		took := st.waitRecorded(t, i, 2*time.Second)
		t.Logf("message %d recorded %s after delivery", i, took)
	}
	require.ErrorIs(t, stop(), context.Canceled)
	require.Equal(t, []string{"<m1@example.com>", "<m2@example.com>", "<m3@example.com>"}, st.recorded())
	for id, n := range st.handed {
		require.Equal(t, 1, n, "%s handed over once", id)
	}
	require.Equal(t, uint32(3), st.cur.LastUID)
}

func TestRunPollsWhenTheServerHasNoIdle(t *testing.T) {
	t.Parallel()
	srv := dovecot.StartConfig(t, dovecot.Config{NoIdle: true})
	r := reader(srv, "JSBA")
	r.Poll = 300 * time.Millisecond
	st := newStore()
	run(t, r, st)
	time.Sleep(100 * time.Millisecond)
	srv.Deliver(t, "JSBA", "INBOX", mail(1, "polled", "x"))
	st.waitRecorded(t, 1, 3*time.Second)
	srv.Deliver(t, "JSBA", "INBOX", mail(2, "polled", "x"))
	st.waitRecorded(t, 2, 3*time.Second)
}

// The IMAP server down (here for two seconds, in life for an hour), with
// mail arriving in the Maildir meanwhile: nothing lost, nothing twice.
func TestRunSurvivesTheServerGoingDown(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	r := reader(srv, "JSBA")
	r.MaxBackoff = 400 * time.Millisecond
	var log syncBuffer
	r.Logger = slog.New(slog.NewTextHandler(&log, nil))
	st := newStore()
	run(t, r, st)
	srv.Deliver(t, "JSBA", "INBOX", mail(1, "before", "x"))
	st.waitRecorded(t, 1, 5*time.Second)

	srv.Stop()
	srv.DeliverMaildir(t, "JSBA", "INBOX", mail(2, "while down", "x"))
	srv.DeliverMaildir(t, "JSBA", "INBOX", mail(3, "while down", "x"))
	time.Sleep(2 * time.Second) // Run knocks a few times
	srv.Start()
	st.waitRecorded(t, 3, 5*time.Second)
	srv.Deliver(t, "JSBA", "INBOX", mail(4, "after", "x"))
	st.waitRecorded(t, 4, 2*time.Second)

	require.Equal(t, []string{"<m1@example.com>", "<m2@example.com>", "<m3@example.com>", "<m4@example.com>"}, st.recorded())
	st.mu.Lock()
	for id, n := range st.handed {
		require.Equal(t, 1, n, "%s handed over once", id)
	}
	require.GreaterOrEqual(t, st.loads, 2, "the cursor is loaded again at the reconnection")
	st.mu.Unlock()
	require.Contains(t, log.String(), "connecting again")
	require.NotContains(t, log.String(), dovecot.DefaultPassword)
}

func TestRunRetriesABatchHandleFailedOnAndReloadsTheCursor(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	for i := range 3 {
		srv.Deliver(t, "JSBA", "INBOX", mail(i, "m", "x"))
	}
	r := reader(srv, "JSBA")
	r.MaxBackoff = 200 * time.Millisecond
	st := newStore()
	st.failing = 2
	run(t, r, st)
	st.waitRecorded(t, 3, 5*time.Second)
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Equal(t, 3, st.loads, "loaded at each of the three connections")
	require.Equal(t, 3, st.handed["<m0@example.com>"], "handed again until recorded")
	require.Equal(t, mailbox.Cursor{UIDValidity: st.cur.UIDValidity, LastUID: 3}, st.cur)
}

// A crash between two batches: the next Run goes on from the recorded
// cursor, so each message is recorded once and none is missed.
func TestRunAfterACrashGoesOnFromTheRecordedCursor(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	for i := range 5 {
		srv.Deliver(t, "JSBA", "INBOX", mail(i, "m", "x"))
	}
	r := reader(srv, "JSBA")
	r.MaxBatch = 2
	st := newStore()

	ctx, crash := context.WithCancel(context.Background())
	first := 0
	err := r.Run(ctx, st.load, func(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor) error {
		first++
		err := st.handle(ctx, batch, next)
		crash() // the process dies right after the first batch was recorded
		return err
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, first)
	require.Len(t, st.recorded(), 2)

	run(t, r, st)
	st.waitRecorded(t, 5, 5*time.Second)
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, n := range st.handed {
		require.Equal(t, 1, n, "%s handed over once", id)
	}
}

func TestRunReturnsPromptlyWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t)
	st := newStore()
	stop := run(t, reader(srv, "JSBA"), st)
	time.Sleep(300 * time.Millisecond) // idling
	start := time.Now()
	require.ErrorIs(t, stop(), context.Canceled)
	require.Less(t, time.Since(start), time.Second)

	// And while it waits to reconnect.
	srv.Stop()
	r := reader(srv, "JSBA")
	r.MaxBackoff = time.Hour
	stop = run(t, r, newStore())
	time.Sleep(1500 * time.Millisecond)
	start = time.Now()
	require.ErrorIs(t, stop(), context.Canceled)
	require.Less(t, time.Since(start), time.Second)
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
