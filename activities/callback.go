package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/workflows"
)

// Callbacker starts a callback's workflow (worker.Engine).
type Callbacker interface {
	StartCallback(ctx context.Context, in workflows.CallbackInput) error
}

// callbackAt is the time a task's outcome arranged a callback for; zero
// when it has none.
func callbackAt(t *beian.Task) time.Time {
	var o struct {
		Outcome    string     `json:"outcome"`
		CallbackAt *time.Time `json:"callback_at"`
	}
	if t.Outcome == "" || json.Unmarshal([]byte(t.Outcome), &o) != nil || o.Outcome != "callback" || o.CallbackAt == nil {
		return time.Time{}
	}
	return *o.CallbackAt
}

// StartCallback starts the wake-up of the callback the task arranged: due at
// its time, an alert 30 working minutes later (R-RV-6).
func (a *Activities) StartCallback(ctx context.Context, taskID string) error {
	task, err := a.Store.GetTask(ctx, taskID)
	if err != nil {
		return appErr(err)
	}
	at := callbackAt(task)
	if at.IsZero() || a.Callbacker == nil {
		return nil
	}
	cal, err := a.Calendar(ctx)
	if err != nil {
		return err
	}
	return appErr(a.Callbacker.StartCallback(ctx, workflows.CallbackInput{
		TaskID: task.ID, CaseID: task.CaseID, At: at, AlertAt: cal.AddWorkingMinutes(at, 30),
	}))
}

// stillArranged reports whether the task still waits for this callback.
func (a *Activities) stillArranged(ctx context.Context, in workflows.CallbackInput) (*beian.Task, bool, error) {
	task, err := a.Store.GetTask(ctx, in.TaskID)
	if err != nil {
		return nil, false, appErr(err)
	}
	return task, task.Status == beian.TaskOpen && callbackAt(task).Equal(in.At), nil
}

// CallbackWake puts the due callback on the case's timeline; false when
// the call was made (or rearranged) meanwhile.
func (a *Activities) CallbackWake(ctx context.Context, in workflows.CallbackInput) (bool, error) {
	task, open, err := a.stillArranged(ctx, in)
	if err != nil || !open {
		return false, err
	}
	// A retried activity may note it twice; the call itself is one task.
	err = a.Store.AddEvent(ctx, task.CaseID, beian.Event{At: in.At, Event: "callback_due", Actor: "system", Detail: "约定的回拨时间已到，请拨打核验电话"})
	return true, appErr(err)
}

// CallbackCheck alerts staff, once, when the arranged callback has not been
// made 30 working minutes after its time.
func (a *Activities) CallbackCheck(ctx context.Context, in workflows.CallbackInput) error {
	task, open, err := a.stillArranged(ctx, in)
	if err != nil || !open {
		return err
	}
	c, err := a.Store.GetCase(ctx, task.CaseID)
	if err != nil {
		return appErr(err)
	}
	to := append([]string{}, a.Config.StaffAlerts...)
	if c.Routing.Mailbox != "" {
		to = append([]string{c.Routing.Mailbox}, to...)
	}
	if len(to) == 0 {
		return nil
	}
	when := in.At.In(calendar.Shanghai).Format("2006-01-02 15:04")
	m := beian.Mail{
		Key: "callback/" + task.ID + "/" + in.At.UTC().Format("20060102T150405") + "/late", To: to, CaseID: c.ID,
		Subject: fmt.Sprintf("【回拨超时】%s 约定 %s 的核验电话尚未拨打", c.CaseNo, when),
		Body:    fmt.Sprintf("备案申请 %s（%s）约定 %s 回拨的核验电话，30 分钟后仍未记录。请尽快拨打并在工作台「任务」中记录。\n", c.CaseNo, c.PrimaryName(), when),
	}
	if _, err := a.Store.QueueMailWithEvents(ctx, m, map[string]beian.Event{c.ID: {
		At: in.AlertAt, Event: "callback_late", Actor: "system", Detail: "约定回拨超过 30 分钟未拨打，已提醒",
	}}); err != nil {
		return err
	}
	return a.SendMail(ctx, m.Key)
}
