package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// The read side of the catalog: what the API answers and what the web
// pages show. Each method returns API types and problem errors.

// SearchParams is a search as the API takes it: q in the search syntax
// (see ParseQuery), and filters as parameters.
type SearchParams struct {
	Q        string
	Domains  []string
	Owners   []string
	Tags     []string
	Statuses []string
	Limit    int
	Offset   int
}

// SearchResult is the answer of GET /api/products.
type SearchResult struct {
	Items  []Summary `json:"items"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
	Facets Facets    `json:"facets"`
}

// MaxFacetValues caps the values listed per facet.
const MaxFacetValues = 50

// Search finds products (the latest version of each).
func (s *Server) Search(ctx context.Context, sp SearchParams) (*SearchResult, error) {
	q, err := ParseQuery(sp.Q)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field  string
		values []string
	}{{"domain", sp.Domains}, {"owner", sp.Owners}, {"tag", sp.Tags}, {"status", sp.Statuses}} {
		for _, v := range f.values {
			if err := q.AddFilter(f.field, f.field, v); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case sp.Limit == 0:
		sp.Limit = DefaultLimit
	case sp.Limit < 0 || sp.Limit > MaxLimit:
		return nil, &QueryError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	if sp.Offset < 0 || sp.Offset > 1_000_000 {
		return nil, &QueryError{"offset", "must be between 0 and 1000000"}
	}
	q.Limit, q.Offset = sp.Limit, sp.Offset
	res, err := s.store.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &SearchResult{Items: res.Items, Total: res.Total, Limit: sp.Limit, Offset: sp.Offset, Facets: res.Facets}
	if out.Items == nil {
		out.Items = []Summary{}
	}
	for i := range out.Items {
		s.addLinks(&out.Items[i])
	}
	out.Facets.Domain = SortFacet(out.Facets.Domain, MaxFacetValues)
	out.Facets.Owner = SortFacet(out.Facets.Owner, MaxFacetValues)
	out.Facets.Tag = SortFacet(out.Facets.Tag, MaxFacetValues)
	out.Facets.Status = SortFacet(out.Facets.Status, 0)
	return out, nil
}

// addLinks adds the catalog's own link to a summary.
func (s *Server) addLinks(sum *Summary) {
	if sum.Links == nil {
		sum.Links = map[string]string{}
	}
	sum.Links["catalog"] = s.apiURL("products", sum.Domain, sum.Name)
	if sum.Tags == nil {
		sum.Tags = []string{}
	}
}

func (s *Server) apiURL(parts ...string) string {
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return s.URL() + "/api/" + strings.Join(parts, "/")
}

// ProductDetail is the answer of GET /api/products/{domain}/{name}: the
// latest version's summary and contract, every version with the nodes
// serving it, and the products consuming it.
type ProductDetail struct {
	Summary
	Inputs     []Input        `json:"inputs"`
	Transform  string         `json:"transform,omitempty"`
	PrimaryKey []string       `json:"primaryKey,omitempty"`
	Schema     []Column       `json:"schema"`
	SLA        SLA            `json:"sla,omitzero"`
	Versions   []VersionEntry `json:"versions"`
	Consumers  []Consumer     `json:"consumers"`
}

// VersionEntry is one version of a product and the nodes serving it.
type VersionEntry struct {
	ID          string            `json:"id"`
	Version     string            `json:"version"`
	Major       int               `json:"major"`
	Status      string            `json:"status"`
	Source      string            `json:"source"`
	PublishedAt time.Time         `json:"publishedAt"`
	ContentHash string            `json:"contentHash"`
	Nodes       []Serving         `json:"nodes"`
	Links       map[string]string `json:"links"`
}

// Consumer is a product with an input reading another.
type Consumer struct {
	ID     string `json:"id"` // domain/name
	Domain string `json:"domain"`
	Name   string `json:"name"`
	Title  string `json:"title,omitempty"`
	Owner  Owner  `json:"owner"`
	Status string `json:"status,omitempty"`
	// Versions are the consumer's versions with such an input, and Ranges
	// the version ranges they ask for.
	Versions []string `json:"versions"`
	Ranges   []string `json:"ranges"`
}

// Product returns a product's detail, or a 404 problem.
func (s *Server) Product(ctx context.Context, domain, name string) (*ProductDetail, error) {
	versions, err := s.versions(ctx, domain, name)
	if err != nil {
		return nil, err
	}
	latest := versions[len(versions)-1]
	for _, v := range versions {
		if v.Latest {
			latest = v
		}
	}
	serving, err := s.store.Serving(ctx, domain, name)
	if err != nil {
		return nil, err
	}
	d := &ProductDetail{
		Summary: summaryOf(latest, serving), Inputs: latest.Inputs, Transform: latest.Transform,
		PrimaryKey: latest.PrimaryKey, Schema: latest.Schema, SLA: latest.SLA,
		Versions: []VersionEntry{}, Consumers: []Consumer{},
	}
	s.addLinks(&d.Summary)
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		e := VersionEntry{ID: v.ID(), Version: v.Version, Major: v.Major, Status: v.Status, Source: v.Source,
			PublishedAt: v.PublishedAt, ContentHash: v.ContentHash, Nodes: []Serving{},
			Links: map[string]string{"catalog": s.apiURL("products", domain, name, v.Version)}}
		for _, sv := range serving {
			if sv.Version == v.Version {
				e.Nodes = append(e.Nodes, sv)
			}
		}
		d.Versions = append(d.Versions, e)
	}
	edges, err := s.store.Edges(ctx, []Key{{domain, name}}, Downstream)
	if err != nil {
		return nil, err
	}
	if d.Consumers, err = s.consumers(ctx, edges); err != nil {
		return nil, err
	}
	return d, nil
}

// ProductVersion returns one version with its descriptor, or a 404
// problem.
func (s *Server) ProductVersion(ctx context.Context, domain, name, version string) (*Product, error) {
	p, err := s.store.Product(ctx, domain, name, version)
	if errors.Is(err, ErrNotFound) {
		if _, err := s.versions(ctx, domain, name); err != nil {
			return nil, err
		}
		return nil, problem.NotFoundf("%s/%s has no version %q (versions: %s)", domain, name, version, s.versionList(ctx, domain, name))
	}
	return p, err
}

// versions returns a product's versions, or a 404 problem when it has none.
func (s *Server) versions(ctx context.Context, domain, name string) ([]*Product, error) {
	if !descriptor.NamePattern.MatchString(domain) || !descriptor.NamePattern.MatchString(name) {
		return nil, problem.NotFoundf("no product %s/%s: product names are lowercase words with dashes", domain, name)
	}
	vs, err := s.store.Versions(ctx, domain, name)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, problem.NotFoundf("no product %s/%s in the catalog", domain, name)
	}
	return vs, nil
}

func (s *Server) versionList(ctx context.Context, domain, name string) string {
	vs, _ := s.store.Versions(ctx, domain, name)
	var out []string
	for _, v := range vs {
		out = append(out, v.Version+" "+v.Status)
	}
	return strings.Join(out, ", ")
}

// consumers groups downstream edges by consuming product.
func (s *Server) consumers(ctx context.Context, edges []Edge) ([]Consumer, error) {
	byKey := map[Key]*Consumer{}
	var keys []Key
	for _, e := range edges {
		c := byKey[e.From]
		if c == nil {
			c = &Consumer{ID: e.From.String(), Domain: e.From.Domain, Name: e.From.Name, Versions: []string{}, Ranges: []string{}}
			byKey[e.From] = c
			keys = append(keys, e.From)
		}
		c.Versions = appendNew(c.Versions, e.FromVersion)
		c.Ranges = appendNew(c.Ranges, e.Range)
	}
	sums, err := s.store.Summaries(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := []Consumer{}
	for _, k := range keys {
		c := byKey[k]
		if sum, ok := sums[k]; ok {
			c.Title, c.Owner, c.Status = sum.Title, sum.Owner, sum.Status
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// summaryOf makes a summary of one version, with the best node serving it.
func summaryOf(p *Product, serving []Serving) Summary {
	sum := Summary{
		ID: p.ID(), Domain: p.Domain, Name: p.Name, Version: p.Version, Major: p.Major,
		Title: p.Title, Description: p.Description, Owner: p.Owner, Tags: p.Tags,
		ServingMode: p.ServingMode, Status: p.Status, Links: map[string]string{},
	}
	for _, sv := range serving { // available first
		if sv.Version == p.Version {
			sum.URL = sv.URL
			for k, v := range sv.Links {
				sum.Links[k] = v
			}
			break
		}
	}
	return sum
}

// Resolution is the answer of GET /api/resolve: the highest available
// version matching a range, and where to read it.
type Resolution struct {
	ID      string `json:"id"`
	Domain  string `json:"domain"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Major   int    `json:"major"`
	Range   string `json:"range"`
	// URL is the product's base URL on the node (data is at
	// URL/v{major}/data); Node and NodeURL name the node.
	URL     string            `json:"url"`
	Node    string            `json:"node"`
	NodeURL string            `json:"nodeUrl"`
	Links   map[string]string `json:"links,omitempty"`
}

