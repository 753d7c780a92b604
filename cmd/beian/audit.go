package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/beian/beian/postgres"
)

// auditCommand runs `beian audit verify` (issue 12 §3): it walks the
// hash-chained audit trail in order and prints that it is whole, with the
// number of rows and the last hash (worth writing down elsewhere: rows
// deleted from the end together with the chain's head show only against
// it), or returns an error naming the first row that does not fit, so the
// command exits 1.
func auditCommand(ctx context.Context, cfg Config, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: beian audit verify")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return verifyAudit(ctx, db, os.Stdout)
}

// verifyAudit verifies db's audit chain and prints the result to w.
func verifyAudit(ctx context.Context, db *postgres.DB, w io.Writer) error {
	v, err := db.VerifyAuditChain(ctx)
	if err != nil {
		return err
	}
	if !v.OK() {
		fmt.Fprintf(w, "审计链已断开：前 %d 条完整（至第 %d 条）；%s\n", v.Rows, v.LastID, v.Broken)
		return fmt.Errorf("audit chain broken at row %d", v.BrokenID)
	}
	fmt.Fprintf(w, "审计链完整：%d 条，末条哈希 %s（第 %d 条）\n", v.Rows, hex.EncodeToString(v.LastHash), v.LastID)
	return nil
}
