package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/catalog"
)

func TestPages(t *testing.T) {
	tc := startCatalog(t)
	tc.seed(t)
	tests := []struct {
		path string
		want []string // substrings of the page, as HTML
	}{
		{"/", []string{
			"6 products", `name="q"`,
			`href="/products/aviation/delays-by-airport">Monthly flight delays by origin airport</a>`,
			`<code class="pid">aviation/delays-by-airport@1.0.0</code>`,
			`id="facet-domain"`, `id="facet-owner"`, `id="facet-tag"`, `id="facet-status"`,
			`<span class="fv">aviation</span> <span class="count">2</span>`,
			`href="/?q=tag%3Adelays"`,
		}},
		{"/?q=delays", []string{"4 products", "delay-costs", "airport-board"}},
		{"/?q=domain%3Aaviation", []string{"2 products", `class="on" aria-current="true"><span class="fv">aviation</span>`,
			`title="Remove this filter">domain:aviation`}},
		{"/?q=delays+tag%3Adashboard", []string{"1 product<", "Airport operations board"}},
		{"/domains", []string{"5 domains, 6 products", `href="/domains/aviation">aviation</a>`, "aviation-analytics", "geo-data"}},
		{"/domains/aviation", []string{"2 products", `href="/products/aviation/flights">flights</a>`}},
		{"/products/aviation/delays-by-airport", []string{
			`<h1 id="product-title">Monthly flight delays by origin airport</h1>`,
			`<code class="pid" id="product-id">aviation/delays-by-airport@1.0.0</code>`,
			"IATA code of the origin airport", "<code>p95_delay</code>", "integer",
			`href="mailto:aviation@example.com"`,
			"<dt>latency p99</dt><dd>200ms</dd>", "<dt>freshness</dt><dd>24h</dd>",
			"aviation-node", `href="http://127.0.0.1:9/aviation/products/delays-by-airport/v1/data?limit=10"`,
			"<dt>freshness</dt><dd>age 1h, lastRefresh 2026-03-01T11:00:00Z</dd>",
			"<dt>quality</dt><dd>failed 0, passed 4</dd>",
			`href="/products/geo/airports">geo/airports@^1</a>`, "<code>file:data/flights.parquet</code>",
			`href="/products/finance/delay-costs">finance/delay-costs</a>`, `href="/products/ops/airport-board">ops/airport-board</a>`,
			"Transformation (SQL)", "quantile_cont(f.delay, 0.95)",
		}},
		{"/products/aviation/flights", []string{"data/flights.parquet is missing", `<span class="badge bad">unavailable</span>`}},
		{"/products/geo/airports", []string{"No node serves this product", "<code>1.2.0</code>"}},
		{"/lineage/aviation/delays-by-airport", []string{
			`<script type="application/json" id="lineage-data">{`,
			`id="lineage-graph"`, "vendor/cytoscape.min.js?v=", "vendor/cytoscape-dagre.min.js?v=", "lineage.js?v=",
			`href="/products/geo/airports">geo/airports</a>`, `href="/products/marketing/route-campaigns">marketing/route-campaigns</a>`,
			"<code>file:data/flights.parquet</code>",
		}},
		{"/lineage/aviation/delays-by-airport?direction=upstream&depth=1", []string{`aria-current="true">upstream</a>`, `aria-current="true">1</a>`}},
		{"/impact/aviation/delays-by-airport", []string{
			"3 products downstream (2 direct), owned by 3 teams.",
			`href="mailto:ops@example.com"`, "finance-insights", "growth",
			`href="mailto:ops@example.com,finance@example.com,growth@example.com?subject=Change%20coming%20to%20aviation%2Fdelays-by-airport"`,
		}},
		{"/impact/aviation/delays-by-airport?version=2.0.0", []string{"Nothing downstream"}},
		{"/impact/marketing/route-campaigns", []string{"Nothing downstream"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, body := get(t, tc.url+tt.path)
			if status != http.StatusOK {
				t.Fatalf("status %d\n%s", status, body)
			}
			if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("page:\n%s", body)
			}
		})
	}
}

