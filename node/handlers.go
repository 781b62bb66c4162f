//go:build duckdb_arrow

package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/problem"
)

// Handler is the node's HTTP API.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/.well-known/datamesh", n.get(n.wellKnown))
	mux.Handle("/products", n.get(n.listProducts))
	mux.Handle("/products/{name}", n.get(n.getProduct))
	mux.Handle("/products/{name}/{major}/data", n.get(n.getData))
	mux.Handle("/products/{name}/{major}/schema", n.get(n.getSchema))
	mux.Handle("/products/{name}/{major}/stream", n.get(n.getStream)) // stream.go
	// Serving modes (serve.go, jobs_http.go) and metrics.
	mux.Handle("/products/{name}/{major}/refresh", n.methods(map[string]handlerFunc{http.MethodPost: n.postRefresh}))
	mux.Handle("/products/{name}/{major}/jobs", n.methods(map[string]handlerFunc{http.MethodPost: n.postJob}))
	mux.Handle("/jobs/{id}", n.methods(map[string]handlerFunc{http.MethodGet: n.getJob, http.MethodDelete: n.deleteJob}))
	mux.Handle("/jobs/{id}/result", n.get(n.getJobResult))
	mux.Handle("/metrics", n.get(n.getMetrics))
	mux.Handle("/openapi.json", n.get(n.getOpenAPI))
	mux.Handle("/docs", n.get(n.getDocs))
	mux.Handle("/healthz", n.get(n.healthz))
	mux.Handle("/readyz", n.get(n.readyz))
	mux.Handle("/", n.get(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/docs", http.StatusFound)
			return nil
		}
		return problem.NotFoundf("no such resource %q; start at /.well-known/datamesh or /products", r.URL.Path)
	}))
	return n.observe(mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (n *Node) wellKnown(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"name":            n.opts.Name,
		"domains":         n.domains(),
		"protocolVersion": ProtocolVersion,
		"links": map[string]string{
			"products": n.opts.BaseURL + "/products",
			"openapi":  n.opts.BaseURL + "/openapi.json",
			"docs":     n.opts.BaseURL + "/docs",
		},
	})
}

func (n *Node) domains() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range n.products.all() {
		if d := p.Desc.Domain; !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func (n *Node) listProducts(w http.ResponseWriter, r *http.Request) error {
	out := []summary{}
	for _, p := range n.products.all() {
		out = append(out, n.summarize(p))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (n *Node) getProduct(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	p, ok := n.products.latest(name)
	if !ok {
		return n.unknownProduct(name)
	}
	return writeJSON(w, http.StatusOK, n.describe(p))
}

func (n *Node) getSchema(w http.ResponseWriter, r *http.Request) error {
	p, err := n.lookup(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(n.rowSchema(p))
}

func (n *Node) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (n *Node) readyz(w http.ResponseWriter, r *http.Request) error {
	select {
	case <-n.ready:
	default:
		return problem.New(http.StatusServiceUnavailable, problem.Unavailable, "the node is starting")
	}
	if n.draining.Load() {
		return problem.New(http.StatusServiceUnavailable, problem.Unavailable, "the node is shutting down")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// lookup finds the product and major a /products/{name}/v{major}/... path
// names.
func (n *Node) lookup(r *http.Request) (*engine.Product, error) {
	name, mv := r.PathValue("name"), r.PathValue("major")
	if _, ok := n.products.latest(name); !ok {
		return nil, n.unknownProduct(name)
	}
	digits, ok := strings.CutPrefix(mv, "v")
	major, err := strconv.Atoi(digits)
	if !ok || err != nil || major < 0 || digits != strconv.Itoa(major) {
		return nil, problem.NotFoundf("%q is not a major version: paths look like /products/%s/v1/data", mv, name)
	}
	p, ok := n.products.major(name, major)
	if !ok {
		return nil, problem.NotFoundf("product %q has no major version %d here (served: %s)", name, major, n.majors(name))
	}
	return p, nil
}

func (n *Node) unknownProduct(name string) error {
	return problem.NotFoundf("no product %q on this node (products: %s)", name, strings.Join(n.products.names, ", "))
}

func (n *Node) majors(name string) string {
	var vs []string
	for _, p := range n.products.byName[name] {
		vs = append(vs, fmt.Sprintf("v%d", p.Desc.Major()))
	}
	return strings.Join(vs, ", ")
}
