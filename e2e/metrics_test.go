package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/beian/beian/api"
	"github.com/beian/beian/metrics"
	"github.com/beian/beian/worker"
)

// TestMetricsEndpoint: /metrics serves the Temporal SDK's metrics (from a
// worker and client running filings on the dev server) and the API's HTTP
// metrics, as `beian serve` wires them.
func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	reg := prometheus.NewRegistry()
	tc, err := client.Dial(client.Options{
		HostPort: b.TemporalAddress, Namespace: "default",
		MetricsHandler: metrics.NewTemporalHandler(reg),
	})
	require.NoError(t, err)
	defer tc.Close()
	// A second worker on the same queue, with the metered client.
	w := worker.New(tc, b.Acts, sdkworker.Options{})
	require.NoError(t, w.Start())
	defer w.Stop()
	b.StopWorker() // so the metered worker does the work

	httpm := metrics.NewHTTP(reg)
	srv := httptest.NewServer(api.New(api.Deps{Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), HTTP: httpm}))
	defer srv.Close()

	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("metered.cn")))
	b.must(200, b.do("POST", "/api/v1/filings/"+created.str("id")+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	// One request through the metered API server.
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()

	req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/metrics", nil)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	require.Contains(t, text, "temporal_", "Temporal SDK metrics")
	require.Contains(t, text, `task_queue="beian-filings"`, "SDK tags become labels")
	require.Contains(t, text, `beian_http_requests_total{method="GET",route="/healthz",status="200"}`)
	require.True(t, strings.Contains(text, "temporal_activity_execution_latency") || strings.Contains(text, "temporal_workflow_task_execution_latency"), "worker metrics")
}
