package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian"
	"github.com/beian/beian/lifecycle"
)

// Activity names, registered by package activities.
const (
	ActivityApply    = "Apply"
	ActivitySendMail = "SendMail"
	// ActivityNotifyAccess tells network control about an access action.
	ActivityNotifyAccess = "NotifyAccess"
	// ActivityNotifyLinked passes a linked case's outcome to the live filing.
	ActivityNotifyLinked = "NotifyLinked"
	// ActivityUnsentMail lists the case's outbox rows not yet sent.
	ActivityUnsentMail = "UnsentMail"
	// ActivityRectifyDeadline decides what a rectification deadline does.
	ActivityRectifyDeadline = "RectifyDeadline"
)

// UpdateActions are the staff actions offered as workflow updates.
var UpdateActions = []beian.Action{
	beian.ActionMaterials, beian.ActionReview, beian.ActionCorrections,
	beian.ActionBureauReceived, beian.ActionBureauDecision, beian.ActionWithdraw,
	beian.ActionRequireRectify, beian.ActionRectified, beian.ActionRestoreAccess,
	beian.ActionVerificationCall, beian.ActionVerificationResult,
	beian.ActionCancelAccess, beian.ActionSMSVerified, beian.ActionPublicSecurity,
}

// filing is the running workflow of one case.
type filing struct {
	in      FilingInput
	st      State
	mu      workflow.Mutex
	changed workflow.Channel // wakes the main loop after a transition
	pending []Dispatch       // background activity calls still running
	at      time.Time        // the time of a deadline being applied late
	logger  interface {
		Info(string, ...any)
		Warn(string, ...any)
		Error(string, ...any)
	}
}

// Filing is the workflow of one filing case. It lives as long as the filing:
// it ends only when the case is PURGED, WITHDRAWN or CANCELLED, and continues
// as new when the server suggests it. Staff act through updates (validated
// before they touch history), the bureau through an update or a signal, and
// three deadlines run as durable timers: the stale purge (R-RV-5), the bureau
// SLA (R-BR-1, R-BR-4) and the 24-hour rectification (R-PA-3, R-VC-4).
func Filing(ctx workflow.Context, in FilingInput) (State, error) {
	w := &filing{
		in:      in,
		mu:      workflow.NewMutex(ctx),
		changed: workflow.NewBufferedChannel(ctx, 1),
		logger:  workflow.GetLogger(ctx),
	}
	fresh := in.State == nil
	var carried []Dispatch
	if fresh {
		var purge *time.Time
		if !in.PurgeAt.IsZero() { // zero: no purge clock (never "purge now")
			p := in.PurgeAt
			purge = &p
		}
		w.st = State{Seq: in.StartSeq, Snapshot: Snapshot{
			Status: beian.StatusAwaitingMaterials, PurgeAt: purge,
			Domain: in.Domain, Province: in.Province, BureauProvince: in.BureauProvince,
		}}
	} else {
		w.st = *in.State
		carried, w.st.Pending = w.st.Pending, nil
		if w.st.Domain == "" && w.st.Province == "" { // a state carried over by an older run
			w.st.Domain, w.st.Province, w.st.BureauProvince = in.Domain, in.Province, in.BureauProvince
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.st, nil }); err != nil {
		return w.st, err
	}
	for _, a := range UpdateActions {
		a := a
		err := workflow.SetUpdateHandlerWithOptions(ctx, string(a),
			func(ctx workflow.Context, req ActionRequest) (State, error) { return w.act(ctx, a, req) },
			workflow.UpdateHandlerOptions{Validator: func(req ActionRequest) error { return w.validate(a, req) }},
		)
		if err != nil {
			return w.st, err
		}
	}
	w.upsertSearchAttributes(ctx)
	w.dispatch(ctx, carried) // mail and webhooks the previous run had not finished
	if fresh && in.Resumed {
		// A run started again for an existing case (reconcile) sends the mail
		// the ended run had queued but not sent.
		var keys []string
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
		if err := workflow.ExecuteActivity(actx, ActivityUnsentMail, in.CaseID).Get(ctx, &keys); err != nil {
			w.logger.Error("list unsent mail", "case", in.CaseNo, "error", err)
		}
		w.dispatch(ctx, dispatches(ActivitySendMail, keys))
	}
	if fresh && !in.Resumed {
		// The receipt: the filer learns the checklist, mailbox and subject (R-IN-2, R-IN-3).
		if _, err := w.transition(ctx, EventReceipt, ActionRequest{Actor: "system"}); err != nil {
			return w.st, err
		}
	}

	signals := signalSet{
		bureau: workflow.GetSignalChannel(ctx, SignalBureauDecision),
		linked: workflow.GetSignalChannel(ctx, SignalLinkedOutcome),
	}
	for !w.st.Status.Terminal() {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() { // a filing lives for years: cut its history
			// Updates finish and every signal is applied here; background mail
			// does not hold the case up (its timers would wait): it is carried over.
			if err := w.settle(ctx, signals, false); err != nil {
				return w.st, err
			}
			st := w.st
			st.Pending = append([]Dispatch(nil), w.pending...)
			next := w.in
			next.State = &st
			return w.st, workflow.NewContinueAsNewError(ctx, Filing, next)
		}
		if err := w.waitOnce(ctx, signals); err != nil {
			return w.st, err
		}
	}
	// An ended case still sends its last mail before the workflow closes.
	return w.st, w.settle(ctx, signals, true)
}

