package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/datamesh/datamesh/descriptor"
)

// Where a product version's record came from.
const (
	SourcePublish = "publish" // POST /api/publish (docs-as-code, from CI)
	SourceNode    = "node"    // a node's self-description, when it registered
)

// A product version's status in the catalog.
const (
	StatusAvailable   = "available"   // an available node serves it
	StatusUnavailable = "unavailable" // only nodes that stopped heartbeating serve it
	StatusPublished   = "published"   // known from a publish; no node serves it
)

// Statuses lists the statuses, in the order facets show them.
var Statuses = []string{StatusAvailable, StatusUnavailable, StatusPublished}

// Key names a product across its versions: domain/name.
type Key struct {
	Domain string `json:"domain"`
	Name   string `json:"name"`
}

func (k Key) String() string { return k.Domain + "/" + k.Name }

// Product is one version of a data product as the catalog records it: the
// public part of its descriptor, and where the record came from.
type Product struct {
	Domain      string   `json:"domain"`
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Major       int      `json:"major"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Owner       Owner    `json:"owner"`
	Tags        []string `json:"tags,omitempty"`
	Inputs      []Input  `json:"inputs"`
	// Transform is the SQL computing the product.
	Transform   string   `json:"transform,omitempty"`
	PrimaryKey  []string `json:"primaryKey,omitempty"`
	Schema      []Column `json:"schema"`
	ServingMode string   `json:"servingMode,omitempty"`
	SLA         SLA      `json:"sla,omitzero"`

	// Descriptor is the YAML as published (empty for a record that came
	// from a node), and File the path it was published under.
	Descriptor string `json:"descriptor,omitempty"`
	File       string `json:"file,omitempty"`
	// ContentHash identifies the contract (see Hash); two records of the
	// same version with the same hash are the same product.
	ContentHash string    `json:"contentHash"`
	PublishedAt time.Time `json:"publishedAt"`
	Source      string    `json:"source"`
	// Partial marks a record made from a node's list of versions alone
	// (no schema, no inputs): any fuller record replaces it.
	Partial bool `json:"partial,omitempty"`

	// Status and Latest are set by the store when reading.
	Status string `json:"status,omitempty"`
	Latest bool   `json:"latest,omitempty"`
}

// ID is domain/name@version.
func (p *Product) ID() string { return p.Domain + "/" + p.Name + "@" + p.Version }

// Key is the product's domain/name.
func (p *Product) Key() Key { return Key{p.Domain, p.Name} }

// Owner is the team accountable for a product.
type Owner = descriptor.Owner

// Column is an output column, with ODCS field names as in a descriptor.
type Column struct {
	Name           string `json:"name"`
	LogicalType    string `json:"logicalType"`
	Description    string `json:"description,omitempty"`
	Required       bool   `json:"required,omitempty"`
	Unique         bool   `json:"unique,omitempty"`
	PrimaryKey     bool   `json:"primaryKey,omitempty"`
	Classification string `json:"classification,omitempty"`
	Examples       []any  `json:"examples,omitempty"`
	// PhysicalType is the engine's type, when a node reported it.
	PhysicalType string `json:"physicalType,omitempty"`
}

// Input is one input of a product. A product input has Ref
// (domain/name@range); any other has Source, the lineage node it reads
// ("file:data/flights.parquet", "sqlite:data/sales.db#orders").
type Input struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Options map[string]any `json:"options,omitempty"`
	Ref     string         `json:"ref,omitempty"`
	Source  string         `json:"source,omitempty"`
}

// SLA is what the owners promise, as written ("200ms", "24h", "99.9%").
type SLA struct {
	LatencyP99   string `json:"latencyP99,omitempty"`
	Freshness    string `json:"freshness,omitempty"`
	Availability string `json:"availability,omitempty"`
}

// Summary is a product as lists show it: the fields of a node's GET
// /products item, plus the URL of a node serving it and its status.
type Summary struct {
	ID          string            `json:"id"`
	Domain      string            `json:"domain"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Major       int               `json:"major"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Owner       Owner             `json:"owner"`
	Tags        []string          `json:"tags"`
	ServingMode string            `json:"servingMode,omitempty"`
	Links       map[string]string `json:"links"`
	// URL is the product's base URL on a node that serves this version
	// (an available one first); empty when none does.
	URL    string `json:"url,omitempty"`
	Status string `json:"status"`
}

// Node is a node of the mesh, as it registered.
type Node struct {
	Name          string    `json:"name"`
	URL           string    `json:"url"`
	Domains       []string  `json:"domains"`
	RegisteredAt  time.Time `json:"registeredAt"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	Available     bool      `json:"available"`
	Products      []string  `json:"products"` // ids served
}

// Served is one product version a node serves, as the node described it.
type Served struct {
	Product *Product
	// URL is the product's base URL on the node; Links its links there
	// (self, data, schema).
	URL   string
	Links map[string]string
	// Status is what the node reports (state, freshness, quality, ...),
	// kept as given.
	Status json.RawMessage
}

