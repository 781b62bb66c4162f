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
	State  string `json:"state"` // available | unavailable
	Reason string `json:"reason,omitempty"`
}

// description is the full self-description, GET /products/{name}.
type description struct {
	summary
	Inputs     []input              `json:"inputs"`
	Transform  descriptor.Transform `json:"transform"`
	PrimaryKey []string             `json:"primaryKey,omitempty"`
	Schema     []column             `json:"schema"`
	SLA        descriptor.SLA       `json:"sla,omitzero"`
	Versions   []version            `json:"versions"`
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
		Mode: mode, Status: statusOf(p), Links: n.links(p),
	}
}

func (n *Node) describe(p *engine.Product) description {
	d := p.Desc
	out := description{
		summary:    n.summarize(p),
		Transform:  d.Transform,
		PrimaryKey: d.Output.PrimaryKey,
		SLA:        d.SLA,
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
			Version: v.Desc.Version, Major: v.Desc.Major(), Status: statusOf(v), Links: n.links(v),
		})
	}
	return out
}
