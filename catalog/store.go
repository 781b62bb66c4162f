package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Store keeps the catalog: product versions, nodes and what they serve,
// lineage edges. Two implementations pass the same suite
// (catalog/storetest): catalog/sqlite (the default, one file) and
// catalog/postgres (for several catalog replicas). Every method is safe
// for concurrent use; every write is one transaction.
//
// The HTTP API and the web pages both read through these methods, so that
// they always show the same thing.
type Store interface {
	// Publish records product versions, all or none. A version already
	// recorded from a publish with the same ContentHash is left as it is
	// (OutcomeUnchanged); with another hash, Publish fails with a
	// *ConflictError listing every such version. A version recorded from a
	// node is replaced by the published one. Before writing, and while
	// holding the lock that serialises publishes, Publish calls check
	// (when not nil) with the dependency graph as recorded; an error from
	// check aborts the publish and is returned as is.
	Publish(ctx context.Context, batch []*Product, check func(*Graph) error) ([]Outcome, error)

	// Product returns one version, with its descriptor, or ErrNotFound.
	Product(ctx context.Context, domain, name, version string) (*Product, error)
	// Versions returns every version of a product, lowest first; none is
	// not an error.
	Versions(ctx context.Context, domain, name string) ([]*Product, error)
	// Summaries returns the latest version of each product asked for that
	// exists, with the URL of a node serving it.
	Summaries(ctx context.Context, keys []Key) (map[Key]Summary, error)
	// Search returns the latest version of each product that matches,
	// ranked by relevance when q has terms, by domain and name otherwise,
	// with counts of every facet over all the matches.
	Search(ctx context.Context, q Query) (*Results, error)
	// Domains lists the domains with their product counts and owners.
	Domains(ctx context.Context) ([]Domain, error)
	// Edges returns the inputs of every version of the products in keys
	// (Upstream), or the product inputs of any version of any product that
	// point at them (Downstream).
	Edges(ctx context.Context, keys []Key, dir Direction) ([]Edge, error)

	// RegisterNode records a node and what it serves now, replacing what it
	// served before, and marks it available. A served version the catalog
	// does not know is recorded from the node's description; a version
	// recorded from a node is updated, one recorded from a publish is kept.
	RegisterNode(ctx context.Context, n Node, served []Served, now time.Time) error
	// Heartbeat marks a node available and records the statuses it
	// reports. It returns ErrNotFound for a node never registered (the
	// node should register again).
	Heartbeat(ctx context.Context, name string, statuses []ProductStatus, now time.Time) error
	// ExpireNodes marks unavailable the available nodes whose last
	// heartbeat is before the time given, and returns their names.
	ExpireNodes(ctx context.Context, before time.Time) ([]string, error)
	// Nodes lists the nodes by name; Node returns one, or ErrNotFound.
	Nodes(ctx context.Context) ([]Node, error)
	Node(ctx context.Context, name string) (*Node, error)
	// Serving returns the nodes serving any version of a product:
	// available ones first, then by latest heartbeat.
	Serving(ctx context.Context, domain, name string) ([]Serving, error)

	// Check verifies the store's invariants (one latest version per
	// product, search index in step, statuses derived from the nodes) and
	// the database's own integrity.
	Check(ctx context.Context) error
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// Outcome is what Publish did with one version.
type Outcome struct {
	ID     string `json:"id"`
	File   string `json:"file,omitempty"`
	Status string `json:"status"` // created | unchanged | replaced
}

// Publish outcomes.
const (
	OutcomeCreated   = "created"
	OutcomeUnchanged = "unchanged"
	OutcomeReplaced  = "replaced" // a record from a node replaced by the published one
)

// Direction of a lineage walk.
type Direction int

// Directions.
const (
	Upstream Direction = iota
	Downstream
)

// ErrNotFound is returned for a product, version or node the store does not
// hold.
var ErrNotFound = errors.New("not found")

// ConflictError is returned by Publish when versions already published hold
// other content.
type ConflictError struct {
	Conflicts []Conflict
}

// Conflict is a version published before with other content.
type Conflict struct {
	Existing *Product
	New      *Product
}

func (e *ConflictError) Error() string {
	ids := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		ids[i] = c.New.ID()
	}
	return "already published with other content: " + strings.Join(ids, ", ")
}

