package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Defaults for the zero fields of Account and Reader.
const (
	// DefaultMailbox is the mailbox read when Account.Mailbox is empty.
	DefaultMailbox = "INBOX"
	// DefaultMaxMessage is the cap on a whole message (32 MiB): a 20 MiB
	// attachment (mailparse's cap) fits in base64 with room to spare.
	DefaultMaxMessage = 32 << 20
	// DefaultPoll is how often Run looks on a server without IDLE.
	DefaultPoll = 30 * time.Second
	// DefaultDialTimeout bounds connecting.
	DefaultDialTimeout = 30 * time.Second
	// DefaultMaxBatch is the most messages one batch holds.
	DefaultMaxBatch = 100
	// DefaultMaxBackoff is the longest wait between reconnections.
	DefaultMaxBackoff = time.Minute
)

const (
	// batchBytes bounds the message bytes of one batch (at least one
	// message always goes), so a first read of a large mailbox never holds
	// it all in memory.
	batchBytes = 64 << 20
	// idleRefresh ends an IDLE now and then to look at the mailbox anyway:
	// a connection that died without a word is noticed at the latest then.
	idleRefresh = 5 * time.Minute
	// firstBackoff is the wait before the first reconnection.
	firstBackoff = 500 * time.Millisecond
)

// Account is one IMAP mailbox to read.
type Account struct {
	// Name is the account's name in beian (e.g. "JSBA"), set on every
	// Fetched and used in logs.
	Name string
	// Addr is the server's host:port.
	Addr string
	// Username and Password log in (IMAP LOGIN); the password is never
	// logged or printed.
	Username string
	Password string
	// Mailbox is the mailbox to read; empty means INBOX.
	Mailbox string
	// TLS speaks TLS from the first byte (imaps, usually port 993). Without
	// it the connection is plain IMAP: for a server on loopback or a
	// trusted network only, since the password then travels in clear.
	TLS bool
}

// String names the account without its password.
func (a Account) String() string {
	return fmt.Sprintf("%s (%s@%s %s)", a.Name, a.Username, a.Addr, a.mailbox())
}

// GoString is String, so %#v does not print the password either.
func (a Account) GoString() string { return "mailbox.Account{" + a.String() + "}" }

// LogValue logs the account without its password.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", a.Name), slog.String("addr", a.Addr),
		slog.String("username", a.Username), slog.String("mailbox", a.mailbox()), slog.Bool("tls", a.TLS))
}

func (a Account) mailbox() string {
	if a.Mailbox == "" {
		return DefaultMailbox
	}
	return a.Mailbox
}

// Cursor is where reading stands in one account's mailbox: messages with
// UID > LastUID under this UIDValidity are new. The zero Cursor (nothing
// read yet) makes every message new.
type Cursor struct {
	UIDValidity uint32
	LastUID     uint32
}

// Fetched is one message read from a mailbox.
type Fetched struct {
	// Account is the Account's Name.
	Account     string
	UIDValidity uint32
	UID         uint32
	// Raw is the whole RFC 822 message as the server sends it (CRLF line
	// ends, headers undecoded); for a Truncated message only its header.
	Raw []byte
	// Size is the message's full size (RFC822.SIZE), also when Truncated.
	Size int64
	// InternalDate is when the server received the message.
	InternalDate time.Time
	// Truncated is set when the message is bigger than Reader.MaxMessage:
	// Raw then holds only its header (the blank line after it included),
	// at most MaxMessage bytes of it.
	Truncated bool
}

// Reader reads one account's mailbox: Fetch once, or Run for good.
type Reader struct {
	Account Account
	// MaxMessage caps Raw: bigger messages are fetched headers-only with
	// Truncated set; zero means DefaultMaxMessage (32 MiB).
	MaxMessage int64
	// Poll is how often Run looks for new mail on a server without IDLE;
	// zero means DefaultPoll (30 s).
	Poll time.Duration
	// DialTimeout bounds connecting (TCP and TLS); zero means
	// DefaultDialTimeout. Each command then has the IMAP client's own
	// timeouts (30 s for a response).
	DialTimeout time.Duration
	// MaxBatch caps the messages of one batch (and of one Fetch); zero
	// means DefaultMaxBatch. A batch also stops before 64 MiB of Raw.
	MaxBatch int
	// MaxBackoff caps the wait between reconnections in Run, which starts
	// at half a second and doubles; zero means DefaultMaxBackoff (1 min).
	MaxBackoff time.Duration
	// Logger gets Run's reconnections; nil means slog.Default().
	Logger *slog.Logger
}

