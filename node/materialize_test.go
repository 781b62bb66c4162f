//go:build duckdb_arrow

package node_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/datamesh/datamesh/node"
)

// pricesYAML is a materialized product over prices.csv, which tests
// rewrite to change what a refresh reads.
const pricesYAML = `apiVersion: datamesh/v1
kind: DataProduct
name: prices
domain: shop
version: 1.0.0
description: Prices of the shop's items.
owner: {team: shop}
inputs:
  - name: src
    file: prices.csv
transform:
  sql: select id, name, price, day from src
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer, required: true}
    - {name: name, logicalType: string, required: true}
    - {name: price, logicalType: number}
    - {name: day, logicalType: date}
serving:
  mode: materialized
  %s
sla: {latencyP99: 200ms, freshness: 2h, availability: 99%%}
`

const pricesCSV = "id,name,price,day\n1,apple,1.5,2024-01-01\n2,pear,2.25,2024-01-02\n3,plum,0.75,2024-01-03\n"

// matDir writes the prices product with the serving lines given and its CSV.
func matDir(t *testing.T, serving string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "prices.yaml"), []byte(fmt.Sprintf(pricesYAML, serving)), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "prices.csv"), []byte(pricesCSV), 0o644))
	return dir
}

func writeCSV(t *testing.T, dir, body string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, "prices.csv"), []byte(body), 0o644))
}

// startWith starts a node with options, stopped at the end of the test.
func startWith(t testing.TB, o node.Options) *node.Node {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	n, err := node.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, n) })
	return n
}

