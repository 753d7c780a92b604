// Package health answers the probes an orchestrator and an on-call person
// ask: /healthz (the process lives) and /readyz (it can do its work: the
// database, Temporal and, for the API, a worker polling the filing task
// queue). Plain net/http, shared by the API and the worker.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Check reports whether one dependency is usable; its error is for logs
// and the probe's answer.
type Check func(ctx context.Context) error

// Checker runs the named checks for /readyz.
type Checker struct {
	// Checks are by name ("postgres", "temporal", "worker").
	Checks map[string]Check
	// Messages are the Chinese words for a failing check, by name.
	Messages map[string]string
	// Timeout bounds all checks of one probe; 2 s when zero.
	Timeout time.Duration
	// Advisory checks are reported but do not make the probe fail: a
	// missing worker is worth showing, but every API replica leaving the
	// load balancer for it would darken the console too.
	Advisory map[string]bool

	draining atomic.Bool
}

// Drain makes /readyz answer 503 from now on: a stopping process takes no
// new traffic while it finishes what it has.
func (c *Checker) Drain() { c.draining.Store(true) }

// Result is one probe's answer.
type Result struct {
	Status  string            `json:"status"` // "ok" | "unavailable" | "draining"
	Checks  map[string]string `json:"checks"` // name → "ok" or the error
	Message string            `json:"message,omitempty"`
}

// Run runs every check at once.
func (c *Checker) Run(ctx context.Context) Result {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := Result{Status: "ok", Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range c.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Checks[name] = err.Error()
				if !c.Advisory[name] {
					res.Status = "unavailable"
				}
				return
			}
			res.Checks[name] = "ok"
		}()
	}
	wg.Wait()
	if res.Status != "ok" {
		var names []string
		for name, v := range res.Checks {
			if v != "ok" && !c.Advisory[name] {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		msg := "服务暂不可用："
		for i, n := range names {
			if i > 0 {
				msg += "；"
			}
			if m, ok := c.Messages[n]; ok {
				msg += m
			} else {
				msg += n + " 不可用"
			}
		}
		res.Message = msg
	}
	if c.draining.Load() {
		res.Status, res.Message = "draining", "服务正在停止，不再接收新请求"
	}
	return res
}

// Live answers /healthz: the process is alive and serving HTTP.
func Live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// ServeHTTP answers /readyz: 200 when every check passes, else 503 with
// each check's state and a Chinese message.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := c.Run(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if res.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(res)
}

// Mux serves /healthz, /readyz and, when metrics is not nil, /metrics:
// the worker's own small HTTP server (HEALTH_ADDR).
func Mux(c *Checker, metrics http.Handler) *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", Live)
	m.Handle("GET /readyz", c)
	if metrics != nil {
		m.Handle("GET /metrics", metrics)
	}
	return m
}
