package secret_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/secret"
)

// rawKey is a base64 32-byte key: bytes 0x00..0x1f.
var rawKey = func() string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return base64.StdEncoding.EncodeToString(k)
}()

func newBox(t testing.TB, key string) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(key)
	require.NoError(t, err)
	return b
}

func TestNewBox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     string
		wantErr bool
	}{
		{name: "base64 32 bytes", key: rawKey},
		{name: "base64 with trailing newline", key: rawKey + "\n"},
		{name: "passphrase of 16 characters", key: "abcdefghijklmnop"},
		{name: "passphrase of 16 Chinese characters", key: "备案密码备案密码备案密码备案密码"},
		{name: "15 characters", key: "abcdefghijklmno", wantErr: true},
		// 24 characters that decode to 16 bytes: not a raw key, so a passphrase.
		{name: "base64 of 16 bytes is a passphrase", key: base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{name: "empty", key: "", wantErr: true},
		{name: "only spaces", key: strings.Repeat(" ", 20), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := secret.NewBox(tt.key)
			if tt.wantErr {
				require.ErrorIs(t, err, secret.ErrShortKey)
				require.Nil(t, b)
				return
			}
			require.NoError(t, err)
			sealed, err := b.Seal("pw")
			require.NoError(t, err)
			got, err := b.Open(sealed)
			require.NoError(t, err)
			require.Equal(t, "pw", got)
		})
	}
}

// A base64 key is used as is, not hashed like a passphrase: the same text
// read as a passphrase is a different key.
func TestNewBoxBase64IsRawKey(t *testing.T) {
	t.Parallel()
	sealed, err := newBox(t, rawKey).Seal("secret")
	require.NoError(t, err)
	// The trimmed key is the same key.
	got, err := newBox(t, "  "+rawKey+"\n").Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "secret", got)
	// Dropping the padding makes it a 43-character passphrase: another key.
	_, err = newBox(t, strings.TrimRight(rawKey, "=")).Open(sealed)
	require.ErrorIs(t, err, secret.ErrCorrupt)
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box := newBox(t, rawKey)
	tests := []struct {
		name  string
		plain string
	}{
		{name: "ascii", plain: "Ab3$kx9!"},
		{name: "chinese", plain: "备案密码123"},
		{name: "long", plain: strings.Repeat("x", 4096)},
		{name: "one byte", plain: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := box.Seal(tt.plain)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(sealed, "v2:k0:"), sealed)
			if len(tt.plain) > 3 {
				require.NotContains(t, sealed, tt.plain)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v2:k0:"))
			require.NoError(t, err)
			require.Len(t, raw, 12+len(tt.plain)+16) // nonce || ciphertext || tag

			again, err := box.Seal(tt.plain)
			require.NoError(t, err)
			require.NotEqual(t, sealed, again, "nonce must be random")

			got, err := box.Open(sealed)
			require.NoError(t, err)
			require.Equal(t, tt.plain, got)
		})
	}
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	box := newBox(t, rawKey)
	sealed, err := box.Seal("")
	require.NoError(t, err)
	require.Equal(t, "", sealed)
	got, err := box.Open("")
	require.NoError(t, err)
	require.Equal(t, "", got)
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	box := newBox(t, rawKey)
	sealed, err := box.Seal("filing-password")
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v2:k0:"))
	require.NoError(t, err)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return "v2:k0:" + base64.StdEncoding.EncodeToString(b)
	}

	tests := []struct {
		name   string
		box    *secret.Box
		sealed string
	}{
		{name: "flipped nonce bit", box: box, sealed: flip(0)},
		{name: "flipped ciphertext bit", box: box, sealed: flip(12)},
		{name: "flipped tag bit", box: box, sealed: flip(len(raw) - 1)},
		{name: "truncated", box: box, sealed: "v2:k0:" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1])},
		{name: "shorter than nonce and tag", box: box, sealed: "v2:k0:" + base64.StdEncoding.EncodeToString(raw[:27])},
		{name: "other version", box: box, sealed: "v3:k0:" + strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "relabelled as v1", box: box, sealed: "v1:" + strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "relabelled key ID", box: newKeyring(t, "k0", "k0:"+rawKey, "k1:"+rawKey), sealed: "v2:k1:" + strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "unknown key ID", box: box, sealed: "v2:k9:" + strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "no key ID", box: box, sealed: "v2:" + strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "no prefix", box: box, sealed: strings.TrimPrefix(sealed, "v2:k0:")},
		{name: "plain text stored by mistake", box: box, sealed: "filing-password"},
		{name: "bad base64", box: box, sealed: "v2:k0:!!!"},
		{name: "bad v1 base64", box: box, sealed: "v1:!!!"},
		{name: "wrong key", box: newBox(t, "another passphrase of enough length"), sealed: sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.box.Open(tt.sealed)
			require.ErrorIs(t, err, secret.ErrCorrupt)
			require.Empty(t, got)
			require.NotContains(t, err.Error(), "filing-password")
		})
	}
}

func TestBoxDoesNotPrintKey(t *testing.T) {
	t.Parallel()
	box := newBox(t, "a passphrase that must never be logged")
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, box)
		require.Equal(t, "secret.Box{key:redacted}", out, format)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"320102199001011234", "3201**********1234"},
		{"91320594MA1XXXXX2K", "9132**********XX2K"}, // USCC, 18 characters
		{"12345678", "********"},
		{"123456789", "1234*6789"},
		{"1234", "****"},
		{"", ""},
		{"北京市朝阳区某某路", "北京市朝*区某某路"},
		{"张三", "**"},
		{"中网科技（苏州）股份有限公司", "中网科技******有限公司"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := secret.Mask(tt.in)
			require.Equal(t, tt.want, got)
			require.Equal(t, utf8.RuneCountInString(tt.in), utf8.RuneCountInString(got))
		})
	}
}

func FuzzOpen(f *testing.F) {
	box := newBox(f, rawKey)
	sealed, err := box.Seal("seed")
	require.NoError(f, err)
	f.Add(sealed)
	f.Add("")
	f.Add("v1:")
	f.Add("v1:AAAA")
	f.Add("v1:" + strings.Repeat("A", 40))
	f.Add("v2:k0:" + strings.Repeat("A", 40))
	f.Add("v2::")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := box.Open(s)
		if err != nil {
			require.True(t, errors.Is(err, secret.ErrCorrupt))
			require.Empty(t, got)
		}
	})
}

func FuzzSealOpen(f *testing.F) {
	box := newBox(f, rawKey)
	f.Add("备案密码")
	f.Add("")
	f.Fuzz(func(t *testing.T, plain string) {
		sealed, err := box.Seal(plain)
		require.NoError(t, err)
		got, err := box.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, plain, got)
	})
}

func FuzzMask(f *testing.F) {
	f.Add("320102199001011234")
	f.Add("张三")
	f.Fuzz(func(t *testing.T, s string) {
		got := secret.Mask(s)
		n := utf8.RuneCountInString(s)
		require.Equal(t, n, utf8.RuneCountInString(got))
		if n > 8 {
			require.Equal(t, string([]rune(s)[:4]), string([]rune(got)[:4]))
		} else {
			require.Equal(t, strings.Repeat("*", n), got)
		}
	})
}
