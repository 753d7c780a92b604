// Package pgtest gives each test a database of its own on a real
// PostgreSQL: freshly created, migrated, and dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian/postgres"
	"github.com/beian/beian/secret"
)

// DefaultURL is the server used when DATABASE_URL is unset: the one
// `make test` starts.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// New returns a store on a new, migrated database that is dropped, and the
// store closed, when t ends. It fails t when PostgreSQL cannot be reached.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	dbURL := NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: open test database: %v", err)
	}
	// Cleanups run last-registered first: the pool closes before the drop.
	t.Cleanup(db.Close)
	db.UseBox(Box) // issue 12 §2: personal data are written sealed
	return db
}

// Box is the keyring of the stores New returns: personal data are sealed
// with it, as in production with the configured keys (issue 12 §2).
var Box = func() *secret.Box {
	b, err := secret.NewBox("pgtest key: seals test databases only")
	if err != nil {
		panic(err)
	}
	return b
}()

// NewURL creates a new, migrated database, drops it when t ends, and returns
// its URL, for tests that start a server of their own on it.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin := serverURL()
	conn := connect(ctx, t, admin)
	defer conn.Close(context.Background())

	name := "beian_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, admin, name) })

	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("pgtest: migrate %s: %v", name, err)
	}
	return dbURL
}

// serverURL is the URL of the server that hosts the test databases.
func serverURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

func connect(ctx context.Context, t testing.TB, admin string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: cannot reach PostgreSQL at %s: %v\n"+
			"The store tests need a real PostgreSQL: run `make test` (it starts one), "+
			"or start one yourself and set DATABASE_URL.", redact(admin), err)
	}
	return conn
}

func drop(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// withDatabase is the server URL admin with its database replaced by name.
// It takes URLs (postgres://…) and keyword/value strings (host=… dbname=…).
func withDatabase(admin, name string) (string, error) {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In a keyword/value string a later keyword wins.
	return admin + " dbname=" + name, nil
}

// redact is a URL fit to print: without its password.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "DATABASE_URL"
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
