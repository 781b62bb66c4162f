package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// Page sizes.
const (
	searchPageSize = 20
	domainPageSize = 100
)

// --- search ---

type searchData struct {
	Q       string
	Error   string
	Result  *catalog.SearchResult
	Facets  []facetGroup
	Active  []facetLink // filters in effect, each with a link removing it
	From    int
	To      int
	PrevURL string
	NextURL string
	Fields  []string
}

type facetGroup struct {
	Field  string
	Label  string
	Values []facetLink
	// More is set when the catalog listed only the most frequent values.
	More bool
}

type facetLink struct {
	Field  string
	Value  string
	Count  int
	URL    string
	Active bool
}

func (u *UI) searchPage(r *http.Request, c Catalog) (int, string, *page, error) {
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	offset, err := offsetParam(q)
	if err != nil {
		return 0, "", nil, err
	}
	p := &page{Title: "Search", Nav: "search", Q: text}
	if text != "" {
		p.Title = text + " - search"
	}
	d := &searchData{Q: text, Fields: catalog.Fields}
	p.Data = d
	res, err := c.Search(r.Context(), catalog.SearchParams{Q: text, Limit: searchPageSize, Offset: offset})
	var qe *catalog.QueryError
	if errors.As(err, &qe) {
		// The search syntax is the user's: say what is wrong beside the box.
		d.Error = qe.Msg
		return http.StatusBadRequest, "search", p, nil
	}
	if err != nil {
		return 0, "", nil, err
	}
	d.Result = res
	parsed, _ := catalog.ParseQuery(text) // Search accepted it
	d.Facets, d.Active = facets(parsed, res.Facets)
	d.From, d.To = offset+1, offset+len(res.Items)
	if offset > 0 {
		d.PrevURL = searchURL(text, max(offset-searchPageSize, 0))
	}
	if offset+len(res.Items) < res.Total {
		d.NextURL = searchURL(text, offset+searchPageSize)
	}
	return 0, "search", p, nil
}

func offsetParam(q url.Values) (int, error) {
	s := q.Get("offset")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, &catalog.QueryError{Param: "offset", Msg: "must be a number between 0 and 1000000"}
	}
	return n, nil
}

// facets makes the facet links: each adds its filter to the query, or
// removes it when it is in effect.
func facets(q catalog.Query, f catalog.Facets) ([]facetGroup, []facetLink) {
	groups := []struct {
		field, label string
		values       []catalog.FacetValue
		active       []string
		capped       bool
	}{
		{"domain", "Domain", f.Domain, q.Domains, true},
		{"owner", "Owner", f.Owner, q.Owners, true},
		{"tag", "Tag", f.Tag, q.Tags, true},
		{"status", "Status", f.Status, q.Statuses, false},
	}
	var out []facetGroup
	var active []facetLink
	for _, g := range groups {
		fg := facetGroup{Field: g.field, Label: g.label, More: g.capped && len(g.values) >= catalog.MaxFacetValues}
		for _, v := range g.values {
			on := slices.Contains(g.active, strings.ToLower(v.Value))
			l := facetLink{Field: g.field, Value: v.Value, Count: v.Count, Active: on}
			if on {
				l.URL = searchURL(withoutFilter(q, g.field, v.Value), 0)
			} else {
				l.URL = searchURL(withFilter(q, g.field, v.Value), 0)
			}
			fg.Values = append(fg.Values, l)
		}
		for _, a := range g.active {
			active = append(active, facetLink{Field: g.field, Value: a, URL: searchURL(withoutFilter(q, g.field, a), 0), Active: true})
		}
		out = append(out, fg)
	}
	return out, active
}

// queryString writes a query back in the search syntax.
func queryString(q catalog.Query) string {
	var parts []string
	for _, t := range q.Terms {
		t = strings.ReplaceAll(t, `"`, "")
		if strings.ContainsAny(t, " \t\n:") {
			t = `"` + t + `"`
		}
		parts = append(parts, t)
	}
	add := func(field string, values []string) {
		for _, v := range values {
			parts = append(parts, filterText(field, v))
		}
	}
	add("domain", q.Domains)
	add("owner", q.Owners)
	add("tag", q.Tags)
	add("status", q.Statuses)
	return strings.Join(parts, " ")
}

