package mailparse

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// charsetKind says how bytes labelled with a charset are turned into text.
type charsetKind int

const (
	// charsetGuess: no label, US-ASCII or an unknown label. Valid UTF-8 is
	// taken as it is, anything else as GB18030, the superset of GB2312 and
	// GBK that Chinese mail clients send unlabelled or mislabelled.
	charsetGuess charsetKind = iota
	// charsetUTF8: labelled UTF-8; invalid bytes become U+FFFD.
	charsetUTF8
	// charsetOther: a known non-UTF-8 charset, decoded by its encoding.
	charsetOther
)

// lookupCharset maps a MIME charset label to how it is decoded. GB2312, GBK,
// CP936 and GB18030 all decode as GB18030: mails labelled GB2312 routinely
// carry GBK characters (e.g. 镕, 喆), and GB18030 reads both exactly.
func lookupCharset(label string) (charsetKind, encoding.Encoding) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "646":
		return charsetGuess, nil
	case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
		return charsetUTF8, nil
	case "gb2312", "gbk", "gb18030", "cp936", "ms936", "windows-936", "x-gbk", "euc-cn",
		"csgb2312", "cn-gb", "x-euc-cn", "gb_2312-80", "chinese", "iso-ir-58", "csiso58gb231280":
		return charsetOther, simplifiedchinese.GB18030
	case "hz-gb-2312", "hz":
		return charsetOther, simplifiedchinese.HZGB2312
	case "big5", "big-5", "big5-hkscs", "x-big5", "cp950", "cn-big5", "csbig5", "windows-950":
		return charsetOther, traditionalchinese.Big5
	}
	if e, err := htmlindex.Get(l); err == nil && e != nil {
		return charsetOther, e
	}
	if e, err := ianaindex.MIME.Encoding(l); err == nil && e != nil {
		return charsetOther, e
	}
	return charsetGuess, nil
}

// decodeCharset turns bytes labelled with charset into valid UTF-8.
func decodeCharset(b []byte, charset string) string {
	kind, enc := lookupCharset(charset)
	switch kind {
	case charsetUTF8:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case charsetOther:
		out, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return guessText(b)
		}
		return strings.ToValidUTF8(string(out), "\uFFFD")
	}
	return guessText(b)
}

// guessText reads unlabelled bytes: UTF-8 when valid, else GB18030.
func guessText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// decodeHeader decodes RFC 2047 encoded words in a header value. Unlike
// mime.WordDecoder it joins the bytes of adjacent encoded words of the same
// charset before decoding them, because Chinese mail clients split long
// subjects between the two bytes of one GBK character; it also tolerates
// missing base64 padding. Text outside encoded words that is not UTF-8 (raw
// 8-bit headers) is read as GB18030. An encoded word that is not well formed
// is kept as it stands.
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return guessText([]byte(s))
	}
	var out strings.Builder
	var lit, pend []byte
	pendCS := ""
	afterWord := false
	flush := func() {
		if pendCS != "" {
			out.WriteString(decodeCharset(pend, pendCS))
		}
		pend, pendCS = pend[:0], ""
	}
	for i := 0; i < len(s); {
		if s[i] == '=' && i+1 < len(s) && s[i+1] == '?' {
			if cs, b, n, ok := encodedWord(s[i:]); ok {
				if afterWord && len(bytes.TrimLeft(lit, " \t\r\n")) == 0 {
					lit = lit[:0] // whitespace between encoded words is not text
				}
				if len(lit) > 0 {
					flush()
					out.WriteString(guessText(lit))
					lit = lit[:0]
				}
				if pendCS != "" && !strings.EqualFold(pendCS, cs) {
					flush()
				}
				pendCS = cs
				pend = append(pend, b...)
				afterWord = true
				i += n
				continue
			}
		}
		lit = append(lit, s[i])
		i++
	}
	flush()
	out.WriteString(guessText(lit))
	return out.String()
}

