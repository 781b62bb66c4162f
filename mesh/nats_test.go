//go:build duckdb_arrow

package mesh_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
)

// TestEmbeddedNATS checks `up` runs the embedded server, seeds the
// shipping stream from its file, and streams new events live.
func TestEmbeddedNATS(t *testing.T) {
	m := mustUp(t, "shipping")
	if m.NATS == nil {
		t.Fatal("no embedded NATS server")
	}
	url := m.Nodes[0].Node.URL() + "/products/shipment-events/v1/stream"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, _ := br.ReadString('\n')
	if resp.StatusCode != http.StatusOK || !strings.Contains(first, "after seq 13978") {
		t.Fatalf("%d %q", resp.StatusCode, first)
	}
	nc, err := natsgo.Connect(m.NATS.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("shipments", []byte(`{"order_id":9999,"event":"created","at":"2025-01-01T00:00:00Z","carrier":"DHL","warehouse":"AMS"}`)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, ":") {
			got = append(got, line)
		}
	}
	if got[0] != "id: 13979" || got[1] != "event: row" || !strings.Contains(got[2], `"order_id":9999`) {
		t.Errorf("event %q", got)
	}
}