// Resolve finds the highest version matching ref that an available node
// serves, or answers a 404 problem saying which versions exist.
func (s *Server) Resolve(ctx context.Context, ref descriptor.Ref) (*Resolution, error) {
	vs, err := s.store.Versions(ctx, ref.Domain, ref.Name)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, problem.NotFoundf("no product %s/%s in the catalog", ref.Domain, ref.Name)
	}
	serving, err := s.store.Serving(ctx, ref.Domain, ref.Name)
	if err != nil {
		return nil, err
	}
	SortVersions(vs)
	var seen []string
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if !ref.Matches(v.Version) {
			continue
		}
		for _, sv := range serving {
			if sv.Version == v.Version && sv.Available {
				return &Resolution{ID: v.ID(), Domain: v.Domain, Name: v.Name, Version: v.Version, Major: v.Major,
					Range: ref.Range, URL: sv.URL, Node: sv.Node, NodeURL: sv.NodeURL, Links: sv.Links}, nil
			}
		}
	}
	for _, v := range vs {
		st := v.Status
		if st == StatusPublished {
			st = "published, no node serves it"
		}
		seen = append(seen, fmt.Sprintf("%s (%s)", v.Version, st))
	}
	return nil, problem.NotFoundf("no available version of %s/%s matches %q; versions: %s",
		ref.Domain, ref.Name, ref.Range, strings.Join(seen, ", "))
}

