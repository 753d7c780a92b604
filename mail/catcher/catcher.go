// Package catcher is the built-in SMTP server of `make dev` and the tests: it
// accepts every message (any authentication or none), keeps it in memory,
// decodes its subject and text body, and shows it to staff in a browser
// (Handler). Nothing it catches is delivered anywhere.
package catcher

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// ErrClosed is returned by Wait once the catcher is closed.
var ErrClosed = errors.New("catcher closed")

// DefaultKeep is how many messages a catcher keeps unless Options.Keep says
// otherwise; older ones are dropped so a long `make dev` stays small.
const DefaultKeep = 1000

// Message is one caught message.
type Message struct {
	ID int       `json:"id"` // 1, 2, 3, … in order of arrival; never reused
	At time.Time `json:"at"`
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string   `json:"from"`
	To   []string `json:"to"`
	// Subject is MIME-decoded (RFC 2047).
	Subject string `json:"subject"`
	// Body is the text of the message: the first text/plain part (else the
	// first text part) with its transfer encoding (quoted-printable, base64)
	// and charset undone.
	Body string `json:"body"`
	// Headers are the top-level headers as sent, keys canonical.
	Headers textproto.MIMEHeader `json:"headers"`
	// AuthUser is the user the client authenticated as, if it did. The
	// password is never kept.
	AuthUser string `json:"auth_user,omitempty"`
	// TLS reports whether the message came over TLS (STARTTLS or implicit).
	TLS bool `json:"tls"`
	// Raw is the message as received.
	Raw []byte `json:"-"`
}

// Options configure StartWith.
type Options struct {
	// TLSConfig, when set, makes the catcher offer STARTTLS, or with
	// ImplicitTLS speak TLS from the first byte (smtps://).
	TLSConfig   *tls.Config
	ImplicitTLS bool
	// Keep is how many messages are kept; zero means DefaultKeep.
	Keep int
	// ErrorLog receives connection errors; nil discards them.
	ErrorLog *log.Logger
}

// Catcher is a running SMTP catcher.
type Catcher struct {
	srv      *smtp.Server
	ln       net.Listener
	opts     Options
	serveErr chan error

	mu       sync.Mutex
	msgs     []Message
	nextID   int
	arrived  chan struct{} // closed and replaced whenever a message arrives
	closed   chan struct{}
	isClosed bool
}

// Start listens on addr ("127.0.0.1:0" picks a free port) without TLS and
// serves until Close.
func Start(addr string) (*Catcher, error) {
	return StartWith(addr, Options{})
}

// StartWith is Start with TLS or other options.
func StartWith(addr string, opts Options) (*Catcher, error) {
	if opts.ImplicitTLS && opts.TLSConfig == nil {
		return nil, errors.New("catcher: implicit TLS needs a TLSConfig")
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("catcher: listen %s: %w", addr, err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, opts.TLSConfig)
	}
	c := &Catcher{
		ln:       ln,
		opts:     opts,
		serveErr: make(chan error, 1),
		arrived:  make(chan struct{}),
		closed:   make(chan struct{}),
	}
	srv := smtp.NewServer(backend{c})
	srv.Domain = "beian-catcher"
	srv.TLSConfig = opts.TLSConfig
	srv.AllowInsecureAuth = true // any auth or none, TLS or not
	srv.EnableSMTPUTF8 = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.ErrorLog != nil { // not assigned blindly: a nil *log.Logger is a non-nil smtp.Logger
		srv.ErrorLog = opts.ErrorLog
	}
	c.srv = srv
	go func() { c.serveErr <- srv.Serve(ln) }()
	return c, nil
}

// Addr is the address the catcher listens on, as "host:port".
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// URL is an SMTP URL for mail.ParseURL that reaches this catcher:
// smtp://host:port?starttls=none (mandatory with a TLSConfig, smtps:// with
// implicit TLS).
func (c *Catcher) URL() string {
	switch {
	case c.opts.ImplicitTLS:
		return "smtps://" + c.Addr()
	case c.opts.TLSConfig != nil:
		return "smtp://" + c.Addr() + "?starttls=mandatory"
	}
	return "smtp://" + c.Addr() + "?starttls=none"
}

