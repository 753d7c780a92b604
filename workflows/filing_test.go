package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/worker"
	"github.com/beian/beian/workflows"
)

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a test workflow environment with time skipping whose activities
// are the real ones, on real Postgres and a real SMTP listener.
type fixture struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	db   *postgres.DB
	mail *catcher.Catcher
	c    *beian.Case
	// checks collected in callbacks, asserted after the run
	errs []string
}

func newFixture(t *testing.T, start time.Time, cfg activities.Config) *fixture {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.ReplaceDataCentres(ctx, stack.DataCentres(), "test"))
	cat, sender := stack.Mailer(t)
	if cfg.BureauWorkingDays == 0 {
		cfg.BureauWorkingDays = 20
	}
	if cfg.RectifyWithin == 0 {
		cfg.RectifyWithin = 24 * time.Hour
	}
	acts := &activities.Activities{Store: db, Mailer: sender, Config: cfg}

	c := &beian.Case{
		Type:      beian.TypeNew,
		Status:    beian.StatusAwaitingMaterials,
		Sponsor:   beian.Sponsor{Kind: beian.SponsorPerson, Name: "张三", CertType: beian.CertIDCard, CertNumber: "11010519491231002X", Province: "江苏", City: "苏州", Address: "工业园区星湖街1号"},
		Principal: beian.Principal{Name: "张三", IDNumber: "11010519491231002X", Mobile: "13800138000", Email: "zhangsan@example.net"},
		Website:   beian.Website{Name: "张三的笔记", Domains: []string{"zhangsan-wf.cn"}, ServerIPs: []string{"198.51.100.9"}},
		CreatedBy: "test", CreatedAt: start,
	}
	res := intake.Check(c, intake.Input{Rules: intake.DefaultRules(), DataCentres: stack.DataCentres(), Now: start})
	require.Empty(t, res.Violations)
	c.Routing, c.Checklist, c.EmailSubject = res.Routing, res.Checklist, res.EmailSubject
	c.Routing.BureauProvince = "江苏"
	purge := beian.AddMonths(start, 1)
	c.Deadlines.PurgeAt = &purge
	require.NoError(t, db.CreateCase(ctx, c))

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(2 * time.Minute)
	worker.Register(env, acts)
	return &fixture{t: t, env: env, db: db, mail: cat, c: c}
}

func (f *fixture) codes() []string {
	var out []string
	for _, it := range f.c.Checklist {
		if it.Required {
			out = append(out, it.Code)
		}
	}
	return out
}

// update sends an update after d of workflow time; the outcome is checked later.
func (f *fixture) update(d time.Duration, a beian.Action, req workflows.ActionRequest, wantReject string) {
	f.env.RegisterDelayedCallback(func() {
		f.env.UpdateWorkflow(string(a), "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				var appErr *temporal.ApplicationError
				if wantReject == "" || !errors.As(err, &appErr) || appErr.Type() != wantReject {
					f.errs = append(f.errs, string(a)+" rejected: "+err.Error())
				}
			},
			OnAccept: func() {
				if wantReject != "" {
					f.errs = append(f.errs, string(a)+" accepted, want rejection "+wantReject)
				}
			},
			OnComplete: func(_ any, err error) {
				if err != nil && wantReject == "" {
					f.errs = append(f.errs, string(a)+" failed: "+err.Error())
				}
			},
		}, req)
	}, d)
}

// expect records the workflow state at d of workflow time.
func (f *fixture) expect(d time.Duration, what string, check func(workflows.State) bool) {
	f.env.RegisterDelayedCallback(func() {
		v, err := f.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			f.errs = append(f.errs, what+": query: "+err.Error())
			return
		}
		var st workflows.State
		if err := v.Get(&st); err != nil {
			f.errs = append(f.errs, what+": "+err.Error())
			return
		}
		if !check(st) {
			f.errs = append(f.errs, what+": state "+string(st.Status))
		}
	}, d)
}

// run executes the workflow; stopAt, when set, cancels it then (a live filing never ends by itself).
func (f *fixture) run(stopAt time.Duration) {
	if stopAt > 0 {
		f.env.RegisterDelayedCallback(f.env.CancelWorkflow, stopAt)
	}
	f.env.ExecuteWorkflow(workflows.FilingWorkflowName, workflows.InputFor(f.c))
	require.True(f.t, f.env.IsWorkflowCompleted())
	require.Empty(f.t, f.errs)
}

