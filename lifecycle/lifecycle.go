// Package lifecycle is the one home of a filing case's lifecycle: for each
// event (a staff action, the bureau's answer, a timer firing) what it does
// to the case and what it causes: the new status and deadlines, the
// timeline event, the mails, tasks and access actions. It is pure domain
// code, no Postgres and no Temporal: the Apply activity loads what an event
// needs (the case, a stored correction, the calendar), calls Apply, and
// saves the Transition it returns in one transaction. Rule IDs (R-…) refer
// to ../shared/docs/requirements.md.
package lifecycle

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/notices"
	"github.com/beian/beian/verify"
)

// Timer and system events, applied like actions (the workflow names them
// the same: workflows.EventReceipt …).
const (
	EventReceipt        = "receipt"
	EventPurge          = "purge"
	EventOverdue        = "overdue"
	EventRectifyExpired = "rectify-expired"
	// EventSignalRefused records a bureau result the case could not take.
	EventSignalRefused = "bureau-signal-refused"
	// EventLinkedOutcome applies the outcome of a linked case to this filing.
	EventLinkedOutcome = "linked-outcome"
	// At the 24 hours of a shell-site notice the domains are resolved
	// again (R-PA-3): back with us, not found, or no answer to go on.
	EventSweepCleared  = "sweep-cleared"
	EventSweepNXDomain = "sweep-nxdomain"
	EventSweepRecheck  = "sweep-recheck"
	// The MIIT SMS check (R-BR-6): the reminder while the code is not
	// entered, and the expiry that returns the filing.
	EventSMSReminder = "sms-reminder"
	EventSMSExpired  = "sms-expired"
	// The public-security filing (R-PA-6): a reminder on day 20 and 28,
	// overdue after day 30.
	EventPublicSecurityReminder = "public-security-reminder"
	EventPublicSecurityOverdue  = "public-security-overdue"
)

// DefaultSMSWithin is how long the filer has to enter the MIIT's SMS code
// (R-BR-6).
const DefaultSMSWithin = 24 * time.Hour

// SweepRecheckAfter is how long a rectification deadline waits again when
// the domains could not be resolved at it (R-PA-3: never cut for a
// resolver's failure).
const SweepRecheckAfter = time.Hour

// Request is what an event carries; only the fields of its event are read
// (the workflow's ActionRequest, converted by the activity).
type Request struct {
	Actor                string
	Received             []string // materials
	Result               string   // review: "pass" | "fail"
	Reasons              []string // review fail
	Decision             string   // bureau decision; linked outcome: the status to take
	BureauReceived       bool
	FilingNumber         string
	FilingPasswordSealed string
	Reason               string // returned, rectification, withdraw, restore; linked outcome: the linked case
	Source               string // rectification: manual, sweep, verification, security
	RefusedBecause       string // a refused bureau signal
	DNSNote              string // bureau decision approved: the domains' DNS as access is opened (R-RV-2)
	// verification-result
	TaskID  string
	Outcome string            // "answered" | "no_answer"
	Answers map[string]string // by verify question key
	Dialled string            // "mobile" | "landline" | ""
	// verification-call: the specialist the call is for, if any
	Assignee string
	// verification-result callback: when to call again
	CallbackAt time.Time
	// public-security: the number (苏公网安备32050502000001号, R-PA-6)
	PublicSecurityNumber string
}

// Config are the desk's settings the effects depend on.
type Config struct {
	BureauWorkingDays int           // R-BR-1: 20
	BureauSLA         time.Duration // replaces the working days when set (demos, tests)
	RectifyWithin     time.Duration // R-PA-3, R-VC-4: 24 h
	StaffAlerts       []string      // besides the province mailbox
	TechMailbox       string        // tech's work orders, when set
	// TechSupervisorMailbox gets an escalation's stops and restores
	// (R-VC-4); TechMailbox when empty.
	TechSupervisorMailbox string
	// MarketingMailbox follows up filers whose site left us (R-PA-3 ②).
	MarketingMailbox string
	// SMSWithin is how long the filer has for the MIIT SMS code (R-BR-6):
	// DefaultSMSWithin when zero; shorter in demos and tests.
	SMSWithin time.Duration
}

// Input is one event on one case, with what its effects need loaded.
type Input struct {
	// Case is the case as stored; Apply changes it to the case after the event.
	Case    *beian.Case
	Seq     int // the workflow's transition number
	Event   string
	Request Request
	At      time.Time // workflow time of the event
	// Correction is the stored correction of a corrections event.
	Correction *beian.Correction
	// Task is the call task of a verification-result event.
	Task *beian.Task
	// AccessActions are the case's access actions, oldest first; loaded for
	// restore-access, which needs to know whether the cut happened.
	AccessActions []beian.AccessAction
	// Calendar is the working-day calendar; needed when materials complete
	// (the same-day call task) and when a review passes (the bureau due date).
	Calendar *calendar.Calendar
	Config   Config
}

// Result is what an event does.
type Result struct {
	Transition *beian.Transition
	// Linked is set when the outcome must be passed to the live filing this
	// case works on (R-TY).
	Linked bool
	// Escalate is set when a call found false data or no cooperation: the
	// customer's escalation starts (R-VC-4).
	Escalate bool
	// Callback is set when a call is to be made again at a time the person
	// asked for: its wake-up starts.
	Callback bool
}

// NeedsAccessActions reports whether the effects of event look at the
// case's access actions.
func NeedsAccessActions(event string) bool { return event == string(beian.ActionRestoreAccess) }