func stop(t testing.TB, n *node.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// description is the part of a self-description these tests read.
type description struct {
	Status struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"status"`
	Serving *node.ServingStatus `json:"serving"`
	SLA     node.SLAReport      `json:"sla"`
}

func describeProduct(t *testing.T, n *node.Node, name string) description {
	t.Helper()
	var d description
	getJSON(t, n.URL()+"/products/"+name, &d)
	return d
}

// eventually polls cond until it holds, failing after a generous time: it
// waits for background work, it does not measure it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func post(t *testing.T, url, contentType, body string) answer {
	t.Helper()
	return do(t, http.MethodPost, url, body, "Content-Type", contentType)
}

func do(t *testing.T, method, url, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			req.Header.Set(header[i], header[i+1])
		}
	}
	// Redirects are the protocol here: do not follow them.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// refreshAndWait asks for a refresh and waits until a run that started
// after the previous one has finished; it returns that run.
func refreshAndWait(t *testing.T, n *node.Node, name string) node.RefreshRun {
	t.Helper()
	before := describeProduct(t, n, name).Serving.LastRun
	a := post(t, n.URL()+"/products/"+name+"/v1/refresh", "", "")
	if a.status != http.StatusAccepted {
		t.Fatalf("POST refresh: %d %s", a.status, a.body)
	}
	if a.header.Get("Location") != "/products/"+name {
		t.Errorf("Location %q", a.header.Get("Location"))
	}
	var run node.RefreshRun
	eventually(t, "the refresh", func() bool {
		last := describeProduct(t, n, name).Serving.LastRun
		if last == nil || before != nil && !last.Started.After(before.Started) && last.Finished.Equal(before.Finished) {
			return false
		}
		run = *last
		return true
	})
	return run
}

func rowsOf(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return rows
}

func TestMaterializedServesSnapshotWithCacheHeaders(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	n := startWith(t, node.Options{Dir: dir})
	url := n.URL() + "/products/prices/v1/data"

	a := get(t, url)
	if a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if rows := rowsOf(t, a.body); len(rows) != 3 || rows[1]["name"] != "pear" || rows[1]["price"] != 2.25 {
		t.Fatalf("rows %v", rows)
	}
	etag := a.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `-json"`) {
		t.Errorf("ETag %q", etag)
	}
	if cc := a.header.Get("Cache-Control"); cc != "max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	lm, err := http.ParseTime(a.header.Get("Last-Modified"))
	if err != nil || time.Since(lm) > time.Hour || time.Until(lm) > time.Second {
		t.Errorf("Last-Modified %q", a.header.Get("Last-Modified"))
	}
	if age := a.header.Get("Age"); age == "" || strings.Trim(age, "0123456789") != "" {
		t.Errorf("Age %q", age)
	}

	// Conditional requests.
	if a := get(t, url, "If-None-Match", etag); a.status != http.StatusNotModified || a.header.Get("ETag") != etag || len(a.body) != 0 {
		t.Errorf("If-None-Match: %d %q %s", a.status, a.header.Get("ETag"), a.body)
	}
	if a := get(t, url, "If-None-Match", `"other", W/`+etag); a.status != http.StatusNotModified {
		t.Errorf("If-None-Match list with a weak match: %d", a.status)
	}
	if a := get(t, url, "If-None-Match", `"other"`); a.status != http.StatusOK {
		t.Errorf("If-None-Match other: %d", a.status)
	}
	if a := get(t, url, "If-Modified-Since", a.header.Get("Last-Modified")); a.status != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", a.status)
	}
	// Another format is another representation.
	csv := get(t, url+"?format=csv", "If-None-Match", etag)
	if csv.status != http.StatusOK || csv.header.Get("ETag") == etag || !strings.HasSuffix(csv.header.Get("ETag"), `-csv"`) {
		t.Errorf("csv: %d ETag %q", csv.status, csv.header.Get("ETag"))
	}

	d := describeProduct(t, n, "prices")
	if d.Status.State != "available" || d.Serving == nil || d.Serving.Snapshot == nil {
		t.Fatalf("description %+v", d)
	}
	sv := d.Serving
	if sv.Refresh != "1h" || sv.Snapshot.Rows != 3 || !sv.Snapshot.InMemory || !sv.Snapshot.Indexed || sv.Snapshot.Bytes == 0 {
		t.Errorf("serving %+v snapshot %+v", sv, sv.Snapshot)
	}
	if sv.LastRun == nil || sv.LastRun.Trigger != "start" || sv.LastRun.Result != "ok" || sv.LastRun.Rows != 3 || sv.LastRun.Duration <= 0 {
		t.Errorf("last run %+v", sv.LastRun)
	}
	if !sv.NextRun.Equal(sv.Snapshot.BuiltAt.Add(time.Hour)) {
		t.Errorf("next run %v, built %v", sv.NextRun, sv.Snapshot.BuiltAt)
	}

	// New data is not served before a refresh; then it is, under a new ETag.
	writeCSV(t, dir, pricesCSV+"4,fig,3.5,2024-01-04\n")
	if rows := rowsOf(t, get(t, url).body); len(rows) != 3 {
		t.Fatalf("served %d rows before the refresh", len(rows))
	}
	run := refreshAndWait(t, n, "prices")
	if run.Result != "ok" || run.Trigger != "request" || run.Rows != 4 {
		t.Fatalf("run %+v", run)
	}
	a = get(t, url)
	if rows := rowsOf(t, a.body); len(rows) != 4 || rows[3]["name"] != "fig" {
		t.Errorf("after refresh: %v", rows)
	}
	if a.header.Get("ETag") == etag {
		t.Error("the ETag did not change with the snapshot")
	}
	if a := get(t, url, "If-None-Match", etag); a.status != http.StatusOK {
		t.Errorf("the old ETag still matches: %d", a.status)
	}
	// Only the current snapshot's file stays.
	files, _ := filepath.Glob(filepath.Join(n.DataDir(), "snapshots", "prices@v1", "*.parquet"))
	if len(files) != 1 {
		t.Errorf("snapshot files %v", files)
	}
}

