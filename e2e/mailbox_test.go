package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/dovecot"
	"github.com/beian/beian/mailbox"
)

// TestMailboxMatching (R-IN-3, R-RV-6): a mail is placed on its case by
// the subject the receipt told the filer, by a case number, or by the one
// case whose principal wrote; a subject two cases could claim, or none,
// waits in the queue for a specialist; a matched mail is due by 17:30 of
// its working day; its attachments download, a rejected one does not.
func TestMailboxMatching(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	id := approvedCase(t, b, "mail-case.cn")
	c, err := b.db.GetCase(ctx, id)
	require.NoError(t, err)
	monday := time.Date(2026, 11, 30, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

	bySubject := beian.InboundMail{SHA256: "m1", From: "someone@else.cn", Subject: "Re: 张三+MAIL-case.cn", ReceivedAt: monday,
		Attachments: []beian.InboundAttachment{{Name: "幕布照片.jpg", SniffedType: "image/jpeg", Size: 4, SHA256: "s", Data: []byte("jpeg")},
			{Name: "证书.pdf", Size: 2, SHA256: "t", Rejected: "可执行文件伪装为 PDF", Data: []byte("MZ")}}}
	require.NoError(t, b.Desk.MatchMail(ctx, &bySubject, descClues("张三", "mail-case.cn", nil, "someone@else.cn")))
	require.Equal(t, "subject", bySubject.MatchedBy)
	require.Equal(t, "2026-11-30 17:30", bySubject.ReplyDueAt.In(monday.Location()).Format("2006-01-02 15:04"))

	byNumber := beian.InboundMail{SHA256: "m2", From: "x@y.cn", Subject: "关于 " + c.CaseNo + " 的材料", ReceivedAt: monday.Add(8 * time.Hour)}
	require.NoError(t, b.Desk.MatchMail(ctx, &byNumber, descClues("", "", []string{c.CaseNo}, "x@y.cn")))
	require.Equal(t, "case_no", byNumber.MatchedBy)
	require.Equal(t, "2026-12-01 17:30", byNumber.ReplyDueAt.In(monday.Location()).Format("2006-01-02 15:04"), "after 17:30: the next working day")

	bySender := beian.InboundMail{SHA256: "m3", From: "zhangsan@example.net", Subject: "请问进度", ReceivedAt: monday}
	require.NoError(t, b.Desk.MatchMail(ctx, &bySender, descClues("", "", nil, "ZhangSan@Example.net")))
	require.Equal(t, "sender", bySender.MatchedBy)

	stranger := beian.InboundMail{SHA256: "m4", From: "nobody@nowhere.cn", Subject: "李四+other.cn", ReceivedAt: monday}
	require.NoError(t, b.Desk.MatchMail(ctx, &stranger, descClues("李四", "other.cn", nil, "nobody@nowhere.cn")))
	require.Equal(t, beian.InboundUnmatched, stranger.Status, "never guessed")

	_, err = b.db.SaveInbound(ctx, beian.InboundBatch{Account: "JSBA", UIDValidity: 1, LastUID: 4, Mails: []beian.InboundMail{bySubject, byNumber, bySender, stranger}})
	require.NoError(t, err)
	mine := b.must(200, b.do("GET", "/api/v1/mailbox/messages?filing_id="+id, tokSpecialist, nil)).get("items").([]any)
	require.Len(t, mine, 3)
	var first map[string]any
	for _, it := range mine {
		if m := it.(map[string]any); m["matched_by"] == "subject" {
			first = m
		}
	}
	atts := first["attachments"].([]any)
	ok := b.do("GET", "/api/v1/filings/"+id+"/attachments/"+atts[0].(map[string]any)["id"].(string), tokSpecialist, nil)
	require.Equal(t, 200, ok.Status)
	require.Equal(t, "jpeg", string(ok.Raw))
	b.must(409, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+atts[1].(map[string]any)["id"].(string), tokSpecialist, nil))
	b.must(403, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+atts[0].(map[string]any)["id"].(string), tokTech, nil))

	queue := b.must(200, b.do("GET", "/api/v1/mailbox/messages?status=unmatched", tokSpecialist, nil)).get("items").([]any)
	require.Len(t, queue, 1)
	qid := queue[0].(map[string]any)["id"].(string)
	matched := b.must(200, b.do("POST", "/api/v1/mailbox/messages/"+qid+"/match", tokSpecialist, map[string]any{"filing_id": id}))
	require.Equal(t, "matched", matched.str("status"))
	b.must(409, b.do("POST", "/api/v1/mailbox/messages/"+qid+"/match", tokSpecialist, map[string]any{"filing_id": id}))
	b.must(400, b.do("GET", "/api/v1/mailbox/messages?status=lost", tokSpecialist, nil))
}

