// Package secret keeps the filing password (备案密码) encrypted at rest and
// masks certificate numbers for display (R-BR-2).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinPassphraseLen is the least number of characters (runes) of a key that
// is a passphrase rather than a base64 32-byte key.
const MinPassphraseLen = 16

// sealedPrefix versions the sealed format; it is also the AEAD's additional
// data, so a value cannot be relabelled as another version.
const sealedPrefix = "v1:"

// ErrShortKey is returned by NewBox for a key that is neither 32 bytes in
// base64 nor a passphrase of at least MinPassphraseLen characters.
var ErrShortKey = errors.New("secret: key must be 32 bytes in standard base64 or a passphrase of at least 16 characters")

// ErrCorrupt is returned by Open for a value that was not sealed by a Box
// with the same key, or was changed since.
var ErrCorrupt = errors.New("secret: sealed value is malformed, altered or sealed with another key")

// Box seals and opens secrets with AES-256-GCM. It is safe for concurrent
// use. It never prints its key: String and GoString say only what it is.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for key. Surrounding whitespace (the newline of a key
// file) is ignored. A key that decodes as standard base64 to exactly 32
// bytes is the AES-256 key itself (generate one with
// `openssl rand -base64 32`). Any other key is a passphrase: it must have at
// least MinPassphraseLen characters, and its SHA-256 digest is the key. A
// plain hash adds no work factor, so a passphrase must be long and random,
// not a memorable word; prefer the base64 form.
func NewBox(key string) (*Box, error) {
	key = strings.TrimSpace(key)
	var k []byte
	if raw, err := base64.StdEncoding.DecodeString(key); err == nil && len(raw) == 32 {
		k = raw
	} else if utf8.RuneCountInString(key) >= MinPassphraseLen {
		sum := sha256.Sum256([]byte(key))
		k = sum[:]
	} else {
		return nil, ErrShortKey
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("secret: new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: new gcm: %w", err)
	}
	return &Box{aead: aead}, nil
}

// String keeps the key out of logs.
func (b *Box) String() string { return "secret.Box{key:redacted}" }

// GoString keeps the key out of logs printed with %#v.
func (b *Box) GoString() string { return b.String() }

// Seal encrypts plain with a fresh random nonce and returns
// "v1:" + base64(nonce || ciphertext) in standard encoding. Sealing the same
// text twice gives different values. The empty string seals to "" so that an
// absent password stays visibly absent.
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	ns := b.aead.NonceSize()
	buf := make([]byte, ns, ns+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	buf = b.aead.Seal(buf, buf[:ns], []byte(plain), []byte(sealedPrefix))
	return sealedPrefix + base64.StdEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal with the same key; "" opens to "".
// Anything else that fails, including a value altered by one bit, a value
// sealed with another key, or text that is not a sealed value at all,
// returns an error wrapping ErrCorrupt.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", fmt.Errorf("open: unknown format: %w", ErrCorrupt)
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return "", fmt.Errorf("open: bad base64: %w", ErrCorrupt)
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns+b.aead.Overhead() {
		return "", fmt.Errorf("open: too short: %w", ErrCorrupt)
	}
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(sealedPrefix))
	if err != nil {
		return "", fmt.Errorf("open: authentication failed: %w", ErrCorrupt)
	}
	return string(plain), nil
}

// Mask hides the middle of an ID or certificate number for display: the
// first 4 and last 4 characters stay and every character between becomes
// '*' ("320102199001011234" → "3201**********1234"). A string of 8
// characters or fewer becomes all '*'. Lengths count characters (runes), not
// bytes, and the result has as many characters as s.
func Mask(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}
