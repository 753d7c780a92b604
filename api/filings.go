package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
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

// checkFiling is the dry run of POST /filings: every intake rule and the
// R-IN-5 conflicts, reported at once as violations, changing nothing.
func (s *Server) checkFiling(c echo.Context) error {
	var b filingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	res, err := s.desk.Check(c.Request().Context(), caseFromBody(b), b.FilingPassword)
	if err != nil {
		return err
	}
	out := checkResultJSON{
		OK: res.OK(), Violations: violationsJSON(res.Violations), Checklist: []checklistItemJSON{},
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
	var b filingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	who := s.actor(c)
	in := caseFromBody(b)
	key := idemKey(c)
	if key != "" {
		in.ID = desk.KeyID(who.Name, key)
	}
	cs, warning, err := s.desk.Create(c.Request().Context(), who, in, b.FilingPassword, b.Overrides)
	if err != nil {
		if key != "" { // made by this very key before its answer was lost
			if prev, perr := s.desk.Case(c.Request().Context(), in.ID); perr == nil && prev.CreatedBy == who.Name {
				c.Set(ctxCaseID, prev.ID)
				c.Response().Header().Set("Idempotent-Replayed", "true")
				return s.respondCase(c, prev.ID, http.StatusCreated)
			}
		}
		return err
	}
	c.Set(ctxCaseID, cs.ID)
	if warning != "" {
		// The case is saved: answer 202 with the case, not an error, so
		// that the answer is kept under the Idempotency-Key and a retry gets
		// this case back instead of a DOMAIN_CONFLICT with itself.
		return s.respondCaseWarning(c, cs.ID, http.StatusAccepted, warning)
	}
	return s.respondCase(c, cs.ID, http.StatusCreated)
}

// WarningWorkflowPending is the warning of a 202 answer to POST /filings: the
// case is saved but its workflow has not started yet.
const WarningWorkflowPending = desk.WarningWorkflowPending

// respondCase answers with the case as it now is. ?reveal=true shows ID
// numbers and the filing password to supervisors and admins, and is audited.
func (s *Server) respondCase(c echo.Context, id string, status int) error {
	return s.respondCaseWarning(c, id, status, "")
}

// respondCaseWarning is respondCase with a warning for staff in the body.
func (s *Server) respondCaseWarning(c echo.Context, id string, status int, warning string) error {
	ctx := c.Request().Context()
	cs, err := s.desk.Store.GetCase(ctx, id)
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
	password, err := s.desk.Reveal(c.Request().Context(), s.actor(c), cs)
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
		Domain: c.QueryParam("domain"), Q: c.QueryParam("q"), Sort: c.QueryParam("sort"),
		Cursor: c.QueryParam("cursor"), Step: c.QueryParam("step"),
	}
	switch f.Step {
	case "", beian.StepSMSPending, beian.StepPublicSecurityDue, beian.StepPublicSecurityOverdue:
	default:
		return beian.Errorf(beian.CodeInvalid, "step 应为 sms_pending、public_security_due 或 public_security_overdue")
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
	if v := c.QueryParam("due_before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return beian.Errorf(beian.CodeInvalid, "due_before 应为 RFC 3339 时间，例如 2026-12-07T00:00:00+08:00")
		}
		f.DueBefore = &t
	}
	page, err := s.desk.Cases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := listJSON[caseJSON]{Items: []caseJSON{}, NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, caseToJSON(&page.Items[i], false, ""))
	}
	return c.JSON(http.StatusOK, out)
}

// act runs a staff action on a case's workflow and answers with the case.
func (s *Server) act(c echo.Context, a beian.Action, req workflows.ActionRequest) error {
	c.Set(ctxCaseID, c.Param("id"))
	if err := s.desk.Act(c.Request().Context(), s.actor(c), c.Param("id"), a, req, idemKey(c)); err != nil {
		return err
	}
	return s.respondCase(c, c.Param("id"), http.StatusOK)
}

// idemKey is the request's Idempotency-Key: a repeated request is one update.
func idemKey(c echo.Context) string { return c.Request().Header.Get("Idempotency-Key") }

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

// review records the review; a pass checks the domains' DNS first (R-RV-2):
// a domain resolving elsewhere is a 409 DOMAIN_ELSEWHERE unless dns_note
// says why it may pass.
func (s *Server) review(c echo.Context) error {
	var b struct {
		Result  string   `json:"result"`
		Reasons []string `json:"reasons"`
		DNSNote string   `json:"dns_note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	c.Set(ctxCaseID, c.Param("id"))
	req := workflows.ActionRequest{Result: b.Result, Reasons: b.Reasons}
	if err := s.desk.Review(c.Request().Context(), s.actor(c), c.Param("id"), req, b.DNSNote, idemKey(c)); err != nil {
		return err
	}
	return s.respondCase(c, c.Param("id"), http.StatusOK)
}

func (s *Server) corrections(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	cur, err := s.desk.Case(ctx, id)
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
	in := desk.Correction{Case: caseFromBody(b), FilingPassword: b.FilingPassword, Overrides: b.Overrides}
	if err := s.desk.Correct(ctx, s.actor(c), id, in, idemKey(c)); err != nil {
		return err
	}
	return s.respondCase(c, id, http.StatusOK)
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
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	async := c.QueryParam("async") == "true" // the bureau integration: a signal, applied when the case can take it
	err := s.desk.RecordBureauDecision(c.Request().Context(), s.actor(c), id, desk.BureauDecision{
		Decision: b.Decision, FilingNumber: b.FilingNumber, FilingPassword: b.FilingPassword, Reason: b.Reason, Received: b.Received,
	}, async, idemKey(c))
	if err != nil {
		return err
	}
	if async {
		return c.JSON(http.StatusAccepted, map[string]any{"accepted": true, "id": id})
	}
	return s.respondCase(c, id, http.StatusOK)
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
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	if err := s.desk.RequireRectification(c.Request().Context(), s.actor(c), id, b.Reason, b.Source, idemKey(c)); err != nil {
		return err
	}
	return s.respondCase(c, id, http.StatusOK)
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

// cancelAccess cuts a live filing's access at once (R-PA-2), with a reason.
func (s *Server) cancelAccess(c echo.Context) error {
	reason, err := optionalReason(c)
	if err != nil {
		return err
	}
	return s.act(c, beian.ActionCancelAccess, workflows.ActionRequest{Reason: reason})
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
	mails, err := s.desk.Mails(c.Request().Context(), c.Param("id"))
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

// overridable are the violation codes a supervisor may accept case by case.
var overridable = desk.Overridable

// smsVerified records that the filer entered the MIIT's SMS code (R-BR-6).
func (s *Server) smsVerified(c echo.Context) error {
	note, err := optionalReason(c)
	if err != nil {
		return err
	}
	return s.act(c, beian.ActionSMSVerified, workflows.ActionRequest{Reason: note})
}

// publicSecurity records the site's public-security number (R-PA-6).
func (s *Server) publicSecurity(c echo.Context) error {
	var b struct {
		Number string `json:"number"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Number) == "" {
		return beian.Errorf(beian.CodeInvalid, "number 不能为空：请填写公安联网备案号")
	}
	return s.act(c, beian.ActionPublicSecurity, workflows.ActionRequest{PublicSecurityNumber: b.Number})
}
