package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

// envCaller carries the escalation's orders to the filing workflows running
// in the same test environment, as worker.Engine does on a server.
type envCaller struct {
	env *testsuite.TestWorkflowEnvironment
}

func (c envCaller) Act(ctx context.Context, caseID string, a beian.Action, req workflows.ActionRequest, updateID string) (workflows.State, error) {
	var (
		once sync.Once
		done = make(chan struct{})
		st   workflows.State
		err  error
	)
	finish := func(s any, e error) {
		once.Do(func() {
			if v, ok := s.(workflows.State); ok {
				st = v
			}
			err = e
			close(done)
		})
	}
	uc := &testsuite.TestUpdateCallback{OnReject: func(e error) { finish(nil, e) }, OnAccept: func() {}, OnComplete: finish}
	if e := c.env.UpdateWorkflowByID(workflows.WorkflowID(caseID), string(a), updateID, uc, req); e != nil {
		return st, e
	}
	select {
	case <-done:
	case <-ctx.Done():
		return st, ctx.Err()
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return st, &beian.Error{Code: appErr.Type(), Message: appErr.Message()}
	}
	return st, err
}

// customerInput is what the test's customer workflow runs: the live
// filings of one customer and the call that escalates it.
type customerInput struct {
	CustomerID string
	Filings    []workflows.FilingInput
	Trigger    workflows.EscalationSignal
}

// customerWorkflow runs a customer's filings as children, and its
// escalation beside them; it waits for a "stop" signal so the test can act
// on the filings after the escalation has ended.
func customerWorkflow(ctx workflow.Context, in customerInput) (int, error) {
	var children []workflow.ChildWorkflowFuture
	for _, f := range in.Filings {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: workflows.WorkflowID(f.CaseID)})
		child := workflow.ExecuteChildWorkflow(cctx, workflows.FilingWorkflowName, f)
		if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return 0, err
		}
		children = append(children, child)
	}
	ectx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: workflows.EscalationID(in.CustomerID)})
	esc := workflow.ExecuteChildWorkflow(ectx, workflows.EscalationWorkflowName, in.CustomerID)
	if err := esc.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return 0, err
	}
	if err := esc.SignalChildWorkflow(ctx, workflows.SignalEscalate, in.Trigger).Get(ctx, nil); err != nil {
		return 0, err
	}
	var cut int
	if err := esc.Get(ctx, &cut); err != nil {
		return 0, err
	}
	// A filing never ends by itself here: one that does is a failure.
	sel := workflow.NewSelector(ctx)
	var ended error
	for i, child := range children {
		sel.AddFuture(child, func(f workflow.Future) {
			var st workflows.State
			ended = fmt.Errorf("filing %d ended (%s): %v", i, st.Status, f.Get(ctx, &st))
		})
	}
	sel.AddReceive(workflow.GetSignalChannel(ctx, "stop"), func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.Select(ctx)
	return cut, ended
}

// escalationFixture is one customer with three approved filings, its
// filings' workflows and its escalation in one time-skipping environment,
// on real Postgres and a real SMTP listener.
type escalationFixture struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	db    *postgres.DB
	mail  *catcher.Catcher
	start time.Time
	cases []*beian.Case
	in    customerInput
	errs  []string
	mu    sync.Mutex
}

