//go:build duckdb_arrow

package mesh_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/mesh"

	_ "modernc.org/sqlite" // reads the raw sales database
)

// mustUp runs the example mesh on free ports for the test.
func mustUp(t *testing.T, only ...string) *mesh.Mesh {
	t.Helper()
	m, err := mesh.Up(context.Background(), mesh.Options{
		Dir: "../examples/acme", Only: only, CatalogAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		HeartbeatInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return m
}

func fetch(t *testing.T, url string, accept string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (%s): %d %s", url, accept, resp.StatusCode, body)
	}
	return body
}

// TestEveryProductInEveryFormat runs the whole example and reads every
// product in every format: the row counts must agree.
func TestEveryProductInEveryFormat(t *testing.T) {
	m := mustUp(t)
	total := 0
	for _, d := range m.Nodes {
		for _, p := range d.Products {
			total++
			url := fmt.Sprintf("%s/products/%s/v%d/data", d.Node.URL(), p.Name, p.Major())
			var rows []map[string]any
			if err := json.Unmarshal(fetch(t, url, "application/json"), &rows); err != nil {
				t.Fatalf("%s: %v", p.ID(), err)
			}
			if len(rows) == 0 {
				t.Errorf("%s has no rows", p.ID())
			}
			nd := bytes.Count(fetch(t, url, "application/x-ndjson"), []byte("\n"))
			recs, err := csv.NewReader(bytes.NewReader(fetch(t, url, "text/csv"))).ReadAll()
			if err != nil {
				t.Fatalf("%s csv: %v", p.ID(), err)
			}
			r, err := ipc.NewReader(bytes.NewReader(fetch(t, url, "application/vnd.apache.arrow.stream")))
			if err != nil {
				t.Fatalf("%s arrow: %v", p.ID(), err)
			}
			arrowRows := 0
			for r.Next() {
				arrowRows += int(r.RecordBatch().NumRows())
			}
			r.Release()
			pq := fetch(t, url, "application/vnd.apache.parquet")
			if nd != len(rows) || len(recs)-1 != len(rows) || arrowRows != len(rows) || !bytes.HasPrefix(pq, []byte("PAR1")) {
				t.Errorf("%s: json %d, ndjson %d, csv %d, arrow %d rows; parquet %q", p.ID(), len(rows), nd, len(recs)-1, arrowRows, pq[:4])
			}
			if len(recs) > 0 && len(recs[0]) != len(p.Output.Schema) {
				t.Errorf("%s: csv header %v", p.ID(), recs[0])
			}
		}
	}
	if total < 12 {
		t.Errorf("the example has %d products, want at least 12", total)
	}
}

// TestCatalogKnowsTheMesh checks the catalog lists every product with the
// lineage edges its descriptor declares.
func TestCatalogKnowsTheMesh(t *testing.T) {
	m := mustUp(t)
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			URL    string `json:"url"`
			Status string `json:"status"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal(fetch(t, m.Catalog.URL()+"/api/products?limit=100", ""), &list); err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, it := range list.Items {
		listed[it.ID] = it.Status
	}
	composing := 0
	for _, d := range m.Nodes {
		for _, p := range d.Products {
			if st, ok := listed[p.ID()]; !ok || st != "available" {
				t.Errorf("%s: listed %v, status %q", p.ID(), ok, st)
			}
			var want []string
			for _, in := range p.Inputs {
				if in.Kind == "product" {
					ref, _ := descriptor.ParseRef(in.Options["ref"].(string))
					want = append(want, ref.Domain+"/"+ref.Name)
				}
			}
			if len(want) == 0 {
				continue
			}
			composing++
			body := string(fetch(t, fmt.Sprintf("%s/api/lineage/%s/%s?direction=upstream&depth=1", m.Catalog.URL(), p.Domain, p.Name), ""))
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: lineage lacks %s: %s", p.ID(), w, body)
				}
			}
		}
	}
	if composing < 3 {
		t.Errorf("%d products compose others, want at least 3", composing)
	}
}

// TestComposedFiguresMatchRawData checks finance's quarterly view of Berlin,
// computed across three nodes, against the raw sales database and HR files
// read here directly.
func TestComposedFiguresMatchRawData(t *testing.T) {
	m := mustUp(t, "sales", "hr", "finance")
	var financeURL string
	for _, d := range m.Nodes {
		if d.Name == "finance" {
			financeURL = d.Node.URL()
		}
	}
	var rows []map[string]any
	body := fetch(t, financeURL+"/products/quarterly-sales-trends/v1/data?office=eq.Berlin&order=quarter", "")
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:../examples/acme/sales/data/sales.db?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := db.Query(`select strftime('%Y', placed) || '-Q' || ((cast(strftime('%m', placed) as integer) + 2) / 3) as q,
			count(*), sum(amount)
		from orders where status = 'paid' and office_id = 1 group by q order by q`)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	type quarter struct {
		orders  int64
		revenue float64
	}
	want := map[string]quarter{}
	for raw.Next() {
		var q string
		var w quarter
		if err := raw.Scan(&q, &w.orders, &w.revenue); err != nil {
			t.Fatal(err)
		}
		want[q] = w
	}
	rate := 0.0
	offices, err := os.ReadFile("../examples/acme/hr/data/offices.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(bytes.NewReader(offices)).ReadAll()
	for _, r := range recs[1:] {
		if r[1] == "Berlin" {
			rate, _ = strconv.ParseFloat(r[4], 64)
		}
	}
	if len(rows) != len(want) || len(rows) < 4 || rate == 0 {
		t.Fatalf("%d quarters from finance, %d in the raw data (rate %v): %s", len(rows), len(want), rate, body)
	}
	for _, r := range rows {
		q := r["quarter"].(string)
		w, ok := want[q]
		if !ok {
			t.Errorf("finance has quarter %s, the raw data not", q)
			continue
		}
		revenue := r["revenue"].(float64)
		// Monthly revenue is rounded to cents before summing: three cents at most.
		if r["orders"].(float64) != float64(w.orders) || math.Abs(revenue-w.revenue) > 0.03 {
			t.Errorf("%s: orders %v revenue %v, raw data %d %.2f", q, r["orders"], revenue, w.orders, w.revenue)
		}
		if inc := r["incentives"].(float64); math.Abs(inc-revenue*rate) > 0.01 {
			t.Errorf("%s: incentives %v, want %.2f", q, inc, revenue*rate)
		}
	}
}

// A product reading a product of its own node resolves it through the
// catalog once the node has registered, without waiting for a request.
func TestSameNodeCompositionBecomesAvailable(t *testing.T) {
	m := mustUp(t, "sales", "hr", "finance", "marketing")
	var marketing string
	for _, d := range m.Nodes {
		if d.Name == "marketing" {
			marketing = d.Node.URL()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var d struct {
			Status struct{ State, Reason string } `json:"status"`
		}
		if err := json.Unmarshal(fetch(t, marketing+"/products/campaign-efficiency", ""), &d); err != nil {
			t.Fatal(err)
		}
		if d.Status.State == "available" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign-efficiency still waits for its own node's product: %+v", d.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
