package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
)

func TestPublishAndRepublish(t *testing.T) {
	e := newEnv(t)
	design, err := os.ReadFile("../descriptor/testdata/good/aviation/delays-by-airport.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := []catalog.File{{Path: "aviation/delays-by-airport.yaml", Content: string(design)},
		desc(spec{domain: "geo", name: "airports", version: "1.0.0"})}
	res := e.mustPublish(files...)
	if res.Status != "published" || len(res.Products) != 2 || res.Products[0].Status != "created" ||
		res.Products[0].ID != "aviation/delays-by-airport@1.0.0" || res.Products[0].File != "aviation/delays-by-airport.yaml" {
		t.Fatalf("first publish %+v", res)
	}
	res = e.mustPublish(files...)
	if res.Status != "unchanged" || res.Products[0].Status != "unchanged" || res.Products[1].Status != "unchanged" {
		t.Fatalf("identical publish %+v", res)
	}
	// Another layout and comments: the same contract, still unchanged.
	relaid := "# a comment\n" + strings.ReplaceAll(string(design), "tags: [flights, delays]", "tags:\n  - flights\n  - delays")
	res = e.mustPublish(catalog.File{Path: "x.yaml", Content: relaid})
	if res.Status != "unchanged" {
		t.Errorf("a re-laid descriptor: %+v", res)
	}
	// The stored version keeps the YAML as published.
	w := e.do("GET", "/api/products/aviation/delays-by-airport/1.0.0", nil)
	var p catalog.Product
	decode(t, w, &p)
	if w.Code != 200 || p.Descriptor != string(design) || p.Source != "publish" || p.SLA.LatencyP99 != "200ms" || p.SLA.Freshness != "24h" ||
		len(p.Schema) != 6 || p.Inputs[0].Source != "file:data/flights.parquet" || p.Inputs[1].Ref != "geo/airports@^1" {
		t.Errorf("stored version %d %+v", w.Code, p)
	}
}

func TestPublishYAMLBody(t *testing.T) {
	e := newEnv(t)
	f := desc(spec{domain: "geo", name: "airports", version: "1.0.0"})
	w := e.do("POST", "/api/publish?path=geo/airports.yaml", f.Content, "Authorization", "Bearer "+token, "Content-Type", "application/yaml")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res catalog.PublishResult
	decode(t, w, &res)
	if res.Products[0].File != "geo/airports.yaml" || res.Products[0].Status != "created" {
		t.Errorf("%+v", res)
	}
	w = e.do("POST", "/api/publish", f.Content, "Authorization", "Bearer "+token, "Content-Type", "text/plain")
	problemOf(t, w, http.StatusUnsupportedMediaType)
}

func TestPublishInvalidListsEveryProblem(t *testing.T) {
	e := newEnv(t)
	semver, _ := os.ReadFile("../descriptor/testdata/bad/bad-semver.yaml")
	domain, _ := os.ReadFile("../descriptor/testdata/bad/bad-domain.yaml")
	good := desc(spec{domain: "geo", name: "airports", version: "1.0.0"})
	broken := catalog.File{Path: "broken.yaml", Content: "apiVersion: datamesh/v1\nkind: DataProduct\nname: [unclosed\n"}
	twoBad := strings.Replace(good.Content, "logicalType: string", "logicalType: strng", 1)
	twoBad = strings.Replace(twoBad, "version: 1.0.0", "version: one", 1)
	w := e.publish(good, catalog.File{Path: "a/semver.yaml", Content: string(semver)}, catalog.File{Path: "a/domain.yaml", Content: string(domain)},
		broken, catalog.File{Path: "b/two.yaml", Content: twoBad})
	p := problemOf(t, w, http.StatusUnprocessableEntity)
	probs, _ := p["problems"].([]any)
	files := map[string]int{}
	for _, x := range probs {
		m := x.(map[string]any)
		files[m["file"].(string)]++
		if m["severity"] != "error" || m["message"] == "" || m["text"] == "" {
			t.Errorf("problem %v", m)
		}
	}
	if files["a/semver.yaml"] != 1 || files["a/domain.yaml"] != 1 || files["broken.yaml"] != 1 || files["b/two.yaml"] != 2 || files["geo/airports-1.0.0.yaml"] != 0 {
		t.Errorf("problems by file %v\n%s", files, w.Body)
	}
	for _, want := range []string{"a/semver.yaml:6", "version", "semantic version", "b/two.yaml", "strng"} {
		if !strings.Contains(p["detail"].(string), want) {
			t.Errorf("detail lacks %q: %s", want, p["detail"])
		}
	}
	// Nothing of the batch was published, the good file included.
	problemOf(t, e.do("GET", "/api/products/geo/airports", nil), http.StatusNotFound)

	problemOf(t, e.publish(), http.StatusUnprocessableEntity)
	problemOf(t, e.do("POST", "/api/publish", `{"files": [`, "Authorization", "Bearer "+token), http.StatusBadRequest)
	problemOf(t, e.do("POST", "/api/publish", `{"files": "x"}`, "Authorization", "Bearer "+token), http.StatusBadRequest)
	// Two files with one version and different content.
	other := desc(spec{domain: "geo", name: "airports", version: "1.0.0", title: "Other"})
	other.Path = "copy.yaml"
	p = problemOf(t, e.publish(good, other), http.StatusUnprocessableEntity)
	if !strings.Contains(p["detail"].(string), "also in geo/airports-1.0.0.yaml") {
		t.Errorf("detail %s", p["detail"])
	}
}

