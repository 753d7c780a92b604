package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
)

// `beian rotate-key` (issue 12 §2): a case sealed with BEIAN_SECRET_KEY
// (key A, ID k0); B made current with A kept; the rotation re-seals
// everything, and B alone (with the index key kept) opens it all.
func TestRotateKeyCommand(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	const keyA, keyB = "rotate-key command key A (long)", "rotate-key command key B (long)"
	open := func(cfg Config) *postgres.DB {
		t.Helper()
		box, err := cfg.keyring()
		require.NoError(t, err)
		db, err := postgres.Open(ctx, url)
		require.NoError(t, err)
		t.Cleanup(db.Close)
		db.UseBox(box)
		return db
	}
	onlyA := Config{DatabaseURL: url, SecretKey: keyA}
	db := open(onlyA)
	boxA, err := onlyA.keyring()
	require.NoError(t, err)
	pw, err := boxA.Seal("Pw-command-1")
	require.NoError(t, err)
	c := &beian.Case{Type: beian.TypeNew, Status: beian.StatusAwaitingMaterials, Routing: beian.Routing{Province: "江苏"},
		FilingPasswordSealed: pw,
		Sponsor:              beian.Sponsor{Kind: beian.SponsorOrganisation, Name: "轮换测试公司", CertNumber: "91320594MA7ROTA01Z"},
		Principal:            beian.Principal{Name: "轮换", IDNumber: "320102199003078811", Mobile: "13977178811", Email: "rotate@example.cn"},
		Website:              beian.Website{Domains: []string{"rotate.example.cn"}}}
	require.NoError(t, db.CreateCase(ctx, c))

	both := Config{DatabaseURL: url, SecretKey: keyA, SecretKeys: "b:" + keyB, SecretKeyID: "b"}
	var out bytes.Buffer
	require.NoError(t, rotateKey(ctx, both, &out))
	require.Equal(t, "re-sealed with key b: 1 cases, 0 corrections, 0 blacklist entries, 0 kept API answers, 0 queued mails\n", out.String())
	out.Reset()
	require.NoError(t, rotateKey(ctx, both, &out))
	require.Contains(t, out.String(), ": 0 cases,", "a second run rewrites nothing")

	var raw string
	require.NoError(t, db.Pool().QueryRow(ctx, `SELECT t::text FROM cases t WHERE id = $1`, c.ID).Scan(&raw))
	require.NotContains(t, raw, "v2:k0:")
	require.Equal(t, 6, strings.Count(raw, "v2:b:"), "four personal values, the certificate column and the filing password: %s", raw)

	onlyB := Config{DatabaseURL: url, SecretKeys: "b:" + keyB, IndexKey: keyA}
	got, err := open(onlyB).GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c.Principal, got.Principal)
	require.Equal(t, c.Sponsor.CertNumber, got.Sponsor.CertNumber)
	boxB, err := onlyB.keyring()
	require.NoError(t, err)
	plain, err := boxB.Open(got.FilingPasswordSealed)
	require.NoError(t, err)
	require.Equal(t, "Pw-command-1", plain)
	found, err := open(onlyB).OpenApplicationOf(ctx, "91320594MA7ROTA01Z")
	require.NoError(t, err)
	require.Equal(t, c.ID, found.ID, "the blind index survives the rotation")

	_, err = open(onlyA).GetCase(ctx, c.ID)
	require.ErrorIs(t, err, secret.ErrCorrupt, "the old key alone opens nothing any more")

	// Without the index key, B alone is refused rather than indexing anew.
	_, err = Config{SecretKeys: "b:" + keyB}.keyring()
	require.ErrorContains(t, err, "BEIAN_INDEX_KEY")
	require.NotContains(t, err.Error(), keyB)
}