func newEscalationFixture(t *testing.T) *escalationFixture {
	t.Helper()
	start := at("2026-11-30 10:00:00") // a Monday
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.ReplaceDataCentres(ctx, stack.DataCentres(), "test"))
	cat, sender := stack.Mailer(t)
	require.NoError(t, db.PutCustomers(ctx, []beian.Customer{{
		ID: "C-ESC", Name: "某某网络公司",
		AccountManager:  beian.Contact{Name: "王经理", Email: "manager@test.local"},
		ManagerSuperior: beian.Contact{Name: "赵总监", Email: "director@test.local"},
	}}, "test"))
	f := &escalationFixture{t: t, db: db, mail: cat, start: start}
	for i := range 3 {
		c := &beian.Case{
			Type: beian.TypeNew, Status: beian.StatusApproved, CustomerID: "C-ESC",
			FilingNumber: fmt.Sprintf("苏ICP备2026%04d号-1", i+1),
			Sponsor:      beian.Sponsor{Kind: beian.SponsorPerson, Name: "张三", CertType: beian.CertIDCard, CertNumber: "11010519491231002X", Province: "江苏", City: "苏州", Address: "工业园区星湖街1号"},
			Principal:    beian.Principal{Name: "张三", IDNumber: "11010519491231002X", Mobile: "13800138000", Email: "zhangsan@example.net"},
			Website:      beian.Website{Name: "张三的笔记", Domains: []string{fmt.Sprintf("esc-wf-%d.cn", i)}, ServerIPs: []string{"198.51.100.9"}},
			Routing:      beian.Routing{Province: "江苏", DataCentre: "苏州园区机房", AccessProvider: beian.ProviderJiangsu, Mailbox: "JSBA@ChinaNet.CC", BureauProvince: "江苏"},
			CreatedBy:    "test", CreatedAt: start.Add(-30 * 24 * time.Hour),
		}
		if i == 2 { // served from two addresses: two cuts
			c.Website.ServerIPs = []string{"198.51.100.9", "198.51.100.10"}
		}
		require.NoError(t, db.CreateCase(ctx, c))
		f.cases = append(f.cases, c)
		in := workflows.InputFor(c)
		in.State = &workflows.State{Snapshot: workflows.Snapshot{Status: beian.StatusApproved, FilingNumber: c.FilingNumber,
			Domain: in.Domain, Province: in.Province, BureauProvince: in.BureauProvince}}
		f.in.Filings = append(f.in.Filings, in)
	}
	f.in.CustomerID = "C-ESC"
	f.in.Trigger = workflows.EscalationSignal{CaseID: f.cases[0].ID, CaseNo: f.cases[0].CaseNo, Outcome: "false_info"}

	var ts testsuite.WorkflowTestSuite
	f.env = ts.NewTestWorkflowEnvironment()
	f.env.SetStartTime(start)
	f.env.SetTestTimeout(3 * time.Minute)
	acts := &activities.Activities{Store: db, Mailer: sender, Caller: envCaller{f.env}, Config: activities.Config{
		BureauWorkingDays: 20, RectifyWithin: 24 * time.Hour, GMMailbox: "gm@test.local",
		TechMailbox: "tech@test.local", TechSupervisorMailbox: "techboss@test.local",
	}}
	worker.Register(f.env, acts)
	f.env.RegisterWorkflowWithOptions(customerWorkflow, workflow.RegisterOptions{Name: "TestCustomer"})
	return f
}

func (f *escalationFixture) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// at runs fn at d of workflow time.
func (f *escalationFixture) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

// act sends an update to a filing at d; want is "" for success or the
// error code the update must be refused with (the message must hold
// wantText).
func (f *escalationFixture) act(d time.Duration, c *beian.Case, a beian.Action, req func() workflows.ActionRequest, want, wantText string) {
	f.at(d, func() {
		done := func(_ any, err error) {
			var appErr *temporal.ApplicationError
			switch {
			case want == "" && err != nil:
				f.fail("%s on %s: %v", a, c.CaseNo, err)
			case want != "" && (!errors.As(err, &appErr) || appErr.Type() != want || !strings.Contains(appErr.Message(), wantText)):
				f.fail("%s on %s: got %v, want %s %q", a, c.CaseNo, err, want, wantText)
			}
		}
		uc := &testsuite.TestUpdateCallback{OnReject: func(err error) { done(nil, err) }, OnAccept: func() {}, OnComplete: done}
		if err := f.env.UpdateWorkflowByID(workflows.WorkflowID(c.ID), string(a), fmt.Sprintf("%s/%s/%s", a, c.ID, d), uc, req()); err != nil {
			f.fail("%s on %s: %v", a, c.CaseNo, err)
		}
	})
}