func TestPublishTooLarge(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("x", 5<<20)
	w := e.publish(catalog.File{Path: "big.yaml", Content: big})
	p := problemOf(t, w, http.StatusRequestEntityTooLarge)
	if !strings.Contains(p["detail"].(string), "4194304") {
		t.Errorf("detail %s", p["detail"])
	}
	// Without a Content-Length, the limit holds too.
	e2 := newEnv(t, func(o *catalog.Options) { o.MaxBodyBytes = 100 })
	req, _ := http.NewRequest("POST", "/api/publish", strings.NewReader(strings.Repeat("y", 1000)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+token)
	rec := newRecorder()
	e2.h.ServeHTTP(rec, req)
	problemOf(t, rec, http.StatusRequestEntityTooLarge)
}

func TestPublishToken(t *testing.T) {
	e := newEnv(t)
	f := desc(spec{domain: "geo", name: "airports", version: "1.0.0"})
	body := catalog.PublishRequest{Files: []catalog.File{f}}
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", token}, {"Authorization", "Basic " + token}} {
		w := e.do("POST", "/api/publish", body, h...)
		problemOf(t, w, http.StatusUnauthorized)
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("no WWW-Authenticate with %v", h)
		}
	}
	off := newEnv(t, func(o *catalog.Options) { o.PublishToken = "" })
	p := problemOf(t, off.do("POST", "/api/publish", body, "Authorization", "Bearer "), http.StatusUnauthorized)
	if !strings.Contains(p["detail"].(string), "without a publish token") {
		t.Errorf("detail %s", p["detail"])
	}
}

func TestPublishConflictSummarisesChanges(t *testing.T) {
	e := newEnv(t)
	e.mustPublish(desc(spec{domain: "geo", name: "airports", version: "1.0.0", columns: []string{"id:string", "lat:number", "old:string"}}))
	changed := desc(spec{domain: "geo", name: "airports", version: "1.0.0", title: "Airports, renamed",
		columns: []string{"id:string", "lat:string", "added:integer"}})
	fresh := desc(spec{domain: "geo", name: "regions", version: "1.0.0"})
	p := problemOf(t, e.publish(fresh, changed), http.StatusConflict)
	detail := p["detail"].(string)
	for _, want := range []string{"geo/airports@1.0.0 is already published with other content", "changed: title",
		"column added: added", "column removed: old", "column retyped: lat (number -> string)", "new version"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q: %s", want, detail)
		}
	}
	conflicts := p["conflicts"].([]any)
	c := conflicts[0].(map[string]any)
	if c["id"] != "geo/airports@1.0.0" || fmt.Sprint(c["fields"]) != "[title]" || fmt.Sprint(c["columnsAdded"]) != "[added]" ||
		fmt.Sprint(c["columnsRemoved"]) != "[old]" || fmt.Sprint(c["columnsRetyped"]) != "[map[from:number name:lat to:string]]" {
		t.Errorf("conflict %v", c)
	}
	// All or none: the fresh product of the batch was not published.
	problemOf(t, e.do("GET", "/api/products/geo/regions", nil), http.StatusNotFound)
}

func TestPublishRefusesCycles(t *testing.T) {
	e := newEnv(t)
	// In one batch.
	p := problemOf(t, e.publish(
		desc(spec{domain: "a", name: "x", version: "1.0.0", reads: []string{"b/y@^1"}}),
		desc(spec{domain: "b", name: "y", version: "1.0.0", reads: []string{"a/x@^1"}}),
	), http.StatusUnprocessableEntity)
	if !strings.Contains(p["detail"].(string), "a/x@1.0.0 -> b/y@1.0.0 -> a/x@1.0.0") {
		t.Errorf("detail %s", p["detail"])
	}
	probs := p["problems"].([]any)
	first := probs[0].(map[string]any)
	if first["path"] != "inputs[1].product" || first["file"] != "a/x-1.0.0.yaml" || first["line"].(float64) < 10 {
		t.Errorf("problem %v", first)
	}
	// Across publishes, through three products.
	e.mustPublish(desc(spec{domain: "a", name: "x", version: "1.0.0", reads: []string{"b/y@^1"}}))
	e.mustPublish(desc(spec{domain: "b", name: "y", version: "1.0.0", reads: []string{"c/z@~1.2"}}))
	p = problemOf(t, e.publish(desc(spec{domain: "c", name: "z", version: "1.2.5", reads: []string{"a/x@>=1.0.0 <2"}})), http.StatusUnprocessableEntity)
	if !strings.Contains(p["detail"].(string), "c/z@1.2.5 -> a/x@1.0.0 -> b/y@1.0.0 -> c/z@1.2.5") {
		t.Errorf("detail %s", p["detail"])
	}
	// A version outside the ranges closes no loop.
	e.mustPublish(desc(spec{domain: "c", name: "z", version: "1.3.0", reads: []string{"a/x@^1"}}))
	// A product reading itself.
	problemOf(t, e.publish(desc(spec{domain: "d", name: "self", version: "1.0.0", reads: []string{"d/self@*"}})), http.StatusUnprocessableEntity)
	// A new major of a consumer reading an old range is fine.
	e.mustPublish(desc(spec{domain: "b", name: "y", version: "2.0.0", reads: []string{"a/x@^1"}}))
}

