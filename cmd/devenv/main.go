// Command devenv prepares the services that `make test` and `make bench`
// need, without Docker. It prints its answer on stdout and logs on stderr:
//
//	go run ./cmd/devenv postgres       # a DATABASE_URL: $DATABASE_URL if it answers,
//	                                   # else 127.0.0.1:5432, else a private cluster in .data/pg
//	go run ./cmd/devenv stop-postgres  # stop the private cluster in .data/pg, if running
//	go run ./cmd/devenv temporal-cli   # the path of bin/temporal, built from tools/ if needed
//	go run ./cmd/devenv temporal-server # the frontend host:port of a Temporal server on
//	                                   # PostgreSQL (bin/temporal-server); serves until interrupted
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/beian/beian/devenv"
	"github.com/beian/beian/workflows"
)

const modulePath = "github.com/beian/beian"

// config is everything devenv takes from its flags and environment.
type config struct {
	command     string
	root        string // repository root
	dataDir     string
	databaseURL string // $DATABASE_URL
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "devenv:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := run(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devenv:", err)
		os.Exit(1)
	}
	fmt.Println(out)
}

func usage(fs *flag.FlagSet) {
	fmt.Fprintf(fs.Output(), `usage: devenv [flags] command

commands:
  postgres       print a DATABASE_URL: $DATABASE_URL if it answers, else the local
                 server on 127.0.0.1:5432, else a private cluster in <data>/pg
  stop-postgres  stop the private cluster in <data>/pg, if it runs
  temporal-cli   print the path of bin/temporal, building it from tools/ if missing
  temporal-server
                 run the Temporal server (bin/temporal-server, built from tools/ if
                 missing) on the PostgreSQL of the postgres command, databases
                 temporal_dev and temporal_visibility_dev, state in <data>/temporal-server;
                 print its frontend host:port, serve until interrupted

flags:
`)
	fs.PrintDefaults()
}

func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("devenv", flag.ContinueOnError)
	var cfg config
	fs.StringVar(&cfg.root, "root", "", "repository root (default: found from the working directory)")
	fs.StringVar(&cfg.dataDir, "data", "", "data directory for the private cluster (default: <root>/.data)")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cfg, errors.New("want exactly one command")
	}
	cfg.command = fs.Arg(0)
	if cfg.root == "" {
		root, err := findRoot()
		if err != nil {
			return cfg, err
		}
		cfg.root = root
	}
	if cfg.dataDir == "" {
		cfg.dataDir = filepath.Join(cfg.root, ".data")
	}
	cfg.databaseURL = os.Getenv("DATABASE_URL")
	return cfg, nil
}

func run(ctx context.Context, cfg config, log *slog.Logger) (string, error) {
	switch cfg.command {
	case "postgres":
		if cfg.databaseURL != "" {
			err := devenv.PingPostgres(ctx, cfg.databaseURL)
			if err == nil {
				log.Info("using DATABASE_URL", "url", devenv.RedactURL(cfg.databaseURL))
				return cfg.databaseURL, nil
			}
			log.Warn("DATABASE_URL does not answer; looking for another server", "url", devenv.RedactURL(cfg.databaseURL), "err", err)
		}
		return devenv.EnsurePostgres(ctx, cfg.dataDir, log)
	case "stop-postgres":
		if err := devenv.StopPostgres(cfg.dataDir); err != nil {
			return "", err
		}
		return "stopped", nil
	case "temporal-cli":
		return devenv.TemporalCLI(cfg.root)
	case "temporal-server":
		pg := cfg
		pg.command = "postgres"
		db, err := run(ctx, pg, log)
		if err != nil {
			return "", err
		}
		srv, err := devenv.EnsureTemporalServer(ctx, devenv.TemporalServerOptions{
			Root:             cfg.root,
			DatabaseURL:      db,
			Dir:              filepath.Join(cfg.dataDir, "temporal-server"),
			SearchAttributes: workflows.SearchAttributeTypes,
			Log:              log,
		})
		if err != nil {
			return "", err
		}
		fmt.Println(srv.Addr)
		select {
		case <-ctx.Done():
			if err := srv.Stop(); err != nil {
				return "", err
			}
			return "stopped", nil
		case <-srv.Done():
			return "", srv.Err()
		}
	default:
		return "", fmt.Errorf("unknown command %q (want postgres, stop-postgres, temporal-cli or temporal-server)", cfg.command)
	}
}

// findRoot walks up from the working directory to the go.mod of this module.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory; run from the repository or pass -root", modulePath)
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == modulePath
		}
	}
	return false
}
