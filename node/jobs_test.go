//go:build duckdb_arrow

package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datamesh/datamesh/node"
)

// jobGate holds jobs at their start until the test opens it.
type jobGate struct {
	mu      sync.Mutex
	open    chan struct{}
	started chan string
}

func newJobGate() *jobGate {
	return &jobGate{open: make(chan struct{}), started: make(chan string, 100)}
}

func (g *jobGate) hook(ctx context.Context, id string) error {
	g.started <- id
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func submit(t *testing.T, url, body string) node.Job {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	a := post(t, url, ct, body)
	if a.status != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", url, a.status, a.body)
	}
	var j node.Job
	if err := json.Unmarshal(a.body, &j); err != nil {
		t.Fatal(err)
	}
	if a.header.Get("Location") != "/jobs/"+j.ID || a.header.Get("Retry-After") == "" {
		t.Errorf("Location %q, Retry-After %q", a.header.Get("Location"), a.header.Get("Retry-After"))
	}
	return j
}

func jobStatus(t *testing.T, n *node.Node, id string, header ...string) (answer, node.Job) {
	t.Helper()
	a := do(t, http.MethodGet, n.URL()+"/jobs/"+id, "", header...)
	var j node.Job
	if a.status == http.StatusOK || a.status == http.StatusSeeOther {
		if err := json.Unmarshal(a.body, &j); err != nil {
			t.Fatalf("%v in %s", err, a.body)
		}
	}
	return a, j
}

func TestJobLifecycle(t *testing.T) {
	n := shop(t)
	query := "?category=eq.veg&select=id,name,price&order=id"
	j := submit(t, n.URL()+"/products/items/v1/jobs"+query, "")
	if j.Product != "shop/items@1.2.0" || j.Format != "json" || j.Params.Get("category") != "eq.veg" {
		t.Errorf("job %+v", j)
	}
	a, st := jobStatus(t, n, j.ID, "Prefer", "wait=30")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/jobs/"+j.ID+"/result" || st.State != "done" {
		t.Fatalf("status %d %s", a.status, a.body)
	}
	if st.Started.IsZero() || st.Finished.Before(st.Started) || st.Expires.Sub(st.Finished) != time.Hour || st.Rows == 0 {
		t.Errorf("status %+v", st)
	}
	data := get(t, n.URL()+"/products/items/v1/data"+query)
	res := get(t, n.URL()+"/jobs/"+j.ID+"/result")
	if res.status != http.StatusOK || string(res.body) != string(data.body) || res.header.Get("Content-Type") != "application/json" {
		t.Errorf("result %d %q\nwant %q", res.status, res.body, data.body)
	}
	if int64(len(rowsOf(t, res.body))) != st.Rows {
		t.Errorf("rows %d, status says %d", len(rowsOf(t, res.body)), st.Rows)
	}
	for _, f := range []string{"csv", "ndjson"} {
		res := get(t, n.URL()+"/jobs/"+j.ID+"/result?format="+f)
		want := get(t, n.URL()+"/products/items/v1/data"+query+"&format="+f)
		if string(res.body) != string(want.body) || res.header.Get("Content-Type") != want.header.Get("Content-Type") {
			t.Errorf("%s: %q, want %q", f, res.body, want.body)
		}
	}
	if res := get(t, n.URL()+"/jobs/"+j.ID+"/result", "Accept", "text/csv"); !strings.HasPrefix(string(res.body), "id,name,price\n") {
		t.Errorf("Accept csv: %q", res.body)
	}
	arrow := get(t, n.URL()+"/jobs/"+j.ID+"/result?format=arrow")
	if got, want := arrowRows(t, arrow.body), arrowRows(t, get(t, n.URL()+"/products/items/v1/data"+query+"&format=arrow").body); string(got) != string(want) {
		t.Errorf("arrow: %s\nwant %s", got, want)
	}
	pq := get(t, n.URL()+"/jobs/"+j.ID+"/result?format=parquet")
	if pq.status != http.StatusOK || !bytes.HasPrefix(pq.body, []byte("PAR1")) || !bytes.HasSuffix(pq.body, []byte("PAR1")) {
		t.Errorf("parquet: %d %q", pq.status, pq.body[:min(len(pq.body), 40)])
	}
	etag := res.header.Get("ETag")
	if a := get(t, n.URL()+"/jobs/"+j.ID+"/result", "If-None-Match", etag); a.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", a.status)
	}
	// A finished job is deleted with its result.
	if a := do(t, http.MethodDelete, n.URL()+"/jobs/"+j.ID, ""); a.status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", a.status, a.body)
	}
	if a := get(t, n.URL()+"/jobs/"+j.ID+"/result"); a.status != http.StatusGone {
		t.Errorf("after DELETE: %d", a.status)
	}
	if a := get(t, n.URL()+"/jobs/0123456789abcdef01234567"); a.status != http.StatusNotFound ||
		!strings.Contains(string(a.body), "not-found") {
		t.Errorf("unknown job: %d %s", a.status, a.body)
	}
}