func seedSearch(e *env) {
	e.mustPublish(
		desc(spec{domain: "aviation", name: "delays-by-airport", version: "1.0.0", title: "Monthly flight delays by origin airport",
			team: "aviation-analytics", tags: []string{"flights", "delays"}}),
		desc(spec{domain: "aviation", name: "fleet", version: "1.0.0", title: "Aircraft fleet", team: "aviation-ops",
			tags: []string{"aircraft"}, columns: []string{"id:string", "delays:integer"}}),
		desc(spec{domain: "aviation", name: "fleet", version: "1.1.0", title: "Aircraft fleet", team: "aviation-ops",
			tags: []string{"aircraft"}, columns: []string{"id:string", "delays:integer"}}),
		desc(spec{domain: "geo", name: "airports", version: "1.0.0", title: "Airports of the world", team: "geo-data",
			tags: []string{"reference", "airports"}}),
		desc(spec{domain: "sales", name: "monthly-revenue", version: "1.0.0", title: "Revenue per month", team: "sales-analytics",
			tags: []string{"finance"}}),
	)
}

func search(t *testing.T, e *env, query string) catalog.SearchResult {
	t.Helper()
	w := e.do("GET", "/api/products?"+query, nil)
	if w.Code != 200 {
		t.Fatalf("search %s: %d %s", query, w.Code, w.Body)
	}
	var res catalog.SearchResult
	decode(t, w, &res)
	return res
}

