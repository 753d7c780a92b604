package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/beian/beian/metrics"
)

// gather returns the registry's families by name; gathering must succeed.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// labelsOf renders a metric's labels as "k=v,k=v" in name order.
func labelsOf(m *dto.Metric) string {
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// values maps each series of the family (by labelsOf) to its value: the
// counter or gauge value, or the histogram's sample count.
func values(t *testing.T, fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	mf, ok := fams[name]
	require.True(t, ok, "no family %s among %v", name, keys(fams))
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			out[labelsOf(m)] = m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			out[labelsOf(m)] = m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			out[labelsOf(m)] = float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

func keys(m map[string]*dto.MetricFamily) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTemporalHandlerVaryingTags(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	var h client.MetricsHandler = metrics.NewTemporalHandler(reg)

	// The SDK's request counter, with and without "operation", as the client does.
	h.Counter("temporal_request").Inc(1)
	ns := h.WithTags(map[string]string{"namespace": "default"})
	ns.Counter("temporal_request").Inc(2)
	ns.Counter("temporal_request").Inc(3)
	op := ns.WithTags(map[string]string{"operation": "StartWorkflowExecution"})
	op.Counter("temporal_request").Inc(4)
	// Overwriting a tag changes the child only.
	ns.WithTags(map[string]string{"namespace": "other"}).Counter("temporal_request").Inc(7)

	ns.Gauge("temporal_worker_task_slots_available").Update(5)
	ns.Gauge("temporal_worker_task_slots_available").Update(3)
	ns.WithTags(map[string]string{"worker_type": "ActivityWorker"}).Gauge("temporal_worker_task_slots_available").Update(9)

	op.Timer("temporal_request_latency").Record(1500 * time.Millisecond)
	op.Timer("temporal_request_latency").Record(500 * time.Millisecond)
	ns.Timer("temporal_request_latency").Record(time.Second)

	fams := gather(t, reg)
	require.Equal(t, map[string]float64{
		"":                  1,
		"namespace=default": 5,
		"namespace=default,operation=StartWorkflowExecution": 4,
		"namespace=other": 7,
	}, values(t, fams, "temporal_request_total"))
	require.Equal(t, dto.MetricType_COUNTER, fams["temporal_request_total"].GetType())

	require.Equal(t, map[string]float64{
		"namespace=default":                            3,
		"namespace=default,worker_type=ActivityWorker": 9,
	}, values(t, fams, "temporal_worker_task_slots_available"))
	require.Equal(t, dto.MetricType_GAUGE, fams["temporal_worker_task_slots_available"].GetType())

	lat := fams["temporal_request_latency_seconds"]
	require.NotNil(t, lat)
	require.Equal(t, dto.MetricType_HISTOGRAM, lat.GetType())
	require.Equal(t, map[string]float64{
		"namespace=default": 1,
		"namespace=default,operation=StartWorkflowExecution": 2,
	}, values(t, fams, "temporal_request_latency_seconds"))
	for _, m := range lat.GetMetric() {
		if labelsOf(m) == "namespace=default,operation=StartWorkflowExecution" {
			require.InDelta(t, 2.0, m.GetHistogram().GetSampleSum(), 1e-9)
		}
	}
}

func TestTemporalHandlerNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tags     map[string]string
		record   func(h client.MetricsHandler)
		family   string
		wantSeen string // labelsOf the one series
	}{
		{
			name:     "dots and dashes become underscores, prefix added",
			record:   func(h client.MetricsHandler) { h.Counter("my.metric-name").Inc(1) },
			family:   "temporal_my_metric_name_total",
			wantSeen: "",
		},
		{
			name:     "name starting with a digit",
			record:   func(h client.MetricsHandler) { h.Gauge("1st").Update(1) },
			family:   "temporal_1st",
			wantSeen: "",
		},
		{
			name:     "counter already ending in _total",
			record:   func(h client.MetricsHandler) { h.Counter("temporal_x_total").Inc(1) },
			family:   "temporal_x_total",
			wantSeen: "",
		},
		{
			name:     "Chinese name",
			record:   func(h client.MetricsHandler) { h.Counter("备案").Inc(1) },
			family:   "temporal____total",
			wantSeen: "",
		},
		{
			name:     "tag keys sanitised",
			tags:     map[string]string{"task.queue": "beian", "9lives": "x", "__name": "y"},
			record:   func(h client.MetricsHandler) { h.Counter("temporal_poller_start").Inc(1) },
			family:   "temporal_poller_start_total",
			wantSeen: "_9lives=x,tag__name=y,task_queue=beian",
		},
		{
			name:     "le is renamed on a histogram",
			tags:     map[string]string{"le": "1", "quantile": "0.5"},
			record:   func(h client.MetricsHandler) { h.Timer("temporal_activity_execution_latency").Record(time.Second) },
			family:   "temporal_activity_execution_latency_seconds",
			wantSeen: "tag_le=1,tag_quantile=0.5",
		},
		{
			name:     "empty value is no label",
			tags:     map[string]string{"activity_type": "", "namespace": "default"},
			record:   func(h client.MetricsHandler) { h.Counter("temporal_activity_poll_no_task").Inc(1) },
			family:   "temporal_activity_poll_no_task_total",
			wantSeen: "namespace=default",
		},
		{
			name:     "keys that collide after sanitising: first key wins",
			tags:     map[string]string{"task.queue": "a", "task_queue": "b"},
			record:   func(h client.MetricsHandler) { h.Counter("temporal_c").Inc(1) },
			family:   "temporal_c_total",
			wantSeen: "task_queue=a",
		},
		{
			name:     "invalid UTF-8 value",
			tags:     map[string]string{"workflow_type": "a\xffb"},
			record:   func(h client.MetricsHandler) { h.Counter("temporal_d").Inc(1) },
			family:   "temporal_d_total",
			wantSeen: "workflow_type=a\uFFFDb",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			h := metrics.NewTemporalHandler(reg)
			if tt.tags != nil {
				h = h.WithTags(tt.tags)
			}
			tt.record(h)
			got := values(t, gather(t, reg), tt.family)
			require.Equal(t, map[string]float64{tt.wantSeen: 1}, got)
		})
	}
}

