//go:build prod

package prodtest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/devenv"
	"github.com/beian/beian/internal/stack"
)

// driver moves cases through their lifecycle through the API as staff
// would, retrying each step with its Idempotency-Key while a dependency
// is down, and records every answer that is not the step's own.
type driver struct {
	tp  *topo
	tag string
	mu  sync.Mutex
	// unavailable are the 503 answers seen (each must be UNAVAILABLE in
	// Chinese); internal the 500 answers (each a defect).
	unavailable []string
	internal    []string
	netErrors   int
	// soft: a step that never gets its answer is counted in failed, not a
	// test failure (benchmarks report it as short).
	soft   bool
	failed int
}

func newDriver(tp *topo, tag string) *driver { return &driver{tp: tp, tag: tag} }

// step calls until the answer is want; 503, a network error and a 504
// are waited out; anything else fails the test.
func (d *driver) step(t *testing.T, method, path, token string, body any, key string, want ...int) answer {
	deadline := time.Now().Add(6 * time.Minute)
	for {
		a := d.tp.call(method, path, token, body, key)
		switch {
		case slices.Contains(want, a.Status):
			return a
		case a.Err != nil || a.Status == 0:
			d.mu.Lock()
			d.netErrors++
			d.mu.Unlock()
		case a.Status == 503:
			d.mu.Lock()
			d.unavailable = append(d.unavailable, a.Raw)
			d.mu.Unlock()
		case a.Status == 500:
			d.mu.Lock()
			d.internal = append(d.internal, method+" "+path+": "+a.Raw)
			d.mu.Unlock()
		default:
			d.fail(t, "%s %s: %d %s", method, path, a.Status, a.Raw)
			return a
		}
		if time.Now().After(deadline) {
			d.fail(t, "%s %s: no %v within 6 minutes; last %d %s %v", method, path, want, a.Status, a.Raw, a.Err)
			return a
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (d *driver) fail(t *testing.T, format string, args ...any) {
	if d.soft {
		d.mu.Lock()
		d.failed++
		d.mu.Unlock()
		t.Logf(format, args...)
		return
	}
	t.Errorf(format, args...)
}

// lifecycle takes the i-th case from creation to approval and returns its ID.
func (d *driver) lifecycle(t *testing.T, i int) string {
	key := func(s string) string { return fmt.Sprintf("%s-%d-%s", d.tag, i, s) }
	// 202: saved while Temporal was unreachable; the reconciler starts its workflow.
	c := d.step(t, "POST", "/api/v1/filings", tokSpecialist, stack.NthPersonFiling(i, fmt.Sprintf("%s-%d.cn", d.tag, i)), key("create"), 201, 202)
	id := c.str("id")
	list, _ := c.Body["checklist"].([]any)
	if id == "" || list == nil {
		t.Errorf("case %d not created: %d %s", i, c.Status, c.Raw)
		return ""
	}
	var codes []string
	for _, it := range list {
		if m := it.(map[string]any); m["required"] == true {
			codes = append(codes, m["code"].(string))
		}
	}
	d.step(t, "POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": codes}, key("materials"), 200)
	d.step(t, "POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}, key("review"), 200)
	d.step(t, "POST", "/api/v1/filings/"+id+"/sms-verified", tokSpecialist, nil, key("sms"), 200)
	d.step(t, "POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": fmt.Sprintf("粤ICP备%08d号-1", i)}, key("approve"), 200)
	return id
}

// run drives n lifecycles with conc at a time; during is called once
// after the first `after` have finished.
func (d *driver) run(t *testing.T, n, conc, after int, during func()) []string {
	ids := make([]string, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var done sync.WaitGroup
	done.Add(after)
	go func() { done.Wait(); during() }()
	var once sync.Mutex
	finished := 0
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ids[i] = d.lifecycle(t, i)
			once.Lock()
			finished++
			if finished <= after {
				done.Done()
			}
			once.Unlock()
		}()
	}
	wg.Wait()
	return ids
}

// requireNothingLost checks every case from the database, the mail
// receiver and network control's receiver: approved, each step on the
// timeline once, every mail sent and received exactly once, every access
// action delivered under its key.
//
// killed says the worker was killed mid-send: a mail whose SMTP exchange
// finished but whose sent mark did not may go again when the activity is
// retried (at least once); the repeat carries the same Message-ID, derived
// from its key, so the receiving system drops it. Then repeats are
// counted and must be few and identical; otherwise none is allowed.
func (tp *topo) requireNothingLost(t *testing.T, ids []string, killed ...bool) {
	ctx := context.Background()
	for _, id := range ids {
		c, err := tp.db.GetCase(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "APPROVED", string(c.Status), c.CaseNo)
		seen := map[string]int{}
		for _, e := range c.Timeline {
			seen[e.Event]++
		}
		for _, ev := range []string{"created", "receipt_sent", "materials_complete", "submitted", "sms_verified", "bureau_approved"} {
			require.Equal(t, 1, seen[ev], "%s: %s on the timeline once (%v)", c.CaseNo, ev, seen)
		}
	}
	var keys []string
	eventually(t, 5*time.Minute, "every mail sent", func() bool {
		rows, err := tp.db.Pool().Query(ctx, `SELECT key FROM mail_outbox WHERE sent_at IS NULL`)
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		return n == 0
	})
	rows, err := tp.db.Pool().Query(ctx, `SELECT key FROM mail_outbox`)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	rows.Close()
	eventually(t, time.Minute, "every mail received", func() bool {
		got := map[string]int{}
		for _, m := range tp.mail.Messages() {
			got[m.Headers.Get("X-Beian-Key")]++
		}
		for _, k := range keys {
			if got[k] == 0 {
				return false
			}
		}
		return true
	})
	got := map[string]int{}
	msgIDs := map[string]map[string]bool{}
	for _, m := range tp.mail.Messages() {
		k := m.Headers.Get("X-Beian-Key")
		got[k]++
		if msgIDs[k] == nil {
			msgIDs[k] = map[string]bool{}
		}
		msgIDs[k][m.Headers.Get("Message-Id")] = true
	}
	repeats := 0
	for _, k := range keys {
		require.Len(t, msgIDs[k], 1, "mail %s always under one Message-ID", k)
		if len(killed) > 0 && killed[0] {
			require.GreaterOrEqual(t, got[k], 1, "mail %s received", k)
			repeats += got[k] - 1
			continue
		}
		require.Equal(t, 1, got[k], "mail %s received exactly once", k)
	}
	if len(killed) > 0 && killed[0] {
		t.Logf("%d mails repeated after the kill (same Message-ID)", repeats)
		require.LessOrEqual(t, repeats, 10, "only sends in flight at the kill may repeat")
	}
	var actions []string
	rows, err = tp.db.Pool().Query(ctx, `SELECT key FROM access_actions`)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		actions = append(actions, k)
	}
	rows.Close()
	require.NotEmpty(t, actions)
	eventually(t, 5*time.Minute, "every access action delivered to network control", func() bool {
		ok, _ := tp.hook.counts()
		for _, k := range actions {
			if ok[k] == 0 {
				return false
			}
		}
		return true
	})
	ok, all := tp.hook.counts()
	dups := 0
	for _, k := range actions {
		if ok[k] > 1 {
			dups++
		}
	}
	t.Logf("%d cases, %d mails, %d access actions; %d actions delivered more than once under their key (network control drops repeats by X-Beian-Key); %d attempts in all",
		len(ids), len(keys), len(actions), dups, sum(all))
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (d *driver) requireClean(t *testing.T) {
	require.Empty(t, d.internal, "no 500 while a dependency was down")
	for _, raw := range d.unavailable {
		require.Contains(t, raw, `"UNAVAILABLE"`, raw)
		require.NotContains(t, raw, "pgconn", "no driver error shown: %s", raw)
		require.NotContains(t, raw, "dial tcp", "no driver error shown: %s", raw)
	}
}

// TestWorkerKilledMidLifecycle: the worker is killed with SIGKILL while 50
// cases move through their lifecycle and a shell-site sweep runs; a new
// worker finishes them; every mail once, every access action delivered
// under its key, the sweep finished.
func TestWorkerKilledMidLifecycle(t *testing.T) {
	tp := startTopo(t, topoOptions{})
	d := newDriver(tp, "kill")
	sweep := d.step(t, "POST", "/api/v1/sweeps", tokSupervisor, nil, "", 202)
	ids := d.run(t, 50, 10, 15, func() {
		tp.workers[0].kill() // mid-flight: updates, mails and webhooks in progress
		time.Sleep(2 * time.Second)
		tp.workers = append(tp.workers, tp.start("worker-2", "worker", "HEALTH_ADDR=127.0.0.1:0"))
	})
	tp.requireNothingLost(t, ids, true)
	eventually(t, 3*time.Minute, "the sweep completed", func() bool {
		a := tp.call("GET", "/api/v1/sweeps/"+sweep.str("id"), tokSupervisor, nil, "")
		return a.Status == 200 && a.str("status") == "completed"
	})
	d.requireClean(t)
}

// TestPostgresRestartedUnderLoad: PostgreSQL stops (fast shutdown) and
// comes back while 20 cases move; meanwhile the API answers 503
// UNAVAILABLE in Chinese, never a 500 with a driver error; workflows retry;
// no update is lost or applied twice.
func TestPostgresRestartedUnderLoad(t *testing.T) {
	tp := startTopo(t, topoOptions{})
	d := newDriver(tp, "pg")
	ids := d.run(t, 20, 5, 5, func() { // on the driver's goroutine: assert, not require
		assert.NoError(t, devenv.StopPostgres(tp.pgDir))
		// While it is down the API says so, in Chinese.
		a := tp.call("GET", "/api/v1/filings?limit=1", tokSpecialist, nil, "")
		assert.Equal(t, 503, a.Status, a.Raw)
		assert.Equal(t, "UNAVAILABLE", a.str("error", "code"))
		assert.Contains(t, a.str("error", "message"), "数据库")
		r := tp.call("GET", "/readyz", "", nil, "")
		assert.Equal(t, 503, r.Status, r.Raw)
		time.Sleep(8 * time.Second)
		_, err := devenv.EnsurePrivatePostgres(context.Background(), tp.pgDir, logger(t))
		assert.NoError(t, err)
	})
	tp.requireNothingLost(t, ids)
	d.requireClean(t)
	require.NotEmpty(t, d.unavailable, "the outage was seen")
	require.Contains(t, tp.api.logText(), "dependency unavailable", "the API logs the outage for the on-call")
}

// TestTemporalRestartedUnderLoad: the Temporal server restarts while cases
// move and timers run; cases continue and each timer fires once (the stale
// purge, shortened to 40 seconds).
func TestTemporalRestartedUnderLoad(t *testing.T) {
	tp := startTopo(t, topoOptions{Env: []string{"BEIAN_PURGE_AFTER=40s"}})
	d := newDriver(tp, "tr")
	var stale []string
	for i := 100; i < 103; i++ {
		c := d.step(t, "POST", "/api/v1/filings", tokSpecialist, stack.NthPersonFiling(i, fmt.Sprintf("tr-stale-%d.cn", i)), fmt.Sprintf("stale-%d", i), 201, 202)
		stale = append(stale, c.str("id"))
	}
	ids := d.run(t, 15, 5, 4, func() {
		assert.NoError(t, tp.ts.Restart(context.Background()))
	})
	tp.requireNothingLost(t, ids)
	for _, id := range stale {
		tp.requirePurgedOnce(t, id, 40*time.Second, 15*time.Second)
	}
	d.requireClean(t)
}

// TestSMTPAndNetworkControlDown: the SMTP relay is down for a minute (the
// brief's ten, shortened) and network control answers 500, then hangs past
// the client's timeout, while cases are approved; afterwards every mail is
// delivered once and every access action under its key.
func TestSMTPAndNetworkControlDown(t *testing.T) {
	tp := startTopo(t, topoOptions{})
	d := newDriver(tp, "smtp")
	require.NoError(t, tp.mail.Close())
	tp.hook.mode.Store("500")
	go func() {
		time.Sleep(30 * time.Second)
		tp.hook.mode.Store("hang")
		time.Sleep(30 * time.Second)
		tp.hook.mode.Store("ok")
	}()
	var ids []string
	done := make(chan struct{})
	go func() { ids = d.run(t, 10, 5, 0, func() {}); close(done) }()
	time.Sleep(time.Minute)
	tp.startMail() // the relay is back
	<-done
	tp.requireNothingLost(t, ids)
	_, all := tp.hook.counts()
	require.Greater(t, sum(all), 0)
	d.requireClean(t)
	require.Contains(t, tp.workers[0].logText(), "SendMail", "the worker logs the failed sends for the on-call")
}

// TestWorkerDownAcrossDeadline: the worker is stopped before a deadline
// (the stale purge, shortened to 20 seconds) and returns after it: the
// deadline's effect happens once, with the original time on the timeline.
func TestWorkerDownAcrossDeadline(t *testing.T) {
	tp := startTopo(t, topoOptions{Env: []string{"BEIAN_PURGE_AFTER=20s"}})
	d := newDriver(tp, "down")
	var ids []string
	for i := range 3 {
		c := d.step(t, "POST", "/api/v1/filings", tokSpecialist, stack.NthPersonFiling(i, fmt.Sprintf("down-%d.cn", i)), fmt.Sprintf("down-%d", i), 201, 202)
		ids = append(ids, c.str("id"))
	}
	time.Sleep(3 * time.Second) // the receipts go out, the timers are set
	tp.workers[0].stop(t, 90*time.Second)
	time.Sleep(35 * time.Second) // past the deadline with no worker
	tp.workers = append(tp.workers, tp.start("worker-2", "worker", "HEALTH_ADDR=127.0.0.1:0"))
	for _, id := range ids { // the timeline keeps the deadline's time, not the worker's return
		tp.requirePurgedOnce(t, id, 20*time.Second, 5*time.Second)
	}
	purgeMails := func() int {
		n := 0
		for _, m := range tp.mail.Messages() {
			if strings.Contains(m.Subject, "删除") {
				n++
			}
		}
		return n
	}
	// The purge notice goes out after the purge is saved (its own
	// activity): wait for the three, then make sure no fourth follows.
	eventually(t, time.Minute, "the purge notices sent", func() bool { return purgeMails() >= 3 })
	time.Sleep(5 * time.Second)
	require.Equal(t, 3, purgeMails(), "each filer told once")
	d.requireClean(t)
}

// requirePurgedOnce waits for the case to be purged (R-RV-5) and checks
// that it was purged once, after, within tolerance of its deadline.
func (tp *topo) requirePurgedOnce(t *testing.T, id string, after, tolerance time.Duration) {
	t.Helper()
	ctx := context.Background()
	eventually(t, 3*time.Minute, "purged", func() bool {
		c, err := tp.db.GetCase(ctx, id)
		require.NoError(t, err)
		return c.Status == "PURGED"
	})
	c, err := tp.db.GetCase(ctx, id)
	require.NoError(t, err)
	n := 0
	for _, e := range c.Timeline {
		if e.Event == "purged" {
			n++
			require.WithinDuration(t, c.CreatedAt.Add(after), e.At, tolerance, "%s purged at %s, its deadline's time", c.CaseNo, e.At)
		}
	}
	require.Equal(t, 1, n, "%s purged once", c.CaseNo)
}
