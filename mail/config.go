package mail

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// StartTLS is the STARTTLS policy of a plain smtp:// connection.
type StartTLS string

// STARTTLS policies, as written in the starttls= query parameter.
const (
	// StartTLSNone never upgrades the connection: for a local relay or the
	// built-in catcher.
	StartTLSNone StartTLS = "none"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// otherwise goes on in clear. It is the default for smtp://.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSMandatory refuses to send unless the server offers STARTTLS.
	StartTLSMandatory StartTLS = "mandatory"
)

// Default ports when the URL names none: 25 for smtp:// and 465 for smtps://.
const (
	DefaultPort    = 25
	DefaultTLSPort = 465
)

// DefaultTimeout bounds one whole send (dial, TLS, auth, transfer) when
// Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config says how to reach the SMTP server. Build it with ParseURL from
// SMTP_URL; String, GoString, LogValue and MarshalJSON never show the
// password.
type Config struct {
	Host string
	Port int
	// Username and Password authenticate when Username is set.
	Username string
	Password string
	// ImplicitTLS is set for smtps://: TLS from the first byte.
	ImplicitTLS bool
	// StartTLS is the policy of a smtp:// connection; empty for smtps://.
	StartTLS StartTLS
	// Auth is the SASL mechanism (auth= parameter: plain, login, cram-md5,
	// scram-sha-1, scram-sha-256, xoauth2, …); empty picks the strongest the
	// server offers that is safe on the connection: PLAIN and LOGIN only once
	// it is encrypted.
	Auth string
	// TLSConfig, when set, replaces the default TLS settings, e.g. to trust a
	// private CA. ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds one send; zero means DefaultTimeout.
	Timeout time.Duration
}

// ParseURL reads an SMTP URL:
//
//	smtp://user:pass@host:587                 STARTTLS when offered (default)
//	smtp://user:pass@host:587?starttls=mandatory
//	smtp://host:25?starttls=none              no TLS, no auth
//	smtps://user:pass@host:465                implicit TLS
//
// Query parameters: starttls=none|opportunistic|mandatory (smtp:// only) and
// auth=<mechanism>. User and password are percent-decoded. Unknown
// parameters, paths and fragments are errors, so a typo is not ignored.
func ParseURL(raw string) (Config, error) {
	var cfg Config
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return cfg, errors.New("smtp url: empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, password included; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return cfg, fmt.Errorf("smtp url: %w", err)
	}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		cfg.ImplicitTLS = true
	case "":
		return cfg, errors.New(`smtp url: missing scheme, want "smtp://" or "smtps://"`)
	default:
		return cfg, fmt.Errorf(`smtp url: unsupported scheme %q, want "smtp" or "smtps"`, u.Scheme)
	}
	if u.Opaque != "" {
		return cfg, fmt.Errorf(`smtp url: want %s://host:port`, u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return cfg, fmt.Errorf("smtp url: unexpected path %q", u.Path)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return cfg, errors.New("smtp url: unexpected fragment")
	}

	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return cfg, errors.New("smtp url: missing host")
	}
	if err := checkHost(cfg.Host); err != nil {
		return cfg, fmt.Errorf("smtp url: %w", err)
	}
	cfg.Port = DefaultPort
	if cfg.ImplicitTLS {
		cfg.Port = DefaultTLSPort
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return cfg, fmt.Errorf("smtp url: invalid port %q, want 1-65535", p)
		}
		cfg.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return cfg, errors.New("smtp url: empty port")
	}

	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Username == "" {
			return cfg, errors.New("smtp url: password given without a user")
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("smtp url: query: %w", err)
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return cfg, fmt.Errorf("smtp url: parameter %q given %d times", k, len(vs))
		}
		switch k {
		case "starttls", "auth":
		default:
			return cfg, fmt.Errorf("smtp url: unknown parameter %q (known: starttls, auth)", k)
		}
	}

	if q.Has("starttls") {
		if cfg.ImplicitTLS {
			return cfg, errors.New("smtp url: starttls does not apply to smtps:// (TLS from the start); use smtp:// for STARTTLS")
		}
		switch s := StartTLS(strings.ToLower(q.Get("starttls"))); s {
		case StartTLSNone, StartTLSOpportunistic, StartTLSMandatory:
			cfg.StartTLS = s
		default:
			return cfg, fmt.Errorf("smtp url: starttls=%q, want none, opportunistic or mandatory", q.Get("starttls"))
		}
	} else if !cfg.ImplicitTLS {
		cfg.StartTLS = StartTLSOpportunistic
	}

	if q.Has("auth") {
		a := strings.ToLower(q.Get("auth"))
		if _, err := authType(a); err != nil {
			return cfg, fmt.Errorf("smtp url: %w", err)
		}
		if cfg.Username == "" {
			return cfg, fmt.Errorf("smtp url: auth=%s needs a user, as in smtp://user:pass@host", a)
		}
		if a != "auto" {
			cfg.Auth = a
		}
	}
	return cfg, nil
}

// checkHost accepts an IP address or an ASCII host name. A non-ASCII (IDN)
// name must be given in its punycode form: the resolver does not convert it.
func checkHost(h string) error {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("invalid host %q: IPv6 zones are not supported", h)
		}
		return nil
	}
	for _, r := range h {
		ok := r == '.' || r == '-' || r == '_' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("invalid host %q: want an IP address or a host name (IDN in punycode, xn--…)", h)
		}
	}
	return nil
}

// authType maps an auth= value to go-mail's mechanism. NTLM and custom
// mechanisms are left out: nothing here needs them.
func authType(name string) (gomail.SMTPAuthType, error) {
	switch name {
	case "", "auto":
		return gomail.SMTPAuthAutoDiscover, nil
	case "plain", "plain-noenc", "login", "login-noenc", "cram-md5", "xoauth2",
		"scram-sha-1", "scram-sha-1-plus", "scram-sha-256", "scram-sha-256-plus":
		var t gomail.SMTPAuthType
		if err := t.UnmarshalString(name); err != nil {
			return "", err
		}
		return t, nil
	}
	return "", fmt.Errorf("unsupported auth=%q, want auto, plain, login, cram-md5, scram-sha-1, scram-sha-256, xoauth2, plain-noenc or login-noenc", name)
}

// url rebuilds the URL of cfg; redact replaces the password with "xxxxx".
func (cfg Config) url(redact bool) *url.URL {
	u := &url.URL{Scheme: "smtp", Host: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	if cfg.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if cfg.Username != "" {
		switch {
		case cfg.Password == "":
			u.User = url.User(cfg.Username)
		case redact:
			u.User = url.UserPassword(cfg.Username, "xxxxx")
		default:
			u.User = url.UserPassword(cfg.Username, cfg.Password)
		}
	}
	q := url.Values{}
	if cfg.StartTLS != "" {
		q.Set("starttls", string(cfg.StartTLS))
	}
	if cfg.Auth != "" {
		q.Set("auth", cfg.Auth)
	}
	u.RawQuery = q.Encode()
	return u
}

// String is the URL of cfg with the password replaced by "xxxxx", safe to log.
func (cfg Config) String() string { return cfg.url(true).String() }

// GoString keeps %#v from printing the password.
func (cfg Config) GoString() string { return fmt.Sprintf("mail.Config(%q)", cfg.String()) }

// LogValue keeps log/slog, whose JSON handler would otherwise print every
// field, from logging the password.
func (cfg Config) LogValue() slog.Value { return slog.StringValue(cfg.String()) }

// MarshalJSON writes the redacted URL, for the same reason.
func (cfg Config) MarshalJSON() ([]byte, error) { return json.Marshal(cfg.String()) }
