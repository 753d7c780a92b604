package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notices"
	"github.com/beian/beian/workflows"
)

// Apply carries out one transition of a case in one Postgres transaction: the
// new state, a timeline event, and the mails, tasks and access actions it
// causes. It is idempotent by (case, Seq): a retry after a committed attempt
// returns what that attempt wrote and writes nothing.
func (a *Activities) Apply(ctx context.Context, in workflows.ApplyInput) (workflows.ApplyResult, error) {
	c, err := a.Store.GetCase(ctx, in.CaseID)
	if err != nil {
		return workflows.ApplyResult{}, appErr(err)
	}
	for _, e := range c.Timeline {
		if e.Seq == in.Seq {
			return a.alreadyApplied(ctx, c, in.Seq)
		}
	}
	t := &beian.Transition{Seq: in.Seq, Case: c, Event: beian.Event{Seq: in.Seq, At: in.At, Actor: in.Request.Actor, Event: in.Action}}
	b := &builder{a: a, c: c, t: t, seq: in.Seq, at: in.At}
	if err := b.apply(ctx, in); err != nil {
		return workflows.ApplyResult{}, appErr(err)
	}
	c.UpdatedAt = in.At
	applied, err := a.Store.SaveTransition(ctx, t)
	if err != nil {
		return workflows.ApplyResult{}, appErr(err)
	}
	if !applied { // a concurrent attempt won; report what it wrote
		fresh, err := a.Store.GetCase(ctx, in.CaseID)
		if err != nil {
			return workflows.ApplyResult{}, appErr(err)
		}
		return a.alreadyApplied(ctx, fresh, in.Seq)
	}
	res := result(c)
	res.Applied = true
	res.Linked = b.linked // only the transition that reached the outcome passes it on
	for _, m := range t.Mails {
		res.MailKeys = append(res.MailKeys, m.Key)
	}
	for _, x := range t.AccessActions {
		res.AccessKeys = append(res.AccessKeys, x.Key)
	}
	return res, nil
}

// alreadyApplied reports a transition that an earlier attempt committed.
func (a *Activities) alreadyApplied(ctx context.Context, c *beian.Case, seq int) (workflows.ApplyResult, error) {
	res := result(c)
	// Pass a linked outcome on again only if this very transition reached it.
	res.Linked = false
	for _, e := range c.Timeline {
		if e.Seq == seq && outcomeEvents[e.Event] {
			res.Linked = linkedOutcomeDue(c)
		}
	}
	mails, err := a.Store.ListMails(ctx, c.ID)
	if err != nil {
		return res, fmt.Errorf("list mails of %s: %w", c.ID, err)
	}
	prefix := mailPrefix(c.ID, seq)
	for _, m := range mails {
		if strings.HasPrefix(m.Key, prefix) {
			res.MailKeys = append(res.MailKeys, m.Key)
		}
	}
	acts, err := a.Store.CaseAccessActions(ctx, c.ID)
	if err != nil {
		return res, fmt.Errorf("list access actions of %s: %w", c.ID, err)
	}
	for _, x := range acts {
		if strings.HasPrefix(x.Key, prefix) {
			res.AccessKeys = append(res.AccessKeys, x.Key)
		}
	}
	return res, nil
}

func result(c *beian.Case) workflows.ApplyResult {
	return workflows.ApplyResult{
		Snapshot: workflows.Snapshot{
			Status: c.Status, PurgeAt: c.Deadlines.PurgeAt, BureauDueAt: c.Deadlines.BureauDueAt,
			Overdue: c.Overdue, RectifyBy: c.Deadlines.RectifyBy, FilingNumber: c.FilingNumber,
			Domain: c.PrimaryName(), Province: c.Routing.Province, BureauProvince: c.Routing.BureauProvince,
		},
		Linked: linkedOutcomeDue(c),
	}
}

// outcomeEvents are the timeline events of transitions that reach an outcome
// a linked live filing must hear of.
var outcomeEvents = map[string]bool{"filing_cancelled": true, "access_cancellation_ordered": true, "bureau_approved": true}