// SortVersions orders versions by semantic version, lowest first.
func SortVersions(vs []*Product) {
	sort.SliceStable(vs, func(i, j int) bool { return versionLess(vs[i].Version, vs[j].Version) })
}

func versionLess(a, b string) bool {
	va, ea := semver.NewVersion(a)
	vb, eb := semver.NewVersion(b)
	if ea != nil || eb != nil {
		return a < b
	}
	return va.LessThan(vb)
}

// LatestVersion returns the highest semantic version in vs (for stores).
func LatestVersion(vs []string) string {
	best := ""
	for _, v := range vs {
		if best == "" || versionLess(best, v) {
			best = v
		}
	}
	return best
}

// Domains lists the domains.
func (s *Server) Domains(ctx context.Context) ([]Domain, error) {
	ds, err := s.store.Domains(ctx)
	if ds == nil {
		ds = []Domain{}
	}
	return ds, err
}

// Nodes lists the nodes.
func (s *Server) Nodes(ctx context.Context) ([]Node, error) {
	ns, err := s.store.Nodes(ctx)
	if ns == nil {
		ns = []Node{}
	}
	return ns, err
}

// Node returns one node, or a 404 problem.
func (s *Server) Node(ctx context.Context, name string) (*Node, error) {
	n, err := s.store.Node(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, problem.NotFoundf("no node %q registered", name)
	}
	return n, err
}
