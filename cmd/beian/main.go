// Command beian is the filing desk: the staff API, the Temporal worker that
// runs every filing's workflow, database migrations, and a one-command
// development environment.
//
//	beian serve    API and worker in one process
//	beian api      the API only
//	beian worker   the worker only
//	beian migrate  apply database migrations and exit
//	beian dev      everything on this machine with embedded defaults (make dev)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/beian/beian/activities"
	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/dns"
	"github.com/beian/beian/faq"
	"github.com/beian/beian/health"
	"github.com/beian/beian/homepage"
	"github.com/beian/beian/mail"
	"github.com/beian/beian/mailbox"
	"github.com/beian/beian/metrics"
	"github.com/beian/beian/netcontrol"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/worker"
)

const usage = `usage: beian <command>

commands:
  serve    run the API and the worker
  api      run the API only
  worker   run the worker only
  migrate  apply database migrations
  rotate-key  re-seal personal data and filing passwords with the current key
  audit verify
           prove the audit trail's hash chain unbroken (exit 1 naming the first broken row)
  dev      run everything locally with embedded defaults (Temporal dev server,
           Postgres, SMTP catcher, API and worker)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logger := newLogger(cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch os.Args[1] {
	case "serve":
		err = run(ctx, cfg, logger, roles{api: true, worker: true})
	case "api":
		err = run(ctx, cfg, logger, roles{api: true})
	case "worker":
		err = run(ctx, cfg, logger, roles{worker: true})
	case "migrate":
		err = migrate(ctx, cfg)
	case "rotate-key": // issue 12 §2 (rotatekey.go)
		err = rotateKey(ctx, cfg, os.Stdout)
	case "audit": // issue 12 §3: beian audit verify (audit.go)
		err = auditCommand(ctx, cfg, os.Args[2:])
	case "dev":
		err = dev(ctx, cfg, logger)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("beian stopped", "error", err.Error())
		fmt.Fprintln(os.Stderr, "beian:", err)
		os.Exit(1)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func migrate(ctx context.Context, cfg Config) error {
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	// issue 12 §2: with the keys configured, the personal data still plain
	// are sealed too (rotatekey.go); without, serve seals them at start.
	if cfg.SecretKey != "" || cfg.SecretKeys != "" {
		box, err := cfg.keyring()
		if err != nil {
			return err
		}
		db.UseBox(box)
	} else {
		fmt.Fprintln(os.Stderr, "beian migrate: BEIAN_SECRET_KEY is not set: the schema is migrated, personal data still plain are sealed when serve, api or worker starts")
	}
	return db.Migrate(ctx)
}

type roles struct{ api, worker bool }

// run serves the API and/or the worker until ctx ends. ready, when not nil,
// is called once everything listens.
func run(ctx context.Context, cfg Config, logger *slog.Logger, r roles, ready ...func()) error {
	if err := cfg.requireServe(); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	// issue 12 §2: the keyring first, so that Migrate seals what is plain.
	box, err := cfg.keyring()
	if err != nil {
		return err
	}
	db.UseBox(box)
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	conn, creds, err := temporalConnection(cfg)
	if err != nil {
		return err
	}
	tc, err := client.DialContext(ctx, client.Options{
		HostPort:          cfg.TemporalAddress,
		Namespace:         cfg.TemporalNamespace,
		Logger:            sdklog.NewStructuredLogger(logger),
		MetricsHandler:    metrics.NewTemporalHandler(reg),
		ConnectionOptions: conn,
		Credentials:       creds,
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	engine := &worker.Engine{Client: tc}

	resolver, err := newResolver(cfg.DNSResolvers)
	if err != nil {
		return err
	}
	defer resolver.Close()
	errc := make(chan error, 2)
	// /readyz: the database, Temporal and (for the API) a worker polling
	// the filing task queue; 503 with a Chinese message otherwise.
	probe := &health.Checker{
		Checks: map[string]health.Check{
			"postgres": func(ctx context.Context) error { return db.Pool().Ping(ctx) },
			"temporal": func(ctx context.Context) error {
				_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			},
		},
		Messages: map[string]string{"postgres": "数据库无法连接", "temporal": "流程引擎（Temporal）无法连接", "task_queue": "备案流程的任务队列无法访问"},
	}
	if r.api {
		probe.Checks["task_queue"] = func(ctx context.Context) error { return worker.TaskQueueReachable(ctx, tc) }
		// No worker polling is shown, not fatal: every API replica leaving
		// the load balancer for it would darken the console as well.
		probe.Checks["worker"] = func(ctx context.Context) error { return worker.TaskQueueServed(ctx, tc) }
		probe.Advisory = map[string]bool{"worker": true}
	}
	defer probe.Drain()
	if r.worker {
		mcfg, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			return fmt.Errorf("SMTP_URL: %w", err)
		}
		sender, err := mail.NewSender(mcfg, cfg.MailFrom)
		if err != nil {
			return err
		}
		acts := &activities.Activities{Store: db, Mailer: sender, Linker: engine, Caller: engine, Escalator: engine, Callbacker: engine, Staff: db, Config: activities.Config{
			BureauWorkingDays: 20, BureauSLA: cfg.BureauSLA, RectifyWithin: cfg.RectifyWithin, SMSWithin: cfg.SMSWithin,
			StaffAlerts: cfg.StaffAlerts, TechMailbox: cfg.TechMailbox, SampleSize: cfg.SampleSize, GMMailbox: cfg.GMMailbox, TechSupervisorMailbox: cfg.TechSupervisorMailbox,
			MarketingMailbox: cfg.MarketingMailbox, SweepHomepages: cfg.SweepHomepages,
		}}
		acts.Domains = resolver
		acts.Homepages = &homepage.Checker{}
		if cfg.AccessWebhookURL != "" {
			acts.Access = &netcontrol.Webhook{URL: cfg.AccessWebhookURL, Secret: []byte(cfg.AccessWebhookKey)}
		}
		if cfg.WorkerCacheSize > 0 {
			sdkworker.SetStickyWorkflowCacheSize(cfg.WorkerCacheSize) // process-wide, before the worker
		}
		// A fixed number of pollers (BEIAN_WORKER_POLLERS, else the SDK's
		// two). Autoscaling was tried (issue 11): in a flood of creates it
		// grew to 100 workflow and 100 activity pollers and, on the 2-core
		// topology (4 history shards), creates fell from ~20/s to ~4/s
		// (1,500 filings, two runs on one busy machine).
		w := worker.New(tc, acts, sdkworker.Options{
			WorkerStopTimeout:                cfg.WorkerStopTimeout,
			MaxConcurrentWorkflowTaskPollers: cfg.WorkerPollers, // zero: the SDK's
			MaxConcurrentActivityTaskPollers: cfg.WorkerPollers,
		})
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		defer w.Stop()
		go worker.ReconcileLoop(ctx, db, engine, time.Minute, logger)
		if err := worker.EnsureSchedules(ctx, tc); err != nil { // sampling 09:00 (R-PA-1), access chase 17:00 (R-AC-1)
			logger.Error("schedules", "error", err.Error())
		}
		if err := worker.EnsureSweepSchedule(ctx, tc, cfg.SweepCron); err != nil { // Thursday 14:00 (R-PA-3)
			logger.Error("sweep schedule", "error", err.Error())
		}
		// The specialist mailboxes (R-IN-3): each read by IDLE or polling,
		// each batch recorded with its cursor.
		inbox := &desk.Service{Store: db, Rules: desk.StoredRules(db), Logger: logger, Watcher: engine}
		go func() { // mails whose workflow Temporal could not start when they came (R-RV-6)
			for {
				if n, err := inbox.RewatchMail(ctx); err != nil && ctx.Err() == nil {
					logger.Warn("rewatch inbound mail", "error", err.Error())
				} else if n > 0 {
					logger.Info("started inbound mail workflows", "mails", n)
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Minute):
				}
			}
		}()
		for _, acct := range cfg.IMAP {
			rd := &mailbox.Reader{Account: acct, Logger: logger}
			go func() {
				// One worker replica reads an account at a time (a session
				// lock in Postgres); the others wait to take over.
				for ctx.Err() == nil {
					lctx, release := context.WithCancel(ctx)
					ok, lost, err := db.TryLeadership(lctx, "imap:"+acct.Name)
					if err != nil || !ok {
						release()
						if err != nil {
							logger.Warn("mailbox leadership", "account", acct.Name, "error", err.Error())
						}
						select {
						case <-ctx.Done():
						case <-time.After(30 * time.Second):
						}
						continue
					}
					logger.Info("reading mailbox", "account", acct.Name)
					rctx, cancel := context.WithCancel(ctx)
					go func() { <-lost; cancel() }()
					err = rd.Run(rctx, func(ctx context.Context) (mailbox.Cursor, error) {
						v, last, err := db.MailboxCursor(ctx, acct.Name)
						return mailbox.Cursor{UIDValidity: v, LastUID: last}, err
					}, func(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor) error {
						return inbox.IngestMail(ctx, batch, next, acct.Name)
					})
					cancel()
					release() // give the lock up before trying again
					<-lost
					if err != nil && ctx.Err() == nil {
						logger.Error("mailbox reader stopped", "account", acct.Name, "error", err.Error())
					}
				}
			}()
		}
		logger.Info("worker started", "task_queue", "beian-filings", "temporal", cfg.TemporalAddress)
		if !r.api { // a worker alone serves its probes and metrics on HEALTH_ADDR
			hs := &http.Server{Addr: cfg.HealthAddr, Handler: health.Mux(probe, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})), ReadHeaderTimeout: 5 * time.Second}
			go func() {
				logger.Info("worker health listening", "addr", cfg.HealthAddr)
				if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
					errc <- fmt.Errorf("health: %w", err)
				}
			}()
			defer func() { _ = hs.Close() }()
		}
	}
	if r.api {
		bank, err := faq.Load()
		if err != nil {
			return err
		}
		svc := &desk.Service{
			Store: db, Engine: engine, Box: box, Logger: logger,
			Config: desk.Config{
				PurgeAfter: cfg.PurgeAfter, BureauWorkingDays: 20, SessionIdle: cfg.SessionIdle,
				TemporalUI: cfg.TemporalUIURL, TemporalNamespace: cfg.TemporalNamespace, TrustedProxies: cfg.TrustedProxies,
			},
			Rules:   desk.StoredRules(db), // embedded defaults unless an admin overrode them
			Domains: resolver, Sweeper: engine, Watcher: engine,
			FAQ: bank,
		}
		if created, err := svc.BootstrapAdmin(ctx, cfg.AdminPassword); err != nil {
			return err
		} else if created {
			logger.Info("staff account admin created from BEIAN_ADMIN_PASSWORD")
		}
		if n, err := db.CountStaff(ctx); err != nil {
			return err
		} else if n == 0 && len(cfg.Tokens) == 0 {
			return errors.New("configuration: no staff account and BEIAN_API_TOKENS is empty: nobody could sign in or call the API; set BEIAN_ADMIN_PASSWORD (creates the account admin) or BEIAN_API_TOKENS")
		}
		srv := api.New(api.Deps{
			Desk: svc, Tokens: cfg.Tokens, Logger: logger,
			HTTP: metrics.NewHTTP(reg), Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
			MetricsToken: cfg.MetricsToken,
			Console:      console.New(svc, logger),
			Ready:        probe,
		})
		go func() { // timed-out sessions and old failed sign-ins, every ten minutes
			t := time.NewTicker(10 * time.Minute)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if n, err := svc.PruneSessions(ctx); err != nil {
						logger.Warn("prune sessions", "error", err.Error())
					} else if n > 0 {
						logger.Info("pruned timed-out sessions", "sessions", n)
					}
				}
			}
		}()
		// HTTPS with HSTS when TLS_CERT_FILE/TLS_KEY_FILE are set (tls.go, issue 12 §5).
		hs, err := apiServer(cfg, srv, logger)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		go func() {
			logger.Info("api listening", "addr", cfg.HTTPAddr, "https", hs.TLSConfig != nil)
			if err := serveAPI(hs, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("api: %w", err)
			}
		}()
		defer func() {
			// Requests in flight finish (up to 20 s); new ones go to
			// the other replicas, which /readyz (draining) sent them to.
			probe.Drain()
			// The load balancer sees /readyz fail before the listener closes.
			time.Sleep(cfg.DrainDelay)
			sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
			logger.Info("api stopped")
		}()
	}
	for _, f := range ready {
		f()
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping: draining the API, letting running activities finish", "worker_stop_timeout", cfg.WorkerStopTimeout.String())
		probe.Drain()
		return nil
	case err := <-errc:
		return err
	}
}

// newResolver is the DNS adapter of the shell-site sweep and the review's
// check (R-PA-3, R-RV-2): DNS_RESOLVERS, or the system's resolvers.
func newResolver(entries []string) (*dns.Resolver, error) {
	servers, err := dns.ParseServers(entries)
	if err != nil {
		return nil, fmt.Errorf("DNS_RESOLVERS: %w", err)
	}
	if len(servers) == 0 {
		if servers, err = dns.ServersFromResolvConf("/etc/resolv.conf"); err != nil {
			return nil, fmt.Errorf("DNS_RESOLVERS is not set and /etc/resolv.conf has no resolver: %w", err)
		}
	}
	return dns.New(dns.Config{Servers: servers})
}
