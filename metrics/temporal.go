// Package metrics exports Prometheus metrics: those of the Temporal Go SDK
// (NewTemporalHandler) and those of the HTTP API (NewHTTP).
package metrics

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalPrefix starts the name of every Temporal SDK metric. The SDK's own
// names already carry it ("temporal_request"); it is added to any that do not.
const TemporalPrefix = "temporal_"

// DroppedMetricName is the counter of SDK metric updates that could not be
// recorded, by reason: ReasonTypeConflict (the name is already a metric of
// another type), ReasonNegative (a counter asked to go down) or
// ReasonInvalid (Prometheus refused the labels).
const DroppedMetricName = "temporal_metrics_dropped_total"

// Reasons of DroppedMetricName.
const (
	ReasonTypeConflict = "type_conflict"
	ReasonNegative     = "negative_counter"
	ReasonInvalid      = "invalid"
)

// TimerBuckets are the histogram buckets, in seconds, of SDK timers. They
// run from a millisecond (a poll, a request) to 30 days (the end-to-end
// latency of a workflow that waits 20 working days for the bureau).
var TimerBuckets = []float64{
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	300, 900, 3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400,
}

type kind int

const (
	kindReserved kind = iota
	kindCounter
	kindGauge
	kindTimer
)

func (k kind) String() string {
	switch k {
	case kindCounter:
		return "counter"
	case kindGauge:
		return "gauge"
	case kindTimer:
		return "timer"
	}
	return "reserved"
}

// NewTemporalHandler returns a client.MetricsHandler (set it as
// client.Options.MetricsHandler) that records the Temporal SDK's metrics in
// reg.
//
// Names are made Prometheus names the way the SDK's own tally Prometheus
// naming does it: characters outside [a-zA-Z0-9_:] become '_', the name is
// prefixed TemporalPrefix unless it has it, counters end in "_total" and
// timers, recorded as histograms in seconds (TimerBuckets), end in
// "_seconds". Tags become labels: keys are sanitised to [a-zA-Z_][a-zA-Z0-9_]*
// ("le" and "quantile" become "tag_le" and "tag_quantile"; a key starting
// "__" gets a "tag" prefix), and a tag with an empty value is left out, as
// Prometheus treats an empty label as absent.
//
// The SDK uses one name with different tag sets (a request counter with and
// without "operation"), which a Prometheus registry refuses for ordinary
// vectors; so the handler keeps one vector per name and set of label names
// inside one unchecked Collector registered on reg, which Prometheus gathers
// into one family per name. A name used as two metric types keeps its first
// type; the other updates are dropped and counted in DroppedMetricName.
//
// The handler is safe for concurrent use and never panics. Calling
// NewTemporalHandler again with the same reg (a worker and a client in one
// process) shares the first handler's metrics instead of exporting
// duplicate series; the package remembers each reg for the life of the
// process. A nil reg records metrics that nothing exports.
func NewTemporalHandler(reg prometheus.Registerer) client.MetricsHandler {
	return &temporalHandler{c: collectorFor(reg)}
}

var (
	sharedMu   sync.Mutex
	collectors = map[prometheus.Registerer]*temporalCollector{}
)

func collectorFor(reg prometheus.Registerer) *temporalCollector {
	if reg == nil {
		return newTemporalCollector()
	}
	// Only a comparable Registerer (in practice any pointer, as
	// *prometheus.Registry) can key the map; hashing another would panic.
	canKey := reflect.TypeOf(reg).Comparable()
	if canKey {
		sharedMu.Lock()
		defer sharedMu.Unlock()
		if c, ok := collectors[reg]; ok {
			return c
		}
	}
	c := newTemporalCollector()
	if err := reg.Register(c); err != nil {
		// An unchecked collector is never refused today; should that change,
		// reuse ours if it is there, and otherwise keep recording unexported
		// rather than fail the worker over its metrics.
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*temporalCollector); ok {
				c = existing
			}
		}
	}
	if canKey {
		collectors[reg] = c
	}
	return c
}

// temporalCollector holds every vector the SDK has asked for. It describes
// nothing, which makes it an unchecked collector: the registry then allows
// one family to carry different label names.
type temporalCollector struct {
	mu       sync.RWMutex
	families map[string]*family // by Prometheus name
	dropped  *prometheus.CounterVec
}

type family struct {
	kind kind
	help string
	vecs map[string]prometheus.Collector // by label names joined with ","
}

func newTemporalCollector() *temporalCollector {
	c := &temporalCollector{
		families: map[string]*family{
			DroppedMetricName: {kind: kindReserved},
		},
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: DroppedMetricName,
			Help: "Temporal SDK metric updates not recorded, by reason.",
		}, []string{"reason"}),
	}
	for _, r := range []string{ReasonTypeConflict, ReasonNegative, ReasonInvalid} {
		c.dropped.WithLabelValues(r)
	}
	return c
}

