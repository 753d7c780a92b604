package activities

import (
	"context"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notices"
	"github.com/beian/beian/workflows"
)

// InboundPlan reads where an inbound mail stands for its workflow (R-RV-6).
func (a *Activities) InboundPlan(ctx context.Context, mailID string) (workflows.InboundPlan, error) {
	var p workflows.InboundPlan
	m, err := a.Store.GetInbound(ctx, mailID)
	if err != nil {
		return p, appErr(err)
	}
	if p.Unsent, err = a.Store.InboundUnsent(ctx, mailID); err != nil {
		return p, err
	}
	if m.Status != beian.InboundMatched || m.ReplyDueAt == nil || m.AutoSubmitted || m.EscalatedAt != nil {
		p.Done = true
		return p, nil
	}
	due := *m.ReplyDueAt
	p.DueAt = &due
	if m.AlertedAt == nil {
		at := beian.ReplyAlertAt(due)
		if at.Before(m.ReceivedAt) { // arrived after 16:30: the specialist hears at once
			at = m.ReceivedAt
		}
		p.AlertAt = &at
	}
	return p, nil
}

// InboundAlert tells the specialist (16:30) or the supervisor (the
// deadline) of a mail still unanswered (R-RV-6), once each; the mail it
// queues is sent by the workflow's next plan.
func (a *Activities) InboundAlert(ctx context.Context, in workflows.InboundAlertInput) error {
	m, err := a.Store.GetInbound(ctx, in.MailID)
	if err != nil {
		return appErr(err)
	}
	if m.Status != beian.InboundMatched || m.ReplyDueAt == nil {
		return nil // answered meanwhile
	}
	c, err := a.Store.GetCase(ctx, m.CaseID)
	if err != nil {
		return appErr(err)
	}
	var to []string
	if c.Routing.Mailbox != "" {
		to = append(to, c.Routing.Mailbox)
	}
	msg := notices.MailReplyAlert(m, *m.ReplyDueAt)
	key := beian.InboundMailKey(m.ID, "alert")
	if in.Kind == workflows.InboundAlertSupervisor {
		msg = notices.MailReplyOverdue(m, *m.ReplyDueAt)
		key = beian.InboundMailKey(m.ID, "overdue")
		if len(a.Config.StaffAlerts) > 0 {
			to = append([]string{}, a.Config.StaffAlerts...)
		}
	}
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err = a.Store.MarkInboundAlert(ctx, m.ID, in.Kind, beian.Mail{Key: key, To: to, Subject: msg.Subject, Body: msg.Body}, at)
	return err
}
