package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/stack"
)

// loadRoute is one kind of API request under load; its targets rotate, so
// a search or a get asks for many different cases.
type loadRoute struct {
	name    string // bench name: api-list …
	what    string // what it asks, for the log
	targets []vegeta.Target
}

// rotating hands out the targets in turn, to any number of workers.
func rotating(tgts []vegeta.Target) vegeta.Targeter {
	var next atomic.Uint64
	return func(t *vegeta.Target) error {
		*t = tgts[(next.Add(1)-1)%uint64(len(tgts))]
		return nil
	}
}

// attack runs one vegeta attack and returns its metrics. A zero rate is
// the maximum the given number of workers sustain (each sends its next
// request when the last is answered); at a set rate vegeta adds workers
// as answers lag, up to maxInFlight, so an overloaded route sends less
// than asked instead of piling up thousands of connections.
func attack(r loadRoute, rate vegeta.Rate, d time.Duration, workers uint64) vegeta.Metrics {
	opts := []func(*vegeta.Attacker){vegeta.Timeout(10 * time.Second), vegeta.KeepAlive(true), vegeta.MaxWorkers(maxInFlight)}
	if rate.Freq == 0 {
		opts = append(opts, vegeta.Workers(workers), vegeta.MaxWorkers(workers))
	}
	a := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	for res := range a.Attack(rotating(r.targets), rate, d, r.name) {
		m.Add(res)
	}
	m.Close()
	return m
}

// maxInFlight bounds the requests vegeta has waiting at a set rate.
const maxInFlight = 400

// notOK describes the answers of an attack that were not a 200 (a
// timeout, a refused connection or another status), "" when there are none.
func notOK(m vegeta.Metrics) string {
	bad := int(m.Requests) - m.StatusCodes["200"]
	if m.Requests > 0 && bad == 0 {
		return ""
	}
	errs := m.Errors
	if len(errs) > 2 {
		errs = errs[:2]
	}
	return fmt.Sprintf("%d of %d answers not a 200 (status codes %v, first errors %q)", bad, m.Requests, m.StatusCodes, errs)
}