func linkedOutcomeDue(c *beian.Case) bool {
	if c.LinkedCaseID == "" {
		return false
	}
	switch c.Type {
	case beian.TypeCancel:
		return c.Status == beian.StatusCancelled
	case beian.TypeCancelAccess:
		return c.Status == beian.StatusAccessCancelled
	case beian.TypeChange:
		return c.Status.OnRecord()
	}
	return false
}

func mailPrefix(caseID string, seq int) string { return fmt.Sprintf("case/%s/%d/", caseID, seq) }

// builder collects the effects of one transition.
type builder struct {
	a   *Activities
	c   *beian.Case
	t   *beian.Transition
	seq int
	at  time.Time
	// linked: the outcome must go to the live filing this case works on.
	linked bool
}

func (b *builder) key(what string) string { return mailPrefix(b.c.ID, b.seq) + what }

// toFiler queues a notice to the filer (the principal's mailbox). A case
// without an email address gets none, and the timeline says so.
func (b *builder) toFiler(what string, m notices.Message) {
	if b.c.Principal.Email == "" {
		b.note("未发送邮件「" + m.Subject + "」：备案未留联系邮箱")
		return
	}
	b.mail(what, []string{b.c.Principal.Email}, m)
}

func (b *builder) toStaff(what string, m notices.Message) {
	var to []string
	if b.c.Routing.Mailbox != "" {
		to = append(to, b.c.Routing.Mailbox)
	}
	to = append(to, b.a.Config.StaffAlerts...)
	b.mail(what, to, m)
}

func (b *builder) mail(what string, to []string, m notices.Message) {
	if len(to) == 0 {
		return
	}
	b.t.Mails = append(b.t.Mails, beian.Mail{Key: b.key(what), CaseID: b.c.ID, To: to, Subject: m.Subject, Body: m.Body})
}

func (b *builder) note(s string) {
	if b.t.Event.Detail != "" {
		b.t.Event.Detail += "；"
	}
	b.t.Event.Detail += s
}

func (b *builder) access(kind, reason string) {
	b.t.AccessActions = append(b.t.AccessActions, beian.AccessAction{
		Key: b.key("access-" + kind), CaseID: b.c.ID, Kind: kind, Status: beian.AccessPending,
		Reason: reason, ServerIPs: b.c.Website.ServerIPs, Domains: b.c.Website.Domains, RequestedAt: b.at,
	})
	if b.a.Config.TechMailbox != "" {
		b.mail("tech-"+kind, []string{b.a.Config.TechMailbox}, notices.AccessActionForTech(b.c, kind, reason))
	}
}

func (b *builder) setStatus(s beian.Status) {
	if b.c.Status != s {
		b.note(fmt.Sprintf("状态：%s → %s", b.c.Status.Title(), s.Title()))
	}
	b.c.Status = s
}