func ids(res catalog.SearchResult) []string {
	var out []string
	for _, it := range res.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestSearchAPI(t *testing.T) {
	e := newEnv(t)
	seedSearch(e)
	e.register("geo-node", "http://geo.node:8081", nodeProduct("http://geo.node:8081", "geo", "airports", "1.0.0"))

	res := search(t, e, "")
	if res.Total != 4 || len(res.Items) != 4 || res.Limit != 20 {
		t.Fatalf("all: %+v", res)
	}
	if got := ids(res); !slices.Equal(got, []string{"aviation/delays-by-airport@1.0.0", "aviation/fleet@1.1.0", "geo/airports@1.0.0", "sales/monthly-revenue@1.0.0"}) {
		t.Errorf("order without q: %v", got)
	}
	geo := res.Items[2]
	if geo.URL != "http://geo.node:8081/products/airports" || geo.Status != "available" || geo.Links["catalog"] != "http://catalog.test/api/products/geo/airports" ||
		geo.Links["data"] != "http://geo.node:8081/products/airports/v1/data" || geo.Title != "Airports of the world" || geo.Owner.Team != "geo-data" {
		t.Errorf("served item %+v", geo)
	}
	if it := res.Items[3]; it.URL != "" || it.Status != "published" || it.Links["catalog"] == "" || it.Tags == nil {
		t.Errorf("published item %+v", it)
	}
	facets := fmt.Sprint(res.Facets)
	if want := "{[{aviation 2} {geo 1} {sales 1}] [{aviation-analytics 1} {aviation-ops 1} {geo-data 1} {sales-analytics 1}] " +
		"[{aircraft 1} {airports 1} {delays 1} {finance 1} {flights 1} {reference 1}] [{published 3} {available 1}]}"; facets != want {
		t.Errorf("facets\n got %s\nwant %s", facets, want)
	}

	// Ranking: the product named delays first, the one with a delays column after.
	if got := ids(search(t, e, "q=delays")); !slices.Equal(got, []string{"aviation/delays-by-airport@1.0.0", "aviation/fleet@1.1.0"}) {
		t.Errorf("q=delays: %v", got)
	}
	cases := map[string][]string{
		"q=" + url.QueryEscape("domain:aviation tag:delays"):           {"aviation/delays-by-airport@1.0.0"},
		"q=" + url.QueryEscape("airport domain:geo"):                   {"geo/airports@1.0.0"},
		"q=" + url.QueryEscape("owner:GEO-DATA"):                       {"geo/airports@1.0.0"},
		"q=" + url.QueryEscape("status:available"):                     {"geo/airports@1.0.0"},
		"q=" + url.QueryEscape(`"flight delays"`):                      {"aviation/delays-by-airport@1.0.0"},
		"q=" + url.QueryEscape(`"domain:aviation"`):                    nil, // text, not a filter
		"q=air&domain=geo&domain=sales":                                {"geo/airports@1.0.0"},
		"tag=aircraft":                                                 {"aviation/fleet@1.1.0"},
		"status=published&owner=sales-analytics":                       {"sales/monthly-revenue@1.0.0"},
		"q=" + url.QueryEscape(`NEAR("x" y) OR * ^ '' ; -- ) ( : AND`): nil,
	}
	for q, want := range cases {
		if got := ids(search(t, e, q)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	res = search(t, e, "q=aviation&limit=1&offset=1")
	if res.Total != 2 || len(res.Items) != 1 || res.Offset != 1 {
		t.Errorf("page: %+v", res)
	}
	for _, bad := range []struct{ q, param string }{
		{"q=" + url.QueryEscape("colour:red"), "q"},
		{"q=" + url.QueryEscape("domain:"), "q"},
		{"q=" + url.QueryEscape("status:gone"), "q"},
		{"status=gone", "status"},
		{"q=" + strings.Repeat("a", 2000), "q"},
		{"q=%ff", "q"},
		{"limit=0", "limit"},
		{"limit=1000", "limit"},
		{"limit=x", "limit"},
		{"offset=-1", "offset"},
	} {
		p := problemOf(t, e.do("GET", "/api/products?"+bad.q, nil), http.StatusBadRequest)
		if p["parameter"] != bad.param {
			t.Errorf("%s: parameter %v, want %s", bad.q, p["parameter"], bad.param)
		}
	}
}

func TestProductDetail(t *testing.T) {
	e := newEnv(t)
	e.mustPublish(
		desc(spec{domain: "geo", name: "airports", version: "1.0.0"}),
		desc(spec{domain: "geo", name: "airports", version: "1.2.0", columns: []string{"id:string", "iata:string"}}),
		desc(spec{domain: "aviation", name: "delays", version: "1.0.0", reads: []string{"geo/airports@^1"}}),
		desc(spec{domain: "finance", name: "costs", version: "2.0.0", reads: []string{"geo/airports@~1.2"}}),
	)
	e.register("geo-a", "http://a:1", nodeProduct("http://a:1", "geo", "airports", "1.2.0"))
	e.register("geo-b", "http://b:1", nodeProduct("http://b:1", "geo", "airports", "1.2.0"))
	w := e.do("GET", "/api/products/geo/airports", nil)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var d catalog.ProductDetail
	decode(t, w, &d)
	if d.ID != "geo/airports@1.2.0" || d.Status != "available" || d.URL == "" || len(d.Schema) != 2 || d.SLA.Freshness != "24h" ||
		d.Owner.Team != "geo-team" || len(d.Inputs) != 1 {
		t.Errorf("detail %+v", d)
	}
	if len(d.Versions) != 2 || d.Versions[0].Version != "1.2.0" || len(d.Versions[0].Nodes) != 2 || d.Versions[1].Status != "published" ||
		len(d.Versions[1].Nodes) != 0 || d.Versions[0].Links["catalog"] != "http://catalog.test/api/products/geo/airports/1.2.0" {
		t.Errorf("versions %+v", d.Versions)
	}
	var got []string
	for _, c := range d.Consumers {
		got = append(got, fmt.Sprintf("%s %s %v %v", c.ID, c.Owner.Team, c.Versions, c.Ranges))
	}
	if want := []string{"aviation/delays aviation-team [1.0.0] [^1]", "finance/costs finance-team [2.0.0] [~1.2]"}; !slices.Equal(got, want) {
		t.Errorf("consumers %q", got)
	}
	problemOf(t, e.do("GET", "/api/products/geo/nope", nil), http.StatusNotFound)
	problemOf(t, e.do("GET", "/api/products/Geo/x", nil), http.StatusNotFound)
	p := problemOf(t, e.do("GET", "/api/products/geo/airports/9.9.9", nil), http.StatusNotFound)
	if !strings.Contains(p["detail"].(string), "1.0.0 published, 1.2.0 available") {
		t.Errorf("detail %s", p["detail"])
	}
}

func TestResolveRanges(t *testing.T) {
	e := newEnv(t)
	var files []catalog.File
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.2.7", "1.3.0", "2.0.0", "3.0.0"} {
		files = append(files, desc(spec{domain: "geo", name: "airports", version: v}))
	}
	e.mustPublish(files...)
	// Nodes serve every version but 1.3.0 (published only); 3.0.0's node
	// stops heartbeating.
	var served []catalog.NodeProduct
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.2.7", "2.0.0"} {
		served = append(served, nodeProduct("http://n1", "geo", "airports", v))
	}
	e.register("n1", "http://n1", served...)
	e.register("n3", "http://n3", nodeProduct("http://n3", "geo", "airports", "3.0.0"))
	e.clock.Add(20 * time.Second)
	e.do("POST", "/api/nodes/n1/heartbeat", nil)
	e.clock.Add(20 * time.Second)
	if names, err := e.srv.Sweep(context.Background()); err != nil || !slices.Equal(names, []string{"n3"}) {
		t.Fatalf("sweep %v %v", names, err)
	}
	cases := map[string]string{
		"^1":        "1.2.7", // 1.3.0 is not served
		"~1.2":      "1.2.7",
		"~1.1":      "1.1.0",
		">=1.1 <2":  "1.2.7",
		"1.0.0":     "1.0.0",
		"^2":        "2.0.0",
		"*":         "2.0.0", // 3.0.0's node is unavailable
		">=1.2, <3": "2.0.0",
	}
	for rng, want := range cases {
		w := e.do("GET", "/api/resolve/geo/airports?range="+url.QueryEscape(rng), nil)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", rng, w.Code, w.Body)
			continue
		}
		var r catalog.Resolution
		decode(t, w, &r)
		if r.Version != want || r.URL != "http://n1/products/airports" || r.Node != "n1" || r.NodeURL != "http://n1" || r.Range != rng {
			t.Errorf("%s: %+v, want %s", rng, r, want)
		}
	}
	var r catalog.Resolution
	decode(t, e.do("GET", "/api/resolve?ref="+url.QueryEscape("geo/airports@~1.2"), nil), &r)
	if r.ID != "geo/airports@1.2.7" || r.Major != 1 || r.Links["data"] == "" {
		t.Errorf("ref form: %+v", r)
	}
	p := problemOf(t, e.do("GET", "/api/resolve/geo/airports?range="+url.QueryEscape("~1.3"), nil), http.StatusNotFound)
	for _, want := range []string{"no available version of geo/airports matches \"~1.3\"", "1.3.0 (published, no node serves it)", "3.0.0 (unavailable)", "1.0.0 (available)"} {
		if !strings.Contains(p["detail"].(string), want) {
			t.Errorf("detail lacks %q: %s", want, p["detail"])
		}
	}
	problemOf(t, e.do("GET", "/api/resolve/geo/nope?range=^1", nil), http.StatusNotFound)
	problemOf(t, e.do("GET", "/api/resolve/geo/airports?range="+url.QueryEscape("not a range"), nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/resolve?ref=nonsense", nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/resolve", nil), http.StatusBadRequest)
}

