package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/workflows"
)

// Escalator starts or feeds a customer's escalation workflow (worker.Engine).
type Escalator interface {
	Escalate(ctx context.Context, customerID string, sig workflows.EscalationSignal) error
}

// StartEscalation starts the escalation of the case's customer (R-VC-4).
func (a *Activities) StartEscalation(ctx context.Context, caseID string) error {
	c, err := a.Store.GetCase(ctx, caseID)
	if err != nil {
		return appErr(err)
	}
	if c.CustomerID == "" || a.Escalator == nil {
		return beian.Errorf(beian.CodeInvalid, "申请 %s 没有客户记录，无法上报客户经理上级", c.CaseNo)
	}
	outcome := "false_info"
	for _, e := range c.Timeline {
		if e.Event == "verification_uncooperative" {
			outcome = "uncooperative"
		}
	}
	return appErr(a.Escalator.Escalate(ctx, c.CustomerID, workflows.EscalationSignal{CaseID: c.ID, CaseNo: c.CaseNo, Outcome: outcome}))
}

// EscalationOrder tells the account manager's superior and orders every
// live filing of the customer to rectify within 24 hours (R-VC-4). Each
// order is an update of its filing keyed by the round: a retry orders once.
func (a *Activities) EscalationOrder(ctx context.Context, r workflows.EscalationRound) (workflows.EscalationOrdered, error) {
	cu, err := a.Store.GetCustomer(ctx, r.CustomerID)
	if err != nil {
		return workflows.EscalationOrdered{}, appErr(err)
	}
	live, err := a.Store.LiveCasesOfCustomer(ctx, r.CustomerID)
	if err != nil {
		return workflows.EscalationOrdered{}, err
	}
	what := "信息虚假"
	if r.Trigger.Outcome == "uncooperative" {
		what = "不配合核验"
	}
	reason := fmt.Sprintf("核验电话发现%s（%s），按 R-VC-4 限期 24 小时整改", what, r.Trigger.CaseNo)
	var ordered []string
	var lines []string
	// by is the latest of the filings' own deadlines: their workflows'
	// timers cut access then, and the escalation looks after them.
	var by time.Time
	for _, c := range live {
		due := c.Deadlines.RectifyBy
		if c.Status == beian.StatusApproved {
			st, err := a.Caller.Act(ctx, c.ID, beian.ActionRequireRectify, workflows.ActionRequest{
				Actor: "escalation", Reason: reason, Source: "verification",
			}, "escalation:"+r.Key+":"+c.ID)
			if beian.ErrorCode(err) == beian.CodeInvalidState {
				continue // it left APPROVED meanwhile: nothing to order
			}
			if err != nil {
				return workflows.EscalationOrdered{}, appErr(err)
			}
			due = st.RectifyBy
		} else if c.Status != beian.StatusRectifying {
			continue
		}
		ordered = append(ordered, c.ID)
		lines = append(lines, fmt.Sprintf("%s %s %s", c.CaseNo, c.PrimaryName(), c.FilingNumber))
		if due != nil && due.After(by) {
			by = *due
		}
	}
	if by.IsZero() {
		by = time.Now().Add(a.Config.RectifyWithin)
	}
	to := []string{}
	if cu.ManagerSuperior.Email != "" {
		to = append(to, cu.ManagerSuperior.Email)
	}
	if cu.AccountManager.Email != "" {
		to = append(to, cu.AccountManager.Email)
	}
	if len(to) > 0 {
		m := beian.Mail{
			Key: "escalation/" + r.Key + "/superior", To: append(to, a.Config.StaffAlerts...),
			Subject: fmt.Sprintf("【备案核验上报】客户 %s：%s，请督促 24 小时内整改", cu.Name, what),
			Body: fmt.Sprintf("%s：\n\n客户 %s（%s）的备案在核验电话中发现%s（%s）。按规定（R-VC-4）该客户的下列备案须在 %s 前完成整改，逾期将停止该客户全部网络接入并上报总经理：\n\n%s\n\n请与客户联系并督促整改。\n",
				nonEmptyName(cu.ManagerSuperior.Name), cu.Name, cu.ID, what, r.Trigger.CaseNo,
				by.In(calendar.Shanghai).Format("2006-01-02 15:04"), strings.Join(lines, "\n")),
		}
		events := map[string]beian.Event{r.Trigger.CaseID: {At: time.Now(), Event: "escalated", Actor: "escalation",
			Detail: fmt.Sprintf("已上报客户经理上级 %s；该客户 %d 个备案限期整改", cu.ManagerSuperior.Name, len(ordered))}}
		if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
			return workflows.EscalationOrdered{}, err
		}
		if err := a.SendMail(ctx, m.Key); err != nil {
			return workflows.EscalationOrdered{}, err
		}
	}
	grace := min(time.Minute, a.Config.RectifyWithin/10)
	return workflows.EscalationOrdered{Cases: ordered, RectifyBy: by, CheckAt: by.Add(grace)}, nil
}