func TestMaterializedAnswersFromMemoryAsDuckDBWould(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	fast := startWith(t, node.Options{Dir: dir})
	slow := startWith(t, node.Options{Dir: dir, Serving: node.ServingOptions{IndexMaxRows: -1}})
	live := t.TempDir()
	must(t, os.WriteFile(filepath.Join(live, "prices.yaml"),
		[]byte(strings.Replace(fmt.Sprintf(pricesYAML, ""), "mode: materialized", "mode: live", 1)), 0o644))
	must(t, os.WriteFile(filepath.Join(live, "prices.csv"), []byte(pricesCSV), 0o644))
	ref := startWith(t, node.Options{Dir: live})

	cases := []struct {
		query  string
		memory bool
	}{
		{"", true},
		{"?select=name,id", true},
		{"?id=eq.2", true},
		{"?id=eq.2&select=price", true},
		{"?id=in.(3,1,3,9)", true},
		{"?id=eq.42", true},
		{"?id=eq.2&format=csv", true},
		{"?id=in.(1,2)&format=ndjson", true},
		{"?format=arrow", true},
		{"?id=eq.2&format=arrow", true},
		{"?id=eq.2&format=parquet", false},
		{"?id=not.eq.2", false},
		{"?id=gt.1", false},
		{"?id=eq.2&name=eq.pear", false},
		{"?order=price.desc", false},
		{"?limit=2", false},
		{"?name=eq.plum", false},
	}
	for _, c := range cases {
		before := node.MemoryAnswers(fast)
		got := get(t, fast.URL()+"/products/prices/v1/data"+c.query)
		if used := node.MemoryAnswers(fast) > before; used != c.memory {
			t.Errorf("%q: answered from memory %v, want %v", c.query, used, c.memory)
		}
		want := get(t, slow.URL()+"/products/prices/v1/data"+c.query)
		if node.MemoryAnswers(slow) != 0 {
			t.Fatal("a node without memory snapshots answered from memory")
		}
		live := get(t, ref.URL()+"/products/prices/v1/data"+c.query)
		if got.status != http.StatusOK || want.status != http.StatusOK || live.status != http.StatusOK {
			t.Fatalf("%q: %d %d %d %s", c.query, got.status, want.status, live.status, got.body)
		}
		if strings.Contains(c.query, "parquet") {
			continue // DuckDB writes Parquet files that differ by their metadata
		}
		if strings.Contains(c.query, "arrow") {
			// Batches may be cut differently: compare the rows.
			got.body, want.body, live.body = arrowRows(t, got.body), arrowRows(t, want.body), arrowRows(t, live.body)
		}
		if strings.Contains(c.query, "in.") {
			// Without an order, rows may come in any order: compare sorted.
			if !sameRows(t, got.body, want.body, c.query) || !sameRows(t, got.body, live.body, c.query) {
				t.Errorf("%q:\nmemory %s\nduckdb %s\nlive   %s", c.query, got.body, want.body, live.body)
			}
			continue
		}
		if string(got.body) != string(want.body) || string(got.body) != string(live.body) {
			t.Errorf("%q:\nmemory %q\nduckdb %q\nlive   %q", c.query, got.body, want.body, live.body)
		}
		if got.header.Get("Content-Type") != want.header.Get("Content-Type") {
			t.Errorf("%q: Content-Type %q, want %q", c.query, got.header.Get("Content-Type"), want.header.Get("Content-Type"))
		}
	}
}

