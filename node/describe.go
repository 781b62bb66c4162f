//go:build duckdb_arrow

package node

import (
	"fmt"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// summary is a product in GET /products (DESIGN: id, domain, name,
// version, title, links at least).
type summary struct {
	ID          string            `json:"id"`
	Domain      string            `json:"domain"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Major       int               `json:"major"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Owner       descriptor.Owner  `json:"owner"`
	Tags        []string          `json:"tags,omitempty"`
	Mode        string            `json:"servingMode"`
	Status      status            `json:"status"`
	Links       map[string]string `json:"links"`
}

type status struct {
	State  string `json:"state"` // available | degraded | unavailable
	Reason string `json:"reason,omitempty"`
}

// description is the full self-description, GET /products/{name}.
type description struct {
	summary
	Inputs     []input              `json:"inputs"`
	Transform  descriptor.Transform `json:"transform"`
	PrimaryKey []string             `json:"primaryKey,omitempty"`
	Schema     []column             `json:"schema"`
	SLA        SLAReport            `json:"sla"`
	// Serving is the state of a materialized product: its snapshot and
	// refreshes (materialize.go).
	Serving  *ServingStatus `json:"serving,omitempty"`
	Versions []version      `json:"versions"`
}

type input struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Options map[string]any `json:"options,omitempty"`
}

type column struct {
	descriptor.Column
	PhysicalType string `json:"physicalType,omitempty"`
}

type version struct {
	Version string            `json:"version"`
	Major   int               `json:"major"`
	Status  status            `json:"status"`
	Links   map[string]string `json:"links"`
}

func (n *Node) links(p *engine.Product) map[string]string {
	base := fmt.Sprintf("%s/products/%s", n.opts.BaseURL, p.Desc.Name)
	major := fmt.Sprintf("%s/v%d", base, p.Desc.Major())
	return map[string]string{"self": base, "data": major + "/data", "schema": major + "/schema"}
}

// productStatus is statusOf, or for a materialized product the state of
// its snapshot: it serves, maybe degraded, whether its inputs can be read
// now or not.
func (n *Node) productStatus(p *engine.Product) status {
	if m := n.materializedOf(p); m != nil {
		return m.state()
	}
	return statusOf(p)
}

func statusOf(p *engine.Product) status {
	if reason := p.Unavailable(); reason != "" {
		return status{State: "unavailable", Reason: reason}
	}
	return status{State: "available"}
}

func (n *Node) summarize(p *engine.Product) summary {
	d := p.Desc
	mode := d.Serving.Mode
	if mode == "" {
		mode = descriptor.ModeLive
	}
	return summary{
		ID: d.ID(), Domain: d.Domain, Name: d.Name, Version: d.Version, Major: d.Major(),
		Title: d.Title, Description: d.Description, Owner: d.Owner, Tags: d.Tags,
		Mode: mode, Status: n.productStatus(p), Links: n.links(p),
	}
}

func (n *Node) describe(p *engine.Product) description {
	d := p.Desc
	out := description{
		summary:    n.summarize(p),
		Transform:  d.Transform,
		PrimaryKey: d.Output.PrimaryKey,
		SLA:        n.slaReport(p, n.now()),
		Inputs:     []input{},
	}
	for _, in := range d.Inputs {
		out.Inputs = append(out.Inputs, input{Name: in.Name, Kind: in.Kind, Options: in.Options})
	}
	for i, c := range d.Output.Schema {
		col := column{Column: c}
		if i < len(p.Columns) {
			col.PhysicalType = p.Columns[i].Type
		}
		out.Schema = append(out.Schema, col)
	}
	for _, v := range n.products.byName[d.Name] {
		out.Versions = append(out.Versions, version{
			Version: v.Desc.Version, Major: v.Desc.Major(), Status: n.productStatus(v), Links: n.links(v),
		})
	}
	if m := n.materializedOf(p); m != nil {
		sv := m.status(n.now())
		out.Serving = &sv
	}
	return out
}
