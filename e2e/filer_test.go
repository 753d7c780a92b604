package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/browser"
)

// submittedCase opens a case and moves it to the bureau.
func submittedCase(t *testing.T, b *bundle, body map[string]any) string {
	t.Helper()
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, body))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	return id
}

// TestSMSCheckByAPI (R-BR-6, R-BR-1): on submission the case shows the
// SMS sub-step pending with its deadline and the filer is told what the
// text is and where the code goes; staff record sms-verified (once; a
// second is a 409); a case whose code never comes is returned by itself
// with 「工信部短信核验超时」, the filer and the specialist told, the bureau
// clock stopped; corrected and resubmitted, the check starts again. The
// window is shortened to eight seconds.
func TestSMSCheckByAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, options{SMSWithin: 8 * time.Second})

	id := submittedCase(t, b, personFiling("sms-ok.cn"))
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))
	require.Equal(t, "pending", r.str("sms_verification", "status"))
	require.NotEmpty(t, r.str("sms_verification", "due_at"))
	m := b.waitMail("zhangsan@example.net", "工信部短信核验")
	require.Contains(t, m.Body, "https://beian.miit.gov.cn")
	require.Contains(t, m.Body, "验证码")
	list := b.must(200, b.do("GET", "/api/v1/filings?step=sms_pending", tokSpecialist, nil)).get("items").([]any)
	require.Len(t, list, 1, "staff see which cases wait on the code")
	b.must(400, b.do("GET", "/api/v1/filings?step=lost", tokSpecialist, nil))
	b.must(403, b.do("POST", "/api/v1/filings/"+id+"/sms-verified", tokTech, nil))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/sms-verified", tokSpecialist, nil))
	require.Equal(t, "verified", r.str("sms_verification", "status"))
	require.Equal(t, "BUREAU_REVIEW", r.str("status"), "the status stays BUREAU_REVIEW throughout")
	again := b.must(409, b.do("POST", "/api/v1/filings/"+id+"/sms-verified", tokSpecialist, nil))
	require.Equal(t, beian.CodeInvalidState, again.str("error", "code"))
	require.Contains(t, again.str("error", "message"), "短信核验")

	late := submittedCase(t, b, thirdPerson("sms-late.cn"))
	r = b.waitCase(late, "returned by the MIIT", func(r response) bool { return r.str("status") == "BUREAU_RETURNED" })
	require.Equal(t, "工信部短信核验超时", r.str("return_reason"))
	require.Equal(t, "expired", r.str("sms_verification", "status"))
	b.waitMail("supervisor@test.local", "短信核验超时")
	returned := b.waitMail("zhangsan@example.net", "退回")
	require.Contains(t, returned.Body, "工信部短信核验超时")
	b.must(200, b.do("POST", "/api/v1/filings/"+late+"/corrections", tokSpecialist,
		map[string]any{"principal": map[string]any{"mobile": "13900139000"}}))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+late+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	require.Equal(t, "pending", r.str("sms_verification", "status"), "the resubmission starts the check again")
	// A bureau decision while the check is pending closes it.
	r = b.must(200, b.do("POST", "/api/v1/filings/"+late+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": "粤ICP备20269999号-1"}))
	require.Equal(t, "verified", r.str("sms_verification", "status"))
	require.Equal(t, "bureau", r.str("sms_verification", "by"))
	b.saveHistory(b.history(late), "sms_expired_history.json")
}

// TestPublicSecurityByAPI (R-PA-6): access opening on approval starts the
// 30 days; a malformed number is a 400 in Chinese and changes nothing; the
// number is recorded and shown.
func TestPublicSecurityByAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	id := approvedCase(t, b, "ps-case.cn")
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "due", r.str("public_security", "status"))
	opened, err := time.Parse(time.RFC3339, r.str("public_security", "opened_at"))
	require.NoError(t, err)
	due, err := time.Parse(time.RFC3339, r.str("public_security", "due_at"))
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, due.Sub(opened))
	require.Nil(t, r.get("public_security", "number"))
	bad := b.must(400, b.do("POST", "/api/v1/filings/"+id+"/public-security", tokSpecialist, map[string]any{"number": "粤ICP备1号"}))
	require.Equal(t, beian.CodeInvalid, bad.str("error", "code"))
	require.Contains(t, bad.str("error", "message"), "公网安备")
	b.must(400, b.do("POST", "/api/v1/filings/"+id+"/public-security", tokSpecialist, map[string]any{}))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/public-security", tokSpecialist, map[string]any{"number": "粤公网安备 ４４０１０６０２０００００１号"}))
	require.Equal(t, "recorded", r.str("public_security", "status"))
	require.Equal(t, "粤公网安备44010602000001号", r.str("public_security", "number"))
}