// Fetch returns the messages after cur, in UID order, and the new cursor:
// when UIDVALIDITY changed since cur (or cur is zero), all of the
// mailbox's messages, under the new UIDVALIDITY; the caller dedupes those
// it has by Message-ID or SHA-256. A batch holds at most MaxBatch messages
// (and about 64 MiB): call Fetch again with the new cursor until it returns
// none. Each call is one connection, opened read-only.
func (r *Reader) Fetch(ctx context.Context, cur Cursor) ([]Fetched, Cursor, error) {
	s, err := r.connect(ctx)
	if err != nil {
		return nil, cur, r.ctxErr(ctx, err)
	}
	defer s.close()
	batch, next, err := r.fetchAfter(s, cur)
	if err != nil {
		return nil, cur, r.ctxErr(ctx, err)
	}
	return batch, next, nil
}

// Run reads the mailbox until ctx ends, then returns ctx.Err(). At each
// (re)connection it loads the cursor with load, then hands every batch
// after it to handle, which records the batch and next durably (in one
// transaction) before it returns; the cursor advances only after handle
// returned nil, so a crash loses nothing and repeats at most the batch in
// hand, which handle dedupes. Once the mailbox is read to its end, Run
// waits for new mail with IDLE when the server offers it, polling every
// Poll otherwise. When the server goes away, or load or handle fail, Run
// logs it, waits (from half a second, doubling up to MaxBackoff) and
// connects again: it never gives up on a mailbox while ctx lasts.
func (r *Reader) Run(ctx context.Context, load func(ctx context.Context) (Cursor, error),
	handle func(ctx context.Context, batch []Fetched, next Cursor) error) error {
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	backoff := firstBackoff
	for {
		healthy := false
		err := r.session(ctx, load, handle, func() { healthy = true })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if healthy {
			backoff = firstBackoff
		}
		wait := jitter(backoff)
		log.Warn("mailbox: reading stopped, connecting again", "account", r.Account, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, r.maxBackoff())
	}
}

// session is one connection of Run: it returns why it ended. It calls
// healthy once the mailbox has been read to its end.
func (r *Reader) session(ctx context.Context, load func(ctx context.Context) (Cursor, error),
	handle func(ctx context.Context, batch []Fetched, next Cursor) error, healthy func()) error {
	s, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	cur, err := load(ctx)
	if err != nil {
		return fmt.Errorf("load cursor of %s: %w", r.Account.Name, err)
	}
	for {
		for {
			batch, next, err := r.fetchAfter(s, cur)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				cur = next // at most a new UIDVALIDITY of an empty mailbox: nothing to record
				break
			}
			if err := handle(ctx, batch, next); err != nil {
				return fmt.Errorf("handle %d messages of %s (UID %d–%d): %w",
					len(batch), r.Account.Name, batch[0].UID, batch[len(batch)-1].UID, err)
			}
			cur = next
		}
		healthy()
		if err := r.wait(ctx, s); err != nil {
			return err
		}
	}
}

