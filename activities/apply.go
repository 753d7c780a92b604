package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/lifecycle"
	"github.com/beian/beian/workflows"
)

// Apply carries out one transition of a case in one Postgres transaction: the
// new state, a timeline event, and the mails, tasks and access actions it
// causes, as package lifecycle computes them. It is idempotent by (case,
// Seq): a retry after a committed attempt returns what that attempt wrote
// and writes nothing.
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
	lin, err := a.lifecycleInput(ctx, c, in)
	if err != nil {
		return workflows.ApplyResult{}, appErr(err)
	}
	out, err := lifecycle.Apply(lin)
	if err != nil {
		return workflows.ApplyResult{}, appErr(err)
	}
	t := out.Transition
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
	res.Linked = out.Linked // only the transition that reached the outcome passes it on
	res.Escalate, res.Callback = out.Escalate, out.Callback
	for _, m := range t.Mails {
		res.MailKeys = append(res.MailKeys, m.Key)
	}
	for _, x := range t.AccessActions {
		res.AccessKeys = append(res.AccessKeys, x.Key)
	}
	return res, nil
}

// lifecycleInput checks that the case row allows the action (the workflow
// has validated it against its own state; checking again here means the two
// can never drift apart silently) and loads what the event's effects need.
func (a *Activities) lifecycleInput(ctx context.Context, c *beian.Case, in workflows.ApplyInput) (lifecycle.Input, error) {
	req := in.Request
	if act := beian.Action(in.Action); isAction(act) {
		if err := c.Status.Allows(act); err != nil {
			return lifecycle.Input{}, err
		}
		if err := workflows.ValidateRequest(act, req); err != nil {
			return lifecycle.Input{}, err
		}
	}
	lin := lifecycle.Input{
		Case: c, Seq: in.Seq, Event: in.Action, At: in.At,
		Request: lifecycle.Request{
			Actor: req.Actor, Received: req.Received, Result: req.Result, Reasons: req.Reasons,
			Decision: req.Decision, BureauReceived: req.BureauReceived, FilingNumber: req.FilingNumber,
			FilingPasswordSealed: req.FilingPasswordSealed, Reason: req.Reason, Source: req.Source,
			RefusedBecause: req.RefusedBecause, DNSNote: req.DNSNote,
			TaskID: req.TaskID, Outcome: req.Outcome, Answers: req.Answers, Dialled: req.Dialled, CallbackAt: req.CallbackAt, Assignee: req.Assignee,
			PublicSecurityNumber: req.PublicSecurityNumber,
		},
		Config: lifecycle.Config{
			BureauWorkingDays: a.Config.BureauWorkingDays, BureauSLA: a.Config.BureauSLA, RectifyWithin: a.Config.RectifyWithin,
			StaffAlerts: a.Config.StaffAlerts, TechMailbox: a.Config.TechMailbox, TechSupervisorMailbox: a.Config.TechSupervisorMailbox, MarketingMailbox: a.Config.MarketingMailbox,
			SMSWithin: a.Config.SMSWithin,
		},
	}
	if in.Action == string(beian.ActionCorrections) {
		cor, err := a.Store.GetCorrection(ctx, req.CorrectionID)
		if err != nil {
			return lifecycle.Input{}, err
		}
		lin.Correction = cor
	}
	if in.Action == string(beian.ActionVerificationResult) {
		task, err := a.Store.GetTask(ctx, req.TaskID)
		if err != nil {
			return lifecycle.Input{}, err
		}
		lin.Task = task
	}
	if lifecycle.NeedsAccessActions(in.Action) {
		acts, err := a.Store.CaseAccessActions(ctx, c.ID)
		if err != nil {
			return lifecycle.Input{}, err
		}
		lin.AccessActions = acts
	}
	if lifecycle.NeedsCalendar(in.Action) {
		cal, err := a.Calendar(ctx)
		if err != nil {
			return lifecycle.Input{}, err
		}
		lin.Calendar = cal
	}
	return lin, nil
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
			Alarms: lifecycle.Alarms(c),
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

func mailPrefix(caseID string, seq int) string { return lifecycle.MailPrefix(caseID, seq) }

func isAction(a beian.Action) bool {
	for _, x := range workflows.UpdateActions {
		if x == a {
			return true
		}
	}
	return false
}