// NeedsCalendar reports whether the effects of event may count working days.
func NeedsCalendar(event string) bool {
	switch beian.Action(event) {
	case beian.ActionMaterials, beian.ActionReview, beian.ActionVerificationCall, beian.ActionVerificationResult, beian.ActionSMSVerified:
		return true
	}
	return false
}

// effect is the effect of one event on the step.
type effect func(s *step) error

// effects is the lifecycle, one row per event.
var effects = map[string]effect{
	EventReceipt:                           receipt,
	string(beian.ActionMaterials):          materials,
	string(beian.ActionReview):             review,
	string(beian.ActionCorrections):        corrections,
	string(beian.ActionBureauReceived):     bureauReceived,
	string(beian.ActionBureauDecision):     bureauDecision,
	string(beian.ActionWithdraw):           withdraw,
	string(beian.ActionRequireRectify):     requireRectification,
	string(beian.ActionRectified):          rectified,
	string(beian.ActionRestoreAccess):      restoreAccess,
	string(beian.ActionCancelAccess):       cancelAccess,
	string(beian.ActionVerificationCall):   verificationCall,
	string(beian.ActionVerificationResult): verificationResult,
	EventSignalRefused:                     signalRefused,
	EventLinkedOutcome:                     linkedOutcome,
	EventPurge:                             purge,
	EventOverdue:                           overdue,
	EventRectifyExpired:                    rectifyExpired,
	EventSweepCleared:                      sweepCleared,
	EventSweepNXDomain:                     sweepNXDomain,
	EventSweepRecheck:                      sweepRecheck,
	string(beian.ActionSMSVerified):        smsVerified,
	string(beian.ActionPublicSecurity):     publicSecurity,
	EventSMSReminder:                       smsReminder,
	EventSMSExpired:                        smsExpired,
	EventPublicSecurityReminder:            publicSecurityReminder,
	EventPublicSecurityOverdue:             publicSecurityOverdue,
}

// Apply computes the effects of one event. The case's status has been
// checked to allow it (beian.Status.Allows) by the caller.
func Apply(in Input) (Result, error) {
	f, ok := effects[in.Event]
	if !ok {
		return Result{}, beian.Errorf(beian.CodeInvalid, "未知操作 %s", in.Event)
	}
	t := &beian.Transition{Seq: in.Seq, Case: in.Case, Event: beian.Event{Seq: in.Seq, At: in.At, Actor: in.Request.Actor, Event: in.Event}}
	s := &step{in: in, c: in.Case, req: in.Request, t: t}
	if err := f(s); err != nil {
		return Result{}, err
	}
	in.Case.UpdatedAt = in.At
	return Result{Transition: t, Linked: s.linked, Escalate: s.escalate, Callback: s.callback}, nil
}

// step collects the effects of one event.
type step struct {
	in       Input
	c        *beian.Case
	req      Request
	t        *beian.Transition
	linked   bool
	escalate bool
	callback bool
}

// MailPrefix starts the business key of every mail and access action of
// one transition: the keys of a retried transition are the same.
func MailPrefix(caseID string, seq int) string { return fmt.Sprintf("case/%s/%d/", caseID, seq) }

func (s *step) key(what string) string { return MailPrefix(s.c.ID, s.in.Seq) + what }

func (s *step) event(name string) { s.t.Event.Event = name }

// toFiler queues a notice to the filer (the principal's mailbox). A case
// without an email address gets none, and the timeline says so.
func (s *step) toFiler(what string, m notices.Message) {
	if s.c.Principal.Email == "" {
		s.note("未发送邮件「" + m.Subject + "」：备案未留联系邮箱")
		return
	}
	s.mail(what, []string{s.c.Principal.Email}, m)
}

func (s *step) toStaff(what string, m notices.Message) {
	var to []string
	if s.c.Routing.Mailbox != "" {
		to = append(to, s.c.Routing.Mailbox)
	}
	to = append(to, s.in.Config.StaffAlerts...)
	s.mail(what, to, m)
}

func (s *step) mail(what string, to []string, m notices.Message) {
	if len(to) == 0 {
		return
	}
	s.t.Mails = append(s.t.Mails, beian.Mail{Key: s.key(what), CaseID: s.c.ID, To: to, Subject: m.Subject, Body: m.Body})
}

func (s *step) note(text string) {
	if s.t.Event.Detail != "" {
		s.t.Event.Detail += "；"
	}
	s.t.Event.Detail += text
}

// access orders tech to open, cancel or restore the case's access (R-AC-1):
// one action per server IP, so tech confirms each address it changed and
// network control gets one key per address. A stop or restore of an
// escalation (R-VC-4) is addressed to tech's supervisor.
func (s *step) access(kind, reason string) { s.accessFor(kind, reason, beian.AddresseeTech) }

// accessFor is access addressed to tech or to tech's supervisor.
func (s *step) accessFor(kind, reason, to string) {
	ips := s.c.Website.ServerIPs
	if len(ips) == 0 {
		ips = []string{""}
	}
	for _, ip := range ips {
		key := s.key("access-" + kind)
		var on []string
		if ip != "" {
			key += "/" + ip
			on = []string{ip}
		}
		s.t.AccessActions = append(s.t.AccessActions, beian.AccessAction{
			Key: key, CaseID: s.c.ID, Kind: kind, Status: beian.AccessPending, AddressedTo: to,
			Reason: reason, ServerIPs: on, Domains: s.c.Website.Domains, RequestedAt: s.in.At,
		})
	}
	mailbox := s.in.Config.TechMailbox
	msg := notices.AccessActionForTech(s.c, kind, reason)
	if to == beian.AddresseeTechSupervisor {
		mailbox = nonEmpty(s.in.Config.TechSupervisorMailbox, mailbox)
		msg = notices.AccessActionForTechSupervisor(s.c, kind, reason)
	}
	if mailbox != "" {
		s.mail("tech-"+kind, []string{mailbox}, msg)
	}
}

