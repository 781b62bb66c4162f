//go:build duckdb_arrow

package node

import (
	"context"
	"time"

	"github.com/datamesh/datamesh/catalog/client"
	"github.com/datamesh/datamesh/connector"
)

// resolver finds upstream products through the catalog.
type resolver struct{ c *client.Client }

var _ connector.Resolver = resolver{}

func (r resolver) Resolve(ctx context.Context, ref string) (version, nodeURL string, err error) {
	res, err := r.c.Resolve(ctx, ref)
	if err != nil {
		return "", "", err
	}
	return res.Version, res.NodeURL, nil
}

// register keeps the node registered with the catalog, heartbeating, until
// Shutdown: the catalog learns what the node serves from the node's own
// protocol answers.
func (n *Node) register(c *client.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	n.stopRegistration = func() { cancel(); <-done }
	go func() {
		defer close(done)
		reg, err := client.FetchRegistration(ctx, nil, n.URL())
		if err != nil {
			n.log.Error("cannot describe this node to the catalog", "err", err)
			return
		}
		interval := n.opts.HeartbeatInterval
		if interval <= 0 {
			interval = 10 * time.Second
		}
		if _, err := c.Register(ctx, reg); err == nil {
			// Products reading this node's own products could not resolve
			// them before it registered: try them now, not at the first
			// request. Keep registers again; that is harmless.
			n.retryUnavailable(ctx)
		}
		c.Keep(ctx, reg, interval, n.log)
	}()
}

// retryUnavailable prepares the products whose inputs could not be read,
// and logs those that now can.
func (n *Node) retryUnavailable(ctx context.Context) {
	for _, p := range n.products.all() {
		if p.Unavailable() == "" {
			continue
		}
		if err := n.engine.Prepare(ctx, p); err == nil {
			n.log.Info("product available: its inputs can be read now", "product", p.Desc.ID())
		}
	}
}
