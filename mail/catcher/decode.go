package catcher

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// maxDepth bounds how deep multipart parts may nest.
const maxDepth = 8

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// parse decodes raw into a Message's Subject, Body and Headers. A message
// that does not parse is still kept, with its raw text as the body.
func parse(raw []byte) Message {
	m := Message{Raw: raw}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Body = string(raw)
		return m
	}
	m.Headers = textproto.MIMEHeader(msg.Header)
	m.Subject = decodeHeader(msg.Header.Get("Subject"))
	var found []textPart
	collect(m.Headers, msg.Body, 0, &found)
	m.Body = pick(found)
	return m
}

// decodeHeader undoes RFC 2047 encoded words; a header that does not decode
// is returned as sent.
func decodeHeader(s string) string {
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

type textPart struct {
	mediaType string
	text      string
}

// collect walks the MIME tree and appends every inline text part, decoded.
func collect(h textproto.MIMEHeader, r io.Reader, depth int, out *[]textPart) {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType, params = "text/plain", nil
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxDepth || params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			collect(p.Header, p, depth+1, out)
		}
	}
	if !strings.HasPrefix(mediaType, "text/") {
		return
	}
	if d, _, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && d == "attachment" {
		return
	}
	b, err := io.ReadAll(transferDecoder(h.Get("Content-Transfer-Encoding"), r))
	if err != nil && len(b) == 0 {
		return
	}
	text, err := toUTF8(params["charset"], b)
	if err != nil {
		text = string(b)
	}
	*out = append(*out, textPart{mediaType: mediaType, text: text})
}

// pick is the first text/plain part, else the first text part.
func pick(parts []textPart) string {
	for _, p := range parts {
		if p.mediaType == "text/plain" {
			return p.text
		}
	}
	if len(parts) > 0 {
		return parts[0].text
	}
	return ""
}

func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r) // ignores line breaks
	}
	return r // 7bit, 8bit, binary
}

func toUTF8(charset string, b []byte) (string, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return string(b), nil
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return "", err
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// charsetReader lets the word decoder read GBK, GB18030, Big5 and the like,
// which Chinese mail clients still send.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}
