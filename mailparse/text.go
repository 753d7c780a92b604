package mailparse

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime/quotedprintable"
	"strings"
)

// transferReader undoes a Content-Transfer-Encoding. base64 is read
// leniently (line breaks and stray characters skipped, missing padding
// supplied); 7bit, 8bit, binary and unknown encodings pass through.
func transferReader(r io.Reader, cte string) io.Reader {
	switch cte {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Clean{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// decodeTransfer decodes a whole body held in memory. A quoted-printable
// body that mime/quotedprintable rejects (a bare = before other text, a
// control character) is decoded by lenientQP instead, because a text body
// that is slightly off is still worth reading.
func decodeTransfer(raw []byte, cte string) ([]byte, error) {
	b, err := io.ReadAll(transferReader(bytes.NewReader(raw), cte))
	if err != nil && cte == "quoted-printable" {
		return lenientQP(raw), nil
	}
	return b, err
}

// base64Clean passes on only base64 alphabet characters, in whole 4-byte
// quanta: it drops line breaks and junk, stops at the padding, and pads or
// drops a last partial quantum, so encoding/base64 never fails on a sloppy
// encoder's output.
type base64Clean struct {
	r    io.Reader
	in   [4096]byte
	buf  []byte
	out  []byte
	q    [4]byte
	qn   int
	done bool
	err  error
}

func (c *base64Clean) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.done {
			if c.err != nil {
				return 0, c.err
			}
			return 0, io.EOF
		}
		c.buf = c.buf[:0]
		n, err := c.r.Read(c.in[:])
		for _, b := range c.in[:n] {
			if isBase64(b) {
				c.q[c.qn] = b
				c.qn++
				if c.qn == 4 {
					c.buf = append(c.buf, c.q[:]...)
					c.qn = 0
				}
			} else if b == '=' {
				c.finish()
				break
			}
		}
		if err != nil && !c.done {
			c.finish()
			if err != io.EOF {
				c.err = err
			}
		}
		c.out = c.buf
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// finish pads the last partial quantum (one lone character carries no byte
// and is dropped) and ends the stream.
func (c *base64Clean) finish() {
	switch c.qn {
	case 2:
		c.buf = append(c.buf, c.q[0], c.q[1], '=', '=')
	case 3:
		c.buf = append(c.buf, c.q[0], c.q[1], c.q[2], '=')
	}
	c.qn = 0
	c.done = true
}

func isBase64(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '+' || b == '/'
}

// lenientQP decodes quoted-printable without ever failing: =XX is a byte,
// = before a line break (after optional blanks) is a soft break, any other
// = is kept.
func lenientQP(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			out = append(out, unhex(raw[i+1])<<4|unhex(raw[i+2]))
			i += 2
			continue
		}
		j := i + 1
		for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t') {
			j++
		}
		switch {
		case j < len(raw) && raw[j] == '\n':
			i = j
		case j+1 < len(raw) && raw[j] == '\r' && raw[j+1] == '\n':
			i = j + 1
		case j == len(raw):
			i = j
		default:
			out = append(out, c)
		}
	}
	return out
}

// normaliseNewlines turns CRLF and lone CR into LF and trims the text.
func normaliseNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// htmlBlocks are the tags that start a new line when HTML becomes text.
var htmlBlocks = map[string]bool{
	"br": true, "p": true, "div": true, "tr": true, "li": true, "ul": true, "ol": true, "table": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true,
	"blockquote": true, "pre": true, "section": true, "article": true, "header": true, "footer": true,
	"dt": true, "dd": true, "address": true, "center": true,
}

// htmlSkipped are the elements whose content is not text.
var htmlSkipped = map[string]bool{"script": true, "style": true, "head": true, "title": true, "xml": true}

// htmlToText reduces an HTML body to its text for a mail that has no
// text/plain part: tags dropped, block tags as line breaks, cells as
// spaces, scripts, styles and the head left out, entities decoded and
// whitespace collapsed as a browser would.
func htmlToText(s string) string {
	lower := asciiLower(s)
	var b strings.Builder
	space := false // a collapsed space is pending
	text := func(t string) {
		t = html.UnescapeString(t)
		for _, r := range t {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0' {
				space = true
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	newline := func() {
		space = false
		b.WriteByte('\n')
	}
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			text(s[i:])
			break
		}
		text(s[i : i+lt])
		i += lt
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		gt := strings.IndexByte(s[i:], '>')
		if gt < 0 {
			text(s[i:])
			break
		}
		tag := lower[i+1 : i+gt]
		closing := strings.HasPrefix(tag, "/")
		tag = strings.TrimPrefix(tag, "/")
		name := tag
		if j := strings.IndexAny(name, " \t\r\n/"); j >= 0 {
			name = name[:j]
		}
		i += gt + 1
		switch {
		case !closing && htmlSkipped[name]:
			end := strings.Index(lower[i:], "</"+name)
			if end < 0 {
				i = len(s)
				continue
			}
			i += end
			if gt := strings.IndexByte(s[i:], '>'); gt >= 0 {
				i += gt + 1
			} else {
				i = len(s)
			}
		case htmlBlocks[name]:
			newline()
		case name == "td" || name == "th":
			space = true
		}
	}
	lines := strings.Split(b.String(), "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay the same.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
