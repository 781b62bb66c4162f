// Package openapi describes a node's protocol v1 API for machines and for
// people: the JSON Schema of a product's row (RowSchema), the node's OpenAPI
// 3.1 document (Document) and a self-contained HTML page (Page).
//
// It knows nothing about engines or servers: the node gives it a Node and
// the list of Products it serves, one entry per product and major version,
// and writes the results out at GET /products/{name}/v{major}/schema,
// GET /openapi.json and GET /docs. Only descriptor and problem are imported.
//
// Every function is deterministic (same input, same output) and safe for
// concurrent use; a caller may cache the results until its products change.
package openapi

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/datamesh/datamesh/descriptor"
)

// Node is the node being described.
type Node struct {
	// Name is the node's name, shown as the document's and page's title.
	Name string
	// Domains are the domains whose products the node serves.
	Domains []string
	// BaseURL is the address clients reach the node at, without a trailing
	// slash ("http://localhost:8080"). It may be empty: the document then
	// has no servers entry (paths are relative to where it was fetched) and
	// the page's curl lines use the shell variable $NODE.
	BaseURL string
	// ProtocolVersion is the protocol the node speaks ("1"); empty means "1".
	ProtocolVersion string
}

// Product is one major version of a data product, as far as its API goes.
type Product struct {
	Name        string
	Major       int
	Version     string // full semantic version, "1.2.0"
	Domain      string
	Title       string
	Description string
	Owner       descriptor.Owner
	Tags        []string
	// Columns is the declared output schema, in order.
	Columns []descriptor.Column
	// PrimaryKey names the key columns; they are required, like the
	// columns whose PrimaryKey flag is set.
	PrimaryKey []string
	// Deprecated marks a major version that has a successor; its
	// operations carry deprecated: true.
	Deprecated bool
	// Sunset is when a deprecated version stops being served, as the Sunset
	// header carries it or as a date ("2026-01-31"); empty if not announced.
	Sunset string
	// Mode is the serving mode (live, materialized, async); a materialized
	// product has a refresh endpoint.
	Mode string
	// Stream marks a product that follows an event stream (GET .../stream).
	Stream bool
}

// FromDescriptor returns the API view of a descriptor. Deprecated and Sunset
// are not part of a descriptor: the caller sets them.
func FromDescriptor(d *descriptor.Product) Product {
	return Product{
		Name:        d.Name,
		Major:       d.Major(),
		Version:     d.Version,
		Domain:      d.Domain,
		Title:       d.Title,
		Description: d.Description,
		Owner:       d.Owner,
		Tags:        d.Tags,
		Columns:     d.Output.Schema,
		PrimaryKey:  d.Output.PrimaryKey,
		Mode:        d.Serving.Mode,
		Stream:      len(d.Inputs) == 1 && d.Inputs[0].Kind == "nats",
	}
}

// ID is the product's identifier across the mesh: domain/name@version.
func (p Product) ID() string { return p.Domain + "/" + p.Name + "@" + p.Version }

// Path is the product major's base path, "/products/<name>/v<major>".
func (p Product) Path() string {
	return "/products/" + p.Name + "/v" + strconv.Itoa(p.Major)
}

// RowSchemaName is the key of the product's row schema under the OpenAPI
// document's components/schemas: "DelaysByAirportV1Row" for
// delays-by-airport v1. (Document makes keys unique if two products map to
// the same name; this is the first choice.)
func RowSchemaName(p Product) string {
	return pascal(p.Name) + "V" + strconv.Itoa(p.Major) + "Row"
}

// required reports whether a column may never be null: declared required
// or part of the primary key.
func (p Product) required(c descriptor.Column) bool {
	if c.Required || c.PrimaryKey {
		return true
	}
	for _, k := range p.PrimaryKey {
		if k == c.Name {
			return true
		}
	}
	return false
}

func (p Product) title() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name + " v" + strconv.Itoa(p.Major)
}

// pascal turns a product name into an identifier: "delays-by-airport" ->
// "DelaysByAirport". Characters other than ASCII letters and digits split
// words and are dropped, so that the result fits component keys
// (^[a-zA-Z0-9.\-_]+$) and operation ids.
func pascal(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Product"
	}
	return b.String()
}

// example normalizes a declared example to its JSON form: YAML decodes
// unquoted dates and timestamps to time.Time, which a date column shows as
// "2024-01-31", not as a midnight timestamp.
func example(v any, t descriptor.LogicalType) any {
	tm, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch t {
	case descriptor.Date:
		return tm.Format(time.DateOnly)
	case descriptor.Time:
		return tm.Format(time.TimeOnly)
	}
	return tm.Format(time.RFC3339Nano)
}

func examples(c descriptor.Column) []any {
	if len(c.Examples) == 0 {
		return nil
	}
	out := make([]any, len(c.Examples))
	for i, v := range c.Examples {
		out[i] = example(v, c.LogicalType)
	}
	return out
}