// chain publishes d -> c -> b -> a (a reads b, ...) and e reading a.
func chain(e *env) {
	e.mustPublish(
		desc(spec{domain: "x", name: "d", version: "1.0.0", team: "team-d"}),
		desc(spec{domain: "x", name: "c", version: "1.0.0", team: "team-c", reads: []string{"x/d@^1"}}),
		desc(spec{domain: "x", name: "b", version: "1.0.0", team: "team-b", reads: []string{"x/c@^1"}}),
		desc(spec{domain: "x", name: "a", version: "1.0.0", team: "team-a", reads: []string{"x/b@^1"}}),
		desc(spec{domain: "y", name: "e", version: "1.0.0", team: "team-e", reads: []string{"x/a@^1", "x/c@^1"}}),
		desc(spec{domain: "x", name: "b", version: "2.0.0", team: "team-b"}),
		desc(spec{domain: "y", name: "f", version: "1.0.0", team: "team-e", reads: []string{"x/b@^2"}}),
	)
}

func lineage(t *testing.T, e *env, path string) catalog.LineageGraph {
	t.Helper()
	w := e.do("GET", path, nil)
	if w.Code != 200 {
		t.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
	var g catalog.LineageGraph
	decode(t, w, &g)
	return g
}

func nodeIDs(g catalog.LineageGraph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, fmt.Sprintf("%s:%d:%s", n.ID, n.Distance, n.Kind))
	}
	return out
}