// wait returns when the mailbox may have new mail: IDLE when the server
// offers it, else after Poll.
func (r *Reader) wait(ctx context.Context, s *session) error {
	if !s.c.Caps().Has(imap.CapIdle) {
		t := time.NewTimer(r.poll())
		defer t.Stop()
		select {
		case <-t.C:
			// NOOP makes the server report new mail (EXISTS).
			if err := s.c.Noop().Wait(); err != nil {
				return fmt.Errorf("%s: noop: %w", r.Account.Name, err)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-s.c.Closed():
			return fmt.Errorf("%s: connection closed", r.Account.Name)
		}
	}
	idle, err := s.c.Idle()
	if err != nil {
		return fmt.Errorf("%s: idle: %w", r.Account.Name, err)
	}
	t := time.NewTimer(idleRefresh)
	select {
	case <-s.newMail:
	case <-t.C:
	case <-ctx.Done():
	case <-s.c.Closed():
	}
	t.Stop()
	if err := idle.Close(); err != nil {
		return fmt.Errorf("%s: end idle: %w", r.Account.Name, err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("%s: idle: %w", r.Account.Name, err)
	}
	return ctx.Err()
}

// session is one logged-in connection with the mailbox selected.
type session struct {
	c           *imapclient.Client
	uidValidity uint32
	// newMail gets a token when the server reports a new message count.
	newMail  chan struct{}
	stopCtx  func() bool
	loggedIn bool
}

// connect dials, logs in and opens the mailbox read-only. Ending ctx
// closes the connection, which ends whatever command is under way.
func (r *Reader) connect(ctx context.Context) (*session, error) {
	a := r.Account
	d := net.Dialer{Timeout: r.dialTimeout()} // TCP keepalive on: a dead peer is noticed while idling
	conn, err := d.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name, err)
	}
	if a.TLS {
		host, _, err := net.SplitHostPort(a.Addr)
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		tc := tls.Client(conn, &tls.Config{ServerName: host, NextProtos: []string{"imap"}, MinVersion: tls.VersionTLS12})
		hctx, cancel := context.WithTimeout(ctx, r.dialTimeout())
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("%s: tls: %w", a.Name, err)
		}
		conn = tc
	}
	s := &session{newMail: make(chan struct{}, 1)}
	s.c = imapclient.New(conn, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			}
		},
	}})
	s.stopCtx = context.AfterFunc(ctx, func() { _ = s.c.Close() })
	if err := s.c.WaitGreeting(); err != nil {
		s.close()
		return nil, fmt.Errorf("%s: greeting: %w", a.Name, err)
	}
	if err := s.c.Login(a.Username, a.Password).Wait(); err != nil {
		s.close()
		return nil, fmt.Errorf("%s: log in as %s: %w", a.Name, a.Username, err)
	}
	s.loggedIn = true
	sel, err := s.c.Select(a.mailbox(), &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("%s: examine %s: %w", a.Name, a.mailbox(), err)
	}
	if sel.UIDValidity == 0 {
		s.close()
		return nil, fmt.Errorf("%s: examine %s: the server sent no UIDVALIDITY", a.Name, a.mailbox())
	}
	s.uidValidity = sel.UIDValidity
	return s, nil
}

func (s *session) close() {
	s.stopCtx()
	if s.loggedIn {
		select {
		case <-s.c.Closed():
		default:
			_ = s.c.Logout().Wait()
		}
	}
	_ = s.c.Close()
}

// meta is what the first FETCH of a batch learns about a message.
type meta struct {
	size int64
	date time.Time
}

// body is one message's fetched text.
type body struct {
	raw  []byte
	over bool // longer than the cap
}

// fetchAfter returns the batch after cur on an open session: empty only
// when there is nothing after cur.
func (r *Reader) fetchAfter(s *session, cur Cursor) ([]Fetched, Cursor, error) {
	for {
		batch, next, err := r.fetchOnce(s, cur)
		if err != nil || len(batch) > 0 || next == cur || next.LastUID == 0 {
			return batch, next, err
		}
		// Every message planned was expunged meanwhile: look further.
		cur = next
	}
}

