//go:build duckdb_arrow

package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamesh/datamesh/connector"
	natsconn "github.com/datamesh/datamesh/connector/nats"
	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/problem"
)

// StreamHeartbeat is how often a stream with nothing to send writes a
// comment, so that proxies and clients keep the connection.
var StreamHeartbeat = 15 * time.Second

// streamPoll is how often a stream checks whether the node shuts down.
const streamPoll = 250 * time.Millisecond

// streamSource is the nats input a product streams: its only input, when
// that input is a nats stream. ok is false for other products.
func streamSource(p *engine.Product) (src *natsconn.NATS, ok bool, err error) {
	d := p.Desc
	if len(d.Inputs) != 1 || d.Inputs[0].Kind != "nats" {
		return nil, false, nil
	}
	in := d.Inputs[0]
	spec, found := connector.Lookup("nats")
	if !found {
		return nil, false, nil
	}
	c, err := spec.New(connector.Config{Input: in.Name, Dir: d.Dir, Options: in.Options})
	if err != nil {
		return nil, true, err
	}
	src, ok = c.(*natsconn.NATS)
	return src, ok, nil
}

// getStream answers GET /products/{name}/v{major}/stream, for products
// whose only input is a NATS JetStream stream, as Server-Sent Events: the
// messages published to the stream from now on (or after the sequence in
// Last-Event-ID, to resume), as they come. Each event is
//
//	id: <stream sequence>
//	event: row
//	data: {"subject": ..., "seq": ..., "time": ..., <the payload's fields>}
//
// that is the input's row for the message, as the product's transform
// reads it (not the transform's output; a payload field named subject, seq
// or time becomes subject_, seq_, time_). Comments (": heartbeat") come
// every StreamHeartbeat while nothing is published. An error after the
// answer began ends it with `event: error` and a problem-like JSON object.
// The stream ends when the client leaves or the node shuts down.
func (n *Node) getStream(w http.ResponseWriter, r *http.Request) error {
	p, err := n.lookup(r)
	if err != nil {
		return err
	}
	// Not recorded as a read of the product: a stream's duration is not a
	// latency the SLA meters should see.
	src, ok, err := streamSource(p)
	if !ok {
		return problem.NotFoundf("product %q has no stream: only products whose one input is a NATS JetStream stream (a nats input) stream their events", p.Desc.Name)
	}
	if err != nil {
		return err
	}
	after := natsconn.FromNow
	if id := strings.TrimSpace(r.Header.Get("Last-Event-ID")); id != "" {
		seq, err := strconv.ParseUint(id, 10, 64)
		if err != nil || seq == natsconn.FromNow {
			return problem.New(http.StatusBadRequest, problem.BadParameter,
				"Last-Event-ID %q is not a stream sequence: send the id of the last event received", id)
		}
		after = seq
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream has no end
	var (
		mu      sync.Mutex
		started bool
		wg      sync.WaitGroup
	)
	defer wg.Wait()
	defer cancel()
	send := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write([]byte(s)); err != nil {
			cancel()
			return err
		}
		if err := rc.Flush(); err != nil {
			cancel()
			return err
		}
		return nil
	}
	ready := func(from uint64) {
		mu.Lock()
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		started = true
		mu.Unlock()
		_ = send(fmt.Sprintf(": %s/v%d: events of stream %s after seq %d\n\n", p.Desc.Name, p.Desc.Major(), src.Stream, from))
		wg.Add(1)
		go func() {
			defer wg.Done()
			poll := time.NewTicker(streamPoll)
			defer poll.Stop()
			last := time.Now()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-poll.C:
					if n.draining.Load() {
						cancel()
						return
					}
					if now.Sub(last) >= StreamHeartbeat {
						last = now
						_ = send(": heartbeat\n\n")
					}
				}
			}
		}()
	}
	var buf []byte
	err = src.Follow(ctx, after, ready, func(m natsconn.Message) error {
		row := make(map[string]any, len(m.Payload)+3)
		for k, v := range m.Payload {
			if k == "subject" || k == "seq" || k == "time" {
				k += "_" // as the input's columns name them
			}
			row[k] = v
		}
		row["subject"], row["seq"], row["time"] = m.Subject, m.Seq, m.Time.UTC().Format(time.RFC3339Nano)
		data, err := json.Marshal(row)
		if err != nil {
			return err
		}
		buf = fmt.Appendf(buf[:0], "id: %d\nevent: row\ndata: %s\n\n", m.Seq, data)
		return send(string(buf))
	})
	if err == nil || ctx.Err() != nil {
		return nil
	}
	if !started {
		if errors.Is(err, connector.ErrUnavailable) {
			return problem.New(http.StatusServiceUnavailable, problem.Unavailable, "%s", err.Error())
		}
		return err
	}
	msg, _ := json.Marshal(map[string]any{"status": http.StatusBadGateway, "title": "the stream failed", "detail": err.Error()})
	_ = send(fmt.Sprintf("event: error\ndata: %s\n\n", msg))
	n.log.Warn("stream ended on an error", "product", p.Desc.Name, "err", err)
	return nil
}
