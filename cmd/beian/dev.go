package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/devenv"
	"github.com/beian/beian/dns/dnstest"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/workflows"
)

// devDataDir keeps everything `beian dev` creates: the Temporal database,
// a private Postgres cluster when needed, the dev secret key and token.
const devDataDir = ".data"

// dev runs the whole system on this machine with embedded defaults: the
// Temporal dev server (built from tools/ into bin/ when missing) with the Web
// UI and search attributes, Postgres (DATABASE_URL, else the local server on
// 5432, else a private cluster), the SMTP catcher, and API and worker.
func dev(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if err := os.MkdirAll(devDataDir, 0o755); err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }

	// Postgres: a database of its own on whichever server we find.
	if cfg.DatabaseURL == "" {
		say("· Postgres: looking for a server (DATABASE_URL unset)…")
		serverURL, err := devenv.EnsurePostgres(ctx, devDataDir, logger)
		if err != nil {
			return err
		}
		cfg.DatabaseURL, err = ensureDatabase(ctx, serverURL, "beian_dev")
		if err != nil {
			return err
		}
	}

	// Temporal dev server with the Web UI, unless TEMPORAL_ADDRESS points elsewhere.
	uiURL := "(external Temporal: its own Web UI)"
	if os.Getenv("TEMPORAL_ADDRESS") == "" {
		root, _ := os.Getwd()
		say("· Temporal: preparing the dev server (the first build of bin/temporal takes ~5 minutes)…")
		cli, err := devenv.TemporalCLI(root)
		if err != nil {
			return err
		}
		proc, err := devenv.StartTemporal(ctx, cli, filepath.Join(devDataDir, "temporal"), 7233, 8233, workflows.SearchAttributeTypes, logger)
		if err != nil {
			return err
		}
		defer proc.Stop()
		cfg.TemporalAddress = proc.Addr
		uiURL = proc.UIURL
	}

	// Mail: the built-in catcher unless SMTP_URL is set.
	mailUI := "(SMTP_URL is set: mail goes to " + redactURL(cfg.SMTPURL) + ")"
	if cfg.SMTPURL == "" {
		cat, err := catcher.Start("127.0.0.1:1025")
		if err != nil {
			if cat, err = catcher.Start("127.0.0.1:0"); err != nil {
				return fmt.Errorf("start SMTP catcher: %w", err)
			}
		}
		defer cat.Close()
		cfg.SMTPURL = cat.URL()
		hs := &http.Server{Addr: "127.0.0.1:8025", Handler: cat.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.ListenAndServe() }()
		defer hs.Close()
		mailUI = "http://127.0.0.1:8025"
	}

	if cfg.SecretKey == "" {
		k, err := devSecret(filepath.Join(devDataDir, "secret.key"), 32)
		if err != nil {
			return err
		}
		cfg.SecretKey = base64.StdEncoding.EncodeToString(k)
	}
	if len(cfg.Tokens) == 0 {
		k, err := devSecret(filepath.Join(devDataDir, "dev-token"), 16)
		if err != nil {
			return err
		}
		tok := "dev-" + hex.EncodeToString(k)
		cfg.Tokens = []api.Token{{Name: "dev", Role: api.RoleAdmin, Token: tok}}
	}
	if cfg.AdminPassword == "" {
		pw, err := devPassword(filepath.Join(devDataDir, "admin-password"))
		if err != nil {
			return err
		}
		cfg.AdminPassword = pw
	}
	if cfg.TemporalUIURL == "" && strings.HasPrefix(uiURL, "http") {
		cfg.TemporalUIURL = uiURL
	}
	if err := seedDataCentres(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	// DNS: a local server answering each filed domain with its filing's
	// server IPs, so the sweep and the review's DNS check work without
	// asking resolvers on the internet; home pages are not fetched (the
	// example ranges lead nowhere).
	dnsUI := "DNS_RESOLVERS=" + strings.Join(cfg.DNSResolvers, ",")
	if len(cfg.DNSResolvers) == 0 {
		pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("dev DNS: %w", err)
		}
		defer pool.Close()
		srv, err := dnstest.New(dnstest.Options{Zone: devZone(pool)})
		if err != nil {
			return fmt.Errorf("start dev DNS: %w", err)
		}
		defer srv.Close()
		cfg.DNSResolvers = []string{srv.Addr}
		cfg.SweepHomepages = false
		dnsUI = srv.Addr + " (filed domains → their server IPs; set DNS_RESOLVERS to use real resolvers)"
	}

	ready := func() {
		base := "http://localhost" + cfg.HTTPAddr
		if !strings.HasPrefix(cfg.HTTPAddr, ":") {
			base = "http://" + cfg.HTTPAddr
		}
		say("")
		say("beian is running. Ctrl-C stops everything.")
		say("  Console (工作台) %s/console/   sign in as admin / %s", base, cfg.AdminPassword)
		say("                  (kept in %s; it applies when the database has no staff account yet)", filepath.Join(devDataDir, "admin-password"))
		say("  API             %s/api/v1   (OpenAPI: %s/api/v1/openapi.json)", base, base)
		say("  Health          %s/healthz   Metrics: %s/metrics", base, base)
		say("  Temporal Web UI %s   (search: BeianDomain, BeianProvince, BeianStatus, BeianCaseNo)", uiURL)
		say("  Temporal        %s", cfg.TemporalAddress)
		say("  Mail catcher    %s", mailUI)
		say("  Database        %s", redactURL(cfg.DatabaseURL))
		say("  DNS             %s", dnsUI)
		say("  Dev token       %s   (role admin)", cfg.Tokens[0].Token)
		say("")
		say("Try:  curl -H 'Authorization: Bearer %s' %s/api/v1/filings", cfg.Tokens[0].Token, base)
	}
	cfg.DrainDelay = 0 // one machine, no load balancer to tell
	return run(ctx, cfg, logger, roles{api: true, worker: true}, ready)
}

