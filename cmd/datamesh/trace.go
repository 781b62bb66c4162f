//go:build duckdb_arrow

package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/datamesh/datamesh/tracing"
)

// traceFlags adds the tracing flags of serve and up.
func traceFlags(fs *flag.FlagSet) *tracing.Options {
	o := &tracing.Options{}
	fs.StringVar(&o.Exporter, "trace-exporter", env("DATAMESH_TRACE_EXPORTER", "none"),
		"OpenTelemetry trace exporter: none, stdout or otlp (OTLP over HTTP) (env DATAMESH_TRACE_EXPORTER)")
	fs.StringVar(&o.Endpoint, "trace-endpoint", env("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
		"OTLP/HTTP collector URL, e.g. http://localhost:4318; /v1/traces is added (env OTEL_EXPORTER_OTLP_ENDPOINT)")
	return o
}

// flushTraces sends the spans not yet exported and stops the exporter.
func flushTraces(stop func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Warn("flushing traces", "err", err)
	}
}
