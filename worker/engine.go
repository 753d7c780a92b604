package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian"
	"github.com/beian/beian/workflows"
)

// Engine starts and drives filing workflows for the API.
type Engine struct {
	Client client.Client
}

// Start starts the workflow of a new case. Starting it again is harmless:
// the running workflow is kept (conflict policy use-existing).
func (e *Engine) Start(ctx context.Context, in workflows.FilingInput) error {
	sa := []temporal.SearchAttributeUpdate{
		workflows.SACaseNo.ValueSet(in.CaseNo),
		workflows.SAStatus.ValueSet(string(beian.StatusAwaitingMaterials)),
		workflows.SAProvince.ValueSet(in.Province),
		workflows.SABureauProvince.ValueSet(in.BureauProvince),
	}
	if in.Domain != "" {
		sa = append(sa, workflows.SADomain.ValueSet(in.Domain))
	}
	_, err := e.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(in.CaseID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(sa...),
		StaticSummary:            in.CaseNo + " " + in.Domain,
	}, workflows.FilingWorkflowName, in)
	if err != nil {
		return fmt.Errorf("start workflow of case %s: %w", in.CaseID, err)
	}
	return nil
}

// Act runs a staff action as a workflow update and waits for its result.
// updateID (the Idempotency-Key, when given) makes a repeated request one update.
func (e *Engine) Act(ctx context.Context, caseID string, a beian.Action, req workflows.ActionRequest, updateID string) (workflows.State, error) {
	var st workflows.State
	h, err := e.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(caseID),
		UpdateName:   string(a),
		UpdateID:     updateID,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return st, translate(err)
	}
	if err := h.Get(ctx, &st); err != nil {
		return st, translate(err)
	}
	return st, nil
}

// Signal delivers a bureau result as a signal: accepted at once, applied by
// the workflow when it can (refused results are logged there).
func (e *Engine) Signal(ctx context.Context, caseID string, req workflows.ActionRequest) error {
	err := e.Client.SignalWorkflow(ctx, workflows.WorkflowID(caseID), "", workflows.SignalBureauDecision, req)
	return translate(err)
}

// SignalLinked passes a linked case's outcome to the live filing caseID.
func (e *Engine) SignalLinked(ctx context.Context, caseID string, req workflows.ActionRequest) error {
	return translate(e.Client.SignalWorkflow(ctx, workflows.WorkflowID(caseID), "", workflows.SignalLinkedOutcome, req))
}

// Escalate starts the customer's escalation, or feeds the running one
// (R-VC-4): signal-with-start, so the signal is never lost.
func (e *Engine) Escalate(ctx context.Context, customerID string, sig workflows.EscalationSignal) error {
	_, err := e.Client.SignalWithStartWorkflow(ctx, workflows.EscalationID(customerID), workflows.SignalEscalate, sig,
		client.StartWorkflowOptions{ID: workflows.EscalationID(customerID), TaskQueue: workflows.TaskQueue,
			StaticSummary: "R-VC-4 上报整改 " + customerID},
		workflows.EscalationWorkflowName, customerID)
	return translate(err)
}

// StartCallback starts the wake-up of an arranged callback; starting it
// again is harmless (the running one is kept).
func (e *Engine) StartCallback(ctx context.Context, in workflows.CallbackInput) error {
	_, err := e.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.CallbackID(in.TaskID, in.At), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "回拨 " + in.At.Format(time.RFC3339),
	}, workflows.CallbackWorkflowName, in)
	return translate(err)
}

// StartSweep starts the workflow of an opened sweep (R-PA-3); starting it
// again keeps the running one.
func (e *Engine) StartSweep(ctx context.Context, sweepID string) error {
	_, err := e.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.SweepWorkflowID(sweepID), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "空壳网站排查 R-PA-3",
	}, workflows.SweepWorkflowName, workflows.SweepInput{SweepID: sweepID})
	return translate(err)
}

// WatchMail starts the workflow of an inbound mail, or wakes the running
// one (R-RV-6): signal-with-start, so a wake-up is never lost.
func (e *Engine) WatchMail(ctx context.Context, mailID string) error {
	_, err := e.Client.SignalWithStartWorkflow(ctx, workflows.InboundWorkflowID(mailID), workflows.SignalInboundLook, nil,
		client.StartWorkflowOptions{ID: workflows.InboundWorkflowID(mailID), TaskQueue: workflows.TaskQueue,
			StaticSummary: "来信 R-RV-6 " + mailID},
		workflows.InboundWorkflowName, workflows.InboundInput{MailID: mailID})
	return translate(err)
}

// State asks a case's workflow where it stands.
func (e *Engine) State(ctx context.Context, caseID string) (workflows.State, error) {
	var st workflows.State
	v, err := e.Client.QueryWorkflow(ctx, workflows.WorkflowID(caseID), "", workflows.QueryState)
	if err != nil {
		return st, translate(err)
	}
	return st, v.Get(&st)
}

// translate maps Temporal errors to domain errors: an application error
// keeps its code (set by the workflow from beian codes), a missing or closed
// workflow is a state conflict.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return &beian.Error{Code: appErr.Type(), Message: appErr.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return workflows.ErrNoWorkflow
	}
	return fmt.Errorf("temporal: %w", err)
}

// TaskQueueReachable reports whether the filing task queue answers.
func TaskQueueReachable(ctx context.Context, c client.Client) error {
	_, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Errorf("describe task queue %s: %w", workflows.TaskQueue, err)
	}
	return nil
}

// TaskQueueServed reports whether a worker has polled the filing task
// queue within the last minute: a case the API starts will move.
func TaskQueueServed(ctx context.Context, c client.Client) error {
	resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Errorf("describe task queue %s: %w", workflows.TaskQueue, err)
	}
	for _, p := range resp.GetPollers() {
		if t := p.GetLastAccessTime(); t != nil && time.Since(t.AsTime()) < time.Minute {
			return nil
		}
	}
	return fmt.Errorf("no worker polled task queue %s in the last minute", workflows.TaskQueue)
}
