// Package secret keeps the filing password (备案密码) and the personal data
// of filings (ID numbers, phones, e-mail addresses) encrypted at rest with
// rotatable keys, makes the blind indexes the store finds them by, and masks
// certificate numbers for display (R-BR-2).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MinPassphraseLen is the least number of characters (runes) of a key that
// is a passphrase rather than a base64 32-byte key.
const MinPassphraseLen = 16

// Sealed formats. "v1:" + base64(nonce || ciphertext) is the first format,
// of the filing password alone, with one key and no key ID; it still opens.
// Seal writes "v2:<key ID>:" + base64(nonce || ciphertext). In both the
// prefix is the AEAD's additional data, so a value cannot be relabelled as
// another version or as sealed with another key.
const (
	v1Prefix = "v1:"
	v2Prefix = "v2:"
)

// LegacyKeyID is the ID of the key of BEIAN_SECRET_KEY, the single key of
// the first format: NewBox's key.
const LegacyKeyID = "k0"

// ErrShortKey is returned by NewBox for a key that is neither 32 bytes in
// base64 nor a passphrase of at least MinPassphraseLen characters.
var ErrShortKey = errors.New("secret: key must be 32 bytes in standard base64 or a passphrase of at least 16 characters")

// ErrCorrupt is returned by Open for a value that was not sealed by a Box
// with the same key, or was changed since.
var ErrCorrupt = errors.New("secret: sealed value is malformed, altered or sealed with another key")

// ErrUnknownKey is returned by Open (wrapping ErrCorrupt) for a value sealed
// with a key ID the Box does not hold: an old key was dropped before
// `beian rotate-key` re-sealed everything with the current one.
var ErrUnknownKey = fmt.Errorf("%w: its key ID is not configured", ErrCorrupt)

// Box seals and opens secrets with AES-256-GCM and computes blind indexes.
// It is a keyring: one current key seals, every key it holds opens (by the
// key ID in the value), and a separate index key makes the blind indexes,
// which therefore survive a rotation of the sealing keys. It is safe for
// concurrent use. It never prints its keys: String and GoString say only
// what it is.
type Box struct {
	current string                 // ID of the sealing key
	keys    map[string]cipher.AEAD // by key ID
	order   []string               // key IDs, current first: v1 values try each
	index   []byte                 // HMAC-SHA256 key of the blind indexes
}

// Key is one sealing key of a keyring with its ID, which every value it
// seals carries. Secret is as NewBox's key: 32 bytes in standard base64,
// or a passphrase of at least MinPassphraseLen characters.
type Key struct {
	ID     string
	Secret string
}

// String keeps the key out of logs: only its ID shows.
func (k Key) String() string { return "secret.Key{" + k.ID + ":redacted}" }

// GoString keeps the key out of logs printed with %#v.
func (k Key) GoString() string { return k.String() }

// KeyringConfig is the keys of a Box as configured (see NewKeyring).
type KeyringConfig struct {
	// Key is BEIAN_SECRET_KEY, the key of LegacyKeyID: the only key
	// before keyrings, so it opens "v1:" values.
	Key string
	// Keys are more keys, BEIAN_SECRET_KEYS ("id:key,id:key", see ParseKeys).
	Keys []Key
	// Current is the ID of the key that seals (BEIAN_SECRET_KEY_ID); empty
	// means the first of Keys, or LegacyKeyID when there are none.
	Current string
	// IndexKey is the key of the blind indexes (BEIAN_INDEX_KEY), as a
	// sealing key is written. Empty means one derived from Key; with no Key
	// either, NewKeyring refuses: the index key must not change when the
	// sealing keys rotate, so it cannot be derived from one that will go.
	IndexKey string
}

// ParseKeys reads a list of keys "id:key,id:key". An ID is 1 to 32 letters,
// digits, '-' or '_'; a key is as NewBox's (so a passphrase in this list
// cannot contain a comma). The error never quotes a key.
func ParseKeys(s string) ([]Key, error) {
	var out []Key
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, key, ok := strings.Cut(part, ":")
		if !ok || !validKeyID(id) {
			return nil, fmt.Errorf("secret: key %d of the list is not id:key with an ID of letters, digits, - or _", i+1)
		}
		out = append(out, Key{ID: id, Secret: key})
	}
	return out, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// NewBox returns a Box of one key, with ID LegacyKeyID, which also derives