// apply computes the transition on b.c. The workflow has validated the
// action against its own state; the case row is checked again here so the
// two can never drift apart silently.
func (b *builder) apply(ctx context.Context, in workflows.ApplyInput) error {
	c, req := b.c, in.Request
	if a := beian.Action(in.Action); isAction(a) {
		if err := c.Status.Allows(a); err != nil {
			return err
		}
		if err := workflows.ValidateRequest(a, req); err != nil {
			return err
		}
	}
	switch in.Action {
	case workflows.EventReceipt:
		b.t.Event.Event = "receipt_sent"
		b.toFiler("receipt", notices.Receipt(c))

	case string(beian.ActionMaterials):
		unknown := markReceived(c, req.Received)
		if len(unknown) > 0 {
			return beian.Errorf(beian.CodeInvalid, "材料清单中没有这些项目：%s", strings.Join(unknown, "、"))
		}
		b.note("收到材料：" + strings.Join(req.Received, "、"))
		if c.MaterialsComplete() {
			b.t.Event.Event = "materials_complete"
			return b.startReview(ctx)
		} else {
			b.t.Event.Event = "materials_received"
		}

	case string(beian.ActionReview):
		if req.Result == "fail" {
			b.t.Event.Event = "review_failed"
			c.ReviewReasons = req.Reasons
			b.setStatus(beian.StatusNeedsCorrection)
			b.note("原因：" + strings.Join(req.Reasons, "；"))
			b.toFiler("correction-needed", notices.CorrectionNeeded(c, req.Reasons)) // R-RV-4
			return nil
		}
		if !c.MaterialsComplete() { // R-RV-2: materials complete before anything is submitted
			return beian.Errorf(beian.CodeInvalidState, "材料尚未收齐，不能审核通过：%s", strings.Join(missing(c), "、"))
		}
		c.ReviewReasons = nil
		if !c.Type.NeedsBureau() { // cancel_access: our own act, no bureau (R-TY)
			b.t.Event.Event = "access_cancellation_ordered"
			b.setStatus(beian.StatusAccessCancelled)
			b.access(beian.AccessCancel, "用户申请取消接入")
			b.toFiler("access-cancelled", notices.AccessCancelled(c, "用户申请取消接入"))
			b.linked = c.LinkedCaseID != ""
			return nil
		}
		return b.submit(ctx)

	case string(beian.ActionCorrections):
		b.t.Event.Event = "corrected"
		cor, err := b.a.Store.GetCorrection(ctx, req.CorrectionID)
		if err != nil {
			return err
		}
		if cor.CaseID != c.ID {
			return beian.Errorf(beian.CodeInvalid, "更正记录 %s 不属于此备案申请", req.CorrectionID)
		}
		c.Sponsor, c.Principal, c.Website = cor.Sponsor, cor.Principal, cor.Website
		c.Routing, c.Checklist, c.EmailSubject = cor.Routing, cor.Checklist, cor.EmailSubject
		c.FilingPasswordSealed = cor.FilingPasswordSealed
		if cor.FilingNumber != "" {
			c.FilingNumber = cor.FilingNumber
		}
		if len(cor.AcceptedOverrides) > 0 {
			c.AcceptedOverrides = cor.AcceptedOverrides
		}
		if cor.CustomerID != "" {
			c.CustomerID = cor.CustomerID
		}
		c.ReviewReasons = nil
		if !c.MaterialsComplete() {
			// The correction asks for more (e.g. an organisation's licence, a
			// pre-approval): back to collecting materials, without a new purge clock.
			purge := beian.AddMonths(b.at.In(shanghai), 1) // R-RV-5: a fresh month for the new items
			c.Deadlines.PurgeAt = &purge
			b.setStatus(beian.StatusAwaitingMaterials)
			b.note("更正后材料清单有新的必需项，待收齐后再审核；" + purge.Format("2006-01-02") + " 前未收齐将删除")
			b.toFiler("materials-needed", notices.Receipt(c))
			return nil
		}
		b.setStatus(beian.StatusUnderReview)

	case string(beian.ActionBureauReceived):
		b.t.Event.Event = "bureau_received"
		c.BureauReceived = true

	case string(beian.ActionBureauDecision):
		if req.BureauReceived {
			c.BureauReceived = true
		}
		c.Overdue = false
		if req.Decision == "returned" { // R-BR-3
			b.t.Event.Event = "bureau_returned"
			c.Returned = true
			c.ReturnReason = req.Reason
			b.setStatus(beian.StatusBureauReturned)
			b.note("退回原因：" + req.Reason)
			b.toFiler("returned", notices.Returned(c, req.Reason))
			return nil
		}
		c.BureauReceived = true
		c.FilingNumber = req.FilingNumber
		if req.FilingPasswordSealed != "" {
			c.FilingPasswordSealed = req.FilingPasswordSealed
		}
		b.note("备案号：" + req.FilingNumber)
		if c.Type == beian.TypeCancel { // the filing number is cancelled: close our access
			b.t.Event.Event = "filing_cancelled"
			b.setStatus(beian.StatusCancelled)
			b.access(beian.AccessCancel, "备案号已注销")
			b.toFiler("cancelled", notices.Cancelled(c))
			b.linked = c.LinkedCaseID != ""
			return nil
		}
		b.t.Event.Event = "bureau_approved"
		b.setStatus(beian.StatusApproved)
		if c.Type != beian.TypeChange { // R-AC-0: access opens on approval, never before
			b.access(beian.AccessOpen, "备案成功，开通接入")
		}
		b.toFiler("approved", notices.Approved(c)) // R-BR-2
		b.linked = c.LinkedCaseID != ""            // an approved change replaces the live filing

	case string(beian.ActionWithdraw):
		b.t.Event.Event = "withdrawn"
		if req.Reason != "" {
			b.note("原因：" + req.Reason)
		}
		b.setStatus(beian.StatusWithdrawn)
		b.toFiler("withdrawn", notices.Withdrawn(c))

	case string(beian.ActionRequireRectify): // R-PA-3, R-VC-4
		b.t.Event.Event = "rectification_required"
		by := b.at.Add(b.a.Config.RectifyWithin)
		c.Deadlines.RectifyBy = &by
		c.RectifyReason, c.RectifySource = req.Reason, req.Source
		b.setStatus(beian.StatusRectifying)
		b.note("原因：" + req.Reason + "；整改期限 " + by.In(shanghai).Format("2006-01-02 15:04"))
		b.toFiler("rectification", notices.RectificationRequired(c))

	case string(beian.ActionRectified):
		b.t.Event.Event = "rectified"
		c.Deadlines.RectifyBy = nil
		b.setStatus(beian.StatusApproved)

	case string(beian.ActionRestoreAccess): // R-AC-1: a cancellation can be reversed
		if c.Type == beian.TypeCancelAccess {
			return beian.Errorf(beian.CodeInvalidState, "取消接入申请本身不能恢复接入；请在原备案申请上操作")
		}
		b.t.Event.Event = "access_restored"
		if req.Reason != "" {
			b.note(req.Reason)
		}
		b.setStatus(beian.StatusApproved)
		b.access(beian.AccessRestore, nonEmpty(req.Reason, "恢复接入"))
		b.toFiler("access-restored", notices.AccessRestored(c))

	case workflows.EventSignalRefused: // a bureau result the case could not take
		b.t.Event.Event = "bureau_signal_refused"
		b.note(fmt.Sprintf("管局接口结果（结论 %s，备案号 %s，管局说明 %s）未能应用：%s", req.Decision, req.FilingNumber, req.Reason, req.RefusedBecause))
		b.toStaff("bureau-signal-refused", notices.BureauSignalRefused(c, req.Decision, req.FilingNumber, req.Reason+"；未能应用："+req.RefusedBecause))

	case workflows.EventLinkedOutcome: // R-TY: a change or cancellation of this filing ended
		b.t.Event.Event = "linked_outcome"
		target := beian.Status(req.Decision)
		if !c.Status.OnRecord() || (target != beian.StatusCancelled && target != beian.StatusAccessCancelled && target != beian.StatusSuperseded) {
			b.note(fmt.Sprintf("关联申请 %s 的结果（%s）未应用：本备案当前状态为%s", req.Reason, target, c.Status.Title()))
			return nil
		}
		c.Deadlines.RectifyBy = nil
		b.setStatus(target)
		b.note(fmt.Sprintf("由关联申请 %s 办结", req.Reason))

	case workflows.EventPurge: // R-RV-5
		b.t.Event.Event = "purged"
		b.setStatus(beian.StatusPurged)
		b.note("录入超过一个月未收到备案材料，已删除")
		b.toFiler("purged", notices.Purged(c))

	case workflows.EventOverdue: // R-BR-4
		b.t.Event.Event = "bureau_overdue"
		c.Overdue = true
		b.note("管局超过20个工作日未给出结论，请跟进")
		b.toStaff("overdue", notices.OverdueAlert(c))

	case workflows.EventRectifyExpired: // R-PA-3, R-VC-4
		b.t.Event.Event = "rectification_expired"
		c.Deadlines.RectifyBy = nil
		b.setStatus(beian.StatusAccessCancelled)
		reason := "24小时内未完成整改：" + c.RectifyReason
		b.access(beian.AccessCancel, reason)
		b.toFiler("access-cancelled", notices.AccessCancelled(c, reason))

	default:
		return beian.Errorf(beian.CodeInvalid, "未知操作 %s", in.Action)
	}
	return nil
}