func TestTemporalHandlerDrops(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := metrics.NewTemporalHandler(reg)

	h.Counter("temporal_x").Inc(2)
	// "temporal_x_total" is the counter's family; as a gauge it conflicts.
	h.Gauge("temporal_x_total").Update(1)
	h.Counter("temporal_x").Inc(-1)
	// The handler's own counter's name is reserved.
	h.Gauge(metrics.DroppedMetricName).Update(1)

	fams := gather(t, reg)
	require.Equal(t, map[string]float64{"": 2}, values(t, fams, "temporal_x_total"))
	require.Equal(t, map[string]float64{
		"reason=" + metrics.ReasonTypeConflict: 2,
		"reason=" + metrics.ReasonNegative:     1,
		"reason=" + metrics.ReasonInvalid:      0,
	}, values(t, fams, metrics.DroppedMetricName))
}

func TestTemporalHandlerSharedRegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	worker := metrics.NewTemporalHandler(reg)
	api := metrics.NewTemporalHandler(reg)
	tags := map[string]string{"namespace": "default"}
	worker.WithTags(tags).Counter("temporal_request").Inc(1)
	api.WithTags(tags).Counter("temporal_request").Inc(1)

	// One series, not two with the same labels (which would fail Gather).
	require.Equal(t, map[string]float64{"namespace=default": 2}, values(t, gather(t, reg), "temporal_request_total"))

	// Wrapped registerers are pointers too and keep their own metrics.
	wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"process": "worker"}, reg)
	metrics.NewTemporalHandler(wrapped).WithTags(tags).Counter("temporal_request").Inc(5)
	require.Equal(t, map[string]float64{
		"namespace=default":                2,
		"namespace=default,process=worker": 5,
	}, values(t, gather(t, reg), "temporal_request_total"))
}

