package mailparse

import (
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

// storableText reports whether PostgreSQL can keep s in a text column:
// valid UTF-8 without a NUL character.
func storableText(s string) bool { return utf8.ValidString(s) && !strings.Contains(s, "\x00") }

// FuzzParseStorable: every text Parse answers can be saved as it is (issue
// 12 §6). It found that an encoded word (=?utf-8?b?YQBi?=) or a base64
// body decoding to a NUL reached the store, which refused the mail on
// every try.
func FuzzParseStorable(f *testing.F) {
	for _, m := range allMails {
		f.Add([]byte(m))
	}
	f.Add([]byte("From: =?utf-8?b?YQBi?= <a@example.cn>\r\nTo: =?utf-8?b?/w==?= <b@example.cn>\r\nSubject: =?utf-8?b?YQBi?=\r\n" +
		"Message-ID: <a\x00b@x>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\neAB5\r\n"))
	f.Add([]byte("Subject: \xff\xfe\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf; name==?utf-8?b?YQAucGRm?=\r\n\r\n%PDF-\x00\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, _ := Parse(raw, Options{MaxAttachment: 1 << 10, MaxAttachments: 3})
		if msg == nil {
			return
		}
		texts := map[string]string{"message_id": msg.MessageID, "in_reply_to": msg.InReplyTo, "from.name": msg.From.Name,
			"from.address": msg.From.Address, "subject": msg.Subject, "beian_key": msg.BeianKey, "text": msg.Text}
		for i, r := range msg.References {
			texts[fmt.Sprintf("references[%d]", i)] = r
		}
		for i, a := range append(append([]mail.Address{}, msg.To...), msg.Cc...) {
			texts[fmt.Sprintf("to/cc[%d]", i)] = a.Name + a.Address
		}
		for i, a := range msg.Attachments {
			texts[fmt.Sprintf("attachments[%d]", i)] = a.Name + a.DeclaredType + a.SniffedType + a.Rejected
		}
		for field, s := range texts {
			if !storableText(s) {
				t.Fatalf("%s %q cannot be stored", field, s)
			}
		}
	})
}