// Everything a product's owners wrote is text, never markup.
func TestEscaping(t *testing.T) {
	tc := startCatalog(t)
	tc.seed(t)
	for _, path := range []string{"/", "/?q=campaigns", "/products/marketing/route-campaigns", "/domains/marketing",
		"/lineage/finance/delay-costs", "/impact/finance/delay-costs", "/lineage/marketing/route-campaigns",
		`/?q=<script>alert(1)</script>`, `/?q="><img src=x>`} {
		_, _, body := get(t, tc.url+path)
		for _, bad := range []string{`<script>alert`, `<img src=x`, `<b>now</b>`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: page holds %q unescaped", path, bad)
			}
		}
	}
	_, _, body := get(t, tc.url+"/products/marketing/route-campaigns")
	for _, w := range []string{`&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; Route campaigns`,
		`&amp; &#34;why&#34; &lt;b&gt;now&lt;/b&gt;`, `&lt;img src=x onerror=alert(1)&gt; total cost`} {
		if !strings.Contains(body, w) {
			t.Errorf("product page lacks the escaped %q", w)
		}
	}
	// The lineage JSON cannot close its script element.
	_, _, body = get(t, tc.url+"/lineage/marketing/route-campaigns")
	data := lineageJSON(t, body)
	if strings.Contains(data, "</script") || strings.Contains(data, "<script") {
		t.Errorf("lineage JSON holds markup: %s", data)
	}
}

var lineageDataRE = regexp.MustCompile(`(?s)<script type="application/json" id="lineage-data">(.*?)</script>`)

func lineageJSON(t *testing.T, body string) string {
	t.Helper()
	m := lineageDataRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no lineage data in the page:\n%s", body)
	}
	return m[1]
}

// The diagram's data is the catalog's lineage answer, as the API gives it.
func TestLineageData(t *testing.T) {
	tc := startCatalog(t)
	tc.seed(t)
	_, _, body := get(t, tc.url+"/lineage/aviation/delays-by-airport")
	var got catalog.LineageGraph
	if err := json.Unmarshal([]byte(lineageJSON(t, body)), &got); err != nil {
		t.Fatal(err)
	}
	want, err := tc.srv.Lineage(context.Background(), "aviation", "delays-by-airport", "both", 0)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("embedded lineage\n%s\nwant\n%s", gb, wb)
	}
	// The root, its upstream (geo/airports and two files) and its three consumers.
	if len(got.Nodes) != 7 || len(got.Edges) != 6 {
		t.Errorf("%d nodes, %d edges: %s", len(got.Nodes), len(got.Edges), gb)
	}
}

func TestNotFound(t *testing.T) {
	tc := startCatalog(t)
	tc.seed(t)
	for _, tt := range []struct{ path, want string }{
		{"/products/aviation/no-such-thing", "no product aviation/no-such-thing in the catalog"},
		{"/products/nowhere/flights", "no product nowhere/flights in the catalog"},
		{"/products/Aviation/BAD%20name", "lowercase words with dashes"},
		{"/lineage/aviation/no-such-thing", "no product aviation/no-such-thing"},
		{"/impact/aviation/no-such-thing", "no product aviation/no-such-thing"},
		{"/domains/nowhere", `no domain &#34;nowhere&#34; in the catalog`},
		{"/products/aviation", "there is no page at /products/aviation"},
		{"/no/such/page", "there is no page at /no/such/page"},
		{"/static/nothing.css", "404 page not found"},
		{"/static/", "404 page not found"},
		{"/static/vendor/", "404 page not found"},
	} {
		status, _, body := get(t, tc.url+tt.path)
		if status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", tt.path, status)
		}
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s: page lacks %q:\n%s", tt.path, tt.want, body)
		}
	}
}

func TestBadRequests(t *testing.T) {
	tc := startCatalog(t)
	tc.seed(t)
	for _, tt := range []struct{ path, want string }{
		{"/?q=" + url.QueryEscape("colour:blue"), `unknown field &#34;colour&#34;`},
		{"/?q=" + url.QueryEscape("status:sleeping"), `status &#34;sleeping&#34; is not one of available, unavailable, published`},
		{"/?offset=-3", "offset: must be a number between 0 and 1000000"},
		{"/lineage/aviation/flights?depth=999", "depth: must be between 1 and 50"},
		{"/lineage/aviation/flights?direction=sideways", "direction: &#34;sideways&#34; is not one of upstream, downstream, both"},
		{"/impact/aviation/flights?version=banana", "version: "},
	} {
		status, _, body := get(t, tc.url+tt.path)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tt.path, status)
		}
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s: page lacks %q:\n%s", tt.path, tt.want, body)
		}
	}
	// A bad search keeps the box with what was typed.
	_, _, body := get(t, tc.url+"/?q="+url.QueryEscape("colour:blue"))
	if !strings.Contains(body, `value="colour:blue"`) || !strings.Contains(body, `id="search-error"`) {
		t.Errorf("search page after a bad query:\n%s", body)
	}

	req, _ := http.NewRequest(http.MethodPost, tc.url+"/products/aviation/flights", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST a page: status %d, want 405", resp.StatusCode)
	}
}