func TestTemporalHandlerNilRegisterer(t *testing.T) {
	t.Parallel()
	h := metrics.NewTemporalHandler(nil)
	require.NotPanics(t, func() {
		h.WithTags(map[string]string{"a": "b"}).Counter("temporal_request").Inc(1)
		h.Gauge("g").Update(1)
		h.Timer("t").Record(time.Second)
	})
}

func TestTemporalHandlerConcurrent(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := metrics.NewTemporalHandler(reg)
	const workers, each = 16, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Four tag sets, two of them with different label names.
				tags := map[string]string{"namespace": "default"}
				if i%2 == 0 {
					tags["operation"] = fmt.Sprintf("op%d", w%2)
				}
				hh := h.WithTags(tags)
				hh.Counter("temporal_request").Inc(1)
				hh.Timer("temporal_request_latency").Record(time.Millisecond)
				hh.Gauge("temporal_num_pollers").Update(float64(i))
				if i%50 == 0 {
					if _, err := reg.Gather(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	got := values(t, gather(t, reg), "temporal_request_total")
	require.Equal(t, map[string]float64{
		"namespace=default":               workers * each / 2,
		"namespace=default,operation=op0": workers * each / 4,
		"namespace=default,operation=op1": workers * each / 4,
	}, got)
}

// The exposition a Prometheus server scrapes: one family, different label
// sets, served without error.
func TestTemporalHandlerExposition(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := metrics.NewTemporalHandler(reg)
	h.Counter("temporal_request").Inc(1)
	h.WithTags(map[string]string{"operation": "PollActivityTaskQueue"}).Counter("temporal_request").Inc(2)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "# TYPE temporal_request_total counter")
	require.Contains(t, string(body), "\ntemporal_request_total 1\n")
	require.Contains(t, string(body), `temporal_request_total{operation="PollActivityTaskQueue"} 2`)
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.NewHTTP(reg)
	m.Observe("GET", "/api/cases/:id", 200, 100*time.Millisecond)
	m.Observe("GET", "/api/cases/:id", 200, 300*time.Millisecond)
	m.Observe("GET", "/api/cases/:id", 404, 10*time.Millisecond)
	m.Observe("POST", "/api/cases", 201, 2*time.Second)
	// A second NewHTTP on the same registry shares the metrics, no panic.
	again := metrics.NewHTTP(reg)
	again.Observe("POST", "/api/cases", 201, time.Second)
	var nilHTTP *metrics.HTTP
	nilHTTP.Observe("GET", "/", 200, time.Second)

	fams := gather(t, reg)
	require.Equal(t, map[string]float64{
		"method=GET,route=/api/cases/:id,status=200": 2,
		"method=GET,route=/api/cases/:id,status=404": 1,
		"method=POST,route=/api/cases,status=201":    2,
	}, values(t, fams, metrics.HTTPRequestsName))
	require.Equal(t, map[string]float64{
		"method=GET,route=/api/cases/:id": 3,
		"method=POST,route=/api/cases":    2,
	}, values(t, fams, metrics.HTTPDurationName))
	for _, s := range fams[metrics.HTTPDurationName].GetMetric() {
		switch labelsOf(s) {
		case "method=GET,route=/api/cases/:id":
			require.InDelta(t, 0.41, s.GetHistogram().GetSampleSum(), 1e-9)
		case "method=POST,route=/api/cases":
			require.InDelta(t, 3.0, s.GetHistogram().GetSampleSum(), 1e-9)
		}
	}
}

func TestHTTPRegistryConflict(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	// Someone else took the name with other labels: NewHTTP must not panic,
	// and the registry stays gatherable.
	other := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metrics.HTTPRequestsName, Help: "x"}, []string{"path"})
	reg.MustRegister(other)
	var m *metrics.HTTP
	require.NotPanics(t, func() {
		m = metrics.NewHTTP(reg)
		m.Observe("GET", "/", 200, time.Millisecond)
		m.Observe("GET\xff", "/", 200, time.Millisecond)
	})
	require.Equal(t, map[string]float64{
		"method=GET,route=/":       1,
		"method=GET\uFFFD,route=/": 1,
	}, values(t, gather(t, reg), metrics.HTTPDurationName))
}
