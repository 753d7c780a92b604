package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Defaults for Options.
const (
	// DefaultMaxAttachment is the size cap of one attachment, 20 MiB: above
	// the 500 KB from which R-IN-3 sends files by mail, below what mailboxes
	// take in one mail.
	DefaultMaxAttachment int64 = 20 << 20
	// DefaultMaxAttachments is how many attachments of one mail are kept.
	DefaultMaxAttachments = 50
)

// Limits that keep a hostile mail from costing more than its size.
const (
	maxDepth = 16    // nested multiparts and forwarded mails
	maxParts = 10000 // MIME parts walked in one mail
)

// Options bound what Parse keeps of a mail. A zero or negative field means
// its default.
type Options struct {
	// MaxAttachment is the largest attachment, in decoded bytes, whose data
	// is kept (default DefaultMaxAttachment, 20 MiB). A larger one is listed
	// with its size and SHA-256 but Rejected.
	MaxAttachment int64
	// MaxAttachments is how many attachments are kept (default
	// DefaultMaxAttachments, 50); those after it are listed but Rejected.
	MaxAttachments int
}

// Message is one mail to the province mailbox (R-IN-3), decoded.
type Message struct {
	// MessageID is the Message-ID without angle brackets, "" when absent.
	MessageID string
	// InReplyTo is the first msg-id of In-Reply-To, without angle brackets.
	InReplyTo string
	// References are the msg-ids of References, oldest first, without
	// angle brackets.
	References []string
	// From is the first mailbox of From (发件人); the zero Address when
	// there is none that can be read.
	From mail.Address
	// To and Cc are the readable mailboxes of To and Cc.
	To, Cc []mail.Address
	// Subject is the decoded subject (RFC 2047 in any charset, GB2312, GBK
	// and GB18030 included; raw 8-bit subjects read as UTF-8 or GB18030);
	// "" when there is none. SubjectKey reads the R-IN-3 subject from it.
	Subject string
	// Date is the Date header; the zero time when absent or unreadable.
	Date time.Time
	// AutoSubmitted is set when the mail says it is an auto-reply or a
	// report (Auto-Submitted other than "no", RFC 3834; or a
	// multipart/report delivery status): nobody wrote it, nobody need answer.
	AutoSubmitted bool
	// BeianKey is the X-Beian-Key header: set on the desk's own notices,
	// which come back when sent to a mailbox the desk reads.
	BeianKey string
	// Text is the readable body, decoded from its transfer encoding and
	// charset, with LF line ends: the text/plain part, or the text/html part
	// reduced to text when there is no plain one. Several inline text parts
	// are joined by a blank line; the text of a forwarded mail
	// (message/rfc822) follows under a "---------- 转发的邮件 ----------"
	// block with its sender, date and subject.
	Text string
	// Attachments are the attachments in the order they appear, those of
	// forwarded mails included. Every non-text part is an attachment, and so
	// is a text part that has a filename or is marked attachment.
	Attachments []Attachment
}

// Attachment is one file of a mail (附件), as the filer sent it.
type Attachment struct {
	// Name is the filename (Content-Disposition filename, else Content-Type
	// name), decoded from RFC 2231 or RFC 2047 in any charset, reduced to its
	// last path element without control characters or bidi overrides; "" when
	// the part has none.
	Name string
	// DeclaredType is the media type the mail declares, lower-cased, without
	// parameters; "" when the part has no Content-Type.
	DeclaredType string
	// SniffedType is the media type the content shows: http.DetectContentType
	// refined by the magic numbers of PDF, JPEG, PNG, TIFF, ZIP (OOXML docx,
	// xlsx, pptx and OFD inside), OLE2 (doc, xls, ppt) and executables;
	// without parameters; "" for an empty file.
	SniffedType string
	// Size is the decoded size in bytes, also when Rejected.
	Size int64
	// SHA256 is the lower-case hex SHA-256 of the decoded content, also
	// when Rejected.
	SHA256 string
	// Data is the decoded content; nil when Rejected, empty but not nil for
	// an empty file.
	Data []byte
	// Rejected is why the attachment is refused (拒收), in Chinese for
	// staff and filers; "" when it is accepted. Refused are: executables
	// disguised as documents (a .pdf with an MZ or ELF header), executables
	// and scripts under their own names, attachments over
	// Options.MaxAttachment, those after Options.MaxAttachments, and those
	// that cannot be decoded or were cut off by a broken mail.
	Rejected string
}

// ParseError says why a mail, or part of it, cannot be read, in Chinese.
// Parse returns it with a nil Message when not even the headers can be read,
// and with the Message of what could be read when only the body is broken.
type ParseError struct {
	// Reason is the problem in Chinese, for staff.
	Reason string
	// Err is the underlying error, if any, for logs.
	Err error
}

