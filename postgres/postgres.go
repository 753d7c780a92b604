// Package postgres implements beian.Store on PostgreSQL with pgx, with the
// schema kept as embedded, versioned tern migrations.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is where tern records the schema version.
const versionTable = "public.schema_version"

// migrateLockKey is the advisory lock held for the whole of Migrate. Tern
// locks each of its own steps; this lock makes one Migrate a single critical
// section, so a second process waits for the first to finish and then finds
// nothing to do.
const migrateLockKey = int64(0x62656961_6e6d6967) // "beianmig"

// DB is the PostgreSQL store of the filing desk.
type DB struct {
	pool *pgxpool.Pool
	// lockPool holds the connections of sign-in locks (LockLogin), apart
	// from pool: a lock holder's own queries then never wait for a
	// connection that another lock holder has.
	lockPool *pgxpool.Pool
	// box seals personal data and computes their blind indexes (UseBox,
	// seal.go; issue 12 §2).
	box *secret.Box
}

var _ beian.Store = (*DB)(nil)

// Open connects a pool to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("malformed database URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default is max(4, cores): two cores would give four, fewer
		// than the API's concurrent requests plus the dashboard's parallel
		// reads. A URL may still set pool_max_conns.
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	lockCfg := cfg.Copy()
	lockCfg.MaxConns, lockCfg.MinConns = 4, 0
	lockPool, err := pgxpool.NewWithConfig(ctx, lockCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return &DB{pool: pool, lockPool: lockPool}, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close(); db.lockPool.Close() }

// Pool is the underlying connection pool, for health checks and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Migrate brings the schema up to the newest embedded migration. It is
// idempotent and safe when several processes call it at once.
func (db *DB) Migrate(ctx context.Context) (err error) {
	// A connection of its own rather than one from the pool: the session
	// advisory lock goes with the connection when it closes, whatever happens.
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("release migration lock: %w", uerr)
		}
	}()

	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	// issue 12 §2: the personal data written before are sealed, under the
	// same lock (seal.go).
	if db.box != nil {
		if _, err := db.SealPlain(ctx); err != nil {
			return fmt.Errorf("seal personal data: %w", err)
		}
	}
	return nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// pgErrorCode is the SQLSTATE of err, or "" when it is no PostgreSQL error.
func pgErrorCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// SQLSTATEs we act on.
const (
	sqlUniqueViolation     = "23505"
	sqlForeignKeyViolation = "23503"
)

// validUUID reports whether s is a UUID in its canonical textual form; other
// strings can name no row, and PostgreSQL would reject them with an error.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// nullUUID is s as a query argument for a nullable uuid column: NULL when empty.
func nullUUID(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TryLeadership takes the session advisory lock name on a connection of its
// own and keeps it until ctx ends or the connection is lost (then lost is
// closed): one worker replica at a time does the work name stands for
// (reading a mailbox). ok is false when another session holds it.
func (db *DB) TryLeadership(ctx context.Context, name string) (ok bool, lost <-chan struct{}, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("leadership %s: %w", name, err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('beian-lead:' || $1))`, name).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return false, nil, fmt.Errorf("leadership %s: %w", name, err)
		}
		return false, nil, nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('beian-lead:' || $1))`, name)
				conn.Release()
				return
			case <-t.C:
				if err := conn.Ping(ctx); err != nil { // the session, and the lock with it, is gone
					conn.Conn().Close(context.Background())
					conn.Release()
					return
				}
			}
		}
	}()
	return true, done, nil
}
