package secret_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/secret"
)

// newKeyring is a Box of keys "id:key,…" sealing with current, its index
// key derived from rawKey.
func newKeyring(t testing.TB, current string, keys ...string) *secret.Box {
	t.Helper()
	ks, err := secret.ParseKeys(strings.Join(keys, ","))
	require.NoError(t, err)
	b, err := secret.NewKeyring(secret.KeyringConfig{Keys: ks, Current: current, IndexKey: rawKey})
	require.NoError(t, err)
	return b
}

// sealV1 seals plain as the first version did (one key, "v1:" the
// additional data), to prove such values still open.
func sealV1(t *testing.T, key, plain string) string {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(k) != 32 {
		sum := sha256.Sum256([]byte(key))
		k = sum[:]
	}
	block, err := aes.NewCipher(k)
	require.NoError(t, err)
	aead, err := cipher.NewGCM(block)
	require.NoError(t, err)
	nonce := make([]byte, aead.NonceSize())
	_, err = rand.Read(nonce)
	require.NoError(t, err)
	return "v1:" + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), []byte("v1:")))
}

// Filing passwords sealed before keyrings open with the same key, whether
// it is configured as BEIAN_SECRET_KEY or under an ID in a list.
func TestOpenV1(t *testing.T) {
	t.Parallel()
	const pass = "a passphrase of the first version"
	v1 := sealV1(t, pass, "备案密码Ab3")
	got, err := newBox(t, pass).Open(v1)
	require.NoError(t, err)
	require.Equal(t, "备案密码Ab3", got)

	got, err = newKeyring(t, "new", "new:"+rawKey, "old:"+pass).Open(v1)
	require.NoError(t, err)
	require.Equal(t, "备案密码Ab3", got)

	_, err = newKeyring(t, "new", "new:"+rawKey).Open(v1)
	require.ErrorIs(t, err, secret.ErrCorrupt)
}

// Rotation: values sealed with key A open with B current and A kept; once
// resealed, B alone opens them and A alone no longer does.
func TestRotate(t *testing.T) {
	t.Parallel()
	keyB := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("b", 32)))
	a := newKeyring(t, "a", "a:"+rawKey)
	sealed, err := a.Seal("320102199001011234")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(sealed, "v2:a:"), sealed)
	require.True(t, a.Current(sealed))

	both := newKeyring(t, "b", "b:"+keyB, "a:"+rawKey)
	require.Equal(t, "b", both.CurrentKeyID())
	require.False(t, both.Current(sealed))
	got, err := both.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "320102199001011234", got)

	resealed, err := both.Reseal(sealed)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(resealed, "v2:b:"), resealed)
	require.True(t, both.Current(resealed))
	again, err := both.Reseal(resealed)
	require.NoError(t, err)
	require.Equal(t, resealed, again, "a current value is left as it is")

	b := newKeyring(t, "b", "b:"+keyB)
	got, err = b.Open(resealed)
	require.NoError(t, err)
	require.Equal(t, "320102199001011234", got)
	_, err = b.Open(sealed)
	require.ErrorIs(t, err, secret.ErrUnknownKey)
	require.ErrorIs(t, err, secret.ErrCorrupt)
	_, err = a.Open(resealed)
	require.ErrorIs(t, err, secret.ErrCorrupt)

	// The blind index does not move with the sealing key.
	require.Equal(t, a.Index(secret.IndexID, "320102199001011234"), b.Index(secret.IndexID, "320102199001011234"))
}