// the index key. Surrounding whitespace (the newline of a key file) is
// ignored. A key that decodes as standard base64 to exactly 32 bytes is the
// AES-256 key itself (generate one with `openssl rand -base64 32`). Any
// other key is a passphrase: it must have at least MinPassphraseLen
// characters, and its SHA-256 digest is the key. A plain hash adds no work
// factor, so a passphrase must be long and random, not a memorable word;
// prefer the base64 form.
func NewBox(key string) (*Box, error) {
	return NewKeyring(KeyringConfig{Key: key})
}

// NewKeyring returns a Box of the configured keys. Key IDs must be unique
// (LegacyKeyID is Key's) and Current must name one of them.
func NewKeyring(c KeyringConfig) (*Box, error) {
	b := &Box{keys: map[string]cipher.AEAD{}}
	add := func(id, secret string) error {
		if _, dup := b.keys[id]; dup {
			return fmt.Errorf("secret: key ID %q is configured twice", id)
		}
		k, err := keyBytes(secret)
		if err != nil {
			return fmt.Errorf("key %s: %w", id, err)
		}
		aead, err := newAEAD(k)
		if err != nil {
			return err
		}
		b.keys[id] = aead
		b.order = append(b.order, id)
		return nil
	}
	for _, k := range c.Keys {
		if !validKeyID(k.ID) {
			return nil, fmt.Errorf("secret: key ID %q is not 1-32 letters, digits, - or _", k.ID)
		}
		if err := add(k.ID, k.Secret); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(c.Key) != "" || len(c.Keys) == 0 {
		if err := add(LegacyKeyID, c.Key); err != nil {
			return nil, err
		}
	}
	b.current = c.Current
	if b.current == "" {
		b.current = b.order[0]
	}
	if _, ok := b.keys[b.current]; !ok {
		return nil, fmt.Errorf("secret: the current key %q is not among the configured keys", b.current)
	}
	// The current key first: a v1 value is tried against each key.
	b.order = append([]string{b.current}, slices.DeleteFunc(b.order, func(id string) bool { return id == b.current })...)
	indexSecret := c.IndexKey
	if strings.TrimSpace(indexSecret) == "" {
		if strings.TrimSpace(c.Key) == "" {
			return nil, errors.New("secret: the blind-index key (BEIAN_INDEX_KEY) is required when BEIAN_SECRET_KEY is not set")
		}
		indexSecret = c.Key
	}
	ik, err := keyBytes(indexSecret)
	if err != nil {
		return nil, fmt.Errorf("index key: %w", err)
	}
	// Derived, not the key itself: the same secret may also seal (the
	// default), and HMAC and AES should not share a key.
	m := hmac.New(sha256.New, ik)
	m.Write([]byte("beian blind index v1"))
	b.index = m.Sum(nil)
	return b, nil
}

// keyBytes is the AES-256 key of a configured key (see NewBox).
func keyBytes(key string) ([]byte, error) {
	key = strings.TrimSpace(key)
	if raw, err := base64.StdEncoding.DecodeString(key); err == nil && len(raw) == 32 {
		return raw, nil
	}
	if utf8.RuneCountInString(key) >= MinPassphraseLen {
		sum := sha256.Sum256([]byte(key))
		return sum[:], nil
	}
	return nil, ErrShortKey
}

func newAEAD(k []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("secret: new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: new gcm: %w", err)
	}
	return aead, nil
}

// String keeps the key out of logs.
func (b *Box) String() string { return "secret.Box{key:redacted}" }

// GoString keeps the key out of logs printed with %#v.
func (b *Box) GoString() string { return b.String() }

// CurrentKeyID is the ID of the key Seal uses.
func (b *Box) CurrentKeyID() string { return b.current }

// Seal encrypts plain with the current key and a fresh random nonce and
// returns "v2:<key ID>:" + base64(nonce || ciphertext) in standard
// encoding. Sealing the same text twice gives different values. The empty
// string seals to "" so that an absent value stays visibly absent.
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	prefix := v2Prefix + b.current + ":"
	aead := b.keys[b.current]
	ns := aead.NonceSize()
	buf := make([]byte, ns, ns+len(plain)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf[:ns], []byte(plain), []byte(prefix))
	return prefix + base64.StdEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal with a key the Box holds, or a "v1:"