// TestMailReplyDeadline (R-RV-6): a matched mail that nobody answers alerts
// the specialist and then the supervisor (the mail received at 17:10, so
// the 16:30 alert goes at once and the 17:30 deadline follows; the test's
// clock runs on the real one, so the mail is dated to make 17:30 near);
// the reply from the API goes through the outbox threaded under the
// filer's mail with the province mailbox to answer to, and the mail shows
// replied.
func TestMailReplyDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	id := approvedCase(t, b, "reply-case.cn")
	// A mail due 20 seconds from now: received on a working day just
	// before the close, as ReplyDue computes it.
	received := time.Now().Add(-time.Minute)
	due := time.Now().Add(20 * time.Second)
	m := beian.InboundMail{Account: "JSBA", SHA256: "reply-1", MessageID: "filer-1@example.org", From: "zhangsan@example.net",
		Subject: "张三+reply-case.cn", ReceivedAt: received, Status: beian.InboundUnmatched, Text: "请问材料收到了吗？"}
	saved, err := b.db.SaveInbound(ctx, beian.InboundBatch{Account: "JSBA", UIDValidity: 1, LastUID: 1, Mails: []beian.InboundMail{m}})
	require.NoError(t, err)
	mailID := saved[0].ID
	_, err = b.db.MatchInbound(ctx, mailID, id, "subject", "mailbox", &due)
	require.NoError(t, err)
	require.NoError(t, b.Engine().WatchMail(ctx, mailID))

	alert := b.waitMail("JSBA@ChinaNet.CC", "待回复邮件")
	require.Contains(t, alert.Body, "张三+reply-case.cn")
	require.NotEmpty(t, alert.Headers.Get("X-Beian-Key"), "the desk's own alert is marked, so the reader skips it")
	late := b.waitMail("supervisor@test.local", "邮件超时未回复")
	require.Contains(t, late.Body, "张三+reply-case.cn")
	got := b.must(200, b.do("GET", "/api/v1/mailbox/messages?filing_id="+id, tokSpecialist, nil)).get("items").([]any)[0].(map[string]any)
	require.Equal(t, "matched", got["status"])

	b.must(400, b.do("POST", "/api/v1/mailbox/messages/"+mailID+"/reply", tokSpecialist, map[string]any{"body": "  "}))
	b.must(403, b.do("POST", "/api/v1/mailbox/messages/"+mailID+"/reply", tokTech, map[string]any{"body": "x"}))
	r := b.must(200, b.do("POST", "/api/v1/mailbox/messages/"+mailID+"/reply", tokSpecialist, map[string]any{"body": "您好！材料已收到，正在审核。"}, "Idempotency-Key", "reply-once"))
	require.Equal(t, "replied", r.str("status"))
	require.NotEmpty(t, r.str("replied_at"))
	b.must(200, b.do("POST", "/api/v1/mailbox/messages/"+mailID+"/reply", tokSpecialist, map[string]any{"body": "您好！材料已收到，正在审核。"}, "Idempotency-Key", "reply-once"))
	reply := b.waitMail("zhangsan@example.net", "Re: 张三+reply-case.cn")
	require.Equal(t, "<filer-1@example.org>", reply.Headers.Get("In-Reply-To"))
	require.Equal(t, "<filer-1@example.org>", reply.Headers.Get("References"))
	require.Contains(t, reply.Headers.Get("Reply-To"), "JSBA@ChinaNet.CC")
	require.Empty(t, reply.Headers.Get("Auto-Submitted"), "a person's reply is not auto-generated")
	require.Contains(t, reply.Body, "材料已收到")
	require.Contains(t, reply.Body, "> 请问材料收到了吗？", "the filer's mail quoted")
	time.Sleep(2 * time.Second)
	n := 0
	for _, x := range b.mail.Messages() {
		if strings.HasPrefix(x.Subject, "Re: 张三+reply-case.cn") {
			n++
		}
	}
	require.Equal(t, 1, n, "the same Idempotency-Key is one reply")
	c := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	events := ""
	for _, e := range c.get("timeline").([]any) {
		events += e.(map[string]any)["event"].(string) + " "
	}
	require.Contains(t, events, "mail_reply_alert")
	require.Contains(t, events, "mail_reply_escalation")
	require.Contains(t, events, "mail_replied")
}

