package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestInboundMail (R-IN-3): a batch and the cursor are saved together; the
// same mail read again (a retry, a UIDVALIDITY change) is kept once; an
// unmatched mail is matched once, on the case's timeline; a case's
// attachment is read with its data, another case's is not.
func TestInboundMail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.createCase(t, newCase())
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	due := at.Add(7 * time.Hour)
	batch := beian.InboundBatch{Account: "JSBA", UIDValidity: 7, LastUID: 2, Mails: []beian.InboundMail{
		{UIDValidity: 7, UID: 1, SHA256: "aa", From: "zs@example.net", Subject: "张三+a.cn", ReceivedAt: at, CaseID: c.ID,
			MatchedBy: "subject", Status: beian.InboundMatched, ReplyDueAt: &due,
			Attachments: []beian.InboundAttachment{{Name: "幕布照片.jpg", SniffedType: "image/jpeg", Size: 3, SHA256: "x", Data: []byte{1, 2, 3}},
				{Name: "setup.pdf", Size: 9, SHA256: "y", Rejected: "可执行文件伪装为 PDF", Data: []byte("MZ")}}},
		{UIDValidity: 7, UID: 2, SHA256: "bb", From: "who@example.org", Subject: "咨询", ReceivedAt: at, Status: beian.InboundUnmatched},
	}}
	saved, err := b.db.SaveInbound(b.ctx, batch)
	require.NoError(t, err)
	require.Len(t, saved, 2)
	batch.UIDValidity, batch.LastUID = 8, 2 // the mailbox was rebuilt: the same mails again
	saved, err = b.db.SaveInbound(b.ctx, batch)
	require.NoError(t, err)
	require.Empty(t, saved, "nothing twice")
	v, last, err := b.db.MailboxCursor(b.ctx, "JSBA")
	require.NoError(t, err)
	require.Equal(t, [2]uint32{8, 2}, [2]uint32{v, last})

	mine, err := b.db.ListInbound(b.ctx, "", c.ID, 10)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	require.Len(t, mine[0].Attachments, 2)
	att, err := b.db.InboundAttachment(b.ctx, c.ID, mine[0].Attachments[0].ID)
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3}, att.Data)
	rejected, err := b.db.InboundAttachment(b.ctx, c.ID, mine[0].Attachments[1].ID)
	require.NoError(t, err)
	require.Nil(t, rejected.Data, "a rejected file is not kept")

	queue, err := b.db.ListInbound(b.ctx, beian.InboundUnmatched, "", 10)
	require.NoError(t, err)
	require.Len(t, queue, 1)
	other := b.createCase(t, newCase())
	_, err = b.db.InboundAttachment(b.ctx, other.ID, mine[0].Attachments[0].ID)
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))
	m, err := b.db.MatchInbound(b.ctx, queue[0].ID, other.ID, "manual", "xiaoli", &due)
	require.NoError(t, err)
	require.Equal(t, other.ID, m.CaseID)
	_, err = b.db.MatchInbound(b.ctx, queue[0].ID, c.ID, "manual", "xiaoli", &due)
	require.Equal(t, beian.CodeInvalidState, beian.ErrorCode(err))
	got, err := b.db.GetCase(b.ctx, other.ID)
	require.NoError(t, err)
	require.Equal(t, "mail_received", got.Timeline[len(got.Timeline)-1].Event)
}