func TestJobJSONBodyAndFormat(t *testing.T) {
	n := shop(t)
	j := submit(t, n.URL()+"/products/items/v1/jobs",
		`{"params": {"select": "id,name", "id": ["gt.2", "lt.5"], "order": "id"}, "format": "csv"}`)
	if a, _ := jobStatus(t, n, j.ID, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
		t.Fatalf("%d %s", a.status, a.body)
	}
	res := get(t, n.URL()+"/jobs/"+j.ID+"/result")
	want := get(t, n.URL()+"/products/items/v1/data?select=id,name&id=gt.2&id=lt.5&order=id&format=csv")
	if string(res.body) != string(want.body) || res.header.Get("Content-Type") != want.header.Get("Content-Type") {
		t.Errorf("result %q, want %q", res.body, want.body)
	}
	if !strings.Contains(res.header.Get("Content-Disposition"), "items-v1-"+j.ID+".csv") {
		t.Errorf("Content-Disposition %q", res.header.Get("Content-Disposition"))
	}
	bad := []struct{ body, contentType, want string }{
		{`{"params": {"nope": "eq.1"}}`, "application/json", `unknown parameter \"nope\"`},
		{`{"params": {"id": 5}}`, "application/json", "params.id: must be a string or a list of strings"},
		{`{"parms": {}}`, "application/json", `unknown field \"parms\"`},
		{`{"format": "xlsx"}`, "application/json", `unknown format \"xlsx\"`},
		{`id=eq.1`, "application/x-www-form-urlencoded", "a job's body is application/json"},
	}
	for _, c := range bad {
		a := post(t, n.URL()+"/products/items/v1/jobs", c.contentType, c.body)
		if a.status < 400 || a.status >= 500 || !strings.Contains(string(a.body), c.want) {
			t.Errorf("%s: %d %s", c.body, a.status, a.body)
		}
	}
	if a := post(t, n.URL()+"/products/items/v1/jobs?price=eq.cheap", "", ""); a.status != http.StatusBadRequest {
		t.Errorf("bad filter: %d %s", a.status, a.body)
	}
	if a := get(t, n.URL()+"/products/items/v1/jobs"); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "POST" {
		t.Errorf("GET jobs: %d %q", a.status, a.header.Get("Allow"))
	}
}

func TestJobBeforeDoneAndCancel(t *testing.T) {
	gate := newJobGate()
	n := startWith(t, node.WithJobHook(node.Options{Dir: "testdata/shop"}, gate.hook))
	j := submit(t, n.URL()+"/products/items/v1/jobs", "")
	<-gate.started
	a, st := jobStatus(t, n, j.ID)
	if a.status != http.StatusOK || st.State != "running" || a.header.Get("Retry-After") != "1" {
		t.Errorf("running: %d %s", a.status, a.body)
	}
	res := get(t, n.URL()+"/jobs/"+j.ID+"/result")
	if res.status != http.StatusAccepted || !strings.Contains(string(res.body), `"state": "running"`) ||
		res.header.Get("Content-Type") != "application/json" {
		t.Errorf("result before done: %d %s", res.status, res.body)
	}
	del := do(t, http.MethodDelete, n.URL()+"/jobs/"+j.ID, "")
	if del.status != http.StatusOK || !strings.Contains(string(del.body), `"state": "cancelled"`) {
		t.Errorf("DELETE: %d %s", del.status, del.body)
	}
	_, st = jobStatus(t, n, j.ID, "Prefer", "wait=30")
	if st.State != "cancelled" {
		t.Errorf("after cancel: %+v", st)
	}
	if a := get(t, n.URL()+"/jobs/"+j.ID+"/result"); a.status != http.StatusConflict || !strings.Contains(string(a.body), "cancelled") {
		t.Errorf("result of a cancelled job: %d %s", a.status, a.body)
	}
	close(gate.open)
}

