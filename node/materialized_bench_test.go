//go:build duckdb_arrow

package node_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datamesh/datamesh/node"
)

// The load benchmarks start a node on loopback and drive it with
// concurrent HTTP clients from the benchmark's own process (on a 2-core
// machine they share the CPUs with the node), like wrk -c16:
//
//	go test -tags duckdb_arrow -run '^$' -bench 'Materialized|LiveVsMaterialized|JobOverhead' -benchtime 20000x ./node/
//
// BenchmarkMaterializedLookup reports requests/s and the p50 and p99
// latencies of primary key lookups on a 1M-row materialized product, as
// fast as the node answers (max) and at a steady 5,000 requests/s;
// BenchmarkLiveVsMaterialized the request rates of a product aggregating
// 1M rows, live, and of its materialized twin, and their ratio.

const benchRows = 1_000_000

// loadConcurrency is the number of concurrent clients.
const loadConcurrency = 16

// benchServer writes a folder with a 1M-row Parquet file and three
// products over it, lookup (materialized, key id), agg-live and agg-twin
// (one aggregation, live and materialized), and starts a node over it for
// the benchmark.
func benchServer(b *testing.B) *node.Node {
	b.Helper()
	dir := b.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf(`COPY (SELECT i AS id, 'name ' || i AS name, (hash(i) %% 100000) / 100.0 AS amount,
		DATE '2020-01-01' + (i %% 1500)::INTEGER AS day FROM range(%d) t(i)) TO '%s' (FORMAT parquet)`,
		benchRows, filepath.Join(dir, "src.parquet")))
	if err != nil {
		b.Fatal(err)
	}
	product := func(name, mode, sql, key string, cols ...string) {
		var schema strings.Builder
		for _, c := range cols {
			n, t, _ := strings.Cut(c, ":")
			fmt.Fprintf(&schema, "    - {name: %s, logicalType: %s}\n", n, t)
		}
		desc := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: %s
domain: bench
version: 1.0.0
description: Benchmark product.
owner: {team: bench}
inputs:
  - name: src
    file: src.parquet
transform:
  sql: %s
output:
  primaryKey: [%s]
  schema:
%sserving: {mode: %s}
`, name, sql, key, schema.String(), mode)
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(desc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	product("lookup", "materialized", "select id, name, amount, day from src", "id",
		"id:integer", "name:string", "amount:number", "day:date")
	agg := "select id % 1000 as grp, count(*) as n, sum(amount) as total, avg(amount) as mean from src group by all"
	product("agg-live", "live", agg, "grp", "grp:integer", "n:integer", "total:number", "mean:number")
	product("agg-twin", "materialized", agg, "grp", "grp:integer", "n:integer", "total:number", "mean:number")
	n, err := node.New(node.Options{Dir: dir, Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "state")})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	return n
}

// load sends total requests from loadConcurrency clients as fast as they
// are answered, and returns the elapsed time and each request's latency.
func load(b *testing.B, total int, url func(rng *rand.Rand) string) (time.Duration, []time.Duration) {
	return paced(b, total, 0, url)
}

// paced is load at a given rate (requests/s; 0: as fast as possible).
// Request i is due at start + i/rate, and its latency counts from then, so
// that a stall shows in the latencies of every request it delays (no
// coordinated omission).
func paced(b *testing.B, total int, rate float64, url func(rng *rand.Rand) string) (time.Duration, []time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadConcurrency, MaxConnsPerHost: loadConcurrency}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, total)
	var next int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := range loadConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= int64(total) {
					return
				}
				u := url(rng)
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(t0))
				}
				resp, err := client.Get(u)
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("status %d, %v", resp.StatusCode, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return time.Since(start), lat
}

func percentile(lat []time.Duration, p float64) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func BenchmarkMaterializedLookup(b *testing.B) {
	n := benchServer(b)
	base := n.URL() + "/products/lookup/v1/data?id=eq."
	// Check the answer.
	if a := benchBody(b, base+"123456"); !strings.Contains(a, `"name":"name 123456"`) {
		b.Fatalf("answer %s", a)
	}
	url := func(rng *rand.Rand) string { return base + fmt.Sprint(rng.IntN(benchRows)) }
	for _, rate := range []float64{0, 5000} {
		name := "max"
		if rate > 0 {
			name = fmt.Sprintf("at-%.0f", rate)
		}
		b.Run(name, func(b *testing.B) {
			before := node.MemoryAnswers(n)
			elapsed, lat := paced(b, b.N, rate, url)
			if node.MemoryAnswers(n)-before != int64(b.N) {
				b.Errorf("%d of %d lookups answered from memory", node.MemoryAnswers(n)-before, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}

func benchBody(b *testing.B, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// liveRate is the live product's request rate, for the twin's ratio.
var liveRate float64

func BenchmarkLiveVsMaterialized(b *testing.B) {
	n := benchServer(b)
	// (Sums of doubles differ in their last digits from run to run.)
	live := benchBody(b, n.URL()+"/products/agg-live/v1/data?order=grp&select=grp,n")
	twin := benchBody(b, n.URL()+"/products/agg-twin/v1/data?order=grp&select=grp,n")
	if live != twin || !strings.Contains(live, `"grp":999`) {
		b.Fatalf("the twins differ:\n%.300s\n%.300s", live, twin)
	}
	run := func(name string) float64 {
		var rate float64
		b.Run(name, func(b *testing.B) {
			url := n.URL() + "/products/" + name + "/v1/data"
			elapsed, lat := load(b, b.N, func(*rand.Rand) string { return url })
			rate = float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "req/s")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
			if name == "agg-twin" && liveRate > 0 {
				b.ReportMetric(rate/liveRate, "x-live")
			}
		})
		return rate
	}
	liveRate = run("agg-live")
	run("agg-twin")
}

// BenchmarkJobOverhead measures a job of a trivial query from submission
// to its result fetched (POST, GET with Prefer: wait, GET the result),
// and the same query as a plain data request; the difference is the job
// API's overhead.
func BenchmarkJobOverhead(b *testing.B) {
	n := benchServer(b)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	query := "/products/agg-twin/v1/jobs?grp=eq.7"
	do := func(method, url string, header ...string) *http.Response {
		req, _ := http.NewRequest(method, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var jobTime, dataTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		resp := do(http.MethodPost, n.URL()+query)
		if resp.StatusCode != http.StatusAccepted {
			b.Fatalf("POST: %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		if resp := do(http.MethodGet, n.URL()+loc, "Prefer", "wait=10"); resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("GET %s: %d", loc, resp.StatusCode)
		}
		if resp := do(http.MethodGet, n.URL()+loc+"/result"); resp.StatusCode != http.StatusOK {
			b.Fatalf("result: %d", resp.StatusCode)
		}
		t1 := time.Now()
		if resp := do(http.MethodGet, n.URL()+"/products/agg-twin/v1/data?grp=eq.7&order=grp"); resp.StatusCode != http.StatusOK {
			b.Fatalf("data: %d", resp.StatusCode)
		}
		jobTime += t1.Sub(t0)
		dataTime += time.Since(t1)
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(jobTime), "job-ms")
	b.ReportMetric(per(dataTime), "data-ms")
	b.ReportMetric(per(jobTime-dataTime), "overhead-ms")
}