// TestBenchAPILoad (issue 11): with 100,000 cases in Postgres, the list,
// the searches (q, domain) and the get of a case under a constant
// 200 requests/s from vegeta: p99 ≤ 50 ms; and each route's maximum
// sustained rate ≥ 0.5× that of the static /healthz on the same server in
// the same run (the same number of vegeta workers, alternating rounds,
// the median ratio counts).
func TestBenchAPILoad(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_API_CASES", 100_000)
	rate := benchEnv("BEIAN_BENCH_API_RATE", 200)
	steady := time.Duration(benchEnv("BEIAN_BENCH_API_SECONDS", 10)) * time.Second
	burst := time.Duration(benchEnv("BEIAN_BENCH_API_MAX_SECONDS", 3)) * time.Second
	rounds := benchEnv("BEIAN_BENCH_API_ROUNDS", 3)
	workers := uint64(benchEnv("BEIAN_BENCH_API_WORKERS", 8))
	ctx := context.Background()

	s := stack.Start(t, stack.Options{})
	start := time.Now()
	stack.SeedCases(t, s.DB, n)
	fmt.Printf("seeded %d cases in %s\n", n, time.Since(start).Round(time.Millisecond))

	// Many different cases to ask for: ids of any case; sponsor names and
	// domains of cases the list shows (not ended).
	var ended []string
	for _, st := range beian.AllStatuses {
		if st.Terminal() {
			ended = append(ended, string(st))
		}
	}
	var ids, sponsors, domains []string
	rows, err := s.DB.Pool().Query(ctx, `SELECT id::text FROM cases ORDER BY random() LIMIT 2000`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	rows, err = s.DB.Pool().Query(ctx, `SELECT sponsor_name, website->'domains'->>0 FROM cases
		WHERE status <> ALL ($1::text[]) ORDER BY random() LIMIT 1000`, ended)
	require.NoError(t, err)
	for rows.Next() {
		var sp, d string
		require.NoError(t, rows.Scan(&sp, &d))
		sponsors, domains = append(sponsors, sp), append(domains, d)
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, ids)
	require.NotEmpty(t, domains)

	header := http.Header{"Authorization": {"Bearer " + stack.TokSpecialist}}
	get := func(path string) vegeta.Target {
		return vegeta.Target{Method: "GET", URL: s.API.URL + path, Header: header}
	}
	healthz := loadRoute{name: "healthz", what: "GET /healthz", targets: []vegeta.Target{get("/healthz")}}
	list := loadRoute{name: "api-list", what: "GET /api/v1/filings?limit=50", targets: []vegeta.Target{get("/api/v1/filings?limit=50")}}
	search := loadRoute{name: "api-search-q", what: "GET /api/v1/filings?q=… (a sponsor's name or a domain fragment)"}
	for i := range sponsors {
		q := sponsors[i] // 主办者12345
		if i%2 == 1 {
			q = strings.TrimSuffix(domains[i], ".cn") // site12345
		}
		search.targets = append(search.targets, get("/api/v1/filings?q="+url.QueryEscape(q)))
	}
	byDomain := loadRoute{name: "api-search-domain", what: "GET /api/v1/filings?domain=…"}
	for _, d := range domains {
		byDomain.targets = append(byDomain.targets, get("/api/v1/filings?domain="+url.QueryEscape(d)))
	}
	one := loadRoute{name: "api-get", what: "GET /api/v1/filings/{id}"}
	for _, id := range ids {
		one.targets = append(one.targets, get("/api/v1/filings/"+id))
	}
	routes := []loadRoute{list, search, byDomain, one}

	// What is asked for exists: each search finds its case.
	for _, r := range []loadRoute{search, byDomain} {
		for _, tg := range r.targets[:20] {
			req, err := tg.Request()
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
			resp.Body.Close()
			require.NotEmpty(t, page.Items, "%s finds something", tg.URL)
		}
	}

	// Every answer of every attack must be a 200; a route that is not is
	// reported with its figures and fails the test at the end.
	var failures []string
	check := func(what string, m vegeta.Metrics) {
		if bad := notOK(m); bad != "" {
			failures = append(failures, what+": "+bad)
			fmt.Printf("%s: %s\n", what, bad)
		}
	}
	all := append([]loadRoute{healthz}, routes...)

	// Warm every path (plans, connections, caches), two at a time.
	for _, r := range all {
		check(r.what+" (warm-up)", attack(r, vegeta.Rate{}, time.Second, 2))
	}

	// One request at a time: what an answer costs with no queue.
	for _, r := range all {
		m := attack(r, vegeta.Rate{}, 2*time.Second, 1)
		check(r.what+" (one at a time)", m)
		fmt.Printf("%s one at a time: p50 %.2f ms, p99 %.2f ms, %.0f/s, %.1f KB per answer\n",
			r.what, ms(m.Latencies.P50), ms(m.Latencies.P99), m.Throughput, m.BytesIn.Mean/1024)
	}

	// The constant rate: latency.
	steadyRes := map[string]vegeta.Metrics{}
	for _, r := range routes {
		m := attack(r, vegeta.Rate{Freq: rate, Per: time.Second}, steady, 0)
		check(fmt.Sprintf("%s at %d/s", r.what, rate), m)
		steadyRes[r.name] = m
		fmt.Printf("%s at %d/s for %s: %d requests, %.1f/s sent, %.1f/s answered 200, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			r.what, rate, steady, m.Requests, m.Rate, m.Throughput, ms(m.Latencies.P50), ms(m.Latencies.P95), ms(m.Latencies.P99), ms(m.Latencies.Max))
	}

	// The maximum sustained rate, /healthz and each route in turn with the
	// same workers, rounds alternating so a burst of other load skews one
	// round, not the result.
	ratios := map[string][]float64{}
	maxRates := map[string][]float64{}
	for round := 1; round <= rounds; round++ {
		m := attack(healthz, vegeta.Rate{}, burst, workers)
		check(fmt.Sprintf("%s (maximum rate, round %d)", healthz.what, round), m)
		base := m.Throughput
		maxRates[healthz.name] = append(maxRates[healthz.name], base)
		line := fmt.Sprintf("round %d (%d workers, %s each): /healthz %.0f/s", round, workers, burst, base)
		for _, r := range routes {
			m := attack(r, vegeta.Rate{}, burst, workers)
			check(fmt.Sprintf("%s (maximum rate, round %d)", r.what, round), m)
			maxRates[r.name] = append(maxRates[r.name], m.Throughput)
			ratios[r.name] = append(ratios[r.name], m.Throughput/base)
			line += fmt.Sprintf(", %s %.0f/s (%.3f×)", r.name, m.Throughput, m.Throughput/base)
		}
		fmt.Println(line)
	}
	median := func(xs []float64) float64 {
		ys := slices.Clone(xs)
		slices.Sort(ys)
		return ys[len(ys)/2]
	}
	for _, r := range routes {
		m := steadyRes[r.name]
		ok := m.Latencies.P99 <= 50*time.Millisecond && notOK(m) == ""
		note := ""
		if bad := notOK(m); bad != "" {
			note = fmt.Sprintf(", %d of %d answers not a 200", int(m.Requests)-m.StatusCodes["200"], m.Requests)
		}
		fmt.Printf("bench %s-p99: %.1f ms at %d/s (p50 %.1f ms, %d cases%s) (goal ≤ 50 ms) %s\n",
			r.name, ms(m.Latencies.P99), rate, ms(m.Latencies.P50), n, note, verdict(ok))
		ratio := median(ratios[r.name])
		fmt.Printf("bench %s-rate: %.3f× /healthz (%.0f/s vs %.0f/s, median of %d rounds) (goal ≥ 0.5×) %s\n",
			r.name, ratio, median(maxRates[r.name]), median(maxRates[healthz.name]), rounds, verdict(ratio >= 0.5))
	}
	if len(failures) > 0 {
		t.Errorf("answers that were not a 200:\n%s", strings.Join(failures, "\n"))
	}
}
