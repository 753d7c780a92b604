package homepage

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// number is a filing number (备案号) reduced to what a page must show:
// "苏ICP备12345678" of "苏ICP备12345678号-1". The 号 and the site suffix
// "-1" are optional on the page, so a filing's number matches pages that
// show it with or without them (R-PA-5).
type number struct {
	key string
}

// parseNumber reads a filing number as staff record it, in full or half
// width, with or without spaces, 号 and site suffix.
//
// A public-security number (苏公网安备32050502000001号, R-PA-6) is read the
// same way: the province, 公网安备 and its 14 digits.
func parseNumber(s string) (number, error) {
	n := upperASCII(normalize(s))
	if i := strings.Index(n, "公网安备"); i > 0 {
		province, _ := utf8.DecodeLastRuneInString(n[:i])
		rest := n[i+len("公网安备"):]
		digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		if !unicode.Is(unicode.Han, province) || digits == 0 {
			return number{}, fmt.Errorf("public-security number %q: want 省公网安备 and digits", s)
		}
		return number{key: string(province) + "公网安备" + rest[:digits]}, nil
	}
	i := strings.Index(n, "ICP备")
	if i <= 0 {
		return number{}, fmt.Errorf("filing number %q: no 省ICP备 prefix", s)
	}
	province, _ := utf8.DecodeLastRuneInString(n[:i])
	if !unicode.Is(unicode.Han, province) {
		return number{}, fmt.Errorf("filing number %q: no province before ICP备", s)
	}
	rest := n[i+len("ICP备"):]
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	if digits == 0 {
		return number{}, fmt.Errorf("filing number %q: no digits after ICP备", s)
	}
	return number{key: string(province) + "ICP备" + rest[:digits]}, nil
}

// find returns the byte offset of the number in the normalised text t, or
// -1. "icp" may be in any case; the digits must not go on ("苏ICP备1234567"
// is not in "苏ICP备12345678").
func (n number) find(t string) int {
	t = upperASCII(t) // same byte offsets
	for off := 0; ; {
		i := strings.Index(t[off:], n.key)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(n.key)
		if end == len(t) || t[end] < '0' || t[end] > '9' {
			return i
		}
		off = i + 1
	}
}

// normalize folds full-width letters, digits and signs to half width
// (苏ＩＣＰ备１２３４５６７８号 → 苏ICP备12345678号), upper-cases "icp" and drops
// all white space (spaces, no-break and ideographic spaces, newlines).
// Page text and filing number go through it alike.
func normalize(s string) string {
	s = width.Fold.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000' || r == '\u200b' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// upperASCII upper-cases ASCII letters only, so byte offsets stay put.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// snippet is at most max runes of t around the match at byte offset i.
func snippet(t string, i, matchLen, max int) string {
	runes := []rune(t[:i])
	match := []rune(t[i : i+matchLen])
	after := []rune(t[i+matchLen:])
	room := max - len(match)
	if room < 0 {
		return string(match[:max])
	}
	before := min(len(runes), room/2)
	aft := min(len(after), room-before)
	before = min(len(runes), room-aft)
	return string(runes[len(runes)-before:]) + string(match) + string(after[:aft])
}
