//go:build duckdb_arrow

package node

import (
	"context"
	"io"
	"net/http"

	"github.com/apache/arrow-go/v18/arrow/array"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracerName is the instrumentation scope of the node's spans.
const tracerName = "github.com/datamesh/datamesh/node"

// propagator reads the W3C trace context and baggage of incoming requests;
// the client writes them on outgoing ones.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// startServerSpan starts the span of a request, child of the trace context
// the caller sent, if any. It is named after the route once the mux has
// matched it (endServerSpan).
func (n *Node) startServerSpan(r *http.Request) (context.Context, trace.Span) {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	return n.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("datamesh.node", n.opts.Name),
		))
}

// endServerSpan names the span by route, adds what the handler told
// (product, version, format, rows) and the status, and ends it.
func endServerSpan(span trace.Span, r *http.Request, status int, info *requestInfo) {
	if !span.IsRecording() {
		span.End()
		return
	}
	if r.Pattern != "" {
		span.SetName(r.Method + " " + r.Pattern)
		span.SetAttributes(attribute.String("http.route", r.Pattern))
	}
	if status == 0 {
		status = http.StatusOK
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if p := info.product; p != nil {
		span.SetAttributes(
			attribute.String("datamesh.product", p.Desc.Domain+"/"+p.Desc.Name),
			attribute.String("datamesh.version", p.Desc.Version),
		)
	}
	if info.format != "" {
		span.SetAttributes(attribute.String("datamesh.format", info.format))
	}
	span.SetAttributes(attribute.Int64("datamesh.rows", info.rows))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// span starts an internal child span of the request's.
func (n *Node) span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return n.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// endSpan records err, if any, on span and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// streamQuery runs sql with the engine inside an "engine.query" span.
func (n *Node) streamQuery(ctx context.Context, sql string, args []any, fn func(array.RecordReader) error) (err error) {
	ctx, span := n.span(ctx, "engine.query", attribute.String("db.system.name", "duckdb"))
	defer func() { endSpan(span, err) }()
	return n.engine.Stream(ctx, sql, args, fn)
}

// copyParquet writes sql's rows as Parquet with the engine inside an
// "engine.query" span.
func (n *Node) copyParquet(ctx context.Context, sql string, args []any, w io.Writer) (err error) {
	ctx, span := n.span(ctx, "engine.query", attribute.String("db.system.name", "duckdb"),
		attribute.String("datamesh.format", "parquet"))
	defer func() { endSpan(span, err) }()
	_, err = n.engine.CopyParquet(ctx, sql, args, w)
	return err
}
