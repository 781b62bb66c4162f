//go:build duckdb_arrow

package node_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// consumer writes a node folder whose product reads items from upstream.
func consumer(t *testing.T, upstream string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "by-category.yaml"), []byte(fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: by-category
domain: reports
version: 1.0.0
description: Items per category, from the shop's items product.
owner: {team: reports}
inputs:
  - name: items
    product:
      ref: shop/items@^1
      url: %s
      maxAge: 0s
      timeout: 2s
%s
transform:
  sql: |
    select coalesce(category, 'none') as category, count(*) as items, round(sum(price), 2) as value
    from items group by all
output:
  primaryKey: [category]
  schema:
    - {name: category, logicalType: string}
    - {name: items, logicalType: integer}
    - {name: value, logicalType: number}
`, upstream, extra)), 0o644))
	return dir
}

func TestComposition(t *testing.T) {
	up := shop(t)
	down := mustStart(t, consumer(t, up.URL(), "      filter: {active: eq.true}"))
	var rows []map[string]any
	getJSON(t, down.URL()+"/products/by-category/v1/data?order=category", &rows)
	want := reference(t, `select coalesce(nullif(category, ''), 'none') as category, count(*) as items, round(sum(price), 2) as value
		from ITEMS where active group by all order by category`)
	if len(rows) != len(want) || len(rows) == 0 {
		t.Fatalf("rows %v, want %v", rows, want)
	}
	for i := range rows {
		if rows[i]["category"] != want[i]["category"] || fmt.Sprint(rows[i]["items"]) != fmt.Sprint(want[i]["items"]) ||
			fmt.Sprint(rows[i]["value"]) != fmt.Sprint(want[i]["value"]) {
			t.Errorf("row %d = %v, want %v", i, rows[i], want[i])
		}
	}
}

func TestCompositionUpstreamFailures(t *testing.T) {
	up := shop(t)
	description := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/products/items" {
			resp, err := http.Get(up.URL() + "/products/items")
			if err != nil {
				t.Error(err)
				return true
			}
			defer resp.Body.Close()
			var d map[string]any
			json.NewDecoder(resp.Body).Decode(&d)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(d)
			return true
		}
		return false
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		want    string
	}{
		{"down", nil, 502, "connection refused"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			if description(w, r) {
				return
			}
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, 504, "no answer in time"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			if description(w, r) {
				return
			}
			w.Write([]byte("this is not arrow"))
		}, 502, "not an Arrow IPC stream"},
		{"failing", func(w http.ResponseWriter, r *http.Request) {
			if description(w, r) {
				return
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(500)
			w.Write([]byte(`{"type":"internal","title":"Internal error","status":500,"detail":"disk on fire"}`))
		}, 502, "disk on fire"},
		{"changed schema", func(w http.ResponseWriter, r *http.Request) {
			if description(w, r) {
				return
			}
			// The upstream now serves other columns than the consumer expects.
			q := r.URL.Query()
			q.Set("select", "id,name")
			http.Redirect(w, r, up.URL()+r.URL.Path+"?"+q.Encode(), http.StatusFound)
		}, 502, "category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var url string
			if tt.handler == nil {
				srv := httptest.NewServer(http.NotFoundHandler())
				url = srv.URL
				srv.Close() // nothing listens there any more
			} else {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				url = srv.URL
			}
			down := mustStart(t, consumer(t, url, ""))
			var list []map[string]any
			getJSON(t, down.URL()+"/products", &list)
			if st := list[0]["status"].(map[string]any); st["state"] != "unavailable" {
				t.Errorf("status %v, want unavailable", st)
			}
			start := time.Now()
			a := get(t, down.URL()+"/products/by-category/v1/data")
			if a.status != tt.status || a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.status)
			}
			for _, want := range []string{"shop/items@^1", tt.want} {
				if !strings.Contains(string(a.body), want) {
					t.Errorf("problem lacks %q: %s", want, a.body)
				}
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("the answer hung for %v", time.Since(start))
			}
		})
	}
}