// Error returns the Chinese reason.
func (e *ParseError) Error() string { return "邮件格式错误：" + e.Reason }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a raw RFC 5322 mail to the province mailbox (R-IN-3).
//
// It never panics and never drops a mail it can read the headers of,
// because every mail must be answered the same working day (R-RV-6):
//   - headers that cannot be read (an empty input, a header line without a
//     colon): nil and a *ParseError;
//   - a body that is broken (a multipart boundary that never appears or is
//     never closed, nesting deeper than 16, more than 10,000 parts): the
//     Message with the headers and every part read before the break, and a
//     *ParseError for the first problem; an attachment cut off by the break
//     is listed but Rejected, so staff can ask for it again;
//   - smaller faults are absorbed: unreadable addresses and dates are left
//     empty, an unknown charset is read as UTF-8 or GB18030, sloppy base64
//     and quoted-printable are decoded leniently, a Content-Type that cannot
//     be parsed means text/plain (RFC 2045 §5.2).
//
// A leading mbox "From " line is skipped. Forwarded mails (message/rfc822
// parts) are opened: the Message keeps the outer headers, lists the inner
// attachments and appends the inner text.
func Parse(raw []byte, opt Options) (*Message, error) {
	if opt.MaxAttachment <= 0 {
		opt.MaxAttachment = DefaultMaxAttachment
	}
	if opt.MaxAttachments <= 0 {
		opt.MaxAttachments = DefaultMaxAttachments
	}
	raw = skipMboxLine(raw)
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &ParseError{Reason: "邮件为空"}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, &ParseError{Reason: "邮件头无法读取，不是有效的邮件", Err: err}
	}
	body, _ := io.ReadAll(m.Body) // a bytes.Reader underneath: cannot fail
	h := textproto.MIMEHeader(m.Header)

	msg := &Message{
		Subject: decodeHeader(strings.TrimSpace(h.Get("Subject"))),
		Date:    parseDate(h.Get("Date")),
		To:      parseAddressList(strings.Join(h.Values("To"), ", ")),
		Cc:      parseAddressList(strings.Join(h.Values("Cc"), ", ")),
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		msg.AutoSubmitted = true
	}
	if ct, _ := parseMediaHeader(h.Get("Content-Type")); ct == "multipart/report" {
		msg.AutoSubmitted = true
	}
	msg.BeianKey = strings.TrimSpace(h.Get("X-Beian-Key"))
	if ids := messageIDs(h.Get("Message-Id")); len(ids) > 0 {
		msg.MessageID = ids[0]
	}
	if ids := messageIDs(h.Get("In-Reply-To")); len(ids) > 0 {
		msg.InReplyTo = ids[0]
	}
	msg.References = messageIDs(strings.Join(h.Values("References"), " "))
	if from := parseAddressList(h.Get("From")); len(from) > 0 {
		msg.From = from[0]
	} else if a, ok := parseAddress(h.Get("From")); ok {
		msg.From = a
	}

	w := &walker{opt: opt}
	b := w.entity(h, body, 0, false, false)
	msg.Text = normaliseNewlines(b.text)
	msg.Attachments = w.atts
	storable(msg)
	if w.perr != nil {
		return msg, w.perr
	}
	return msg, nil
}

// storable makes every text of msg one PostgreSQL takes (issue 12 §6): an
// encoded word or a base64 body may decode to a NUL character or to bytes
// that are not UTF-8, which text refuses, and the mail would then fail to
// be saved on every try, holding up its mailbox behind it. NULs are
// dropped (no readable mail has one), bad bytes become U+FFFD.
func storable(msg *Message) {
	clean := func(s *string) { *s = strings.ToValidUTF8(strings.ReplaceAll(*s, "\x00", ""), "\uFFFD") }
	for _, s := range []*string{&msg.MessageID, &msg.InReplyTo, &msg.From.Name, &msg.From.Address, &msg.Subject, &msg.BeianKey, &msg.Text} {
		clean(s)
	}
	for i := range msg.References {
		clean(&msg.References[i])
	}
	for _, list := range [][]mail.Address{msg.To, msg.Cc} {
		for i := range list {
			clean(&list[i].Name)
			clean(&list[i].Address)
		}
	}
	for i := range msg.Attachments {
		clean(&msg.Attachments[i].Name)
		clean(&msg.Attachments[i].DeclaredType)
		clean(&msg.Attachments[i].Rejected)
	}
}