func descClues(sponsor, domain string, nos []string, sender string) desk.MailClues {
	return desk.MailClues{Sponsor: sponsor, Domain: domain, CaseNos: nos, Sender: sender}
}

// TestMailFromDovecot (R-IN-3): a filer's mail delivered into a real IMAP
// server (Debian's Dovecot on loopback), with a GBK subject in RFC 2047, a
// GBK body and an attachment, appears on its case with the attachment
// within seconds; read again after the reader restarts, nothing doubles.
func TestMailFromDovecot(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "imap-case.cn")
	imapd := dovecot.Start(t)
	acct := mailbox.Account{Name: "JSBA", Addr: imapd.Addr, Username: "JSBA", Password: imapd.Password("JSBA")}
	run := func(ctx context.Context) {
		rd := &mailbox.Reader{Account: acct, Poll: time.Second}
		go func() {
			_ = rd.Run(ctx, func(ctx context.Context) (mailbox.Cursor, error) {
				v, last, err := b.db.MailboxCursor(ctx, "JSBA")
				return mailbox.Cursor{UIDValidity: v, LastUID: last}, err
			}, func(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor) error {
				return b.Desk.IngestMail(ctx, batch, next, "JSBA")
			})
		}()
	}
	ctx, stop := context.WithCancel(context.Background())
	run(ctx)
	// Subject 张三+imap-case.cn in GBK, base64 (RFC 2047); body GBK.
	raw := "From: =?UTF-8?B?5byg5LiJ?= <someone@example.org>\r\n" +
		"To: JSBA@ChinaNet.CC\r\n" +
		"Subject: =?GBK?B?1cXI/StpbWFwLWNhc2UuY24=?=\r\n" +
		"Message-ID: <m1@example.org>\r\n" +
		"Date: Mon, 30 Nov 2026 10:00:00 +0800\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"x+u0q8jryc+0q7LEwc8=\r\n" + // 请传入上传材料 in GBK
		"--b1\r\nContent-Type: image/png; name=\"curtain.png\"\r\nContent-Disposition: attachment; filename=\"curtain.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n" +
		"--b1--\r\n"
	imapd.Deliver(t, "JSBA", "INBOX", []byte(raw))
	deadline := time.Now().Add(20 * time.Second)
	var items []any
	for time.Now().Before(deadline) {
		items = b.must(200, b.do("GET", "/api/v1/mailbox/messages?filing_id="+id, tokSpecialist, nil)).get("items").([]any)
		if len(items) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Len(t, items, 1, "the mail is on its case")
	m := items[0].(map[string]any)
	require.Equal(t, "张三+imap-case.cn", m["subject"])
	require.Equal(t, "subject", m["matched_by"])
	require.Len(t, m["attachments"], 1)
	require.Equal(t, "image/png", m["attachments"].([]any)[0].(map[string]any)["type"])
	require.Contains(t, m["text"], "请传入上传材料", "the GBK body decoded")

	// The reader starts again from the stored cursor: nothing twice.
	stop()
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	run(ctx2)
	time.Sleep(3 * time.Second)
	all := b.must(200, b.do("GET", "/api/v1/mailbox/messages", tokSpecialist, nil)).get("items").([]any)
	require.Len(t, all, 1)
}
