package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/descriptor"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Page writes a self-contained HTML page (inline CSS, no script, nothing
// fetched from elsewhere) documenting node n and its products for GET
// /docs: per product major, its title, id, description, owner, tags, a
// table of its columns, and its endpoints with example curl commands.
//
// The curl lines use n.BaseURL when it is set (set it to the address the
// reader used, e.g. from the request, to make them runnable), and the
// shell variable $NODE otherwise; the page's own links are then relative.
// Every value is HTML-escaped.
func Page(w io.Writer, n Node, products []Product) error {
	return pageTemplate.Execute(w, newPageData(n, products))
}

type pageData struct {
	Title           string
	Name            string
	Domains         []string
	ProtocolVersion string
	MaxLimit        int
	// Base prefixes the page's links: the base URL with a slash, or "" for
	// links relative to /docs.
	Base         string
	BaseNote     string // how to read the curl lines when there is no base URL
	OpenAPI      string
	ProductsLink string
	Products     []pageProduct
}

type pageProduct struct {
	Anchor      string
	ID          string
	Title       string
	Major       int
	Version     string
	Description string
	Owner       descriptor.Owner
	Tags        []string
	Deprecated  bool
	Sunset      string
	Columns     []pageColumn
	PrimaryKey  string
	DataPath    string
	SchemaPath  string
	DataLink    string
	SchemaLink  string
	Curls       []pageCurl
}

type pageColumn struct {
	Name        string
	Type        string
	Required    string
	Description string
	Examples    string
}

type pageCurl struct {
	What    string
	Command string
}

func newPageData(n Node, products []Product) pageData {
	base := strings.TrimRight(n.BaseURL, "/")
	d := pageData{
		Title:           nodeTitle(n),
		Name:            n.Name,
		Domains:         n.Domains,
		ProtocolVersion: protocolVersion(n),
		MaxLimit:        MaxLimit,
	}
	if base != "" {
		d.Base = base + "/"
	} else {
		d.BaseNote = "In the commands below, $NODE stands for this node's address (for example NODE=http://localhost:8080)."
	}
	d.OpenAPI = d.Base + "openapi.json"
	d.ProductsLink = d.Base + "products"
	anchors := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range products {
		key := p.Name + "\x00" + strconv.Itoa(p.Major)
		if seen[key] {
			continue
		}
		seen[key] = true
		pp := pageProduct{
			Anchor:      unique(anchors, "product-"+anchorName(p.Name)+"-v"+strconv.Itoa(p.Major)),
			ID:          p.ID(),
			Title:       p.title(),
			Major:       p.Major,
			Version:     p.Version,
			Description: p.Description,
			Owner:       p.Owner,
			Tags:        p.Tags,
			Deprecated:  p.Deprecated,
			Sunset:      p.Sunset,
			PrimaryKey:  strings.Join(p.PrimaryKey, ", "),
		}
		path := "products/" + url.PathEscape(p.Name) + "/v" + strconv.Itoa(p.Major)
		pp.DataPath = "/" + path + "/data"
		pp.SchemaPath = "/" + path + "/schema"
		pp.DataLink = d.Base + path + "/data?limit=10"
		pp.SchemaLink = d.Base + path + "/schema"
		for _, c := range p.Columns {
			pc := pageColumn{Name: c.Name, Type: string(c.LogicalType), Description: c.Description, Required: "no"}
			switch {
			case c.PrimaryKey || contains(p.PrimaryKey, c.Name):
				pc.Required = "yes (primary key)"
			case c.Required:
				pc.Required = "yes"
			}
			if ex := examples(c); ex != nil {
				q := make([]string, len(ex))
				for i, v := range ex {
					q[i] = exampleText(v)
				}
				pc.Examples = strings.Join(q, ", ")
			}
			pp.Columns = append(pp.Columns, pc)
		}
		pp.Curls = curls(base, path, p)
		d.Products = append(d.Products, pp)
	}
	return d
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func exampleText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// curls returns the example commands of one product major.
func curls(base, path string, p Product) []pageCurl {
	u := func(rest string) string { return shellURL(base, path+rest) }
	out := []pageCurl{
		{"First 10 rows, as JSON", "curl " + u("/data?limit=10")},
	}
	for _, c := range p.Columns {
		if reservedParams[c.Name] || !filterable(c) {
			continue
		}
		out = append(out, pageCurl{"Rows where " + c.Name + " equals " + exampleValue(c),
			"curl " + u("/data?"+queryEscape(c.Name)+"="+queryEscape("eq."+exampleValue(c))+"&limit=10")})
		break
	}
	if len(p.Columns) > 0 {
		q := "select=" + queryEscape(selectExample(p)) + "&order=" + queryEscape(orderExample(p)) + "&limit=10"
		out = append(out, pageCurl{"Some columns, sorted", "curl " + u("/data?"+q)})
	}
	out = append(out,
		pageCurl{"Every row, as CSV (by Accept)", "curl -H 'Accept: text/csv' " + u("/data")},
		pageCurl{"Every row, as Parquet (by format)", "curl -o " + shellWord(p.Name+".parquet") + " " + u("/data?format=parquet")},
		pageCurl{"Page by page: follow the Link header's rel=\"next\" URL", "curl -i " + u("/data?limit=1000")},
		pageCurl{"The JSON Schema of a row", "curl " + u("/schema")},
	)
	return out
}

// queryEscape escapes s for a query string, leaving commas, which the
// protocol's lists use and which need no escaping, readable.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2C", ",")
}

// shellURL quotes base+"/"+rest for a POSIX shell: single quotes around a
// known base, double quotes around $NODE otherwise.
func shellURL(base, rest string) string {
	if base != "" {
		return shellWord(base + "/" + rest)
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"$NODE/` + r.Replace(rest) + `"`
}

// shellWord single-quotes s for a POSIX shell.
func shellWord(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// anchorName keeps the characters of s that are safe in a fragment.
func anchorName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