func sameRows(t *testing.T, a, b []byte, query string) bool {
	t.Helper()
	lines := func(x []byte) []string {
		s := strings.Split(strings.TrimSpace(string(x)), "\n")
		// Drop JSON's brackets and separators.
		for i := range s {
			s[i] = strings.TrimSuffix(s[i], ",")
		}
		sortStrings(s)
		return s
	}
	return strings.Join(lines(a), "\n") == strings.Join(lines(b), "\n")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestMaterializedCompositeKeyInMemory(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "src.csv"), []byte("region,day,sales\nnorth,2024-01-01,3\nnorth,2024-01-02,4\nsouth,2024-01-01,5\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "sales.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: sales
domain: shop
version: 1.0.0
description: Sales per region and day.
owner: {team: shop}
inputs:
  - name: src
    file: src.csv
transform:
  sql: select region, day, sales from src
output:
  primaryKey: [region, day]
  schema:
    - {name: region, logicalType: string}
    - {name: day, logicalType: date}
    - {name: sales, logicalType: integer}
serving: {mode: materialized}
`), 0o644))
	n := startWith(t, node.Options{Dir: dir})
	url := n.URL() + "/products/sales/v1/data"
	before := node.MemoryAnswers(n)
	a := get(t, url+"?region=eq.north&day=in.(2024-01-02,2024-01-05)")
	if string(a.body) != "[\n{\"region\":\"north\",\"day\":\"2024-01-02\",\"sales\":4}\n]\n" {
		t.Errorf("body %q", a.body)
	}
	a = get(t, url+"?day=eq.2024-01-01&region=in.(south,north)&select=sales")
	if rows := rowsOf(t, a.body); len(rows) != 2 || rows[0]["sales"] != 3.0 || rows[1]["sales"] != 5.0 {
		t.Errorf("rows %v", rows)
	}
	if node.MemoryAnswers(n) != before+2 {
		t.Error("composite key lookups did not use the index")
	}
	// A leading part of the key is a range of the sorted snapshot: memory.
	if rows := rowsOf(t, get(t, url+"?region=in.(north,west)").body); len(rows) != 2 ||
		rows[0]["day"] != "2024-01-01" || rows[1]["day"] != "2024-01-02" {
		t.Errorf("rows %v", rows)
	}
	if node.MemoryAnswers(n) != before+3 {
		t.Error("a key prefix did not use the index")
	}
	// A later key column alone is a scan: DuckDB.
	if rows := rowsOf(t, get(t, url+"?day=eq.2024-01-01").body); len(rows) != 2 {
		t.Errorf("rows %v", rows)
	}
	if node.MemoryAnswers(n) != before+3 {
		t.Error("a non-leading key column used the index")
	}
	if a := get(t, url); a.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("without a schedule: Cache-Control %q", a.header.Get("Cache-Control"))
	}
}

// failingRefresh checks that a refresh that goes wrong keeps the last
// snapshot serving and says why.
func failingRefresh(t *testing.T, serving, csv, result, errorText string) {
	t.Helper()
	dir := matDir(t, serving)
	n := startWith(t, node.Options{Dir: dir})
	url := n.URL() + "/products/prices/v1/data"
	good := get(t, url)
	if good.status != http.StatusOK {
		t.Fatalf("%d %s", good.status, good.body)
	}
	if csv == "" {
		must(t, os.Remove(filepath.Join(dir, "prices.csv")))
	} else {
		writeCSV(t, dir, csv)
	}
	run := refreshAndWait(t, n, "prices")
	if run.Result != result || !strings.Contains(run.Error, errorText) {
		t.Errorf("run %+v, want result %s, error with %q", run, result, errorText)
	}
	a := get(t, url)
	if a.status != http.StatusOK || string(a.body) != string(good.body) || a.header.Get("ETag") != good.header.Get("ETag") {
		t.Errorf("after the failed refresh: %d %s (ETag %s, was %s)", a.status, a.body, a.header.Get("ETag"), good.header.Get("ETag"))
	}
	d := describeProduct(t, n, "prices")
	if d.Status.State != "degraded" || !strings.Contains(d.Status.Reason, errorText) || !strings.Contains(d.Status.Reason, "serving the snapshot built") {
		t.Errorf("status %+v", d.Status)
	}
	if d.Serving.ConsecutiveFailures != 1 || d.Serving.LastSuccess == nil || d.Serving.LastSuccess.Trigger != "start" {
		t.Errorf("serving %+v", d.Serving)
	}
	if d.Serving.NextRun.IsZero() || d.Serving.NextRun.After(run.Finished.Add(time.Minute+time.Second)) {
		t.Errorf("next run %v: a failure retries within a minute (finished %v)", d.Serving.NextRun, run.Finished)
	}
	var list []struct {
		Status struct{ State string } `json:"status"`
	}
	getJSON(t, n.URL()+"/products", &list)
	if len(list) != 1 || list[0].Status.State != "degraded" {
		t.Errorf("list %+v", list)
	}
	// Fixed data recovers.
	writeCSV(t, dir, pricesCSV)
	if run := refreshAndWait(t, n, "prices"); run.Result != "ok" {
		t.Fatalf("run %+v", run)
	}
	if d := describeProduct(t, n, "prices"); d.Status.State != "available" || d.Serving.ConsecutiveFailures != 0 {
		t.Errorf("after recovery %+v", d.Status)
	}
}

func TestRefreshFailsKeepsSnapshot(t *testing.T) {
	failingRefresh(t, "refresh: 1h", "", "failed", "prices.csv")
}

func TestRefreshRequiredNullKeepsSnapshot(t *testing.T) {
	failingRefresh(t, "refresh: 1h", pricesCSV+"4,,1.0,2024-01-04\n", "invalid",
		`column "name" is required but 1 rows have NULL`)
}

func TestRefreshDuplicateKeyKeepsSnapshot(t *testing.T) {
	failingRefresh(t, "refresh: 1h", pricesCSV+"2,pear again,1.0,2024-01-04\n", "invalid",
		`primary key (id) has 1 values on more than one row (e.g. 2)`)
}

func TestRefreshTimeoutKeepsSnapshot(t *testing.T) {
	// The transform is a triple self-join: instant on 3 rows, hours on
	// 3,000. The timeout interrupts DuckDB.
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "prices.csv"), []byte(pricesCSV), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "slow.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: slow
domain: shop
version: 1.0.0
description: A product that gets slow.
owner: {team: shop}
inputs:
  - name: src
    file: prices.csv
transform:
  sql: select a.id, count(*) as n from src a, src b, src c where a.price + b.price > c.price group by a.id
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer}
    - {name: n, logicalType: integer}
serving: {mode: materialized, timeout: 300ms}
`), 0o644))
	n := startWith(t, node.Options{Dir: dir})
	good := get(t, n.URL()+"/products/slow/v1/data")
	var big strings.Builder
	big.WriteString("id,name,price,day\n")
	for i := range 3000 {
		fmt.Fprintf(&big, "%d,x,%d.5,2024-01-01\n", i, i%97)
	}
	must(t, os.WriteFile(filepath.Join(dir, "prices.csv"), []byte(big.String()), 0o644))
	run := refreshAndWait(t, n, "slow")
	if run.Result != "timeout" || run.Error != "the refresh took longer than its timeout of 300ms" {
		t.Errorf("run %+v", run)
	}
	a := get(t, n.URL()+"/products/slow/v1/data")
	if a.status != http.StatusOK || string(a.body) != string(good.body) {
		t.Errorf("after the timeout: %d %s", a.status, a.body)
	}
	if d := describeProduct(t, n, "slow"); d.Status.State != "degraded" {
		t.Errorf("status %+v", d.Status)
	}
}

