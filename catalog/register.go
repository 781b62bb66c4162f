package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/datamesh/datamesh/descriptor"
)

// Registration is the body of POST /api/nodes: a node, its base URL, and
// the products it serves as it describes them.
type Registration struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Products are the node's self-descriptions: the JSON of its GET
	// /products/{name}, or at least of an item of its GET /products.
	Products []NodeProduct `json:"products"`
}

// NodeProduct is a product as a node describes it (protocol v1, GET
// /products/{name}); the fields of a GET /products item are enough.
type NodeProduct struct {
	ID          string            `json:"id"`
	Domain      string            `json:"domain"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Major       int               `json:"major"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Owner       Owner             `json:"owner"`
	Tags        []string          `json:"tags,omitempty"`
	ServingMode string            `json:"servingMode,omitempty"`
	Status      json.RawMessage   `json:"status,omitempty"`
	Links       map[string]string `json:"links,omitempty"`
	Inputs      []NodeInput       `json:"inputs,omitempty"`
	Transform   struct {
		SQL string `json:"sql,omitempty"`
	} `json:"transform,omitzero"`
	PrimaryKey []string `json:"primaryKey,omitempty"`
	// Schema is absent from a GET /products item: the record is then
	// partial, and any fuller one replaces it.
	Schema []Column `json:"schema,omitempty"`
	SLA    NodeSLA  `json:"sla,omitzero"`
	// Serving is the state of a materialized product (snapshot,
	// refreshes), kept as given.
	Serving  json.RawMessage `json:"serving,omitempty"`
	Versions []NodeVersion   `json:"versions,omitempty"`
}

// NodeSLA is the SLA as a node reports it: the objectives, and what it
// measured (kept as given).
type NodeSLA struct {
	SLA
	Measured json.RawMessage `json:"measured,omitempty"`
}

// NodeInput is an input as a node describes it.
type NodeInput struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Options map[string]any `json:"options,omitempty"`
}

// NodeVersion is another version a node serves beside the one described.
type NodeVersion struct {
	Version string            `json:"version"`
	Major   int               `json:"major"`
	Status  json.RawMessage   `json:"status,omitempty"`
	Links   map[string]string `json:"links,omitempty"`
}

// RegisterResult answers a registration.
type RegisterResult struct {
	Node     string   `json:"node"`
	Products []string `json:"products"`
	// TTL is how long the catalog waits for a heartbeat before marking
	// the node unavailable; heartbeat at a third of it.
	TTL               string `json:"ttl"`
	HeartbeatInterval string `json:"heartbeatInterval"`
}

// Heartbeat is the optional body of POST /api/nodes/{name}/heartbeat:
// statuses of the node's products (freshness, quality, ...).
type Heartbeat struct {
	Products []ProductStatus `json:"products,omitempty"`
}

// NodeNamePattern is what node names look like.
var NodeNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// RegisterNode records a node and what it serves, and marks it available.
// It returns an *InvalidError listing every problem of the registration.
func (s *Server) RegisterNode(ctx context.Context, reg Registration) (*RegisterResult, error) {
	served, node, err := reg.served(s.now())
	if err != nil {
		return nil, err
	}
	if err := s.store.RegisterNode(ctx, node, served, s.now()); err != nil {
		return nil, err
	}
	res := &RegisterResult{Node: node.Name, Products: []string{}, TTL: s.opts.HeartbeatTTL.String(),
		HeartbeatInterval: (s.opts.HeartbeatTTL / 3).String()}
	for _, sv := range served {
		res.Products = append(res.Products, sv.Product.ID())
	}
	s.log.Info("node registered", "node", node.Name, "url", node.URL, "products", len(served))
	return res, nil
}

// Heartbeat marks a node alive; ErrNotFound (404) tells it to register.
func (s *Server) Heartbeat(ctx context.Context, name string, hb Heartbeat) error {
	for _, st := range hb.Products {
		if len(st.Status) > 0 && !json.Valid(st.Status) {
			return &InvalidError{What: "heartbeat", Problems: descriptor.Problems{{Msg: "status of " + st.ID + " is not JSON"}}}
		}
	}
	return s.store.Heartbeat(ctx, name, hb.Products, s.now())
}

