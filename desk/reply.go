package desk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/workflows"
)

// MailWatcher starts (or wakes) the workflow of an inbound mail: it sends
// the mail's queued notices and replies and keeps its reply deadline
// (R-RV-6). worker.Engine implements it.
type MailWatcher interface {
	WatchMail(ctx context.Context, mailID string) error
}

// MaxReplyLength bounds a reply's body (characters).
const MaxReplyLength = 20000

// ReplyMail answers a filer's mail (R-RV-6): the reply goes through the
// outbox, threaded under the filer's mail (In-Reply-To), with the
// province mailbox to answer to; the first reply stops the mail's
// deadline. key makes a repeated request one reply ("" for a new one).
func (s *Service) ReplyMail(ctx context.Context, who Actor, id, body, key string) (*beian.InboundMail, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return nil, beian.Errorf(beian.CodeInvalid, "回复内容不能为空")
	}
	if n := utf8.RuneCountInString(body); n > MaxReplyLength {
		return nil, beian.Errorf(beian.CodeTooLarge, "回复内容过长（%d 字，最多 %d 字）", n, MaxReplyLength)
	}
	m, err := s.Store.GetInbound(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.From == "" {
		return nil, beian.Errorf(beian.CodeInvalidState, "这封邮件没有可以回复的发件人地址")
	}
	replyTo, signature := "", ""
	if m.CaseID != "" {
		c, err := s.Store.GetCase(ctx, m.CaseID)
		if err != nil {
			return nil, err
		}
		replyTo = c.Routing.Mailbox
		signature = strings.TrimSpace(c.Routing.AccessProvider + " 网站备案组")
	}
	if key == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		key = hex.EncodeToString(b)
	} else {
		sum := sha256.Sum256([]byte(who.Name + ":" + key))
		key = hex.EncodeToString(sum[:8])
	}
	reply := beian.Mail{
		Key: beian.InboundMailKey(m.ID, "reply/"+key), To: []string{m.From}, Subject: replySubject(m.Subject),
		Body: replyBody(body, signature, who.Name, m), InReplyTo: m.MessageID, ReplyTo: replyTo,
	}
	out, err := s.Store.ReplyInbound(ctx, m.ID, reply, who.Name, s.now())
	if err != nil {
		return nil, err
	}
	s.watch(ctx, out.ID)
	return out, nil
}

// watch wakes the mail's workflow; when Temporal is unreachable the mail
// stays marked unwatched and the worker wakes it later (RewatchMail).
func (s *Service) watch(ctx context.Context, ids ...string) {
	if s.Watcher == nil || len(ids) == 0 {
		return
	}
	var ok []string
	for _, id := range ids {
		if err := s.Watcher.WatchMail(ctx, id); err != nil {
			s.Logger.Warn("start inbound mail workflow", "mail", id, "error", err.Error())
			continue
		}
		ok = append(ok, id)
	}
	if err := s.Store.SetInboundWatched(context.WithoutCancel(ctx), ok); err != nil {
		s.Logger.Warn("mark inbound mail watched", "error", err.Error())
	}
}

// RewatchMail starts the workflows of mails that could not be started when
// they arrived or were answered (Temporal was down); the worker calls it
// every minute.
func (s *Service) RewatchMail(ctx context.Context) (int, error) {
	s.Init()
	ids, err := s.Store.UnwatchedInbound(ctx, 200)
	if err != nil {
		return 0, err
	}
	s.watch(ctx, ids...)
	return len(ids), nil
}

func replySubject(subject string) string {
	t := strings.TrimSpace(subject)
	low := strings.ToLower(t)
	if strings.HasPrefix(low, "re:") || strings.HasPrefix(low, "re：") || strings.HasPrefix(t, "回复") {
		return t
	}
	if t == "" {
		return "Re: 您的来信"
	}
	return "Re: " + t
}