// startReview moves a case whose materials are complete into our review and
// creates the verification call task (R-RV-2, R-VC).
func (b *builder) startReview(ctx context.Context) error {
	b.setStatus(beian.StatusUnderReview)
	b.c.Deadlines.PurgeAt = nil
	due, err := b.sameDay(ctx)
	if err != nil {
		return err
	}
	b.t.Tasks = append(b.t.Tasks, beian.Task{
		Key: b.key("verification-call"), Kind: beian.TaskVerificationCall, Status: beian.TaskOpen,
		CaseID: b.c.ID, DueAt: due, Script: beian.VerificationScript(b.c), CreatedAt: b.at,
	})
	return nil
}

// sameDay is when work that arrives at b.at is due (R-RV-6 当日事，当日毕):
// 17:30 the same day when it arrives on a working day before then, else
// 17:30 on the next working day.
func (b *builder) sameDay(ctx context.Context) (time.Time, error) {
	cal, err := b.a.Calendar(ctx)
	if err != nil {
		return time.Time{}, err
	}
	local := b.at.In(shanghai)
	close := time.Date(local.Year(), local.Month(), local.Day(), 17, 30, 0, 0, shanghai)
	if cal.Day(local).Working && local.Before(close) {
		return close, nil
	}
	d, err := cal.BureauDue(b.at, 1)
	if err != nil {
		return time.Time{}, err
	}
	return d.At, nil
}

