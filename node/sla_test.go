//go:build duckdb_arrow

package node_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/node"
)

func TestSLAMeasured(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := node.NewFakeClock(t0)
	// No schedule: the snapshot only ages.
	n := startWith(t, node.WithClock(node.Options{Dir: matDir(t, "")}, clock))
	sla := describeProduct(t, n, "prices").SLA
	if sla.LatencyP99 != 0 && sla.Measured.LatencyP99.Status != "unknown" || sla.Measured.Availability.Status != "unknown" {
		t.Errorf("before any request: %+v", sla.Measured)
	}
	if sla.Freshness.String() != "2h0m0s" || sla.Availability != "99%" {
		t.Errorf("declared %+v", sla)
	}
	for range 20 {
		if a := get(t, n.URL()+"/products/prices/v1/data?id=eq.1"); a.status != http.StatusOK {
			t.Fatal(a.status)
		}
	}
	m := describeProduct(t, n, "prices").SLA.Measured
	if m.LatencyP99.Requests != 20 || m.LatencyP99.Status != "met" || m.LatencyP99.Value <= 0 {
		t.Errorf("latency %+v", m.LatencyP99)
	}
	if m.Availability.Status != "met" || m.Availability.Value != "100%" || m.Availability.Ratio != 1 || m.Availability.Errors != 0 {
		t.Errorf("availability %+v", m.Availability)
	}
	if m.Freshness.Status != "met" || m.Freshness.Value != 0 || !m.Freshness.Known {
		t.Errorf("freshness %+v", m.Freshness)
	}
	if time.Duration(m.Window) != time.Hour {
		t.Errorf("window %v", m.Window)
	}
	clock.Advance(100 * time.Minute) // past 80% of 2h; the requests leave the 1h window
	m = describeProduct(t, n, "prices").SLA.Measured
	if m.Freshness.Status != "at-risk" || time.Duration(m.Freshness.Value) != 100*time.Minute {
		t.Errorf("freshness at 100m %+v", m.Freshness)
	}
	if m.LatencyP99.Requests != 0 || m.LatencyP99.Status != "unknown" {
		t.Errorf("latency after the window %+v", m.LatencyP99)
	}
	clock.Advance(21 * time.Minute)
	st := n.Status()["shop/prices@1.0.0"]
	if st.SLA.Measured.Freshness.Status != "breached" || st.State != "available" || st.Mode != "materialized" || st.Serving == nil {
		t.Errorf("status %+v", st)
	}
}

func TestSLAAvailabilityBreached(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	writeCSV(t, dir, pricesCSV+"4,,1.0,2024-01-04\n") // no snapshot: every answer is a 503
	n := startWith(t, node.Options{Dir: dir})
	for range 3 {
		get(t, n.URL()+"/products/prices/v1/data")
	}
	st := n.Status()["shop/prices@1.0.0"]
	av := st.SLA.Measured.Availability
	if av.Requests != 3 || av.Errors != 3 || av.Status != "breached" || av.Value != "0%" {
		t.Errorf("availability %+v", av)
	}
	if st.SLA.Measured.Freshness.Status != "breached" || st.SLA.Measured.Freshness.Known || st.State != "unavailable" {
		t.Errorf("status %+v", st)
	}
}

func TestSLALiveIsFresh(t *testing.T) {
	dir := matDir(t, "")
	yaml := strings.Replace(fmt.Sprintf(pricesYAML, ""), "mode: materialized", "mode: live", 1)
	must(t, os.WriteFile(filepath.Join(dir, "prices.yaml"), []byte(yaml), 0o644))
	n := startWith(t, node.Options{Dir: dir})
	st := n.Status()
	s, ok := st["shop/prices@1.0.0"]
	if len(st) != 1 || !ok {
		t.Fatalf("status %v", st)
	}
	if f := s.SLA.Measured.Freshness; f.Status != "met" || f.Value != 0 || !f.Known || s.Serving != nil || s.Mode != "live" {
		t.Errorf("%+v", s)
	}
}

func TestMetrics(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	n := startWith(t, node.Options{Dir: dir})
	other := shop(t) // a second node in the process has its own registry
	get(t, n.URL()+"/products/prices/v1/data?id=eq.2")
	get(t, n.URL()+"/products/prices/v1/data?format=csv")
	get(t, n.URL()+"/products/prices/v1/data?nope=1")
	writeCSV(t, dir, pricesCSV+"2,again,1,2024-01-01\n")
	refreshAndWait(t, n, "prices")
	j := submit(t, n.URL()+"/products/prices/v1/jobs", "")
	jobStatus(t, n, j.ID, "Prefer", "wait=30")
	get(t, other.URL()+"/products/items/v1/data")

	a := get(t, n.URL()+"/metrics")
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %v", a.status, a.header)
	}
	body := string(a.body)
	for _, want := range []string{
		`datamesh_data_requests_total{code="200",format="json",product="prices",version="v1"} 1`,
		`datamesh_data_requests_total{code="200",format="csv",product="prices",version="v1"} 1`,
		`datamesh_data_requests_total{code="400",format="json",product="prices",version="v1"} 1`,
		`datamesh_data_request_duration_seconds_count{format="json",product="prices",version="v1"} 2`,
		`datamesh_data_rows_served_total{format="csv",product="prices",version="v1"} 3`,
		`datamesh_data_rows_served_total{format="json",product="prices",version="v1"} 1`,
		`datamesh_refresh_runs_total{product="prices",result="ok",version="v1"} 1`,
		`datamesh_refresh_runs_total{product="prices",result="invalid",version="v1"} 1`,
		`datamesh_refresh_duration_seconds_count{product="prices",version="v1"} 2`,
		`datamesh_jobs_total{product="prices",state="done",version="v1"} 1`,
		`datamesh_jobs{state="done"} 1`,
		`datamesh_jobs{state="running"} 0`,
		`datamesh_snapshot_rows{product="prices",version="v1"} 3`,
		`datamesh_product_degraded{product="prices",version="v1"} 1`,
		`datamesh_sla_objective_status{objective="latencyP99",product="prices",version="v1"} 0`,
		`datamesh_sla_availability_ratio{product="prices",version="v1"} 1`,
		`datamesh_http_requests_total{code="202",method="POST",route="/products/{name}/{major}/refresh"} 1`,
		`datamesh_http_requests_total{code="303",method="GET",route="/jobs/{id}"} 1`,
		`datamesh_data_bytes_served_total{format="csv",product="prices",version="v1"}`,
		`datamesh_snapshot_age_seconds{product="prices",version="v1"}`,
		`go_goroutines`,
		`go_sql_open_connections{db_name="duckdb"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `product="items"`) {
		t.Error("another node's requests are in this node's metrics")
	}
	if a := get(t, other.URL()+"/metrics"); !strings.Contains(string(a.body), `datamesh_data_requests_total{code="200",format="json",product="items",version="v1"} 1`) {
		t.Error("the other node's metrics lack its request")
	}
}
