package main

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian/api"
	"github.com/beian/beian/mailbox"
	"github.com/beian/beian/netcontrol"
)

// Config is every setting of the beian binary, parsed once from the
// environment here and passed down; nothing below main reads the environment.
type Config struct {
	HTTPAddr          string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	SMTPURL           string
	MailFrom          string
	DNSResolvers      []string
	Tokens            []api.Token
	SecretKey         string
	PurgeAfter        time.Duration // replaces one calendar month (demos, tests)
	BureauSLA         time.Duration // replaces 20 working days (demos, tests)
	RectifyWithin     time.Duration
	SMSWithin         time.Duration // R-BR-6: 24 h; shorter in demos
	StaffAlerts       []string
	TechMailbox       string
	AccessWebhookURL  string
	AccessWebhookKey  string
	LogLevel          string
	MetricsToken      string
	// AdminPassword creates the staff account admin when none exists.
	AdminPassword string
	SessionIdle   time.Duration
	// TemporalUIURL is the Temporal Web UI, linked from each case page.
	TemporalUIURL string
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// SampleSize is how many approved filings the daily sampling calls (R-PA-1).
	SampleSize int
	// GMMailbox is the general manager's, told when an escalation cuts access (R-VC-4).
	GMMailbox string
	// TechSupervisorMailbox is tech's supervisor's: an escalation's stops
	// and restores go there (R-VC-4); BEIAN_TECH_MAILBOX when empty.
	TechSupervisorMailbox string
	// MarketingMailbox follows up filers whose site left us (R-PA-3 ②).
	MarketingMailbox string
	// SweepCron is when the weekly shell-site sweep runs (Asia/Shanghai).
	SweepCron string
	// SweepHomepages turns the sweep's home-page check (R-PA-5) on.
	SweepHomepages bool
	// IMAP are the specialist mailboxes read for the filers' mail (R-IN-3).
	IMAP []mailbox.Account
	// HealthAddr is where a worker-only process serves /healthz, /readyz
	// and /metrics (an API process serves them on HTTPAddr).
	HealthAddr string
	// Temporal connection security: a client certificate (mTLS), a CA for
	// the server's certificate, the server name to verify, an API key
	// (Temporal Cloud).
	TemporalTLSCert, TemporalTLSKey, TemporalTLSCA, TemporalTLSServerName string
	TemporalAPIKey                                                        string
	// WorkerStopTimeout is how long a stopping worker lets running
	// activities finish.
	WorkerStopTimeout time.Duration
	// DrainDelay is how long a stopping API answers /readyz 503 before it
	// stops accepting connections, so load balancers take it out first.
	DrainDelay time.Duration
	// TLSCertFile and TLSKeyFile (PEM), both set, make the API serve HTTPS
	// on HTTPAddr with HSTS (issue 12 §5, tls.go); neither: plain HTTP.
	TLSCertFile, TLSKeyFile string
	// AccessWebhookAllowHTTP lets the webhook go over plain HTTP to a host
	// that is not this machine (netcontrol.CheckURL).
	AccessWebhookAllowHTTP bool
	// The keyring beyond SecretKey (issue 12 §2, rotatekey.go): more keys
	// "id:key,…" (BEIAN_SECRET_KEYS), the ID of the one that seals
	// (BEIAN_SECRET_KEY_ID) and the blind-index key (BEIAN_INDEX_KEY).
	SecretKeys, SecretKeyID, IndexKey string
	// WorkerCacheSize is how many workflows a worker keeps in its sticky
	// cache (the SDK's default, 10,000, when zero): the worker's memory is
	// mostly this cache, about 60 kB a cached filing.
	WorkerCacheSize int
	// WorkerPollers is how many workflow-task and activity-task polls a
	// worker keeps open (the SDK's 2 when zero). A worker takes at most
	// this many tasks at once from the server, each answered after the
	// server persisted it (~130 ms on the 2-core topology), so it bounds
	// how fast a burst of new cases drains.
	WorkerPollers int
}

