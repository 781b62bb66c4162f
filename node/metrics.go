//go:build duckdb_arrow

package node

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/datamesh/datamesh/engine"
)

// metrics are the node's Prometheus metrics, in a registry of its own:
// several nodes run in one process under `datamesh up`, each serving its
// own /metrics. docs/operations.md lists them.
type metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	http            *prometheus.CounterVec   // route, method, code
	requests        *prometheus.CounterVec   // product, version, format, code
	duration        *prometheus.HistogramVec // product, version, format
	rows            *prometheus.CounterVec   // product, version, format
	bytes           *prometheus.CounterVec   // product, version, format
	refreshes       *prometheus.CounterVec   // product, version, result
	refreshDuration *prometheus.HistogramVec // product, version
	jobs            *prometheus.CounterVec   // product, version, state (final)
	// Upstream calls of composed products; registered for the composition
	// connector, which observes them.
	upstreamDuration *prometheus.HistogramVec // input, upstream
	upstreamErrors   *prometheus.CounterVec   // input, upstream
}

const ns = "datamesh"

func newMetrics(n *Node) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	product := []string{"product", "version", "format"}
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "http_requests_total",
		Help: "HTTP requests answered, by route, method and status code."}, []string{"route", "method", "code"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "data_requests_total",
		Help: "Data requests (GET .../data) answered, by product, major version, format and status code (aborted: cut mid-answer)."},
		append(product, "code"))
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "data_request_duration_seconds",
		Help:    "Time to answer a data request, to the last byte.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, product)
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "data_rows_served_total",
		Help: "Rows sent by data requests (Parquet answers written by DuckDB are not counted)."}, product)
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "data_bytes_served_total",
		Help: "Bytes of body sent by data requests."}, product)
	m.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "refresh_runs_total",
		Help: "Refreshes of materialized products, by result: ok, failed, timeout, invalid (rows breaking the schema), cancelled."},
		[]string{"product", "version", "result"})
	m.refreshDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "refresh_duration_seconds",
		Help:    "Time a refresh took, whatever its result.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}}, []string{"product", "version"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "jobs_total",
		Help: "Jobs finished, by final state: done, failed, cancelled."}, []string{"product", "version", "state"})
	m.upstreamDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "upstream_request_duration_seconds",
		Help: "Time of calls to upstream products, by input and upstream product."}, []string{"input", "upstream"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_errors_total",
		Help: "Failed calls to upstream products."}, []string{"input", "upstream"})
	m.reg.MustRegister(m.http, m.requests, m.duration, m.rows, m.bytes, m.refreshes, m.refreshDuration,
		m.jobs, m.upstreamDuration, m.upstreamErrors, &stateCollector{n: n},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(n.engine.DB(), "duckdb"))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func versionLabel(p *engine.Product) string { return "v" + strconv.Itoa(p.Desc.Major()) }

// record counts one answer in the metrics and, for data requests, in the
// product's SLA meter.
func (n *Node) record(r *http.Request, status int, bytes int64, aborted bool, d time.Duration, info *requestInfo) {
	s := n.serving
	if s == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	code := strconv.Itoa(status)
	route := r.Pattern
	if route == "" {
		route = "other"
	}
	s.metrics.http.WithLabelValues(route, r.Method, code).Inc()
	p := info.product
	if p == nil || r.Pattern != "/products/{name}/{major}/data" {
		return
	}
	if aborted {
		code = "aborted"
	}
	labels := []string{p.Desc.Name, versionLabel(p), info.format}
	s.metrics.requests.WithLabelValues(append(labels, code)...).Inc()
	s.metrics.duration.WithLabelValues(labels...).Observe(d.Seconds())
	s.metrics.rows.WithLabelValues(labels...).Add(float64(info.rows))
	s.metrics.bytes.WithLabelValues(labels...).Add(float64(bytes))
	if m := s.sla[p]; m != nil {
		m.record(s.clock.Now(), d, status >= 500 || aborted)
	}
}

func (m *metrics) refreshed(p *engine.Product, run RefreshRun) {
	m.refreshes.WithLabelValues(p.Desc.Name, versionLabel(p), run.Result).Inc()
	m.refreshDuration.WithLabelValues(p.Desc.Name, versionLabel(p)).Observe(time.Duration(run.Duration).Seconds())
}

func (m *metrics) jobFinished(p *engine.Product, state string) {
	m.jobs.WithLabelValues(p.Desc.Name, versionLabel(p), state).Inc()
}

// ObserveUpstream records a call to an upstream product, for the
// composition connector.
func (n *Node) ObserveUpstream(input, upstream string, d time.Duration, err error) {
	if n.serving == nil {
		return
	}
	n.serving.metrics.upstreamDuration.WithLabelValues(input, upstream).Observe(d.Seconds())
	if err != nil {
		n.serving.metrics.upstreamErrors.WithLabelValues(input, upstream).Inc()
	}
}

