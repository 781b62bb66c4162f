//go:build duckdb_arrow

package node

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// SLA objective statuses. An objective is at risk when its measure has
// used more than atRisk of what the objective allows: a p99 latency or a
// freshness above 80% of its limit, or errors above 80% of the error
// budget (1 - availability). It is unknown when no data request came in
// the window.
const (
	slaMet      = "met"
	slaAtRisk   = "at-risk"
	slaBreached = "breached"
	slaUnknown  = "unknown"
	atRisk      = 0.8
)

// SLAReport is a product's declared SLA with what the node measures of it.
type SLAReport struct {
	LatencyP99   descriptor.Duration `json:"latencyP99,omitzero"`
	Freshness    descriptor.Duration `json:"freshness,omitzero"`
	Availability string              `json:"availability,omitempty"`
	Measured     SLAMeasured         `json:"measured"`
}

// SLAMeasured is what the node measured over the window. Status is set
// for the declared objectives only.
type SLAMeasured struct {
	Window       Duration            `json:"window"`
	LatencyP99   LatencyMeasure      `json:"latencyP99"`
	Freshness    FreshnessMeasure    `json:"freshness"`
	Availability AvailabilityMeasure `json:"availability"`
}

// LatencyMeasure is the 99th percentile of data request durations (to the
// last byte), within 10% (the upper bound of its histogram bucket).
type LatencyMeasure struct {
	Value    Duration `json:"value"`
	Requests int64    `json:"requests"`
	Status   string   `json:"status,omitempty"`
}

// FreshnessMeasure is the age of the data served: the current snapshot's
// for a materialized product, 0 for a live one (computed per request).
// Known is false for a materialized product without a snapshot.
type FreshnessMeasure struct {
	Value  Duration `json:"value"`
	Known  bool     `json:"known"`
	Status string   `json:"status,omitempty"`
}

