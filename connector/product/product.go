// Package product declares inputs that read another data product, on any
// node of the mesh, by domain/name@range. This package parses and validates
// the reference; fetching it over the protocol comes with composition.
package product

import (
	"context"
	"fmt"
	"net/url"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/descriptor"
)

func init() {
	connector.Register(connector.Spec{
		Kind:      "product",
		Summary:   "another data product, by domain/name@range, on any node of the mesh",
		Shorthand: "ref",
		Options: []connector.Option{
			{Name: "ref", Type: connector.TypeString, Required: true,
				Description: "the product and the versions accepted: domain/name@range (^1, ~1.2, >=1.1 <2, 1.4.0)", Example: "geo/airports@^1"},
			{Name: "url", Type: connector.TypeString,
				Description: "base URL of a node serving the product, used when no catalog runs", Example: "http://127.0.0.1:8081"},
		},
		New: New,
	})
}

// Product is an input read from another data product.
type Product struct {
	Ref descriptor.Ref
	URL string
}

var _ connector.Connector = (*Product)(nil)

// ErrNotServed is returned by Bind until composition across nodes lands.
var ErrNotServed = fmt.Errorf("%w: product inputs are not served by this node yet (composition across nodes is not built)", connector.ErrUnavailable)

// New parses the reference and the optional URL.
func New(c connector.Config) (connector.Connector, error) {
	s, _ := c.Options["ref"].(string)
	ref, err := descriptor.ParseRef(s)
	if err != nil {
		return nil, &connector.OptionError{Option: "ref", Msg: err.Error()}
	}
	p := &Product{Ref: ref}
	if u, ok := c.Options["url"].(string); ok {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, &connector.OptionError{Option: "url", Msg: "must be an http:// or https:// URL of a node"}
		}
		p.URL = u
	}
	return p, nil
}

// Bind fails: see ErrNotServed.
func (p *Product) Bind(context.Context, connector.Engine, connector.Relation) error {
	return ErrNotServed
}
