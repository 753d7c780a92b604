package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/workflows"
)

// CheckResult is the dry run of an intake: every rule, nothing written.
type CheckResult struct {
	Violations   []beian.Violation
	Checklist    []beian.ChecklistItem
	Routing      beian.Routing
	EmailSubject string
	// Notes are what staff must tell the filer besides the violations
	// (e.g. the 电子公告 special filing for interactive sites).
	Notes []string
}

// OK reports whether the case passes every rule.
func (r CheckResult) OK() bool { return len(r.Violations) == 0 }

// Overridable are the violation codes a supervisor may accept case by case:
// the manual states them as judgement ("个人网站网站名称一般不允许带有地域名称"),
// and a word list cannot judge every name (白云和平 contains the county 云和).
var Overridable = map[string]bool{
	"REGION_NAME_IN_PERSONAL_SITE": true,
	"NATIONAL_WORD_IN_SITE_NAME":   true,
}

// ViolationsError is the 422 error of a list of broken rules.
func ViolationsError(vs []beian.Violation) error {
	return &beian.Error{Code: beian.CodeViolations, Message: "备案信息有 " + strconv.Itoa(len(vs)) + " 处不符合要求", Violations: vs}
}

// Check is the dry run of Create: every intake rule and the R-IN-5
// conflicts, reported at once as violations, changing nothing. cs is
// normalised in place (domains in punycode, routing, customer).
func (s *Service) Check(ctx context.Context, cs *beian.Case, password string) (CheckResult, error) {
	res, err := s.prepare(ctx, cs, password)
	if err != nil {
		return CheckResult{}, err
	}
	conflicts, err := s.conflictViolations(ctx, cs) // R-IN-5, which Create answers with 409
	if err != nil {
		return CheckResult{}, err
	}
	res.Violations = append(res.Violations, conflicts...)
	return CheckResult{Violations: res.Violations, Checklist: res.Checklist, Routing: res.Routing, EmailSubject: res.EmailSubject, Notes: res.Notes}, nil
}

// WarningWorkflowPending is the warning of a case saved while the workflow
// engine is down: its workflow starts once the engine is back.
const WarningWorkflowPending = "流程引擎暂不可用，系统恢复后自动启动流程"

// Create checks and opens a case (AWAITING_MATERIALS) and starts its
// workflow. overrides are judgement rules a supervisor accepts for it. The
// warning is WarningWorkflowPending when the case is saved but the engine is
// down (the reconciler starts the workflow later).
func (s *Service) Create(ctx context.Context, who Actor, cs *beian.Case, password string, overrides []string) (created *beian.Case, warning string, err error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, "", err
	}
	res, err := s.prepare(ctx, cs, password)
	if err != nil {
		return nil, "", err
	}
	accepted, acceptedCodes, err := applyOverrides(who, overrides, nil, &res)
	if err != nil {
		return nil, "", err
	}
	if len(res.Violations) > 0 {
		return nil, "", ViolationsError(res.Violations)
	}
	cs.AcceptedOverrides = acceptedCodes
	if err := s.sponsorConflict(ctx, cs); err != nil { // R-IN-5
		return nil, "", err
	}
	if err := s.linkToLiveFiling(ctx, cs); err != nil { // R-TY
		return nil, "", err
	}
	now := s.now()
	if cs.ID == "" { // a caller may choose the ID, e.g. from a form's key, to make a double submit one case
		cs.ID = NewID()
	}
	cs.WorkflowID = workflows.WorkflowID(cs.ID)
	cs.Status = beian.StatusAwaitingMaterials
	cs.Routing, cs.Checklist, cs.EmailSubject = res.Routing, res.Checklist, res.EmailSubject
	cs.CreatedBy = who.Name
	cs.CreatedAt = now
	purge := beian.AddMonths(now.In(Shanghai), 1) // R-RV-5: one calendar month
	if s.Config.PurgeAfter > 0 {
		purge = now.Add(s.Config.PurgeAfter)
	}
	cs.Deadlines.PurgeAt = &purge
	if password != "" {
		sealed, err := s.Box.Seal(password) // R-BR-2: encrypted at rest
		if err != nil {
			return nil, "", err
		}
		cs.FilingPasswordSealed = sealed
	}
	if err := s.Store.CreateCase(ctx, cs); err != nil {
		return nil, "", err
	}
	if err := s.recordOverrides(ctx, who, cs, accepted); err != nil {
		return nil, "", err
	}
	if err := s.Engine.Start(ctx, workflows.InputFor(cs)); err != nil {
		// The case is saved: the worker's reconcile loop starts its workflow
		// once Temporal is back.
		s.Logger.ErrorContext(ctx, "start workflow", "case_id", cs.ID, "error", err.Error())
		warning = WarningWorkflowPending
	}
	out, err := s.Store.GetCase(ctx, cs.ID)
	return out, warning, err
}

