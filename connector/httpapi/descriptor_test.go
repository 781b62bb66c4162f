//go:build duckdb_arrow

package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// TestDescriptor: an http input with pagination, as written in YAML,
// validated by the loader and built by the engine.
func TestDescriptor(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if r.URL.Query().Get("limit") != "2" {
			http.Error(w, "limit", 400)
			return
		}
		var recs []string
		for i := (page - 1) * 2; i < page*2 && i < 5; i++ {
			recs = append(recs, fmt.Sprintf(`{"id": %d, "city": "c%d"}`, i+1, i%2))
		}
		fmt.Fprintf(w, `{"result": {"rows": [%s]}}`, strings.Join(recs, ","))
	}))
	defer srv.Close()
	yaml := `apiVersion: datamesh/v1
kind: DataProduct
name: cities
domain: crm
version: 1.0.0
description: Customers per city.
owner: {team: crm}
inputs:
  - name: customers
    http:
      url: ` + srv.URL + `/customers
      records: result.rows
      timeout: 5s
      pagination: {type: page, sizeParam: limit, size: 2, maxPages: 10}
transform:
  sql: select city, count(*) as customers from customers group by city
output:
  schema:
    - {name: city, logicalType: string}
    - {name: customers, logicalType: integer}
`
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	d, problems := descriptor.LoadFile(path)
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	products, problems := e.Build(ctx, []*descriptor.Product{d})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	var got string
	if err := e.DB().QueryRow(`SELECT string_agg(city || '=' || customers, ',' ORDER BY city) FROM ` + products[0].Relation()).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "c0=3,c1=2" {
		t.Errorf("got %s", got)
	}

	bad := strings.Replace(yaml, "type: page,", "type: pages,", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, problems = descriptor.LoadFile(path)
	if msg := problems.Error(); !strings.Contains(msg, "inputs[0].http.pagination.type: must be link, page or cursor") {
		t.Errorf("problems: %s", msg)
	}
}
