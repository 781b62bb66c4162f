package catalog

import (
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