// Case returns one case (its secrets sealed; see Reveal).
func (s *Service) Case(ctx context.Context, id string) (*beian.Case, error) {
	return s.Store.GetCase(ctx, id)
}

// Cases returns a page of the cases f selects.
func (s *Service) Cases(ctx context.Context, f beian.CaseFilter) (beian.CasePage, error) {
	if f.Status != "" && !f.Status.Valid() {
		return beian.CasePage{}, beian.Errorf(beian.CodeInvalid, "未知状态 %s", f.Status)
	}
	if f.Limit < 0 || f.Limit > 200 {
		return beian.CasePage{}, beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 200 之间的整数")
	}
	if f.Sort != "" && f.Sort != beian.SortDue {
		return beian.CasePage{}, beian.Errorf(beian.CodeInvalid, "sort 只能是 due（按管局期限）或留空（按创建时间倒序）")
	}
	f.Domain = ListDomain(f.Domain)
	return s.Store.ListCases(ctx, f)
}

// MayReveal is a CodeForbidden error unless who may see numbers in clear.
func MayReveal(who Actor) error {
	if who.Role != beian.RoleSupervisor && who.Role != beian.RoleAdmin {
		return beian.Errorf(beian.CodeForbidden, "只有主管或管理员可以查看完整证件号码、电话号码和备案密码")
	}
	return nil
}

// Reveal opens the case's filing password for a supervisor or admin who
// asks to see the case's numbers in clear, and audits the look (R-BR-2).
func (s *Service) Reveal(ctx context.Context, who Actor, cs *beian.Case) (password string, err error) {
	if err := MayReveal(who); err != nil {
		return "", err
	}
	password, err = s.Box.Open(cs.FilingPasswordSealed)
	if err != nil {
		return "", err
	}
	err = s.Audit(ctx, who, "reveal", "case/"+cs.ID, "查看完整证件号码和备案密码 "+cs.CaseNo)
	return password, err
}

// actTimeout bounds how long a caller waits for a workflow update.
const actTimeout = 30 * time.Second

// ErrActPending is the answer when an update was sent but has not completed
// in time: it stays queued in the workflow and completes when the worker or
// database is back.
var ErrActPending = beian.Errorf(beian.CodeUnavailable, "操作已提交但尚未完成（流程引擎或数据库繁忙），请稍后查看该申请；用同一 Idempotency-Key 重试不会重复执行")

