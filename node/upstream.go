//go:build duckdb_arrow

package node

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"

	"github.com/datamesh/datamesh/client"
	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/problem"
)

// prepare readies a product for a request: it reads again the inputs that
// refresh (copies of other products) when they are stale. A failing
// upstream becomes a 502, or a 504 when it did not answer in time, naming
// the upstream product and node.
func (n *Node) prepare(r *http.Request, p *engine.Product) error {
	ctx, span := n.span(r.Context(), "engine.prepare", attribute.String("datamesh.product", p.Desc.Domain+"/"+p.Desc.Name))
	err := n.engine.Prepare(ctx, p)
	endSpan(span, err)
	if err == nil {
		return nil
	}
	if r.Context().Err() != nil {
		return err
	}
	var ue *engine.UpstreamError
	if !errors.As(err, &ue) {
		return err
	}
	status, typ := http.StatusBadGateway, problem.UpstreamFailed
	var ce *client.Error
	if errors.As(err, &ce) && ce.Timeout || errors.Is(err, context.DeadlineExceeded) {
		status, typ = http.StatusGatewayTimeout, problem.Timeout
	}
	pe := problem.New(status, typ, "product %s cannot be computed: input %s: %v", ue.Product, ue.Input, ue.Err)
	pe.Err = err
	return pe
}