func (s *step) setStatus(st beian.Status) {
	if s.c.Status != st {
		s.note(fmt.Sprintf("状态：%s → %s", s.c.Status.Title(), st.Title()))
	}
	s.c.Status = st
}

func (s *step) calendar() (*calendar.Calendar, error) {
	if s.in.Calendar == nil {
		return nil, fmt.Errorf("lifecycle: event %s needs the calendar", s.in.Event)
	}
	return s.in.Calendar, nil
}

func receipt(s *step) error {
	s.event("receipt_sent")
	s.toFiler("receipt", notices.Receipt(s.c))
	return nil
}

// materials ticks what arrived (R-IN-3); complete, the case goes to our review.
func materials(s *step) error {
	if unknown := markReceived(s.c, s.req.Received); len(unknown) > 0 {
		return beian.Errorf(beian.CodeInvalid, "材料清单中没有这些项目：%s", strings.Join(unknown, "、"))
	}
	s.note("收到材料：" + strings.Join(titles(s.c, s.req.Received), "、"))
	if !s.c.MaterialsComplete() {
		s.event("materials_received")
		return nil
	}
	s.event("materials_complete")
	return startReview(s)
}

// review is our review (R-RV-2): fail mails the reasons (R-RV-4), pass
// submits to the bureau (R-RV-7), or for cancel_access cancels our access.
func review(s *step) error {
	c := s.c
	if s.req.Result == "fail" {
		s.event("review_failed")
		c.ReviewReasons = s.req.Reasons
		s.setStatus(beian.StatusNeedsCorrection)
		s.note("原因：" + strings.Join(s.req.Reasons, "；"))
		s.toFiler("correction-needed", notices.CorrectionNeeded(c, s.req.Reasons))
		return nil
	}
	if !c.MaterialsComplete() { // R-RV-2: materials complete before anything is submitted
		return beian.Errorf(beian.CodeInvalidState, "材料尚未收齐，不能审核通过：%s", strings.Join(missing(c), "、"))
	}
	c.ReviewReasons = nil
	if s.req.Reason != "" { // the DNS check of R-RV-2, as the desk found it
		s.note(s.req.Reason)
	}
	if !c.Type.NeedsBureau() { // cancel_access: our own act, no bureau (R-TY)
		s.event("access_cancellation_ordered")
		s.setStatus(beian.StatusAccessCancelled)
		s.access(beian.AccessCancel, "用户申请取消接入")
		s.toFiler("access-cancelled", notices.AccessCancelled(c, "用户申请取消接入"))
		s.linked = c.LinkedCaseID != ""
		return nil
	}
	return submit(s)
}

// corrections applies a stored correction (R-RV-4, R-BR-3).
func corrections(s *step) error {
	c, cor := s.c, s.in.Correction
	s.event("corrected")
	if cor == nil {
		return beian.Errorf(beian.CodeInvalid, "更正内容为空")
	}
	if cor.CaseID != c.ID {
		return beian.Errorf(beian.CodeInvalid, "更正记录 %s 不属于此备案申请", cor.ID)
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
		// pre-approval): back to collecting materials.
		purge := beian.AddMonths(s.in.At.In(shanghai), 1) // R-RV-5: a fresh month for the new items
		c.Deadlines.PurgeAt = &purge
		s.setStatus(beian.StatusAwaitingMaterials)
		s.note("更正后材料清单有新的必需项，待收齐后再审核；" + purge.Format("2006-01-02") + " 前未收齐将删除")
		s.toFiler("materials-needed", notices.Receipt(c))
		return nil
	}
	s.setStatus(beian.StatusUnderReview)
	return nil
}

func bureauReceived(s *step) error {
	s.event("bureau_received")
	s.c.BureauReceived = true
	closeSMSByBureau(s)
	return nil
}

// closeSMSByBureau closes a pending SMS check when the bureau answers: it
// has the case only once the code was entered (R-BR-6).
func closeSMSByBureau(s *step) {
	if sms := s.c.SMS; sms != nil && sms.Status == beian.SMSPending {
		at := s.in.At
		sms.Status, sms.CompletedAt, sms.RemindAt, sms.By = beian.SMSVerified, &at, nil, "bureau"
		s.note("管局已受理，工信部短信核验视为已完成")
	}
}