// settle waits until no update handler (and, with background, no mail or
// webhook call) is running and no signal is left unread, so nothing that
// arrived is lost when this run ends.
func (w *filing) settle(ctx workflow.Context, signals signalSet, background bool) error {
	for {
		err := workflow.Await(ctx, func() bool {
			return workflow.AllHandlersFinished(ctx) && (!background || len(w.pending) == 0)
		})
		if err != nil {
			return err
		}
		if !w.drainSignals(ctx, signals) {
			return nil
		}
	}
}

// deadline is the one timer the current status needs, if any.
func (w *filing) deadline() (at time.Time, event, summary string, ok bool) {
	switch {
	case w.st.Status == beian.StatusAwaitingMaterials && w.st.PurgeAt != nil:
		return *w.st.PurgeAt, EventPurge, "stale purge R-RV-5", true
	case w.st.Status == beian.StatusBureauReview && !w.st.Overdue && w.st.BureauDueAt != nil:
		return *w.st.BureauDueAt, EventOverdue, "bureau due R-BR-4", true
	case w.st.Status == beian.StatusRectifying && w.st.RectifyBy != nil:
		return *w.st.RectifyBy, EventRectifyExpired, "rectification 24h R-PA-3", true
	}
	return time.Time{}, "", "", false
}

// nextTimer is the soonest of the main deadline and the alarms (R-BR-6,
// R-PA-6). A case without alarms times exactly as before they existed, so
// older histories replay unchanged.
func (w *filing) nextTimer() (at time.Time, event, summary string, ok bool) {
	at, event, summary, ok = w.deadline()
	for _, a := range w.st.Alarms {
		if !ok || a.At.Before(at) {
			at, event, summary, ok = a.At, a.Event, alarmSummary(a.Event), true
		}
	}
	return at, event, summary, ok
}

func alarmSummary(event string) string {
	switch event {
	case EventSMSReminder:
		return "SMS check reminder R-BR-6"
	case EventSMSExpired:
		return "SMS check 24h R-BR-6"
	case EventPublicSecurityReminder:
		return "public-security reminder R-PA-6"
	case EventPublicSecurityOverdue:
		return "public-security 30 days R-PA-6"
	}
	return event
}

// due reports whether the timer of event is still one the case has.
func (w *filing) due(event string) bool {
	if _, ev, _, ok := w.deadline(); ok && ev == event {
		return true
	}
	for _, a := range w.st.Alarms {
		if a.Event == event {
			return true
		}
	}
	return false
}

// waitOnce waits for the current deadline, a transition or a bureau signal,
// whichever comes first, and cancels the timer when it is not the one.
func (w *filing) waitOnce(ctx workflow.Context, signals signalSet) error {
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	sel := workflow.NewSelector(ctx)
	fired := ""
	var firedAt time.Time
	if at, event, summary, ok := w.nextTimer(); ok {
		d := at.Sub(workflow.Now(ctx))
		if d < time.Millisecond {
			d = time.Millisecond
		}
		t := workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary})
		sel.AddFuture(t, func(f workflow.Future) {
			if f.Get(ctx, nil) == nil {
				fired, firedAt = event, at
			}
		})
	}
	sel.AddReceive(w.changed, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	var sig, linked ActionRequest
	gotSignal, gotLinked := false, false
	sel.AddReceive(signals.bureau, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &sig)
		gotSignal = true
	})
	sel.AddReceive(signals.linked, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &linked)
		gotLinked = true
	})
	cancelled := false
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { cancelled = true })
	sel.Select(ctx)
	cancelTimer()
	if cancelled { // an operator cancelled the workflow (e.g. in the Web UI)
		return ctx.Err()
	}
	if gotSignal {
		w.onSignal(ctx, sig)
	}
	if gotLinked {
		w.onLinked(ctx, linked)
	}
	if fired != "" {
		if _, err := w.timerFired(ctx, fired, firedAt); err != nil {
			return err
		}
	}
	return nil
}

