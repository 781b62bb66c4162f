//go:build duckdb_arrow

package node_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/datamesh/datamesh/node"
)

// TestTracingAcrossComposition: a request to a product that reads another
// node's product makes one trace, whose spans are on both nodes, the
// upstream's answer being a descendant of the consumer's.
func TestTracingAcrossComposition(t *testing.T) {
	upRec, downRec := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	up := startWith(t, node.Options{Dir: "testdata/shop",
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(upRec))})
	down := startWith(t, node.Options{Dir: consumer(t, up.URL(), ""),
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(downRec))})

	const route = "GET /products/{name}/{major}/data"
	traceparent := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name   string
		header []string
	}{{"root", nil}, {"caller's trace", []string{"traceparent", traceparent}}} {
		t.Run(tc.name, func(t *testing.T) {
			upRec.Reset()
			downRec.Reset()
			if a := get(t, down.URL()+"/products/by-category/v1/data?format=json", tc.header...); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.body)
			}
			// Spans end once the answers are written: wait for them.
			var server sdktrace.ReadOnlySpan
			var upServer []sdktrace.ReadOnlySpan
			deadline := time.Now().Add(5 * time.Second)
			for {
				server, upServer = nil, nil
				for _, s := range downRec.Ended() {
					if s.Name() == route && s.SpanKind() == trace.SpanKindServer {
						server = s
					}
				}
				if server != nil {
					for _, s := range upRec.Ended() {
						if s.Name() == route && s.SpanContext().TraceID() == server.SpanContext().TraceID() {
							upServer = append(upServer, s)
						}
					}
				}
				if len(upServer) > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if server == nil {
				t.Fatalf("no %q span on the consumer; spans: %v", route, names(downRec.Ended()))
			}
			if len(upServer) == 0 {
				t.Fatalf("no upstream span in trace %s; upstream spans: %v", server.SpanContext().TraceID(), names(upRec.Ended()))
			}
			if tc.header != nil {
				if got := server.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
					t.Errorf("trace id %s, want the caller's", got)
				}
				if got := server.Parent().SpanID().String(); got != "00f067aa0ba902b7" || !server.Parent().IsRemote() {
					t.Errorf("parent %s, want the caller's span", got)
				}
			}
			// The upstream's server span descends from the consumer's.
			all := map[trace.SpanID]sdktrace.ReadOnlySpan{}
			for _, s := range append(downRec.Ended(), upRec.Ended()...) {
				all[s.SpanContext().SpanID()] = s
			}
			var chain []string
			for s := upServer[0]; ; {
				chain = append(chain, s.Name())
				p, ok := all[s.Parent().SpanID()]
				if !ok {
					t.Fatalf("upstream span %q is not a descendant of the consumer's %q: chain %v", upServer[0].Name(), server.Name(), chain)
				}
				if p.SpanContext().SpanID() == server.SpanContext().SpanID() {
					break
				}
				s = p
			}
			if len(chain) < 2 || chain[1] != "engine.prepare" {
				t.Errorf("chain %v, want the upstream call under engine.prepare", chain)
			}
			// The consumer's spans: the query is a child of the request.
			var query bool
			for _, s := range downRec.Ended() {
				if s.Name() == "engine.query" && s.Parent().SpanID() == server.SpanContext().SpanID() {
					query = true
				}
			}
			if !query {
				t.Errorf("no engine.query child of the request span: %v", names(downRec.Ended()))
			}
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range server.Attributes() {
				attrs[kv.Key] = kv.Value
			}
			for k, want := range map[attribute.Key]string{
				"datamesh.product": "reports/by-category", "datamesh.version": "1.0.0", "datamesh.format": "json",
				"http.response.status_code": "200", "http.route": "/products/{name}/{major}/data",
			} {
				if got := attrs[k].Emit(); got != want {
					t.Errorf("attribute %s = %q, want %q", k, got, want)
				}
			}
			if attrs["datamesh.rows"].AsInt64() <= 0 {
				t.Errorf("datamesh.rows = %v", attrs["datamesh.rows"].Emit())
			}
		})
	}
}

// TestTracingErrors: a failed request's span is an error, with the error
// recorded.
func TestTracingErrors(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	n := startWith(t, node.Options{Dir: "testdata/shop",
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))})
	if a := get(t, n.URL()+"/products/items/v1/data?nosuchcolumn=eq.1"); a.status != 400 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("spans %v", names(spans))
	}
	if ev := spans[0].Events(); len(ev) == 0 || ev[0].Name != "exception" {
		t.Errorf("no error recorded: %v", ev)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name()+"@"+s.SpanContext().TraceID().String()[:8])
	}
	return out
}
