//go:build duckdb_arrow

// Package mesh runs a whole mesh folder in one process: the catalog, then
// one node per domain folder, each on its own loopback port and
// registering with the catalog. It is what `datamesh up` runs; every
// domain folder also runs alone with `datamesh serve`.
package mesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"go.opentelemetry.io/otel/trace"

	"github.com/datamesh/datamesh/catalog"
	_ "github.com/datamesh/datamesh/catalog/postgres" // the PostgreSQL store
	_ "github.com/datamesh/datamesh/catalog/sqlite"   // the SQLite store
	"github.com/datamesh/datamesh/catalog/web"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/node"
)

// Options configure a mesh.
type Options struct {
	// Dir is the mesh folder: one subfolder per domain.
	Dir string
	// Only lists the domains to run; empty: all.
	Only []string
	// CatalogAddr is the catalog's address (default 127.0.0.1:8000). Nodes
	// take the ports after it, in domain order, unless NodeAddrs says.
	CatalogAddr string
	// NodeAddrs maps a domain to its node's address.
	NodeAddrs map[string]string
	// CatalogStore is where the catalog keeps its data (default a SQLite
	// file in DataDir).
	CatalogStore string
	// DataDir holds the catalog and the nodes' state (default DIR/.datamesh).
	DataDir string
	// PublishToken lets `datamesh publish` write to the catalog; empty
	// refuses publishing.
	PublishToken string
	// HeartbeatInterval is how often nodes heartbeat (default 5s).
	HeartbeatInterval time.Duration
	// Profile names an overlay of the mesh, DIR/_profiles/PROFILE: its
	// descriptors replace the same-named products of their domain
	// (ApplyProfile, profile.go). Empty: the folder as it is.
	Profile string
	Logger  *slog.Logger
	// Tracer makes the nodes' OpenTelemetry spans (node.Options.Tracer);
	// nil: none.
	Tracer trace.TracerProvider
}

// Mesh is a running mesh.
type Mesh struct {
	Catalog *catalog.Server
	Nodes   []Domain
	store   catalog.Store
	// NATS is the embedded NATS server (nats.go), nil when no input
	// needs it.
	NATS *server.Server
}

// Domain is one domain's node.
type Domain struct {
	Name     string
	Dir      string
	Node     *node.Node
	Products []*descriptor.Product
}

// Up starts the catalog and every domain's node, in dependency order, and
// returns once all are ready and registered.
func Up(ctx context.Context, o Options) (*Mesh, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CatalogAddr == "" {
		o.CatalogAddr = "127.0.0.1:8000"
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(o.Dir, ".datamesh")
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 5 * time.Second
	}
	domains, err := Load(o.Dir, o.Only)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	if domains, err = ApplyProfile(o.Dir, o.Profile, o.DataDir, domains); err != nil {
		return nil, err
	}
	if o.CatalogStore == "" {
		o.CatalogStore = filepath.Join(o.DataDir, "catalog.db")
	}
	store, err := catalog.OpenStore(ctx, o.CatalogStore)
	if err != nil {
		return nil, fmt.Errorf("mesh: catalog store: %w", err)
	}
	m := &Mesh{store: store}
	if m.NATS, err = embeddedNATS(ctx, o, domains); err != nil {
		store.Close()
		return nil, err
	}
	ui := web.New(web.Options{Logger: o.Logger})
	cat, err := catalog.New(catalog.Options{
		Addr: o.CatalogAddr, Store: store, PublishToken: o.PublishToken,
		HeartbeatTTL: 3 * o.HeartbeatInterval, Logger: o.Logger.With("component", "catalog"),
		UI: ui,
	})
	if err == nil {
		ui.Bind(cat)
		err = cat.Start(ctx)
	}
	if err != nil {
		store.Close()
		stopNATS(m.NATS)
		return nil, fmt.Errorf("mesh: catalog: %w", err)
	}
	m.Catalog = cat

	addrs, err := nodeAddrs(o, domains)
	if err != nil {
		m.Shutdown(context.Background())
		return nil, err
	}
	for _, d := range domains {
		n, err := node.New(node.Options{
			Dir: d.Dir, Name: d.Name, Addr: addrs[d.Name], DataDir: filepath.Join(o.DataDir, d.Name),
			Catalog: cat.URL(), HeartbeatInterval: o.HeartbeatInterval,
			Logger: o.Logger.With("component", "node"), Tracer: o.Tracer,
		})
		if err == nil {
			err = n.Start(ctx)
		}
		if err != nil {
			m.Shutdown(context.Background())
			return nil, fmt.Errorf("mesh: domain %s: %w", d.Name, err)
		}
		d.Node = n
		m.Nodes = append(m.Nodes, d)
		// Consumers started next resolve this domain's products at once.
		if err := waitRegistered(ctx, cat.URL(), d.Name); err != nil {
			m.Shutdown(context.Background())
			return nil, fmt.Errorf("mesh: domain %s: %w", d.Name, err)
		}
	}
	return m, nil
}

