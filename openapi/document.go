package openapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// Version is the OpenAPI version of the document Document returns.
const Version = "3.1.0"

// MaxLimit is the largest page size the limit parameter accepts.
const MaxLimit = 10000

// The media types a product's data is served in, by format= value.
var dataFormats = []struct{ format, mediaType string }{
	{"json", "application/json"},
	{"ndjson", "application/x-ndjson"},
	{"csv", "text/csv"},
	{"arrow", "application/vnd.apache.arrow.stream"},
	{"parquet", "application/vnd.apache.parquet"},
}

// FilterOps are the comparison operators of a filter parameter, in
// documentation order; each may be prefixed with "not.".
var FilterOps = []string{"eq", "neq", "gt", "gte", "lt", "lte", "in", "like", "ilike", "is"}

// reservedParams are the data endpoint's own query parameters: a column
// with one of these names gets no filter parameter of its own.
var reservedParams = map[string]bool{"select": true, "order": true, "limit": true, "cursor": true, "format": true}

const (
	tagNode = "node"
	refRsp  = "#/components/responses/"
	refSch  = "#/components/schemas/"
	refPar  = "#/components/parameters/"
)

// Document returns the OpenAPI 3.1.0 document of node n serving products,
// one entry per product and major version (an entry that repeats a name
// and major is skipped). It describes the node's own endpoints
// (/.well-known/datamesh, /products, /products/{name}, /healthz, /readyz,
// /openapi.json, /docs) and, for each product major, the concrete paths
// /products/<name>/v<major>/data and /products/<name>/v<major>/schema, with
// the row schema under components/schemas/<Name>V<major>Row and every error
// as an application/problem+json Problem.
//
// The result is plain JSON data (maps, slices, strings, numbers, bools):
// encode it with encoding/json, or amend it first (security schemes, ...).
func Document(n Node, products []Product) map[string]any {
	d := &docBuilder{
		schemas: baseSchemas(),
		paths:   map[string]any{},
		opIDs:   map[string]bool{},
	}
	d.nodePaths(products)
	d.jobPaths()

	tags := []any{map[string]any{"name": tagNode, "description": "The node: discovery, product list, health and documentation."}}
	seenTag := map[string]bool{tagNode: true}
	seen := map[string]bool{}
	for _, p := range products {
		key := p.Name + "\x00" + strconv.Itoa(p.Major)
		if seen[key] {
			continue
		}
		seen[key] = true
		if !seenTag[p.Name] {
			seenTag[p.Name] = true
			tag := map[string]any{"name": p.Name, "description": p.title()}
			if p.Description != "" {
				tag["description"] = p.title() + ". " + p.Description
			}
			tags = append(tags, tag)
		}
		d.productPaths(p)
	}

	info := map[string]any{
		"title":       nodeTitle(n),
		"version":     protocolVersion(n),
		"description": infoDescription(n),
	}
	doc := map[string]any{
		"openapi":           Version,
		"jsonSchemaDialect": Dialect,
		"info":              info,
		"tags":              tags,
		"paths":             d.paths,
		"components": map[string]any{
			"schemas":    d.schemas,
			"responses":  baseResponses(),
			"parameters": baseParameters(),
			"headers":    baseHeaders(),
		},
	}
	if n.BaseURL != "" {
		doc["servers"] = []any{map[string]any{"url": strings.TrimRight(n.BaseURL, "/"), "description": nodeTitle(n)}}
	}
	return doc
}

type docBuilder struct {
	schemas map[string]any
	paths   map[string]any
	opIDs   map[string]bool
}

// unique returns id, or id with a numeric suffix if it is taken in used.
func unique(used map[string]bool, id string) string {
	out := id
	for i := 2; used[out]; i++ {
		out = id + "_" + strconv.Itoa(i)
	}
	used[out] = true
	return out
}

func nodeTitle(n Node) string {
	if n.Name != "" {
		return n.Name + " (datamesh node)"
	}
	return "datamesh node"
}

func protocolVersion(n Node) string {
	if n.ProtocolVersion != "" {
		return n.ProtocolVersion
	}
	return "1"
}

