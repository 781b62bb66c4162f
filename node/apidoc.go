//go:build duckdb_arrow

package node

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/openapi"
)

func (n *Node) apiNode() openapi.Node {
	return openapi.Node{Name: n.opts.Name, Domains: n.domains(), BaseURL: n.opts.BaseURL, ProtocolVersion: ProtocolVersion}
}

func (n *Node) apiProducts() []openapi.Product {
	var out []openapi.Product
	for _, p := range n.products.all() {
		out = append(out, openapi.FromDescriptor(p.Desc))
	}
	return out
}

func (n *Node) rowSchema(p *engine.Product) map[string]any {
	return openapi.RowSchema(openapi.FromDescriptor(p.Desc))
}

func (n *Node) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc := openapi.Document(n.apiNode(), n.apiProducts())
	w.Header().Set("Content-Type", "application/vnd.oai.openapi+json;version=3.1")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func (n *Node) getDocs(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := openapi.Page(&buf, n.apiNode(), n.apiProducts()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}