// timerFired applies a deadline's consequence, unless a transition that ran
// meanwhile made it moot. The timeline keeps the deadline's own time: a
// worker that was down across it applies it late, but as of then.
func (w *filing) timerFired(ctx workflow.Context, event string, at time.Time) (State, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return w.st, err
	}
	defer w.mu.Unlock()
	if !w.due(event) {
		return w.st, nil
	}
	req := ActionRequest{Actor: "system"}
	// A shell-site deadline resolves the domains again first (R-PA-3): the
	// activity says whether to cut, clear, report or wait.
	if event == EventRectifyExpired && workflow.GetVersion(ctx, "rectify-deadline-decides", workflow.DefaultVersion, 1) == 1 {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 2 * time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		})
		var d DeadlineDecision
		if err := workflow.ExecuteActivity(actx, ActivityRectifyDeadline, w.in.CaseID).Get(ctx, &d); err != nil {
			return w.st, err
		}
		if d.Event != "" {
			event = d.Event
		}
		req.Reason = d.Detail
	}
	if workflow.GetVersion(ctx, "deadline-keeps-its-time", workflow.DefaultVersion, 1) == 1 && !at.IsZero() && at.Before(workflow.Now(ctx)) {
		w.at = at
		defer func() { w.at = time.Time{} }()
	}
	return w.transitionLocked(ctx, event, req)
}

// drainSignals applies bureau signals that arrived but were not yet read,
// and reports whether there were any.
func (w *filing) drainSignals(ctx workflow.Context, signals signalSet) bool {
	any := false
	for {
		var sig ActionRequest
		switch {
		case signals.bureau.ReceiveAsync(&sig):
			w.onSignal(ctx, sig)
		case signals.linked.ReceiveAsync(&sig):
			w.onLinked(ctx, sig)
		default:
			return any
		}
		any = true
	}
}

// signalSet are the workflow's signal channels.
type signalSet struct {
	bureau, linked workflow.ReceiveChannel
}

// onLinked applies the outcome of a change, cancel or cancel_access case
// linked to this live filing (R-TY).
func (w *filing) onLinked(ctx workflow.Context, req ActionRequest) {
	if _, err := w.transition(ctx, EventLinkedOutcome, req); err != nil {
		w.logger.Error("apply linked outcome", "case", w.in.CaseNo, "error", err)
	}
}

