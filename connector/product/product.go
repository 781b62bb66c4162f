// Package product reads another data product, on any node of the mesh, by
// domain/name@range: resolved through the catalog (or a node URL given in
// the descriptor), fetched over the protocol as Arrow with only the columns
// the transform uses and the filters the input declares, and kept as a
// table that is read again when older than maxAge.
package product

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/datamesh/datamesh/client"
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
				Description: "base URL of a node serving the product, used instead of asking the catalog", Example: "http://127.0.0.1:8081"},
			{Name: "filter", Type: connector.TypeMap,
				Description: "filters sent to the upstream node (predicate pushdown), in the protocol's syntax: column: op.value, or a list of them", Example: "{state: eq.CA}"},
			{Name: "maxAge", Type: connector.TypeString,
				Description: "how long a read of the upstream product is reused before a request reads it again (default 10s; 0s reads on every request)", Example: "1m"},
			{Name: "timeout", Type: connector.TypeString,
				Description: "how long to wait for the upstream node to answer (default 30s)", Example: "5s"},
		},
		New: New,
	})
}

// Product is an input read from another data product.
type Product struct {
	Ref     descriptor.Ref
	URL     string
	Filters url.Values
	Columns []string // used by the transform; nil: all
	maxAge  time.Duration
	client  *client.Client
	resolve connector.Resolver
}

var _ connector.Refresher = (*Product)(nil)

// New parses the options.
func New(c connector.Config) (connector.Connector, error) {
	s, _ := c.Options["ref"].(string)
	ref, err := descriptor.ParseRef(s)
	if err != nil {
		return nil, &connector.OptionError{Option: "ref", Msg: err.Error()}
	}
	p := &Product{Ref: ref, Filters: url.Values{}, Columns: c.Columns, resolve: c.Resolver, maxAge: 10 * time.Second}
	if u, ok := c.Options["url"].(string); ok {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, &connector.OptionError{Option: "url", Msg: "must be an http:// or https:// URL of a node"}
		}
		p.URL = u
	}
	if f, ok := c.Options["filter"].(map[string]any); ok {
		for col, v := range f {
			switch x := v.(type) {
			case string:
				p.Filters.Add(col, x)
			case []any:
				for _, e := range x {
					s, ok := e.(string)
					if !ok {
						return nil, &connector.OptionError{Option: "filter", Msg: fmt.Sprintf("%s: give op.value strings, such as eq.CA", col)}
					}
					p.Filters.Add(col, s)
				}
			default:
				return nil, &connector.OptionError{Option: "filter", Msg: fmt.Sprintf("%s: give op.value, such as eq.CA", col)}
			}
		}
	}
	if p.maxAge, err = duration(c.Options, "maxAge", p.maxAge); err != nil {
		return nil, err
	}
	timeout, err := duration(c.Options, "timeout", 30*time.Second)
	if err != nil {
		return nil, err
	}
	p.client = client.New(client.Options{Timeout: timeout})
	return p, nil
}

func duration(opts map[string]any, name string, def time.Duration) (time.Duration, error) {
	s, ok := opts[name].(string)
	if !ok {
		return def, nil
	}
	d, err := descriptor.ParseDuration(s)
	if err != nil {
		return 0, &connector.OptionError{Option: name, Msg: err.Error()}
	}
	return time.Duration(d), nil
}

// String names the upstream product.
func (p *Product) String() string { return p.Ref.String() }

// MaxAge is how long a read is reused.
func (p *Product) MaxAge() time.Duration { return p.maxAge }

// Bind reads the upstream product into the table rel. Every failure is
// connector.ErrUnavailable: the consuming product waits for its upstream
// rather than failing the node.
func (p *Product) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	base, err := p.locate(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", connector.ErrUnavailable, p.Ref, err)
	}
	desc, err := p.client.Product(ctx, base, p.Ref.Name)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", connector.ErrUnavailable, p.Ref, err)
	}
	major, err := p.major(desc)
	if err != nil {
		return fmt.Errorf("%w: %s at %s: %w", connector.ErrUnavailable, p.Ref, base, err)
	}
	q := client.Query{Select: p.pushdown(desc.Schema), Filters: p.Filters}
	err = p.client.Arrow(ctx, base, p.Ref.Name, major, q, func(rr array.RecordReader) error {
		return e.LoadArrow(ctx, rel, rr)
	})
	if err != nil {
		return fmt.Errorf("%w: %s at %s: %w", connector.ErrUnavailable, p.Ref, base, err)
	}
	return nil
}

// locate returns the base URL of a node serving the product.
func (p *Product) locate(ctx context.Context) (string, error) {
	if p.URL != "" {
		return p.URL, nil
	}
	if p.resolve == nil {
		return "", fmt.Errorf("no url given and no catalog to resolve it (serve with --catalog, or give the input a url)")
	}
	_, base, err := p.resolve.Resolve(ctx, p.Ref.String())
	return base, err
}

// major picks the highest major the node serves whose version matches the
// range.
func (p *Product) major(d *client.Description) (int, error) {
	if d.Domain != "" && d.Domain != p.Ref.Domain {
		return 0, fmt.Errorf("the node serves %s/%s, not %s/%s", d.Domain, d.Name, p.Ref.Domain, p.Ref.Name)
	}
	type cand struct {
		v     *semver.Version
		major int
	}
	var cands []cand
	var served []string
	for _, v := range d.Versions {
		served = append(served, v.Version)
		if sv, err := semver.NewVersion(v.Version); err == nil && p.Ref.Matches(v.Version) {
			cands = append(cands, cand{sv, v.Major})
		}
	}
	if len(cands) == 0 && len(d.Versions) == 0 && p.Ref.Matches(d.Version) {
		return d.Major, nil
	}
	if len(cands) == 0 {
		return 0, fmt.Errorf("no version matches %s (served: %v)", p.Ref.Range, served)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].v.GreaterThan(cands[j].v) })
	return cands[0].major, nil
}

// pushdown returns the upstream columns the transform uses, in upstream
// order; nil (all) when the transform's use is unknown.
func (p *Product) pushdown(schema []client.Column) []string {
	if p.Columns == nil {
		return nil
	}
	var cols []string
	for _, c := range schema {
		if slices.Contains(p.Columns, c.Name) {
			cols = append(cols, c.Name)
		}
	}
	if len(cols) == 0 && len(schema) > 0 {
		cols = []string{schema[0].Name} // count(*) and the like: rows, not columns
	}
	return cols
}
