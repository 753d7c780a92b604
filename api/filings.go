package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/workflows"
)

// checkResultJSON is the answer of POST /filings/check.
type checkResultJSON struct {
	OK           bool                `json:"ok"`
	Violations   []violationJSON     `json:"violations"`
	Checklist    []checklistItemJSON `json:"checklist"`
	Routing      routingJSON         `json:"routing"`
	EmailSubject string              `json:"email_subject"`
	// Notes are what staff must tell the filer besides the violations
	// (e.g. the 电子公告 special filing for interactive sites).
	Notes []string `json:"notes"`
}

// prepare runs every intake rule on a case built from a body: routing by
// server IP (R-ENT-1/2), the reviewing bureau (R-ENT-3), the checklist
// (R-IN-2), the email subject (R-IN-3), the field rules (R-IN-*) with the
// rules in force (admins may override them), the blacklist (R-IN-6) and the
// customer's active access product for every server IP (R-ENT-2, R-RV-1),
// whose holder it sets as c.CustomerID.
// POST /filings, /filings/check and /corrections share it.
// password is the clear filing password when one was given (its presence is
// checked for change, cancel and transfer types, R-TY).
func (s *Server) prepare(ctx context.Context, c *beian.Case, password string) (intake.Result, error) {
	rules, err := s.d.Rules(ctx)
	if err != nil {
		return intake.Result{}, err
	}
	dcs, err := s.d.Store.ListDataCentres(ctx)
	if err != nil {
		return intake.Result{}, err
	}
	blacklist, err := s.d.Store.ListBlacklist(ctx) // R-IN-6
	if err != nil {
		return intake.Result{}, err
	}
	res := intake.Check(c, intake.Input{
		Rules: rules, DataCentres: dcs, Now: s.d.Now(), FilingPassword: password, Blacklist: blacklistForIntake(blacklist),
	})
	res.Routing.BureauProvince = c.Sponsor.Province // R-ENT-3: the sponsor's bureau reviews

	// R-ENT-2, R-RV-1: product first, filing second.
	products, err := s.checkProducts(ctx, c, res.Violations)
	if err != nil {
		return intake.Result{}, err
	}
	res.Violations = append(res.Violations, products.Violations...)
	c.CustomerID = products.CustomerID // the holder of the active product owning the server IPs
	return res, nil
}

func violationsError(vs []beian.Violation) error {
	return &beian.Error{Code: beian.CodeViolations, Message: "备案信息有 " + strconv.Itoa(len(vs)) + " 处不符合要求", Violations: vs}
}

