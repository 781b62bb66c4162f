//go:build duckdb_arrow

package node_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/datamesh/datamesh/node"
)

// TestServingLeavesNoGoroutine checks that schedules, refreshes, jobs and
// their janitor all end with Shutdown.
func TestServingLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	gate := newJobGate()
	o := node.WithJobHook(node.Options{Dir: matDir(t, "refresh: 1h"), Addr: "127.0.0.1:0", DataDir: t.TempDir()}, gate.hook)
	n, err := node.New(o)
	must(t, err)
	must(t, n.Start(context.Background()))
	refreshAndWait(t, n, "prices")
	submit(t, n.URL()+"/products/prices/v1/jobs", "") // left running
	<-gate.started
	get(t, n.URL()+"/metrics")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must(t, n.Shutdown(ctx))
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}