func TestJobQueueLimit(t *testing.T) {
	gate := newJobGate()
	o := node.WithJobHook(node.Options{Dir: "testdata/shop", Serving: node.ServingOptions{JobWorkers: 1, JobQueue: 1}}, gate.hook)
	n := startWith(t, o)
	first := submit(t, n.URL()+"/products/items/v1/jobs", "")
	<-gate.started
	second := submit(t, n.URL()+"/products/items/v1/jobs", "")
	if _, st := jobStatus(t, n, second.ID); st.State != "queued" {
		t.Errorf("second: %+v", st)
	}
	a := post(t, n.URL()+"/products/items/v1/jobs", "", "")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(string(a.body), "too-many-requests") {
		t.Errorf("third: %d %v %s", a.status, a.header, a.body)
	}
	close(gate.open)
	for _, id := range []string{first.ID, second.ID} {
		if a, _ := jobStatus(t, n, id, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
			t.Errorf("%s: %d %s", id, a.status, a.body)
		}
	}
	submit(t, n.URL()+"/products/items/v1/jobs", "") // room again
}

func TestJobTimeoutFails(t *testing.T) {
	dir := t.TempDir()
	yaml, err := os.ReadFile("testdata/shop/items.yaml")
	must(t, err)
	csv, err := os.ReadFile("testdata/shop/items.csv")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "items.yaml"), append(yaml, []byte("serving: {mode: live, timeout: 200ms}\n")...), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "items.csv"), csv, 0o644))
	gate := newJobGate() // never opened: the job waits for its timeout
	n := startWith(t, node.WithJobHook(node.Options{Dir: dir}, gate.hook))
	j := submit(t, n.URL()+"/products/items/v1/jobs", "")
	a, st := jobStatus(t, n, j.ID, "Prefer", "wait=30")
	if a.status != http.StatusOK || st.State != "failed" || st.Error == nil || st.Error.Status != http.StatusGatewayTimeout ||
		st.Error.Detail != "the job took longer than its timeout of 200ms" || st.Error.Type != "https://datamesh.dev/problems/timeout" {
		t.Errorf("%d %s", a.status, a.body)
	}
	if a := get(t, n.URL()+"/jobs/"+j.ID+"/result"); a.status != http.StatusConflict || !strings.Contains(string(a.body), "timeout of 200ms") {
		t.Errorf("result: %d %s", a.status, a.body)
	}
}