// bureauDecision is the bureau's answer: returned (R-BR-3), or approved
// with the number and password (R-BR-2), which opens our access (R-AC-0),
// or for a cancellation, the number cancelled, which closes it.
func bureauDecision(s *step) error {
	c, req := s.c, s.req
	if req.BureauReceived {
		c.BureauReceived = true
	}
	c.Overdue = false
	closeSMSByBureau(s)
	if req.Decision == "returned" { // R-BR-3
		s.event("bureau_returned")
		c.Returned = true
		c.ReturnReason = req.Reason
		s.setStatus(beian.StatusBureauReturned)
		s.note("退回原因：" + req.Reason)
		s.toFiler("returned", notices.Returned(c, req.Reason))
		return nil
	}
	c.BureauReceived = true
	c.FilingNumber = req.FilingNumber
	if req.FilingPasswordSealed != "" {
		c.FilingPasswordSealed = req.FilingPasswordSealed
	}
	s.note("备案号：" + req.FilingNumber)
	if c.Type == beian.TypeCancel { // the filing number is cancelled: close our access
		s.event("filing_cancelled")
		s.setStatus(beian.StatusCancelled)
		s.access(beian.AccessCancel, "备案号已注销")
		s.toFiler("cancelled", notices.Cancelled(c))
		s.linked = c.LinkedCaseID != ""
		return nil
	}
	s.event("bureau_approved")
	s.setStatus(beian.StatusApproved)
	if c.Type != beian.TypeChange { // R-AC-0: access opens on approval, never before
		open := "备案成功，开通接入"
		if s.req.DNSNote != "" {
			open += "；" + s.req.DNSNote
		}
		s.access(beian.AccessOpen, open)
		// R-PA-6: the site opens now; 30 days for the public-security filing.
		ps := &beian.PublicSecurity{Status: beian.PublicSecurityDue, OpenedAt: s.in.At, DueAt: s.in.At.AddDate(0, 0, beian.PublicSecurityDays)}
		if old := c.PublicSecurity; old != nil && old.Status == beian.PublicSecurityRecorded {
			ps = old // a filing moved to us keeps the number it recorded
		}
		c.PublicSecurity = ps
		if ps.Status == beian.PublicSecurityDue {
			s.note("公安联网备案须在 " + ps.DueAt.In(shanghai).Format("2006-01-02") + " 前办理（R-PA-6）")
		}
	}
	s.toFiler("approved", notices.Approved(c)) // R-BR-2
	s.linked = c.LinkedCaseID != ""            // an approved change replaces the live filing
	return nil
}

func withdraw(s *step) error {
	s.event("withdrawn")
	if s.req.Reason != "" {
		s.note("原因：" + s.req.Reason)
	}
	s.setStatus(beian.StatusWithdrawn)
	s.toFiler("withdrawn", notices.Withdrawn(s.c))
	return nil
}

// requireRectification starts the 24-hour deadline (R-PA-3, R-VC-4).
func requireRectification(s *step) error {
	c := s.c
	s.event("rectification_required")
	by := s.in.At.Add(s.in.Config.RectifyWithin)
	c.Deadlines.RectifyBy = &by
	c.RectifyReason, c.RectifySource = s.req.Reason, s.req.Source
	s.setStatus(beian.StatusRectifying)
	s.note("原因：" + s.req.Reason + "；整改期限 " + by.In(shanghai).Format("2006-01-02 15:04"))
	s.toFiler("rectification", notices.RectificationRequired(c))
	return nil
}

func rectified(s *step) error {
	s.event("rectified")
	s.c.Deadlines.RectifyBy = nil
	s.setStatus(beian.StatusApproved)
	return nil
}

// restoreAccess reverses a cancellation (R-AC-1).
func restoreAccess(s *step) error {
	if s.c.Type == beian.TypeCancelAccess {
		return beian.Errorf(beian.CodeInvalidState, "取消接入申请本身不能恢复接入；请在原备案申请上操作")
	}
	// A cut that tech never carried out needs no restore: the restore
	// would tell tech to undo what it has not done (R-AC-1). The last cut
	// is one action per server IP, all requested at once; each must be
	// confirmed.
	var last time.Time
	for _, a := range s.in.AccessActions {
		if a.Kind == beian.AccessCancel && a.RequestedAt.After(last) {
			last = a.RequestedAt
		}
	}
	var unconfirmed []string
	for _, a := range s.in.AccessActions {
		if a.Kind == beian.AccessCancel && a.RequestedAt.Equal(last) && a.Status != beian.AccessConfirmed {
			unconfirmed = append(unconfirmed, strings.Join(a.ServerIPs, " "))
		}
	}
	if len(unconfirmed) > 0 {
		return beian.Errorf(beian.CodeInvalidState, "取消接入（%s 提出，服务器 %s）技术部尚未确认执行，无需恢复；请先由技术部确认，或核实后再恢复",
			last.In(shanghai).Format("2006-01-02 15:04"), strings.Join(unconfirmed, "、"))
	}
	to := beian.AddresseeTech
	if s.c.RectifySource == "verification" { // R-VC-4: restored only after a new verification passes
		var cut time.Time
		for _, a := range s.in.AccessActions {
			if a.Kind == beian.AccessCancel && a.RequestedAt.After(cut) {
				cut = a.RequestedAt
			}
		}
		if s.c.LastVerifiedAt == nil || !s.c.LastVerifiedAt.After(cut) {
			return beian.Errorf(beian.CodeInvalidState, "因核验发现问题而停止的接入，须先完成一次核验一致的电话，才能恢复（R-VC-4）")
		}
		s.note("整改合格")
		to = beian.AddresseeTechSupervisor
	}
	s.event("access_restored")
	if s.req.Reason != "" {
		s.note(s.req.Reason)
	}
	s.setStatus(beian.StatusApproved)
	s.accessFor(beian.AccessRestore, nonEmpty(s.req.Reason, "恢复接入"), to)
	s.toFiler("access-restored", notices.AccessRestored(s.c))
	return nil
}

// signalRefused records a bureau result the case could not take, and tells staff.
func signalRefused(s *step) error {
	req := s.req
	s.event("bureau_signal_refused")
	s.note(fmt.Sprintf("管局接口结果（结论 %s，备案号 %s，管局说明 %s）未能应用：%s", req.Decision, req.FilingNumber, req.Reason, req.RefusedBecause))
	s.toStaff("bureau-signal-refused", notices.BureauSignalRefused(s.c, req.Decision, req.FilingNumber, req.Reason+"；未能应用："+req.RefusedBecause))
	return nil
}