// checkFiling is the dry run of POST /filings: every intake rule and the
// R-IN-5 conflicts, reported at once as violations, changing nothing.
func (s *Server) checkFiling(c echo.Context) error {
	var b filingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cs := caseFromBody(b)
	res, err := s.prepare(ctx, cs, b.FilingPassword)
	if err != nil {
		return err
	}
	conflicts, err := s.conflictViolations(ctx, cs) // R-IN-5, which POST /filings answers with 409
	if err != nil {
		return err
	}
	res.Violations = append(res.Violations, conflicts...)
	out := checkResultJSON{
		OK: len(res.Violations) == 0, Violations: violationsJSON(res.Violations), Checklist: []checklistItemJSON{},
		Notes: append([]string{}, res.Notes...),
		Routing: routingJSON{
			Province: res.Routing.Province, DataCentre: res.Routing.DataCentre, AccessProvider: res.Routing.AccessProvider,
			Mailbox: res.Routing.Mailbox, BureauProvince: res.Routing.BureauProvince,
		},
		EmailSubject: res.EmailSubject,
	}
	for _, it := range res.Checklist {
		out.Checklist = append(out.Checklist, checklistItemJSON{Code: it.Code, Title: it.Title, Note: it.Note, Required: it.Required, Received: it.Received})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createFiling(c echo.Context) error {
	ctx := c.Request().Context()
	var b filingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	cs := caseFromBody(b)
	res, err := s.prepare(ctx, cs, b.FilingPassword)
	if err != nil {
		return err
	}
	accepted, acceptedCodes, err := s.applyOverrides(c, b.Overrides, nil, &res)
	if err != nil {
		return err
	}
	if len(res.Violations) > 0 {
		return violationsError(res.Violations)
	}
	cs.AcceptedOverrides = acceptedCodes
	if err := s.sponsorConflict(ctx, cs); err != nil { // R-IN-5
		return err
	}
	if err := s.linkToLiveFiling(ctx, cs); err != nil { // R-TY
		return err
	}
	now := s.d.Now()
	cs.ID = newUUID()
	cs.WorkflowID = workflows.WorkflowID(cs.ID)
	cs.Status = beian.StatusAwaitingMaterials
	cs.Routing, cs.Checklist, cs.EmailSubject = res.Routing, res.Checklist, res.EmailSubject
	cs.CreatedBy = caller(c).Name
	cs.CreatedAt = now
	purge := beian.AddMonths(now.In(shanghai), 1) // R-RV-5: one calendar month
	if s.d.Config.PurgeAfter > 0 {
		purge = now.Add(s.d.Config.PurgeAfter)
	}
	cs.Deadlines.PurgeAt = &purge
	if b.FilingPassword != "" {
		sealed, err := s.d.Box.Seal(b.FilingPassword) // R-BR-2: encrypted at rest
		if err != nil {
			return err
		}
		cs.FilingPasswordSealed = sealed
	}
	if err := s.d.Store.CreateCase(ctx, cs); err != nil {
		return err
	}
	c.Set(ctxCaseID, cs.ID)
	if err := s.recordOverrides(c, cs, accepted); err != nil {
		return err
	}
	if err := s.d.Engine.Start(ctx, workflows.InputFor(cs)); err != nil {
		// The case is saved: the worker's reconcile loop starts its workflow
		// once Temporal is back. Answer 202 with the case, not an error, so
		// that the answer is kept under the Idempotency-Key and a retry gets
		// this case back instead of a DOMAIN_CONFLICT with itself.
		s.d.Logger.ErrorContext(ctx, "start workflow", "case_id", cs.ID, "error", err.Error())
		return s.respondCaseWarning(c, cs.ID, http.StatusAccepted, WarningWorkflowPending)
	}
	return s.respondCase(c, cs.ID, http.StatusCreated)
}

// WarningWorkflowPending is the warning of a 202 answer to POST /filings: the
// case is saved but its workflow has not started yet.
const WarningWorkflowPending = "流程引擎暂不可用，系统恢复后自动启动流程"

// respondCase answers with the case as it now is. ?reveal=true shows ID
// numbers and the filing password to supervisors and admins, and is audited.
func (s *Server) respondCase(c echo.Context, id string, status int) error {
	return s.respondCaseWarning(c, id, status, "")
}

// respondCaseWarning is respondCase with a warning for staff in the body.
func (s *Server) respondCaseWarning(c echo.Context, id string, status int, warning string) error {
	ctx := c.Request().Context()
	cs, err := s.d.Store.GetCase(ctx, id)
	if err != nil {
		return err
	}
	reveal, password, err := s.reveal(c, cs)
	if err != nil {
		return err
	}
	out := caseToJSON(cs, reveal, password)
	out.Warning = warning
	return c.JSON(status, out)
}

// reveal reports whether the answer may show the case's numbers and
// password in clear: only a GET (a read, never stored under an
// Idempotency-Key) by a supervisor or admin asking with ?reveal=true, and
// then the look is audited. A write answers masked whatever it asks; the
// refuseRevealOnWrite middleware refuses such a write before it starts.
func (s *Server) reveal(c echo.Context, cs *beian.Case) (bool, string, error) {
	if !wantsReveal(c) || c.Request().Method != http.MethodGet {
		return false, "", nil
	}
	who, err := s.mayReveal(c)
	if err != nil {
		return false, "", err
	}
	password, err := s.d.Box.Open(cs.FilingPasswordSealed)
	if err != nil {
		return false, "", err
	}
	err = s.d.Store.Audit(c.Request().Context(), beian.AuditEntry{
		At: s.d.Now(), Actor: who.Name, Action: "reveal", Target: "case/" + cs.ID,
		Detail: "查看完整证件号码和备案密码 " + cs.CaseNo,
	})
	return err == nil, password, err
}

func (s *Server) getFiling(c echo.Context) error {
	c.Set(ctxCaseID, c.Param("id"))
	return s.respondCase(c, c.Param("id"), http.StatusOK)
}

type listJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (s *Server) listFilings(c echo.Context) error {
	f := beian.CaseFilter{
		Status: beian.Status(c.QueryParam("status")), Province: c.QueryParam("province"),
		SystemProvince: c.QueryParam("system_province"), BureauProvince: c.QueryParam("bureau_province"),
		Domain: listDomain(c.QueryParam("domain")), Q: c.QueryParam("q"),
		Cursor: c.QueryParam("cursor"),
	}
	if f.Status != "" && !f.Status.Valid() {
		return beian.Errorf(beian.CodeInvalid, "未知状态 %s", f.Status)
	}
	if v := c.QueryParam("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return beian.Errorf(beian.CodeInvalid, "overdue 应为 true 或 false")
		}
		f.Overdue = &b
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 200 之间的整数")
		}
		f.Limit = n
	}
	page, err := s.d.Store.ListCases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := listJSON[caseJSON]{Items: []caseJSON{}, NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, caseToJSON(&page.Items[i], false, ""))
	}
	return c.JSON(http.StatusOK, out)
}