// loadConfig reads the environment. Missing required settings are reported
// together, never one at a time.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:              or(getenv("HTTP_ADDR"), ":8080"),
		DatabaseURL:           getenv("DATABASE_URL"),
		TemporalAddress:       or(getenv("TEMPORAL_ADDRESS"), "localhost:7233"),
		TemporalNamespace:     or(getenv("TEMPORAL_NAMESPACE"), "default"),
		SMTPURL:               getenv("SMTP_URL"),
		MailFrom:              or(getenv("MAIL_FROM"), "beian@localhost"),
		DNSResolvers:          list(getenv("DNS_RESOLVERS")),
		SecretKey:             getenv("BEIAN_SECRET_KEY"),
		SecretKeys:            getenv("BEIAN_SECRET_KEYS"),
		SecretKeyID:           getenv("BEIAN_SECRET_KEY_ID"),
		IndexKey:              getenv("BEIAN_INDEX_KEY"),
		StaffAlerts:           list(getenv("BEIAN_STAFF_ALERTS")),
		TechMailbox:           getenv("BEIAN_TECH_MAILBOX"),
		AccessWebhookURL:      getenv("BEIAN_ACCESS_WEBHOOK_URL"),
		AccessWebhookKey:      getenv("BEIAN_ACCESS_WEBHOOK_SECRET"),
		LogLevel:              or(getenv("LOG_LEVEL"), "info"),
		MetricsToken:          getenv("METRICS_TOKEN"),
		AdminPassword:         getenv("BEIAN_ADMIN_PASSWORD"),
		TemporalUIURL:         strings.TrimRight(getenv("TEMPORAL_UI_URL"), "/"),
		GMMailbox:             getenv("BEIAN_GM_MAILBOX"),
		TechSupervisorMailbox: getenv("BEIAN_TECH_SUPERVISOR_MAILBOX"),
		MarketingMailbox:      getenv("BEIAN_MARKETING_MAILBOX"),
		SweepCron:             or(getenv("BEIAN_SWEEP_CRON"), "0 14 * * 4"),
		SweepHomepages:        getenv("BEIAN_SWEEP_HOMEPAGES") != "false",
		RectifyWithin:         24 * time.Hour,
		SMSWithin:             24 * time.Hour,
		HealthAddr:            or(getenv("HEALTH_ADDR"), ":9090"),
		TemporalTLSCert:       getenv("TEMPORAL_TLS_CERT_FILE"),
		TemporalTLSKey:        getenv("TEMPORAL_TLS_KEY_FILE"),
		TemporalTLSCA:         getenv("TEMPORAL_TLS_CA_FILE"),
		TemporalTLSServerName: getenv("TEMPORAL_TLS_SERVER_NAME"),
		TemporalAPIKey:        getenv("TEMPORAL_API_KEY"),
		WorkerStopTimeout:     60 * time.Second,
		DrainDelay:            5 * time.Second,
		// issue 12 §5 (tls.go, netcontrol.CheckURL)
		TLSCertFile:            getenv("TLS_CERT_FILE"),
		TLSKeyFile:             getenv("TLS_KEY_FILE"),
		AccessWebhookAllowHTTP: getenv("BEIAN_ACCESS_WEBHOOK_ALLOW_HTTP") == "true",
	}
	var problems []string
	var err error
	if c.Tokens, err = api.ParseTokens(getenv("BEIAN_API_TOKENS")); err != nil {
		problems = append(problems, err.Error())
	}
	if c.IMAP, err = parseIMAP(getenv("IMAP_URL")); err != nil {
		problems = append(problems, err.Error())
	}
	for name, dst := range map[string]*time.Duration{
		"BEIAN_PURGE_AFTER": &c.PurgeAfter, "BEIAN_BUREAU_SLA": &c.BureauSLA, "BEIAN_RECTIFY_WITHIN": &c.RectifyWithin, "BEIAN_SMS_WITHIN": &c.SMSWithin,
		"BEIAN_SESSION_IDLE": &c.SessionIdle, "BEIAN_WORKER_STOP_TIMEOUT": &c.WorkerStopTimeout, "BEIAN_DRAIN_DELAY": &c.DrainDelay,
	} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				problems = append(problems, fmt.Sprintf("%s: %q is not a positive duration like 24h", name, v))
				continue
			}
			*dst = d
		}
	}
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		problems = append(problems, "TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together (a client certificate and its key)")
	}
	for _, raw := range list(getenv("BEIAN_TRUSTED_PROXIES")) {
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			if a, aerr := netip.ParseAddr(raw); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("BEIAN_TRUSTED_PROXIES: %q is not an address or CIDR", raw))
			continue
		}
		if p.Addr().Is4In6() { // peers are compared unmapped
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	if v := getenv("BEIAN_SAMPLE_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, fmt.Sprintf("BEIAN_SAMPLE_SIZE: %q is not a number from 1 to 1000", v))
		}
		c.SampleSize = n
	}
	if v := getenv("BEIAN_WORKER_CACHE_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("BEIAN_WORKER_CACHE_SIZE: %q is not a positive number of workflows", v))
		}
		c.WorkerCacheSize = n
	}
	if v := getenv("BEIAN_WORKER_POLLERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 100 {
			problems = append(problems, fmt.Sprintf("BEIAN_WORKER_POLLERS: %q is not a number from 2 to 100", v))
		}
		c.WorkerPollers = n
	}
	if c.AccessWebhookURL != "" && c.AccessWebhookKey == "" {
		problems = append(problems, "BEIAN_ACCESS_WEBHOOK_SECRET is required when BEIAN_ACCESS_WEBHOOK_URL is set")
	}
	// issue 12 §5: HTTPS needs both files; the webhook no plain HTTP off this machine.
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		problems = append(problems, "TLS_CERT_FILE 与 TLS_KEY_FILE 须同时设置（证书及其私钥）/ TLS_CERT_FILE and TLS_KEY_FILE go together (the server certificate and its key)")
	}
	if c.AccessWebhookURL != "" {
		if err := netcontrol.CheckURL(c.AccessWebhookURL, c.AccessWebhookAllowHTTP); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

// requireServe checks what serving needs beyond loadConfig's checks.
func (c Config) requireServe() error {
	var problems []string
	if c.DatabaseURL == "" {
		problems = append(problems, "DATABASE_URL is not set")
	}
	if c.SMTPURL == "" {
		problems = append(problems, "SMTP_URL is not set (make dev starts a built-in catcher)")
	}
	if c.SecretKey == "" && c.SecretKeys == "" {
		problems = append(problems, "BEIAN_SECRET_KEY is not set (32 bytes base64, or a passphrase of 16+ characters): it encrypts filing passwords and personal data")
	}
	if len(problems) > 0 {
		return fmt.Errorf("configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseIMAP reads IMAP_URL: one or several accounts, comma-separated,
// imap://user:password@host:port/MAILBOX (imaps:// for TLS), e.g. the
// province mailboxes JSBA and AHBA (R-IN-3).
func parseIMAP(v string) ([]mailbox.Account, error) {
	var out []mailbox.Account
	for _, raw := range list(v) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" || u.User == nil {
			return nil, fmt.Errorf("IMAP_URL: %q is not imap://user:password@host:port/mailbox", redactIMAP(raw))
		}
		pw, _ := u.User.Password()
		a := mailbox.Account{Name: u.User.Username(), Addr: u.Host, Username: u.User.Username(), Password: pw,
			Mailbox: strings.TrimPrefix(u.Path, "/"), TLS: u.Scheme == "imaps"}
		if !strings.Contains(a.Addr, ":") {
			a.Addr += map[bool]string{true: ":993", false: ":143"}[a.TLS]
		}
		out = append(out, a)
	}
	return out, nil
}

// redactIMAP hides the password of an IMAP URL in an error.
func redactIMAP(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return "(unreadable)"
}
