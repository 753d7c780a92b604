package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
)

// timed fetches url n times with the header and returns the sorted
// latencies and the size of the last body.
func timed(t *testing.T, url string, n int, header http.Header) ([]time.Duration, int) {
	t.Helper()
	var ds []time.Duration
	size := 0
	for range n {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		req.Header = header.Clone()
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ds = append(ds, time.Since(start))
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, "%s: %.300s", url, body)
		size = len(body)
	}
	slices.Sort(ds)
	return ds, size
}

func pct(ds []time.Duration, p float64) time.Duration { return ds[int(float64(len(ds)-1)*p)] }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestBenchConsole: with 100,000 cases in Postgres, the case list and the
// dashboard render server-side within 2× the time of the same JSON list
// from the API in the same run, under 150 ms p95, in under 100 KB of HTML
// (issue 6).
func TestBenchConsole(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_CASES", 100_000)
	reqs := benchEnv("BEIAN_BENCH_PAGES", 150)
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.ReplaceDataCentres(ctx, stack.DataCentres(), "bench"))
	start := time.Now()
	stack.SeedCases(t, db, n)
	fmt.Printf("seeded %d cases with domains, events, tasks and access actions in %s\n", n, time.Since(start).Round(time.Millisecond))

	box, err := secret.NewBox("bench key, long enough to stretch")
	require.NoError(t, err)
	svc := &desk.Service{Store: db, Box: box, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(api.New(api.Deps{
		Desk: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tokens:  []api.Token{{Name: "bench", Role: api.RoleSpecialist, Token: "tok-bench"}},
		Console: console.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil))),
	}))
	t.Cleanup(srv.Close)
	_, err = svc.CreateStaff(ctx, desk.Actor{Name: "bench", Role: beian.RoleAdmin},
		beian.Staff{Username: "bench", Name: "压测专员", Role: beian.RoleSpecialist}, "bench-password-1")
	require.NoError(t, err)
	in, err := svc.SignIn(ctx, "bench", "bench-password-1", "127.0.0.1", "bench")
	require.NoError(t, err)
	cookie := http.Header{"Cookie": {desk.SessionCookie + "=" + in.Token}}
	bearer := http.Header{"Authorization": {"Bearer tok-bench"}}

	// Warm up every path once (templates, plans, connections).
	timed(t, srv.URL+"/api/v1/filings?limit=50", 3, bearer)
	timed(t, srv.URL+"/console/filings", 3, cookie)
	timed(t, srv.URL+"/console/", 3, cookie)

	// Interleave the three so a burst of other load hits all alike.
	var jsonDs, listDs, dashDs, dueDs []time.Duration
	var jsonSize, listSize, dashSize, dueSize int
	for range 3 {
		ds, sz := timed(t, srv.URL+"/api/v1/filings?limit=50", reqs/3, bearer)
		jsonDs, jsonSize = append(jsonDs, ds...), sz
		ds, sz = timed(t, srv.URL+"/console/filings", reqs/3, cookie)
		listDs, listSize = append(listDs, ds...), sz
		ds, sz = timed(t, srv.URL+"/console/", reqs/3, cookie)
		dashDs, dashSize = append(dashDs, ds...), sz
		ds, sz = timed(t, srv.URL+"/console/filings?sort=due", reqs/3, cookie)
		dueDs, dueSize = append(dueDs, ds...), sz
	}
	for _, d := range [][]time.Duration{jsonDs, listDs, dashDs, dueDs} {
		slices.Sort(d)
	}
	fmt.Printf("JSON list (50 cases): median %.1f ms, p95 %.1f ms, %d KB\n", ms(pct(jsonDs, .5)), ms(pct(jsonDs, .95)), jsonSize/1024)
	fmt.Printf("console list (50 cases): median %.1f ms, p95 %.1f ms, %d KB\n", ms(pct(listDs, .5)), ms(pct(listDs, .95)), listSize/1024)
	fmt.Printf("console list by due date: median %.1f ms, p95 %.1f ms, %d KB\n", ms(pct(dueDs, .5)), ms(pct(dueDs, .95)), dueSize/1024)
	fmt.Printf("console dashboard: median %.1f ms, p95 %.1f ms, %d KB\n", ms(pct(dashDs, .5)), ms(pct(dashDs, .95)), dashSize/1024)

	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "short"
	}
	ratio := func(ds []time.Duration) float64 { return float64(pct(ds, .5)) / float64(pct(jsonDs, .5)) }
	for _, x := range []struct {
		name string
		ds   []time.Duration
		size int
	}{{"console_list", listDs, listSize}, {"console_list_due", dueDs, dueSize}, {"console_dashboard", dashDs, dashSize}} {
		r := ratio(x.ds)
		fmt.Printf("bench %s_vs_json: %.2fx the JSON list's median, %d cases (goal <= 2.00x) %s\n", x.name, r, n, verdict(r <= 2))
		p95 := pct(x.ds, .95)
		fmt.Printf("bench %s_p95: %.1f ms (goal < 150 ms) %s\n", x.name, ms(p95), verdict(p95 < 150*time.Millisecond))
		fmt.Printf("bench %s_html: %d KB (goal < 100 KB) %s\n", x.name, x.size/1024, verdict(x.size < 100*1024))
	}
}