// defaultSuffixes are the fileable suffixes of the shipped rules (R-IN-4).
var defaultSuffixes = sync.OnceValue(func() []string { return intake.DefaultRules().FileableSuffixes })

// listDomain is the domain filter of GET /filings normalised as intake
// stores domains (R-IN-4): "https://WWW.例子.中国/x" finds the case filed for
// 例子.中国, kept as xn--fsqu00a.xn--fiqs8s. What does not normalise (a
// suffix not fileable, a typo) is matched lower-cased as given.
func listDomain(q string) string {
	q = strings.TrimSpace(q)
	if q == "" {
		return ""
	}
	if reg, _, err := intake.NormaliseDomain(q, defaultSuffixes()); err == nil {
		return reg
	}
	return strings.ToLower(q)
}

// actTimeout bounds how long an API call waits for a workflow update.
const actTimeout = 30 * time.Second

// act runs a staff action on a case's workflow and answers with the case.
func (s *Server) act(c echo.Context, a beian.Action, req workflows.ActionRequest) error {
	if err := s.update(c, a, req); err != nil {
		return err
	}
	return s.respondCase(c, c.Param("id"), http.StatusOK)
}

// update runs a staff action on a case's workflow as an update and waits for it.
func (s *Server) update(c echo.Context, a beian.Action, req workflows.ActionRequest) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	if _, err := s.d.Store.GetCase(ctx, id); err != nil {
		return err
	}
	req.Actor = caller(c).Name
	updateID := ""
	if k := c.Request().Header.Get("Idempotency-Key"); k != "" {
		updateID = string(a) + ":" + caller(c).Name + ":" + k
	}
	actx, cancel := context.WithTimeout(ctx, actTimeout)
	defer cancel()
	if _, err := s.d.Engine.Act(actx, id, a, req, updateID); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || actx.Err() != nil {
			// The update stays queued in the workflow and completes when the
			// worker or database is back; the caller may repeat it with the same key.
			return beian.Errorf(beian.CodeUnavailable, "操作已提交但尚未完成（流程引擎或数据库繁忙），请稍后查看该申请；用同一 Idempotency-Key 重试不会重复执行")
		}
		return err
	}
	return nil
}