// encodedWord parses one RFC 2047 word "=?charset?B|Q?text?=" at the start of
// s, returning its charset (without an RFC 2231 language), its bytes and its
// length.
func encodedWord(s string) (charset string, b []byte, n int, ok bool) {
	if !strings.HasPrefix(s, "=?") {
		return "", nil, 0, false
	}
	k := strings.IndexByte(s[2:], '?')
	if k <= 0 || k > 64 {
		return "", nil, 0, false
	}
	charset = s[2 : 2+k]
	if strings.ContainsAny(charset, " \t\r\n()<>@,;:\"/[]=") {
		return "", nil, 0, false
	}
	if j := strings.IndexByte(charset, '*'); j >= 0 {
		charset = charset[:j]
	}
	p := 2 + k + 1
	if p+2 > len(s) || s[p+1] != '?' {
		return "", nil, 0, false
	}
	enc := s[p]
	textStart := p + 2
	end := strings.Index(s[textStart:], "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	text := s[textStart : textStart+end]
	if strings.ContainsAny(text, "\r\n") {
		return "", nil, 0, false
	}
	switch enc {
	case 'B', 'b':
		b, ok = lenientBase64(text)
	case 'Q', 'q':
		b, ok = qWord(text), true
	default:
		return "", nil, 0, false
	}
	if !ok {
		return "", nil, 0, false
	}
	return charset, b, textStart + end + 2, true
}

// lenientBase64 decodes base64 that may lack padding or carry spaces.
func lenientBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// qWord decodes RFC 2047 "Q" text: '_' is a space, =XX a byte.
func qWord(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// parseMediaHeader splits a Content-Type or Content-Disposition value into
// its lower-cased value and parameters, decoding RFC 2231 extended and
// continued parameters (name*=GBK”%D5%C5, filename*0*=…; filename*1*=…) in
// any charset lookupCharset knows; mime.ParseMediaType knows only UTF-8 and
// US-ASCII there and gives up on the unquoted 8-bit and space-bearing
// filenames that some clients send, which this parser keeps. Parameter names
// are lower-cased; an extended value wins over a plain one of the same name.
func parseMediaHeader(v string) (string, map[string]string) {
	value, rest, _ := strings.Cut(v, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	params := map[string]string{}
	type segment struct {
		idx     int
		encoded bool
		value   string
	}
	extended := map[string][]segment{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			if eq < 0 {
				break
			}
			rest = rest[eq+1:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			val = strings.TrimSpace(rest[:j])
			rest = rest[j:]
		}
		if key == "" {
			continue
		}
		if base, ok := strings.CutSuffix(key, "*"); ok && !strings.Contains(base, "*") {
			extended[base] = append(extended[base], segment{idx: 0, encoded: true, value: val})
			continue
		}
		if base, num, ok := strings.Cut(key, "*"); ok {
			enc := false
			if n, ok := strings.CutSuffix(num, "*"); ok {
				num, enc = n, true
			}
			idx, err := strconv.Atoi(num)
			if err != nil || idx < 0 || idx > 999 {
				continue
			}
			extended[base] = append(extended[base], segment{idx: idx, encoded: enc, value: val})
			continue
		}
		if _, seen := params[key]; !seen {
			params[key] = val
		}
	}
	for base, segs := range extended {
		sort.SliceStable(segs, func(i, j int) bool { return segs[i].idx < segs[j].idx })
		var raw []byte
		charset := ""
		anyEncoded := false
		for i, sg := range segs {
			if sg.idx != i {
				break // a gap or a duplicate ends the value (RFC 2231 §3)
			}
			val := sg.value
			if sg.encoded {
				anyEncoded = true
				if i == 0 {
					if cs, after, ok := strings.Cut(val, "'"); ok {
						if _, v2, ok := strings.Cut(after, "'"); ok {
							charset, val = cs, v2
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		if len(raw) == 0 && !anyEncoded {
			continue
		}
		params[base] = decodeCharset(raw, charset)
	}
	return value, params
}

// percentDecode decodes %XX escapes, keeping a stray % as it is.
func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

// addressParser decodes encoded display names in every charset lookupCharset
// knows.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(decodeCharset(b, charset)), nil
	},
}}

// parseAddress reads one mailbox. When net/mail cannot parse it, it falls
// back to "name <addr>" or a bare address, so a sloppy From still leaves an
// address to reply to.
func parseAddress(v string) (mail.Address, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return mail.Address{}, false
	}
	if !utf8.ValidString(v) {
		v = guessText([]byte(v))
	}
	if a, err := addressParser.Parse(v); err == nil {
		return fixName(*a), true
	}
	if lt := strings.LastIndexByte(v, '<'); lt >= 0 {
		if gt := strings.IndexByte(v[lt:], '>'); gt > 0 {
			addr := strings.TrimSpace(v[lt+1 : lt+gt])
			if strings.Contains(addr, "@") && !strings.ContainsAny(addr, " \t<>") {
				name := strings.Trim(strings.TrimSpace(v[:lt]), `"' `)
				return mail.Address{Name: decodeHeader(name), Address: addr}, true
			}
		}
	}
	if strings.Count(v, "@") == 1 && !strings.ContainsAny(v, " \t<>\",;") {
		return mail.Address{Address: v}, true
	}
	return mail.Address{}, false
}

// fixName decodes encoded words that Outlook and Foxmail put inside a
// quoted display name ("=?GBK?B?...?=" <a@b>), which net/mail leaves as
// they are.
func fixName(a mail.Address) mail.Address {
	if strings.Contains(a.Name, "=?") {
		a.Name = decodeHeader(a.Name)
	}
	return a
}

// parseAddressList reads a To or Cc value; when net/mail rejects the list as
// a whole, each comma-separated item is read on its own and unreadable ones
// are left out.
func parseAddressList(v string) []mail.Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if !utf8.ValidString(v) {
		v = guessText([]byte(v))
	}
	if list, err := addressParser.ParseList(v); err == nil {
		out := make([]mail.Address, 0, len(list))
		for _, a := range list {
			out = append(out, fixName(*a))
		}
		return out
	}
	var out []mail.Address
	for _, item := range splitAddressList(v) {
		if a, ok := parseAddress(item); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddressList splits at commas (and the ; that some clients use)
// outside quotes and angle brackets.
func splitAddressList(v string) []string {
	var out []string
	inQuote, inAngle := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case '<':
			if !inQuote {
				inAngle = true
			}
		case '>':
			if !inQuote {
				inAngle = false
			}
		case ',', ';':
			if !inQuote && !inAngle {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// messageIDs reads the msg-ids of a Message-ID, In-Reply-To or References
// value without their angle brackets; ids written without brackets are split
// at spaces and commas.
func messageIDs(v string) []string {
	var out []string
	rest := v
	for {
		lt := strings.IndexByte(rest, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(rest[lt:], '>')
		if gt < 0 {
			break
		}
		if id := strings.TrimSpace(rest[lt+1 : lt+gt]); id != "" {
			out = append(out, id)
		}
		rest = rest[lt+gt+1:]
	}
	if out != nil {
		return out
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n'
	}) {
		if f = strings.Trim(f, "<>"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// chinaTime is China Standard Time, for dates written without a zone.
var chinaTime = time.FixedZone("CST", 8*60*60)

// parseDate reads a Date header: RFC 5322 through net/mail, then the
// "2006-01-02 15:04:05" forms some Chinese clients write. It returns the
// zero time when none fits.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	for _, layout := range []string{"2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, chinaTime); err == nil {
			return t
		}
	}
	return time.Time{}
}
