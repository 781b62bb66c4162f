// Package storetest is the one test suite every catalog.Store passes. A
// store package calls RunStoreTests from its own tests with a function
// returning a new, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
)

// Product makes a valid product version for tests; edit it with opts.
func Product(domain, name, version string, opts ...func(*catalog.Product)) *catalog.Product {
	major := 0
	fmt.Sscanf(version, "%d", &major)
	p := &catalog.Product{
		Domain: domain, Name: name, Version: version, Major: major,
		Title:       "The " + name + " product",
		Description: "Rows about " + name + ".",
		Owner:       catalog.Owner{Team: domain + "-team", Email: domain + "@example.com"},
		Tags:        []string{domain},
		Inputs:      []catalog.Input{catalog.NewInput("raw", "file", map[string]any{"path": "data/" + name + ".csv"})},
		Transform:   "select * from raw",
		Schema:      []catalog.Column{{Name: "id", LogicalType: "string", Description: "identifier"}},
		ServingMode: "live",
		SLA:         catalog.SLA{Freshness: "24h"},
		Descriptor:  "name: " + name + "\n",
		File:        domain + "/" + name + ".yaml",
		Source:      catalog.SourcePublish,
	}
	for _, o := range opts {
		o(p)
	}
	p.ContentHash = catalog.Hash(p)
	return p
}

// Reads adds a product input.
func Reads(input, ref string) func(*catalog.Product) {
	return func(p *catalog.Product) {
		p.Inputs = append(p.Inputs, catalog.NewInput(input, "product", map[string]any{"ref": ref}))
	}
}

// With sets title, description and tags.
func With(title, description string, tags ...string) func(*catalog.Product) {
	return func(p *catalog.Product) {
		p.Title, p.Description = title, description
		if tags != nil {
			p.Tags = tags
		}
	}
}

// OwnedBy sets the owner.
func OwnedBy(team, email string) func(*catalog.Product) {
	return func(p *catalog.Product) { p.Owner = catalog.Owner{Team: team, Email: email} }
}

// RunStoreTests runs the suite; newStore returns a new, empty store, closed
// by the caller's cleanup.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st catalog.Store)
	}{
		{"PublishAndRead", testPublishAndRead},
		{"PublishUnchanged", testPublishUnchanged},
		{"PublishConflictIsAtomic", testPublishConflict},
		{"PublishCheckSeesGraphAndAborts", testPublishCheck},
		{"VersionOrder", testVersionOrder},
		{"RegisterNode", testRegisterNode},
		{"NodeRecordReplacedByPublish", testNodeReplacedByPublish},
		{"PartialNeverReplacesFull", testPartial},
		{"ReRegisterDropsOldServing", testReRegister},
		{"HeartbeatAndExpiry", testHeartbeatExpiry},
		{"Replicas", testReplicas},
		{"SearchText", testSearchText},
		{"SearchRanking", testSearchRanking},
		{"SearchFilters", testSearchFilters},
		{"SearchFacetsAndPages", testSearchFacets},
		{"SearchOnlyLatest", testSearchLatest},
		{"SearchHostileText", testSearchHostile},
		{"Summaries", testSummaries},
		{"Edges", testEdges},
		{"Domains", testDomains},
		{"ConcurrentPublishes", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			tc.fn(t, st)
			if err := st.Check(context.Background()); err != nil {
				t.Fatalf("store inconsistent after the test: %v", err)
			}
		})
	}
}

func publish(t *testing.T, st catalog.Store, ps ...*catalog.Product) []catalog.Outcome {
	t.Helper()
	out, err := st.Publish(context.Background(), ps, nil)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return out
}

func statuses(out []catalog.Outcome) string {
	var s []string
	for _, o := range out {
		s = append(s, o.ID+"="+o.Status)
	}
	return strings.Join(s, " ")
}