// skipMboxLine drops the "From sender date" line that mbox files put
// before each mail, and a UTF-8 byte order mark.
func skipMboxLine(raw []byte) []byte {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// walker collects attachments and the first body problem while the MIME
// tree is walked.
type walker struct {
	opt   Options
	atts  []Attachment
	perr  *ParseError
	parts int
}

// body is the text an entity contributes; fromHTML says it was reduced from
// HTML, so a plain alternative is preferred to it.
type body struct {
	text     string
	fromHTML bool
}

func (w *walker) fail(err error, format string, args ...any) {
	if w.perr == nil {
		w.perr = &ParseError{Reason: fmt.Sprintf(format, args...), Err: err}
	}
}

// entity reads one MIME entity: a whole mail's body, a part, or a forwarded
// mail's body. digest says its parent is multipart/digest (whose parts
// default to message/rfc822); broken says the part was cut off.
func (w *walker) entity(h textproto.MIMEHeader, raw []byte, depth int, digest, broken bool) body {
	w.parts++
	if w.parts > maxParts {
		w.fail(nil, "邮件的 MIME 部分超过 %d 个，之后的内容未读取", maxParts)
		return body{}
	}
	if depth > maxDepth {
		w.fail(nil, "邮件嵌套超过 %d 层，更深的内容未读取", maxDepth)
		return body{}
	}
	mt, params := parseMediaHeader(h.Get("Content-Type"))
	declared := mt
	if !validMediaType(mt) {
		declared = ""
		if digest {
			mt = "message/rfc822"
		} else {
			mt = "text/plain"
		}
	}
	disp, dparams := parseMediaHeader(h.Get("Content-Disposition"))
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))

	switch {
	case strings.HasPrefix(mt, "multipart/"):
		return w.multipart(mt, params, raw, depth, broken)
	case mt == "message/rfc822" || mt == "message/global":
		data, err := decodeTransfer(raw, cte)
		if err == nil {
			if b, ok := w.forwarded(data, depth, broken); ok {
				return b
			}
		}
		// Not a readable mail: keep it as a file so nothing is lost.
		w.attachment(attachmentName(params, dparams, "转发的邮件.eml"), declared, raw, cte, broken)
		return body{}
	}

	name := attachmentName(params, dparams, "")
	isText := mt == "text/plain" || mt == "text/html"
	if disp == "attachment" || name != "" || !isText {
		w.attachment(name, declared, raw, cte, broken)
		return body{}
	}
	data, err := decodeTransfer(raw, cte)
	if err != nil && len(data) == 0 {
		data = raw
	}
	text := decodeCharset(data, params["charset"])
	if mt == "text/html" {
		return body{text: htmlToText(text), fromHTML: true}
	}
	return body{text: text}
}

// validMediaType says mt looks like type/subtype.
func validMediaType(mt string) bool {
	t, sub, ok := strings.Cut(mt, "/")
	return ok && t != "" && sub != "" && !strings.ContainsAny(mt, " \t\"")
}

// attachmentName is the cleaned filename of a part: Content-Disposition's
// filename, else Content-Type's name, else fallback; RFC 2231 is already
// decoded by parseMediaHeader, RFC 2047 (which Outlook and Foxmail put in
// quoted filenames) is decoded here.
func attachmentName(ctParams, dispParams map[string]string, fallback string) string {
	for _, n := range []string{dispParams["filename"], ctParams["name"]} {
		if n = cleanName(decodeHeader(strings.TrimSpace(n))); n != "" {
			return n
		}
	}
	return fallback
}

// multipart reads the parts of a multipart entity. An alternative gives the
// text of its first plain part (else of its first part with any text);
// every other kind joins its parts' texts.
func (w *walker) multipart(mt string, params map[string]string, raw []byte, depth int, broken bool) body {
	boundary := params["boundary"]
	if boundary == "" {
		w.fail(nil, "%s 正文缺少 boundary 参数，无法拆分正文和附件", mt)
		return body{}
	}
	mr := multipart.NewReader(bytes.NewReader(raw), boundary)
	var kids []body
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if i == 0 {
				w.fail(err, "找不到 multipart 分隔线“--%s”，正文和附件无法读取", boundary)
			} else {
				w.fail(err, "multipart 分隔线“--%s”损坏，第 %d 部分之后的内容无法读取", boundary, i)
			}
			break
		}
		data, rerr := io.ReadAll(p)
		cut := broken
		if rerr != nil {
			cut = true
			w.fail(rerr, "邮件在第 %d 部分中途结束（缺少结束分隔线“--%s--”），该部分可能不完整", i+1, boundary)
		}
		kids = append(kids, w.entity(p.Header, data, depth+1, mt == "multipart/digest", cut))
		if rerr != nil || w.parts > maxParts {
			break
		}
	}
	if mt == "multipart/alternative" {
		for _, k := range kids {
			if k.text != "" && !k.fromHTML {
				return k
			}
		}
		for _, k := range kids {
			if k.text != "" {
				return k
			}
		}
		return body{}
	}
	var texts []string
	fromHTML := true
	for _, k := range kids {
		if strings.TrimSpace(k.text) == "" {
			continue
		}
		texts = append(texts, strings.TrimSpace(k.text))
		fromHTML = fromHTML && k.fromHTML
	}
	if texts == nil {
		return body{}
	}
	return body{text: strings.Join(texts, "\n\n"), fromHTML: fromHTML}
}