func TestNewKeyringRefuses(t *testing.T) {
	t.Parallel()
	k := func(s string) []secret.Key {
		ks, err := secret.ParseKeys(s)
		require.NoError(t, err)
		return ks
	}
	tests := []struct {
		name string
		c    secret.KeyringConfig
		want string
	}{
		{"nothing", secret.KeyringConfig{}, "32 bytes"},
		{"twice the same ID", secret.KeyringConfig{Keys: k("a:" + rawKey + ",a:" + rawKey), IndexKey: rawKey}, "twice"},
		{"k0 in the list and BEIAN_SECRET_KEY", secret.KeyringConfig{Key: rawKey, Keys: k("k0:" + rawKey)}, "twice"},
		{"unknown current", secret.KeyringConfig{Key: rawKey, Current: "k9"}, "current key"},
		{"list without index key", secret.KeyringConfig{Keys: k("a:" + rawKey)}, "BEIAN_INDEX_KEY"},
		{"short key in the list", secret.KeyringConfig{Keys: k("a:short"), IndexKey: rawKey}, "32 bytes"},
		{"short index key", secret.KeyringConfig{Key: rawKey, IndexKey: "short"}, "index key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := secret.NewKeyring(tt.c)
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, b)
			require.NotContains(t, err.Error(), rawKey)
		})
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	ks, err := secret.ParseKeys(" 2026-12:" + rawKey + " , old_1:a passphrase of enough length ,")
	require.NoError(t, err)
	require.Equal(t, []secret.Key{{ID: "2026-12", Secret: rawKey}, {ID: "old_1", Secret: "a passphrase of enough length"}}, ks)
	for _, bad := range []string{rawKey, ":" + rawKey, "a b:" + rawKey, strings.Repeat("x", 33) + ":" + rawKey} {
		_, err := secret.ParseKeys(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), rawKey)
	}
}

// A keyring of several keys seals with the current one; the first of the
// list when none is named.
func TestKeyringSealsWithCurrent(t *testing.T) {
	t.Parallel()
	b := newKeyring(t, "", "first:"+rawKey, "second:another passphrase of length")
	s, err := b.Seal("x")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s, "v2:first:"), s)
	b = newKeyring(t, "second", "first:"+rawKey, "second:another passphrase of length")
	s, err = b.Seal("x")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s, "v2:second:"), s)
}

func TestIndex(t *testing.T) {
	t.Parallel()
	box := newBox(t, rawKey)
	same := []struct{ kind, a, b string }{
		{secret.IndexID, "32010219900101123x", " 32010219900101123X "},
		{secret.IndexPhone, "+86 138-1234-5678", "13812345678"},
		{secret.IndexPhone, "0086 13812345678", "13812345678"},
		{secret.IndexPhone, "0086-25-8888 6666", "025-88886666"},
		{secret.IndexEmail, "Li.Si@Example.COM", "li.si@example.com"},
	}
	for _, tt := range same {
		require.Equal(t, box.Index(tt.kind, tt.a), box.Index(tt.kind, tt.b), "%s %q %q", tt.kind, tt.a, tt.b)
	}
	id := box.Index(secret.IndexID, "320102199001011234")
	require.True(t, strings.HasPrefix(id, "h1:"), id)
	require.Len(t, id, 3+32)
	require.NotContains(t, id, "1234")
	require.NotEqual(t, id, box.Index(secret.IndexID, "320102199001011235"))
	// The kind is part of the index: a phone's digits are no ID's.
	require.NotEqual(t, box.Index(secret.IndexPhone, "13812345678"), box.Index(secret.IndexID, "13812345678"))
	require.Empty(t, box.Index(secret.IndexPhone, "无"))
	require.Empty(t, box.Index(secret.IndexID, "  "))

	// The index key decides: another key, another index; the same index
	// key under other sealing keys, the same index.
	other, err := secret.NewKeyring(secret.KeyringConfig{Key: rawKey, IndexKey: "an index key of sufficient length"})
	require.NoError(t, err)
	require.NotEqual(t, id, other.Index(secret.IndexID, "320102199001011234"))
	rotated, err := secret.NewKeyring(secret.KeyringConfig{Key: "a passphrase of the new sealing key", IndexKey: rawKey})
	require.NoError(t, err)
	require.Equal(t, id, rotated.Index(secret.IndexID, "320102199001011234"))
}

func TestIsSealed(t *testing.T) {
	t.Parallel()
	box := newBox(t, rawKey)
	s, err := box.Seal("13812345678")
	require.NoError(t, err)
	require.True(t, secret.IsSealed(s))
	require.True(t, secret.IsSealed(sealV1(t, rawKey, "x")))
	for _, plain := range []string{"13812345678", "320102199001011234", "li@example.com", ""} {
		require.False(t, secret.IsSealed(plain), plain)
	}
}

func TestKeyDoesNotPrintSecret(t *testing.T) {
	t.Parallel()
	ks, err := secret.ParseKeys("a:" + rawKey)
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, ks)
		require.NotContains(t, out, rawKey, format)
		require.Contains(t, out, "a:redacted", format)
	}
}