// fetchOnce plans one batch after cur and fetches it.
func (r *Reader) fetchOnce(s *session, cur Cursor) ([]Fetched, Cursor, error) {
	name := r.Account.Name
	next := Cursor{UIDValidity: s.uidValidity}
	if cur.UIDValidity == s.uidValidity {
		next.LastUID = cur.LastUID
	}
	// The message count is current: from EXAMINE, then from the EXISTS the
	// server sends during IDLE or in answer to any command (NOOP when polling).
	if mbox := s.c.Mailbox(); mbox != nil && mbox.NumMessages == 0 {
		return nil, next, nil
	}
	if next.LastUID == math.MaxUint32 {
		return nil, next, nil
	}

	// The UIDs after the cursor. "n:*" also matches the highest UID when it
	// is below n, hence the filter.
	var after imap.UIDSet
	after.AddRange(imap.UID(next.LastUID+1), 0)
	var opts *imap.SearchOptions
	if s.c.Caps().Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	found, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{after}}, opts).Wait()
	if err != nil {
		return nil, next, fmt.Errorf("%s: search UIDs after %d: %w", name, next.LastUID, err)
	}
	var uids []imap.UID
	for _, u := range found.AllUIDs() {
		if uint32(u) > next.LastUID {
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 {
		return nil, next, nil
	}
	slices.Sort(uids)
	uids = uids[:min(len(uids), r.maxBatch())]

	metas, err := r.fetchMeta(s, uids)
	if err != nil {
		return nil, next, err
	}
	// Plan the batch: whole messages up to the cap, headers beyond it, and
	// no more than batchBytes in all.
	limit := r.maxMessage()
	var whole, headers []imap.UID
	var total int64
	taken := 0
	for _, u := range uids {
		m, ok := metas[u]
		if ok {
			cost := m.size
			if cost > limit {
				cost = 0 // a header only
			}
			if taken > 0 && total+cost > batchBytes {
				break
			}
			total += cost
			if m.size > limit {
				headers = append(headers, u)
			} else {
				whole = append(whole, u)
			}
		}
		taken++ // an expunged message is passed over with the rest
	}
	uids = uids[:taken]

	bodies := map[imap.UID]body{}
	if err := r.fetchBodies(s, whole, &imap.FetchItemBodySection{Peek: true}, limit, bodies); err != nil {
		return nil, next, err
	}
	if err := r.fetchBodies(s, headers, &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}, limit, bodies); err != nil {
		return nil, next, err
	}
	batch := make([]Fetched, 0, len(uids))
	for _, u := range uids {
		b, ok := bodies[u]
		if !ok {
			continue // expunged meanwhile
		}
		m := metas[u]
		batch = append(batch, Fetched{
			Account: name, UIDValidity: s.uidValidity, UID: uint32(u),
			Raw: b.raw, Size: m.size, InternalDate: m.date,
			Truncated: m.size > limit || b.over,
		})
	}
	next.LastUID = uint32(uids[len(uids)-1])
	return batch, next, nil
}

func (r *Reader) fetchMeta(s *session, uids []imap.UID) (map[imap.UID]meta, error) {
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("%s: fetch sizes: %w", r.Account.Name, err)
	}
	out := make(map[imap.UID]meta, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			out[m.UID] = meta{size: m.RFC822Size, date: m.InternalDate}
		}
	}
	return out, nil
}

// fetchBodies fetches one section of the messages into out, reading at
// most limit bytes of each: the rest is skipped, never held.
func (r *Reader) fetchBodies(s *session, uids []imap.UID, section *imap.FetchItemBodySection, limit int64, out map[imap.UID]body) error {
	if len(uids) == 0 {
		return nil
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid imap.UID
		var b body
		got := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				got = true
				if it.Literal == nil {
					continue
				}
				raw, err := io.ReadAll(io.LimitReader(it.Literal, limit+1))
				if err != nil && readErr == nil {
					readErr = err
				}
				if int64(len(raw)) > limit {
					raw, b.over = raw[:limit], true
				}
				b.raw = raw
			}
		}
		if uid != 0 && got && readErr == nil {
			out[uid] = b
		}
	}
	err := cmd.Close()
	if err == nil {
		err = readErr
	}
	if err != nil {
		what := "messages"
		if section.Specifier == imap.PartSpecifierHeader {
			what = "headers"
		}
		return fmt.Errorf("%s: fetch %s: %w", r.Account.Name, what, err)
	}
	return nil
}

// ctxErr prefers the context's error to the closed connection it caused.
func (r *Reader) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%s: %w", r.Account.Name, ctx.Err())
	}
	return err
}

func (r *Reader) maxMessage() int64 {
	if r.MaxMessage <= 0 {
		return DefaultMaxMessage
	}
	return r.MaxMessage
}

func (r *Reader) poll() time.Duration {
	if r.Poll <= 0 {
		return DefaultPoll
	}
	return r.Poll
}

func (r *Reader) dialTimeout() time.Duration {
	if r.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return r.DialTimeout
}

func (r *Reader) maxBatch() int {
	if r.MaxBatch <= 0 {
		return DefaultMaxBatch
	}
	return r.MaxBatch
}

func (r *Reader) maxBackoff() time.Duration {
	if r.MaxBackoff <= 0 {
		return DefaultMaxBackoff
	}
	return r.MaxBackoff
}

// jitter spreads d by ±20 %, so accounts that lost the same server do not
// all knock again at the same instant.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