func TestJobResultsExpire(t *testing.T) {
	clock := node.NewFakeClock(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	n := startWith(t, node.WithClock(node.Options{Dir: "testdata/shop", Serving: node.ServingOptions{JobTTL: time.Hour}}, clock))
	j := submit(t, n.URL()+"/products/items/v1/jobs", "")
	if a, _ := jobStatus(t, n, j.ID, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
		t.Fatalf("%d %s", a.status, a.body)
	}
	clock.Advance(59 * time.Minute)
	res := get(t, n.URL()+"/jobs/"+j.ID+"/result")
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "private, max-age=60" {
		t.Errorf("before expiry: %d %q", res.status, res.header.Get("Cache-Control"))
	}
	clock.Advance(2 * time.Minute)
	for _, path := range []string{"/jobs/" + j.ID, "/jobs/" + j.ID + "/result"} {
		if a := get(t, n.URL()+path); a.status != http.StatusGone || !strings.Contains(string(a.body), "its result was deleted") {
			t.Errorf("%s after expiry: %d %s", path, a.status, a.body)
		}
	}
	if _, err := os.Stat(filepath.Join(n.DataDir(), "jobs", j.ID)); !os.IsNotExist(err) {
		t.Errorf("the job's folder is still there: %v", err)
	}
}

func TestJobsSurviveRestart(t *testing.T) {
	data := t.TempDir()
	first, err := node.New(node.Options{Dir: "testdata/shop", Addr: "127.0.0.1:0", DataDir: data})
	must(t, err)
	must(t, first.Start(context.Background()))
	done := submit(t, first.URL()+"/products/items/v1/jobs?select=id,name&order=id&limit=3", "")
	if a, _ := jobStatus(t, first, done.ID, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
		t.Fatalf("%d %s", a.status, a.body)
	}
	want := get(t, first.URL()+"/jobs/"+done.ID+"/result")
	stop(t, first)
	// A node that crashed leaves a running job behind.
	crashed := "0123456789abcdef01234567"
	must(t, os.MkdirAll(filepath.Join(data, "jobs", crashed), 0o755))
	must(t, os.WriteFile(filepath.Join(data, "jobs", crashed, "job.json"), []byte(`{"id": "`+crashed+
		`", "product": "shop/items@1.2.0", "name": "items", "major": 1, "state": "running", "format": "json", "created": "2024-05-01T10:00:00Z"}`), 0o644))

	n := startWith(t, node.Options{Dir: "testdata/shop", DataDir: data})
	res := get(t, n.URL()+"/jobs/"+done.ID+"/result")
	if res.status != http.StatusOK || string(res.body) != string(want.body) {
		t.Errorf("done job after restart: %d %s", res.status, res.body)
	}
	a, st := jobStatus(t, n, crashed)
	if a.status != http.StatusOK || st.State != "failed" || st.Error == nil ||
		st.Error.Detail != "the node restarted before the job finished; submit it again" {
		t.Errorf("running job after restart: %d %s", a.status, a.body)
	}
}

func TestJobStoppedByShutdownFails(t *testing.T) {
	data := t.TempDir()
	gate := newJobGate()
	first, err := node.New(node.WithJobHook(node.Options{Dir: "testdata/shop", Addr: "127.0.0.1:0", DataDir: data}, gate.hook))
	must(t, err)
	must(t, first.Start(context.Background()))
	j := submit(t, first.URL()+"/products/items/v1/jobs", "")
	<-gate.started
	stop(t, first)
	n := startWith(t, node.Options{Dir: "testdata/shop", DataDir: data})
	if _, st := jobStatus(t, n, j.ID); st.State != "failed" || st.Error == nil ||
		st.Error.Detail != "the node stopped before the job finished; submit it again" {
		t.Errorf("%+v", st)
	}
}

func TestAsyncProductAnswersWithAJob(t *testing.T) {
	dir := t.TempDir()
	yaml, err := os.ReadFile("testdata/shop/items.yaml")
	must(t, err)
	csv, err := os.ReadFile("testdata/shop/items.csv")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "items.yaml"), append(yaml, []byte("serving: {mode: async}\n")...), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "items.csv"), csv, 0o644))
	n := startWith(t, node.Options{Dir: dir})
	a := get(t, n.URL()+"/products/items/v1/data?select=id&order=id&limit=2", "Accept", "text/csv")
	if a.status != http.StatusAccepted || !strings.HasPrefix(a.header.Get("Location"), "/jobs/") {
		t.Fatalf("%d %v %s", a.status, a.header, a.body)
	}
	var j node.Job
	must(t, json.Unmarshal(a.body, &j))
	if j.Format != "csv" {
		t.Errorf("format %q", j.Format)
	}
	if a, _ := jobStatus(t, n, j.ID, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if res := get(t, n.URL()+"/jobs/"+j.ID+"/result"); string(res.body) != "id\n1\n2\n" {
		t.Errorf("result %q", res.body)
	}
	if a := get(t, n.URL()+"/products/items/v1/data?nope=1"); a.status != http.StatusBadRequest {
		t.Errorf("bad parameter: %d", a.status)
	}
}

func TestJobOnMaterializedReadsSnapshot(t *testing.T) {
	dir := matDir(t, "refresh: 1h")
	n := startWith(t, node.Options{Dir: dir})
	writeCSV(t, dir, pricesCSV+"4,fig,3.5,2024-01-04\n") // not refreshed: the job reads the snapshot
	j := submit(t, n.URL()+"/products/prices/v1/jobs?select=id", "")
	if a, _ := jobStatus(t, n, j.ID, "Prefer", "wait=30"); a.status != http.StatusSeeOther {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if rows := rowsOf(t, get(t, n.URL()+"/jobs/"+j.ID+"/result").body); len(rows) != 3 {
		t.Errorf("rows %v", rows)
	}
}
