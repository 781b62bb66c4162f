package catalog

import (
	"encoding/json"
	"strings"
)

// Helpers shared by the store implementations, so that both index and
// search the same way.

// SearchDoc is the text a full-text index holds for a product, by field.
// Stores weigh the fields: name and title most, then tags and domain,
// then description and owner, then columns.
type SearchDoc struct {
	Domain, Name, Title, Description, Tags, Owner, Columns string
}

// SearchText is what a store indexes for a version.
func SearchText(p *Product) SearchDoc {
	var cols []string
	for _, c := range p.Schema {
		cols = append(cols, c.Name)
		if c.Description != "" {
			cols = append(cols, c.Description)
		}
	}
	return SearchDoc{
		Domain:      IndexText(p.Domain),
		Name:        IndexText(p.Name),
		Title:       IndexText(p.Title),
		Description: IndexText(p.Description),
		Tags:        IndexText(strings.Join(p.Tags, " ")),
		Owner:       IndexText(p.Owner.Team + " " + p.Owner.Email),
		Columns:     IndexText(strings.Join(cols, " ")),
	}
}

// IndexText is text as indexed: its Words separated by spaces, so that
// every store's tokenizer sees the same words as queries are made of (no
// e-mail, URL or version tokens of its own).
func IndexText(s string) string { return strings.Join(Words(s), " ") }

// LowerTags returns a product's tags lowercased, without duplicates: what
// stores index for tag filters and facets.
func LowerTags(p *Product) []string {
	var out []string
	for _, t := range p.Tags {
		out = appendNew(out, strings.ToLower(t))
	}
	return out
}

// ParseID splits domain/name@version.
func ParseID(id string) (Key, string, bool) {
	path, version, ok := strings.Cut(id, "@")
	if !ok {
		return Key{}, "", false
	}
	domain, name, ok := strings.Cut(path, "/")
	if !ok {
		return Key{}, "", false
	}
	return Key{domain, name}, version, true
}

// TermWords splits each search term into words (see Words), dropping
// terms without any: a store matches every term, a term of several words
// as a phrase, the last word of each as a prefix.
func TermWords(terms []string) [][]string {
	var out [][]string
	for _, t := range terms {
		if ws := Words(t); len(ws) > 0 {
			if len(ws) > 16 {
				ws = ws[:16]
			}
			out = append(out, ws)
		}
	}
	return out
}

// Rows is what both stores' drivers return from a query (database/sql's
// *sql.Rows and pgx.Rows), for the scanners below that they share.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanSummaries reads rows of (id, domain, name, version, major, title,
// description, owner team, owner email, tags as JSON, serving mode,
// status), as both stores select them for search results.
func ScanSummaries(rows Rows) ([]int64, []Summary, error) {
	var (
		ids   []int64
		items []Summary
	)
	for rows.Next() {
		var (
			id   int64
			sum  Summary
			tags []byte
		)
		if err := rows.Scan(&id, &sum.Domain, &sum.Name, &sum.Version, &sum.Major, &sum.Title, &sum.Description,
			&sum.Owner.Team, &sum.Owner.Email, &tags, &sum.ServingMode, &sum.Status); err != nil {
			return nil, nil, err
		}
		_ = json.Unmarshal(tags, &sum.Tags)
		sum.ID = sum.Domain + "/" + sum.Name + "@" + sum.Version
		sum.Links = map[string]string{}
		ids = append(ids, id)
		items = append(items, sum)
	}
	return ids, items, rows.Err()
}

// ScanFacet reads rows of (value, count).
func ScanFacet(rows Rows) ([]FacetValue, error) {
	out := []FacetValue{}
	for rows.Next() {
		var fv FacetValue
		if err := rows.Scan(&fv.Value, &fv.Count); err != nil {
			return nil, err
		}
		out = append(out, fv)
	}
	return out, rows.Err()
}

// Facet turns counts by value into a facet.
func Facet(counts map[string]int) []FacetValue {
	out := make([]FacetValue, 0, len(counts))
	for v, n := range counts {
		out = append(out, FacetValue{Value: v, Count: n})
	}
	return out
}

// ScanDomains reads rows of (domain, owner team, products), ordered by
// domain, into domains with their product counts and owners.
func ScanDomains(rows Rows) ([]Domain, error) {
	var out []Domain
	for rows.Next() {
		var d, team string
		var n int
		if err := rows.Scan(&d, &team, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != d {
			out = append(out, Domain{Name: d, Owners: []string{}})
		}
		last := &out[len(out)-1]
		last.Products += n
		if team != "" {
			last.Owners = append(last.Owners, team)
		}
	}
	return out, rows.Err()
}