func nonEmptyName(s string) string {
	if s == "" {
		return "您好"
	}
	return s
}

// EscalationExpired reports the filings whose access was cut for not
// rectifying in time to tech's supervisor and the GM, once (R-VC-4).
func (a *Activities) EscalationExpired(ctx context.Context, in workflows.EscalationCheck) (int, error) {
	cu, err := a.Store.GetCustomer(ctx, in.Round.CustomerID)
	if err != nil {
		return 0, appErr(err)
	}
	var cut []string
	events := map[string]beian.Event{}
	for _, id := range in.Cases {
		c, err := a.Store.GetCase(ctx, id)
		if err != nil {
			return 0, appErr(err)
		}
		// A filing past its deadline whose own workflow has not cut it yet
		// (its timer fired, its transition is on the way): look again in a
		// moment rather than report without it.
		if c.Status == beian.StatusRectifying && c.Deadlines.RectifyBy != nil && !c.Deadlines.RectifyBy.After(time.Now()) {
			return 0, fmt.Errorf("filing %s is past its rectification deadline and not cut yet; checking again", c.CaseNo)
		}
		if c.Status == beian.StatusAccessCancelled {
			cut = append(cut, fmt.Sprintf("%s %s %s（服务器 %s）", c.CaseNo, c.PrimaryName(), c.FilingNumber, strings.Join(c.Website.ServerIPs, " ")))
			events[c.ID] = beian.Event{At: time.Now(), Event: "escalation_reported", Actor: "escalation", Detail: "逾期未整改，已停止接入并上报总经理（R-VC-4）"}
		}
	}
	if len(cut) == 0 {
		return 0, nil
	}
	var to []string
	for _, x := range []string{a.Config.GMMailbox, a.Config.TechSupervisorMailbox, a.Config.TechMailbox} {
		if x != "" {
			to = append(to, x)
		}
	}
	to = append(to, a.Config.StaffAlerts...)
	if len(to) == 0 {
		return len(cut), nil
	}
	m := beian.Mail{
		Key: "escalation/" + in.Round.Key + "/gm", To: to,
		Subject: fmt.Sprintf("【停止接入报告】客户 %s：%d 个备案逾期未整改", cu.Name, len(cut)),
		Body: fmt.Sprintf("总经理、技术部主管：\n\n客户 %s（%s）未在 24 小时内完成整改（R-VC-4），以下备案的网络接入已停止，技术部请在工作台「接入操作」中确认执行：\n\n%s\n\n重新核验一致后方可恢复接入，并备注「整改合格」。\n",
			cu.Name, cu.ID, strings.Join(cut, "\n")),
	}
	if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
		return 0, err
	}
	if err := a.SendMail(ctx, m.Key); err != nil {
		return 0, err
	}
	return len(cut), nil
}
