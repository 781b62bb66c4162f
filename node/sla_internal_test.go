//go:build duckdb_arrow

package node

import (
	"testing"
	"time"
)

func TestLatencyBuckets(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, 50 * time.Microsecond, 51 * time.Microsecond,
		time.Millisecond, 7 * time.Millisecond, 200 * time.Millisecond, time.Second, 90 * time.Second} {
		b := bucketOf(d)
		if up := bucketBound(b); up < d || b > 0 && float64(up) > float64(d)*latencyGrowth*1.0001 {
			t.Errorf("%v: bucket %d bound %v", d, b, up)
		}
	}
	if b := bucketOf(time.Hour); b != latencyBuckets-1 {
		t.Errorf("an hour: bucket %d", b)
	}
}

func TestSLAMeterWindow(t *testing.T) {
	m := newSLAMeter(time.Hour)
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for i := range 99 {
		m.record(t0.Add(time.Duration(i)*time.Second), time.Millisecond, false)
	}
	m.record(t0, time.Second, true)
	s := m.sum(t0.Add(2 * time.Minute))
	if s.n != 100 || s.errors != 1 {
		t.Fatalf("sum %+v", s)
	}
	if p := s.p99(); p < time.Millisecond || p > 1100*time.Microsecond {
		t.Errorf("p99 %v", p)
	}
	m.record(t0, 2*time.Second, false) // 2 slow of 101: the p99 is slow
	if p := m.sum(t0).p99(); p < time.Second {
		t.Errorf("p99 %v", p)
	}
	if s := m.sum(t0.Add(61 * time.Minute)); s.n != 0 {
		t.Errorf("after the window: %+v", s)
	}
	for _, c := range []struct {
		v, limit float64
		want     string
	}{{1, 10, slaMet}, {8, 10, slaMet}, {8.1, 10, slaAtRisk}, {10, 10, slaAtRisk}, {10.1, 10, slaBreached}} {
		if got := against(c.v, c.limit); got != c.want {
			t.Errorf("against(%v, %v) = %s", c.v, c.limit, got)
		}
	}
}