func (n *Node) getMetrics(w http.ResponseWriter, r *http.Request) error {
	n.serving.metrics.handler.ServeHTTP(w, r)
	return nil
}

// stateCollector reports, at each scrape, the state of snapshots, jobs and
// SLAs.
type stateCollector struct{ n *Node }

var (
	descSnapshotAge = prometheus.NewDesc(ns+"_snapshot_age_seconds",
		"Age of the snapshot a materialized product serves: now minus the start of the build that made it.", []string{"product", "version"}, nil)
	descSnapshotRows = prometheus.NewDesc(ns+"_snapshot_rows",
		"Rows of the snapshot a materialized product serves.", []string{"product", "version"}, nil)
	descSnapshotMemory = prometheus.NewDesc(ns+"_snapshot_memory_bytes",
		"Bytes of the snapshot kept in memory for fast lookups (0: DuckDB serves it).", []string{"product", "version"}, nil)
	descDegraded = prometheus.NewDesc(ns+"_product_degraded",
		"1 when a materialized product's last refresh failed and it serves an older snapshot, or has none.", []string{"product", "version"}, nil)
	descJobs = prometheus.NewDesc(ns+"_jobs",
		"Jobs known to the node, by state: queued, running, done, failed, cancelled.", []string{"state"}, nil)
	descSLALatency = prometheus.NewDesc(ns+"_sla_latency_p99_seconds",
		"99th percentile of data request durations over the SLA window.", []string{"product", "version"}, nil)
	descSLAAvailability = prometheus.NewDesc(ns+"_sla_availability_ratio",
		"Share of data requests answered without a 5xx over the SLA window.", []string{"product", "version"}, nil)
	descSLAFreshness = prometheus.NewDesc(ns+"_sla_freshness_seconds",
		"Age of the data served: the snapshot's for materialized products, 0 for live ones.", []string{"product", "version"}, nil)
	descSLAStatus = prometheus.NewDesc(ns+"_sla_objective_status",
		"Status of each declared SLA objective: 0 met, 1 at risk, 2 breached, -1 unknown (no requests in the window).",
		[]string{"product", "version", "objective"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSnapshotAge, descSnapshotRows, descSnapshotMemory, descDegraded,
		descJobs, descSLALatency, descSLAAvailability, descSLAFreshness, descSLAStatus} {
		ch <- d
	}
}

var statusValues = map[string]float64{slaMet: 0, slaAtRisk: 1, slaBreached: 2, slaUnknown: -1}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	s := n.serving
	now := s.clock.Now()
	for _, p := range n.products.all() {
		name, version := p.Desc.Name, versionLabel(p)
		if m := s.mats[p]; m != nil {
			st := m.status(now)
			degraded := 0.0
			if st.Snapshot == nil || st.LastRun != nil && st.LastRun.Result != resultOK && st.LastRun.Result != resultCancelled {
				degraded = 1
			}
			ch <- prometheus.MustNewConstMetric(descDegraded, prometheus.GaugeValue, degraded, name, version)
			if st.Snapshot != nil {
				ch <- prometheus.MustNewConstMetric(descSnapshotAge, prometheus.GaugeValue, now.Sub(st.Snapshot.BuiltAt).Seconds(), name, version)
				ch <- prometheus.MustNewConstMetric(descSnapshotRows, prometheus.GaugeValue, float64(st.Snapshot.Rows), name, version)
				ch <- prometheus.MustNewConstMetric(descSnapshotMemory, prometheus.GaugeValue, float64(st.Snapshot.MemoryBytes), name, version)
			}
		}
		rep := n.slaReport(p, now)
		if o := rep.Measured.LatencyP99; o.Requests > 0 {
			ch <- prometheus.MustNewConstMetric(descSLALatency, prometheus.GaugeValue, time.Duration(o.Value).Seconds(), name, version)
		}
		if o := rep.Measured.Availability; o.Requests > 0 {
			ch <- prometheus.MustNewConstMetric(descSLAAvailability, prometheus.GaugeValue, o.Ratio, name, version)
		}
		if o := rep.Measured.Freshness; o.Known {
			ch <- prometheus.MustNewConstMetric(descSLAFreshness, prometheus.GaugeValue, time.Duration(o.Value).Seconds(), name, version)
		}
		for objective, status := range rep.statuses() {
			ch <- prometheus.MustNewConstMetric(descSLAStatus, prometheus.GaugeValue, statusValues[status], name, version, objective)
		}
	}
	if s.jobs != nil {
		for state, count := range s.jobs.counts() {
			ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(count), state)
		}
	}
}