// Describe sends nothing: the collector is unchecked, see temporalCollector.
func (c *temporalCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every vector's metrics and the dropped counter.
func (c *temporalCollector) Collect(ch chan<- prometheus.Metric) {
	c.dropped.Collect(ch)
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, f := range c.families {
		for _, v := range f.vecs {
			v.Collect(ch)
		}
	}
}

func (c *temporalCollector) drop(reason string) {
	c.dropped.WithLabelValues(reason).Inc()
}

// vec returns the vector of the family name and the label names, creating
// both on first use, or nil when the name belongs to another type.
func (c *temporalCollector) vec(k kind, name, sdkName string, labels []string) prometheus.Collector {
	key := strings.Join(labels, ",")
	c.mu.RLock()
	f, ok := c.families[name]
	if ok && f.kind == k {
		if v, ok := f.vecs[key]; ok {
			c.mu.RUnlock()
			return v
		}
	}
	c.mu.RUnlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok = c.families[name]
	if !ok {
		// The help string is fixed by the family's first use: Gather refuses
		// one family with two help strings.
		f = &family{kind: k, help: "Temporal SDK " + k.String() + " " + strings.ToValidUTF8(sdkName, "?") + ".", vecs: map[string]prometheus.Collector{}}
		c.families[name] = f
	}
	if f.kind != k {
		return nil
	}
	if v, ok := f.vecs[key]; ok {
		return v
	}
	var v prometheus.Collector
	switch k {
	case kindCounter:
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: f.help}, labels)
	case kindGauge:
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: f.help}, labels)
	case kindTimer:
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: f.help, Buckets: TimerBuckets}, labels)
	default:
		return nil
	}
	f.vecs[key] = v
	return v
}

// temporalHandler is one view of the collector with a set of tags.
type temporalHandler struct {
	c      *temporalCollector
	tags   map[string]string // as the SDK gave them
	names  []string          // label names, sorted
	values []string          // label values, in the order of names
}

var _ client.MetricsHandler = (*temporalHandler)(nil)

// WithTags returns a handler whose tags are h's with tags added; a key in
// both takes the new value.
func (h *temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	n := &temporalHandler{c: h.c, tags: merged}
	n.names, n.values = labelPairs(merged)
	return n
}

// Counter returns the counter name+"_total" with h's tags.
func (h *temporalHandler) Counter(name string) client.MetricsCounter {
	v, ok := h.c.vec(kindCounter, withSuffix(metricName(name), "_total"), name, h.names).(*prometheus.CounterVec)
	if !ok {
		return counterFunc(func(int64) { h.c.drop(ReasonTypeConflict) })
	}
	m, err := v.GetMetricWithLabelValues(h.values...)
	if err != nil {
		return counterFunc(func(int64) { h.c.drop(ReasonInvalid) })
	}
	return counterFunc(func(d int64) {
		if d < 0 {
			h.c.drop(ReasonNegative)
			return
		}
		m.Add(float64(d))
	})
}

// Gauge returns the gauge name with h's tags.
func (h *temporalHandler) Gauge(name string) client.MetricsGauge {
	v, ok := h.c.vec(kindGauge, metricName(name), name, h.names).(*prometheus.GaugeVec)
	if !ok {
		return gaugeFunc(func(float64) { h.c.drop(ReasonTypeConflict) })
	}
	m, err := v.GetMetricWithLabelValues(h.values...)
	if err != nil {
		return gaugeFunc(func(float64) { h.c.drop(ReasonInvalid) })
	}
	return gaugeFunc(m.Set)
}

// Timer returns the histogram name+"_seconds" with h's tags.
func (h *temporalHandler) Timer(name string) client.MetricsTimer {
	v, ok := h.c.vec(kindTimer, withSuffix(metricName(name), "_seconds"), name, h.names).(*prometheus.HistogramVec)
	if !ok {
		return timerFunc(func(time.Duration) { h.c.drop(ReasonTypeConflict) })
	}
	m, err := v.GetMetricWithLabelValues(h.values...)
	if err != nil {
		return timerFunc(func(time.Duration) { h.c.drop(ReasonInvalid) })
	}
	return timerFunc(func(d time.Duration) { m.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// metricName makes name a valid Prometheus metric name with TemporalPrefix.
func metricName(name string) string {
	s := sanitise(name, true)
	if !strings.HasPrefix(s, TemporalPrefix) {
		s = TemporalPrefix + s
	}
	return s
}

func withSuffix(name, suffix string) string {
	if strings.HasSuffix(name, suffix) {
		return name
	}
	return name + suffix
}

// labelName makes a tag key a valid, unreserved Prometheus label name, or
// "" for an empty key.
func labelName(key string) string {
	if key == "" {
		return ""
	}
	s := sanitise(key, false)
	if s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	switch {
	case s == "le" || s == "quantile": // reserved by histograms and summaries
		s = "tag_" + s
	case strings.HasPrefix(s, "__"): // reserved for Prometheus itself
		s = "tag" + s
	}
	return s
}

// sanitise replaces every character outside [a-zA-Z0-9_] (and ':' when
// colon is true) with '_'.
func sanitise(s string, colon bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == ':' && colon:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// labelPairs turns tags into sorted label names and their values. Empty
// keys and values are left out; when two keys sanitise to one name, the
// lexically first key wins, so the result never depends on map order.
func labelPairs(tags map[string]string) (names, values []string) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	byName := make(map[string]string, len(keys))
	for _, k := range keys {
		v := tags[k]
		n := labelName(k)
		if n == "" || v == "" {
			continue
		}
		if _, taken := byName[n]; taken {
			continue
		}
		byName[n] = strings.ToValidUTF8(v, string(utf8.RuneError))
		names = append(names, n)
	}
	slices.Sort(names)
	values = make([]string, len(names))
	for i, n := range names {
		values[i] = byName[n]
	}
	return names, values
}
