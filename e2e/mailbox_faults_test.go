package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/internal/dovecot"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/mailbox"
)

// The mailbox ingest path against bad input and a misbehaving server: each
// test runs the real mailbox.Reader against Debian's Dovecot on loopback,
// feeding b.Desk.IngestMail of a whole stack (Postgres, Temporal, the SMTP
// catcher), and looks at the outcome through the API, Postgres and the
// catcher.

// faultTimeout bounds every wait for the reader, the desk or a notice.
const faultTimeout = 20 * time.Second

// TestMailFaultMalformedMIME (R-IN-3, R-RV-6): a mail whose multipart
// boundary never closes is kept — on its case, shown with its headers (from,
// name, subject, Message-ID), its readable text and a note that it could not
// be fully parsed; the attachment it cut off is listed as not received and
// the filer is told once, threaded under their mail. A mail with no Subject
// header at all from an unknown sender waits in the unmatched queue.
func TestMailFaultMalformedMIME(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "broken-mime.cn")
	imapd := dovecot.Start(t)
	startFaultReader(t, b, imapd, "JSBA", 0)

	photo := faultB64(faultJPEG(2000))
	broken := faultMail(faultHeaders("王五", "wangwu@filer.example", "张三+broken-mime.cn", "broken-1@filer.example",
		`Content-Type: multipart/mixed; boundary="never-closed"`),
		"--never-closed\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n您好，备案材料见附件。\r\n"+
			"--never-closed\r\nContent-Type: image/jpeg; name=\"photo.jpg\"\r\n"+
			"Content-Disposition: attachment; filename=\"photo.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
			photo[:len(photo)/2]) // the mail ends mid-attachment: no closing boundary
	imapd.Deliver(t, "JSBA", "INBOX", broken)
	noSubject := []byte("From: stranger@nowhere.example\r\nTo: JSBA@ChinaNet.CC\r\nMessage-ID: <nosubject-1@nowhere.example>\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"请问备案需要多久？\r\n")
	imapd.Deliver(t, "JSBA", "INBOX", noSubject)

	all := faultWaitList(t, b, "", 2)
	m := faultOne(t, all, "from", "wangwu@filer.example")
	require.Equal(t, "张三+broken-mime.cn", m["subject"], "the headers were read")
	require.Equal(t, "王五", m["from_name"])
	require.Equal(t, "JSBA", m["mailbox"])
	require.NotEmpty(t, m["received_at"])
	require.Equal(t, id, m["filing_id"], "matched by its subject despite the broken body")
	require.Equal(t, "subject", m["matched_by"])
	require.NotNil(t, m["reply_due_at"], "a broken mail is still answered the same day")
	text := m["text"].(string)
	require.Contains(t, text, "您好，备案材料见附件。", "the part read before the break")
	require.Contains(t, text, "邮件部分内容无法解析", "the text says the mail could not be fully parsed")
	require.Contains(t, text, "缺少结束分隔线")
	atts := m["attachments"].([]any)
	require.Len(t, atts, 1)
	att := atts[0].(map[string]any)
	require.Equal(t, "photo.jpg", att["name"])
	require.Contains(t, att["rejected"], "邮件结构损坏", "a cut-off attachment is not taken as received")
	b.must(409, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+att["id"].(string), tokSpecialist, nil))
	var msgID string
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT message_id FROM inbound_mail WHERE id = $1`, m["id"]).Scan(&msgID))
	require.Equal(t, "broken-1@filer.example", msgID)

	notice := b.waitMail("wangwu@filer.example", "部分附件未接收")
	require.Equal(t, "<broken-1@filer.example>", notice.Headers.Get("In-Reply-To"))
	require.Contains(t, notice.Body, "photo.jpg")

	queue := faultList(t, b, "?status=unmatched")
	require.Len(t, queue, 1)
	q := queue[0].(map[string]any)
	require.Equal(t, "stranger@nowhere.example", q["from"])
	require.Equal(t, "", q["subject"], "no Subject header")
	require.Nil(t, q["filing_id"], "never guessed onto a case")
	require.Equal(t, "unmatched", q["status"])
	require.Contains(t, q["text"], "请问备案需要多久？")
}

// TestMailFaultRejectedAttachment (R-IN-3): an executable disguised as a
// PDF (MZ bytes named 证书.pdf) is stored as rejected — listed with the
// reason, its download refused (409) — while the mail's real photo downloads;
// the filer gets one mail saying 部分附件未接收, threaded under theirs
// (In-Reply-To their Message-ID), and gets it once: the reader restarts
// with its cursor lost, reads the whole mailbox again and neither the mail
// nor the notice doubles. A forwarded mail (message/rfc822 inside) keeps the
// forwarded mail's attachment, intact.
func TestMailFaultRejectedAttachment(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "reject-case.cn")
	imapd := dovecot.Start(t)
	r1 := startFaultReader(t, b, imapd, "JSBA", 0)

	photo := faultJPEG(3000)
	imapd.Deliver(t, "JSBA", "INBOX", faultWithAttachments("李四", "lisi@filer.example", "张三+reject-case.cn", "reject-1@filer.example",
		"您好，证书和幕布照片见附件。", faultPart{"证书.pdf", "application/pdf", faultEXE()}, faultPart{"幕布照片.jpg", "image/jpeg", photo}))

	idcard := faultJPEG(5000)
	inner := strings.Join(faultHeaders("张三", "zhangsan@example.net", "身份证", "inner-1@example.net",
		`Content-Type: multipart/mixed; boundary="inner"`), "\r\n") + "\r\n\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n身份证照片见附件\r\n" +
		"--inner\r\nContent-Type: image/jpeg; name=\"idcard.jpg\"\r\nContent-Disposition: attachment; filename=\"idcard.jpg\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + faultB64(idcard) + "--inner--\r\n"
	imapd.Deliver(t, "JSBA", "INBOX", faultMail(faultHeaders("赵六", "zhaoliu@filer.example", "转发: 张三+reject-case.cn", "fwd-1@filer.example",
		`Content-Type: multipart/mixed; boundary="outer"`),
		"--outer\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n转发张三的身份证照片。\r\n"+
			"--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"+inner+
			"--outer--\r\n"))

	mine := faultWaitList(t, b, "?filing_id="+id, 2)
	rejected := faultOne(t, mine, "from", "lisi@filer.example")
	atts := rejected["attachments"].([]any)
	require.Len(t, atts, 2)
	exe, jpg := atts[0].(map[string]any), atts[1].(map[string]any)
	require.Equal(t, "证书.pdf", exe["name"])
	require.NotEmpty(t, exe["rejected"], "an executable in disguise is refused")
	require.Contains(t, exe["rejected"], "伪装的可执行文件")
	b.must(409, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+exe["id"].(string), tokSpecialist, nil))
	require.Nil(t, jpg["rejected"], "the real photo is kept")
	got := b.must(200, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+jpg["id"].(string), tokSpecialist, nil))
	require.Equal(t, photo, got.Raw)

	fwd := faultOne(t, mine, "from", "zhaoliu@filer.example")
	require.Equal(t, "subject", fwd["matched_by"])
	require.Contains(t, fwd["text"], "转发的邮件")
	require.Contains(t, fwd["text"], "身份证照片见附件", "the forwarded mail's text")
	fatts := fwd["attachments"].([]any)
	require.Len(t, fatts, 1, "the forwarded mail's attachment, not the forwarded mail as a file")
	fa := fatts[0].(map[string]any)
	require.Equal(t, "idcard.jpg", fa["name"])
	require.Nil(t, fa["rejected"])
	require.Equal(t, faultSHA(idcard), fa["sha256"])
	got = b.must(200, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+fa["id"].(string), tokSpecialist, nil))
	require.Equal(t, idcard, got.Raw, "kept intact")

	notice := b.waitMail("lisi@filer.example", "部分附件未接收")
	require.Equal(t, "<reject-1@filer.example>", notice.Headers.Get("In-Reply-To"))
	require.Contains(t, notice.Body, "证书.pdf")
	require.NotContains(t, notice.Body, "幕布照片.jpg", "only the refused file is named")
	require.Contains(t, strings.ToLower(notice.Headers.Get("Reply-To")), "jsba@chinanet.cc", "answers go to the mailbox the filer wrote to")

	// The reader restarts having lost its cursor (as after a UIDVALIDITY
	// change): it reads every mail again. A later mail with a refused file
	// rides in the same batch; once its notice is out, the batch is done.
	r1.stop()
	_, err := b.db.Pool().Exec(context.Background(), `DELETE FROM mailbox_cursors WHERE account = 'JSBA'`)
	require.NoError(t, err)
	imapd.Deliver(t, "JSBA", "INBOX", faultWithAttachments("", "sync@filer.example", "张三+reject-case.cn", "sync-1@filer.example",
		"再发一次。", faultPart{"营业执照.pdf", "application/pdf", faultEXE()}))
	startFaultReader(t, b, imapd, "JSBA", 0)
	b.waitMail("sync@filer.example", "部分附件未接收")

	require.Len(t, faultList(t, b, "?filing_id="+id), 3, "each mail once")
	require.Len(t, faultCaught(b, "lisi@filer.example", "部分附件未接收"), 1, "the notice went once; caught: %v", subjects(b.mail.Messages()))
	var queued int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM mail_outbox WHERE key LIKE 'inbound/%/rejected'`).Scan(&queued))
	require.Equal(t, 2, queued, "one notice per mail with a refused file")
}

