package tracing

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

func TestSetup(t *testing.T) {
	ctx := context.Background()
	for _, e := range []string{"", "none"} {
		tp, stop, err := Setup(ctx, Options{Exporter: e})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tp.(noop.TracerProvider); !ok {
			t.Errorf("%q: %T, want a no-op provider", e, tp)
		}
		if err := stop(ctx); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := Setup(ctx, Options{Exporter: "jaeger"}); err == nil || !strings.Contains(err.Error(), "jaeger") {
		t.Errorf("unknown exporter: %v", err)
	}

	var buf bytes.Buffer
	tp, stop, err := Setup(ctx, Options{Exporter: "stdout", ServiceName: "test-node", Stdout: &buf})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("t").Start(ctx, "GET /products")
	span.End()
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Name":"GET /products"`, "test-node"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("stdout lacks %s: %s", want, buf.String())
		}
	}

	// The OTLP exporter connects lazily: setting it up needs no collector.
	tp, stop, err = Setup(ctx, Options{Exporter: "otlp", Endpoint: "http://127.0.0.1:1"})
	if err != nil || tp == nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	cancel()
	stop(sctx)
}