// filterText is field:value, quoted when the value holds a space.
func filterText(field, value string) string {
	value = strings.ReplaceAll(value, `"`, "")
	if strings.ContainsAny(value, " \t\n") {
		return field + `:"` + value + `"`
	}
	return field + ":" + value
}

func filterList(q *catalog.Query, field string) *[]string {
	switch field {
	case "domain":
		return &q.Domains
	case "owner":
		return &q.Owners
	case "tag":
		return &q.Tags
	}
	return &q.Statuses
}

func withFilter(q catalog.Query, field, value string) string {
	l := filterList(&q, field)
	*l = append(slices.Clone(*l), strings.ToLower(value))
	return queryString(q)
}

func withoutFilter(q catalog.Query, field, value string) string {
	l := filterList(&q, field)
	*l = slices.DeleteFunc(slices.Clone(*l), func(v string) bool { return strings.EqualFold(v, value) })
	return queryString(q)
}

func searchURL(q string, offset int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// --- domains ---

func (u *UI) domainsPage(r *http.Request, c Catalog) (int, string, *page, error) {
	ds, err := c.Domains(r.Context())
	if err != nil {
		return 0, "", nil, err
	}
	total := 0
	for _, d := range ds {
		total += d.Products
	}
	return 0, "domains", &page{Title: "Domains", Nav: "domains", Data: struct {
		Domains  []catalog.Domain
		Products int
	}{ds, total}}, nil
}

type domainData struct {
	Domain  string
	Result  *catalog.SearchResult
	Owners  []facetLink
	Tags    []facetLink
	From    int
	To      int
	PrevURL string
	NextURL string
}

func (u *UI) domainPage(r *http.Request, c Catalog) (int, string, *page, error) {
	domain := r.PathValue("domain")
	if !descriptor.NamePattern.MatchString(domain) {
		return 0, "", nil, problem.NotFoundf("no domain %q: domain names are lowercase words with dashes", domain)
	}
	offset, err := offsetParam(r.URL.Query())
	if err != nil {
		return 0, "", nil, err
	}
	res, err := c.Search(r.Context(), catalog.SearchParams{Domains: []string{domain}, Limit: domainPageSize, Offset: offset})
	if err != nil {
		return 0, "", nil, err
	}
	if res.Total == 0 {
		return 0, "", nil, problem.NotFoundf("no domain %q in the catalog", domain)
	}
	d := &domainData{Domain: domain, Result: res, From: offset + 1, To: offset + len(res.Items)}
	base := "domain:" + domain
	for _, f := range res.Facets.Owner {
		d.Owners = append(d.Owners, facetLink{Field: "owner", Value: f.Value, Count: f.Count, URL: searchURL(base+" "+filterText("owner", f.Value), 0)})
	}
	for _, f := range res.Facets.Tag {
		d.Tags = append(d.Tags, facetLink{Field: "tag", Value: f.Value, Count: f.Count, URL: searchURL(base+" "+filterText("tag", f.Value), 0)})
	}
	pageURL := func(off int) string {
		if off <= 0 {
			return "/domains/" + url.PathEscape(domain)
		}
		return "/domains/" + url.PathEscape(domain) + "?offset=" + strconv.Itoa(off)
	}
	if offset > 0 {
		d.PrevURL = pageURL(offset - domainPageSize)
	}
	if offset+len(res.Items) < res.Total {
		d.NextURL = pageURL(offset + domainPageSize)
	}
	return 0, "domain", &page{Title: domain + " - domain", Nav: "domains", Data: d}, nil
}

// --- product ---

type productData struct {
	*catalog.ProductDetail
	Inputs []inputView
	Nodes  []nodeView
	// Available counts the available nodes serving any version.
	Available int
}

type inputView struct {
	catalog.Input
	// RefURL is the page of the product a product input reads.
	RefURL string
}

type nodeView struct {
	catalog.Serving
	SampleURL string
	State     string
	Reported  []keyValue
}

type keyValue struct {
	Key   string
	Value string
}

func (u *UI) productPage(r *http.Request, c Catalog) (int, string, *page, error) {
	domain, name := r.PathValue("domain"), r.PathValue("name")
	d, err := c.Product(r.Context(), domain, name)
	if err != nil {
		return 0, "", nil, err
	}
	pd := &productData{ProductDetail: d}
	for _, in := range d.Inputs {
		iv := inputView{Input: in}
		if in.Ref != "" {
			iv.RefURL = refURL(in.Ref)
		}
		pd.Inputs = append(pd.Inputs, iv)
	}
	for _, v := range d.Versions {
		for _, sv := range v.Nodes {
			nv := nodeView{Serving: sv, SampleURL: sampleURL(sv, v.Major)}
			nv.State, nv.Reported = reported(sv.Status)
			if sv.Available {
				pd.Available++
			}
			pd.Nodes = append(pd.Nodes, nv)
		}
	}
	title := d.Title
	if title == "" {
		title = d.Domain + "/" + d.Name
	}
	return 0, "product", &page{Title: title, Data: pd}, nil
}

// sampleURL is the node's data URL for the first rows.
func sampleURL(sv catalog.Serving, major int) string {
	data := sv.Links["data"]
	if data == "" && sv.URL != "" {
		data = strings.TrimRight(sv.URL, "/") + "/v" + strconv.Itoa(major) + "/data"
	}
	if data == "" {
		return ""
	}
	if strings.Contains(data, "?") {
		return data + "&limit=10"
	}
	return data + "?limit=10"
}

// reported reads what a node reports of a product (state, freshness,
// quality, ...), kept by the catalog as the node gave it: the state, and
// every other field as text, the usual ones first.
func reported(raw json.RawMessage) (string, []keyValue) {
	if len(raw) == 0 {
		return "", nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", []keyValue{{"status", string(raw)}}
	}
	state, _ := m["state"].(string)
	delete(m, "state")
	first := []string{"reason", "freshness", "lastRefresh", "quality"}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := slices.Index(first, keys[i]), slices.Index(first, keys[j])
		if a < 0 {
			a = len(first)
		}
		if b < 0 {
			b = len(first)
		}
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	out := make([]keyValue, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyValue{k, valueText(m[k])})
	}
	return state, out
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		// {"passed": 3, "failed": 0} reads better as "failed 0, passed 3".
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			switch x[k].(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(x[k])
				parts = append(parts, k+" "+string(b))
			default:
				parts = append(parts, k+" "+valueText(x[k]))
			}
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// refURL is the page of the product a reference (domain/name@range)
// names, or "" when it names none.
func refURL(ref string) string {
	r, err := descriptor.ParseRef(ref)
	if err != nil {
		path, _, _ := strings.Cut(ref, "@")
		domain, name, ok := strings.Cut(path, "/")
		if !ok || !descriptor.NamePattern.MatchString(domain) || !descriptor.NamePattern.MatchString(name) {
			return ""
		}
		return productURL(domain, name)
	}
	return productURL(r.Domain, r.Name)
}

// --- lineage ---

type lineageData struct {
	Graph      *catalog.LineageGraph
	Root       lineageNode
	Upstream   []lineageNode
	Downstream []lineageNode
	Edges      []lineageEdge
	Direction  string
	Depth      int
	Directions []choice
	Depths     []choice
}

type lineageNode struct {
	catalog.LineageNode
	Label string
	URL   string
}

type lineageEdge struct {
	catalog.LineageEdge
	FromLabel, ToLabel string
	FromURL, ToURL     string
}

type choice struct {
	Label   string
	URL     string
	Current bool
}

func (u *UI) lineagePage(r *http.Request, c Catalog) (int, string, *page, error) {
	domain, name := r.PathValue("domain"), r.PathValue("name")
	q := r.URL.Query()
	direction := q.Get("direction")
	if direction == "" {
		direction = "both"
	}
	depth := 0
	if s := q.Get("depth"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, "", nil, &catalog.QueryError{Param: "depth", Msg: "must be a number"}
		}
		depth = n
	}
	g, err := c.Lineage(r.Context(), domain, name, direction, depth)
	if err != nil {
		return 0, "", nil, err
	}
	d := &lineageData{Graph: g, Direction: g.Direction, Depth: g.Depth}
	nodes := map[string]lineageNode{}
	for _, n := range g.Nodes {
		ln := lineageNode{LineageNode: n, Label: nodeLabel(n)}
		if n.Kind != "source" && n.Domain != "" && n.Name != "" {
			ln.URL = lineageURL(n.Domain, n.Name)
		}
		nodes[n.ID] = ln
	}
	d.Root = nodes[g.Root]
	up, down := reach(g, g.Root)
	for _, n := range g.Nodes { // sorted by distance, then id
		if n.ID == g.Root {
			continue
		}
		if up[n.ID] {
			d.Upstream = append(d.Upstream, nodes[n.ID])
		}
		if down[n.ID] {
			d.Downstream = append(d.Downstream, nodes[n.ID])
		}
	}
	for _, e := range g.Edges {
		d.Edges = append(d.Edges, lineageEdge{LineageEdge: e,
			FromLabel: nodes[e.From].Label, ToLabel: nodes[e.To].Label,
			FromURL: nodes[e.From].URL, ToURL: nodes[e.To].URL})
	}
	base := lineageURL(domain, name)
	link := func(dir string, depth int) string {
		v := url.Values{}
		if dir != "both" {
			v.Set("direction", dir)
		}
		if depth != catalog.DefaultLineageDepth {
			v.Set("depth", strconv.Itoa(depth))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	for _, dir := range []string{"both", "upstream", "downstream"} {
		d.Directions = append(d.Directions, choice{dir, link(dir, g.Depth), dir == g.Direction})
	}
	for _, n := range []int{1, 2, 3, 5, 10, 20} {
		d.Depths = append(d.Depths, choice{strconv.Itoa(n), link(g.Direction, n), n == g.Depth})
	}
	return 0, "lineage", &page{Title: "Lineage of " + g.Root, Data: d}, nil
}

// reach returns the nodes upstream of root (data flows from them to it)
// and downstream of it.
func reach(g *catalog.LineageGraph, root string) (up, down map[string]bool) {
	in, out := map[string][]string{}, map[string][]string{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], e.To)
		in[e.To] = append(in[e.To], e.From)
	}
	walk := func(next map[string][]string) map[string]bool {
		seen := map[string]bool{root: true}
		stack := []string{root}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, m := range next[n] {
				if !seen[m] {
					seen[m] = true
					stack = append(stack, m)
				}
			}
		}
		delete(seen, root)
		return seen
	}
	return walk(in), walk(out)
}