// onSignal applies a bureau result that came as a signal, under the lock
// like an update. A signal cannot be refused to its sender, so a result the
// case cannot take is kept on the timeline and staff are alerted; a repeat of
// a result already applied (at-least-once delivery) is dropped quietly.
func (w *filing) onSignal(ctx workflow.Context, req ActionRequest) {
	action := beian.ActionBureauDecision
	if req.Decision == "" && req.BureauReceived {
		action = beian.ActionBureauReceived
	}
	if err := w.mu.Lock(ctx); err != nil {
		return
	}
	defer w.mu.Unlock()
	if w.repeatedSignal(req) {
		w.logger.Info("bureau signal repeats a result already applied", "case", w.in.CaseNo)
		return
	}
	err := w.validate(action, req)
	if err == nil {
		if _, err = w.transitionLocked(ctx, string(action), req); err == nil {
			return
		}
	}
	w.logger.Warn("bureau signal refused", "case", w.in.CaseNo, "error", err)
	// Histories written before refusals were recorded replay without it.
	if workflow.GetVersion(ctx, "record-refused-bureau-signal", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	refused := req
	refused.RefusedBecause = errorMessage(err)
	if _, err := w.transitionLocked(ctx, EventSignalRefused, refused); err != nil {
		w.logger.Error("record refused bureau signal", "case", w.in.CaseNo, "error", err)
	}
}

// repeatedSignal reports whether a bureau result only repeats what the case
// already shows: the same approval, a return already recorded, or a receipt
// after the decision.
func (w *filing) repeatedSignal(req ActionRequest) bool {
	switch {
	case req.Decision == "approved":
		return w.st.Status.OnRecord() && req.FilingNumber != "" && req.FilingNumber == w.st.FilingNumber
	case req.Decision == "returned":
		return w.st.Status == beian.StatusBureauReturned
	case req.BureauReceived:
		return w.st.Status != beian.StatusBureauReview && w.st.Status != beian.StatusAwaitingMaterials &&
			w.st.Status != beian.StatusUnderReview && w.st.Status != beian.StatusNeedsCorrection
	}
	return false
}

// validate runs before an update is admitted: a wrong-state or malformed
// action is refused without touching history.
func (w *filing) validate(a beian.Action, req ActionRequest) error {
	if err := w.st.Status.Allows(a); err != nil {
		return toAppError(err)
	}
	if err := ValidateRequest(a, req); err != nil {
		return toAppError(err)
	}
	if a == beian.ActionSMSVerified && !w.due(EventSMSExpired) { // refused before it touches history
		return toAppError(beian.Errorf(beian.CodeInvalidState, "该申请没有待完成的工信部短信核验"))
	}
	return nil
}

// ValidateRequest checks that req carries what action a needs.
func ValidateRequest(a beian.Action, req ActionRequest) error {
	switch a {
	case beian.ActionMaterials:
		if len(req.Received) == 0 {
			return beian.Errorf(beian.CodeInvalid, "请至少列出一项已收到的材料")
		}
	case beian.ActionReview:
		switch req.Result {
		case "pass":
		case "fail":
			if len(req.Reasons) == 0 {
				return beian.Errorf(beian.CodeInvalid, "审核不通过时必须写明原因（R-RV-4）")
			}
		default:
			return beian.Errorf(beian.CodeInvalid, "审核结果只能是 pass 或 fail")
		}
	case beian.ActionCorrections:
		if req.CorrectionID == "" {
			return beian.Errorf(beian.CodeInvalid, "更正内容为空")
		}
	case beian.ActionBureauDecision:
		switch req.Decision {
		case "approved":
			if req.FilingNumber == "" {
				return beian.Errorf(beian.CodeInvalid, "管局通过时必须填写备案号（R-BR-2）")
			}
		case "returned":
			if req.Reason == "" {
				return beian.Errorf(beian.CodeInvalid, "管局退回时必须填写退回原因（R-BR-3）")
			}
		default:
			return beian.Errorf(beian.CodeInvalid, "管局结论只能是 approved 或 returned")
		}
	case beian.ActionRequireRectify:
		if req.Reason == "" {
			return beian.Errorf(beian.CodeInvalid, "要求整改时必须写明原因")
		}
	case beian.ActionCancelAccess:
		if req.Reason == "" {
			return beian.Errorf(beian.CodeInvalid, "取消接入时必须写明原因")
		}
	case beian.ActionPublicSecurity:
		if n := lifecycle.NormalisePublicSecurity(req.PublicSecurityNumber); !lifecycle.PublicSecurityPattern.MatchString(n) {
			return beian.Errorf(beian.CodeInvalid, "公安备案号格式应为「省简称+公网安备+14位数字+号」，如「苏公网安备32050502000001号」")
		}
	case beian.ActionVerificationResult:
		if req.TaskID == "" {
			return beian.Errorf(beian.CodeInvalid, "缺少核验任务（task）")
		}
		switch req.Outcome {
		case "answered":
			if len(req.Answers) == 0 {
				return beian.Errorf(beian.CodeInvalid, "接通后须记录对方的回答（answers）")
			}
		case "no_answer", "false_info", "uncooperative":
		case "callback":
			if req.CallbackAt.IsZero() {
				return beian.Errorf(beian.CodeInvalid, "约定回拨须写明回拨时间（at）")
			}
		default:
			return beian.Errorf(beian.CodeInvalid, "核验结果只能是 answered（接通）、no_answer（无人接听）、callback（约定回拨）、false_info（信息虚假）或 uncooperative（不配合）")
		}
		switch req.Dialled {
		case "", "mobile", "landline":
		default:
			return beian.Errorf(beian.CodeInvalid, "dialled 只能是 mobile 或 landline")
		}
	}
	return nil
}

// act carries out a staff or bureau action. The state is checked again
// under the lock, since another transition may have run since validation.
func (w *filing) act(ctx workflow.Context, a beian.Action, req ActionRequest) (State, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return w.st, err
	}
	defer w.mu.Unlock()
	if err := w.validate(a, req); err != nil {
		return w.st, err
	}
	return w.transitionLocked(ctx, string(a), req)
}

// transition takes the lock and applies one transition.
func (w *filing) transition(ctx workflow.Context, action string, req ActionRequest) (State, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return w.st, err
	}
	defer w.mu.Unlock()
	return w.transitionLocked(ctx, action, req)
}

