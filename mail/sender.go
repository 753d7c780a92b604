// Package mail sends the filing desk's email (the outbox rows, beian.Mail)
// over SMTP with github.com/wneessen/go-mail. Package mail/catcher is the
// built-in SMTP server that catches mail in `make dev` and tests.
package mail

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/beian/beian"
)

// HeaderKey carries the outbox business key (beian.Mail.Key) on every
// message, so a reader or a test can tell which notice of which case it is.
const HeaderKey = "X-Beian-Key"

// Sender sends beian.Mail over SMTP, one connection per message.
type Sender struct {
	cfg    Config
	from   *netmail.Address
	domain string // right side of every Message-ID
	now    func() time.Time
}

// NewSender checks cfg and the From address ("备案组 <beian@example.cn>" or a
// bare address) and returns a Sender. It does not connect.
func NewSender(cfg Config, from string) (*Sender, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail from %q: %w", from, err)
	}
	s := &Sender{cfg: cfg, from: addr, domain: messageIDDomain(addr.Address), now: time.Now}
	if _, err := s.client(DefaultTimeout); err != nil {
		return nil, fmt.Errorf("mail config %s: %w", cfg, err)
	}
	return s, nil
}

// MessageID is the Message-ID, without angle brackets, that Send gives the
// mail with business key key. It depends only on the key and the From
// domain, so a retried send carries the same ID and a receiver can drop the
// duplicate.
func (s *Sender) MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "beian." + hex.EncodeToString(sum[:16]) + "@" + s.domain
}

// Send delivers m to m.To with a UTF-8 subject and plain-text body, the
// X-Beian-Key header and a Message-ID derived from m.Key. It honours ctx's
// deadline for the whole exchange. A mail that can never be sent (no key, no
// recipient, a malformed address) is a beian.Error with CodeInvalid; other
// errors are worth retrying.
func (s *Sender) Send(ctx context.Context, m beian.Mail) error {
	if strings.TrimSpace(m.Key) == "" {
		return beian.Errorf(beian.CodeInvalid, "邮件缺少业务键 (Key)")
	}
	if len(m.To) == 0 {
		return beian.Errorf(beian.CodeInvalid, "邮件 %s 没有收件人", m.Key)
	}
	if strings.ContainsAny(m.Key, "\r\n") {
		return beian.Errorf(beian.CodeInvalid, "邮件业务键含换行符")
	}
	to := make([]string, 0, len(m.To))
	for _, raw := range m.To {
		a, err := netmail.ParseAddress(raw)
		if err != nil {
			return beian.Errorf(beian.CodeInvalid, "邮件 %s 的收件人 %q 不是有效的邮箱地址", m.Key, raw)
		}
		to = append(to, a.String())
	}

	timeout := s.cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send mail %s: %w", m.Key, err)
	}
	if timeout <= 0 {
		return fmt.Errorf("send mail %s: %w", m.Key, context.DeadlineExceeded)
	}

	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingB64))
	msg.FromMailAddress(s.from)
	if err := msg.To(to...); err != nil {
		return beian.Errorf(beian.CodeInvalid, "邮件 %s 的收件人无效: %v", m.Key, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(s.MessageID(m.Key))
	msg.SetDateWithValue(s.now())
	msg.SetGenHeader(gomail.Header(HeaderKey), m.Key)
	if id := strings.Trim(m.InReplyTo, "<> \t"); id != "" && !strings.ContainsAny(id, "\r\n<>") {
		// Threaded under the filer's mail (RFC 5322 §3.6.4).
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+id+">")
		msg.SetGenHeader(gomail.HeaderReferences, "<"+id+">")
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return beian.Errorf(beian.CodeInvalid, "邮件 %s 的回复地址 %q 无效", m.Key, m.ReplyTo)
		}
	}
	if !m.Personal() {
		// RFC 3834: a notice, not a person writing; auto-responders stay quiet.
		msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	c, err := s.client(timeout)
	if err != nil {
		return fmt.Errorf("send mail %s: %w", m.Key, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail %s via %s:%d: %w", m.Key, s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// client builds a go-mail client for one send.
func (s *Sender) client(timeout time.Duration) (*gomail.Client, error) {
	cfg := s.cfg
	if cfg.Host == "" {
		return nil, errors.New("no smtp host")
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(timeout)}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	opts = append(opts, gomail.WithTLSConfig(tlsCfg))

	switch {
	case cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.StartTLS == StartTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case cfg.StartTLS == StartTLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case cfg.StartTLS == StartTLSOpportunistic, cfg.StartTLS == "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		return nil, fmt.Errorf("unknown starttls policy %q", cfg.StartTLS)
	}

	if cfg.Username != "" {
		auth, err := authType(cfg.Auth)
		if err != nil {
			return nil, err
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return gomail.NewClient(cfg.Host, opts...)
}

// messageIDDomain is the From domain when it can stand on the right of a
// Message-ID (RFC 5322 dot-atom, ASCII), else a fixed one.
func messageIDDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return "beian.invalid"
	}
	d := strings.ToLower(addr[at+1:])
	for _, r := range d {
		ok := r == '.' || r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !ok {
			return "beian.invalid"
		}
	}
	return d
}
