// Package tracing sets up OpenTelemetry tracing for nodes and the mesh:
// an exporter (none, stdout or OTLP over HTTP) and the W3C trace context
// and baggage propagators, so that composed calls across nodes share one
// trace. Tracing is off by default and then costs nothing.
package tracing

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of datamesh's spans.
const Name = "github.com/datamesh/datamesh"

// Options choose the exporter.
type Options struct {
	// Exporter is "" or "none" (no tracing), "stdout" (spans as JSON on
	// Stdout) or "otlp" (OTLP over HTTP).
	Exporter string
	// Endpoint is the OTLP/HTTP endpoint, a URL such as
	// http://localhost:4318 (the path /v1/traces is added); empty: the
	// OTEL_EXPORTER_OTLP_* environment variables, else localhost:4318.
	Endpoint string
	// ServiceName names the service in the spans' resource (default
	// "datamesh").
	ServiceName string
	// Stdout is where the stdout exporter writes (default os.Stdout).
	Stdout io.Writer
}

// Setup returns the tracer provider for opts and the function that
// flushes and stops it. It also installs the W3C tracecontext and baggage
// propagators globally (otel.GetTextMapPropagator), which the client uses
// to carry the trace to other nodes. With no exporter the provider is a
// no-op one.
func Setup(ctx context.Context, opts Options) (trace.TracerProvider, func(context.Context) error, error) {
	otel.SetTextMapPropagator(Propagator())
	none := func(context.Context) error { return nil }
	var exp sdktrace.SpanExporter
	var err error
	switch strings.ToLower(opts.Exporter) {
	case "", "none":
		return noop.NewTracerProvider(), none, nil
	case "stdout":
		w := opts.Stdout
		if w == nil {
			w = os.Stdout
		}
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case "otlp":
		var o []otlptracehttp.Option
		if e := strings.TrimRight(opts.Endpoint, "/"); e != "" {
			if !strings.HasSuffix(e, "/v1/traces") {
				e += "/v1/traces"
			}
			o = append(o, otlptracehttp.WithEndpointURL(e))
		}
		exp, err = otlptracehttp.New(ctx, o...)
	default:
		return nil, nil, fmt.Errorf("tracing: unknown exporter %q (none, stdout or otlp)", opts.Exporter)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	name := opts.ServiceName
	if name == "" {
		name = "datamesh"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		res = resource.Default()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}

// Propagator is the W3C tracecontext and baggage propagator.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