// Graph is the dependency graph between product versions as recorded.
type Graph struct {
	// Versions lists each product's versions by domain/name.
	Versions map[Key][]string
	// Deps lists the product inputs of each version, by domain/name@version.
	Deps map[string][]Dep
}

// Dep is one product input: a reference to a product with a version range.
type Dep struct {
	Input string
	To    Key
	Range string
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{Versions: map[Key][]string{}, Deps: map[string][]Dep{}}
}

// Add records a version and its product inputs; AddVersion records the
// version alone.
func (g *Graph) Add(k Key, version string, deps []Dep) {
	g.AddVersion(k, version)
	id := k.String() + "@" + version
	g.Deps[id] = append(g.Deps[id], deps...)
}

// AddVersion records a version without inputs (more may come with Add).
func (g *Graph) AddVersion(k Key, version string) {
	for _, v := range g.Versions[k] {
		if v == version {
			return
		}
	}
	g.Versions[k] = append(g.Versions[k], version)
}

// Query is a search. Terms are free text (a term of several words is a
// phrase); the other fields filter. Values within one filter are
// alternatives, except Tags, which a product must all have. Owners match
// the team or the email, Tags and Owners ignore case.
type Query struct {
	Terms    []string
	Domains  []string
	Owners   []string
	Tags     []string
	Statuses []string
	Limit    int
	Offset   int
}

// Results is one page of a search.
type Results struct {
	Items  []Summary
	Total  int
	Facets Facets
}

// Facets counts the matches by each value of domain, owner, tag and status.
type Facets struct {
	Domain []FacetValue `json:"domain"`
	Owner  []FacetValue `json:"owner"`
	Tag    []FacetValue `json:"tag"`
	Status []FacetValue `json:"status"`
}

// FacetValue is how many matches have one value.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// SortFacet orders values by count, highest first, then by value, and
// keeps the first max (all when max <= 0).
func SortFacet(vs []FacetValue, max int) []FacetValue {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Count != vs[j].Count {
			return vs[i].Count > vs[j].Count
		}
		return vs[i].Value < vs[j].Value
	})
	if max > 0 && len(vs) > max {
		vs = vs[:max]
	}
	if vs == nil {
		vs = []FacetValue{}
	}
	return vs
}

// Words splits a search term into the words a full-text index holds:
// runs of letters and digits, lowercased. The stores build their
// full-text queries from these alone, so that no user input is ever read
// as query syntax.
func Words(term string) []string {
	var words []string
	start := -1
	lower := strings.ToLower(term)
	for i, r := range lower {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			words = append(words, lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		words = append(words, lower[start:])
	}
	return words
}

// Driver opens a kind of store. Store packages register theirs from init.
type Driver struct {
	// Name names the driver ("sqlite", "postgres").
	Name string
	// Match reports whether a location is for this driver.
	Match func(location string) bool
	// Open opens (creating and migrating as needed) the store.
	Open func(ctx context.Context, location string) (Store, error)
}

var (
	driversMu sync.RWMutex
	drivers   []Driver
)

// RegisterDriver adds a kind of store. It panics on an empty or duplicate
// name.
func RegisterDriver(d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d.Name == "" || d.Match == nil || d.Open == nil {
		panic("catalog: RegisterDriver with an empty name or nil function")
	}
	for _, o := range drivers {
		if o.Name == d.Name {
			panic(fmt.Sprintf("catalog: store driver %q registered twice", d.Name))
		}
	}
	drivers = append(drivers, d)
}

// OpenStore opens the store at location: "postgres://..." or
// "postgresql://..." for PostgreSQL, "sqlite:PATH" or a file path
// ("catalog.db") for SQLite. The program must import the store packages
// (catalog/stores imports both).
func OpenStore(ctx context.Context, location string) (Store, error) {
	if strings.TrimSpace(location) == "" {
		return nil, errors.New("catalog: no store given (a SQLite file such as catalog.db, or postgres://...)")
	}
	driversMu.RLock()
	ds := append([]Driver(nil), drivers...)
	driversMu.RUnlock()
	var names []string
	for _, d := range ds {
		if d.Match(location) {
			return d.Open(ctx, location)
		}
		names = append(names, d.Name)
	}
	if len(ds) == 0 {
		return nil, errors.New("catalog: no store driver is linked in: import github.com/datamesh/datamesh/catalog/stores")
	}
	return nil, fmt.Errorf("catalog: no store driver for %q (drivers: %s)", location, strings.Join(names, ", "))
}