func (s *Server) materials(c echo.Context) error {
	var b struct {
		Received []string `json:"received"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if len(b.Received) == 0 {
		return beian.Errorf(beian.CodeInvalid, "received 不能为空：请列出已收到的材料代码")
	}
	return s.act(c, beian.ActionMaterials, workflows.ActionRequest{Received: b.Received})
}

func (s *Server) review(c echo.Context) error {
	var b struct {
		Result  string   `json:"result"`
		Reasons []string `json:"reasons"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	req := workflows.ActionRequest{Result: b.Result, Reasons: b.Reasons}
	if err := workflows.ValidateRequest(beian.ActionReview, req); err != nil {
		return err
	}
	return s.act(c, beian.ActionReview, req)
}

func (s *Server) corrections(c echo.Context) error {
	ctx := c.Request().Context()
	cur, err := s.d.Store.GetCase(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	b := bodyFromCase(cur) // the body is applied onto the current case: partial
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if beian.CaseType(b.Type) != cur.Type {
		return beian.Errorf(beian.CodeInvalid, "更正不能改变备案类型；请撤回后重新申请")
	}
	next := caseFromBody(b)
	if b.FilingNumber == "" {
		next.FilingNumber = cur.FilingNumber
	}
	if b.FilingPassword != "" || cur.FilingPasswordSealed != "" {
		next.FilingPasswordSealed = cur.FilingPasswordSealed
		if b.FilingPassword != "" {
			sealed, err := s.d.Box.Seal(b.FilingPassword)
			if err != nil {
				return err
			}
			next.FilingPasswordSealed = sealed
		}
	}
	password := b.FilingPassword
	if password == "" && next.FilingPasswordSealed != "" {
		if password, err = s.d.Box.Open(next.FilingPasswordSealed); err != nil {
			return err
		}
	}
	res, err := s.prepare(ctx, next, password)
	if err != nil {
		return err
	}
	accepted, acceptedCodes, err := s.applyOverrides(c, b.Overrides, cur.AcceptedOverrides, &res)
	if err != nil {
		return err
	}
	if len(res.Violations) > 0 {
		return violationsError(res.Violations)
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
		CreatedBy: caller(c).Name,
	}
	if err := s.d.Store.SaveCorrection(ctx, cor); err != nil {
		return err
	}
	if err := s.update(c, beian.ActionCorrections, workflows.ActionRequest{CorrectionID: cor.ID}); err != nil {
		return err
	}
	// Accepted overrides go on the record once the correction is applied.
	if err := s.recordOverrides(c, cur, accepted); err != nil {
		return err
	}
	return s.respondCase(c, cur.ID, http.StatusOK)
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

func (s *Server) bureauDecision(c echo.Context) error {
	var b struct {
		Decision       string `json:"decision"`
		FilingNumber   string `json:"filing_number"`
		FilingPassword string `json:"filing_password"`
		Reason         string `json:"reason"`
		Received       bool   `json:"received"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	req := workflows.ActionRequest{
		Decision: b.Decision, FilingNumber: strings.TrimSpace(b.FilingNumber), Reason: b.Reason, BureauReceived: b.Received,
	}
	action := beian.ActionBureauDecision
	if b.Decision == "approved" && req.FilingNumber == "" {
		// change and transfer_in keep their existing number (R-TY)
		cur, err := s.d.Store.GetCase(c.Request().Context(), c.Param("id"))
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
		sealed, err := s.d.Box.Seal(b.FilingPassword) // never in clear in workflow history
		if err != nil {
			return err
		}
		req.FilingPasswordSealed = sealed
	}
	if c.QueryParam("async") == "true" { // the bureau integration: a signal, applied when the case can take it
		id := c.Param("id")
		c.Set(ctxCaseID, id)
		if _, err := s.d.Store.GetCase(c.Request().Context(), id); err != nil {
			return err
		}
		req.Actor = caller(c).Name
		if err := s.d.Engine.Signal(c.Request().Context(), id, req); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]any{"accepted": true, "id": id})
	}
	return s.act(c, action, req)
}

// optionalReason reads an optional {"reason": "…"} body.
func optionalReason(c echo.Context) (string, error) {
	if c.Request().ContentLength == 0 {
		return "", nil
	}
	var b struct {
		Reason string `json:"reason"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return "", err
	}
	if b.Reason == "" {
		return b.Note, nil
	}
	return b.Reason, nil
}

func (s *Server) withdraw(c echo.Context) error {
	reason, err := optionalReason(c)
	if err != nil {
		return err
	}
	return s.act(c, beian.ActionWithdraw, workflows.ActionRequest{Reason: reason})
}

func (s *Server) requireRectification(c echo.Context) error {
	var b struct {
		Reason string `json:"reason"`
		Source string `json:"source"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	switch b.Source {
	case "":
		b.Source = "manual"
	case "manual", "sweep", "verification", "security":
	default:
		return beian.Errorf(beian.CodeInvalid, "source 只能是 manual、sweep、verification 或 security")
	}
	req := workflows.ActionRequest{Reason: strings.TrimSpace(b.Reason), Source: b.Source}
	if err := workflows.ValidateRequest(beian.ActionRequireRectify, req); err != nil {
		return err
	}
	return s.act(c, beian.ActionRequireRectify, req)
}

func (s *Server) rectified(c echo.Context) error {
	note, err := optionalReason(c)
	if err != nil {
		return err
	}
	return s.act(c, beian.ActionRectified, workflows.ActionRequest{Reason: note})
}

func (s *Server) restoreAccess(c echo.Context) error {
	reason, err := optionalReason(c)
	if err != nil {
		return err
	}
	return s.act(c, beian.ActionRestoreAccess, workflows.ActionRequest{Reason: reason})
}

type mailJSON struct {
	Key     string   `json:"key"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
	SentAt  any      `json:"sent_at"`
}

// filingMails lists the mail the case has sent or queued (the outbox).
func (s *Server) filingMails(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	if _, err := s.d.Store.GetCase(ctx, id); err != nil {
		return err
	}
	mails, err := s.d.Store.ListMails(ctx, id)
	if err != nil {
		return err
	}
	out := listJSON[mailJSON]{Items: []mailJSON{}}
	for _, m := range mails {
		var sent any
		if m.SentAt != nil {
			sent = m.SentAt.In(shanghai)
		}
		out.Items = append(out.Items, mailJSON{Key: m.Key, To: m.To, Subject: m.Subject, Body: m.Body, SentAt: sent})
	}
	return c.JSON(http.StatusOK, out)
}

// overridable are the violation codes a supervisor may accept case by case:
// the manual states them as judgement ("个人网站网站名称一般不允许带有地域名称"),
// and a word list cannot judge every name (白云和平 contains the county 云和).
var overridable = map[string]bool{
	"REGION_NAME_IN_PERSONAL_SITE": true,
	"NATIONAL_WORD_IN_SITE_NAME":   true,
}

// applyOverrides drops the violations whose codes are accepted: those a
// supervisor accepts now (requested; supervisors and admins only, overridable
// codes only) and those accepted before for this case (remembered). It
// returns the violations newly accepted and the codes now accepted in all.
func (s *Server) applyOverrides(c echo.Context, requested, remembered []string, res *intake.Result) ([]beian.Violation, []string, error) {
	accept := map[string]bool{}
	for _, code := range remembered {
		accept[code] = true
	}
	fresh := map[string]bool{}
	if len(requested) > 0 {
		if r := caller(c).Role; r != RoleSupervisor && r != RoleAdmin {
			return nil, nil, beian.Errorf(beian.CodeForbidden, "只有主管可以接受规则例外（overrides）")
		}
		for _, code := range requested {
			if !overridable[code] {
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
func (s *Server) recordOverrides(c echo.Context, cs *beian.Case, accepted []beian.Violation) error {
	ctx := c.Request().Context()
	for _, v := range accepted {
		detail := fmt.Sprintf("主管接受规则例外 %s（%s）：%s", v.Code, v.Rule, v.Message)
		if err := s.d.Store.AddEvent(ctx, cs.ID, beian.Event{At: s.d.Now(), Event: "rule_overridden", Actor: caller(c).Name, Detail: detail}); err != nil {
			return err
		}
		if err := s.d.Store.Audit(ctx, beian.AuditEntry{At: s.d.Now(), Actor: caller(c).Name, Action: "override", Target: "case/" + cs.ID, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}
