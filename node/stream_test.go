//go:build duckdb_arrow

package node_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/datamesh/datamesh/node"
)

// natsFolder creates a JetStream stream with a unique name on the real
// server (DATAMESH_TEST_NATS, default nats://127.0.0.1:4222), holding one
// message, and a folder with a product reading it. It returns the folder,
// the connection and the subject to publish to.
func natsFolder(tb testing.TB) (string, *natsgo.Conn, jetstream.Stream, string) {
	tb.Helper()
	url := os.Getenv("DATAMESH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := natsgo.Connect(url, natsgo.Timeout(5*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("NATS unreachable (DATAMESH_TEST_NATS): %v", err)
		}
		tb.Skipf("NATS unreachable (set DATAMESH_TEST_NATS): %v", err)
	}
	tb.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	name, subject := "DMSSE_"+id, "dmsse."+id+".ev"
	ctx := context.Background()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"dmsse." + id + ".>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	if _, err := js.Publish(ctx, subject, []byte(`{"n": 0}`)); err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	desc := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: ticks
domain: test
version: 1.0.0
description: test events
owner: {team: t, email: t@example.com}
inputs:
  - name: events
    nats: {url: %q, stream: %s}
transform:
  sql: select seq, n from events
output:
  primaryKey: [seq]
  schema:
    - {name: seq, logicalType: integer, required: true}
    - {name: n, logicalType: integer}
`, url, name)
	if err := os.WriteFile(filepath.Join(dir, "ticks.yaml"), []byte(desc), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir, nc, st, subject
}

type sse struct {
	id, event, data string
}

// openStream opens the stream and waits for its first comment: the
// consumer is then in place.
func openStream(tb testing.TB, ctx context.Context, url, lastID string) (*bufio.Reader, *http.Response) {
	tb.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, ": ") {
		tb.Fatalf("first line %q, %v", line, err)
	}
	return br, resp
}

// next reads the next event, skipping comments.
func next(br *bufio.Reader) (sse, error) {
	var e sse
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if e.event != "" || e.data != "" {
				return e, nil
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = line[6:]
		}
	}
}

func TestStream(t *testing.T) {
	dir, nc, st, subject := natsFolder(t)
	n := mustStart(t, dir)
	url := n.URL() + "/products/ticks/v1/stream"

	before, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	br, resp := openStream(t, ctx, url, "")
	for i := 1; i <= 3; i++ {
		if err := nc.Publish(subject, fmt.Appendf(nil, `{"n": %d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		e, err := next(br)
		if err != nil {
			t.Fatal(err)
		}
		var row map[string]any
		if err := json.Unmarshal([]byte(e.data), &row); err != nil {
			t.Fatalf("%q: %v", e.data, err)
		}
		if e.id != fmt.Sprint(i+1) || e.event != "row" || row["n"] != float64(i) || row["seq"] != float64(i+1) ||
			row["subject"] != subject || row["time"] == nil {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	// The client leaves: the consumer goes.
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers <= before.State.Consumers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d consumers 10s after the client left, %d before it came", info.State.Consumers, before.State.Consumers)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Resume after seq 2: 3 and 4 at once.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	br, resp = openStream(t, ctx2, url, "2")
	defer resp.Body.Close()
	for _, want := range []string{"3", "4"} {
		e, err := next(br)
		if err != nil || e.id != want {
			t.Fatalf("resumed: %+v %v, want id %s", e, err, want)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	dir, _, _, _ := natsFolder(t)
	n := mustStart(t, dir)
	if a := get(t, n.URL()+"/products/ticks/v1/stream", "Last-Event-ID", "x"); a.status != http.StatusBadRequest {
		t.Errorf("bad Last-Event-ID: %d %s", a.status, a.body)
	}
	shop := shop(t)
	if a := get(t, shop.URL()+"/products/items/v1/stream"); a.status != http.StatusNotFound ||
		!strings.Contains(string(a.body), "has no stream") {
		t.Errorf("product without a stream: %d %s", a.status, a.body)
	}
}

// BenchmarkStreamLatency measures the time from publishing a message to
// NATS to reading its event from the SSE stream, one message at a time,
// and reports the median and 99th percentile.
func BenchmarkStreamLatency(b *testing.B) {
	dir, nc, _, subject := natsFolder(b)
	n := mustStart(b, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	br, resp := openStream(b, ctx, n.URL()+"/products/ticks/v1/stream", "")
	defer resp.Body.Close()
	const events = 1000
	lat := make([]time.Duration, 0, events*b.N)
	b.ResetTimer()
	for range b.N {
		for i := range events {
			start := time.Now()
			if err := nc.Publish(subject, fmt.Appendf(nil, `{"n": %d}`, i)); err != nil {
				b.Fatal(err)
			}
			e, err := next(br)
			if err != nil {
				b.Fatal(err)
			}
			if !strings.Contains(e.data, fmt.Sprintf(`"n":%d,`, i)) {
				b.Fatalf("event %d: %+v", i, e)
			}
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
	if p50 > 50*time.Millisecond {
		b.Errorf("median publish-to-event latency %v, want under 50ms", p50)
	}
}

var _ = node.StreamHeartbeat
