package metrics

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of the HTTP API's metrics.
const (
	HTTPRequestsName = "beian_http_requests_total"
	HTTPDurationName = "beian_http_request_duration_seconds"
	// OutagesName counts requests answered 503 because a dependency was
	// down, by dependency ("postgres", "temporal"): the on-call's first look.
	OutagesName = "beian_dependency_unavailable_total"
)

// HTTP records the HTTP API's requests: HTTPRequestsName{method,route,status}
// counts them and HTTPDurationName{method,route} is a histogram of their
// durations in seconds. It is safe for concurrent use; a nil *HTTP records
// nothing.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	outages  *prometheus.CounterVec
}

// NewHTTP returns an HTTP whose metrics are registered in reg. Calling it
// again with the same reg returns an HTTP that shares the first one's
// metrics; a nil reg records metrics that nothing exports. It never panics:
// if reg refuses the metrics for another reason, they are recorded but not
// exported.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: HTTPRequestsName,
			Help: "HTTP requests served by the beian API, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    HTTPDurationName,
			Help:    "Duration of HTTP requests served by the beian API, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		outages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: OutagesName,
			Help: "Requests answered 503 UNAVAILABLE because a dependency was down, by dependency.",
		}, []string{"dependency"}),
	}
	if reg != nil {
		h.requests = registerOrExisting(reg, h.requests)
		h.duration = registerOrExisting(reg, h.duration)
		h.outages = registerOrExisting(reg, h.outages)
	}
	return h
}

// registerOrExisting registers c in reg, or returns the equal collector
// already registered there.
func registerOrExisting[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if err != nil && errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	return c
}

// Observe records one request. route must be the route pattern
// ("/api/cases/:id"), never the raw path, or every case would make its own
// series; status is the HTTP status code sent.
func (h *HTTP) Observe(method, route string, status int, d time.Duration) {
	if h == nil {
		return
	}
	method = strings.ToValidUTF8(method, string(utf8.RuneError))
	route = strings.ToValidUTF8(route, string(utf8.RuneError))
	if c, err := h.requests.GetMetricWithLabelValues(method, route, strconv.Itoa(status)); err == nil {
		c.Inc()
	}
	if o, err := h.duration.GetMetricWithLabelValues(method, route); err == nil {
		o.Observe(d.Seconds())
	}
}

// Outage counts one request that met dependency down.
func (h *HTTP) Outage(dependency string) {
	if h == nil {
		return
	}
	if c, err := h.outages.GetMetricWithLabelValues(dependency); err == nil {
		c.Inc()
	}
}