func TestMaterializedWithoutSnapshotIsUnavailable(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	writeCSV(t, dir, pricesCSV+"4,,1.0,2024-01-04\n") // the first build breaks the schema
	n := startWith(t, node.Options{Dir: dir})
	a := get(t, n.URL()+"/products/prices/v1/data")
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" ||
		!strings.Contains(string(a.body), `column \"name\" is required`) {
		t.Errorf("%d %v %s", a.status, a.header, a.body)
	}
	d := describeProduct(t, n, "prices")
	if d.Status.State != "unavailable" || d.Serving.Snapshot != nil || d.Serving.LastRun.Result != "invalid" {
		t.Errorf("%+v %+v", d.Status, d.Serving)
	}
	writeCSV(t, dir, pricesCSV)
	if run := refreshAndWait(t, n, "prices"); run.Result != "ok" {
		t.Fatalf("run %+v", run)
	}
	if a := get(t, n.URL()+"/products/prices/v1/data"); a.status != http.StatusOK || len(rowsOf(t, a.body)) != 3 {
		t.Errorf("%d %s", a.status, a.body)
	}
}

func TestRestartServesKeptSnapshotAtOnce(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	data := t.TempDir()
	first, err := node.New(node.Options{Dir: dir, Addr: "127.0.0.1:0", DataDir: data})
	must(t, err)
	must(t, first.Start(context.Background()))
	before := get(t, first.URL()+"/products/prices/v1/data")
	stop(t, first)

	// The restarted node's first refresh waits until the test lets it go.
	writeCSV(t, dir, pricesCSV+"4,fig,3.5,2024-01-04\n")
	release := make(chan struct{})
	var once bool
	o := node.WithRefreshHook(node.Options{Dir: dir, DataDir: data}, func(ctx context.Context, product string) error {
		if once {
			return nil
		}
		once = true
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	n := startWith(t, o)
	a := get(t, n.URL()+"/products/prices/v1/data")
	if a.status != http.StatusOK || string(a.body) != string(before.body) || a.header.Get("ETag") != before.header.Get("ETag") {
		t.Fatalf("after restart: %d %s (ETag %s, was %s)", a.status, a.body, a.header.Get("ETag"), before.header.Get("ETag"))
	}
	d := describeProduct(t, n, "prices")
	if d.Serving.Running == nil || d.Serving.Running.Trigger != "start" || d.Serving.LastRun != nil || d.Status.State != "available" {
		t.Errorf("while the first refresh runs: %+v", d.Serving)
	}
	close(release)
	eventually(t, "the first refresh", func() bool {
		last := describeProduct(t, n, "prices").Serving.LastRun
		return last != nil && last.Result == "ok"
	})
	if rows := rowsOf(t, get(t, n.URL()+"/products/prices/v1/data").body); len(rows) != 4 {
		t.Errorf("after the refresh: %d rows", len(rows))
	}
}

func TestRestartRebuildsWhenTheDefinitionChanged(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	data := t.TempDir()
	first := startWith(t, node.Options{Dir: dir, DataDir: data})
	stop(t, first)
	yaml := strings.Replace(fmt.Sprintf(pricesYAML, "refresh: 1h"), "select id, name, price, day", "select id, upper(name) as name, price, day", 1)
	must(t, os.WriteFile(filepath.Join(dir, "prices.yaml"), []byte(yaml), 0o644))
	n := startWith(t, node.Options{Dir: dir, DataDir: data})
	if rows := rowsOf(t, get(t, n.URL()+"/products/prices/v1/data").body); len(rows) != 3 || rows[0]["name"] != "APPLE" {
		t.Errorf("rows %v", rows)
	}
}

func TestScheduledRefresh(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := node.NewFakeClock(t0)
	dir := matDir(t, "refresh: 15m")
	n := startWith(t, node.WithClock(node.Options{Dir: dir}, clock))
	url := n.URL() + "/products/prices/v1/data"
	d := describeProduct(t, n, "prices")
	if !d.Serving.Snapshot.BuiltAt.Equal(t0) || !d.Serving.NextRun.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("built %v, next %v", d.Serving.Snapshot.BuiltAt, d.Serving.NextRun)
	}
	clock.Advance(10 * time.Minute)
	a := get(t, url)
	if a.header.Get("Age") != "600" || a.header.Get("Cache-Control") != "max-age=900" {
		t.Errorf("Age %q, Cache-Control %q", a.header.Get("Age"), a.header.Get("Cache-Control"))
	}
	writeCSV(t, dir, pricesCSV+"4,fig,3.5,2024-01-04\n")
	clock.Advance(5 * time.Minute)
	eventually(t, "the scheduled refresh", func() bool {
		last := describeProduct(t, n, "prices").Serving.LastRun
		return last != nil && last.Trigger == "schedule" && last.Result == "ok"
	})
	a = get(t, url)
	if rows := rowsOf(t, a.body); len(rows) != 4 {
		t.Errorf("rows %v", rows)
	}
	if a.header.Get("Age") != "0" || a.header.Get("Last-Modified") != t0.Add(15*time.Minute).Format(http.TimeFormat) {
		t.Errorf("Age %q, Last-Modified %q", a.header.Get("Age"), a.header.Get("Last-Modified"))
	}
	if next := describeProduct(t, n, "prices").Serving.NextRun; !next.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("next run %v", next)
	}
}

