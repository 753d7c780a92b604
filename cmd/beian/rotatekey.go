package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/beian/beian/postgres"
	"github.com/beian/beian/secret"
)

// keyring is the Box of the configured keys (issue 12 §2):
//
//	BEIAN_SECRET_KEY     the key of ID "k0": the single key of old, which
//	                     sealed the "v1:" filing passwords; it also derives
//	                     the blind-index key unless BEIAN_INDEX_KEY is set
//	BEIAN_SECRET_KEYS    more keys, "id:key,id:key" (IDs of letters, digits,
//	                     - and _; keys as BEIAN_SECRET_KEY, without commas)
//	BEIAN_SECRET_KEY_ID  the ID of the key that seals; default the first of
//	                     BEIAN_SECRET_KEYS, or k0
//	BEIAN_INDEX_KEY      the key of the blind indexes; required without
//	                     BEIAN_SECRET_KEY, and never rotated with the others
//
// Every configured key opens; only the current one seals. Errors never
// quote a key.
func (c Config) keyring() (*secret.Box, error) {
	keys, err := secret.ParseKeys(c.SecretKeys)
	if err != nil {
		return nil, fmt.Errorf("BEIAN_SECRET_KEYS: %w", err)
	}
	box, err := secret.NewKeyring(secret.KeyringConfig{Key: c.SecretKey, Keys: keys, Current: c.SecretKeyID, IndexKey: c.IndexKey})
	if err != nil {
		return nil, fmt.Errorf("secret keys (BEIAN_SECRET_KEY, BEIAN_SECRET_KEYS, BEIAN_SECRET_KEY_ID, BEIAN_INDEX_KEY): %w", err)
	}
	return box, nil
}

// rotateKey is `beian rotate-key`: it re-seals every sealed value in the
// database (personal data and filing passwords) with the current key and
// recomputes the blind indexes, in batches, and prints what it rewrote.
// Run it after making a new key current with the old one still
// configured; once it has run, the old key can go (but see the README on
// filings still in their first steps). Running it again rewrites nothing.
func rotateKey(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set")
	}
	if cfg.SecretKey == "" && cfg.SecretKeys == "" {
		return errors.New("BEIAN_SECRET_KEY or BEIAN_SECRET_KEYS is not set: there is no key to seal with")
	}
	box, err := cfg.keyring()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	db.UseBox(box)
	// The schema first (it must have the index columns); Migrate also
	// seals what is still plain.
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	n, err := db.RotateKeys(ctx)
	if err != nil {
		return fmt.Errorf("rotate keys: %w", err)
	}
	fmt.Fprintf(out, "re-sealed with key %s: %d cases, %d corrections, %d blacklist entries, %d kept API answers, %d queued mails\n",
		box.CurrentKeyID(), n.Cases, n.Corrections, n.Blacklist, n.IdempotentAnswers, n.Mails)
	return nil
}
