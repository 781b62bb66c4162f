package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/sqlite"
)

// The pages must render in under 50 ms with 10,000 products. These
// benchmarks render them from a SQLite catalog of generated products:
//
//	go test -tags duckdb_arrow -run '^$' -bench . ./catalog/web/
//
// The catalog is made once per run (a few seconds) in a temporary folder.

const benchProducts = 10_000

var (
	benchOnce  sync.Once
	benchUI    *UI
	benchDir   string
	benchErr   error
	benchStore catalog.Store
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var benchWords = strings.Fields(`orders revenue customers delays flights airports inventory shipments payments
refunds invoices accounts sessions clicks campaigns churn forecast weather routes fleet crews fuel tickets
bookings loyalty reviews products suppliers warehouses returns margins prices discounts stores regions cities
employees payroll budget claims policies risk fraud transactions ledger balances currency rates sensors
readings alerts incidents outages latency capacity energy emissions contracts partners leads pipeline quotas`)

var benchDomains = strings.Fields(`aviation finance sales marketing logistics hr risk ops retail energy
customer supply payments fraud weather fleet crew loyalty pricing legal security support product growth
analytics reference geo billing inventory procurement`)

// benchCatalog makes (once) a catalog of 10,000 products in 30 domains,
// in four layers per domain: each product above the first reads one to
// three products of the layer below, in its domain or in the reference
// domain, as a real mesh does. One product in eight has a second
// version; a node per domain serves that domain's products.
func benchCatalog(b *testing.B) *UI {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "catalog-web-bench-")
		if benchErr != nil {
			return
		}
		began := time.Now()
		benchErr = generate(filepath.Join(benchDir, "catalog.db"))
		if benchErr == nil {
			fmt.Fprintf(os.Stderr, "generated %d products in %v\n", benchProducts, time.Since(began).Round(time.Millisecond))
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchUI
}

func generate(path string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	benchStore = st
	srv, err := catalog.New(catalog.Options{Store: st, BaseURL: "http://catalog.bench"})
	if err != nil {
		return err
	}
	benchUI = New(Options{Catalog: srv})

	r := rand.New(rand.NewPCG(1, 2))
	word := func() string { return benchWords[r.IntN(len(benchWords))] }
	perDomain := benchProducts / len(benchDomains)
	const layers = 4
	type ref struct{ domain, name string }
	byLayer := map[string][][]ref{} // domain -> layer -> products
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var batch []*catalog.Product
	served := map[string][]catalog.Served{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := st.Publish(ctx, batch, nil)
		batch = batch[:0]
		return err
	}
	for i := range benchProducts {
		d := benchDomains[i%len(benchDomains)]
		k := i / len(benchDomains)
		if k >= perDomain && d != "reference" {
			d = "reference"
		}
		layer := k * layers / perDomain
		if layer >= layers {
			layer = layers - 1
		}
		name := fmt.Sprintf("%s-%s-%d", word(), word(), i)
		p := &catalog.Product{
			Domain: d, Name: name, Version: "1.0.0", Major: 1,
			Title:       strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "-", " "),
			Description: fmt.Sprintf("The %s of %s by %s and %s, per day, with %s and %s.", word(), word(), word(), word(), word(), word()),
			Owner:       catalog.Owner{Team: fmt.Sprintf("%s-team-%d", d, r.IntN(8)), Email: fmt.Sprintf("%s-%d@example.com", d, r.IntN(8))},
			Tags:        []string{word(), word(), d},
			ServingMode: "live", Source: catalog.SourcePublish, PublishedAt: now,
			SLA: catalog.SLA{LatencyP99: "200ms", Freshness: "24h"},
		}
		for c := range 10 {
			p.Schema = append(p.Schema, catalog.Column{Name: fmt.Sprintf("%s_%d", word(), c), LogicalType: []string{"string", "number", "integer", "date"}[c%4],
				Required: c < 2, Description: "The " + word() + " of the " + word()})
		}
		p.PrimaryKey = []string{p.Schema[0].Name}
		p.Inputs = append(p.Inputs, catalog.NewInput("raw", "file", map[string]any{"path": "data/" + name + ".parquet"}))
		if layer > 0 {
			below := byLayer[d][layer-1]
			for j := range 1 + r.IntN(3) {
				from := below[r.IntN(len(below))]
				if j == 2 && len(byLayer["reference"]) > 0 && len(byLayer["reference"][0]) > 0 {
					from = byLayer["reference"][0][r.IntN(len(byLayer["reference"][0]))]
				}
				p.Inputs = append(p.Inputs, catalog.NewInput(fmt.Sprintf("in%d", j), "product", map[string]any{"ref": from.domain + "/" + from.name + "@^1"}))
			}
		}
		p.Transform = "select * from raw"
		p.ContentHash = catalog.Hash(p)
		batch = append(batch, p)
		if i%8 == 0 {
			v2 := *p
			v2.Version, v2.Major = "2.0.0", 2
			v2.Schema = append([]catalog.Column(nil), p.Schema[:9]...)
			v2.ContentHash = catalog.Hash(&v2)
			batch = append(batch, &v2)
		}
		for len(byLayer[d]) <= layer {
			byLayer[d] = append(byLayer[d], nil)
		}
		byLayer[d][layer] = append(byLayer[d][layer], ref{d, name})
		self := "http://" + d + ".node/products/" + name
		served[d] = append(served[d], catalog.Served{Product: p, URL: self,
			Links:  map[string]string{"self": self, "data": self + "/v1/data", "schema": self + "/v1/schema"},
			Status: json.RawMessage(`{"state":"available","freshness":{"age":"2h"},"quality":{"passed":5,"failed":0}}`)})
		if len(batch) >= 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for d, sv := range served {
		n := catalog.Node{Name: d + "-node", URL: "http://" + d + ".node", Domains: []string{d}}
		if err := st.RegisterNode(ctx, n, sv, now); err != nil {
			return err
		}
	}
	return nil
}

// benchProduct is a product in the middle of its domain: inputs below,
// consumers above.
func benchProduct(b *testing.B) (string, string) {
	res, err := benchUI.catalog().Search(context.Background(), catalog.SearchParams{Q: "domain:sales", Limit: 1, Offset: 150})
	if err != nil || len(res.Items) == 0 {
		b.Fatalf("no product to show: %v", err)
	}
	return res.Items[0].Domain, res.Items[0].Name
}

func benchPage(b *testing.B, path string) {
	b.Helper()
	ui := benchCatalog(b)
	w := httptest.NewRecorder()
	ui.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d\n%s", path, w.Code, w.Body)
	}
	size := w.Body.Len()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		ui.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	}
	b.ReportMetric(float64(size), "page-bytes")
}