// value of the single key of old; "" opens to "". Anything else that fails,
// including a value altered by one bit, a value sealed with another key, or
// text that is not a sealed value at all, returns an error wrapping
// ErrCorrupt that never quotes the value.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if rest, ok := strings.CutPrefix(sealed, v1Prefix); ok {
		raw, err := decodeSealed(rest)
		if err != nil {
			return "", err
		}
		// No key ID: the key of old is the legacy one, but try them all, as
		// its ID may be another in BEIAN_SECRET_KEYS.
		for _, id := range b.order {
			if plain, err := openRaw(b.keys[id], raw, v1Prefix); err == nil {
				return plain, nil
			}
		}
		return "", fmt.Errorf("open: authentication failed: %w", ErrCorrupt)
	}
	rest, ok := strings.CutPrefix(sealed, v2Prefix)
	if !ok {
		return "", fmt.Errorf("open: unknown format: %w", ErrCorrupt)
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok || !validKeyID(id) {
		return "", fmt.Errorf("open: no key ID: %w", ErrCorrupt)
	}
	aead, ok := b.keys[id]
	if !ok {
		return "", fmt.Errorf("open: key %s: %w", id, ErrUnknownKey)
	}
	raw, err := decodeSealed(body)
	if err != nil {
		return "", err
	}
	plain, err := openRaw(aead, raw, v2Prefix+id+":")
	if err != nil {
		return "", err
	}
	return plain, nil
}

func decodeSealed(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("open: bad base64: %w", ErrCorrupt)
	}
	return raw, nil
}

func openRaw(aead cipher.AEAD, raw []byte, ad string) (string, error) {
	ns := aead.NonceSize()
	if len(raw) < ns+aead.Overhead() {
		return "", fmt.Errorf("open: too short: %w", ErrCorrupt)
	}
	plain, err := aead.Open(nil, raw[:ns], raw[ns:], []byte(ad))
	if err != nil {
		return "", fmt.Errorf("open: authentication failed: %w", ErrCorrupt)
	}
	return string(plain), nil
}

// IsSealed reports whether s has the form of a sealed value (either
// version), without opening it. A migration tells plain values from sealed
// ones by this: no ID number, phone or e-mail address starts with "v1:" or
// "v2:".
func IsSealed(s string) bool {
	return strings.HasPrefix(s, v1Prefix) || strings.HasPrefix(s, v2Prefix)
}

// Current reports whether sealed is sealed with the current key (or is
// empty): `beian rotate-key` re-seals the values for which it is false.
func (b *Box) Current(sealed string) bool {
	return sealed == "" || strings.HasPrefix(sealed, v2Prefix+b.current+":")
}

// Reseal opens sealed and seals it again with the current key; a value
// sealed with it already, or empty, comes back as it is.
func (b *Box) Reseal(sealed string) (string, error) {
	if b.Current(sealed) {
		return sealed, nil
	}
	plain, err := b.Open(sealed)
	if err != nil {
		return "", err
	}
	return b.Seal(plain)
}

// Kinds of blind index. Values of one kind are normalised alike, so an
// index of one kind finds equal values wherever they were stored (a
// sponsor's certificate number and a principal's ID number are both IDs).
const (
	IndexID    = "id"    // ID and certificate numbers: trimmed, upper-case
	IndexPhone = "phone" // mobile and landline numbers: digits only, no +86
	IndexEmail = "email" // e-mail addresses: trimmed, lower-case
)

// indexPrefix versions the blind-index format.
const indexPrefix = "h1:"

// Index is the blind index of value (盲索引): a keyed HMAC-SHA256 of the
// kind and the normalised value, "h1:" + 32 hex digits, or "" for a value
// that normalises to nothing. Equal values give equal indexes, so the store
// finds by equality without holding the value; without the index key
// nobody can test a guess against it.
func (b *Box) Index(kind, value string) string {
	n := Normalise(kind, value)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, b.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(n))
	return indexPrefix + hex.EncodeToString(m.Sum(nil)[:16])
}

// Normalise is value as Index compares it: an ID upper-case, a phone its
// digits without a leading 86/0086 before a mobile number, an e-mail
// address lower-case; all trimmed.
func Normalise(kind, value string) string {
	value = strings.TrimSpace(value)
	switch kind {
	case IndexID:
		return strings.ToUpper(value)
	case IndexEmail:
		return strings.ToLower(value)
	case IndexPhone:
		var d strings.Builder
		for _, r := range value {
			if '0' <= r && r <= '9' {
				d.WriteRune(r)
			}
		}
		s := d.String()
		// As intake's phone key: "+86 138…" and "0086 25…" are 138… and 025….
		switch rest, ok := strings.CutPrefix(s, "0086"); {
		case ok && len(rest) == 11 && rest[0] == '1':
			s = rest
		case ok:
			s = "0" + strings.TrimLeft(rest, "0")
		case len(s) == 13 && strings.HasPrefix(s, "861"):
			s = s[2:]
		}
		return s
	}
	return value
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