// linkedOutcome ends or replaces this live filing with the outcome of a
// change or cancellation of it (R-TY).
func linkedOutcome(s *step) error {
	c := s.c
	s.event("linked_outcome")
	target := beian.Status(s.req.Decision)
	if !c.Status.OnRecord() || (target != beian.StatusCancelled && target != beian.StatusAccessCancelled && target != beian.StatusSuperseded) {
		s.note(fmt.Sprintf("关联申请 %s 的结果（%s）未应用：本备案当前状态为%s", s.req.Reason, target, c.Status.Title()))
		return nil
	}
	c.Deadlines.RectifyBy = nil
	s.setStatus(target)
	s.note(fmt.Sprintf("由关联申请 %s 办结", s.req.Reason))
	return nil
}

// purge deletes a case whose materials never arrived (R-RV-5).
func purge(s *step) error {
	s.event("purged")
	s.setStatus(beian.StatusPurged)
	s.note("录入超过一个月未收到备案材料，已删除")
	s.toFiler("purged", notices.Purged(s.c))
	return nil
}

// overdue flags a bureau past its 20 working days and alerts staff (R-BR-4).
func overdue(s *step) error {
	s.event("bureau_overdue")
	s.c.Overdue = true
	s.note("管局超过20个工作日未给出结论，请跟进")
	s.toStaff("overdue", notices.OverdueAlert(s.c))
	return nil
}

// rectifyExpired cancels the access of a filing not rectified in time (R-PA-3, R-VC-4).
func rectifyExpired(s *step) error {
	c := s.c
	s.event("rectification_expired")
	c.Deadlines.RectifyBy = nil
	s.setStatus(beian.StatusAccessCancelled)
	reason := "24小时内未完成整改：" + c.RectifyReason
	to := beian.AddresseeTech
	if c.RectifySource == "verification" { // R-VC-4: all of the customer's access, by tech's supervisor
		to = beian.AddresseeTechSupervisor
	}
	s.accessFor(beian.AccessCancel, reason, to)
	s.toFiler("access-cancelled", notices.AccessCancelled(c, reason))
	if c.RectifySource == notices.RectifySourceSweep { // R-PA-3 ②: marketing follows the filer up
		if s.req.Reason != "" {
			s.note(s.req.Reason)
		}
		if s.in.Config.MarketingMailbox != "" {
			s.mail("marketing", []string{s.in.Config.MarketingMailbox}, notices.MarketingFollowUp(c, nonEmpty(s.req.Reason, reason)))
		}
	}
	return nil
}

// cancelAccess cancels our access to a live filing at once (R-PA-2: the
// security sheet found it illegal or off our IPs): tech cuts every server
// IP, the filer is told why.
func cancelAccess(s *step) error {
	c := s.c
	s.event("access_cancelled")
	c.Deadlines.RectifyBy = nil
	s.setStatus(beian.StatusAccessCancelled)
	s.note("原因：" + s.req.Reason)
	s.access(beian.AccessCancel, s.req.Reason)
	s.toFiler("access-cancelled", notices.AccessCancelled(c, s.req.Reason))
	return nil
}

// sweepCleared ends a shell-site rectification: at the 24 hours every
// domain resolves to us again (R-PA-3).
func sweepCleared(s *step) error {
	s.event("moved_back")
	s.c.Deadlines.RectifyBy = nil
	s.setStatus(beian.StatusApproved)
	s.note(nonEmpty(s.req.Reason, "复查：域名已解析回我公司IP，整改完成"))
	return nil
}

// sweepNXDomain ends a shell-site rectification whose domains no longer
// exist: reported to the specialist, not cut (R-PA-3).
func sweepNXDomain(s *step) error {
	s.event("sweep_nxdomain")
	s.c.Deadlines.RectifyBy = nil
	s.setStatus(beian.StatusApproved)
	s.note(nonEmpty(s.req.Reason, "复查：域名不存在") + "；未取消接入，已告知备案专员核实")
	s.toStaff("sweep-nxdomain", notices.SweepNXDomainAlert(s.c, s.req.Reason))
	return nil
}

// sweepRecheck defers a shell-site deadline the resolvers could not answer
// at: nobody is cut for a resolver's failure (R-PA-3).
func sweepRecheck(s *step) error {
	s.event("sweep_recheck_deferred")
	by := s.in.At.Add(SweepRecheckAfter)
	s.c.Deadlines.RectifyBy = &by
	s.note(nonEmpty(s.req.Reason, "复查未能解析域名") + "；不因解析故障取消接入，" + by.In(shanghai).Format("15:04") + " 再查")
	// The third hour without an answer (a lame delegation, say) needs a
	// person: the specialist is told once.
	rechecks := 0
	for _, e := range s.c.Timeline {
		switch e.Event {
		case "rectification_required":
			rechecks = 0
		case "sweep_recheck_deferred":
			rechecks++
		}
	}
	if rechecks == 2 {
		s.toStaff("sweep-recheck", notices.SweepUnresolvedAlert(s.c, s.req.Reason))
	}
	return nil
}