func TestRefreshEndpoint(t *testing.T) {
	n := shop(t)
	a := post(t, n.URL()+"/products/items/v1/refresh", "", "")
	if a.status != http.StatusConflict || !strings.Contains(string(a.body), "only materialized products are refreshed") {
		t.Errorf("live: %d %s", a.status, a.body)
	}
	a = get(t, n.URL()+"/products/items/v1/refresh")
	if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "POST" {
		t.Errorf("GET: %d Allow %q", a.status, a.header.Get("Allow"))
	}
	if a := post(t, n.URL()+"/products/nope/v1/refresh", "", ""); a.status != http.StatusNotFound {
		t.Errorf("unknown: %d", a.status)
	}
}

// arrowRows reads an Arrow IPC stream into text, one row a line.
func arrowRows(t *testing.T, body []byte) []byte {
	t.Helper()
	rr, err := ipc.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out strings.Builder
	out.WriteString(rr.Schema().String() + "\n")
	for rr.Next() {
		b := rr.RecordBatch()
		for i := 0; i < int(b.NumRows()); i++ {
			for c := 0; c < int(b.NumCols()); c++ {
				out.WriteString(b.Column(c).ValueStr(i) + "|")
			}
			out.WriteString("\n")
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	return []byte(out.String())
}

func TestRefreshRereadsCopiedInputs(t *testing.T) {
	// A SQLite input is copied into the engine when bound: a refresh must
	// read it again.
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "shop.db"))
	must(t, err)
	defer db.Close()
	_, err = db.Exec(`create table items (id integer primary key, name text not null); insert into items values (1, 'a'), (2, 'b')`)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "items.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: items
domain: shop
version: 1.0.0
description: Items from SQLite.
owner: {team: shop}
inputs:
  - name: items
    sqlite: {path: shop.db, table: items}
transform:
  sql: select id, name from items
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer}
    - {name: name, logicalType: string}
