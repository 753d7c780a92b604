package mailparse

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds Parse anything: it must not panic, must fail only with
// a *ParseError, and must keep its promises about attachments.
func FuzzParse(f *testing.F) {
	for _, m := range allMails {
		f.Add([]byte(m))
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a\n"))
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: deep\n\nx"))
	f.Add([]byte("Content-Type: application/pdf; name*0*=gbk''%D5; name*1*=%C5\nContent-Transfer-Encoding: base64\n\nTVqQ=A=="))
	opt := Options{MaxAttachment: 1 << 10, MaxAttachments: 3}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := Parse(raw, opt)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("error %v is not a *ParseError with a reason", err)
			}
		}
		if msg == nil {
			if err == nil {
				t.Fatal("nil message without an error")
			}
			return
		}
		if !utf8.ValidString(msg.Subject) || !utf8.ValidString(msg.Text) {
			t.Fatalf("invalid UTF-8 in subject %q or text", msg.Subject)
		}
		for _, a := range msg.Attachments {
			if !utf8.ValidString(a.Name) || strings.ContainsAny(a.Name, "/\\\x00") {
				t.Fatalf("unsafe name %q", a.Name)
			}
			if a.Rejected != "" {
				if a.Data != nil {
					t.Fatalf("rejected %q keeps data", a.Name)
				}
				continue
			}
			if a.Data == nil || int64(len(a.Data)) != a.Size || a.Size > opt.MaxAttachment {
				t.Fatalf("accepted %q: %d bytes, size %d", a.Name, len(a.Data), a.Size)
			}
			if sum := sha256.Sum256(a.Data); hex.EncodeToString(sum[:]) != a.SHA256 {
				t.Fatalf("accepted %q: wrong SHA-256", a.Name)
			}
		}
		if len(msg.Attachments) > opt.MaxAttachments {
			for _, a := range msg.Attachments[opt.MaxAttachments:] {
				if a.Rejected == "" {
					t.Fatalf("attachment past the limit accepted")
				}
			}
		}
	})
}

var canonicalCaseNo = regexp.MustCompile(`^[A-Z]{2}-[0-9]{4}-[0-9]{6}$`)

// FuzzSubjectKey: SubjectKey and CaseNumbers never panic, a key is
// well formed, and reading back "<sponsor>+<domain>" gives the same key.
func FuzzSubjectKey(f *testing.F) {
	for _, s := range []string{
		"张三+example.cn", "Re: 回复：张三 ＋ WWW.Example.CN", "转发: 【备案】苏州某某科技有限公司+例子.中国",
		"张三+李四+example.cn", "RE：Fwd: [备案] ＡＢＣ＋ｅｘａｍｐｌｅ．ｃｎ", "ＪＳ－２０２６－０００１２３", "【+】", "Re:",
		"张三+www.www.example.cn", "\xff+\xfe.cn",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		for _, no := range CaseNumbers(subject) {
			if !canonicalCaseNo.MatchString(no) {
				t.Fatalf("case number %q not canonical", no)
			}
		}
		sponsor, domain, ok := SubjectKey(subject)
		if !ok {
			if sponsor != "" || domain != "" {
				t.Fatal("values without ok")
			}
			return
		}
		if sponsor == "" || strings.Contains(sponsor, "+") || !hostName(domain) {
			t.Fatalf("bad key %q %q from %q", sponsor, domain, subject)
		}
		s2, d2, ok2 := SubjectKey(sponsor + "+" + domain)
		if !ok2 || s2 != sponsor || d2 != domain {
			t.Fatalf("%q gives %q+%q, which reads back as %q+%q (%v)", subject, sponsor, domain, s2, d2, ok2)
		}
	})
}