func (f *escalationFixture) run(stopAt time.Duration) int {
	f.at(stopAt, func() { f.env.SignalWorkflow("stop", nil) })
	f.env.ExecuteWorkflow("TestCustomer", f.in)
	require.True(f.t, f.env.IsWorkflowCompleted())
	require.NoError(f.t, f.env.GetWorkflowError())
	require.Empty(f.t, f.errs)
	var cut int
	require.NoError(f.t, f.env.GetWorkflowResult(&cut))
	return cut
}

func (f *escalationFixture) caseNow(c *beian.Case) *beian.Case {
	got, err := f.db.GetCase(context.Background(), c.ID)
	require.NoError(f.t, err)
	return got
}

func eventAt(c *beian.Case, name string) (time.Time, bool) {
	for _, e := range c.Timeline {
		if e.Event == name {
			return e.At, true
		}
	}
	return time.Time{}, false
}

func (f *escalationFixture) mails(subject string) []catcher.Message {
	var out []catcher.Message
	for _, m := range f.mail.Messages() {
		if strings.Contains(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// waitMails waits until n mails with the subject arrived, then a little
// longer to see that no more come.
func (f *escalationFixture) waitMails(subject string, n int) []catcher.Message {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.mails(subject)) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	got := f.mails(subject)
	require.Equal(f.t, n, len(got), "mails with %q: %v", subject, subjects(f.mail.Messages()))
	return got
}

func subjects(ms []catcher.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

// TestEscalationDeadlineStopsEveryFilingOnce (R-VC-4): a false-info call
// orders all three live filings of the customer to rectify; nothing happens
// before the 24 hours; at them each filing's access is cut (one action per
// server IP, for tech's supervisor) and the GM is mailed once, naming all
// three.
func TestEscalationDeadlineStopsEveryFilingOnce(t *testing.T) {
	f := newEscalationFixture(t)
	for _, c := range f.cases {
		f.at(24*time.Hour-time.Minute, func() {
			if got := f.caseNow(c); got.Status != beian.StatusRectifying {
				f.fail("%s a minute before the deadline: %s", c.CaseNo, got.Status)
			}
		})
	}
	cut := f.run(48 * time.Hour)
	require.Equal(t, 3, cut, "three filings cut")
	deadline := f.start.Add(24 * time.Hour)
	actions, err := f.db.ListAccessActions(context.Background(), beian.AccessPending)
	require.NoError(t, err)
	perCase := map[string]int{}
	for _, a := range actions {
		require.Equal(t, beian.AccessCancel, a.Kind)
		require.Equal(t, beian.AddresseeTechSupervisor, a.AddressedTo)
		require.Len(t, a.ServerIPs, 1)
		perCase[a.CaseID]++
	}
	require.Equal(t, map[string]int{f.cases[0].ID: 1, f.cases[1].ID: 1, f.cases[2].ID: 2}, perCase)
	for _, c := range f.cases {
		got := f.caseNow(c)
		require.Equal(t, beian.StatusAccessCancelled, got.Status)
		when, ok := eventAt(got, "rectification_expired")
		require.True(t, ok)
		require.True(t, when.Equal(deadline), "%s cut at %s, want %s", c.CaseNo, when, deadline)
	}
	gm := f.waitMails("停止接入报告", 1)[0]
	require.Contains(t, gm.To, "gm@test.local")
	for _, c := range f.cases {
		require.Contains(t, gm.Body, c.CaseNo)
	}
	require.Len(t, f.waitMails("备案核验上报", 1)[0].To, 2, "the superior and the account manager, once")
	for _, m := range f.waitMails("【主管】【取消接入】", 3) {
		require.Equal(t, []string{"techboss@test.local"}, m.To, "one work order per filing, to tech's supervisor")
	}
}

// TestEscalationRectifiedInTimeStopsNothing (R-VC-4): every filing is
// rectified before the 24 hours: no cut, no report to the GM.
func TestEscalationRectifiedInTimeStopsNothing(t *testing.T) {
	f := newEscalationFixture(t)
	for i, c := range f.cases {
		f.act(time.Duration(20+i)*time.Hour, c, beian.ActionRectified, func() workflows.ActionRequest {
			return workflows.ActionRequest{Actor: "xiaoli", Reason: "已更正资料"}
		}, "", "")
	}
	cut := f.run(48 * time.Hour)
	require.Zero(t, cut)
	for _, c := range f.cases {
		require.Equal(t, beian.StatusApproved, f.caseNow(c).Status)
	}
	actions, err := f.db.ListAccessActions(context.Background(), "")
	require.NoError(t, err)
	require.Empty(t, actions, "nothing cut")
	f.waitMails("备案核验上报", 1)
	require.Empty(t, f.mails("停止接入报告"))
}

// TestEscalationRestoreOnlyAfterAPassingCall (R-VC-4, R-AC-1): after the
// cut, and tech's confirmation, a restore is refused until a verification
// call finds every answer matching; then the restore goes to tech's
// supervisor and the filing is noted 「整改合格」.
func TestEscalationRestoreOnlyAfterAPassingCall(t *testing.T) {
	f := newEscalationFixture(t)
	c := f.cases[2]
	f.at(26*time.Hour, func() {
		actions, err := f.db.ListAccessActions(context.Background(), beian.AccessPending)
		if err != nil {
			f.fail("list: %v", err)
		}
		for _, a := range actions {
			if a.CaseID == c.ID {
				if _, err := f.db.ConfirmAccessAction(context.Background(), a.ID, "laoli", time.Time{}, "已封禁"); err != nil {
					f.fail("confirm: %v", err)
				}
			}
		}
	})
	restore := func() workflows.ActionRequest {
		return workflows.ActionRequest{Actor: "wangzg", Reason: "客户已整改"}
	}
	f.act(27*time.Hour, c, beian.ActionRestoreAccess, restore, beian.CodeInvalidState, "核验一致")
	f.act(28*time.Hour, c, beian.ActionVerificationCall, func() workflows.ActionRequest {
		return workflows.ActionRequest{Actor: "xiaoli", Reason: "整改后复核"}
	}, "", "")
	f.act(29*time.Hour, c, beian.ActionVerificationResult, func() workflows.ActionRequest {
		tasks, err := f.db.CaseTasks(context.Background(), c.ID)
		if err != nil || len(tasks) == 0 {
			f.fail("the call task: %v %d", err, len(tasks))
			return workflows.ActionRequest{}
		}
		return workflows.ActionRequest{Actor: "xiaoli", TaskID: tasks[len(tasks)-1].ID, Outcome: "answered",
			Answers: map[string]string{"sponsor_name": "张三", "principal": "张三", "phone_last4": "8000",
				"email_domain": "EXAMPLE.net", "province": "江苏省", "city": "苏州市"}}
	}, "", "")
	f.act(30*time.Hour, c, beian.ActionRestoreAccess, restore, "", "")
	f.run(48 * time.Hour)

	got := f.caseNow(c)
	require.Equal(t, beian.StatusApproved, got.Status)
	require.NotNil(t, got.LastVerifiedAt)
	notes := ""
	for _, e := range got.Timeline {
		notes += e.Detail + "\n"
	}
	require.Contains(t, notes, "整改合格")
	actions, err := f.db.ListAccessActions(context.Background(), beian.AccessPending)
	require.NoError(t, err)
	restores := 0
	for _, a := range actions {
		if a.CaseID == c.ID && a.Kind == beian.AccessRestore {
			restores++
			require.Equal(t, beian.AddresseeTechSupervisor, a.AddressedTo)
		}
	}
	require.Equal(t, 2, restores, "one restore per server IP")
	// The other two filings stay cut.
	require.Equal(t, beian.StatusAccessCancelled, f.caseNow(f.cases[0]).Status)
}