// transitionLocked writes the transition through the Apply activity (one
// Postgres transaction, idempotent by Seq), adopts its result, refreshes the
// search attributes, sends the mail it queued and wakes the main loop.
func (w *filing) transitionLocked(ctx workflow.Context, action string, req ActionRequest) (State, error) {
	w.st.Seq++
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: beian.NonRetryableCodes,
		},
	})
	var res ApplyResult
	now := workflow.Now(ctx)
	if !w.at.IsZero() { // a deadline applied late keeps its own time
		now = w.at
	}
	in := ApplyInput{CaseID: w.in.CaseID, Seq: w.st.Seq, Action: action, Request: req, At: now}
	if err := workflow.ExecuteActivity(actx, ActivityApply, in).Get(ctx, &res); err != nil {
		return w.st, unwrapActivityError(err)
	}
	prev := w.st.Snapshot
	w.st.Snapshot = res.Snapshot
	if res.Domain == "" && res.Province == "" { // a result recorded by an older activity
		w.st.Domain, w.st.Province, w.st.BureauProvince = prev.Domain, prev.Province, prev.BureauProvince
	}
	w.upsertSearchAttributes(ctx)
	w.dispatch(ctx, dispatches(ActivitySendMail, res.MailKeys))
	w.dispatch(ctx, dispatches(ActivityNotifyAccess, res.AccessKeys))
	if res.Linked {
		w.dispatch(ctx, dispatches(ActivityNotifyLinked, []string{w.in.CaseID}))
	}
	if res.Escalate { // R-VC-4: false data or no cooperation; only new outcomes set it
		w.dispatch(ctx, dispatches(ActivityStartEscalation, []string{w.in.CaseID}))
	}
	if res.Callback { // a call to make at the time the person asked for
		w.dispatch(ctx, dispatches(ActivityStartCallback, []string{req.TaskID}))
	}
	w.changed.SendAsync(struct{}{})
	return w.st, nil
}

func dispatches(activity string, keys []string) []Dispatch {
	var out []Dispatch
	for _, k := range keys {
		out = append(out, Dispatch{Activity: activity, Key: k})
	}
	return out
}

// dispatch runs the calls in the background (sending outbox mail,
// notifying network control): an update answers without waiting for SMTP.
// They are tracked in w.pending until done, so an ended case waits for them
// and a continued-as-new one carries them over.
func (w *filing) dispatch(ctx workflow.Context, work []Dispatch) {
	if len(work) == 0 {
		return
	}
	w.pending = append(w.pending, work...)
	workflow.Go(ctx, func(ctx workflow.Context) {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
				NonRetryableErrorTypes: beian.NonRetryableCodes,
			},
		})
		for _, d := range work {
			if err := workflow.ExecuteActivity(actx, d.Activity, d.Key).Get(ctx, nil); err != nil {
				w.logger.Error("dispatch failed", "activity", d.Activity, "key", d.Key, "error", err)
			}
			for i, p := range w.pending {
				if p == d {
					w.pending = append(w.pending[:i], w.pending[i+1:]...)
					break
				}
			}
		}
	})
}

func (w *filing) upsertSearchAttributes(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(string(w.st.Status)),
		SACaseNo.ValueSet(w.in.CaseNo),
		SAProvince.ValueSet(w.st.Province),
		SABureauProvince.ValueSet(w.st.BureauProvince),
	}
	if w.st.Domain != "" {
		updates = append(updates, SADomain.ValueSet(w.st.Domain))
	} else {
		updates = append(updates, SADomain.ValueUnset())
	}
	// BeianBureauDue is set only while the bureau has the case, so a search
	// for due dates finds only cases still waiting (R-BR-4).
	if w.st.Status == beian.StatusBureauReview && w.st.BureauDueAt != nil {
		updates = append(updates, SABureauDue.ValueSet(*w.st.BureauDueAt))
	} else {
		updates = append(updates, SABureauDue.ValueUnset())
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		w.logger.Warn("upsert search attributes", "error", err)
	}
}

// toAppError turns a domain error into a Temporal application error whose
// type is the stable code, so the API can map it back.
func toAppError(err error) error {
	var be *beian.Error
	if errors.As(err, &be) {
		return temporal.NewNonRetryableApplicationError(be.Message, be.Code, nil)
	}
	return err
}

// unwrapActivityError keeps the application error of a failed activity so the
// update answers with its code.
func unwrapActivityError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), nil)
	}
	return fmt.Errorf("apply: %w", err)
}

// errorMessage is the staff message of an error from validate.
func errorMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}