// TestConsoleMailReply (R-IN-3, R-RV-6): in Chromium a specialist finds
// today's unanswered mail on the dashboard, opens it, sees its attachment
// with the checklist item its name suggests, confirms it (the item is
// ticked received), and replies from the form; the filer receives the
// reply threaded under the mail and the mail moves to 已回复.
func TestConsoleMailReply(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("console-mail.cn")))
	id := created.str("id")
	due := time.Now().Add(2 * time.Hour)
	m := beian.InboundMail{Account: "JSBA", SHA256: "console-1", MessageID: "filer-9@example.org", From: "zhangsan@example.net", FromName: "张三",
		Subject: "张三+console-mail.cn 补充材料", ReceivedAt: time.Now().Add(-10 * time.Minute), Status: beian.InboundUnmatched, Text: "您好，附件是幕布照片，请查收。",
		Attachments: []beian.InboundAttachment{{Name: "张三幕布照片.jpg", SniffedType: "image/jpeg", Size: 612345, SHA256: "abc", Data: []byte("jpeg")}}}
	saved, err := b.db.SaveInbound(ctx, beian.InboundBatch{Account: "JSBA", UIDValidity: 1, LastUID: 1, Mails: []beian.InboundMail{m}})
	require.NoError(t, err)
	mailID := saved[0].ID
	_, err = b.db.MatchInbound(ctx, mailID, id, "subject", "mailbox", &due)
	require.NoError(t, err)

	br := browser.Start(t)
	signIn(t, br, b.api.URL, "xiaoli")
	require.Equal(t, "1", br.Text("#mail-due-stat .n"))
	require.Contains(t, br.Text("#mail-due"), "张三+console-mail.cn")
	br.Screenshot("mail-dashboard")
	br.ClickAndWait(`#mail-due a[href="/console/mail/` + mailID + `"]`)
	require.Contains(t, br.Text("#reply-due"), "前回复")
	require.Contains(t, br.Text("#attachments"), "按文件名推荐")
	selected := browser.Eval[string](br, `document.querySelector('.tick-form select').selectedOptions[0].value`)
	require.Equal(t, "curtain_photo", selected, "the file name suggests the curtain photo")
	br.Screenshot("mail-message")
	br.ClickAndWait(`.tick-form button[type="submit"]`)
	require.Contains(t, br.Text(".flash"), "已标明附件")
	c := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	for _, it := range c.get("checklist").([]any) {
		if it := it.(map[string]any); it["code"] == "curtain_photo" {
			require.Equal(t, true, it["received"], "the confirmed file ticks the item (R-IN-3)")
		}
	}

	// An empty reply is refused by the server too (the form says required).
	br.JS(`document.querySelector('#reply-body').removeAttribute('required')`)
	br.ClickAndWait("#reply-send")
	require.Contains(t, br.Text("#reply-error"), "回复内容不能为空")
	br.Fill("#reply-body", "张三您好！幕布照片已收到，符合要求。")
	br.ClickAndWait("#reply-send")
	require.Contains(t, br.Text(".flash"), "回复已提交发送")
	require.Contains(t, br.Text("h1 + p"), "已回复")
	reply := b.waitMail("zhangsan@example.net", "Re: 张三+console-mail.cn")
	require.Equal(t, "<filer-9@example.org>", reply.Headers.Get("In-Reply-To"))
	require.Contains(t, reply.Body, "幕布照片已收到")
	br.Screenshot("mail-replied")

	br.ClickAndWait(`nav.menu a[href="/console/mail"]`)
	require.Contains(t, br.Text("#mail-list"), "没有待回复的邮件")
	br.ClickAndWait("#tab-replied")
	require.Contains(t, br.Text("#mail-list"), "张三+console-mail.cn")
	br.Open(b.api.URL + "/console/filings/" + id)
	require.Contains(t, br.Text("#attachments"), "张三幕布照片.jpg")
	br.Screenshot("filing-mail")
	require.Empty(t, br.Problems())
}