// Serving is a node serving one product version.
type Serving struct {
	Node          string            `json:"node"`
	NodeURL       string            `json:"nodeUrl"`
	Version       string            `json:"version"`
	URL           string            `json:"url"`
	Links         map[string]string `json:"links,omitempty"`
	Available     bool              `json:"available"`
	LastHeartbeat time.Time         `json:"lastHeartbeat"`
	Status        json.RawMessage   `json:"status,omitempty"`
}

// ProductStatus is a status a node reports for one of its products in a
// heartbeat.
type ProductStatus struct {
	ID     string          `json:"id"`
	Status json.RawMessage `json:"status"`
}

// Edge is one input of one product version: to another product (To and
// Range) or from a source (Source).
type Edge struct {
	From        Key    `json:"from"`
	FromVersion string `json:"fromVersion"`
	Input       string `json:"input"`
	Kind        string `json:"kind"`
	To          Key    `json:"to,omitzero"`
	Range       string `json:"range,omitempty"`
	Source      string `json:"source,omitempty"`
}

// Domain is a domain of the mesh with its products' owners.
type Domain struct {
	Name     string   `json:"name"`
	Products int      `json:"products"`
	Owners   []string `json:"owners"`
}

// Hash identifies a product's contract: every field a consumer relies on
// (not where or when it was recorded, nor the engine's physical types), so
// that re-publishing a descriptor with other comments or layout is
// recognised as the same.
func Hash(p *Product) string {
	c := *p
	c.Descriptor, c.File, c.ContentHash, c.Source, c.Status = "", "", "", "", ""
	c.PublishedAt, c.Latest, c.Partial = time.Time{}, false, false
	c.Schema = make([]Column, len(p.Schema))
	for i, col := range p.Schema {
		col.PhysicalType = ""
		c.Schema[i] = col
	}
	if c.ServingMode == "" {
		c.ServingMode = descriptor.ModeLive
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Options hold YAML values only; this cannot happen, but a hash
		// must never collide with another product's.
		b = []byte(fmt.Sprintf("%#v", c))
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// FromDescriptor makes the catalog's record of a parsed descriptor whose
// YAML is raw.
func FromDescriptor(d *descriptor.Product, raw []byte) *Product {
	p := &Product{
		Domain: d.Domain, Name: d.Name, Version: d.Version, Major: d.Major(),
		Title: d.Title, Description: d.Description, Owner: d.Owner, Tags: d.Tags,
		Transform: d.Transform.SQL, PrimaryKey: d.Output.PrimaryKey, ServingMode: d.Serving.Mode,
		Descriptor: string(raw), File: d.File, Source: SourcePublish,
		Inputs: []Input{}, Schema: []Column{},
	}
	if p.ServingMode == "" {
		p.ServingMode = descriptor.ModeLive
	}
	if d.SLA.LatencyP99 != 0 {
		p.SLA.LatencyP99 = shortDuration(time.Duration(d.SLA.LatencyP99))
	}
	if d.SLA.Freshness != 0 {
		p.SLA.Freshness = shortDuration(time.Duration(d.SLA.Freshness))
	}
	p.SLA.Availability = d.SLA.Availability
	for _, in := range d.Inputs {
		p.Inputs = append(p.Inputs, NewInput(in.Name, in.Kind, in.Options))
	}
	for _, c := range d.Output.Schema {
		p.Schema = append(p.Schema, Column{
			Name: c.Name, LogicalType: string(c.LogicalType), Description: c.Description,
			Required: c.Required, Unique: c.Unique, PrimaryKey: c.PrimaryKey,
			Classification: c.Classification, Examples: c.Examples,
		})
	}
	p.ContentHash = Hash(p)
	return p
}

// shortDuration writes 24h rather than Go's 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// NewInput makes an input and works out what it points at: the product
// reference of a product input, or the source of any other.
func NewInput(name, kind string, options map[string]any) Input {
	in := Input{Name: name, Kind: kind, Options: options}
	if kind == "product" {
		in.Ref, _ = options["ref"].(string)
	} else {
		in.Source = SourceID(kind, options)
	}
	return in
}

// SourceID names the source an input reads, as a lineage node:
// "file:data/flights.parquet", "sqlite:data/sales.db#orders",
// "postgres:SALES_DSN#orders". Relative paths are relative to the
// descriptor of the product reading them.
func SourceID(kind string, options map[string]any) string {
	str := func(k string) string {
		s, _ := options[k].(string)
		return s
	}
	with := func(main, sub string) string {
		if sub == "" {
			return kind + ":" + main
		}
		return kind + ":" + main + "#" + sub
	}
	firstOf := func(keys ...string) string {
		for _, k := range keys {
			if s := str(k); s != "" {
				return s
			}
		}
		return ""
	}
	switch kind {
	case "file":
		return kind + ":" + str("path")
	case "sqlite":
		return with(str("path"), firstOf("table", "query"))
	case "postgres", "mysql":
		return with(str("dsnEnv"), firstOf("table", "query"))
	case "redis":
		return with(str("urlEnv"), str("keys"))
	case "nats":
		return with(firstOf("urlEnv"), firstOf("stream", "subject"))
	case "http":
		return kind + ":" + str("url")
	}
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, options[k]))
	}
	return kind + ":" + strings.Join(parts, ",")
}