// TestMailFaultOversize (R-IN-3): files over 500 KB come by mail, and a
// 3 MB one arrives intact (its SHA-256 and its download match what was
// sent). An attachment over the 20 MiB cap (sent 8bit so that the whole
// mail stays under the reader's 25 MiB) is listed as rejected with its
// size, its download refused (409), and the filer is told once, threaded.
// A mail over a reader's message cap (the AHBA reader here set to 1 MiB) is
// kept with its headers only, on its case and due for a reply the same
// day, its text saying the attachments were not saved.
func TestMailFaultOversize(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "big-case.cn")
	imapd := dovecot.Start(t)
	startFaultReader(t, b, imapd, "JSBA", 0)
	startFaultReader(t, b, imapd, "AHBA", 1<<20)

	three := make([]byte, 3_000_000)
	rand.NewChaCha8([32]byte{'b', 'e', 'i', 'a', 'n'}).Read(three)
	copy(three, "%PDF-1.4\n")
	imapd.Deliver(t, "JSBA", "INBOX", faultWithAttachments("孙七", "three@filer.example", "张三+big-case.cn", "three-1@filer.example",
		"营业执照扫描件。", faultPart{"营业执照.pdf", "application/pdf", three}))

	// 20 MiB + 64 KiB of 8bit text: over mailparse's cap, under the reader's.
	var huge strings.Builder
	huge.WriteString("%PDF-1.4\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for huge.Len() < 20<<20+64<<10 {
		huge.WriteString(line)
	}
	imapd.Deliver(t, "JSBA", "INBOX", faultMail(faultHeaders("周八", "huge@filer.example", "张三+big-case.cn", "huge-1@filer.example",
		`Content-Type: multipart/mixed; boundary="b1"`),
		"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n扫描件较大。\r\n"+
			"--b1\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Disposition: attachment; filename=\"scan.pdf\"\r\n"+
			"Content-Transfer-Encoding: 8bit\r\n\r\n"+huge.String()+"\r\n--b1--\r\n"))
	hugeSize := huge.Len()
	huge.Reset()

	imapd.Deliver(t, "AHBA", "INBOX", faultWithAttachments("吴九", "trunc@filer.example", "张三+big-case.cn", "trunc-1@filer.example",
		"域名证书。", faultPart{"域名证书.pdf", "application/pdf", three}))

	mine := faultWaitListFor(t, b, "?filing_id="+id, 3, 3*faultTimeout)

	kept := faultOne(t, mine, "from", "three@filer.example")
	atts := kept["attachments"].([]any)
	require.Len(t, atts, 1)
	a := atts[0].(map[string]any)
	require.Nil(t, a["rejected"], "a 3 MB file is accepted")
	require.Equal(t, "application/pdf", a["type"])
	require.EqualValues(t, len(three), a["size"])
	require.Equal(t, faultSHA(three), a["sha256"])
	got := b.must(200, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+a["id"].(string), tokSpecialist, nil))
	require.Equal(t, faultSHA(three), faultSHA(got.Raw), "downloaded intact")

	over := faultOne(t, mine, "from", "huge@filer.example")
	atts = over["attachments"].([]any)
	require.Len(t, atts, 1)
	a = atts[0].(map[string]any)
	require.Equal(t, "scan.pdf", a["name"])
	require.Contains(t, a["rejected"], "超过单个附件上限")
	require.EqualValues(t, hugeSize, a["size"], "its real size is recorded")
	b.must(409, b.do("GET", "/api/v1/filings/"+id+"/attachments/"+a["id"].(string), tokSpecialist, nil))
	var stored *int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT length(data) FROM inbound_attachments WHERE id = $1`, a["id"]).Scan(&stored))
	require.Nil(t, stored, "a refused file's bytes are not kept")
	notice := b.waitMail("huge@filer.example", "部分附件未接收")
	require.Equal(t, "<huge-1@filer.example>", notice.Headers.Get("In-Reply-To"))
	require.Contains(t, notice.Body, "scan.pdf")
	require.Empty(t, faultCaught(b, "three@filer.example", "部分附件未接收"), "nothing refused, nothing to tell")

	cut := faultOne(t, mine, "from", "trunc@filer.example")
	require.Equal(t, "AHBA", cut["mailbox"])
	require.Equal(t, "subject", cut["matched_by"], "the headers alone place it")
	require.NotNil(t, cut["reply_due_at"], "a specialist answers it today")
	require.Contains(t, cut["text"], "邮件超过大小上限")
	require.Empty(t, cut["attachments"], "headers only: no attachment was saved")
}

// TestMailFaultAmbiguousSubject (R-IN-3): a mail two cases could claim is
// never guessed — a subject naming the case numbers of two cases, and a
// mail from the principal of two open cases, both wait unmatched with no
// case; a specialist then places one by hand (POST …/match), which gives it
// a reply deadline (R-RV-6), and cannot place it twice.
func TestMailFaultAmbiguousSubject(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	one := approvedCase(t, b, "amb-one.cn")
	two := approvedCase(t, b, "amb-two.cn")
	noOne := b.must(200, b.do("GET", "/api/v1/filings/"+one, tokSpecialist, nil)).str("case_no")
	noTwo := b.must(200, b.do("GET", "/api/v1/filings/"+two, tokSpecialist, nil)).str("case_no")
	require.NotEqual(t, noOne, noTwo)
	imapd := dovecot.Start(t)
	startFaultReader(t, b, imapd, "JSBA", 0)

	imapd.Deliver(t, "JSBA", "INBOX", faultMail(faultHeaders("", "agent@else.example", "关于 "+noOne+" 和 "+noTwo+" 的材料", "two-nos@else.example",
		"Content-Type: text/plain; charset=UTF-8"), "两个申请的材料。\r\n"))
	// Both cases' principal is zhangsan@example.net (stack.PersonFiling).
	imapd.Deliver(t, "JSBA", "INBOX", faultMail(faultHeaders("张三", "ZhangSan@Example.net", "请问进度", "progress@example.net",
		"Content-Type: text/plain; charset=UTF-8"), "请问我的备案到哪一步了？\r\n"))

	faultWaitList(t, b, "", 2)
	queue := faultList(t, b, "?status=unmatched")
	require.Len(t, queue, 2, "both wait for a specialist")
	for _, it := range queue {
		m := it.(map[string]any)
		require.Equal(t, "unmatched", m["status"], "%v", m["subject"])
		require.Nil(t, m["filing_id"], "never guessed: %v", m["subject"])
		require.Nil(t, m["reply_due_at"])
	}
	require.Empty(t, faultList(t, b, "?filing_id="+one))
	require.Empty(t, faultList(t, b, "?filing_id="+two))

	byNos := faultOne(t, queue, "from", "agent@else.example")
	matched := b.must(200, b.do("POST", "/api/v1/mailbox/messages/"+byNos["id"].(string)+"/match", tokSpecialist, map[string]any{"filing_id": two}))
	require.Equal(t, "matched", matched.str("status"))
	require.Equal(t, "manual", matched.str("matched_by"))
	require.Equal(t, two, matched.str("filing_id"))
	require.Equal(t, noTwo, matched.str("case_no"))
	require.NotNil(t, matched.get("reply_due_at"), "matched by hand, due the same working day")
	b.must(409, b.do("POST", "/api/v1/mailbox/messages/"+byNos["id"].(string)+"/match", tokSpecialist, map[string]any{"filing_id": one}))

	onTwo := faultList(t, b, "?filing_id="+two)
	require.Len(t, onTwo, 1)
	require.Equal(t, byNos["id"], onTwo[0].(map[string]any)["id"])
	left := faultList(t, b, "?status=unmatched")
	require.Len(t, left, 1)
	require.Equal(t, "zhangsan@example.net", left[0].(map[string]any)["from"])
}

// TestMailFaultUIDValidityChange (R-IN-3): when the mailbox's UIDVALIDITY
// changes (Dovecot's UID list and indexes rebuilt, every mail renumbered),
// the reader reads the whole mailbox again under the new UIDVALIDITY, and
// the desk records nothing twice; a mail that arrives after the change is
// read.
func TestMailFaultUIDValidityChange(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	imapd := dovecot.Start(t)
	startFaultReader(t, b, imapd, "JSBA", 0)
	ctx := context.Background()

	for i := 1; i <= 2; i++ {
		imapd.Deliver(t, "JSBA", "INBOX", faultPlain(fmt.Sprintf("before-%d@else.example", i), fmt.Sprintf("改变之前 %d", i)))
	}
	faultWaitList(t, b, "", 2)
	v1, last1, err := b.db.MailboxCursor(ctx, "JSBA")
	require.NoError(t, err)
	require.EqualValues(t, 2, last1)

	imapd.ResetUIDValidity(t, "JSBA", "INBOX")
	faultWait(t, faultTimeout, "the cursor under the new UIDVALIDITY", func() bool {
		v, last, err := b.db.MailboxCursor(ctx, "JSBA")
		require.NoError(t, err)
		return v != v1 && last == 2
	})
	require.Len(t, faultList(t, b, ""), 2, "read again, recorded once")

	_, v2 := imapd.Deliver(t, "JSBA", "INBOX", faultPlain("after@else.example", "改变之后"))
	require.NotEqual(t, v1, v2)
	all := faultWaitList(t, b, "", 3)
	for _, s := range []string{"改变之前 1", "改变之前 2", "改变之后"} {
		faultOne(t, all, "subject", s)
	}
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM inbound_mail WHERE account = 'JSBA'`).Scan(&n))
	require.Equal(t, 3, n)
	v, last, err := b.db.MailboxCursor(ctx, "JSBA")
	require.NoError(t, err)
	require.Equal(t, v2, v)
	require.EqualValues(t, 3, last)
}

