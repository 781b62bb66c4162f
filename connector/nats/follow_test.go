//go:build duckdb_arrow

package nats_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/nats"
)

func follower(t *testing.T, opts map[string]any) *nats.NATS {
	t.Helper()
	c, err := nats.New(connector.Config{Input: "input", Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*nats.NATS)
}

// TestFollow follows new messages, resumes after a sequence and stops when
// its context ends.
func TestFollow(t *testing.T) {
	url, js, name, p := stream(t)
	publish(t, js, p+".old", `{"n": 1}`, `{"n": 2}`)
	n := follower(t, map[string]any{"url": url, "stream": name})

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan nats.Message, 10)
	done := make(chan error, 1)
	ready := make(chan uint64, 1)
	go func() {
		done <- n.Follow(ctx, nats.FromNow, func(after uint64) { ready <- after }, func(m nats.Message) error {
			got <- m
			return nil
		})
	}()
	if after := <-ready; after != 2 {
		t.Errorf("follows after %d, want 2", after)
	}
	publish(t, js, p+".new", `{"n": 3}`)
	select {
	case m := <-got:
		if b, _ := json.Marshal(m.Payload); m.Seq != 3 || m.Subject != p+".new" || string(b) != `{"n":3}` {
			t.Errorf("got %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message in 5s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Follow = %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}

	// Resume after seq 1: 2 and 3 again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var seqs []uint64
	err := n.Follow(ctx2, 1, nil, func(m nats.Message) error {
		seqs = append(seqs, m.Seq)
		if len(seqs) == 2 {
			cancel2()
		}
		return nil
	})
	if err != nil || len(seqs) != 2 || seqs[0] != 2 || seqs[1] != 3 {
		t.Errorf("resume: %v %v", seqs, err)
	}
}

func TestFollowNoServer(t *testing.T) {
	n := follower(t, map[string]any{"stream": "NOPE"})
	err := n.Follow(context.Background(), 0, nil, func(nats.Message) error { return nil })
	if err == nil || !errors.Is(err, connector.ErrUnavailable) {
		t.Errorf("Follow without a server = %v, want ErrUnavailable", err)
	}
}

// TestSeed seeds a new stream from a file once.
func TestSeed(t *testing.T) {
	url, js, _, _ := stream(t) // checks the server is up
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "DMSEED_" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	file := filepath.Join(t.TempDir(), "e.ndjson")
	os.WriteFile(file, []byte("{\"a\":1}\n\n{\"a\":2}\n"), 0o644)
	ctx := context.Background()
	if n, err := nats.Seed(ctx, url, name, file); n != 2 || err != nil {
		t.Fatalf("Seed = %d, %v", n, err)
	}
	if n, err := nats.Seed(ctx, url, name, file); n != 0 || err != nil {
		t.Fatalf("second Seed = %d, %v; want 0 (not empty)", n, err)
	}
	if _, err := bind(t, map[string]any{"url": url, "stream": name}); err != nil {
		t.Fatal(err)
	}
}
