package desk

import (
	"context"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/mailparse"
)

// MailClues are what an inbound mail says about its case (R-IN-3): the
// <sponsor>+<domain> of its subject, case numbers in it, its sender.
type MailClues struct {
	Sponsor, Domain string
	CaseNos         []string
	Sender          string
}

// MatchMail places an inbound mail on its case: by the subject the
// receipt told the filer (<sponsor>+<domain>, the domain's holder with that
// sponsor), else by one case number, else by the one case whose principal
// wrote from that address. Anything less sure — two cases, none — leaves
// it unmatched for a specialist: a mail is never guessed onto a case.
// A matched mail is due for a reply at the end of the working day (R-RV-6).
func (s *Service) MatchMail(ctx context.Context, m *beian.InboundMail, clues MailClues) error {
	s.Init()
	m.Status = beian.InboundUnmatched
	if clues.Domain != "" {
		rules, err := s.Rules(ctx)
		if err != nil {
			return err
		}
		if reg, _, err := intake.NormaliseDomain(clues.Domain, rules.FileableSuffixes); err == nil {
			holders, err := s.Store.DomainHolders(ctx, []string{reg})
			if err != nil {
				return err
			}
			if h, ok := holders[reg]; ok {
				c, err := s.Store.GetCase(ctx, h.CaseID)
				if err != nil {
					return err
				}
				if sameName(c.Sponsor.Name, clues.Sponsor) {
					return s.placeMail(ctx, m, c.ID, c.CaseNo, "subject")
				}
			}
		}
	}
	byNo, bySender, err := s.Store.CasesForMail(ctx, clues.CaseNos, clues.Sender)
	if err != nil {
		return err
	}
	if one := distinct(byNo); len(one) == 1 {
		return s.placeMail(ctx, m, one[0].ID, one[0].CaseNo, "case_no")
	}
	if len(byNo) == 0 {
		if one := distinct(bySender); len(one) == 1 {
			return s.placeMail(ctx, m, one[0].ID, one[0].CaseNo, "sender")
		}
	}
	return nil
}

func (s *Service) placeMail(ctx context.Context, m *beian.InboundMail, caseID, caseNo, how string) error {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return err
	}
	due := cal.ReplyDue(m.ReceivedAt)
	m.CaseID, m.CaseNo, m.MatchedBy, m.Status, m.ReplyDueAt = caseID, caseNo, how, beian.InboundMatched, &due
	return nil
}

func distinct(refs []beian.CaseRef) []beian.CaseRef {
	seen := map[string]bool{}
	var out []beian.CaseRef
	for _, r := range refs {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

// sameName compares a sponsor's name as filers type it: full-width forms,
// spaces and case aside (the subject's side is folded the same way).
func sameName(a, b string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.Join(strings.Fields(mailparse.NormaliseSponsor(s)), ""))
	}
	return a != "" && norm(a) == norm(b)
}

// Mail lists the inbound mail of a status and case (R-IN-3).
func (s *Service) Mail(ctx context.Context, who Actor, status, caseID string) ([]beian.InboundMail, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	switch status {
	case "", beian.InboundUnmatched, beian.InboundMatched, beian.InboundReplied:
	default:
		return nil, beian.Errorf(beian.CodeInvalid, "status 应为 unmatched、matched 或 replied")
	}
	return s.Store.ListInbound(ctx, status, caseID, 200)
}

// MatchMailByHand puts an unmatched mail on a case a specialist chose.
func (s *Service) MatchMailByHand(ctx context.Context, who Actor, id, caseID string) (*beian.InboundMail, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	m, err := s.Store.GetInbound(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.GetCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.Status.Terminal() {
		return nil, beian.Errorf(beian.CodeInvalidState, "申请 %s 已结束（%s），不能归入邮件", c.CaseNo, c.Status.Title())
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	var due *time.Time
	if !m.AutoSubmitted {
		d := cal.ReplyDue(m.ReceivedAt)
		due = &d
	}
	out, err := s.Store.MatchInbound(ctx, id, c.ID, "manual", who.Name, due)
	if err != nil {
		return nil, err
	}
	s.watch(ctx, out.ID)
	return out, nil
}

// MailAttachment returns one attachment of a case's mail, audited.
func (s *Service) MailAttachment(ctx context.Context, who Actor, caseID, attachmentID string) (*beian.InboundAttachment, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	a, err := s.Store.InboundAttachment(ctx, caseID, attachmentID)
	if err != nil {
		return nil, err
	}
	if a.Rejected != "" {
		return nil, beian.Errorf(beian.CodeInvalidState, "附件「%s」未保存：%s", a.Name, a.Rejected)
	}
	if err := s.Store.Audit(ctx, beian.AuditEntry{Actor: who.Name, Action: "download_attachment", Target: caseID, Detail: a.Name + " " + a.SHA256}); err != nil {
		return nil, err
	}
	return a, nil
}

// MailMessage is one inbound mail with its attachments' descriptions.
func (s *Service) MailMessage(ctx context.Context, who Actor, id string) (*beian.InboundMail, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	return s.Store.GetInbound(ctx, id)
}

// FindCaseRef is the ID of the open or live case a specialist named by
// its case number (JS-2026-000042) or its ID.
func (s *Service) FindCaseRef(ctx context.Context, who Actor, ref string) (string, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return "", err
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", beian.Errorf(beian.CodeInvalid, "请填写受理编号（如 JS-2026-000042）")
	}
	byNo, _, err := s.Store.CasesForMail(ctx, []string{strings.ToUpper(ref)}, "")
	if err != nil {
		return "", err
	}
	if len(byNo) == 1 {
		return byNo[0].ID, nil
	}
	if c, err := s.Store.GetCase(ctx, ref); err == nil {
		return c.ID, nil
	}
	return "", beian.Errorf(beian.CodeNotFound, "没有在办或有效的申请「%s」", ref)
}

// MailCounts counts the inbound mail by status (the mailbox's tabs).
func (s *Service) MailCounts(ctx context.Context, who Actor) (map[string]int, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	return s.Store.InboundCounts(ctx)
}