func testPublishAndRead(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	p := Product("aviation", "delays", "1.0.0", Reads("airports", "geo/airports@^1"), func(p *catalog.Product) {
		p.Schema = append(p.Schema, catalog.Column{Name: "delay", LogicalType: "number", Required: true, Examples: []any{1.5}})
		p.Tags = []string{"Flights", "delays"}
		p.PrimaryKey = []string{"id"}
	})
	out := publish(t, st, p)
	if got := statuses(out); got != "aviation/delays@1.0.0=created" {
		t.Fatalf("outcomes %s", got)
	}
	got, err := st.Product(ctx, "aviation", "delays", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentHash != p.ContentHash || catalog.Hash(got) != p.ContentHash {
		t.Errorf("hash %s, stored %s, recomputed %s", p.ContentHash, got.ContentHash, catalog.Hash(got))
	}
	if got.Descriptor != p.Descriptor || got.File != p.File || got.Source != catalog.SourcePublish {
		t.Errorf("descriptor/file/source not kept: %+v", got)
	}
	if !got.Latest || got.Status != catalog.StatusPublished {
		t.Errorf("latest %v status %q", got.Latest, got.Status)
	}
	if got.PublishedAt.IsZero() || time.Since(got.PublishedAt) > time.Hour {
		t.Errorf("publishedAt %v", got.PublishedAt)
	}
	if len(got.Schema) != 2 || got.Schema[1].Name != "delay" || !got.Schema[1].Required || got.SLA.Freshness != "24h" {
		t.Errorf("contract not kept: %+v", got)
	}
	if len(got.Inputs) != 2 || got.Inputs[1].Ref != "geo/airports@^1" || got.Inputs[0].Source != "file:data/delays.csv" {
		t.Errorf("inputs %+v", got.Inputs)
	}
	if _, err := st.Product(ctx, "aviation", "delays", "2.0.0"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("missing version: %v, want ErrNotFound", err)
	}
	if vs, err := st.Versions(ctx, "nope", "nope"); err != nil || len(vs) != 0 {
		t.Errorf("versions of nothing: %v %v", vs, err)
	}
}

func testPublishUnchanged(t *testing.T, st catalog.Store) {
	p := Product("geo", "airports", "1.0.0")
	publish(t, st, p)
	again := Product("geo", "airports", "1.0.0", func(p *catalog.Product) { p.Descriptor = "# a comment\nname: airports\n" })
	out := publish(t, st, again, Product("geo", "airports", "1.1.0"))
	if got := statuses(out); got != "geo/airports@1.0.0=unchanged geo/airports@1.1.0=created" {
		t.Fatalf("outcomes %s", got)
	}
	got, _ := st.Product(context.Background(), "geo", "airports", "1.0.0")
	if got.Descriptor != p.Descriptor {
		t.Errorf("an unchanged publish rewrote the descriptor: %q", got.Descriptor)
	}
}

func testPublishConflict(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	publish(t, st, Product("geo", "airports", "1.0.0"))
	changed := Product("geo", "airports", "1.0.0", With("Other title", "Other."))
	_, err := st.Publish(ctx, []*catalog.Product{Product("geo", "regions", "1.0.0"), changed}, nil)
	var ce *catalog.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	if len(ce.Conflicts) != 1 || ce.Conflicts[0].Existing.Title != "The airports product" || ce.Conflicts[0].New.Title != "Other title" {
		t.Fatalf("conflicts %+v", ce.Conflicts)
	}
	if vs, _ := st.Versions(ctx, "geo", "regions"); len(vs) != 0 {
		t.Errorf("a refused publish wrote part of its batch: %d versions of geo/regions", len(vs))
	}
}

func testPublishCheck(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	publish(t, st, Product("geo", "airports", "1.0.0"), Product("aviation", "delays", "1.0.0", Reads("airports", "geo/airports@^1")))
	var seen *catalog.Graph
	refuse := errors.New("refused")
	_, err := st.Publish(ctx, []*catalog.Product{Product("geo", "airports", "1.1.0")}, func(g *catalog.Graph) error {
		seen = g
		return refuse
	})
	if !errors.Is(err, refuse) {
		t.Fatalf("err = %v, want the check's error", err)
	}
	if seen == nil {
		t.Fatal("check not called")
	}
	deps := seen.Deps["aviation/delays@1.0.0"]
	if len(deps) != 1 || deps[0].To != (catalog.Key{Domain: "geo", Name: "airports"}) || deps[0].Range != "^1" || deps[0].Input != "airports" {
		t.Errorf("deps %+v", deps)
	}
	if vs := seen.Versions[catalog.Key{Domain: "geo", Name: "airports"}]; !slices.Equal(vs, []string{"1.0.0"}) {
		t.Errorf("versions %v", vs)
	}
	if vs, _ := st.Versions(ctx, "geo", "airports"); len(vs) != 1 {
		t.Errorf("a publish refused by its check was written: %d versions", len(vs))
	}
}

func testVersionOrder(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	for _, v := range []string{"1.10.0", "1.9.0", "2.0.0-rc.1", "1.2.3"} {
		publish(t, st, Product("geo", "airports", v))
	}
	vs, err := st.Versions(ctx, "geo", "airports")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	latest := ""
	for _, v := range vs {
		got = append(got, v.Version)
		if v.Latest {
			latest += v.Version
		}
	}
	if want := []string{"1.2.3", "1.9.0", "1.10.0", "2.0.0-rc.1"}; !slices.Equal(got, want) {
		t.Errorf("versions %v, want %v", got, want)
	}
	if latest != "2.0.0-rc.1" {
		t.Errorf("latest %q", latest)
	}
	publish(t, st, Product("geo", "airports", "2.0.0"))
	sums, _ := st.Summaries(ctx, []catalog.Key{{Domain: "geo", Name: "airports"}})
	if sums[catalog.Key{Domain: "geo", Name: "airports"}].Version != "2.0.0" {
		t.Errorf("summary after 2.0.0: %+v", sums)
	}
}

func served(p *catalog.Product, nodeURL string, status string) catalog.Served {
	c := *p
	c.Source, c.Descriptor, c.File = catalog.SourceNode, "", ""
	c.ContentHash = catalog.Hash(&c)
	s := catalog.Served{Product: &c, URL: nodeURL + "/products/" + p.Name,
		Links: map[string]string{"self": nodeURL + "/products/" + p.Name, "data": fmt.Sprintf("%s/products/%s/v%d/data", nodeURL, p.Name, p.Major)}}
	if status != "" {
		s.Status = json.RawMessage(status)
	}
	return s
}

func register(t *testing.T, st catalog.Store, name, url string, now time.Time, sv ...catalog.Served) {
	t.Helper()
	n := catalog.Node{Name: name, URL: url, Domains: []string{"geo"}}
	if err := st.RegisterNode(context.Background(), n, sv, now); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testRegisterNode(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	publish(t, st, Product("geo", "airports", "1.0.0"))
	register(t, st, "geo-node", "http://127.0.0.1:9001", t0,
		served(Product("geo", "airports", "1.0.0"), "http://127.0.0.1:9001", `{"state":"available","freshness":"1h"}`),
		served(Product("geo", "regions", "1.2.0"), "http://127.0.0.1:9001", ""))
	p, err := st.Product(ctx, "geo", "regions", "1.2.0")
	if err != nil {
		t.Fatalf("a version known only from a node was not recorded: %v", err)
	}
	if p.Source != catalog.SourceNode || p.Status != catalog.StatusAvailable || len(p.Schema) != 1 {
		t.Errorf("node record %+v", p)
	}
	a, _ := st.Product(ctx, "geo", "airports", "1.0.0")
	if a.Source != catalog.SourcePublish || a.Status != catalog.StatusAvailable || a.Descriptor == "" {
		t.Errorf("a published record must be kept and become available: %+v", a)
	}
	sv, err := st.Serving(ctx, "geo", "airports")
	if err != nil || len(sv) != 1 {
		t.Fatalf("serving %v %v", sv, err)
	}
	if sv[0].Node != "geo-node" || sv[0].NodeURL != "http://127.0.0.1:9001" || sv[0].URL != "http://127.0.0.1:9001/products/airports" ||
		!sv[0].Available || !sv[0].LastHeartbeat.Equal(t0) || sv[0].Links["data"] == "" {
		t.Errorf("serving %+v", sv[0])
	}
	var status map[string]any
	if err := json.Unmarshal(sv[0].Status, &status); err != nil || status["freshness"] != "1h" {
		t.Errorf("status %s (%v)", sv[0].Status, err)
	}
	n, err := st.Node(ctx, "geo-node")
	if err != nil {
		t.Fatal(err)
	}
	if !n.Available || !slices.Equal(n.Products, []string{"geo/airports@1.0.0", "geo/regions@1.2.0"}) || !slices.Equal(n.Domains, []string{"geo"}) {
		t.Errorf("node %+v", n)
	}
	if _, err := st.Node(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown node: %v", err)
	}
	ns, _ := st.Nodes(ctx)
	if len(ns) != 1 {
		t.Errorf("nodes %+v", ns)
	}
}

func testNodeReplacedByPublish(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	register(t, st, "geo-node", "http://127.0.0.1:9001", t0, served(Product("geo", "airports", "1.0.0"), "http://127.0.0.1:9001", ""))
	out := publish(t, st, Product("geo", "airports", "1.0.0", With("Published title", "Published.")))
	if got := statuses(out); got != "geo/airports@1.0.0=replaced" {
		t.Fatalf("outcomes %s", got)
	}
	p, _ := st.Product(ctx, "geo", "airports", "1.0.0")
	if p.Source != catalog.SourcePublish || p.Title != "Published title" || p.Status != catalog.StatusAvailable {
		t.Errorf("after publish %+v", p)
	}
	// The node registering again does not overwrite the published record.
	register(t, st, "geo-node", "http://127.0.0.1:9001", t0, served(Product("geo", "airports", "1.0.0"), "http://127.0.0.1:9001", ""))
	p, _ = st.Product(ctx, "geo", "airports", "1.0.0")
	if p.Source != catalog.SourcePublish || p.Title != "Published title" {
		t.Errorf("a node overwrote a published record: %+v", p)
	}
}

func testPartial(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	full := served(Product("geo", "airports", "1.0.0"), "http://n1", "")
	register(t, st, "n1", "http://n1", t0, full)
	partial := served(&catalog.Product{Domain: "geo", Name: "airports", Version: "1.0.0", Major: 1, Partial: true}, "http://n2", "")
	partial.Product.Partial = true
	register(t, st, "n2", "http://n2", t0, partial)
	p, _ := st.Product(ctx, "geo", "airports", "1.0.0")
	if p.Partial || len(p.Schema) != 1 {
		t.Errorf("a partial record replaced a full one: %+v", p)
	}
	// A full description replaces a partial record.
	register(t, st, "n3", "http://n3", t0, served(&catalog.Product{Domain: "geo", Name: "regions", Version: "1.0.0", Major: 1, Partial: true}, "http://n3", ""))
	register(t, st, "n3", "http://n3", t0, served(Product("geo", "regions", "1.0.0"), "http://n3", ""))
	p, _ = st.Product(ctx, "geo", "regions", "1.0.0")
	if p.Partial || len(p.Schema) != 1 {
		t.Errorf("a full record did not replace a partial one: %+v", p)
	}
}

func testReRegister(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	publish(t, st, Product("geo", "airports", "1.0.0"), Product("geo", "regions", "1.0.0"))
	register(t, st, "n1", "http://n1", t0, served(Product("geo", "airports", "1.0.0"), "http://n1", ""), served(Product("geo", "regions", "1.0.0"), "http://n1", ""))
	register(t, st, "n1", "http://n1:2", t0.Add(time.Second), served(Product("geo", "airports", "1.0.0"), "http://n1:2", ""))
	r, _ := st.Product(ctx, "geo", "regions", "1.0.0")
	if r.Status != catalog.StatusPublished {
		t.Errorf("a version no node serves any more is %q", r.Status)
	}
	if sv, _ := st.Serving(ctx, "geo", "regions"); len(sv) != 0 {
		t.Errorf("serving entries kept after re-registration: %+v", sv)
	}
	n, _ := st.Node(ctx, "n1")
	if n.URL != "http://n1:2" || len(n.Products) != 1 {
		t.Errorf("node %+v", n)
	}
}

func testHeartbeatExpiry(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	if err := st.Heartbeat(ctx, "ghost", nil, t0); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("heartbeat of an unknown node: %v", err)
	}
	publish(t, st, Product("geo", "airports", "1.0.0"))
	register(t, st, "n1", "http://n1", t0, served(Product("geo", "airports", "1.0.0"), "http://n1", ""))
	if err := st.Heartbeat(ctx, "n1", []catalog.ProductStatus{{ID: "geo/airports@1.0.0", Status: json.RawMessage(`{"quality":"passed"}`)}}, t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if names, err := st.ExpireNodes(ctx, t0.Add(5*time.Second)); err != nil || len(names) != 0 {
		t.Fatalf("expired %v %v: the heartbeat at +10s is after +5s", names, err)
	}
	names, err := st.ExpireNodes(ctx, t0.Add(11*time.Second))
	if err != nil || !slices.Equal(names, []string{"n1"}) {
		t.Fatalf("expired %v %v", names, err)
	}
	p, _ := st.Product(ctx, "geo", "airports", "1.0.0")
	sv, _ := st.Serving(ctx, "geo", "airports")
	if p.Status != catalog.StatusUnavailable || len(sv) != 1 || sv[0].Available || !strings.Contains(string(sv[0].Status), "passed") {
		t.Errorf("after expiry: status %q serving %+v", p.Status, sv)
	}
	res, _ := st.Search(ctx, catalog.Query{Statuses: []string{catalog.StatusUnavailable}})
	if res.Total != 1 {
		t.Errorf("search status:unavailable found %d", res.Total)
	}
	if names, _ := st.ExpireNodes(ctx, t0.Add(time.Hour)); len(names) != 0 {
		t.Errorf("expired twice: %v", names)
	}
	if err := st.Heartbeat(ctx, "n1", nil, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	p, _ = st.Product(ctx, "geo", "airports", "1.0.0")
	n, _ := st.Node(ctx, "n1")
	if p.Status != catalog.StatusAvailable || !n.Available || !n.LastHeartbeat.Equal(t0.Add(time.Minute)) {
		t.Errorf("after a heartbeat: status %q node %+v", p.Status, n)
	}
}

func testReplicas(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	p := Product("geo", "airports", "1.0.0")
	register(t, st, "a", "http://a", t0, served(p, "http://a", ""))
	register(t, st, "b", "http://b", t0.Add(time.Minute), served(p, "http://b", ""))
	sv, _ := st.Serving(ctx, "geo", "airports")
	if len(sv) != 2 || sv[0].Node != "b" {
		t.Fatalf("serving %+v: want b (fresher) first", sv)
	}
	if _, err := st.ExpireNodes(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Product(ctx, "geo", "airports", "1.0.0")
	if got.Status != catalog.StatusAvailable {
		t.Errorf("one replica left, status %q", got.Status)
	}
	register(t, st, "a", "http://a", t0.Add(2*time.Minute), served(p, "http://a", ""))
	if _, err := st.ExpireNodes(ctx, t0.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	sv, _ = st.Serving(ctx, "geo", "airports")
	if len(sv) != 2 || sv[0].Node != "a" || !sv[0].Available || sv[1].Available {
		t.Errorf("serving %+v: want a (available) first", sv)
	}
	sums, _ := st.Summaries(ctx, []catalog.Key{{Domain: "geo", Name: "airports"}})
	if u := sums[catalog.Key{Domain: "geo", Name: "airports"}].URL; u != "http://a/products/airports" {
		t.Errorf("summary URL %q, want the available node's", u)
	}
}

func searchIDs(t *testing.T, st catalog.Store, q catalog.Query) []string {
	t.Helper()
	res, err := st.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	var ids []string
	for _, it := range res.Items {
		ids = append(ids, it.Domain+"/"+it.Name)
	}
	return ids
}

func seedSearch(t *testing.T, st catalog.Store) {
	publish(t, st,
		Product("aviation", "delays-by-airport", "1.0.0", With("Monthly flight delays by origin airport", "Mean and p95 departure delay.", "flights", "delays"),
			OwnedBy("aviation-analytics", "aviation@example.com")),
		Product("aviation", "fleet", "1.0.0", With("Aircraft fleet", "Aircraft registered, with their age.", "aircraft"),
			OwnedBy("aviation-ops", "ops@example.com"), func(p *catalog.Product) {
				p.Schema = append(p.Schema, catalog.Column{Name: "avg_delays", LogicalType: "number", Description: "delays per aircraft"})
			}),
		Product("geo", "airports", "1.0.0", With("Airports of the world", "IATA codes, names and states.", "reference", "Airports"),
			OwnedBy("geo-team", "geo@example.com")),
		Product("sales", "monthly-revenue", "1.0.0", With("Revenue per month", "Revenue by region and month.", "finance"),
			OwnedBy("Sales-Analytics", "sales@example.com")),
	)
}

func testSearchText(t *testing.T, st catalog.Store) {
	seedSearch(t, st)
	cases := []struct {
		terms []string
		want  []string
	}{
		{[]string{"airport"}, []string{"aviation/delays-by-airport", "geo/airports"}}, // prefix of airports
		{[]string{"revenue"}, []string{"sales/monthly-revenue"}},
		{[]string{"IATA"}, []string{"geo/airports"}},
		{[]string{"flight delays"}, []string{"aviation/delays-by-airport"}}, // phrase in the title
		{[]string{"delays flight"}, nil},                                    // not that phrase
		{[]string{"delays", "flight"}, []string{"aviation/delays-by-airport"}},
		{[]string{"aviation@example.com"}, []string{"aviation/delays-by-airport"}},
		{[]string{"nothing-matches-this"}, nil},
	}
	for _, c := range cases {
		got := searchIDs(t, st, catalog.Query{Terms: c.terms})
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("terms %q: %v, want %v", c.terms, got, c.want)
		}
	}
}

func testSearchRanking(t *testing.T, st catalog.Store) {
	seedSearch(t, st)
	// "delays" is the name and title of one product and a column of
	// another: the name wins.
	got := searchIDs(t, st, catalog.Query{Terms: []string{"delays"}})
	if len(got) != 2 || got[0] != "aviation/delays-by-airport" || got[1] != "aviation/fleet" {
		t.Errorf("ranking %v", got)
	}
	// Without terms: by domain, then name.
	got = searchIDs(t, st, catalog.Query{})
	if want := []string{"aviation/delays-by-airport", "aviation/fleet", "geo/airports", "sales/monthly-revenue"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func testSearchFilters(t *testing.T, st catalog.Store) {
	seedSearch(t, st)
	cases := []struct {
		q    catalog.Query
		want []string
	}{
		{catalog.Query{Domains: []string{"aviation"}}, []string{"aviation/delays-by-airport", "aviation/fleet"}},
		{catalog.Query{Domains: []string{"geo", "sales"}}, []string{"geo/airports", "sales/monthly-revenue"}},
		{catalog.Query{Owners: []string{"sales-analytics"}}, []string{"sales/monthly-revenue"}}, // case ignored
		{catalog.Query{Owners: []string{"ops@example.com"}}, []string{"aviation/fleet"}},
		{catalog.Query{Tags: []string{"airports"}}, []string{"geo/airports"}}, // written Airports
		{catalog.Query{Tags: []string{"flights", "delays"}}, []string{"aviation/delays-by-airport"}},
		{catalog.Query{Tags: []string{"flights", "finance"}}, nil}, // all tags
		{catalog.Query{Statuses: []string{"available"}}, nil},
		{catalog.Query{Statuses: []string{"published"}, Domains: []string{"geo"}}, []string{"geo/airports"}},
		{catalog.Query{Terms: []string{"aircraft"}, Domains: []string{"geo"}}, nil},
		{catalog.Query{Terms: []string{"aircraft"}, Domains: []string{"aviation"}}, []string{"aviation/fleet"}},
	}
	for _, c := range cases {
		got := searchIDs(t, st, c.q)
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
}

func facet(vs []catalog.FacetValue) string {
	vs = catalog.SortFacet(append([]catalog.FacetValue(nil), vs...), 0)
	var s []string
	for _, v := range vs {
		s = append(s, fmt.Sprintf("%s=%d", v.Value, v.Count))
	}
	return strings.Join(s, " ")
}

func testSearchFacets(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	seedSearch(t, st)
	register(t, st, "n", "http://n", t0, served(Product("geo", "airports", "1.0.0", With("Airports of the world", "IATA codes, names and states.", "reference", "Airports"),
		OwnedBy("geo-team", "geo@example.com")), "http://n", ""))
	res, err := st.Search(ctx, catalog.Query{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 4 || len(res.Items) != 2 {
		t.Fatalf("total %d items %d", res.Total, len(res.Items))
	}
	checks := map[string][2]string{
		"domain": {facet(res.Facets.Domain), "aviation=2 geo=1 sales=1"},
		"owner":  {facet(res.Facets.Owner), "Sales-Analytics=1 aviation-analytics=1 aviation-ops=1 geo-team=1"},
		"tag":    {facet(res.Facets.Tag), "aircraft=1 airports=1 delays=1 finance=1 flights=1 reference=1"},
		"status": {facet(res.Facets.Status), "published=3 available=1"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("facet %s: %s, want %s", name, c[0], c[1])
		}
	}
	// Facets count the matches of the query, filters included.
	res, _ = st.Search(ctx, catalog.Query{Terms: []string{"aircraft"}})
	if facet(res.Facets.Domain) != "aviation=1" || res.Total != 1 {
		t.Errorf("facets of a text search: %s total %d", facet(res.Facets.Domain), res.Total)
	}
	// Pages cover every match once, in order.
	var all []string
	for off := 0; off < 6; off += 2 {
		all = append(all, searchIDs(t, st, catalog.Query{Limit: 2, Offset: off})...)
	}
	if want := []string{"aviation/delays-by-airport", "aviation/fleet", "geo/airports", "sales/monthly-revenue"}; !slices.Equal(all, want) {
		t.Errorf("pages %v", all)
	}
	res, _ = st.Search(ctx, catalog.Query{Domains: []string{"geo"}})
	it := res.Items[0]
	if it.URL != "http://n/products/airports" || it.Status != catalog.StatusAvailable || it.Links["data"] == "" ||
		it.ID != "geo/airports@1.0.0" || it.Major != 1 || !slices.Equal(it.Tags, []string{"reference", "Airports"}) || it.Owner.Team != "geo-team" {
		t.Errorf("item %+v", it)
	}
}

func testSearchLatest(t *testing.T, st catalog.Store) {
	publish(t, st, Product("geo", "airports", "1.0.0", With("Old zeppelin title", "x")), Product("geo", "airports", "1.1.0", With("New title", "y")))
	if got := searchIDs(t, st, catalog.Query{Terms: []string{"zeppelin"}}); len(got) != 0 {
		t.Errorf("an old version's text matched: %v", got)
	}
	res, _ := st.Search(context.Background(), catalog.Query{Terms: []string{"new"}})
	if res.Total != 1 || res.Items[0].Version != "1.1.0" {
		t.Errorf("latest version search: %+v", res)
	}
}

func testSearchHostile(t *testing.T, st catalog.Store) {
	seedSearch(t, st)
	hostile := []string{`"`, `""`, `"unterminated`, `*`, `NEAR(a b)`, `a OR b`, `a AND`, `NOT`, `-x`, `^`, `'`, `\`, `'; DROP TABLE versions; --`,
		`col:val`, `{a b}`, `(((`, `a:*`, `%`, `_`, `$1`, `?`, `a & b | !c`, `<->`, `:*`, "\u00e9t\u00e9", "日本語", strings.Repeat("x", 300)}
	for _, h := range hostile {
		for _, q := range []catalog.Query{{Terms: []string{h}}, {Terms: []string{"airports", h}}, {Tags: []string{h}}, {Owners: []string{h}}, {Domains: []string{h}}} {
			if _, err := st.Search(context.Background(), q); err != nil {
				t.Errorf("search %+v: %v", q, err)
			}
		}
	}
	if got := searchIDs(t, st, catalog.Query{Terms: []string{`"IATA"`, `(codes)`}}); !slices.Equal(got, []string{"geo/airports"}) {
		t.Errorf("punctuated terms: %v", got)
	}
}

func testSummaries(t *testing.T, st catalog.Store) {
	publish(t, st, Product("geo", "airports", "1.0.0"), Product("geo", "airports", "1.2.0"), Product("geo", "regions", "1.0.0"))
	keys := []catalog.Key{{Domain: "geo", Name: "airports"}, {Domain: "geo", Name: "nope"}}
	for i := 0; i < 900; i++ { // more than one statement's worth
		keys = append(keys, catalog.Key{Domain: "x", Name: fmt.Sprintf("p%d", i)})
	}
	sums, err := st.Summaries(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[catalog.Key{Domain: "geo", Name: "airports"}].Version != "1.2.0" {
		t.Errorf("summaries %+v", sums)
	}
}

func testEdges(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	publish(t, st,
		Product("geo", "airports", "1.0.0"),
		Product("aviation", "delays", "1.0.0", Reads("airports", "geo/airports@^1")),
		Product("aviation", "delays", "2.0.0", Reads("airports", "geo/airports@>=1.0.0 <3")),
		Product("finance", "costs", "1.0.0", Reads("delays", "aviation/delays@^2")),
	)
	up, err := st.Edges(ctx, []catalog.Key{{Domain: "aviation", Name: "delays"}}, catalog.Upstream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range up {
		got = append(got, fmt.Sprintf("%s@%s %s %s %s%s", e.From, e.FromVersion, e.Input, e.Kind, e.To, e.Source))
	}
	want := []string{
		"aviation/delays@1.0.0 airports product geo/airports",
		"aviation/delays@1.0.0 raw file /file:data/delays.csv",
		"aviation/delays@2.0.0 airports product geo/airports",
		"aviation/delays@2.0.0 raw file /file:data/delays.csv",
	}
	if !slices.Equal(got, want) {
		t.Errorf("upstream\n got %q\nwant %q", got, want)
	}
	down, err := st.Edges(ctx, []catalog.Key{{Domain: "geo", Name: "airports"}, {Domain: "aviation", Name: "delays"}}, catalog.Downstream)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, e := range down {
		got = append(got, fmt.Sprintf("%s@%s -> %s@%s", e.From, e.FromVersion, e.To, e.Range))
	}
	want = []string{"aviation/delays@1.0.0 -> geo/airports@^1", "aviation/delays@2.0.0 -> geo/airports@>=1.0.0 <3", "finance/costs@1.0.0 -> aviation/delays@^2"}
	if !slices.Equal(got, want) {
		t.Errorf("downstream\n got %q\nwant %q", got, want)
	}
}

func testDomains(t *testing.T, st catalog.Store) {
	seedSearch(t, st)
	publish(t, st, Product("aviation", "fleet", "1.1.0", OwnedBy("aviation-ops", "ops@example.com")))
	ds, err := st.Domains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%s:%d:%s", d.Name, d.Products, strings.Join(d.Owners, ",")))
	}
	want := []string{"aviation:2:aviation-analytics,aviation-ops", "geo:1:geo-team", "sales:1:Sales-Analytics"}
	if !slices.Equal(got, want) {
		t.Errorf("domains %v, want %v", got, want)
	}
}

func testConcurrent(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	const workers, each = 4, 10
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				// Every worker publishes the same versions too: exactly one
				// creates each, the others find it unchanged.
				_, err := st.Publish(ctx, []*catalog.Product{
					Product("load", fmt.Sprintf("p%d-%d", w, i), "1.0.0"),
					Product("load", "shared", fmt.Sprintf("1.%d.0", i)),
				}, func(*catalog.Graph) error { return nil })
				if err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					if _, err := st.Search(ctx, catalog.Query{Terms: []string{"p"}, Domains: []string{"load"}}); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.Search(ctx, catalog.Query{Domains: []string{"load"}})
	if err != nil || res.Total != workers*each+1 {
		t.Fatalf("total %d (%v), want %d", res.Total, err, workers*each+1)
	}
	vs, _ := st.Versions(ctx, "load", "shared")
	if len(vs) != each || !vs[len(vs)-1].Latest {
		t.Errorf("shared versions %d", len(vs))
	}
}