func infoDescription(n Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Data products served by this node over datamesh protocol v%s.", protocolVersion(n))
	if len(n.Domains) > 0 {
		fmt.Fprintf(&b, " Domains: %s.", strings.Join(n.Domains, ", "))
	}
	b.WriteString("\n\nEach product major version has its own paths, `/products/{name}/v{major}/data` and `/schema`. " +
		"Rows are filtered with one query parameter per column, `column=op.value` (" + quoteList(FilterOps) + "; prefix `not.` to negate), " +
		"projected with `select=a,b`, ordered with `order=a.desc,b`, and paged with `limit` and the opaque `cursor` " +
		"of the `Link: <...>; rel=\"next\"` response header. Without `limit` every row is streamed. " +
		"The format is chosen by the `Accept` header or `format=`. Every error is an RFC 9457 `application/problem+json` document.")
	return b.String()
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func ref(to string) map[string]any { return map[string]any{"$ref": to} }

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

// errorResponses returns the error responses of an operation by status code.
func errorResponses(codes ...string) map[string]any {
	names := map[string]string{"400": "BadRequest", "404": "NotFound", "406": "NotAcceptable", "500": "InternalError", "503": "Unavailable"}
	out := map[string]any{}
	for _, c := range codes {
		out[c] = ref(refRsp + names[c])
	}
	return out
}

func (d *docBuilder) op(id, summary, description string, tags []string, responses map[string]any) map[string]any {
	o := map[string]any{
		"operationId": unique(d.opIDs, id),
		"summary":     summary,
		"tags":        tags,
		"responses":   responses,
	}
	if description != "" {
		o["description"] = description
	}
	return o
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func (d *docBuilder) nodePaths(products []Product) {
	node := []string{tagNode}
	d.paths["/.well-known/datamesh"] = map[string]any{"get": d.op("getWellKnown",
		"Discover the node",
		"The node's name, the domains it serves, the protocol version, and links to its products and documentation.",
		node, merge(map[string]any{
			"200": map[string]any{"description": "The node.", "content": jsonContent(ref(refSch + "WellKnown"))},
		}, errorResponses("500")))}

	d.paths["/products"] = map[string]any{"get": d.op("listProducts",
		"List the products served",
		"A summary of every product major version this node serves.",
		node, merge(map[string]any{
			"200": map[string]any{"description": "The products.", "content": jsonContent(map[string]any{
				"type": "array", "items": ref(refSch + "ProductSummary"),
			})},
		}, errorResponses("500")))}

	name := map[string]any{"type": "string"}
	var names []any
	seen := map[string]bool{}
	for _, p := range products {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	if len(names) > 0 {
		name["enum"] = names
	}
	d.paths["/products/{name}"] = map[string]any{
		"parameters": []any{map[string]any{
			"name": "name", "in": "path", "required": true,
			"description": "The product's name.", "schema": name,
		}},
		"get": d.op("getProduct",
			"Describe a product",
			"The product's full public self-description: descriptor, schema, status, and the major versions served.",
			node, merge(map[string]any{
				"200": map[string]any{"description": "The product.", "content": jsonContent(ref(refSch + "ProductDescription"))},
			}, errorResponses("404", "500"))),
	}

	d.paths["/openapi.json"] = map[string]any{"get": d.op("getOpenAPI",
		"This OpenAPI document", "", node, merge(map[string]any{
			"200": map[string]any{"description": "The node's OpenAPI 3.1 document.", "content": jsonContent(map[string]any{"type": "object"})},
		}, errorResponses("500")))}
	d.paths["/docs"] = map[string]any{"get": d.op("getDocs",
		"Human-readable API documentation", "", node, merge(map[string]any{
			"200": map[string]any{"description": "An HTML page describing this node's products and how to call them.",
				"content": map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}},
		}, errorResponses("500")))}
	d.paths["/healthz"] = map[string]any{"get": d.op("getHealth",
		"Liveness", "Answers 200 while the process runs.", node, map[string]any{
			"200": map[string]any{"description": "Alive.", "content": jsonContent(ref(refSch + "Health"))},
		})}
	d.paths["/readyz"] = map[string]any{"get": d.op("getReady",
		"Readiness", "Answers 200 once the node serves its products, 503 while it starts or shuts down.", node, merge(map[string]any{
			"200": map[string]any{"description": "Ready.", "content": jsonContent(ref(refSch + "Health"))},
		}, errorResponses("503")))}
}

func (d *docBuilder) productPaths(p Product) {
	row := unique(d.usedSchemas(), RowSchemaName(p))
	d.schemas[row] = rowSchema(p)
	base := pascal(p.Name) + "V" + strconv.Itoa(p.Major)
	tags := []string{p.Name}

	deprecation := ""
	if p.Deprecated {
		deprecation = "\n\n**Deprecated**: a newer major version of " + p.Name + " is served"
		if p.Sunset != "" {
			deprecation += "; this one is withdrawn at its sunset, " + p.Sunset
		}
		deprecation += "."
	}

	// GET data
	params := []any{
		map[string]any{
			"name": "select", "in": "query",
			"description": "The columns to return, comma-separated, in order. Columns: " + columnList(p) + ". Default: every column.",
			"schema":      map[string]any{"type": "string"},
			"example":     selectExample(p),
		},
		map[string]any{
			"name": "order", "in": "query",
			"description": "Sort order: comma-separated columns, each optionally followed by `.asc` or `.desc` and then `.nullsfirst` or `.nullslast` (nulls sort last by default), e.g. `" + orderExample(p) + "`. Object and array columns cannot be ordered.",
			"schema":      map[string]any{"type": "string"},
			"example":     orderExample(p),
		},
		ref(refPar + "limit"),
		ref(refPar + "cursor"),
		ref(refPar + "format"),
	}
	for _, c := range p.Columns {
		if reservedParams[c.Name] || !filterable(c) {
			continue
		}
		params = append(params, map[string]any{
			"name": c.Name, "in": "query",
			"description": filterDescription(c),
			"schema":      map[string]any{"type": "string", "pattern": filterPattern(c)},
			"example":     "eq." + exampleValue(c),
		})
	}

	content := map[string]any{}
	for _, f := range dataFormats {
		var schema map[string]any
		switch f.format {
		case "json":
			schema = map[string]any{"type": "array", "items": ref(refSch + row)}
		case "ndjson":
			schema = map[string]any{"type": "string", "description": "Newline-delimited JSON: one " + row + " object per line."}
		case "csv":
			schema = map[string]any{"type": "string", "description": "CSV (RFC 4180) with a header line of column names."}
		default:
			schema = map[string]any{"type": "string", "format": "binary", "contentMediaType": f.mediaType}
		}
		content[f.mediaType] = map[string]any{"schema": schema}
	}
	headers := map[string]any{"Link": ref("#/components/headers/Link")}
	if p.Deprecated {
		headers["Deprecation"] = ref("#/components/headers/Deprecation")
		headers["Sunset"] = ref("#/components/headers/Sunset")
	}

	dataOp := d.op("get"+base+"Data", p.title(),
		"Rows of "+p.ID()+"."+descSuffix(p.Description)+
			"\n\nFilter with one parameter per column (`column=op.value`), choose columns with `select`, sort with `order`, "+
			"page with `limit` and `cursor` (the next page's URL is in the `Link` header). Without `limit` every row is streamed."+deprecation,
		tags, merge(map[string]any{
			"200": map[string]any{
				"description": "The rows, in the format asked for by `Accept` or `format`.",
				"headers":     headers,
				"content":     content,
			},
		}, errorResponses("400", "404", "406", "500", "503")))
	dataOp["parameters"] = params
	if p.Deprecated {
		dataOp["deprecated"] = true
	}
	d.paths[p.Path()+"/data"] = map[string]any{"get": dataOp}

	// GET schema
	schemaHeaders := map[string]any{}
	if p.Deprecated {
		schemaHeaders["Deprecation"] = ref("#/components/headers/Deprecation")
		schemaHeaders["Sunset"] = ref("#/components/headers/Sunset")
	}
	schemaOK := map[string]any{
		"description": "The JSON Schema (draft 2020-12) of one row; the same as components/schemas/" + row + ".",
		"content": map[string]any{
			"application/schema+json": map[string]any{
				"schema":  map[string]any{"type": "object"},
				"example": RowSchema(p),
			},
		},
	}
	if len(schemaHeaders) > 0 {
		schemaOK["headers"] = schemaHeaders
	}
	schemaOp := d.op("get"+base+"Schema", p.title()+" (row schema)",
		"The JSON Schema of one row of "+p.ID()+"."+deprecation,
		tags, merge(map[string]any{"200": schemaOK}, errorResponses("404", "500")))
	if p.Deprecated {
		schemaOp["deprecated"] = true
	}
	d.paths[p.Path()+"/schema"] = map[string]any{"get": schemaOp}
	d.servingPaths(p, base, tags)
}

// usedSchemas returns the taken component schema names as a set.
func (d *docBuilder) usedSchemas() map[string]bool {
	used := map[string]bool{}
	for k := range d.schemas {
		used[k] = true
	}
	return used
}

func descSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// filterable reports whether a column accepts filters: objects and
// arrays do not.
func filterable(c descriptor.Column) bool {
	return c.LogicalType != descriptor.Object && c.LogicalType != descriptor.Array
}

// columnOps are the operators that apply to a column: like and ilike to
// strings only.
func columnOps(c descriptor.Column) []string {
	if c.LogicalType == descriptor.String {
		return FilterOps
	}
	var out []string
	for _, op := range FilterOps {
		if op != "like" && op != "ilike" {
			out = append(out, op)
		}
	}
	return out
}

// filterPattern is what a filter on c looks like: an optional "not.", one of
// its operators, a dot, and the operand.
func filterPattern(c descriptor.Column) string {
	return `^(not\.)?(` + strings.Join(columnOps(c), "|") + `)\.`
}

func filterDescription(c descriptor.Column) string {
	t := string(c.LogicalType)
	if t == "" {
		t = "any type"
	}
	ops := columnOps(c)
	var b strings.Builder
	fmt.Fprintf(&b, "Filter on `%s` (%s)", c.Name, t)
	if c.Description != "" {
		fmt.Fprintf(&b, ": %s", strings.TrimRight(c.Description, "."))
	}
	fmt.Fprintf(&b, ". Syntax `op.value`, with op one of %s; prefix `not.` to negate. ", quoteList(ops))
	b.WriteString("`in` takes a list in parentheses, items double-quoted when they hold a comma, a parenthesis or a quote; ")
	if c.LogicalType == descriptor.Boolean {
		b.WriteString("`is` takes `null`, `true` or `false`; ")
	} else {
		b.WriteString("`is` takes `null`; ")
	}
	if c.LogicalType == descriptor.String {
		b.WriteString("`like` and `ilike` (case-insensitive) take a pattern where `*` matches any text; ")
	}
	b.WriteString("repeat the parameter to combine conditions (AND). ")
	v, in := exampleValue(c), exampleValue(c)
	if ex := examples(c); len(ex) > 1 {
		if s, ok := exampleString(ex[1]); ok {
			in += "," + s
		}
	}
	fmt.Fprintf(&b, "Examples: `eq.%s`, `not.eq.%s`, `in.(%s)`, `not.is.null`.", v, v, in)
	return b.String()
}

// exampleValue is a plausible value of c, for examples: its first declared
// example, or one made up from its type.
func exampleValue(c descriptor.Column) string {
	if ex := examples(c); len(ex) > 0 {
		if s, ok := exampleString(ex[0]); ok {
			return s
		}
	}
	switch c.LogicalType {
	case descriptor.Integer:
		return "42"
	case descriptor.Number:
		return "1.5"
	case descriptor.Boolean:
		return "true"
	case descriptor.Date:
		return "2024-01-31"
	case descriptor.Timestamp:
		return "2024-01-31T12:00:00Z"
	case descriptor.Time:
		return "12:00:00"
	}
	return "abc"
}

// exampleString writes a scalar example as a filter operand.
func exampleString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool, int, int64, uint64, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

func columnList(p Product) string {
	if len(p.Columns) == 0 {
		return "(none declared)"
	}
	q := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		q[i] = "`" + c.Name + "`"
	}
	return strings.Join(q, ", ")
}

func selectExample(p Product) string {
	var q []string
	for _, c := range p.Columns {
		if len(q) == 2 {
			break
		}
		q = append(q, c.Name)
	}
	if len(q) == 0 {
		return "a,b"
	}
	return strings.Join(q, ",")
}

func orderExample(p Product) string {
	for _, c := range p.Columns {
		if filterable(c) {
			return c.Name + ".desc"
		}
	}
	return "a.desc"
}

func baseParameters() map[string]any {
	formats := make([]any, len(dataFormats))
	for i, f := range dataFormats {
		formats[i] = f.format
	}
	return map[string]any{
		"limit": map[string]any{
			"name": "limit", "in": "query",
			"description": fmt.Sprintf("The page size, 1 to %d. With a limit, one page is answered and the next page's URL, if any, is in the `Link` header. Without one, every row is streamed.", MaxLimit),
			"schema":      map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit},
			"example":     100,
		},
		"cursor": map[string]any{
			"name": "cursor", "in": "query",
			"description": "The opaque position of the next page, as found in the `Link` header of the previous one. Do not build it: follow the link.",
			"schema":      map[string]any{"type": "string"},
		},
		"format": map[string]any{
			"name": "format", "in": "query",
			"description": "The response format, instead of the `Accept` header: json (`application/json`), ndjson (`application/x-ndjson`), csv (`text/csv`), arrow (`application/vnd.apache.arrow.stream`), parquet (`application/vnd.apache.parquet`).",
			"schema":      map[string]any{"type": "string", "enum": formats},
		},
	}
}

