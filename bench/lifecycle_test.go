package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/workflows"
)

// benchEnv reads the benchmark size; the defaults fit CI's two cores.
func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func requireBench(t *testing.T) {
	if os.Getenv("BEIAN_BENCH") != "1" {
		t.Skip("benchmark: runs with `make bench` (BEIAN_BENCH=1), not in `make test`")
	}
}

// Baseline: the smallest workflow of the same shape, start → activity →
// wait for a signal → activity, on the same dev server in the same run.
const baselineQueue = "bench-baseline"

func baselineWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteActivity(ctx, "BaselineStep", 1).Get(ctx, nil); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	return workflow.ExecuteActivity(ctx, "BaselineStep", 2).Get(ctx, nil)
}

func baselineStep(_ context.Context, _ int) error { return nil }

// historyEvents counts the events of a workflow's history.
func historyEvents(t *testing.T, c client.Client, id string) int {
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		_, err := it.Next()
		require.NoError(t, err)
		n++
	}
	return n
}

// runBaseline drives n baseline workflows with conc clients and returns
// history events per second.
func runBaseline(t *testing.T, c client.Client, n, conc int) float64 {
	ids := make([]string, n)
	start := time.Now()
	parallel(n, conc, func(i int) {
		ctx := context.Background()
		id := fmt.Sprintf("baseline-%d-%d", start.UnixNano(), i)
		ids[i] = id
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: baselineQueue}, "Baseline")
		require.NoError(t, err)
		require.NoError(t, c.SignalWorkflow(ctx, id, "", "go", nil))
		require.NoError(t, run.Get(ctx, nil))
	})
	elapsed := time.Since(start)
	events := 0
	for _, id := range ids {
		events += historyEvents(t, c, id)
	}
	return float64(events) / elapsed.Seconds()
}

func parallel(n, conc int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// client for the API with latency recording.
type apiClient struct {
	base string
	mu   sync.Mutex
	lat  []time.Duration
}

func (a *apiClient) call(t *testing.T, method, path string, body any, want int) map[string]any {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+stack.TokSpecialist)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	a.mu.Lock()
	a.lat = append(a.lat, d)
	a.mu.Unlock()
	require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, raw)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}

func (a *apiClient) p95() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := append([]time.Duration(nil), a.lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)*95/100]
}

// residentID is the i-th filer's ID number: a sponsor has one
// application in progress at a time (R-IN-5).
func residentID(i int) string { return stack.ResidentID(i) }

// lifecycle drives one filing through create → materials → review → approval over HTTP.
func lifecycle(t *testing.T, a *apiClient, i int, tag int64) string {
	id := residentID(i)
	body := map[string]any{
		"type": "new",
		"sponsor": map[string]any{"kind": "person", "name": "张三", "cert_type": "id_card", "cert_number": id,
			"province": "江苏", "city": "苏州", "address": "工业园区星湖街1号"},
		"principal": map[string]any{"name": "张三", "id_number": id, "mobile": "13800138000", "email": "bench@example.net"},
		"website":   map[string]any{"name": "张三的笔记", "domains": []string{fmt.Sprintf("bench-%d-%d.cn", tag, i)}, "server_ips": []string{"198.51.100.7"}},
	}
	c := a.call(t, "POST", "/api/v1/filings", body, 201)
	id = c["id"].(string)
	var codes []string
	for _, it := range c["checklist"].([]any) {
		m := it.(map[string]any)
		if m["required"] == true {
			codes = append(codes, m["code"].(string))
		}
	}
	a.call(t, "POST", "/api/v1/filings/"+id+"/materials", map[string]any{"received": codes}, 200)
	a.call(t, "POST", "/api/v1/filings/"+id+"/review", map[string]any{"result": "pass"}, 200)
	r := a.call(t, "POST", "/api/v1/filings/"+id+"/bureau-decision", map[string]any{"decision": "approved", "filing_number": fmt.Sprintf("苏ICP备%08d号-1", i)}, 200)
	require.Equal(t, "APPROVED", r["status"])
	return id
}

// runLifecycles drives n lifecycles with conc clients and returns history
// events per second and the number of events per lifecycle.
func runLifecycles(t *testing.T, s *stack.Stack, a *apiClient, n, conc int) (rate, perLifecycle float64, elapsed time.Duration) {
	s.Mail.Reset()
	tag := time.Now().UnixNano()
	ids := make([]string, n)
	start := time.Now()
	parallel(n, conc, func(i int) { ids[i] = lifecycle(t, a, i, tag) })
	// Mail goes out in the background after each answer (receipt, submitted,
	// approved); wait for it so its events count and the rate is not flattered.
	deadline := time.Now().Add(time.Minute)
	for len(s.Mail.Messages()) < 3*n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed = time.Since(start)
	events := 0
	for _, id := range ids {
		events += historyEvents(t, s.Temporal, workflows.WorkflowID(id))
	}
	return float64(events) / elapsed.Seconds(), float64(events) / float64(n), elapsed
}

// TestBenchLifecycle: filings driven through the whole lifecycle over HTTP,
// compared by the rate of Temporal history events per second with the
// minimal start-activity-signal workflow on the same dev server (goal ≥ 0.7×).
// Baseline and lifecycles alternate for BEIAN_BENCH_ROUNDS rounds and the
// median ratio counts, so a burst of load on the machine skews one round only.
func TestBenchLifecycle(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_N", 40)
	conc := benchEnv("BEIAN_BENCH_CONCURRENCY", 8)
	rounds := benchEnv("BEIAN_BENCH_ROUNDS", 5)
	s := stack.Start(t, stack.Options{})

	// The baseline's worker lives as long as ours, so neither pays for
	// starting pollers inside a round.
	bw := sdkworker.New(s.Temporal, baselineQueue, sdkworker.Options{})
	bw.RegisterWorkflowWithOptions(baselineWorkflow, workflow.RegisterOptions{Name: "Baseline"})
	bw.RegisterActivityWithOptions(baselineStep, activity.RegisterOptions{Name: "BaselineStep"})
	require.NoError(t, bw.Start())
	defer bw.Stop()

	// Warm both paths once so neither pays for first-use costs.
	a := &apiClient{base: s.API.URL}
	lifecycle(t, a, -1, 0)
	runBaseline(t, s.Temporal, conc, conc)
	a.lat = nil

	var ratios []float64
	var totalLifecycles, totalSeconds float64
	for r := 1; r <= rounds; r++ {
		base := runBaseline(t, s.Temporal, n, conc)
		ours, per, elapsed := runLifecycles(t, s, a, n, conc)
		ratios = append(ratios, ours/base)
		totalLifecycles += float64(n)
		totalSeconds += elapsed.Seconds()
		fmt.Printf("round %d: baseline %.0f events/s, ours %.0f events/s (%.0f events per lifecycle, %.1f lifecycles/s): %.2fx\n",
			r, base, ours, per, float64(n)/elapsed.Seconds(), ours/base)
	}
	sort.Float64s(ratios)
	ratio := ratios[len(ratios)/2]
	verdict := "ok"
	if ratio < 0.7 {
		verdict = "short"
	}
	fmt.Printf("lifecycles: %d rounds of %d with %d concurrent clients: %.1f lifecycles/s; API p95 latency %s over %d calls\n",
		rounds, n, conc, totalLifecycles/totalSeconds, a.p95().Round(time.Millisecond), len(a.lat))
	fmt.Printf("bench lifecycle_history_event_rate: %.2fx baseline, median of %d rounds (goal >= 0.70x) %s\n", ratio, rounds, verdict)
}