// ensureDatabase creates database name on the server at serverURL if it does
// not exist, and returns its URL.
func ensureDatabase(ctx context.Context, serverURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// devSecret returns n random bytes kept in path, made on first use.
func devSecret(path string, n int) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) == n {
		return b, nil
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// devPassword returns the dev admin password kept in path, made on first
// use: 20 characters without look-alikes, easy to type from the terminal.
func devPassword(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 10 {
		return strings.TrimSpace(string(b)), nil
	}
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return string(b), nil
}

// seedDataCentres puts example data centres on documentation ranges (RFC
// 5737, RFC 3849) and a customer owning IPs in them into an empty database,
// so a fresh `make dev` can file at once.
func seedDataCentres(ctx context.Context, databaseURL string) error {
	db, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	have, err := db.ListDataCentres(ctx)
	if err != nil {
		return err
	}
	if len(have) == 0 {
		if err := db.ReplaceDataCentres(ctx, ExampleDataCentres(), "dev-seed"); err != nil {
			return err
		}
	}
	// R-ENT-2: product first, filing second; an example customer holds the
	// example IPs, so the dev desk can file on them at once.
	customers, err := db.ListCustomers(ctx)
	if err != nil || len(customers) > 0 {
		return err
	}
	return db.PutCustomers(ctx, ExampleCustomers(), "dev-seed")
}

// ExampleCustomers is a customer holding an access product, valid for years,
// on the first 127 addresses of each example range (198.51.100.1–127,
// 203.0.113.1–127, 2001:db8:1::1–7f, 2001:db8:2::1–7f); the rest of each
// range has no product, to try NO_ACTIVE_PRODUCT.
func ExampleCustomers() []beian.Customer {
	first127 := func(first string) []netip.Addr {
		var out []netip.Addr
		for a, i := netip.MustParseAddr(first), 0; i < 127; a, i = a.Next(), i+1 {
			out = append(out, a)
		}
		return out
	}
	return []beian.Customer{{
		ID: "DEV-0001", Name: "示例客户（开发环境）",
		Contact:         beian.Contact{Name: "张三", Mobile: "13800138000", Email: "zhangsan@example.net"},
		AccountManager:  beian.Contact{Name: "李经理", Email: "am@example.net"},
		ManagerSuperior: beian.Contact{Name: "赵总监", Email: "director@example.net"},
		Products: []beian.Product{
			{ID: "DEV-P-JS", ServerIPs: append(first127("198.51.100.1"), first127("2001:db8:1::1")...), ValidUntil: "2099-12-31"},
			{ID: "DEV-P-AH", ServerIPs: append(first127("203.0.113.1"), first127("2001:db8:2::1")...), ValidUntil: "2099-12-31"},
		},
	}}
}

// ExampleDataCentres are the data centres of the manual (R-ENT-1) on
// documentation address ranges.
func ExampleDataCentres() []beian.DataCentre {
	p := netip.MustParsePrefix
	return []beian.DataCentre{
		{Name: "苏州园区机房", Province: "江苏", AccessProvider: beian.ProviderJiangsu, Mailbox: "JSBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{p("198.51.100.0/24"), p("2001:db8:1::/48")}},
		{Name: "滁州双线机房", Province: "安徽", AccessProvider: beian.ProviderAnhui, Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{p("203.0.113.0/24"), p("2001:db8:2::/48")}},
	}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// devZone answers a filed domain (or its www) with the server IPs of the
// filing holding it: the dev sweep finds every site ours.
func devZone(pool *pgxpool.Pool) dnstest.Zone {
	return func(name string) (dnstest.Records, bool) {
		name = strings.TrimPrefix(name, "www.")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var ips []string
		err := pool.QueryRow(ctx, `SELECT coalesce(array(SELECT jsonb_array_elements_text(c.website->'server_ips')), '{}')
			FROM case_domains d JOIN cases c ON c.id = d.case_id WHERE d.domain = $1 AND d.active`, name).Scan(&ips)
		if err != nil {
			return dnstest.Records{}, false
		}
		var r dnstest.Records
		for _, s := range ips {
			if a, err := netip.ParseAddr(s); err == nil {
				if a.Is4() {
					r.A = append(r.A, a)
				} else {
					r.AAAA = append(r.AAAA, a)
				}
			}
		}
		return r, true
	}
}