func TestLineageDepth(t *testing.T) {
	e := newEnv(t)
	chain(e)
	g := lineage(t, e, "/api/lineage/x/a?direction=upstream&depth=1")
	if got := nodeIDs(g); !slices.Equal(got, []string{"x/a:0:product", "x/b:1:product", "x:file:data/a.csv:1:source"}) {
		t.Errorf("depth 1: %v", got)
	}
	if !g.Truncated || len(g.Edges) != 2 {
		t.Errorf("depth 1: truncated %v edges %+v", g.Truncated, g.Edges)
	}
	g = lineage(t, e, "/api/lineage/x/a?direction=upstream&depth=3")
	var products []string
	for _, n := range g.Nodes {
		if n.Kind == "product" {
			products = append(products, fmt.Sprintf("%s:%d", n.ID, n.Distance))
		}
	}
	if !slices.Equal(products, []string{"x/a:0", "x/b:1", "x/c:2", "x/d:3"}) || !g.Truncated {
		t.Errorf("depth 3: %v truncated %v (d's file is 4 hops away)", products, g.Truncated)
	}
	if g4 := lineage(t, e, "/api/lineage/x/a?direction=upstream&depth=4"); g4.Truncated || len(g4.Nodes) != 8 {
		t.Errorf("depth 4: truncated %v nodes %v", g4.Truncated, nodeIDs(g4))
	}
	var edges []string
	for _, ed := range g.Edges {
		if ed.Kind == "product" {
			edges = append(edges, fmt.Sprintf("%s->%s %v %v", ed.From, ed.To, ed.Versions, ed.Ranges))
		}
	}
	if want := []string{"x/b->x/a [1.0.0] [^1]", "x/c->x/b [1.0.0] [^1]", "x/d->x/c [1.0.0] [^1]"}; !slices.Equal(edges, want) {
		t.Errorf("edges %v", edges)
	}
	g = lineage(t, e, "/api/lineage/x/c?direction=downstream&depth=2")
	if got := nodeIDs(g); !slices.Equal(got, []string{"x/c:0:product", "x/b:1:product", "y/e:1:product", "x/a:2:product", "y/f:2:product"}) {
		t.Errorf("downstream: %v", got)
	}
	g = lineage(t, e, "/api/lineage/x/b")
	if g.Direction != "both" || g.Depth != 5 {
		t.Errorf("defaults %+v", g)
	}
	ids := strings.Join(nodeIDs(g), " ")
	for _, want := range []string{"x/a:1", "x/c:1", "x/d:2", "y/e:2", "y/f:1"} {
		if !strings.Contains(ids, want) {
			t.Errorf("both: %s lacks %s", ids, want)
		}
	}
	for _, n := range g.Nodes {
		if n.Kind == "product" && (n.Owner == nil || n.Version == "") {
			t.Errorf("node without its product's fields: %+v", n)
		}
	}
	problemOf(t, e.do("GET", "/api/lineage/x/a?direction=sideways", nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/lineage/x/a?depth=0", nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/lineage/x/a?depth=51", nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/lineage/x/zz", nil), http.StatusNotFound)
}

func TestLineageUnknownUpstream(t *testing.T) {
	e := newEnv(t)
	e.mustPublish(desc(spec{domain: "x", name: "a", version: "1.0.0", reads: []string{"geo/missing@^1"}}))
	g := lineage(t, e, "/api/lineage/x/a?direction=upstream")
	if got := nodeIDs(g); !slices.Contains(got, "geo/missing:1:unknown") {
		t.Errorf("nodes %v", got)
	}
}

func TestImpactTransitive(t *testing.T) {
	e := newEnv(t)
	chain(e)
	w := e.do("GET", "/api/impact/x/d", nil)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var rep catalog.ImpactReport
	decode(t, w, &rep)
	var got []string
	for _, c := range rep.Consumers {
		got = append(got, fmt.Sprintf("%s:%d:%s:%v", c.ID, c.Distance, c.Owner.Team, c.Via))
	}
	want := []string{"x/c:1:team-c:[x/d]", "x/b:2:team-b:[x/c]", "y/e:2:team-e:[x/c]", "x/a:3:team-a:[x/b]", "y/f:3:team-e:[x/b]"}
	if !slices.Equal(got, want) {
		t.Errorf("consumers\n got %v\nwant %v", got, want)
	}
	var owners []string
	for _, o := range rep.Owners {
		owners = append(owners, fmt.Sprintf("%s(%s):%v", o.Team, o.Email, o.Products))
	}
	if want := []string{"team-a(team-a@example.com):[x/a]", "team-b(team-b@example.com):[x/b]", "team-c(team-c@example.com):[x/c]",
		"team-e(team-e@example.com):[y/e y/f]"}; !slices.Equal(owners, want) {
		t.Errorf("owners %v", owners)
	}
	// A change to b 2.0.0 concerns f (^2), not a (^1).
	decode(t, e.do("GET", "/api/impact/x/b?version=2.0.0", nil), &rep)
	got = nil
	for _, c := range rep.Consumers {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, []string{"y/f"}) {
		t.Errorf("impact of b 2.0.0: %v", got)
	}
	problemOf(t, e.do("GET", "/api/impact/x/b?version=two", nil), http.StatusBadRequest)
	problemOf(t, e.do("GET", "/api/impact/x/nope", nil), http.StatusNotFound)
}

func TestDomains(t *testing.T) {
	e := newEnv(t)
	seedSearch(e)
	var res struct{ Items []catalog.Domain }
	decode(t, e.do("GET", "/api/domains", nil), &res)
	if got := fmt.Sprint(res.Items); got != "[{aviation 2 [aviation-analytics aviation-ops]} {geo 1 [geo-data]} {sales 1 [sales-analytics]}]" {
		t.Errorf("domains %s", got)
	}
}

func TestNodesAndHeartbeats(t *testing.T) {
	e := newEnv(t)
	e.mustPublish(desc(spec{domain: "geo", name: "airports", version: "1.0.0"}))
	full := nodeProduct("http://geo:8081", "geo", "airports", "1.0.0")
	full.Versions = []catalog.NodeVersion{{Version: "1.0.0", Major: 1}, {Version: "2.1.0", Major: 2,
		Links: map[string]string{"self": "http://geo:8081/products/airports"}}}
	regions := nodeProduct("http://geo:8081", "geo", "regions", "1.0.0", "geo/airports@^1")
	regions.SLA.Measured = json.RawMessage(`{"freshness":{"value":"2h","known":true,"status":"met"}}`)
	regions.Serving = json.RawMessage(`{"refresh":"@hourly","consecutiveFailures":0}`)
	w := e.register("geo", "http://geo:8081/", full, regions)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var rr catalog.RegisterResult
	decode(t, w, &rr)
	if !slices.Equal(rr.Products, []string{"geo/airports@1.0.0", "geo/airports@2.1.0", "geo/regions@1.0.0"}) || rr.TTL != "30s" || rr.HeartbeatInterval != "10s" {
		t.Errorf("register %+v", rr)
	}
	// The node's record of a published version is not taken over; an
	// unknown version becomes a record from the node; a version listed
	// only is partial.
	var p catalog.Product
	decode(t, e.do("GET", "/api/products/geo/airports/1.0.0", nil), &p)
	if p.Source != "publish" || p.Status != "available" {
		t.Errorf("published version %+v", p)
	}
	var rd catalog.ProductDetail
	decode(t, e.do("GET", "/api/products/geo/regions", nil), &rd)
	var reported map[string]any
	json.Unmarshal(rd.Versions[0].Nodes[0].Status, &reported)
	if reported["state"] != "available" || reported["sla"] == nil || reported["serving"] == nil {
		t.Errorf("status kept from the node: %s", rd.Versions[0].Nodes[0].Status)
	}
	decode(t, e.do("GET", "/api/products/geo/regions/1.0.0", nil), &p)
	if p.Source != "node" || p.Inputs[1].Ref != "geo/airports@^1" || p.SLA.Freshness != "24h" || p.Schema[0].PhysicalType != "VARCHAR" {
		t.Errorf("node version %+v", p)
	}
	decode(t, e.do("GET", "/api/products/geo/airports/2.1.0", nil), &p)
	if !p.Partial || p.Status != "available" {
		t.Errorf("listed version %+v", p)
	}
	var n catalog.Node
	decode(t, e.do("GET", "/api/nodes/geo", nil), &n)
	if n.URL != "http://geo:8081" || !n.Available || len(n.Products) != 3 || !slices.Equal(n.Domains, []string{"geo"}) {
		t.Errorf("node %+v", n)
	}
	var list struct{ Items []catalog.Node }
	decode(t, e.do("GET", "/api/nodes", nil), &list)
	if len(list.Items) != 1 {
		t.Errorf("nodes %+v", list)
	}

	// Heartbeats keep it available; silence past the TTL does not.
	e.clock.Add(25 * time.Second)
	if w := e.do("POST", "/api/nodes/geo/heartbeat", catalog.Heartbeat{Products: []catalog.ProductStatus{
		{ID: "geo/regions@1.0.0", Status: []byte(`{"state":"available","quality":{"passed":3,"failed":0}}`)}}}); w.Code != 200 {
		t.Fatalf("heartbeat %d %s", w.Code, w.Body)
	}
	e.clock.Add(25 * time.Second)
	if names, _ := e.srv.Sweep(context.Background()); len(names) != 0 {
		t.Errorf("expired %v 25s after a heartbeat", names)
	}
	var d catalog.ProductDetail
	decode(t, e.do("GET", "/api/products/geo/regions", nil), &d)
	var compact bytes.Buffer
	json.Compact(&compact, d.Versions[0].Nodes[0].Status)
	if !strings.Contains(compact.String(), `"passed":3`) {
		t.Errorf("status from the heartbeat: %s", d.Versions[0].Nodes[0].Status)
	}
	e.clock.Add(10 * time.Second)
	if names, _ := e.srv.Sweep(context.Background()); !slices.Equal(names, []string{"geo"}) {
		t.Errorf("expired %v 35s after a heartbeat", names)
	}
	res := search(t, e, "q=status:unavailable")
	if res.Total != 2 {
		t.Errorf("unavailable products: %+v", res)
	}
	decode(t, e.do("GET", "/api/products/geo/airports", nil), &d)
	if d.Status != "unavailable" || d.Versions[0].Nodes[0].Available {
		t.Errorf("after expiry %+v", d)
	}
	problemOf(t, e.do("GET", "/api/resolve/geo/regions", nil), http.StatusNotFound)
	// A heartbeat brings it back.
	if w := e.do("POST", "/api/nodes/geo/heartbeat", nil); w.Code != 200 {
		t.Fatalf("heartbeat %d %s", w.Code, w.Body)
	}
	if res := search(t, e, "q=status:available"); res.Total != 2 {
		t.Errorf("available again: %+v", res)
	}
	if w := e.do("GET", "/api/resolve/geo/regions", nil); w.Code != 200 {
		t.Errorf("resolve after heartbeat %d", w.Code)
	}

	p2 := problemOf(t, e.do("POST", "/api/nodes/ghost/heartbeat", nil), http.StatusNotFound)
	if !strings.Contains(p2["detail"].(string), "register it again") {
		t.Errorf("detail %s", p2["detail"])
	}
	problemOf(t, e.do("GET", "/api/nodes/ghost", nil), http.StatusNotFound)
	bad := nodeProduct("x", "Geo", "air ports", "1.0")
	p2 = problemOf(t, e.register("bad name!", "ftp://x", bad), http.StatusUnprocessableEntity)
	if got := len(p2["problems"].([]any)); got != 5 {
		t.Errorf("%d problems, want 5 (name, url, domain, name, version): %s", got, p2["detail"])
	}
	problemOf(t, e.do("POST", "/api/nodes", `[]`), http.StatusBadRequest)
	problemOf(t, e.do("POST", "/api/nodes/geo/heartbeat", `{"products": 3}`), http.StatusBadRequest)
}

func TestNodeToken(t *testing.T) {
	e := newEnv(t, func(o *catalog.Options) { o.NodeToken = "node-token" })
	np := nodeProduct("http://n", "geo", "airports", "1.0.0")
	problemOf(t, e.register("n", "http://n", np), http.StatusUnauthorized)
	w := e.do("POST", "/api/nodes", catalog.Registration{Name: "n", URL: "http://n", Products: []catalog.NodeProduct{np}}, "Authorization", "Bearer node-token")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	problemOf(t, e.do("POST", "/api/nodes/n/heartbeat", nil), http.StatusUnauthorized)
}

func TestHeartbeatExpiryRealTime(t *testing.T) {
	e := newEnv(t, func(o *catalog.Options) {
		o.HeartbeatTTL = 150 * time.Millisecond
		o.Now = time.Now
		o.Addr = "127.0.0.1:0"
	})
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.srv.Shutdown(context.Background())
	e.register("n", "http://n", nodeProduct("http://n", "geo", "airports", "1.0.0"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n catalog.Node
		decode(t, e.do("GET", "/api/nodes/n", nil), &n)
		if !n.Available {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node was never marked unavailable")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestErrorsAreProblems(t *testing.T) {
	e := newEnv(t)
	p := problemOf(t, e.do("DELETE", "/api/products", nil), http.StatusMethodNotAllowed)
	if !strings.Contains(p["detail"].(string), "GET") {
		t.Errorf("detail %s", p["detail"])
	}
	problemOf(t, e.do("GET", "/api/publish", nil), http.StatusMethodNotAllowed)
	problemOf(t, e.do("GET", "/api/nothing/here", nil), http.StatusNotFound)
	problemOf(t, e.do("GET", "/nothing", nil), http.StatusNotFound)
	if w := e.do("GET", "/healthz", nil); w.Code != 200 {
		t.Errorf("healthz %d", w.Code)
	}
	if w := e.do("HEAD", "/api/products", nil); w.Code != 200 {
		t.Errorf("HEAD %d", w.Code)
	}
}

func TestServerLifecycle(t *testing.T) {
	e := newEnv(t, func(o *catalog.Options) { o.Addr = "127.0.0.1:0"; o.BaseURL = "" })
	if e.srv.Addr() != "" || e.srv.URL() != "" {
		t.Errorf("before Start: %q %q", e.srv.Addr(), e.srv.URL())
	}
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.srv.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("not ready")
	}
	if e.srv.URL() != "http://"+e.srv.Addr() {
		t.Errorf("URL %q Addr %q", e.srv.URL(), e.srv.Addr())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.srv.URL() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	e.mustPublish(desc(spec{domain: "geo", name: "airports", version: "1.0.0"}))
	res := search(t, e, "")
	if res.Items[0].Links["catalog"] != e.srv.URL()+"/api/products/geo/airports" {
		t.Errorf("links after Start: %v", res.Items[0].Links)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if err := <-e.srv.Done(); err != nil {
		t.Errorf("Done: %v", err)
	}
	problemOf(t, e.do("GET", "/readyz", nil), http.StatusServiceUnavailable)
	if _, err := http.Get(e.srv.URL() + "/healthz"); err == nil {
		t.Error("still listening after Shutdown")
	}
	if _, err := catalog.New(catalog.Options{}); err == nil {
		t.Error("New without a store")
	}
}

func TestUIMount(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page " + r.URL.Path)) })
	e := newEnv(t, func(o *catalog.Options) { o.UI = ui })
	if w := e.do("GET", "/products/geo/airports", nil); w.Body.String() != "page /products/geo/airports" {
		t.Errorf("UI got %q", w.Body)
	}
	problemOf(t, e.do("GET", "/api/nope", nil), http.StatusNotFound)
}