// missing lists the titles of required checklist items not yet received.
func missing(c *beian.Case) []string {
	var out []string
	for _, it := range c.Checklist {
		if it.Required && !it.Received {
			out = append(out, it.Title)
		}
	}
	return out
}

// submit sends a reviewed case to the bureau and starts its 20-working-day
// clock (R-RV-7, R-BR-1).
func (b *builder) submit(ctx context.Context) error {
	b.t.Event.Event = "submitted"
	var due time.Time
	if b.a.Config.BureauSLA > 0 {
		due = b.at.Add(b.a.Config.BureauSLA)
		b.c.BureauDueProvisional = false
	} else {
		cal, err := b.a.Calendar(ctx)
		if err != nil {
			return err
		}
		d, err := cal.BureauDue(b.at, b.a.Config.BureauWorkingDays)
		if err != nil {
			return err
		}
		due = d.At
		b.c.BureauDueProvisional = d.Provisional
		if d.Provisional {
			b.note(fmt.Sprintf("注意：期限跨越尚无节假日数据的年份 %v，按普通周末规则暂估，请在日历中补录后核对", d.UnknownYears))
		}
	}
	b.c.Deadlines.BureauDueAt = &due
	b.c.Overdue = false
	b.c.BureauReceived = false
	b.setStatus(beian.StatusBureauReview)
	b.note("管局审核期限 " + due.In(shanghai).Format("2006-01-02 15:04"))
	b.toFiler("submitted", notices.Submitted(b.c))
	return nil
}

// markReceived ticks the named checklist items and returns the names that
// are not on the checklist.
func markReceived(c *beian.Case, codes []string) (unknown []string) {
	for _, code := range codes {
		found := false
		for i := range c.Checklist {
			if c.Checklist[i].Code == code {
				c.Checklist[i].Received = true
				found = true
			}
		}
		if !found {
			unknown = append(unknown, code)
		}
	}
	return unknown
}

func isAction(a beian.Action) bool {
	for _, x := range workflows.UpdateActions {
		if x == a {
			return true
		}
	}
	return false
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var shanghai = mustShanghai()

func mustShanghai() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("Asia/Shanghai", 8*3600)
	}
	return l
}