// forwarded opens a forwarded mail: its attachments join the list and its
// text comes back under a block naming its sender, date and subject. ok is
// false when its headers cannot be read.
func (w *walker) forwarded(data []byte, depth int, broken bool) (body, bool) {
	m, err := mail.ReadMessage(bytes.NewReader(skipMboxLine(data)))
	if err != nil {
		w.fail(err, "转发的邮件（message/rfc822）无法读取，已作为附件保留")
		return body{}, false
	}
	inner, _ := io.ReadAll(m.Body)
	h := textproto.MIMEHeader(m.Header)
	b := w.entity(h, inner, depth+1, false, broken)
	var s strings.Builder
	s.WriteString("---------- 转发的邮件 ----------\n")
	for _, f := range []struct{ label, key string }{
		{"发件人", "From"}, {"日期", "Date"}, {"收件人", "To"}, {"主题", "Subject"},
	} {
		if v := strings.TrimSpace(h.Get(f.key)); v != "" {
			fmt.Fprintf(&s, "%s: %s\n", f.label, decodeHeader(v))
		}
	}
	if t := strings.TrimSpace(b.text); t != "" {
		s.WriteString("\n")
		s.WriteString(t)
	}
	return body{text: s.String(), fromHTML: b.fromHTML}, true
}

// attachment decodes one attachment, hashing and sizing all of it but
// keeping its data only within the cap, and decides whether it is refused.
func (w *walker) attachment(name, declared string, raw []byte, cte string, broken bool) {
	a := Attachment{Name: name, DeclaredType: declared}
	index := len(w.atts) + 1
	sum := sha256.New()
	keep := &capBuffer{max: w.opt.MaxAttachment}
	if est := int64(len(raw)); est < w.opt.MaxAttachment {
		keep.buf = make([]byte, 0, est)
	}
	sniff := &capBuffer{max: sniffPrefix, truncate: true}
	n, err := io.Copy(io.MultiWriter(sum, keep, sniff), transferReader(bytes.NewReader(raw), cte))
	a.Size = n
	a.SHA256 = hex.EncodeToString(sum.Sum(nil))
	complete := !keep.over && err == nil
	head := sniff.buf
	if complete {
		head = keep.buf
	}
	a.SniffedType = sniffType(head, complete)

	ext := extension(name)
	_, label := executable(head)
	switch {
	case label != "" && !executableExts[ext]:
		shown := ext
		if shown == "" {
			shown = "无扩展名"
		}
		a.Rejected = fmt.Sprintf("伪装的可执行文件：文件名是 %s，内容却是%s，已拒收", shown, label)
	case label != "":
		a.Rejected = fmt.Sprintf("不接收可执行文件（%s），已拒收", label)
	case executableExts[ext]:
		a.Rejected = fmt.Sprintf("不接收可执行文件或脚本（%s），已拒收", ext)
	case err != nil:
		a.Rejected = "附件内容编码损坏，无法完整解码，未保存"
	case broken:
		a.Rejected = "邮件结构损坏，附件可能不完整，未保存；请重新发送"
	case keep.over:
		a.Rejected = fmt.Sprintf("附件大小 %s，超过单个附件上限 %s，未保存", formatSize(n), formatSize(w.opt.MaxAttachment))
	case index > w.opt.MaxAttachments:
		a.Rejected = fmt.Sprintf("一封邮件最多接收 %d 个附件，这是第 %d 个，未保存", w.opt.MaxAttachments, index)
	}
	if a.Rejected == "" {
		a.Data = keep.buf
		if a.Data == nil {
			a.Data = []byte{}
		}
	}
	w.atts = append(w.atts, a)
}

// capBuffer keeps what is written to it up to max bytes. Past max it
// either keeps the first max bytes (truncate) or drops everything and
// records that it ran over; it never fails a write.
type capBuffer struct {
	max      int64
	truncate bool
	buf      []byte
	over     bool
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if c.over {
		return len(p), nil
	}
	room := c.max - int64(len(c.buf))
	if int64(len(p)) <= room {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if c.truncate {
		c.buf = append(c.buf, p[:room]...)
	} else {
		c.buf = nil
	}
	c.over = true
	return len(p), nil
}

// formatSize writes a size as staff read it: 512 B, 500.0 KB, 3.0 MB
// (binary units, as mail clients show them).
func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}