// served checks a registration and turns it into what the store records.
func (r Registration) served(now time.Time) ([]Served, Node, error) {
	var probs descriptor.Problems
	bad := func(path, format string, args ...any) {
		probs = append(probs, descriptor.Problem{Pos: descriptor.Pos{File: "registration"}, Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if !NodeNamePattern.MatchString(r.Name) {
		bad("name", "%q is not a node name: letters, digits, dots, dashes and underscores, at most 100", r.Name)
	}
	base := strings.TrimRight(r.URL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("url", "%q is not the node's base URL (http://host:port)", r.URL)
	}
	node := Node{Name: r.Name, URL: base, Domains: []string{}, RegisteredAt: now, LastHeartbeat: now, Available: true}
	var served []Served
	seen := map[string]bool{}
	add := func(s Served) {
		if id := s.Product.ID(); !seen[id] {
			seen[id] = true
			served = append(served, s)
		}
	}
	for i, np := range r.Products {
		at := fmt.Sprintf("products[%d]", i)
		ok := true
		if !descriptor.NamePattern.MatchString(np.Domain) {
			bad(at+".domain", "%q is not a domain name", np.Domain)
			ok = false
		}
		if !descriptor.NamePattern.MatchString(np.Name) {
			bad(at+".name", "%q is not a product name", np.Name)
			ok = false
		}
		v, err := descriptor.ParseVersion(np.Version)
		if err != nil {
			bad(at+".version", "%s", err)
			ok = false
		}
		for field, raw := range map[string]json.RawMessage{"status": np.Status, "sla.measured": np.SLA.Measured, "serving": np.Serving} {
			if len(raw) > 0 && !json.Valid(raw) {
				bad(at+"."+field, "is not JSON")
				ok = false
			}
		}
		if !ok {
			continue
		}
		p := np.product(v.Major)
		add(Served{Product: p, URL: productURL(base, np.Name, np.Links), Links: np.Links, Status: np.status()})
		if !contains(node.Domains, np.Domain) {
			node.Domains = append(node.Domains, np.Domain)
		}
		for j, nv := range np.Versions {
			if nv.Version == np.Version {
				continue
			}
			vv, err := descriptor.ParseVersion(nv.Version)
			if err != nil {
				bad(fmt.Sprintf("%s.versions[%d].version", at, j), "%s", err)
				continue
			}
			other := &Product{Domain: np.Domain, Name: np.Name, Version: nv.Version, Major: vv.Major,
				Title: np.Title, Owner: np.Owner, Inputs: []Input{}, Schema: []Column{}, Source: SourceNode, Partial: true}
			other.ContentHash = Hash(other)
			add(Served{Product: other, URL: productURL(base, np.Name, nv.Links), Links: nv.Links, Status: nv.Status})
		}
	}
	if len(probs) > 0 {
		return nil, node, &InvalidError{What: "registration", Problems: probs}
	}
	return served, node, nil
}

// status is what the catalog keeps of a node's report on a product: its
// status object, with the SLA measures under "sla" and the materialized
// state under "serving" when the node sent them.
func (np NodeProduct) status() json.RawMessage {
	if len(np.SLA.Measured) == 0 && len(np.Serving) == 0 {
		return np.Status
	}
	m := map[string]json.RawMessage{}
	if len(np.Status) > 0 && json.Unmarshal(np.Status, &m) != nil {
		m = map[string]json.RawMessage{"state": np.Status}
	}
	if len(np.SLA.Measured) > 0 {
		m["sla"] = np.SLA.Measured
	}
	if len(np.Serving) > 0 {
		m["serving"] = np.Serving
	}
	b, err := json.Marshal(m)
	if err != nil {
		return np.Status
	}
	return b
}

func (np NodeProduct) product(major int) *Product {
	p := &Product{
		Domain: np.Domain, Name: np.Name, Version: np.Version, Major: major,
		Title: np.Title, Description: np.Description, Owner: np.Owner, Tags: np.Tags,
		Transform: np.Transform.SQL, PrimaryKey: np.PrimaryKey, ServingMode: np.ServingMode,
		SLA: normalSLA(np.SLA.SLA), Source: SourceNode, Inputs: []Input{}, Schema: []Column{},
		Partial: np.Schema == nil,
	}
	if p.ServingMode == "" {
		p.ServingMode = descriptor.ModeLive
	}
	for _, in := range np.Inputs {
		p.Inputs = append(p.Inputs, NewInput(in.Name, in.Kind, in.Options))
	}
	p.Schema = append(p.Schema, np.Schema...)
	p.ContentHash = Hash(p)
	return p
}

// normalSLA writes durations as a descriptor would (24h, not 24h0m0s), so
// that a node's record hashes as the published one.
func normalSLA(s SLA) SLA {
	for _, d := range []*string{&s.LatencyP99, &s.Freshness} {
		if *d == "" {
			continue
		}
		if v, err := descriptor.ParseDuration(*d); err == nil {
			*d = shortDuration(time.Duration(v))
		}
	}
	return s
}

// productURL is a product's base URL on a node: its self link, or
// BASE/products/NAME.
func productURL(base, name string, links map[string]string) string {
	if self := links["self"]; self != "" {
		return self
	}
	return base + "/products/" + url.PathEscape(name)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