func baseHeaders() map[string]any {
	return map[string]any{
		"Link": map[string]any{
			"description": "With `limit`, when there are more rows: the next page, `<URL>; rel=\"next\"` (RFC 8288). For a deprecated version, also its successor, `rel=\"successor-version\"`.",
			"schema":      map[string]any{"type": "string"},
		},
		"Deprecation": map[string]any{
			"description": "The version is deprecated (RFC 9745), since the date given.",
			"schema":      map[string]any{"type": "string"},
		},
		"Sunset": map[string]any{
			"description": "When the version stops being served (RFC 8594), an HTTP date.",
			"schema":      map[string]any{"type": "string"},
		},
		"Retry-After": map[string]any{
			"description": "Seconds to wait before trying again.",
			"schema":      map[string]any{"type": "integer", "minimum": 0},
		},
	}
}

func problemResponse(description string, headers map[string]any) map[string]any {
	r := map[string]any{
		"description": description,
		"content": map[string]any{
			problem.ContentType: map[string]any{"schema": ref(refSch + "Problem")},
		},
	}
	if headers != nil {
		r["headers"] = headers
	}
	return r
}

func baseResponses() map[string]any {
	return map[string]any{
		"BadRequest": problemResponse("A request parameter is wrong: `parameter` names it and `allowed` says what it accepts.", nil),
		"NotFound":   problemResponse("No such product, major version or resource on this node.", nil),
		"NotAcceptable": problemResponse("The format asked for (`Accept` or `format`) is not served; `allowed` lists those that are.",
			nil),
		"InternalError": problemResponse("The node failed; the cause is in its log.", nil),
		"Unavailable": problemResponse("The product or node cannot answer now (starting, shutting down, upstream unavailable); retry later.",
			map[string]any{"Retry-After": ref("#/components/headers/Retry-After")}),
	}
}

func baseSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	links := func(names ...string) map[string]any {
		props := map[string]any{}
		for _, n := range names {
			props[n] = map[string]any{"type": "string", "format": "uri-reference"}
		}
		return map[string]any{"type": "object", "properties": props, "additionalProperties": map[string]any{"type": "string"}}
	}
	status := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"state":  map[string]any{"type": "string", "enum": []any{"available", "unavailable", "degraded"}},
			"reason": str,
		},
	}
	column := map[string]any{
		"type":     "object",
		"required": []any{"name", "logicalType"},
		"properties": map[string]any{
			"name":           str,
			"logicalType":    map[string]any{"type": "string", "enum": logicalTypes()},
			"physicalType":   str,
			"description":    str,
			"required":       map[string]any{"type": "boolean"},
			"unique":         map[string]any{"type": "boolean"},
			"primaryKey":     map[string]any{"type": "boolean"},
			"classification": str,
			"examples":       map[string]any{"type": "array"},
		},
	}
	return map[string]any{
		"Job": jobSchema(),
		"Problem": map[string]any{
			"title":       "Problem",
			"description": "An error, as RFC 9457 problem details, with the extensions `parameter` and `allowed`.",
			"type":        "object",
			"required":    []any{"type", "title", "status"},
			"properties": map[string]any{
				"type":      map[string]any{"type": "string", "format": "uri-reference", "description": "The problem type, a URI under " + problem.TypeBase + "."},
				"title":     map[string]any{"type": "string", "description": "A short summary of the problem type."},
				"status":    map[string]any{"type": "integer", "minimum": 100, "maximum": 599, "description": "The HTTP status code."},
				"detail":    map[string]any{"type": "string", "description": "What went wrong in this request."},
				"instance":  map[string]any{"type": "string", "format": "uri-reference", "description": "The request path."},
				"parameter": map[string]any{"type": "string", "description": "The request parameter at fault."},
				"allowed":   map[string]any{"type": "string", "description": "What that parameter accepts."},
			},
			"examples": []any{map[string]any{
				"type": problem.TypeBase + problem.BadParameter, "title": "Bad request parameter", "status": 400,
				"detail": "limit must be between 1 and 10000", "instance": "/products/example/v1/data",
				"parameter": "limit", "allowed": "an integer from 1 to 10000",
			}},
		},
		"WellKnown": map[string]any{
			"type":     "object",
			"required": []any{"name", "protocolVersion", "links"},
			"properties": map[string]any{
				"name":            str,
				"domains":         map[string]any{"type": "array", "items": str},
				"protocolVersion": str,
				"links":           links("products", "openapi", "docs"),
			},
		},
		"ProductSummary": map[string]any{
			"type":     "object",
			"required": []any{"id", "domain", "name", "version", "links"},
			"properties": map[string]any{
				"id":          map[string]any{"type": "string", "description": "domain/name@version"},
				"domain":      str,
				"name":        str,
				"version":     str,
				"major":       map[string]any{"type": "integer", "minimum": 0},
				"title":       str,
				"description": str,
				"owner": map[string]any{"type": "object", "properties": map[string]any{
					"team": str, "email": str,
				}},
				"tags":        map[string]any{"type": "array", "items": str},
				"servingMode": map[string]any{"type": "string", "enum": []any{descriptor.ModeLive, descriptor.ModeMaterialized, descriptor.ModeAsync}},
				"status":      status,
				"links":       links("self", "data", "schema"),
			},
		},
		"ProductDescription": map[string]any{
			"allOf": []any{ref(refSch + "ProductSummary"), map[string]any{
				"type": "object",
				"properties": map[string]any{
					"inputs":     map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
					"transform":  map[string]any{"type": "object"},
					"primaryKey": map[string]any{"type": "array", "items": str},
					"schema":     map[string]any{"type": "array", "items": column},
					"sla":        map[string]any{"type": "object"},
					"versions": map[string]any{"type": "array", "items": map[string]any{
						"type": "object",
						"properties": map[string]any{
							"version": str,
							"major":   map[string]any{"type": "integer"},
							"status":  status,
							"links":   links("self", "data", "schema"),
						},
					}},
				},
			}},
		},
		"Health": map[string]any{
			"type":       "object",
			"properties": map[string]any{"status": str},
		},
	}
}

func logicalTypes() []any {
	out := make([]any, len(descriptor.LogicalTypes))
	for i, t := range descriptor.LogicalTypes {
		out[i] = string(t)
	}
	return out
}