// replyBody is the specialist's text, signed, over the quoted mail.
func replyBody(body, signature, who string, m *beian.InboundMail) string {
	var b strings.Builder
	b.WriteString(body)
	b.WriteString("\n\n")
	if signature != "" {
		b.WriteString(signature + "\n")
	}
	fmt.Fprintf(&b, "\n在 %s，%s 写道：\n", m.ReceivedAt.In(calendar.Shanghai).Format("2006-01-02 15:04"), m.From)
	lines := strings.Split(strings.TrimSpace(m.Text), "\n")
	if len(lines) > 30 {
		lines = append(lines[:30], "……")
	}
	for _, l := range lines {
		b.WriteString("> " + l + "\n")
	}
	_ = who
	return b.String()
}

// TickAttachment records which checklist item a mailed file is (R-IN-3);
// while the case awaits materials, the item is ticked received as well.
// An empty code clears it.
func (s *Service) TickAttachment(ctx context.Context, who Actor, caseID, attachmentID, code string) (*beian.InboundAttachment, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	c, err := s.Store.GetCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var item *beian.ChecklistItem
	if code != "" {
		var codes []string
		for i := range c.Checklist {
			codes = append(codes, c.Checklist[i].Code)
			if c.Checklist[i].Code == code {
				item = &c.Checklist[i]
			}
		}
		if item == nil {
			return nil, beian.Errorf(beian.CodeInvalid, "材料清单中没有「%s」；可选：%s", code, strings.Join(codes, "、"))
		}
	}
	a, err := s.Store.InboundAttachment(ctx, caseID, attachmentID)
	if err != nil {
		return nil, err
	}
	if a.Rejected != "" && code != "" {
		return nil, beian.Errorf(beian.CodeInvalidState, "附件「%s」未接收（%s），不能作为材料", a.Name, a.Rejected)
	}
	out, err := s.Store.SetAttachmentChecklist(ctx, caseID, attachmentID, code, who.Name)
	if err != nil {
		return nil, err
	}
	if item != nil && !item.Received && c.Status == beian.StatusAwaitingMaterials {
		if err := s.Act(ctx, who, caseID, beian.ActionMaterials, workflows.ActionRequest{Received: []string{code}}, "attachment:"+attachmentID+":"+code); err != nil {
			return out, err
		}
	}
	return out, nil
}

// checklistWords are the words of file names that say which item a file is.
var checklistWords = []struct {
	prefix string
	words  []string
}{
	{intake.ItemVerificationSheet, []string{"核验单", "核验"}},
	{intake.ItemSecurityCommitment, []string{"责任书", "安全"}},
	{intake.ItemRegistrationForm, []string{"登记表"}},
	{intake.ItemAuthorisationLetter, []string{"委托书", "授权书"}},
	{intake.ItemLegalRepID, []string{"法人", "法定代表人"}},
	{intake.ItemBusinessLicence, []string{"营业执照", "执照", "licence", "license"}},
	{intake.ItemCurtainPhoto, []string{"幕布", "照片", "photo"}},
	{intake.ItemDomainCertificate, []string{"域名证书", "域名"}},
	{intake.ItemInteractiveSpecialFiling, []string{"电子公告", "专项"}},
	{intake.ItemPreApprovalPrefix, []string{"前置", "审批"}},
	{intake.ItemPrincipalID, []string{"负责人身份证", "身份证", "idcard"}},
}

// SuggestChecklist is the checklist item a file's name suggests (R-IN-3),
// an item not yet received first; "" when the name says nothing.
func SuggestChecklist(name string, checklist []beian.ChecklistItem) string {
	low := strings.ToLower(name)
	best := ""
	for _, cw := range checklistWords {
		hit := false
		for _, w := range cw.words {
			if strings.Contains(low, w) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		for _, it := range checklist {
			if strings.HasPrefix(it.Code, cw.prefix) {
				if !it.Received {
					return it.Code
				}
				if best == "" {
					best = it.Code
				}
			}
		}
		if best != "" {
			return best
		}
	}
	return best
}