func BenchmarkSearchPage(b *testing.B) {
	for _, q := range []struct{ name, q string }{
		{"all", ""},
		{"text", "revenue"},
		{"two-words", "flights delays"},
		{"filters", "revenue domain:sales tag:orders"},
	} {
		b.Run(q.name, func(b *testing.B) { benchPage(b, searchURL(q.q, 0)) })
	}
	b.Run("page-10", func(b *testing.B) { benchPage(b, searchURL("", 180)) })
}

func BenchmarkProductPage(b *testing.B) {
	benchCatalog(b)
	d, n := benchProduct(b)
	benchPage(b, productURL(d, n))
}

func BenchmarkLineagePage(b *testing.B) {
	benchCatalog(b)
	d, n := benchProduct(b)
	benchPage(b, lineageURL(d, n))
}

func BenchmarkImpactPage(b *testing.B) {
	benchCatalog(b)
	d, n := benchProduct(b)
	benchPage(b, impactURL(d, n))
}

func BenchmarkDomainsPage(b *testing.B) { benchPage(b, "/domains") }

func BenchmarkDomainPage(b *testing.B) { benchPage(b, "/domains/sales") }

// BenchmarkSearchQuery is the catalog's search alone, without the page:
// what the search pages' figures owe to the store.
func BenchmarkSearchQuery(b *testing.B) {
	benchCatalog(b)
	for _, q := range []string{"", "revenue"} {
		b.Run(fmt.Sprintf("q=%q", q), func(b *testing.B) {
			c := benchUI.catalog()
			for b.Loop() {
				if _, err := c.Search(context.Background(), catalog.SearchParams{Q: q, Limit: searchPageSize}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// frozen answers every search with one result: rendering alone.
type frozen struct {
	Catalog
	res *catalog.SearchResult
}

func (f frozen) Search(context.Context, catalog.SearchParams) (*catalog.SearchResult, error) {
	return f.res, nil
}

// BenchmarkSearchRender is the search page without the store: the UI's
// own share (facet links, template, escaping) of a page of 20 results
// with full facets.
func BenchmarkSearchRender(b *testing.B) {
	benchCatalog(b)
	res, err := benchUI.catalog().Search(context.Background(), catalog.SearchParams{Q: "revenue", Limit: searchPageSize})
	if err != nil {
		b.Fatal(err)
	}
	ui := New(Options{Catalog: frozen{benchUI.catalog(), res}})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		ui.ServeHTTP(w, httptest.NewRequest("GET", "/?q=revenue", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