func TestStatic(t *testing.T) {
	ui := New(Options{})
	for _, tt := range []struct{ path, ctype string }{
		{"style.css", "text/css"},
		{"lineage.js", "text/javascript"},
		{"vendor/cytoscape.min.js", "text/javascript"},
		{"vendor/cytoscape-dagre.min.js", "text/javascript"},
		{"favicon.svg", "image/svg+xml"},
	} {
		w := httptest.NewRecorder()
		ui.ServeHTTP(w, httptest.NewRequest("GET", ui.asset(tt.path), nil))
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.ctype) {
			t.Errorf("%s: %d %q", tt.path, w.Code, w.Header().Get("Content-Type"))
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s with its hash: Cache-Control %q", tt.path, cc)
		}
		w = httptest.NewRecorder()
		ui.ServeHTTP(w, httptest.NewRequest("GET", "/static/"+tt.path+"?v=old", nil))
		if cc := w.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("%s with another hash: Cache-Control %q", tt.path, cc)
		}
	}
	// The vendored files carry their licences.
	for _, f := range []string{"LICENSE.cytoscape", "LICENSE.cytoscape-dagre", "LICENSE.dagre", "LICENSE.graphlib"} {
		if _, ok := ui.assets["vendor/"+f]; !ok {
			t.Errorf("vendor/%s is not embedded", f)
		}
	}
}

// Before Bind, pages say the catalog is starting.
func TestUnbound(t *testing.T) {
	ui := New(Options{})
	w := httptest.NewRecorder()
	ui.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "the catalog is starting") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestEmptyCatalog(t *testing.T) {
	tc := startCatalog(t)
	for path, want := range map[string]string{
		"/":        "No product matches",
		"/domains": "The catalog is empty",
	} {
		status, _, body := get(t, tc.url+path)
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, lacks %q:\n%s", path, status, want, body)
		}
	}
}

func TestFacetQueries(t *testing.T) {
	for _, tt := range []struct {
		q, field, value string
		with, without   string
	}{
		{"delays", "domain", "aviation", "delays domain:aviation", "delays"},
		{"delays domain:aviation", "domain", "aviation", "delays domain:aviation domain:aviation", "delays"},
		{`"on time" tag:x`, "owner", "Team X", `"on time" owner:"team x" tag:x`, `"on time" tag:x`},
		{`tag:a tag:b status:available`, "tag", "a", "tag:a tag:b tag:a status:available", "tag:b status:available"},
	} {
		q, err := catalog.ParseQuery(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := withFilter(q, tt.field, tt.value); got != tt.with {
			t.Errorf("%q + %s:%s = %q, want %q", tt.q, tt.field, tt.value, got, tt.with)
		}
		if got := withoutFilter(q, tt.field, tt.value); got != tt.without {
			t.Errorf("%q - %s:%s = %q, want %q", tt.q, tt.field, tt.value, got, tt.without)
		}
		// What the links write parses back to the same query.
		back, err := catalog.ParseQuery(queryString(q))
		if err != nil {
			t.Fatalf("%q rewritten as %q: %v", tt.q, queryString(q), err)
		}
		if a, b := queryString(back), queryString(q); a != b {
			t.Errorf("%q: rewritten %q, then %q", tt.q, b, a)
		}
	}
}

func TestReported(t *testing.T) {
	state, kv := reported(json.RawMessage(`{"state":"available","zeta":[1,2],"quality":{"passed":2,"failed":1,"checks":{"a":true}},"freshness":"2h","reason":"ok"}`))
	if state != "available" {
		t.Errorf("state %q", state)
	}
	var got []string
	for _, p := range kv {
		got = append(got, p.Key+"="+p.Value)
	}
	want := `reason=ok|freshness=2h|quality=checks {"a":true}, failed 1, passed 2|zeta=[1,2]`
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
	if s, kv := reported(json.RawMessage(`"weird"`)); s != "" || len(kv) != 1 || kv[0].Value != `"weird"` {
		t.Errorf("non-object status: %q %v", s, kv)
	}
	if s, kv := reported(nil); s != "" || kv != nil {
		t.Errorf("no status: %q %v", s, kv)
	}
}

func TestSampleURL(t *testing.T) {
	for _, tt := range []struct {
		sv   catalog.Serving
		want string
	}{
		{catalog.Serving{Links: map[string]string{"data": "http://n/products/a/v1/data"}}, "http://n/products/a/v1/data?limit=10"},
		{catalog.Serving{Links: map[string]string{"data": "http://n/d?x=1"}}, "http://n/d?x=1&limit=10"},
		{catalog.Serving{URL: "http://n/products/a/"}, "http://n/products/a/v2/data?limit=10"},
		{catalog.Serving{}, ""},
	} {
		if got := sampleURL(tt.sv, 2); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.sv, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("%d: %q", n, got)
		}
	}
}