serving: {mode: materialized}
`), 0o644))
	n := startWith(t, node.Options{Dir: dir})
	if rows := rowsOf(t, get(t, n.URL()+"/products/items/v1/data").body); len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	_, err = db.Exec(`insert into items values (3, 'c')`)
	must(t, err)
	if run := refreshAndWait(t, n, "items"); run.Result != "ok" || run.Rows != 3 {
		t.Fatalf("run %+v", run)
	}
	if rows := rowsOf(t, get(t, n.URL()+"/products/items/v1/data").body); len(rows) != 3 {
		t.Errorf("rows after the refresh %v", rows)
	}
}

func TestRestartWithUpstreamDownServesKeptSnapshot(t *testing.T) {
	up := shop(t)
	dir := consumer(t, up.URL(), "")
	yaml, err := os.ReadFile(filepath.Join(dir, "by-category.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "by-category.yaml"), append(yaml, "serving: {mode: materialized}\n"...), 0o644))
	data := t.TempDir()
	first := startWith(t, node.Options{Dir: dir, DataDir: data})
	want := get(t, first.URL()+"/products/by-category/v1/data?order=category")
	if want.status != http.StatusOK || len(rowsOf(t, want.body)) == 0 {
		t.Fatalf("%d %s", want.status, want.body)
	}
	stop(t, first)
	stop(t, up)

	n := startWith(t, node.Options{Dir: dir, DataDir: data})
	a := get(t, n.URL()+"/products/by-category/v1/data?order=category")
	if a.status != http.StatusOK || string(a.body) != string(want.body) {
		t.Errorf("with the upstream down: %d %s", a.status, a.body)
	}
	eventually(t, "the first refresh", func() bool { return describeProduct(t, n, "by-category").Serving.LastRun != nil })
	if d := describeProduct(t, n, "by-category"); d.Status.State != "degraded" || d.Serving.LastRun.Result != "failed" {
		t.Errorf("status %+v, run %+v", d.Status, d.Serving.LastRun)
	}
}

// Rows of one key prefix may straddle the snapshot's batches.
func TestMaterializedKeyPrefixAcrossBatches(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "seed.csv"), []byte("x\n1\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "events.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: events
domain: shop
version: 1.0.0
description: Seven events per key.
owner: {team: shop}
inputs:
  - name: seed
    file: seed.csv
transform:
  sql: select range // 7 as k, range % 7 as seq, seed.x as x from seed, range(70000)
output:
  primaryKey: [k, seq]
  schema:
    - {name: k, logicalType: integer}
    - {name: seq, logicalType: integer}
    - {name: x, logicalType: integer}
serving: {mode: materialized}
`), 0o644))
	n := startWith(t, node.Options{Dir: dir})
	before := node.MemoryAnswers(n)
	for _, k := range []int{0, 292, 293, 585, 586, 2047, 9999} {
		rows := rowsOf(t, get(t, fmt.Sprintf("%s/products/events/v1/data?k=eq.%d", n.URL(), k)).body)
		if len(rows) != 7 {
			t.Fatalf("k=%d: %d rows, want 7: %v", k, len(rows), rows)
		}
		for i, r := range rows {
			if r["k"] != float64(k) || r["seq"] != float64(i) {
				t.Errorf("k=%d: row %d = %v", k, i, r)
			}
		}
	}
	if got := node.MemoryAnswers(n) - before; got != 7 {
		t.Errorf("%d of 7 lookups answered from memory", got)
	}
	if rows := rowsOf(t, get(t, n.URL()+"/products/events/v1/data?k=eq.10000").body); len(rows) != 0 {
		t.Errorf("a key past the end: %v", rows)
	}
}
