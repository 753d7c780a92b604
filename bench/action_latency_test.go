package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/workflows"
)

// The floor: the barest staff action there can be on Temporal, a workflow
// update whose handler runs one activity writing one row to Postgres, on
// its own task queue and worker, on the same dev server and database.
const (
	floorQueue    = "bench-floor"
	floorWorkflow = "BenchFloor"
	floorUpdate   = "write"
	// floorLocalUpdate does the same write as a local activity, for
	// comparison only (no goal): what an Apply run locally could save.
	floorLocalUpdate = "write-local"
	floorActivity    = "BenchFloorWrite"
)

func benchFloor(ctx workflow.Context) error {
	n := 0
	if err := workflow.SetUpdateHandler(ctx, floorUpdate, func(ctx workflow.Context) (int, error) {
		n++
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
		err := workflow.ExecuteActivity(actx, floorActivity, workflow.GetInfo(ctx).WorkflowExecution.ID, n).Get(ctx, nil)
		return n, err
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, floorLocalUpdate, func(ctx workflow.Context) (int, error) {
		n++
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
		err := workflow.ExecuteLocalActivity(lctx, floorActivity, workflow.GetInfo(ctx).WorkflowExecution.ID, n).Get(ctx, nil)
		return n, err
	}); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

type floorWriter struct{ pool *pgxpool.Pool }

func (f floorWriter) write(ctx context.Context, workflowID string, n int) error {
	_, err := f.pool.Exec(ctx, `INSERT INTO bench_floor (workflow_id, n) VALUES ($1, $2)`, workflowID, n)
	return err
}

// actionSample is one measured round trip: an API call, or a floor update.
type actionSample struct {
	action     string // bench name: materials, review-pass …, or floor
	workflowID string
	update     string // the update's name in the history
	nth        int    // which of the workflow's updates of that name
	start, end time.Time
}

func (a actionSample) took() time.Duration { return a.end.Sub(a.start) }

// phases of one update, from the workflow's history (server time; the
// dev server runs on this machine's clock, so they compare with the
// client's): the workflow task that accepted it (scheduled, started by the
// worker, accepted), the activity it ran (scheduled, started, closed), and
// the workflow task that completed it (scheduled, started, completed).
type phases struct {
	name                                  string
	wft1Scheduled, wft1Started, accepted  time.Time
	actScheduled, actStarted, actClosed   time.Time
	wft2Scheduled, wft2Started, completed time.Time
	actScheduledID, acceptedID, wftCompl  int64
}

// historyPhases reads the updates of a workflow, in the order they were
// accepted, with the activity named activityName that each scheduled in
// the workflow task that accepted it.
func historyPhases(t *testing.T, c client.Client, workflowID, activityName string) []*phases {
	t.Helper()
	var out []*phases
	var lastScheduled, lastStarted time.Time
	var lastCompleted int64
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		at := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			lastScheduled = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			lastStarted = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			lastCompleted = e.GetEventId()
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
			out = append(out, &phases{name: a.GetAcceptedRequest().GetInput().GetName(),
				wft1Scheduled: lastScheduled, wft1Started: lastStarted, accepted: at,
				acceptedID: e.GetEventId(), wftCompl: lastCompleted})
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := e.GetActivityTaskScheduledEventAttributes()
			for _, p := range out {
				if p.wftCompl == a.GetWorkflowTaskCompletedEventId() && p.actScheduledID == 0 && a.GetActivityType().GetName() == activityName {
					p.actScheduledID, p.actScheduled = e.GetEventId(), at
				}
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			for _, p := range out {
				if p.actScheduledID == e.GetActivityTaskStartedEventAttributes().GetScheduledEventId() {
					p.actStarted = at
				}
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			for _, p := range out {
				if p.actScheduledID == e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId() {
					p.actClosed = at
				}
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			for _, p := range out {
				if p.acceptedID == e.GetWorkflowExecutionUpdateCompletedEventAttributes().GetAcceptedEventId() {
					p.wft2Scheduled, p.wft2Started, p.completed = lastScheduled, lastStarted, at
				}
			}
		}
	}
	return out
}

// phaseNames are the parts of a round trip, in order (see split).
var phaseNames = []string{"API before", "task 1 queued", "task 1 ran", "activity queued", "activity ran",
	"task 2 queued", "task 2 ran", "API after"}

// split cuts a sample's round trip into phaseNames.
func split(s actionSample, p *phases) []time.Duration {
	return []time.Duration{
		p.wft1Scheduled.Sub(s.start),       // the API's work, the UpdateWorkflow call reaching the server
		p.wft1Started.Sub(p.wft1Scheduled), // the workflow task to the worker
		p.accepted.Sub(p.wft1Started),      // the validator, the handler up to the activity, the task's completion
		p.actStarted.Sub(p.actScheduled),   // the activity task to the worker
		p.actClosed.Sub(p.actStarted),      // the activity (Apply: read the case, compute, one transaction) and its completion
		p.wft2Started.Sub(p.wft2Scheduled), // the next workflow task to the worker
		p.completed.Sub(p.wft2Started),     // adopting the result and completing the update
		s.end.Sub(p.completed),             // the result to the caller (and the API's answer)
	}
}

func durPct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// TestBenchActionLatency (issue 11): each staff action through the API,
// one at a time on fresh cases, against the floor (benchFloor) on the same
// dev server in the same run, the two interleaved so both see the same
// load. Goals: p50 ≤ 1.5× the floor's p50, p95 ≤ 3× the floor's p95. Each
// round trip starts with the workflow idle (no task or activity pending),
// as a staff action does minutes after the last; the history of each
// update splits its time into phases (see split).
func TestBenchActionLatency(t *testing.T) {
	requireBench(t)
	rounds := benchEnv("BEIAN_BENCH_ACTION_ROUNDS", 20)
	ctx := context.Background()
	s := stack.Start(t, stack.Options{})

	_, err := s.DB.Pool().Exec(ctx, `CREATE TABLE bench_floor (id bigserial PRIMARY KEY, workflow_id text NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	fw := sdkworker.New(s.Temporal, floorQueue, sdkworker.Options{})
	fw.RegisterWorkflowWithOptions(benchFloor, workflow.RegisterOptions{Name: floorWorkflow})
	fw.RegisterActivityWithOptions(floorWriter{pool: s.DB.Pool()}.write, activity.RegisterOptions{Name: floorActivity})
	require.NoError(t, fw.Start())
	defer fw.Stop()

	// idle waits until the workflow has no task or activity pending: the
	// mail an action sends in the background is out, the next starts clean.
	idle := func(workflowID string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := s.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
			require.NoError(t, err)
			if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING ||
				(len(d.GetPendingActivities()) == 0 && d.GetPendingWorkflowTask() == nil) {
				return
			}
			require.True(t, time.Now().Before(deadline), "workflow %s never idle", workflowID)
			time.Sleep(5 * time.Millisecond)
		}
	}

	var samples []actionSample
	var floorID string
	floorN, floorUpdates := 0, 0 // updates of the floor workflow: all, and of floorUpdate
	var floorLocal []time.Duration
	floorOnce := func(update string) (time.Time, time.Time) {
		t.Helper()
		idle(floorID)
		start := time.Now()
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: floorID, UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
		var n int
		require.NoError(t, h.Get(ctx, &n))
		end := time.Now()
		floorN++
		require.Equal(t, floorN, n)
		return start, end
	}
	floor := func(record bool) {
		t.Helper()
		nth := floorUpdates
		start, end := floorOnce(floorUpdate)
		floorUpdates++
		if record {
			samples = append(samples, actionSample{action: "floor", workflowID: floorID, update: floorUpdate, nth: nth, start: start, end: end})
		}
		start, end = floorOnce(floorLocalUpdate)
		if record {
			floorLocal = append(floorLocal, end.Sub(start))
		}
	}

	// call is one API call; a staff action on a case is measured after a
	// floor update, both from idle.
	call := func(method, path string, body any, want int) (map[string]any, time.Time, time.Time) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			j, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(j)
		}
		req, err := http.NewRequest(method, s.API.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+stack.TokSpecialist)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		end := time.Now()
		require.NoError(t, err)
		require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, raw)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out))
		return out, start, end
	}
	var creates []time.Duration
	act := func(record bool, action, update, caseID, method, path string, body any) map[string]any {
		t.Helper()
		wid := workflows.WorkflowID(caseID)
		floor(record)
		idle(wid)
		out, start, end := call(method, path, body, 200)
		if record {
			samples = append(samples, actionSample{action: action, workflowID: wid, update: update, start: start, end: end})
		}
		return out
	}
	create := func(record bool, who, round int, tag int64) (string, []string) {
		t.Helper()
		id := residentID(who)
		body := map[string]any{
			"type": "new",
			"sponsor": map[string]any{"kind": "person", "name": "张三", "cert_type": "id_card", "cert_number": id,
				"province": "江苏", "city": "苏州", "address": "工业园区星湖街1号"},
			"principal": map[string]any{"name": "张三", "id_number": id, "mobile": "13800138000", "email": "bench@example.net"},
			"website":   map[string]any{"name": "张三的笔记", "domains": []string{fmt.Sprintf("act-%d-%d-%d.cn", tag, round, who)}, "server_ips": []string{"198.51.100.7"}},
		}
		c, start, end := call("POST", "/api/v1/filings", body, 201)
		if record {
			creates = append(creates, end.Sub(start))
		}
		var codes []string
		for _, it := range c["checklist"].([]any) {
			if m := it.(map[string]any); m["required"] == true {
				codes = append(codes, m["code"].(string))
			}
		}
		caseID := c["id"].(string)
		idle(workflows.WorkflowID(caseID)) // the receipt is out
		return caseID, codes
	}

	tag := time.Now().UnixNano()
	// Round 0 warms every path and is not counted.
	for round := 0; round <= rounds; round++ {
		record := round > 0
		floorID = fmt.Sprintf("bench-floor-%d-%d", tag, round)
		floorN, floorUpdates = 0, 0
		_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: floorID, TaskQueue: floorQueue}, floorWorkflow)
		require.NoError(t, err)

		// A: the whole way to approval, then the staff's work on the live filing.
		a, codes := create(record, 2*round, round, tag)
		p := "/api/v1/filings/" + a
		r := act(record, "materials", "materials", a, "POST", p+"/materials", map[string]any{"received": codes})
		require.Equal(t, "UNDER_REVIEW", r["status"])
		var task string
		require.NoError(t, s.DB.Pool().QueryRow(ctx,
			`SELECT id::text FROM tasks WHERE case_id = $1 AND kind = 'verification_call' AND status = 'open'`, a).Scan(&task))
		r = act(record, "call-result", "verification-result", a, "POST", "/api/v1/tasks/"+task+"/complete", map[string]any{"outcome": "no_answer"})
		require.EqualValues(t, 1, r["no_answer"])
		r = act(record, "review-pass", "review", a, "POST", p+"/review", map[string]any{"result": "pass"})
		require.Equal(t, "BUREAU_REVIEW", r["status"])
		// The filer's SMS code before the bureau's receipt, which closes the check.
		r = act(record, "sms-verified", "sms-verified", a, "POST", p+"/sms-verified", nil)
		require.Equal(t, "verified", r["sms_verification"].(map[string]any)["status"])
		r = act(record, "bureau-received", "bureau-received", a, "POST", p+"/bureau-decision", map[string]any{"received": true})
		require.Equal(t, true, r["bureau_received"])
		r = act(record, "bureau-approved", "bureau-decision", a, "POST", p+"/bureau-decision",
			map[string]any{"decision": "approved", "filing_number": fmt.Sprintf("苏ICP备%08d号-1", 60_000_000+round)})
		require.Equal(t, "APPROVED", r["status"])
		r = act(record, "public-security", "public-security", a, "POST", p+"/public-security",
			map[string]any{"number": fmt.Sprintf("苏公网安备32050502%06d号", round)})
		require.Equal(t, "recorded", r["public_security"].(map[string]any)["status"])
		act(record, "verification-call", "verification-call", a, "POST", p+"/verification-calls", map[string]any{"reason": "抽查"})
		r = act(record, "rectification", "require-rectification", a, "POST", p+"/rectification",
			map[string]any{"reason": "首页未标明备案号（R-PA-5）", "source": "manual"})
		require.Equal(t, "RECTIFYING", r["status"])
		r = act(record, "rectified", "rectified", a, "POST", p+"/rectified", map[string]any{"note": "已整改"})
		require.Equal(t, "APPROVED", r["status"])

		// B: failed review, corrected, withdrawn.
		b, codes := create(record, 2*round+1, round, tag)
		p = "/api/v1/filings/" + b
		act(record, "materials", "materials", b, "POST", p+"/materials", map[string]any{"received": codes})
		r = act(record, "review-fail", "review", b, "POST", p+"/review", map[string]any{"result": "fail", "reasons": []string{"幕布照片不清晰"}})
		require.Equal(t, "NEEDS_CORRECTION", r["status"])
		r = act(record, "corrections", "corrections", b, "POST", p+"/corrections", map[string]any{"principal": map[string]any{"mobile": "13900139000"}})
		require.Equal(t, "UNDER_REVIEW", r["status"])
		r = act(record, "withdraw", "withdraw", b, "POST", p+"/withdraw", map[string]any{"reason": "用户要求撤回"})
		require.Equal(t, "WITHDRAWN", r["status"])

		require.NoError(t, s.Temporal.SignalWorkflow(ctx, floorID, "", "done", nil))
	}

	// Each sample's phases, from its workflow's history.
	histories := map[string][]*phases{}
	byAction := map[string][]actionSample{}
	var order []string
	phaseOf := map[string][][]time.Duration{}
	for _, smp := range samples {
		activityName := workflows.ActivityApply
		if smp.action == "floor" {
			activityName = floorActivity
		}
		h, ok := histories[smp.workflowID]
		if !ok {
			h = historyPhases(t, s.Temporal, smp.workflowID, activityName)
			histories[smp.workflowID] = h
		}
		k := 0
		var found *phases
		for _, p := range h {
			if p.name == smp.update {
				if k == smp.nth {
					found = p
					break
				}
				k++
			}
		}
		require.NotNil(t, found, "update %s #%d in the history of %s", smp.update, smp.nth, smp.workflowID)
		require.False(t, found.actClosed.IsZero(), "update %s of %s ran %s", smp.update, smp.workflowID, activityName)
		if _, ok := byAction[smp.action]; !ok {
			order = append(order, smp.action)
		}
		byAction[smp.action] = append(byAction[smp.action], smp)
		phaseOf[smp.action] = append(phaseOf[smp.action], split(smp, found))
	}

	summary := func(action string) (p50, p95 time.Duration, line string) {
		var took []time.Duration
		for _, smp := range byAction[action] {
			took = append(took, smp.took())
		}
		p50, p95 = durPct(took, .5), durPct(took, .95)
		var parts []string
		for i, name := range phaseNames {
			var ds []time.Duration
			for _, ph := range phaseOf[action] {
				ds = append(ds, ph[i])
			}
			parts = append(parts, fmt.Sprintf("%s %.1f", name, ms(durPct(ds, .5))))
		}
		return p50, p95, fmt.Sprintf("%s (n=%d): p50 %.1f ms, p95 %.1f ms; median phases (ms): %s",
			action, len(took), ms(p50), ms(p95), strings.Join(parts, ", "))
	}
	floorP50, floorP95, line := summary("floor")
	fmt.Println(line)
	fmt.Printf("floor with a local activity instead (n=%d, no goal): p50 %.1f ms, p95 %.1f ms\n", len(floorLocal), ms(durPct(floorLocal, .5)), ms(durPct(floorLocal, .95)))
	fmt.Printf("create (POST /filings, n=%d, no goal): p50 %.1f ms, p95 %.1f ms\n", len(creates), ms(durPct(creates, .5)), ms(durPct(creates, .95)))
	for _, action := range order {
		if action == "floor" {
			continue
		}
		_, _, line := summary(action)
		fmt.Println(line)
	}
	for _, action := range order {
		if action == "floor" {
			continue
		}
		p50, p95, _ := summary(action)
		r50, r95 := float64(p50)/float64(floorP50), float64(p95)/float64(floorP95)
		fmt.Printf("bench action-%s-p50: %.1f ms = %.2f× floor %.1f ms (goal ≤ 1.5×) %s\n", action, ms(p50), r50, ms(floorP50), verdict(r50 <= 1.5))
		fmt.Printf("bench action-%s-p95: %.1f ms = %.2f× floor p95 %.1f ms (goal ≤ 3×) %s\n", action, ms(p95), r95, ms(floorP95), verdict(r95 <= 3))
	}
}