func nodeLabel(n catalog.LineageNode) string {
	if n.Kind == "source" {
		return n.Source
	}
	return n.ID
}

// --- impact ---

type impactData struct {
	Report  *catalog.ImpactReport
	Domain  string
	Name    string
	Emails  string // every owner's address, for one mail
	Mailto  string
	Direct  int
	Version string
}

func (u *UI) impactPage(r *http.Request, c Catalog) (int, string, *page, error) {
	domain, name := r.PathValue("domain"), r.PathValue("name")
	version := strings.TrimSpace(r.URL.Query().Get("version"))
	rep, err := c.Impact(r.Context(), domain, name, version)
	if err != nil {
		return 0, "", nil, err
	}
	d := &impactData{Report: rep, Domain: domain, Name: name, Version: version}
	var emails []string
	for _, o := range rep.Owners {
		if o.Email != "" && !slices.Contains(emails, o.Email) {
			emails = append(emails, o.Email)
		}
	}
	for _, en := range rep.Consumers {
		if en.Distance == 1 {
			d.Direct++
		}
	}
	if len(emails) > 0 {
		d.Emails = strings.Join(emails, ", ")
		subject := "Change coming to " + rep.Product
		if version != "" {
			subject += "@" + version
		}
		d.Mailto = "mailto:" + strings.Join(emails, ",") + "?subject=" + url.PathEscape(subject)
	}
	return 0, "impact", &page{Title: "Impact of " + rep.Product, Data: d}, nil
}

// --- URLs ---

func productURL(domain, name string) string {
	return "/products/" + url.PathEscape(domain) + "/" + url.PathEscape(name)
}

func lineageURL(domain, name string) string {
	return "/lineage/" + url.PathEscape(domain) + "/" + url.PathEscape(name)
}

func impactURL(domain, name string) string {
	return "/impact/" + url.PathEscape(domain) + "/" + url.PathEscape(name)
}

func domainURL(domain string) string { return "/domains/" + url.PathEscape(domain) }

func apiProductURL(domain, name string) string {
	return "/api/products/" + url.PathEscape(domain) + "/" + url.PathEscape(name)
}
