package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/mailbox"
	"github.com/beian/beian/mailparse"
	"github.com/beian/beian/notices"
)

// IngestMail records a batch read from one mailbox (R-IN-3): each message
// parsed (headers, decoded text, attachments capped and sniffed), placed on
// its case when that is sure, and saved with the account's new cursor in
// one transaction, so a crash re-reads the batch and records nothing twice.
// It is the handle of mailbox.Reader.Run.
func (s *Service) IngestMail(ctx context.Context, batch []mailbox.Fetched, next mailbox.Cursor, account string) error {
	b := beian.InboundBatch{Account: account, UIDValidity: next.UIDValidity, LastUID: next.LastUID}
	for _, f := range batch {
		sum := sha256.Sum256(f.Raw)
		m := beian.InboundMail{Account: account, UIDValidity: f.UIDValidity, UID: f.UID, SHA256: hex.EncodeToString(sum[:]),
			ReceivedAt: f.InternalDate}
		if m.ReceivedAt.IsZero() {
			m.ReceivedAt = s.now()
		}
		msg, err := mailparse.Parse(f.Raw, mailparse.Options{})
		var perr *mailparse.ParseError
		if err != nil && !errors.As(err, &perr) {
			return err
		}
		if msg != nil && msg.BeianKey != "" {
			continue // the desk's own notice, sent to a mailbox it reads
		}
		if msg == nil { // not even the headers: kept for a person, text says why
			m.Subject, m.Text = "（无法解析的邮件）", err.Error()
		} else {
			m.MessageID, m.InReplyTo, m.Subject, m.Text = msg.MessageID, msg.InReplyTo, msg.Subject, msg.Text
			m.From, m.FromName = strings.ToLower(msg.From.Address), msg.From.Name
			if err != nil && !f.Truncated { // a mail cut at the cap is broken by the cut, not by the filer
				m.Text = strings.TrimSpace(m.Text + "\n\n（邮件部分内容无法解析：" + err.Error() + "）")
			}
			if f.Truncated {
				m.Text = strings.TrimSpace(m.Text + "\n\n（邮件超过大小上限，只保存了邮件头，附件未保存；请让用户分开发送）")
			}
			for _, a := range msg.Attachments {
				m.Attachments = append(m.Attachments, beian.InboundAttachment{Name: a.Name, DeclaredType: a.DeclaredType,
					SniffedType: a.SniffedType, Size: a.Size, SHA256: a.SHA256, Rejected: a.Rejected, Data: a.Data})
			}
			clues := MailClues{CaseNos: mailparse.CaseNumbers(m.Subject + "\n" + m.Text), Sender: m.From}
			if sp, dom, ok := mailparse.SubjectKey(m.Subject); ok {
				clues.Sponsor, clues.Domain = sp, dom
			}
			if err := s.MatchMail(ctx, &m, clues); err != nil {
				return err
			}
			if msg.AutoSubmitted { // an auto-reply or a report: kept, nobody answers it
				m.AutoSubmitted, m.ReplyDueAt = true, nil
			}
			if err := s.noticeFor(ctx, &m, f.Truncated); err != nil {
				return err
			}
		}
		if m.Status == "" {
			m.Status = beian.InboundUnmatched
		}
		b.Mails = append(b.Mails, m)
	}
	saved, err := s.Store.SaveInbound(ctx, b)
	if err != nil {
		return err
	}
	// The mail's workflow sends its notice and keeps its reply deadline (R-RV-6).
	var watch, idle []string
	for i := range saved {
		m := &saved[i]
		if m.Notice != nil || m.ReplyDueAt != nil {
			watch = append(watch, m.ID)
		} else {
			idle = append(idle, m.ID) // nothing to send or to keep until a specialist matches it
		}
	}
	if err := s.Store.SetInboundWatched(ctx, idle); err != nil {
		return err
	}
	s.watch(ctx, watch...)
	return nil
}

// noticeFor prepares the notice of files refused (R-IN-3) for a mail on a
// case: the filer sends them again to the province mailbox. A mail on no
// case gets none (a forged sender would be mailed), nor an auto-reply.
func (s *Service) noticeFor(ctx context.Context, m *beian.InboundMail, truncated bool) error {
	if m.CaseID == "" || m.From == "" || m.AutoSubmitted {
		return nil
	}
	refused := truncated
	for _, a := range m.Attachments {
		refused = refused || a.Rejected != ""
	}
	if !refused {
		return nil
	}
	c, err := s.Store.GetCase(ctx, m.CaseID)
	if err != nil {
		return err
	}
	msg := notices.RejectedAttachments(m, c.Routing.Mailbox, truncated)
	m.Notice = &beian.Mail{CaseID: m.CaseID, To: []string{m.From}, Subject: msg.Subject, Body: msg.Body,
		InReplyTo: m.MessageID, ReplyTo: c.Routing.Mailbox}
	return nil
}
