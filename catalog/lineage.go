package catalog

import (
	"context"
	"fmt"
	"sort"

	"github.com/datamesh/datamesh/descriptor"
)

// Lineage limits.
const (
	DefaultLineageDepth = 5
	MaxLineageDepth     = 50
	// MaxLineageNodes caps a graph: past it the walk stops (Truncated).
	MaxLineageNodes = 500
)

// LineageGraph is the answer of GET /api/lineage: products and sources as
// nodes, inputs as edges in the direction data flows (from upstream to
// downstream).
type LineageGraph struct {
	Root      string        `json:"root"`
	Direction string        `json:"direction"`
	Depth     int           `json:"depth"`
	Nodes     []LineageNode `json:"nodes"`
	Edges     []LineageEdge `json:"edges"`
	// Truncated is true when the walk stopped at Depth with more beyond.
	Truncated bool `json:"truncated"`
}

// LineageNode is a product (id domain/name) or a source (id
// domain:source, since a relative path is relative to the domain that
// reads it).
type LineageNode struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // product | source | unknown (a product referenced but not in the catalog)
	// Distance is the number of edges from the root (0 for the root).
	Distance int `json:"distance"`
	// Product fields (latest version).
	Domain  string `json:"domain,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Title   string `json:"title,omitempty"`
	Owner   *Owner `json:"owner,omitempty"`
	Status  string `json:"status,omitempty"`
	URL     string `json:"url,omitempty"`
	// Source fields.
	Source    string `json:"source,omitempty"`
	Connector string `json:"connector,omitempty"`
}

// LineageEdge is an input: data flows From -> To. Versions are the
// versions of To with this input; Inputs its names there; Ranges the
// version ranges asked for (product inputs).
type LineageEdge struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Kind     string   `json:"kind"` // the connector kind
	Inputs   []string `json:"inputs"`
	Versions []string `json:"versions"`
	Ranges   []string `json:"ranges,omitempty"`
}

// Lineage walks the inputs of every version of a product, up, down or
// both, to depth hops.
func (s *Server) Lineage(ctx context.Context, domain, name, direction string, depth int) (*LineageGraph, error) {
	switch direction {
	case "":
		direction = "both"
	case "upstream", "downstream", "both":
	default:
		return nil, &QueryError{"direction", fmt.Sprintf("%q is not one of upstream, downstream, both", direction)}
	}
	switch {
	case depth == 0:
		depth = DefaultLineageDepth
	case depth < 0 || depth > MaxLineageDepth:
		return nil, &QueryError{"depth", fmt.Sprintf("must be between 1 and %d", MaxLineageDepth)}
	}
	if _, err := s.versions(ctx, domain, name); err != nil {
		return nil, err
	}
	root := Key{domain, name}
	b := &lineageBuilder{nodes: map[string]*LineageNode{}, edges: map[[2]string]*LineageEdge{}, products: map[Key]bool{}}
	b.product(root, 0)
	g := &LineageGraph{Root: root.String(), Direction: direction, Depth: depth}
	for _, dir := range []Direction{Upstream, Downstream} {
		if (dir == Upstream && direction == "downstream") || (dir == Downstream && direction == "upstream") {
			continue
		}
		frontier := []Key{root}
		seen := map[Key]bool{root: true}
		for hop := 1; len(frontier) > 0; hop++ {
			edges, err := s.store.Edges(ctx, frontier, dir)
			if err != nil {
				return nil, err
			}
			if hop > depth {
				if len(edges) > 0 {
					g.Truncated = true
				}
				break
			}
			var next []Key
			for _, e := range edges {
				var other Key
				if dir == Upstream {
					other = e.To
				} else {
					other = e.From
				}
				if len(b.nodes) >= MaxLineageNodes && !b.has(e, dir) {
					g.Truncated = true
					continue
				}
				if dir == Upstream && e.Kind != "product" {
					b.source(e, hop)
					continue
				}
				b.edge(e)
				b.product(other, hop)
				if !seen[other] {
					seen[other] = true
					next = append(next, other)
				}
			}
			frontier = next
		}
	}
	if err := b.fill(ctx, s.store); err != nil {
		return nil, err
	}
	g.Nodes, g.Edges = b.result()
	return g, nil
}

type lineageBuilder struct {
	nodes    map[string]*LineageNode
	edges    map[[2]string]*LineageEdge
	products map[Key]bool
}

// has reports whether the node e leads to is in the graph already.
func (b *lineageBuilder) has(e Edge, dir Direction) bool {
	switch {
	case dir == Downstream:
		_, ok := b.nodes[e.From.String()]
		return ok
	case e.Kind != "product":
		_, ok := b.nodes[sourceNodeID(e)]
		return ok
	}
	_, ok := b.nodes[e.To.String()]
	return ok
}

func (b *lineageBuilder) product(k Key, distance int) {
	if n, ok := b.nodes[k.String()]; ok {
		n.Distance = min(n.Distance, distance)
		return
	}
	b.nodes[k.String()] = &LineageNode{ID: k.String(), Kind: "unknown", Distance: distance, Domain: k.Domain, Name: k.Name}
	b.products[k] = true
}

func sourceNodeID(e Edge) string { return e.From.Domain + ":" + e.Source }

func (b *lineageBuilder) source(e Edge, distance int) {
	id := sourceNodeID(e)
	if n, ok := b.nodes[id]; ok {
		n.Distance = min(n.Distance, distance)
	} else {
		b.nodes[id] = &LineageNode{ID: id, Kind: "source", Distance: distance, Domain: e.From.Domain, Source: e.Source, Connector: e.Kind}
	}
	b.edge(e)
}

// edge records an input; e.From is the consuming product.
func (b *lineageBuilder) edge(e Edge) {
	from := e.To.String()
	if e.Kind != "product" {
		from = sourceNodeID(e)
	}
	key := [2]string{from, e.From.String()}
	le := b.edges[key]
	if le == nil {
		le = &LineageEdge{From: from, To: e.From.String(), Kind: e.Kind, Inputs: []string{}, Versions: []string{}}
		b.edges[key] = le
	}
	le.Inputs = appendNew(le.Inputs, e.Input)
	le.Versions = appendNew(le.Versions, e.FromVersion)
	if e.Range != "" {
		le.Ranges = appendNew(le.Ranges, e.Range)
	}
}

// fill adds the latest version's fields to every product node.
func (b *lineageBuilder) fill(ctx context.Context, st Store) error {
	keys := make([]Key, 0, len(b.products))
	for k := range b.products {
		keys = append(keys, k)
	}
	sums, err := st.Summaries(ctx, keys)
	if err != nil {
		return err
	}
	for k, sum := range sums {
		n := b.nodes[k.String()]
		owner := sum.Owner
		n.Kind, n.Version, n.Title, n.Owner, n.Status, n.URL = "product", sum.Version, sum.Title, &owner, sum.Status, sum.URL
	}
	return nil
}

func (b *lineageBuilder) result() ([]LineageNode, []LineageEdge) {
	nodes := make([]LineageNode, 0, len(b.nodes))
	for _, n := range b.nodes {
		nodes = append(nodes, *n)
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Distance != nodes[j].Distance {
			return nodes[i].Distance < nodes[j].Distance
		}
		return nodes[i].ID < nodes[j].ID
	})
	edges := make([]LineageEdge, 0, len(b.edges))
	for _, e := range b.edges {
		edges = append(edges, *e)
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].From != edges[j].From {
			return edges[i].From < edges[j].From
		}
		return edges[i].To < edges[j].To
	})
	return nodes, edges
}

// ImpactReport is the answer of GET /api/impact: every product downstream
// of one, transitively, and the owners to tell before changing it.
type ImpactReport struct {
	Product string `json:"product"`
	// Version, when given, limits the direct consumers to those whose
	// range accepts it.
	Version   string          `json:"version,omitempty"`
	Consumers []ImpactedEntry `json:"consumers"`
	Owners    []OwnerNotice   `json:"owners"`
}

// ImpactedEntry is one product downstream.
type ImpactedEntry struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Name   string `json:"name"`
	// Version, Title and Status are the latest version's.
	Version string `json:"version,omitempty"`
	Title   string `json:"title,omitempty"`
	Owner   Owner  `json:"owner"`
	Status  string `json:"status,omitempty"`
	URL     string `json:"url,omitempty"`
	// Distance is 1 for a direct consumer; Via lists the products it
	// reads that lead back to the one changed.
	Distance int      `json:"distance"`
	Via      []string `json:"via"`
	Ranges   []string `json:"ranges"`
	Versions []string `json:"versions"`
}

// OwnerNotice is an owner to notify with their products affected.
type OwnerNotice struct {
	Team     string   `json:"team"`
	Email    string   `json:"email,omitempty"`
	Products []string `json:"products"`
}

// Impact lists everything downstream of a product. With a version, direct
// consumers whose range does not accept it are left out (with their own
// consumers, unless reached otherwise).
func (s *Server) Impact(ctx context.Context, domain, name, version string) (*ImpactReport, error) {
	if _, err := s.versions(ctx, domain, name); err != nil {
		return nil, err
	}
	if version != "" {
		if _, err := descriptor.ParseVersion(version); err != nil {
			return nil, &QueryError{"version", err.Error()}
		}
	}
	root := Key{domain, name}
	rep := &ImpactReport{Product: root.String(), Version: version, Consumers: []ImpactedEntry{}, Owners: []OwnerNotice{}}
	entries := map[Key]*ImpactedEntry{}
	var order []Key
	frontier := []Key{root}
	seen := map[Key]bool{root: true}
	for hop := 1; len(frontier) > 0 && hop <= 10_000; hop++ {
		edges, err := s.store.Edges(ctx, frontier, Downstream)
		if err != nil {
			return nil, err
		}
		var next []Key
		for _, e := range edges {
			if hop == 1 && version != "" {
				ref, err := descriptor.ParseRef(e.To.String() + "@" + e.Range)
				if err != nil || !ref.Matches(version) {
					continue
				}
			}
			en := entries[e.From]
			if en == nil {
				if seen[e.From] { // the root itself, through a loop
					continue
				}
				en = &ImpactedEntry{ID: e.From.String(), Domain: e.From.Domain, Name: e.From.Name, Distance: hop,
					Via: []string{}, Ranges: []string{}, Versions: []string{}}
				entries[e.From] = en
				order = append(order, e.From)
				seen[e.From] = true
				next = append(next, e.From)
			}
			if en.Distance == hop {
				en.Via = appendNew(en.Via, e.To.String())
				en.Ranges = appendNew(en.Ranges, e.Range)
				en.Versions = appendNew(en.Versions, e.FromVersion)
			}
		}
		frontier = next
	}
	sums, err := s.store.Summaries(ctx, order)
	if err != nil {
		return nil, err
	}
	owners := map[string]*OwnerNotice{}
	var teams []string
	for _, k := range order {
		en := entries[k]
		if sum, ok := sums[k]; ok {
			en.Version, en.Title, en.Owner, en.Status, en.URL = sum.Version, sum.Title, sum.Owner, sum.Status, sum.URL
		}
		rep.Consumers = append(rep.Consumers, *en)
		team := en.Owner.Team
		o := owners[team]
		if o == nil {
			o = &OwnerNotice{Team: team, Email: en.Owner.Email, Products: []string{}}
			owners[team] = o
			teams = append(teams, team)
		}
		o.Products = append(o.Products, en.ID)
	}
	sort.SliceStable(rep.Consumers, func(i, j int) bool {
		a, b := rep.Consumers[i], rep.Consumers[j]
		if a.Distance != b.Distance {
			return a.Distance < b.Distance
		}
		return a.ID < b.ID
	})
	sort.Strings(teams)
	for _, t := range teams {
		sort.Strings(owners[t].Products)
		rep.Owners = append(rep.Owners, *owners[t])
	}
	return rep, nil
}