// Messages returns the kept messages, oldest first.
func (c *Catcher) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Message, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.clone()
	}
	return out
}

// Message returns the message with the given ID, if it is still kept.
func (c *Catcher) Message(id int) (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if m.ID == id {
			return m.clone(), true
		}
	}
	return Message{}, false
}

// Wait returns the oldest kept message for which match is true (any message
// when match is nil), waiting for one to arrive if none has. It fails when
// ctx ends or the catcher closes first.
func (c *Catcher) Wait(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		c.mu.Lock()
		for _, m := range c.msgs {
			if match == nil || match(m.clone()) {
				c.mu.Unlock()
				return m.clone(), nil
			}
		}
		arrived := c.arrived
		c.mu.Unlock()

		select {
		case <-arrived:
		case <-c.closed:
			return Message{}, ErrClosed
		case <-ctx.Done():
			return Message{}, fmt.Errorf("catcher: wait for message: %w", ctx.Err())
		}
	}
}

// Reset forgets every message; IDs keep counting.
func (c *Catcher) Reset() {
	c.mu.Lock()
	c.msgs = nil
	c.mu.Unlock()
}

// Close stops listening, drops open connections and wakes every Wait.
func (c *Catcher) Close() error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return nil
	}
	c.isClosed = true
	close(c.closed)
	c.mu.Unlock()

	err := c.srv.Close()
	// Serve may not have registered the listener with the server yet; close
	// it here too so Serve surely returns.
	if lerr := c.ln.Close(); err == nil {
		err = lerr
	}
	<-c.serveErr
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (c *Catcher) store(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	m.ID = c.nextID
	c.msgs = append(c.msgs, m)
	if over := len(c.msgs) - c.opts.Keep; over > 0 {
		c.msgs = slices.Delete(c.msgs, 0, over)
	}
	close(c.arrived)
	c.arrived = make(chan struct{})
}

func (m Message) clone() Message {
	m.To = slices.Clone(m.To)
	if m.Headers != nil {
		h := make(textproto.MIMEHeader, len(m.Headers))
		for k, v := range m.Headers {
			h[k] = slices.Clone(v)
		}
		m.Headers = h
	}
	return m
}

// backend makes a session per SMTP connection.
type backend struct{ c *Catcher }

func (b backend) NewSession(conn *smtp.Conn) (smtp.Session, error) {
	return &session{c: b.c, conn: conn}, nil
}

// session collects one connection's envelope and message. It implements
// smtp.AuthSession and accepts PLAIN, LOGIN and CRAM-MD5 with any
// credentials, so a sender configured with a user and password works
// against the catcher with or without TLS.
type session struct {
	c        *Catcher
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (s *session) AuthMechanisms() []string {
	return []string{sasl.Plain, sasl.Login, "CRAM-MD5"}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	accept := func(user string) { s.authUser = user }
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, _ string) error {
			accept(user)
			return nil
		}), nil
	case sasl.Login:
		return &loginServer{accept: accept}, nil
	case "CRAM-MD5":
		return &cramServer{accept: accept}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	s.to = nil
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parse(raw)
	m.At = time.Now()
	m.From = s.from
	m.To = slices.Clone(s.to)
	m.AuthUser = s.authUser
	_, m.TLS = s.conn.TLSConnectionState()
	s.c.store(m)
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// loginServer is the server side of SASL LOGIN (draft-murchison-sasl-login):
// ask for the user, then the password, and accept any.
type loginServer struct {
	step   int
	user   string
	accept func(user string)
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp == nil { // no initial response: ask for the user
			return []byte("Username:"), false, nil
		}
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		l.accept(l.user)
		return nil, true, nil
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cramServer is the server side of CRAM-MD5 (RFC 2195): send a challenge,
// take "user digest" back and accept it without checking the digest.
type cramServer struct {
	sent   bool
	accept func(user string)
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if !c.sent {
		c.sent = true
		return fmt.Appendf(nil, "<%d@beian-catcher>", time.Now().UnixNano()), false, nil
	}
	user, _, ok := strings.Cut(string(resp), " ")
	if !ok {
		return nil, false, sasl.ErrUnexpectedClientResponse
	}
	c.accept(user)
	return nil, true, nil
}