// AvailabilityMeasure is the share of data requests answered without a
// 5xx status (or a cut answer).
type AvailabilityMeasure struct {
	Value    string  `json:"value,omitempty"` // a percentage, like 99.95%
	Ratio    float64 `json:"ratio"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Status   string  `json:"status,omitempty"`
}

// statuses returns the status of each declared objective.
func (r SLAReport) statuses() map[string]string {
	out := map[string]string{}
	if r.Measured.LatencyP99.Status != "" {
		out["latencyP99"] = r.Measured.LatencyP99.Status
	}
	if r.Measured.Freshness.Status != "" {
		out["freshness"] = r.Measured.Freshness.Status
	}
	if r.Measured.Availability.Status != "" {
		out["availability"] = r.Measured.Availability.Status
	}
	return out
}

// slaReport measures a product's SLA now.
func (n *Node) slaReport(p *engine.Product, now time.Time) SLAReport {
	d := p.Desc.SLA
	rep := SLAReport{LatencyP99: d.LatencyP99, Freshness: d.Freshness, Availability: d.Availability}
	s := n.serving
	if s == nil {
		return rep
	}
	meas := &rep.Measured
	meas.Window = Duration(s.opts.SLAWindow)
	var sum slaSum
	if m := s.sla[p]; m != nil {
		sum = m.sum(now)
	}

	meas.LatencyP99 = LatencyMeasure{Value: Duration(sum.p99()), Requests: sum.n}
	if d.LatencyP99 > 0 {
		meas.LatencyP99.Status = slaUnknown
		if sum.n > 0 {
			meas.LatencyP99.Status = against(float64(sum.p99()), float64(d.LatencyP99))
		}
	}

	meas.Freshness = FreshnessMeasure{Known: true}
	if m := s.mats[p]; m != nil {
		meas.Freshness.Known = false
		if snap := m.current(); snap != nil {
			meas.Freshness = FreshnessMeasure{Value: Duration(max(now.Sub(snap.BuiltAt), 0)), Known: true}
			snap.release()
		}
	}
	if d.Freshness > 0 {
		meas.Freshness.Status = slaBreached // no data served is not fresh
		if meas.Freshness.Known {
			meas.Freshness.Status = against(float64(meas.Freshness.Value), float64(d.Freshness))
		}
	}

	av := &meas.Availability
	av.Requests, av.Errors = sum.n, sum.errors
	if sum.n > 0 {
		av.Ratio = float64(sum.n-sum.errors) / float64(sum.n)
		av.Value = strconv.FormatFloat(math.Floor(av.Ratio*1e5)/1e3, 'f', -1, 64) + "%"
	}
	if target, ok := availabilityTarget(d.Availability); ok {
		av.Status = slaUnknown
		if sum.n > 0 {
			budget := 1 - target
			errs := 1 - av.Ratio
			switch {
			case errs > budget:
				av.Status = slaBreached
			case errs > atRisk*budget:
				av.Status = slaAtRisk
			default:
				av.Status = slaMet
			}
		}
	}
	return rep
}

// against is the status of a measure whose limit is limit.
func against(v, limit float64) string {
	switch {
	case v > limit:
		return slaBreached
	case v > atRisk*limit:
		return slaAtRisk
	}
	return slaMet
}

// availabilityTarget reads "99.9%" as 0.999.
func availabilityTarget(s string) (float64, bool) {
	if len(s) < 2 || s[len(s)-1] != '%' {
		return 0, false
	}
	f, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if err != nil {
		return 0, false
	}
	return f / 100, true
}

// slaMeter keeps a rolling window of data request durations (a histogram
// with buckets 10% apart) and errors, in slots of window/slaSlots: memory
// is fixed, about 40 KB per product.
type slaMeter struct {
	mu    sync.Mutex
	slot  time.Duration
	slots [slaSlots]slaSlot
}

const (
	slaSlots       = 60
	latencyBuckets = 160
	latencyMin     = 50 * time.Microsecond
	latencyGrowth  = 1.1
)

type slaSlot struct {
	epoch     int64 // which slot of time the counts are for
	n, errors int64
	buckets   [latencyBuckets]uint32
}

func newSLAMeter(window time.Duration) *slaMeter {
	return &slaMeter{slot: max(window/slaSlots, time.Millisecond)}
}

var logGrowth = math.Log(latencyGrowth)

// bucketOf is the first bucket whose upper bound, latencyMin ×
// latencyGrowth^i, is at least d.
func bucketOf(d time.Duration) int {
	if d <= latencyMin {
		return 0
	}
	i := int(math.Ceil(math.Log(float64(d)/float64(latencyMin))/logGrowth - 1e-9))
	return min(i, latencyBuckets-1)
}

func bucketBound(i int) time.Duration {
	return time.Duration(float64(latencyMin) * math.Pow(latencyGrowth, float64(i)))
}

func (m *slaMeter) record(now time.Time, d time.Duration, failed bool) {
	epoch := now.UnixNano() / int64(m.slot)
	m.mu.Lock()
	s := &m.slots[epoch%slaSlots]
	if s.epoch != epoch {
		*s = slaSlot{epoch: epoch}
	}
	s.n++
	if failed {
		s.errors++
	}
	s.buckets[bucketOf(d)]++
	m.mu.Unlock()
}

// slaSum is a window's counts.
type slaSum struct {
	n, errors int64
	buckets   [latencyBuckets]int64
}

func (m *slaMeter) sum(now time.Time) slaSum {
	var out slaSum
	epoch := now.UnixNano() / int64(m.slot)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.slots {
		s := &m.slots[i]
		if s.n == 0 || s.epoch <= epoch-slaSlots || s.epoch > epoch {
			continue
		}
		out.n += s.n
		out.errors += s.errors
		for b, c := range s.buckets {
			out.buckets[b] += int64(c)
		}
	}
	return out
}

// p99 is the upper bound of the bucket holding the 99th percentile.
func (s slaSum) p99() time.Duration {
	if s.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(0.99 * float64(s.n)))
	var seen int64
	for b, c := range s.buckets {
		seen += c
		if seen >= rank {
			return bucketBound(b)
		}
	}
	return bucketBound(latencyBuckets - 1)
}

// ProductStatus is what a node knows of a product now: its state, its
// snapshot and refreshes when it is materialized, and its SLA measured.
// The catalog receives it (Node.Status).
type ProductStatus struct {
	ID      string         `json:"id"`
	State   string         `json:"state"` // available | degraded | unavailable
	Reason  string         `json:"reason,omitempty"`
	Mode    string         `json:"servingMode"`
	Serving *ServingStatus `json:"serving,omitempty"`
	SLA     SLAReport      `json:"sla"`
}

// Status reports every product this node serves, by id
// (domain/name@version).
func (n *Node) Status() map[string]ProductStatus {
	out := map[string]ProductStatus{}
	if n.products == nil {
		return out
	}
	now := n.now()
	for _, p := range n.products.all() {
		st := n.productStatus(p)
		ps := ProductStatus{ID: p.Desc.ID(), State: st.State, Reason: st.Reason, Mode: p.Desc.Serving.Mode,
			SLA: n.slaReport(p, now)}
		if ps.Mode == "" {
			ps.Mode = descriptor.ModeLive
		}
		if m := n.materializedOf(p); m != nil {
			sv := m.status(now)
			ps.Serving = &sv
		}
		out[ps.ID] = ps
	}
	return out
}

func (n *Node) now() time.Time {
	if n.serving != nil {
		return n.serving.clock.Now()
	}
	return time.Now()
}