// verificationCall asks for a call on demand (R-VC): a task due the same
// working day (R-RV-6).
func verificationCall(s *step) error {
	s.event("verification_call_requested")
	if s.req.Reason != "" {
		s.note(s.req.Reason)
	}
	if err := callTask(s, "verification-call"); err != nil {
		return err
	}
	if s.req.Assignee != "" {
		s.t.Tasks[len(s.t.Tasks)-1].Assignee = s.req.Assignee
		s.note("指派给 " + s.req.Assignee)
	}
	return nil
}

// callOutcome is what a call task records of its calls (tasks.outcome).
type callOutcome struct {
	Outcome    string        `json:"outcome"`
	Result     string        `json:"result,omitempty"` // "match" | "mismatch"
	Mismatches []string      `json:"mismatches,omitempty"`
	Checks     []verifyCheck `json:"checks,omitempty"`
	NoAnswer   int           `json:"no_answer,omitempty"` // calls nobody answered so far
	CallbackAt *time.Time    `json:"callback_at,omitempty"`
	Dialled    string        `json:"dialled,omitempty"`
	By         string        `json:"by,omitempty"`
}

type verifyCheck struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Match    bool   `json:"match"`
}

// verificationResult records a call (R-VC-1): every answer matching
// verifies the filing; a mismatch lists what to correct and a confirming
// call follows (R-VC-3); a call nobody answered is counted, and after the
// second the specialist decides.
func verificationResult(s *step) error {
	task := s.in.Task
	if task == nil || task.ID != s.req.TaskID || task.CaseID != s.c.ID || task.Kind != beian.TaskVerificationCall {
		return beian.Errorf(beian.CodeInvalid, "任务 %s 不是本申请的核验电话", s.req.TaskID)
	}
	if task.Status != beian.TaskOpen {
		return beian.Errorf(beian.CodeInvalidState, "核验电话任务已完成，不能再次记录")
	}
	var prev callOutcome
	if task.Outcome != "" {
		_ = json.Unmarshal([]byte(task.Outcome), &prev)
	}
	out := callOutcome{Outcome: s.req.Outcome, NoAnswer: prev.NoAnswer, Dialled: s.req.Dialled, By: s.req.Actor}
	done := beian.TaskUpdate{ID: task.ID, Status: beian.TaskDone, At: s.in.At}
	switch s.req.Outcome {
	case "no_answer":
		out.NoAnswer++
		done.Status = beian.TaskOpen // the call is still to be made
		s.event("call_not_answered")
		s.note(fmt.Sprintf("第 %d 次无人接听", out.NoAnswer))
		if out.NoAnswer >= 2 {
			s.note("连续两次无人接听，请专员决定下一步")
		}
	case "answered":
		r := verify.Compare(s.c, verify.Answers{Values: s.req.Answers, Dialled: s.req.Dialled})
		for _, ch := range r.Checks {
			out.Checks = append(out.Checks, verifyCheck{Question: ch.Question, Answer: ch.Answer, Match: ch.Match})
		}
		if r.Match() {
			out.Result = "match"
			s.event("verified")
			at := s.in.At
			s.c.LastVerifiedAt = &at
			s.note("核验电话各项信息一致（R-VC-1）")
			break
		}
		out.Result, out.Mismatches = "mismatch", r.Mismatches()
		var titles []string
		for _, q := range out.Mismatches {
			titles = append(titles, verify.Title(q))
		}
		s.event("verification_mismatch")
		s.note("核验不一致：" + strings.Join(titles, "、") + "；请记录正确信息、更正资料后再次核验（R-VC-3）")
		if err := callTask(s, "verification-call-confirm"); err != nil {
			return err
		}
	case "callback": // R-VC-2: "请问您什么时间方便，我再联络您核对？"
		if !s.req.CallbackAt.After(s.in.At) {
			return beian.Errorf(beian.CodeInvalid, "回拨时间应在现在之后")
		}
		at := s.req.CallbackAt
		out.CallbackAt = &at
		done.Status, done.DueAt = beian.TaskOpen, &at // the call sleeps until then
		s.event("callback_arranged")
		s.note("对方不方便，约定 " + at.In(shanghai).Format("2006-01-02 15:04") + " 回拨")
		s.callback = true
	case "false_info", "uncooperative": // R-VC-4
		s.event("verification_" + s.req.Outcome)
		what := "信息虚假"
		if s.req.Outcome == "uncooperative" {
			what = "不配合核验"
		}
		s.note(what + "：上报客户经理上级，该客户全部备案限期 24 小时整改（R-VC-4）")
		if s.req.Reason != "" {
			s.note(s.req.Reason)
		}
		s.escalate = true
	default:
		return beian.Errorf(beian.CodeInvalid, "核验结果只能是 answered、no_answer、false_info 或 uncooperative")
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	done.Outcome = string(b)
	s.t.TaskUpdates = append(s.t.TaskUpdates, done)
	return nil
}

// callTask adds a verification call task due the same working day.
func callTask(s *step, what string) error {
	cal, err := s.calendar()
	if err != nil {
		return err
	}
	due, err := SameDay(cal, s.in.At)
	if err != nil {
		return err
	}
	s.t.Tasks = append(s.t.Tasks, beian.Task{
		Key: s.key(what), Kind: beian.TaskVerificationCall, Status: beian.TaskOpen,
		CaseID: s.c.ID, DueAt: due, Script: beian.VerificationScript(s.c), CreatedAt: s.in.At,
	})
	return nil
}

// startReview moves a case whose materials are complete into our review and
// creates the verification call task (R-RV-2, R-VC).
func startReview(s *step) error {
	s.setStatus(beian.StatusUnderReview)
	s.c.Deadlines.PurgeAt = nil
	cal, err := s.calendar()
	if err != nil {
		return err
	}
	due, err := SameDay(cal, s.in.At)
	if err != nil {
		return err
	}
	s.t.Tasks = append(s.t.Tasks, beian.Task{
		Key: s.key("verification-call"), Kind: beian.TaskVerificationCall, Status: beian.TaskOpen,
		CaseID: s.c.ID, DueAt: due, Script: beian.VerificationScript(s.c), CreatedAt: s.in.At,
	})
	return nil
}

// SameDay is when work that arrives at at is due (R-RV-6 当日事，当日毕):
// 17:30 the same day when it arrives on a working day before then, else
// 17:30 on the next working day.
func SameDay(cal *calendar.Calendar, at time.Time) (time.Time, error) {
	local := at.In(shanghai)
	closing := time.Date(local.Year(), local.Month(), local.Day(), 17, 30, 0, 0, shanghai)
	if cal.Day(local).Working && local.Before(closing) {
		return closing, nil
	}
	d, err := cal.BureauDue(at, 1)
	if err != nil {
		return time.Time{}, err
	}
	return d.At, nil
}

// submit sends a reviewed case to the bureau and starts its 20-working-day
// clock (R-RV-7, R-BR-1).
func submit(s *step) error {
	s.event("submitted")
	c := s.c
	var due time.Time
	if s.in.Config.BureauSLA > 0 {
		due = s.in.At.Add(s.in.Config.BureauSLA)
		c.BureauDueProvisional = false
	} else {
		cal, err := s.calendar()
		if err != nil {
			return err
		}
		d, err := cal.BureauDue(s.in.At, s.in.Config.BureauWorkingDays)
		if err != nil {
			return err
		}
		due = d.At
		c.BureauDueProvisional = d.Provisional
		if d.Provisional {
			s.note(fmt.Sprintf("注意：期限跨越尚无节假日数据的年份 %v，按普通周末规则暂估，请在日历中补录后核对", d.UnknownYears))
		}
	}
	c.Deadlines.BureauDueAt = &due
	c.Overdue = false
	c.BureauReceived = false
	s.setStatus(beian.StatusBureauReview)
	s.note("管局审核期限 " + due.In(shanghai).Format("2006-01-02 15:04"))
	s.toFiler("submitted", notices.Submitted(c))
	startSMS(s)
	return nil
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

// titles are the checklist titles of codes, as staff read them.
func titles(c *beian.Case, codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		t := code
		for _, it := range c.Checklist {
			if it.Code == code {
				t = it.Title
			}
		}
		out = append(out, t)
	}
	return out
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

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var shanghai = calendar.Shanghai

// startSMS opens the MIIT SMS check of a submission (R-BR-6): the filer
// has 24 hours to enter the code; a reminder goes at noon the next day.
func startSMS(s *step) {
	within := s.in.Config.SMSWithin
	if within <= 0 {
		within = DefaultSMSWithin
	}
	due := s.in.At.Add(within)
	remind := SMSRemindAt(s.in.At, due)
	s.c.SMS = &beian.SMSVerification{Status: beian.SMSPending, StartedAt: s.in.At, DueAt: due, RemindAt: &remind}
	s.note("等待工信部短信核验，" + due.In(shanghai).Format("2006-01-02 15:04") + " 前须完成（R-BR-6）")
	s.toFiler("sms-check", notices.SMSCheck(s.c, due))
}

// SMSRemindAt is when the filer is reminded of a pending SMS check
// started at start and due at due: noon the next day in Beijing, when the
// MIIT sends the code again (R-BR-6); when that noon is not well inside the
// window, an eighth of the window before it ends (three hours of 24).
func SMSRemindAt(start, due time.Time) time.Time {
	l := start.In(shanghai)
	noon := time.Date(l.Year(), l.Month(), l.Day()+1, 12, 0, 0, 0, shanghai)
	latest := due.Add(-due.Sub(start) / 8)
	if noon.After(latest) {
		return latest
	}
	return noon
}

// smsVerified records that the filer entered the code (R-BR-6). The bureau
// receives the case only now, so its 20 working days count from today when
// that is a later working day (R-BR-1).
func smsVerified(s *step) error {
	c := s.c
	sms := c.SMS
	if sms == nil || sms.Status != beian.SMSPending {
		return beian.Errorf(beian.CodeInvalidState, "该申请没有待完成的工信部短信核验")
	}
	s.event("sms_verified")
	at := s.in.At
	sms.Status, sms.CompletedAt, sms.RemindAt, sms.By = beian.SMSVerified, &at, nil, s.req.Actor
	s.note("用户已完成工信部短信核验")
	var due time.Time
	if s.in.Config.BureauSLA > 0 {
		due = at.Add(s.in.Config.BureauSLA)
	} else {
		cal, err := s.calendar()
		if err != nil {
			return err
		}
		d, err := cal.BureauDue(at, s.in.Config.BureauWorkingDays)
		if err != nil {
			return err
		}
		due = d.At
		if d.Provisional {
			c.BureauDueProvisional = true
		}
	}
	if old := c.Deadlines.BureauDueAt; old == nil || due.After(*old) {
		c.Deadlines.BureauDueAt = &due
		s.note("管局审核期限顺延至 " + due.In(shanghai).Format("2006-01-02 15:04") + "（R-BR-1：自管局收到材料起计）")
	}
	return nil
}

// smsReminder reminds the filer of the pending code (R-BR-6).
func smsReminder(s *step) error {
	sms := s.c.SMS
	if sms == nil || sms.Status != beian.SMSPending {
		return nil
	}
	s.event("sms_reminded")
	at := s.in.At
	sms.RemindAt, sms.RemindedAt = nil, &at
	s.note("已提醒用户完成工信部短信核验")
	s.toFiler("sms-reminder", notices.SMSReminder(s.c, sms.DueAt))
	return nil
}

// smsExpired returns a filing whose code was not entered in 24 hours, as
// the MIIT system does (R-BR-6): the filer and the specialist are told;
// correcting and submitting it again starts a new check.
func smsExpired(s *step) error {
	c := s.c
	sms := c.SMS
	if sms == nil || sms.Status != beian.SMSPending {
		return nil
	}
	s.event("sms_expired")
	at := s.in.At
	sms.Status, sms.CompletedAt, sms.RemindAt = beian.SMSExpired, &at, nil
	c.Returned = true
	c.ReturnReason = notices.SMSReason
	c.Overdue = false
	s.setStatus(beian.StatusBureauReturned)
	s.note("退回原因：" + notices.SMSReason + "（R-BR-6）")
	s.toFiler("returned", notices.Returned(c, notices.SMSReason+"：提交后 24 小时内未在工信部备案系统输入短信验证码"))
	s.toStaff("sms-expired", notices.SMSExpiredAlert(c))
	return nil
}

// PublicSecurityPattern is the form of a public-security filing number:
// the province's one-character abbreviation, 公网安备, 14 digits, 号 (R-PA-6).
var PublicSecurityPattern = regexp.MustCompile(`^\p{Han}公网安备\d{14}号$`)

// NormalisePublicSecurity tidies a typed public-security number: spaces
// and full-width digits as filers type them.
func NormalisePublicSecurity(n string) string {
	n = strings.Join(strings.Fields(n), "")
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, n)
}

// publicSecurity records the site's public-security number (R-PA-6).
func publicSecurity(s *step) error {
	c := s.c
	n := NormalisePublicSecurity(s.req.PublicSecurityNumber)
	if !PublicSecurityPattern.MatchString(n) {
		return beian.Errorf(beian.CodeInvalid, "公安备案号格式应为「省简称+公网安备+14位数字+号」，如「苏公网安备32050502000001号」")
	}
	s.event("public_security_recorded")
	at := s.in.At
	ps := c.PublicSecurity
	if ps == nil {
		ps = &beian.PublicSecurity{OpenedAt: at, DueAt: at}
		c.PublicSecurity = ps
	}
	if ps.Status == beian.PublicSecurityOverdue {
		s.note("（已逾期 " + fmt.Sprint(int(at.Sub(ps.DueAt).Hours()/24)) + " 天）")
	}
	ps.Status, ps.Number, ps.RecordedAt, ps.RecordedBy = beian.PublicSecurityRecorded, n, &at, s.req.Actor
	s.note("公安联网备案号：" + n)
	return nil
}

// publicSecurityReminder reminds the filer on day 20 and day 28 (R-PA-6).
func publicSecurityReminder(s *step) error {
	ps := s.c.PublicSecurity
	if ps == nil || ps.Status != beian.PublicSecurityDue {
		return nil
	}
	if _, ok := ps.NextReminder(); !ok {
		return nil
	}
	day := beian.PublicSecurityReminderDays[ps.Reminded]
	ps.Reminded++
	s.event("public_security_reminded")
	s.note(fmt.Sprintf("第 %d 天：已提醒用户办理公安联网备案（%s 前）", day, ps.DueAt.In(shanghai).Format("2006-01-02")))
	s.toFiler(fmt.Sprintf("public-security-%d", day), notices.PublicSecurityReminder(s.c, ps))
	return nil
}

// publicSecurityOverdue marks a site past its 30 days without a number
// (R-PA-6) and tells the specialist.
func publicSecurityOverdue(s *step) error {
	ps := s.c.PublicSecurity
	if ps == nil || ps.Status != beian.PublicSecurityDue {
		return nil
	}
	ps.Status = beian.PublicSecurityOverdue
	s.event("public_security_overdue")
	s.note(fmt.Sprintf("开通已超过 %d 天，仍未登记公安联网备案号（R-PA-6）", beian.PublicSecurityDays))
	s.toStaff("public-security-overdue", notices.PublicSecurityOverdueAlert(s.c, ps))
	return nil
}

// Alarm is a timer a case needs besides its one main deadline: the SMS
// check's reminder and expiry (R-BR-6), the public-security reminders and
// due date (R-PA-6).
type Alarm struct {
	At    time.Time
	Event string
}

// Alarms are the case's alarms as it stands, soonest first.
func Alarms(c *beian.Case) []Alarm {
	var out []Alarm
	if sms := c.SMS; c.Status == beian.StatusBureauReview && sms != nil && sms.Status == beian.SMSPending {
		if sms.RemindAt != nil {
			out = append(out, Alarm{At: *sms.RemindAt, Event: EventSMSReminder})
		}
		out = append(out, Alarm{At: sms.DueAt, Event: EventSMSExpired})
	}
	live := c.Status == beian.StatusApproved || c.Status == beian.StatusRectifying // a cut site is not reminded
	if ps := c.PublicSecurity; live && ps != nil && ps.Status == beian.PublicSecurityDue {
		if next, ok := ps.NextReminder(); ok && next.Before(ps.DueAt) {
			out = append(out, Alarm{At: next, Event: EventPublicSecurityReminder})
		}
		out = append(out, Alarm{At: ps.DueAt, Event: EventPublicSecurityOverdue})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