// Load reads the domain folders of a mesh (or those in only), checks
// them together (no dependency cycles across domains) and returns them in
// dependency order: a domain comes after the domains it reads from.
func Load(dir string, only []string) ([]Domain, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	var domains []Domain
	var all []*descriptor.Product
	var problems descriptor.Problems
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		descs, probs := descriptor.LoadDir(filepath.Join(dir, name))
		problems = append(problems, probs.Errors()...)
		if len(descs) == 0 {
			continue // data or tools, not a domain
		}
		domains = append(domains, Domain{Name: name, Dir: filepath.Join(dir, name), Products: descs})
		all = append(all, descs...)
	}
	for _, want := range only {
		if !slices.ContainsFunc(domains, func(d Domain) bool { return d.Name == want }) {
			return nil, fmt.Errorf("mesh: no domain %q in %s", want, dir)
		}
	}
	problems = append(problems, descriptor.Cycles(all)...)
	if problems.HasErrors() {
		return nil, fmt.Errorf("mesh: invalid descriptors:\n%w", problems.Errors())
	}
	if len(domains) == 0 {
		return nil, fmt.Errorf("mesh: no domain folders with descriptors in %s", dir)
	}
	return order(domains), nil
}

// order sorts domains so that each comes after the domains whose products
// it reads (cycles were refused before).
func order(domains []Domain) []Domain {
	sort.Slice(domains, func(i, j int) bool { return domains[i].Name < domains[j].Name })
	deps := map[string][]string{}
	for _, d := range domains {
		for _, p := range d.Products {
			for _, in := range p.Inputs {
				if in.Kind != "product" {
					continue
				}
				s, _ := in.Options["ref"].(string)
				if ref, err := descriptor.ParseRef(s); err == nil && ref.Domain != d.Name {
					deps[d.Name] = append(deps[d.Name], ref.Domain)
				}
			}
		}
	}
	var out []Domain
	placed := map[string]bool{}
	var place func(d Domain, depth int)
	byName := map[string]Domain{}
	for _, d := range domains {
		byName[d.Name] = d
	}
	place = func(d Domain, depth int) {
		if placed[d.Name] || depth > len(domains) {
			return
		}
		for _, dep := range deps[d.Name] {
			if up, ok := byName[dep]; ok {
				place(up, depth+1)
			}
		}
		if !placed[d.Name] {
			placed[d.Name] = true
			out = append(out, d)
		}
	}
	for _, d := range domains {
		place(d, 0)
	}
	return out
}

// nodeAddrs gives every domain an address: the one asked for, or the next
// free port after the catalog's.
func nodeAddrs(o Options, domains []Domain) (map[string]string, error) {
	host, portText, err := net.SplitHostPort(o.CatalogAddr)
	if err != nil {
		return nil, fmt.Errorf("mesh: catalog address %q: %w", o.CatalogAddr, err)
	}
	port, _ := strconv.Atoi(portText)
	out := map[string]string{}
	sorted := append([]Domain(nil), domains...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i, d := range sorted {
		switch {
		case o.NodeAddrs[d.Name] != "":
			out[d.Name] = o.NodeAddrs[d.Name]
		case port == 0:
			out[d.Name] = net.JoinHostPort(host, "0")
		default:
			out[d.Name] = net.JoinHostPort(host, strconv.Itoa(port+1+i))
		}
	}
	return out, nil
}

// waitRegistered waits until the catalog knows the node.
func waitRegistered(ctx context.Context, catalogURL, name string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, catalogURL+"/api/nodes/"+name, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("the node did not register with the catalog in 15s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Shutdown stops the nodes, consumers first, then the catalog.
func (m *Mesh) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		errs = append(errs, m.Nodes[i].Node.Shutdown(ctx))
	}
	if m.Catalog != nil {
		errs = append(errs, m.Catalog.Shutdown(ctx))
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	stopNATS(m.NATS)
	return errors.Join(errs...)
}
