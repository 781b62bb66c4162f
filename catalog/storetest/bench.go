package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
)

// Words the generated products are written with; some are the words
// people search for.
var vocabulary = strings.Fields(`flight flights delay delays airport airports airline aircraft fleet route routes
	passenger passengers revenue sales order orders customer customers invoice invoices payment payments refund
	employee employees office offices headcount salary payroll region regions country countries city cities state
	monthly daily weekly yearly mean median p95 total count sum average rate ratio share growth forecast budget
	cost costs margin profit inventory stock warehouse shipment shipments delivery deliveries carrier supplier
	product products catalog price prices discount campaign click clicks session sessions user users device devices
	event events sensor sensors reading readings temperature pressure energy meter grid outage incident incidents
	ticket tickets support agent agents queue latency error errors request requests service services cluster node`)

// Generate fills st with products: spread over 20 domains and 100 teams,
// each with a file source and, after the first ones, four product inputs
// reading earlier products (so 5 lineage edges each), six columns, two
// tags, a name and title of words from the vocabulary (150 words that
// people search for), and descriptions from a wider one: the same words
// and 5,000 others, drawn with a Zipf law as in prose. One product in ten
// also has a second version. It returns the keys, in creation order.
func Generate(tb testing.TB, st catalog.Store, products int) []catalog.Key {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	common := func(n int) string {
		var w []string
		for range n {
			w = append(w, vocabulary[rng.IntN(len(vocabulary))])
		}
		return strings.Join(w, " ")
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocabulary)+5000-1))
	order := rng.Perm(len(vocabulary) + 5000) // which words are frequent
	words := func(n int) string {
		var w []string
		for range n {
			i := order[zipf.Uint64()]
			if i < len(vocabulary) {
				w = append(w, vocabulary[i])
			} else {
				w = append(w, fmt.Sprintf("w%d", i))
			}
		}
		return strings.Join(w, " ")
	}
	keys := make([]catalog.Key, 0, products)
	var batch []*catalog.Product
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := st.Publish(ctx, batch, nil); err != nil {
			tb.Fatalf("generate: %v", err)
		}
		batch = batch[:0]
	}
	for i := range products {
		domain := fmt.Sprintf("domain-%d", i%20)
		name := fmt.Sprintf("%s-%d", strings.ReplaceAll(common(2), " ", "-"), i)
		k := catalog.Key{Domain: domain, Name: name}
		versions := []string{"1.0.0"}
		if i%10 == 0 {
			versions = append(versions, "1.1.0")
		}
		title, desc := common(3)+" "+words(2), words(14)
		tags := []string{vocabulary[rng.IntN(len(vocabulary))], vocabulary[rng.IntN(len(vocabulary))]}
		var reads []catalog.Key
		for j := 0; j < 4 && i > 0; j++ {
			reads = append(reads, keys[rng.IntN(len(keys))])
		}
		for _, v := range versions {
			p := Product(domain, name, v, With(title, desc, tags...), OwnedBy(fmt.Sprintf("team-%d", i%100), fmt.Sprintf("team-%d@example.com", i%100)),
				func(p *catalog.Product) {
					for j, r := range reads {
						p.Inputs = append(p.Inputs, catalog.NewInput(fmt.Sprintf("in%d", j), "product", map[string]any{"ref": r.String() + "@^1"}))
					}
					for c := range 6 {
						p.Schema = append(p.Schema, catalog.Column{Name: fmt.Sprintf("c%d", c), LogicalType: "number", Description: words(3)})
					}
				})
			batch = append(batch, p)
		}
		keys = append(keys, k)
		if len(batch) >= 500 {
			flush()
		}
	}
	flush()
	// One node per domain serves its products (every other domain's node
	// stops heartbeating).
	served := map[string][]catalog.Served{}
	for _, k := range keys {
		p := Product(k.Domain, k.Name, "1.0.0")
		p.Source = catalog.SourceNode
		served[k.Domain] = append(served[k.Domain], catalog.Served{Product: p, URL: "http://" + k.Domain + ".node/products/" + k.Name,
			Links: map[string]string{"self": "http://" + k.Domain + ".node/products/" + k.Name}})
	}
	now := time.Now()
	for d := range 20 {
		domain := fmt.Sprintf("domain-%d", d)
		n := catalog.Node{Name: domain + "-node", URL: "http://" + domain + ".node", Domains: []string{domain}}
		at := now
		if d%2 == 1 {
			at = now.Add(-time.Hour)
		}
		if err := st.RegisterNode(ctx, n, served[domain], at); err != nil {
			tb.Fatalf("generate: %v", err)
		}
	}
	if _, err := st.ExpireNodes(ctx, now.Add(-time.Minute)); err != nil {
		tb.Fatalf("generate: %v", err)
	}
	return keys
}

// latencies records the duration of each operation of a benchmark and
// reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	pct := func(p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(l[len(l)-1].Microseconds())/1000, "max-ms")
}

// SearchQueries are what BenchmarkAPI searches for, in turn.
var SearchQueries = []string{
	"", "q=delays", "q=flight+delays", "q=%22monthly+revenue%22", "q=air", "q=domain:domain-3",
	"q=tag:revenue+owner:team-5", "q=sensor+readings+domain:domain-7", "q=status:published&limit=50",
	"q=cost&offset=40", "q=latency+error", "tag=orders&tag=flights",
}

// BenchmarkAPI measures the catalog's read API over st (already filled by
// Generate with keys): search, product detail, lineage and resolve, each
// request through the HTTP handler, reporting per-request p50 and p99.
func BenchmarkAPI(b *testing.B, st catalog.Store, keys []catalog.Key) {
	srv, err := catalog.New(catalog.Options{Store: st, BaseURL: "http://catalog.test"})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	get := func(b *testing.B, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	run := func(name string, path func(i int) string) {
		b.Run(name, func(b *testing.B) {
			lat := make(latencies, 0, b.N)
			rng := rand.New(rand.NewPCG(3, 4))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := path(rng.IntN(1 << 30))
				start := time.Now()
				get(b, p)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
		})
	}
	key := func(i int) catalog.Key { return keys[i%len(keys)] }
	var matches []string
	for _, q := range SearchQueries {
		req := httptest.NewRequest(http.MethodGet, "/api/products?"+q, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var res struct{ Total int }
		json.Unmarshal(w.Body.Bytes(), &res)
		matches = append(matches, fmt.Sprintf("%q: %d", q, res.Total))
	}
	b.Logf("matches per search: %s", strings.Join(matches, ", "))
	run("Search", func(i int) string { return "/api/products?" + SearchQueries[i%len(SearchQueries)] })
	run("SearchText", func(i int) string {
		return "/api/products?q=" + url.QueryEscape(vocabulary[i%len(vocabulary)]+" "+vocabulary[(i/7)%len(vocabulary)][:3])
	})
	run("ProductDetail", func(i int) string { k := key(i); return "/api/products/" + k.Domain + "/" + k.Name })
	run("Lineage", func(i int) string { k := key(i); return "/api/lineage/" + k.Domain + "/" + k.Name + "?depth=3" })
	// Products of even domains are served by an available node.
	run("Resolve", func(i int) string {
		k := keys[(i%(len(keys)/2))*2] // an even index is in an even domain
		return "/api/resolve/" + k.Domain + "/" + k.Name + "?range=%5E1"
	})
}
