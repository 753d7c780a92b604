package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
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
