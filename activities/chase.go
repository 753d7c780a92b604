package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/workflows"
)

// ChaseAccess mails tech (and the supervisors) the access actions still
// unconfirmed at 17:00 on a working day (R-AC-1): one mail a day listing
// them, and the chase on each filing's timeline. A retried or repeated run
// of the same day mails nobody twice.
func (a *Activities) ChaseAccess(ctx context.Context, in workflows.ChaseInput) (int, error) {
	day := in.At.In(calendar.Shanghai).Format("2006-01-02")
	cal, err := a.Calendar(ctx)
	if err != nil {
		return 0, err
	}
	if runs, err := SamplingRuns(cal, day); err != nil || !runs {
		return 0, err
	}
	pending, err := a.Store.ListAccessActions(ctx, beian.AccessPending)
	if err != nil {
		return 0, err
	}
	var late []beian.AccessAction
	for _, x := range pending {
		if x.RequestedAt.Before(in.At) {
			late = append(late, x)
		}
	}
	var to []string
	if a.Config.TechMailbox != "" {
		to = append(to, a.Config.TechMailbox)
	}
	to = append(to, a.Config.StaffAlerts...)
	if len(late) == 0 || len(to) == 0 {
		return 0, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "技术部：以下 %d 项接入操作截至 %s 17:00 尚未确认执行，请尽快处理并在工作台「接入操作」中确认（R-AC-1）。\n\n", len(late), day)
	events := map[string]beian.Event{}
	for i, x := range late {
		fmt.Fprintf(&b, "%d. %s  域名：%s  服务器 IP：%s  提出时间：%s  原因：%s\n", i+1, beian.AccessKindTitle(x.Kind),
			strings.Join(x.Domains, " "), strings.Join(x.ServerIPs, " "), x.RequestedAt.In(calendar.Shanghai).Format("2006-01-02 15:04"), x.Reason)
		if x.CaseID != "" {
			e := events[x.CaseID]
			e.At, e.Event, e.Actor = in.At, "access_chased", "system"
			if e.Detail != "" {
				e.Detail += "；"
			}
			e.Detail += fmt.Sprintf("「%s」（%s 提出）技术部尚未确认，已邮件催办", beian.AccessKindTitle(x.Kind), x.RequestedAt.In(calendar.Shanghai).Format("01-02 15:04"))
			events[x.CaseID] = e
		}
	}
	m := beian.Mail{Key: "access-chase/" + day, To: to, Subject: fmt.Sprintf("【接入操作催办】%s：%d 项待技术部确认", day, len(late)), Body: b.String()}
	if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
		return 0, err
	}
	// Sent now, or by a retry: the outbox sends a key once.
	if err := a.SendMail(ctx, m.Key); err != nil {
		return 0, err
	}
	return len(late), nil
}