func (f *fixture) caseNow() *beian.Case {
	c, err := f.db.GetCase(context.Background(), f.c.ID)
	require.NoError(f.t, err)
	return c
}

func (f *fixture) eventAt(name string) time.Time {
	for _, e := range f.caseNow().Timeline {
		if e.Event == name {
			return e.At
		}
	}
	f.t.Fatalf("no %s event on the timeline", name)
	return time.Time{}
}

// TestStalePurgeFiresAfterOneMonth (R-RV-5): not a second early, exactly at
// one calendar month, and the workflow ends.
func TestStalePurgeFiresAfterOneMonth(t *testing.T) {
	start := at("2026-01-31 10:00:00")
	f := newFixture(t, start, activities.Config{})
	purge := at("2026-02-28 10:00:00") // a month after 31 January is the end of February
	require.Equal(t, purge, *f.c.Deadlines.PurgeAt)
	f.update(time.Hour, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()[:1]}, "")
	f.expect(purge.Sub(start)-time.Second, "still awaiting just before", func(s workflows.State) bool {
		return s.Status == beian.StatusAwaitingMaterials
	})
	f.run(0)
	require.NoError(t, f.env.GetWorkflowError())
	c := f.caseNow()
	require.Equal(t, beian.StatusPurged, c.Status)
	require.True(t, f.eventAt("purged").Equal(purge), "purged at %s", f.eventAt("purged"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := f.mail.Wait(ctx, func(m catcher.Message) bool { return strings.Contains(m.Subject, "删除") })
	require.NoError(t, err)
	require.Contains(t, m.To, "zhangsan@example.net")
}

// TestBureauDueAcrossNationalDay (R-BR-1, R-BR-4): submitted Monday
// 2026-09-28; the 20 working days skip 1–7 October and count Saturday
// 10 October (make-up day): 9-29, 9-30, 10-8, 10-9, 10-10, 10-12…10-16,
// 10-19…10-23, 10-26…10-30 → due Friday 2026-10-30 17:30. The overdue
// alert fires then, not before, and the case keeps waiting.
func TestBureauDueAcrossNationalDay(t *testing.T) {
	start := at("2026-09-28 09:00:00")
	f := newFixture(t, start, activities.Config{StaffAlerts: []string{"boss@test.local"}})
	due := at("2026-10-30 17:30:00")
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(time.Hour, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	// The code entered the same working day: the due date stays (R-BR-6).
	f.update(90*time.Minute, beian.ActionSMSVerified, workflows.ActionRequest{Actor: "t"}, "")
	f.expect(2*time.Hour, "due computed", func(s workflows.State) bool {
		return s.Status == beian.StatusBureauReview && s.BureauDueAt != nil && s.BureauDueAt.Equal(due)
	})
	f.expect(due.Sub(start)-time.Second, "not overdue before", func(s workflows.State) bool { return !s.Overdue })
	f.expect(due.Sub(start)+time.Second, "overdue after", func(s workflows.State) bool {
		return s.Overdue && s.Status == beian.StatusBureauReview
	})
	f.run(due.Sub(start) + time.Minute)
	require.True(t, f.eventAt("bureau_overdue").Equal(due))
	c := f.caseNow()
	require.True(t, c.Overdue)
	require.Equal(t, due, c.Deadlines.BureauDueAt.In(shanghai))
}

// TestDecisionBeforeDueLeavesNoTimer: a decision before the due time stops
// the SLA timer; nothing fires later (R-BR-4).
func TestDecisionBeforeDueLeavesNoTimer(t *testing.T) {
	start := at("2026-09-28 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(time.Hour, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	f.update(2*time.Hour, beian.ActionSMSVerified, workflows.ActionRequest{Actor: "t"}, "")
	f.update(48*time.Hour, beian.ActionBureauDecision, workflows.ActionRequest{Actor: "t", Decision: "approved", FilingNumber: "苏ICP备1号-1"}, "")
	f.run(60 * 24 * time.Hour)
	for _, e := range f.caseNow().Timeline {
		require.NotEqual(t, "bureau_overdue", e.Event)
		require.NotEqual(t, "purged", e.Event)
	}
	require.Equal(t, beian.StatusApproved, f.caseNow().Status)
}

// TestRectificationDeadline (R-PA-3, R-VC-4): 24 hours after the demand,
// access is cancelled; a rectification in time stops the clock.
func TestRectificationDeadline(t *testing.T) {
	start := at("2026-11-02 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(2*time.Minute, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	f.update(3*time.Minute, beian.ActionBureauDecision, workflows.ActionRequest{Actor: "t", Decision: "approved", FilingNumber: "苏ICP备2号-1"}, "")
	// First demand: met in time.
	f.update(time.Hour, beian.ActionRequireRectify, workflows.ActionRequest{Actor: "t", Reason: "联系人手机不实", Source: "verification"}, "")
	f.update(20*time.Hour, beian.ActionRectified, workflows.ActionRequest{Actor: "t"}, "")
	f.expect(26*time.Hour, "rectified, approved", func(s workflows.State) bool { return s.Status == beian.StatusApproved && s.RectifyBy == nil })
	// Second demand: missed.
	demand := 48 * time.Hour
	f.update(demand, beian.ActionRequireRectify, workflows.ActionRequest{Actor: "t", Reason: "域名解析不在我公司", Source: "sweep"}, "")
	f.expect(demand+24*time.Hour-time.Second, "still rectifying", func(s workflows.State) bool { return s.Status == beian.StatusRectifying })
	f.expect(demand+24*time.Hour+time.Second, "access cancelled", func(s workflows.State) bool { return s.Status == beian.StatusAccessCancelled })
	f.run(demand + 25*time.Hour)
	require.True(t, f.eventAt("rectification_expired").Equal(start.Add(demand+24*time.Hour)))
	acts, err := f.db.ListAccessActions(context.Background(), beian.AccessPending)
	require.NoError(t, err)
	kinds := []string{}
	for _, a := range acts {
		kinds = append(kinds, a.Kind)
	}
	require.ElementsMatch(t, []string{beian.AccessOpen, beian.AccessCancel}, kinds)
}

// TestWrongStateUpdatesRejected: an action the status does not allow is
// rejected by the validator, before it touches history.
func TestWrongStateUpdatesRejected(t *testing.T) {
	start := at("2026-11-02 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, beian.CodeInvalidState)
	f.update(2*time.Minute, beian.ActionBureauDecision, workflows.ActionRequest{Actor: "t", Decision: "approved", FilingNumber: "x"}, beian.CodeInvalidState)
	f.update(3*time.Minute, beian.ActionRectified, workflows.ActionRequest{Actor: "t"}, beian.CodeInvalidState)
	f.update(4*time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t"}, beian.CodeInvalid) // nothing listed
	f.update(5*time.Minute, beian.ActionWithdraw, workflows.ActionRequest{Actor: "t", Reason: "用户放弃"}, "")
	f.update(6*time.Minute, beian.ActionWithdraw, workflows.ActionRequest{Actor: "t"}, beian.CodeInvalidState)
	f.run(0)
	require.NoError(t, f.env.GetWorkflowError())
	require.Equal(t, beian.StatusWithdrawn, f.caseNow().Status)
	for _, e := range f.caseNow().Timeline {
		require.NotEqual(t, "submitted", e.Event)
	}
}

// TestContinueAsNewKeepsState: a long-lived filing cuts its history and
// carries its state (status, transition number, filing number) to the next run.
func TestContinueAsNewKeepsState(t *testing.T) {
	start := at("2026-11-02 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(2*time.Minute, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	f.update(3*time.Minute, beian.ActionBureauDecision, workflows.ActionRequest{Actor: "t", Decision: "approved", FilingNumber: "苏ICP备3号-1"}, "")
	for i := 0; i < 6; i++ {
		f.update(time.Duration(i+1)*time.Hour, beian.ActionRequireRectify, workflows.ActionRequest{Actor: "t", Reason: "复核", Source: "manual"}, "")
		f.update(time.Duration(i+1)*time.Hour+time.Minute, beian.ActionRectified, workflows.ActionRequest{Actor: "t"}, "")
	}
	// The server suggests continuing as new; the next transition wakes the loop.
	f.env.RegisterDelayedCallback(func() { f.env.SetContinueAsNewSuggested(true) }, 10*time.Hour)
	f.update(11*time.Hour, beian.ActionRequireRectify, workflows.ActionRequest{Actor: "t", Reason: "域名解析不在我公司", Source: "sweep"}, "")
	f.env.ExecuteWorkflow(workflows.FilingWorkflowName, workflows.InputFor(f.c))
	require.True(t, f.env.IsWorkflowCompleted())
	require.Empty(t, f.errs)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, f.env.GetWorkflowError(), &can)
	var next workflows.FilingInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Equal(t, beian.StatusRectifying, next.State.Status)
	require.Equal(t, start.Add(35*time.Hour), next.State.RectifyBy.In(shanghai), "the running deadline goes on in the next run")
	require.Equal(t, "苏ICP备3号-1", next.State.FilingNumber)
	require.Greater(t, next.State.Seq, 5)
	require.Equal(t, f.c.ID, next.CaseID)
}

// TestSignalsNotLostAtContinueAsNew: bureau results that arrive as signals
// in the same moment the workflow continues as new are all applied first.
func TestSignalsNotLostAtContinueAsNew(t *testing.T) {
	start := at("2026-11-02 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(2*time.Minute, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	f.env.RegisterDelayedCallback(func() {
		f.env.SetContinueAsNewSuggested(true)
		f.env.SignalWorkflow(workflows.SignalBureauDecision, workflows.ActionRequest{Actor: "管局", BureauReceived: true})
		f.env.SignalWorkflow(workflows.SignalBureauDecision, workflows.ActionRequest{Actor: "管局", Decision: "approved", FilingNumber: "苏ICP备4号-1"})
	}, time.Hour)
	f.env.ExecuteWorkflow(workflows.FilingWorkflowName, workflows.InputFor(f.c))
	require.Empty(t, f.errs)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, f.env.GetWorkflowError(), &can)
	var next workflows.FilingInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, beian.StatusApproved, next.State.Status, "the approval signal was applied before the run ended")
	require.Equal(t, "苏ICP备4号-1", next.State.FilingNumber)
	c := f.caseNow()
	require.True(t, c.BureauReceived)
	require.Equal(t, beian.StatusApproved, c.Status)
}

// TestVerificationCallDueSameDay (R-RV-6 当日事，当日毕): materials complete on
// a working day before 17:30 → the verification call is due 17:30 that day;
// after 17:30 or on a holiday → 17:30 on the next working day.
func TestVerificationCallDueSameDay(t *testing.T) {
	for _, tc := range []struct{ start, want string }{
		{"2026-11-02 09:00:00", "2026-11-02 17:30:00"}, // Monday morning
		{"2026-11-02 17:00:00", "2026-11-03 17:30:00"}, // Monday, after 17:30 when the materials arrive at 17:31
		{"2026-10-01 10:00:00", "2026-10-08 17:30:00"}, // National Day: next working day
	} {
		f := newFixture(t, at(tc.start), activities.Config{})
		f.update(31*time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
		f.run(time.Hour)
		tasks, err := f.db.ListTasks(context.Background(), beian.TaskVerificationCall, beian.TaskOpen)
		require.NoError(t, err)
		require.Len(t, tasks, 1)
		require.Equal(t, at(tc.want), tasks[0].DueAt.In(shanghai), "materials at %s", tc.start)
	}
}

// TestBureauSignalWaitsForRunningUpdate: a bureau signal that arrives while
// an update is still applying is checked after it, under the same lock: the
// receipt signal sent with the submission is applied, not refused.
func TestBureauSignalWaitsForRunningUpdate(t *testing.T) {
	start := at("2026-11-02 09:00:00")
	f := newFixture(t, start, activities.Config{})
	f.update(time.Minute, beian.ActionMaterials, workflows.ActionRequest{Actor: "t", Received: f.codes()}, "")
	f.update(time.Hour, beian.ActionReview, workflows.ActionRequest{Actor: "t", Result: "pass"}, "")
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(workflows.SignalBureauDecision, workflows.ActionRequest{Actor: "管局", BureauReceived: true})
	}, time.Hour)
	// The same approval twice (at-least-once delivery): applied once, the repeat dropped.
	for _, d := range []time.Duration{2 * time.Hour, 3 * time.Hour} {
		f.env.RegisterDelayedCallback(func() {
			f.env.SignalWorkflow(workflows.SignalBureauDecision, workflows.ActionRequest{Actor: "管局", Decision: "approved", FilingNumber: "苏ICP备5号-1"})
		}, d)
	}
	f.run(4 * time.Hour)
	c := f.caseNow()
	require.True(t, c.BureauReceived)
	require.Equal(t, beian.StatusApproved, c.Status)
	counts := map[string]int{}
	for _, e := range c.Timeline {
		counts[e.Event]++
	}
	require.Equal(t, 1, counts["bureau_received"])
	require.Equal(t, 1, counts["bureau_approved"])
	require.Zero(t, counts["bureau_signal_refused"], "%v", counts)
}