// TestMailFaultIMAPDown (R-IN-3, R-RV-6): the IMAP server goes down while
// mail keeps arriving (delivered straight into its Maildir); the reader
// keeps trying to connect, and once the server is back every mail is there
// exactly once. The brief's outage of an hour is shortened to a few
// seconds, with the reader's backoff capped at a second: what matters is
// that it keeps retrying and loses or doubles nothing.
func TestMailFaultIMAPDown(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	imapd := dovecot.Start(t)
	rd := startFaultReader(t, b, imapd, "JSBA", 0)
	ctx := context.Background()

	imapd.Deliver(t, "JSBA", "INBOX", faultPlain("up@else.example", "服务器正常时"))
	faultWaitList(t, b, "", 1)

	imapd.Stop()
	warned := rd.warns.Load()
	imapd.DeliverMaildir(t, "JSBA", "INBOX", faultPlain("down-1@else.example", "服务器停机时 1"))
	imapd.DeliverMaildir(t, "JSBA", "INBOX", faultPlain("down-2@else.example", "服务器停机时 2"))
	faultWait(t, faultTimeout, "the reader to retry three times", func() bool { return rd.warns.Load() >= warned+3 })
	require.Len(t, faultList(t, b, ""), 1, "nothing read while the server is down")

	imapd.Start()
	all := faultWaitList(t, b, "", 3)
	for _, s := range []string{"服务器正常时", "服务器停机时 1", "服务器停机时 2"} {
		faultOne(t, all, "subject", s)
	}
	faultWait(t, faultTimeout, "the cursor past the last mail", func() bool {
		_, last, err := b.db.MailboxCursor(ctx, "JSBA")
		require.NoError(t, err)
		return last == 3
	})
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM inbound_mail`).Scan(&n))
	require.Equal(t, 3, n, "each mail exactly once")
}

// TestMailFaultOwnNoticeAndAutoReply (R-IN-3, R-RV-6): the desk's own
// notice (X-Beian-Key), come back to a mailbox the desk reads, is not
// recorded, and the reader moves past it; an auto-reply (Auto-Submitted:
// auto-replied) placed on its case, and a delivery report
// (multipart/report) placed by the case number it quotes, are kept but have
// no reply deadline, and a file refused in an auto-reply is not answered
// with a notice (no mail loop with an auto-responder).
func TestMailFaultOwnNoticeAndAutoReply(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "auto-case.cn")
	caseNo := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("case_no")
	imapd := dovecot.Start(t)
	startFaultReader(t, b, imapd, "JSBA", 0)
	ctx := context.Background()

	own := faultMail(append(faultHeaders("", "beian@test.local", "Re: 张三+auto-case.cn（部分附件未接收）", "beian.0123456789abcdef@test.local",
		"Content-Type: text/plain; charset=UTF-8"), "X-Beian-Key: inbound/00000000-0000-0000-0000-000000000000/rejected",
		"Auto-Submitted: auto-generated", "In-Reply-To: <reject-1@filer.example>"),
		"您好！\r\n\r\n我们收到了您发送的邮件，但以下附件未能接收：证书.pdf\r\n")
	ownUID, _ := imapd.Deliver(t, "JSBA", "INBOX", own)

	autoReply := faultWithAttachments("", "autoresponder@filer.example", "Re: 张三+auto-case.cn", "auto-1@filer.example",
		"我正在休假，回来后答复您。", faultPart{"证书.pdf", "application/pdf", faultEXE()})
	autoReply = append([]byte("Auto-Submitted: auto-replied\r\n"), autoReply...)
	imapd.Deliver(t, "JSBA", "INBOX", autoReply)

	dsn := faultMail(faultHeaders("", "MAILER-DAEMON@mx.filer.example", "Undelivered Mail Returned to Sender", "dsn-1@mx.filer.example",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"`),
		"--dsn\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nYour message about "+caseNo+" could not be delivered.\r\n"+
			"--dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.filer.example\r\n\r\n"+
			"Final-Recipient: rfc822; gone@filer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
			"--dsn--\r\n")
	dsnUID, _ := imapd.Deliver(t, "JSBA", "INBOX", dsn)
	require.Greater(t, dsnUID, ownUID)

	all := faultWaitList(t, b, "", 2)
	faultWait(t, faultTimeout, "the cursor past the last mail", func() bool {
		_, last, err := b.db.MailboxCursor(ctx, "JSBA")
		require.NoError(t, err)
		return last == dsnUID
	})
	for _, it := range all {
		require.NotEqual(t, "beian@test.local", it.(map[string]any)["from"], "the desk's own notice is not recorded")
	}
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM inbound_mail WHERE from_addr = 'beian@test.local' OR uid = $1`, int64(ownUID)).Scan(&n))
	require.Zero(t, n)

	ar := faultOne(t, all, "from", "autoresponder@filer.example")
	require.Equal(t, id, ar["filing_id"])
	require.Equal(t, "subject", ar["matched_by"])
	require.Equal(t, true, ar["auto_submitted"])
	require.Nil(t, ar["reply_due_at"], "nobody answers an auto-reply")
	require.NotEmpty(t, ar["attachments"].([]any)[0].(map[string]any)["rejected"])

	report := faultOne(t, all, "from", "mailer-daemon@mx.filer.example")
	require.Equal(t, id, report["filing_id"])
	require.Equal(t, "case_no", report["matched_by"])
	require.Equal(t, true, report["auto_submitted"])
	require.Nil(t, report["reply_due_at"], "nobody answers a delivery report")

	// A later mail with a refused file: once its notice is out, the batch
	// of the auto-reply is long done, and it queued nothing.
	imapd.Deliver(t, "JSBA", "INBOX", faultWithAttachments("", "person@filer.example", "张三+auto-case.cn", "person-1@filer.example",
		"材料。", faultPart{"证书.pdf", "application/pdf", faultEXE()}))
	b.waitMail("person@filer.example", "部分附件未接收")
	require.Empty(t, faultCaught(b, "autoresponder@filer.example", ""), "no notice to an auto-responder")
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE key = $1`,
		"inbound/"+ar["id"].(string)+"/rejected").Scan(&n))
	require.Zero(t, n)

	// A stranger's mail (on no case) with a refused file gets no notice:
	// its sender may be forged, and would be mailed.
	imapd.Deliver(t, "JSBA", "INBOX", faultWithAttachments("", "forged@victim.example", "Invoice", "forged-1@victim.example",
		"see attachment", faultPart{"invoice.pdf", "application/pdf", faultEXE()}))
	faultWait(t, 20*time.Second, "the stranger's mail recorded", func() bool {
		for _, it := range faultList(t, b, "?status=unmatched") {
			if it.(map[string]any)["from"] == "forged@victim.example" {
				return true
			}
		}
		return false
	})
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE 'forged@victim.example' = ANY(recipients)`).Scan(&n))
	require.Zero(t, n, "no notice to a sender on no case")
}

// faultReader is a mailbox.Reader running for one Dovecot user into the
// desk, as cmd/beian runs it, with a short poll and backoff.
type faultReader struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	// warns counts the reader's warnings: each is a session that ended
	// (the server gone, a failed connection) before it tries again.
	warns atomic.Int64
}

func startFaultReader(t *testing.T, b *bundle, srv *dovecot.Server, user string, maxMessage int64) *faultReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &faultReader{t: t, cancel: cancel, done: make(chan struct{})}
	rd := &mailbox.Reader{
		Account:    mailbox.Account{Name: user, Addr: srv.Addr, Username: user, Password: srv.Password(user)},
		MaxMessage: maxMessage, Poll: 500 * time.Millisecond, MaxBackoff: time.Second, DialTimeout: 5 * time.Second,
		Logger: slog.New(warnCounter{n: &r.warns}),
	}
	go func() {
		defer close(r.done)
		_ = rd.Run(ctx, func(ctx context.Context) (mailbox.Cursor, error) {
			v, last, err := b.db.MailboxCursor(ctx, user)
			return mailbox.Cursor{UIDValidity: v, LastUID: last}, err
		}, func(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor) error {
			return b.Desk.IngestMail(ctx, batch, next, user)
		})
	}()
	t.Cleanup(r.stop)
	return r
}

// stop ends the reader and waits until it has returned.
func (r *faultReader) stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(faultTimeout):
			r.t.Errorf("the mailbox reader did not stop within %s", faultTimeout)
		}
	})
}

// warnCounter is a slog.Handler counting warnings and worse.
type warnCounter struct{ n *atomic.Int64 }

func (h warnCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h warnCounter) Handle(context.Context, slog.Record) error    { h.n.Add(1); return nil }
func (h warnCounter) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h warnCounter) WithGroup(string) slog.Handler                { return h }

// faultWait polls cond until it holds, failing the test after d.
func faultWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s in vain for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// faultList is the mailbox API's list for a query ("?status=…").
func faultList(t *testing.T, b *bundle, query string) []any {
	t.Helper()
	items, _ := b.must(200, b.do("GET", "/api/v1/mailbox/messages"+query, tokSpecialist, nil)).get("items").([]any)
	return items
}

// faultWaitList waits until the list holds n mails and returns it; it
// fails when it holds more.
func faultWaitList(t *testing.T, b *bundle, query string, n int) []any {
	t.Helper()
	return faultWaitListFor(t, b, query, n, faultTimeout)
}

func faultWaitListFor(t *testing.T, b *bundle, query string, n int, d time.Duration) []any {
	t.Helper()
	var items []any
	faultWait(t, d, fmt.Sprintf("%d mails in /api/v1/mailbox/messages%s", n, query), func() bool {
		items = faultList(t, b, query)
		require.LessOrEqual(t, len(items), n, "more mails than delivered: %v", items)
		return len(items) == n
	})
	return items
}

// faultOne is the one mail of the list whose field is value.
func faultOne(t *testing.T, items []any, field, value string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, it := range items {
		if m := it.(map[string]any); m[field] == value {
			found = append(found, m)
		}
	}
	require.Len(t, found, 1, "mails with %s %q among %v", field, value, items)
	return found[0]
}

// faultCaught are the caught mails to to whose subject contains subj.
func faultCaught(b *bundle, to, subj string) []catcher.Message {
	var out []catcher.Message
	for _, m := range b.mail.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, to) && strings.Contains(m.Subject, subj) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// faultHeaders are the headers of a mail to the JSBA mailbox; more are
// added as they are (Content-Type …).
func faultHeaders(name, addr, subject, messageID string, more ...string) []string {
	from := (&mail.Address{Name: name, Address: addr}).String()
	h := []string{"From: " + from, "To: JSBA@ChinaNet.CC", "Message-ID: <" + messageID + ">",
		"Date: " + time.Now().Format(time.RFC1123Z), "MIME-Version: 1.0"}
	if subject != "" {
		h = append(h, "Subject: "+mime.BEncoding.Encode("UTF-8", subject))
	}
	return append(h, more...)
}

// faultMail joins headers and a body into a raw mail.
func faultMail(headers []string, body string) []byte {
	return []byte(strings.Join(headers, "\r\n") + "\r\n\r\n" + body)
}

// faultPlain is a plain-text mail from an unknown sender.
func faultPlain(addr, subject string) []byte {
	return faultMail(faultHeaders("", addr, subject, strings.ReplaceAll(addr, "@", ".msg@"),
		"Content-Type: text/plain; charset=UTF-8"), subject+"\r\n")
}

// faultPart is one attachment of faultWithAttachments.
type faultPart struct {
	name, contentType string
	data              []byte
}

// faultWithAttachments is a multipart/mixed mail with a text and
// attachments, their names as Outlook and Foxmail write them (RFC 2231 in
// Content-Disposition, RFC 2047 in Content-Type).
func faultWithAttachments(name, addr, subject, messageID, text string, parts ...faultPart) []byte {
	var body strings.Builder
	body.WriteString("--mixed\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	body.WriteString(faultB64([]byte(text)))
	for _, p := range parts {
		fmt.Fprintf(&body, "--mixed\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename*=UTF-8''%s\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", p.contentType, mime.BEncoding.Encode("UTF-8", p.name), url.PathEscape(p.name))
		body.WriteString(faultB64(p.data))
	}
	body.WriteString("--mixed--\r\n")
	return faultMail(faultHeaders(name, addr, subject, messageID, `Content-Type: multipart/mixed; boundary="mixed"`), body.String())
}

// faultB64 is data in base64, 76 characters a line, each line ended.
func faultB64(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// faultJPEG is n bytes that start and end like a JPEG.
func faultJPEG(n int) []byte {
	data := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(n), byte(n >> 8)}).Read(data)
	copy(data, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	copy(data[n-2:], "\xff\xd9")
	return data
}

// faultEXE is a Windows program's start (MZ header, DOS stub).
func faultEXE() []byte {
	return append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
		[]byte(strings.Repeat("This program cannot be run in DOS mode.\r\r\n$", 20))...)
}

// faultSHA is the hex SHA-256 of data.
func faultSHA(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