// staffActions are the roles that may take each action on a case.
var staffActions = map[beian.Action][]string{
	beian.ActionMaterials:      {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionReview:         {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionCorrections:    {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionBureauReceived: {beian.RoleSpecialist, beian.RoleSupervisor, beian.RoleBureau},
	beian.ActionBureauDecision: {beian.RoleSpecialist, beian.RoleSupervisor, beian.RoleBureau},
	beian.ActionWithdraw:       {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionRequireRectify: {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionRectified:      {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionRestoreAccess:  {beian.RoleSupervisor},
	beian.ActionCancelAccess:   {beian.RoleSupervisor},
	beian.ActionSMSVerified:    {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionPublicSecurity: {beian.RoleSpecialist, beian.RoleSupervisor},

	beian.ActionVerificationCall:   {beian.RoleSpecialist, beian.RoleSupervisor},
	beian.ActionVerificationResult: {beian.RoleSpecialist, beian.RoleSupervisor},
}

// MayReadCaseWork reports whether who sees a case's mails and tasks (the
// desk's own work): specialists and supervisors, not the bureau integration.
func MayReadCaseWork(who Actor) bool { return who.Is(beian.RoleSpecialist, beian.RoleSupervisor) }

// MayConfirmAccess reports whether who confirms access actions (tech, R-AC-1).
func MayConfirmAccess(who Actor) bool { return who.Is(beian.RoleTech) }

// MayOverride reports whether who may accept the judgement rules for a case.
func MayOverride(who Actor) bool { return who.Is(beian.RoleSupervisor) }

// AcceptOverrides is what is left of violations once who accepts the
// requested judgement rules (supervisors only; overridable codes only), as
// Create and Correct decide it.
func AcceptOverrides(who Actor, requested []string, vs []beian.Violation) ([]beian.Violation, error) {
	res := intake.Result{Violations: vs}
	if _, _, err := applyOverrides(who, requested, nil, &res); err != nil {
		return nil, err
	}
	return res.Violations, nil
}

// MayAct reports whether who may take action a at all (whatever the status).
func MayAct(who Actor, a beian.Action) bool { return who.Is(staffActions[a]...) }

// Act runs a staff action on a case's workflow as an update and waits for
// it. key (an Idempotency-Key, a form's token) makes a repeat one update.
func (s *Service) Act(ctx context.Context, who Actor, caseID string, a beian.Action, req workflows.ActionRequest, key string) error {
	if err := who.Require(staffActions[a]...); err != nil {
		return err
	}
	if err := workflows.ValidateRequest(a, req); err != nil {
		return err
	}
	if _, err := s.Store.GetCase(ctx, caseID); err != nil {
		return err
	}
	req.Actor = who.Name
	updateID := ""
	if key != "" {
		updateID = string(a) + ":" + who.Name + ":" + key
	}
	actx, cancel := context.WithTimeout(ctx, actTimeout)
	defer cancel()
	_, err := s.Engine.Act(actx, caseID, a, req, updateID)
	if errors.Is(err, workflows.ErrNoWorkflow) {
		// Saved while Temporal was down and not started yet by the
		// reconciler: start it now (as the reconciler would) and act.
		if cs, gerr := s.Store.GetCase(ctx, caseID); gerr == nil && !cs.Status.Terminal() {
			if serr := s.Engine.Start(actx, workflows.InputFor(cs)); serr == nil {
				s.Logger.InfoContext(ctx, "started the workflow of a case saved without one", "case_id", caseID)
				_, err = s.Engine.Act(actx, caseID, a, req, updateID)
			}
		}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || actx.Err() != nil {
			return ErrActPending
		}
		return err
	}
	return nil
}

// Materials records received checklist items (R-IN-3); when every required
// item is in, the case moves to UNDER_REVIEW.
func (s *Service) Materials(ctx context.Context, who Actor, caseID string, received []string, key string) error {
	if len(received) == 0 {
		return beian.Errorf(beian.CodeInvalid, "received 不能为空：请列出已收到的材料代码")
	}
	return s.Act(ctx, who, caseID, beian.ActionMaterials, workflows.ActionRequest{Received: received}, key)
}

// BureauDecision is the bureau's answer: approved with a number, returned
// with a reason, or only received (R-BR-1..3).
type BureauDecision struct {
	Decision       string // "approved", "returned", or "" with Received
	FilingNumber   string
	FilingPassword string
	Reason         string
	Received       bool
}

// RecordBureauDecision records the bureau's answer as an update, or, with
// async, as a signal applied when the case can take it (the bureau
// integration). The password is sealed before it reaches the workflow.
func (s *Service) RecordBureauDecision(ctx context.Context, who Actor, caseID string, b BureauDecision, async bool, key string) error {
	if err := who.Require(staffActions[beian.ActionBureauDecision]...); err != nil {
		return err
	}
	req := workflows.ActionRequest{
		Decision: b.Decision, FilingNumber: strings.TrimSpace(b.FilingNumber), Reason: strings.TrimSpace(b.Reason), BureauReceived: b.Received,
	}
	action := beian.ActionBureauDecision
	if b.Decision == "approved" && req.FilingNumber == "" {
		// change and transfer_in keep their existing number (R-TY)
		cur, err := s.Store.GetCase(ctx, caseID)
		if err != nil {
			return err
		}
		req.FilingNumber = cur.FilingNumber
	}
	if b.Decision == "" {
		if !b.Received {
			return beian.Errorf(beian.CodeInvalid, "需要 decision（approved 或 returned）或 received: true")
		}
		action = beian.ActionBureauReceived
	} else if err := workflows.ValidateRequest(action, req); err != nil {
		return err
	}
	if b.FilingPassword != "" {
		sealed, err := s.Box.Seal(b.FilingPassword) // never in clear in workflow history
		if err != nil {
			return err
		}
		req.FilingPasswordSealed = sealed
	}
	if b.Decision == "approved" {
		req.DNSNote = s.openingDNSNote(ctx, caseID)
	}
	if async {
		if _, err := s.Store.GetCase(ctx, caseID); err != nil {
			return err
		}
		req.Actor = who.Name
		return s.Engine.Signal(ctx, caseID, req)
	}
	return s.Act(ctx, who, caseID, action, req, key)
}

// RectificationSources are where an order to rectify may come from.
var RectificationSources = []string{"manual", "sweep", "verification", "security"}

// RequireRectification orders a live filing to rectify within 24 hours (R-PA-3, R-VC-4).
func (s *Service) RequireRectification(ctx context.Context, who Actor, caseID, reason, source, key string) error {
	switch source {
	case "":
		source = "manual"
	case "manual", "sweep", "verification", "security":
	default:
		return beian.Errorf(beian.CodeInvalid, "source 只能是 manual、sweep、verification 或 security")
	}
	return s.Act(ctx, who, caseID, beian.ActionRequireRectify, workflows.ActionRequest{Reason: strings.TrimSpace(reason), Source: source}, key)
}

// Correction is corrected case data as staff give it: the whole case after
// the correction (type, sponsor, principal, website, filing number), the new
// filing password when one is given, and the judgement rules a supervisor
// accepts now.
type Correction struct {
	Case           *beian.Case
	FilingPassword string
	Overrides      []string
}

// Correct checks a correction with every intake rule, stores it and applies
// it to the case's workflow (back to UNDER_REVIEW, or AWAITING_MATERIALS when
// it needs more materials). Personal data stays out of workflow history: the
// update carries only the stored correction's ID.
func (s *Service) Correct(ctx context.Context, who Actor, caseID string, in Correction, key string) error {
	if err := who.Require(staffActions[beian.ActionCorrections]...); err != nil {
		return err
	}
	cur, err := s.Store.GetCase(ctx, caseID)
	if err != nil {
		return err
	}
	next := in.Case
	if next.Type != cur.Type {
		return beian.Errorf(beian.CodeInvalid, "更正不能改变备案类型；请撤回后重新申请")
	}
	if next.FilingNumber == "" {
		next.FilingNumber = cur.FilingNumber
	}
	next.FilingPasswordSealed = cur.FilingPasswordSealed
	if in.FilingPassword != "" {
		sealed, err := s.Box.Seal(in.FilingPassword)
		if err != nil {
			return err
		}
		next.FilingPasswordSealed = sealed
	}
	password := in.FilingPassword
	if password == "" && next.FilingPasswordSealed != "" {
		if password, err = s.Box.Open(next.FilingPasswordSealed); err != nil {
			return err
		}
	}
	res, err := s.prepare(ctx, next, password)
	if err != nil {
		return err
	}
	accepted, acceptedCodes, err := applyOverrides(who, in.Overrides, cur.AcceptedOverrides, &res)
	if err != nil {
		return err
	}
	if len(res.Violations) > 0 {
		return ViolationsError(res.Violations)
	}
	if cur.LinkedCaseID != "" && next.FilingNumber != cur.FilingNumber {
		return beian.Errorf(beian.CodeInvalid, "本申请办理的是备案号 %s 的%s，不能更正备案号；如备案号有误请撤回后重新申请", cur.FilingNumber, cur.Type.Title())
	}
	if err := cur.Status.Allows(beian.ActionCorrections); err != nil {
		return err // before storing a correction that could never apply
	}
	cor := &beian.Correction{
		CaseID: cur.ID, Sponsor: next.Sponsor, Principal: next.Principal, Website: next.Website,
		Routing: res.Routing, Checklist: keepReceived(res.Checklist, cur.Checklist), EmailSubject: res.EmailSubject,
		FilingPasswordSealed: next.FilingPasswordSealed, CustomerID: next.CustomerID, FilingNumber: next.FilingNumber, AcceptedOverrides: acceptedCodes,
		CreatedBy: who.Name,
	}
	if err := s.Store.SaveCorrection(ctx, cor); err != nil {
		return err
	}
	if err := s.Act(ctx, who, cur.ID, beian.ActionCorrections, workflows.ActionRequest{CorrectionID: cor.ID}, key); err != nil {
		return err
	}
	// Accepted overrides go on the record once the correction is applied.
	return s.recordOverrides(ctx, who, cur, accepted)
}

// keepReceived carries the received marks of the old checklist over to the
// new one, so a correction does not ask again for what has arrived.
func keepReceived(next, prev []beian.ChecklistItem) []beian.ChecklistItem {
	got := map[string]bool{}
	for _, it := range prev {
		if it.Received {
			got[it.Code] = true
		}
	}
	out := make([]beian.ChecklistItem, len(next))
	for i, it := range next {
		it.Received = it.Received || got[it.Code]
		out[i] = it
	}
	return out
}

// applyOverrides drops the violations whose codes are accepted: those a
// supervisor accepts now (requested; supervisors and admins only, overridable
// codes only) and those accepted before for this case (remembered). It
// returns the violations newly accepted and the codes now accepted in all.
func applyOverrides(who Actor, requested, remembered []string, res *intake.Result) ([]beian.Violation, []string, error) {
	accept := map[string]bool{}
	for _, code := range remembered {
		accept[code] = true
	}
	fresh := map[string]bool{}
	if len(requested) > 0 {
		if who.Role != beian.RoleSupervisor && who.Role != beian.RoleAdmin {
			return nil, nil, beian.Errorf(beian.CodeForbidden, "只有主管可以接受规则例外（overrides）")
		}
		for _, code := range requested {
			if !Overridable[code] {
				return nil, nil, beian.Errorf(beian.CodeInvalid, "规则 %s 不能例外放行；可放行的只有地域名称和国家字样两项判断规则", code)
			}
			if !accept[code] {
				fresh[code] = true
			}
			accept[code] = true
		}
	}
	var kept, accepted []beian.Violation
	for _, v := range res.Violations {
		switch {
		case fresh[v.Code]:
			accepted = append(accepted, v)
		case accept[v.Code]:
		default:
			kept = append(kept, v)
		}
	}
	res.Violations = kept
	var all []string
	for _, code := range []string{"REGION_NAME_IN_PERSONAL_SITE", "NATIONAL_WORD_IN_SITE_NAME"} {
		if accept[code] {
			all = append(all, code)
		}
	}
	return accepted, all, nil
}

// recordOverrides puts accepted violations on the case's timeline and in the
// audit log: who accepted what, and the rule's own words.
func (s *Service) recordOverrides(ctx context.Context, who Actor, cs *beian.Case, accepted []beian.Violation) error {
	for _, v := range accepted {
		detail := fmt.Sprintf("主管接受规则例外 %s（%s）：%s", v.Code, v.Rule, v.Message)
		if err := s.Store.AddEvent(ctx, cs.ID, beian.Event{At: s.now(), Event: "rule_overridden", Actor: who.Name, Detail: detail}); err != nil {
			return err
		}
		if err := s.Audit(ctx, who, "override", "case/"+cs.ID, detail); err != nil {
			return err
		}
	}
	return nil
}

// Mails lists the mail the case has sent or queued (the outbox).
func (s *Service) Mails(ctx context.Context, caseID string) ([]beian.Mail, error) {
	if _, err := s.Store.GetCase(ctx, caseID); err != nil {
		return nil, err
	}
	return s.Store.ListMails(ctx, caseID)
}

// ConfirmAccessAction records that tech carried out an access action (R-AC-1).
func (s *Service) ConfirmAccessAction(ctx context.Context, who Actor, id, note string) (*beian.AccessAction, error) {
	if err := who.Require(beian.RoleTech); err != nil {
		return nil, err
	}
	return s.Store.ConfirmAccessAction(ctx, id, who.Name, s.now(), strings.TrimSpace(note))
}
