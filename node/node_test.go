//go:build duckdb_arrow

package node_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	_ "github.com/duckdb/duckdb-go/v2"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/node"
)

// mustStart starts a node over dir on a free port and stops it at the end
// of the test.
func mustStart(tb testing.TB, dir string) *node.Node {
	tb.Helper()
	n, err := node.New(node.Options{Dir: dir, Addr: "127.0.0.1:0", DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return n
}

// shop is the node over testdata/shop, shared by the tests of this file.
func shop(t *testing.T) *node.Node {
	t.Helper()
	return mustStart(t, "testdata/shop")
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func getJSON(t *testing.T, url string, v any) answer {
	t.Helper()
	a := get(t, url)
	if a.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, a.status, a.body)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, a.body)
	}
	return a
}

// reference answers a query over the raw test data with DuckDB directly,
// independently of the node.
func reference(t *testing.T, query string, args ...any) []map[string]any {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	abs, _ := filepath.Abs("testdata/shop")
	query = strings.ReplaceAll(query, "ITEMS", "read_csv('"+filepath.Join(abs, "items.csv")+"')")
	query = strings.ReplaceAll(query, "EVENTS", "read_csv('"+filepath.Join(abs, "events.csv")+"')")
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func TestDiscovery(t *testing.T) {
	n := shop(t)
	var wk map[string]any
	getJSON(t, n.URL()+"/.well-known/datamesh", &wk)
	if wk["protocolVersion"] != "1" || wk["name"] != "shop" {
		t.Errorf("well-known: %v", wk)
	}
	var list []map[string]any
	getJSON(t, n.URL()+"/products", &list)
	var ids []string
	for _, p := range list {
		ids = append(ids, p["id"].(string))
		for _, k := range []string{"domain", "name", "version", "title", "links"} {
			if p[k] == nil {
				t.Errorf("%s has no %s", p["id"], k)
			}
		}
		links := p["links"].(map[string]any)
		if links["data"] != n.URL()+"/products/"+p["name"].(string)+"/v"+fmt.Sprint(p["major"])+"/data" {
			t.Errorf("%s: data link %v", p["id"], links["data"])
		}
	}
	if got := strings.Join(ids, " "); got != "shop/enriched@1.0.0 shop/events@2.0.0 shop/items@1.2.0" {
		t.Errorf("products = %s", got)
	}
	var items map[string]any
	getJSON(t, n.URL()+"/products/items", &items)
	schema := items["schema"].([]any)
	if len(schema) != 7 || schema[6].(map[string]any)["physicalType"] != "TIMESTAMP" {
		t.Errorf("items schema: %v", schema)
	}
	if st := items["status"].(map[string]any); st["state"] != "available" {
		t.Errorf("items status: %v", st)
	}
	var enriched map[string]any
	getJSON(t, n.URL()+"/products/enriched", &enriched)
	if st := enriched["status"].(map[string]any); st["state"] != "unavailable" || !strings.Contains(st["reason"].(string), "regions") {
		t.Errorf("enriched status: %v", st)
	}
	a := get(t, n.URL()+"/products/enriched/v1/data")
	if a.status != http.StatusBadGateway || !strings.Contains(string(a.body), "no catalog to resolve it") {
		t.Errorf("unavailable product: %d %s", a.status, a.body)
	}
}

func TestFilters(t *testing.T) {
	n := shop(t)
	tests := []struct {
		query string
		where string // the same rows, in SQL over the raw data
		args  []any
	}{
		{"id=eq.5", "id = 5", nil},
		{"id=neq.5", "id <> 5", nil},
		{"id=gt.90", "id > 90", nil},
		{"id=gte.90&id=lt.95", "id >= 90 and id < 95", nil},
		{"id=lte.3", "id <= 3", nil},
		{"id=in.(1,3,99)", "id in (1, 3, 99)", nil},
		{"id=not.in.(1,3,99)", "id not in (1, 3, 99)", nil},
		{"category=eq.fruit", "category = 'fruit'", nil},
		{"category=is.null", "category is null", nil},
		{"category=not.is.null", "category is not null", nil},
		{"price=is.null", "price is null", nil},
		{"price=gt.25.5", "price > 25.5", nil},
		{"name=like.item 00*", "name like 'item 00%'", nil},
		{"name=ilike.ITEM 01*", "name ilike 'item 01%'", nil},
		{"name=not.like.item*", "name not like 'item%'", nil},
		{"added=gte.2024-06-01", "added >= date '2024-06-01'", nil},
		{"active=is.true", "active", nil},
		{"active=eq.false", "not active", nil},
		{"updated=gt.2024-06-20T10:00:00Z", "updated > timestamp '2024-06-20 10:00:00'", nil},
		{"name=eq.item, \"10\"", "name = 'item, \"10\"'", nil},
		{"name=in.(\"item, \\\"10\\\"\",item 001)", "name in ('item, \"10\"', 'item 001')", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var rows []map[string]any
			getJSON(t, n.URL()+"/products/items/v1/data?order=id&"+escapeValues(tt.query), &rows)
			want := reference(t, "select id from (select id, name, nullif(category, '') as category, price, added, active, updated from ITEMS) where "+tt.where+" order by id", tt.args...)
			if len(want) == 0 && !strings.Contains(tt.query, "not.like") {
				t.Fatalf("reference query selects nothing: the test proves nothing")
			}
			var got, exp []string
			for _, r := range rows {
				got = append(got, fmt.Sprint(r["id"]))
			}
			for _, r := range want {
				exp = append(exp, fmt.Sprint(r["id"]))
			}
			if strings.Join(got, ",") != strings.Join(exp, ",") {
				t.Errorf("ids = %v\nwant  %v", got, exp)
			}
		})
	}
}

// escapeValues URL-encodes the values of a human-written query string.
func escapeValues(q string) string {
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, k+"="+urlEscape(v))
	}
	return strings.Join(parts, "&")
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", "\"", "%22", ",", "%2C", "&", "%26", "#", "%23", "+", "%2B", "\\", "%5C")
	return r.Replace(s)
}

func TestSelectOrderAndValues(t *testing.T) {
	n := shop(t)
	var rows []map[string]any
	getJSON(t, n.URL()+"/products/items/v1/data?select=name,price,updated&order=price.desc,id&id=lte.20", &rows)
	if len(rows) != 20 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if len(r) != 3 {
			t.Fatalf("columns %v, want name, price, updated", r)
		}
	}
	// price.desc puts NULLs last; id 17 has no price.
	if rows[19]["price"] != nil || rows[0]["price"].(float64) < rows[1]["price"].(float64) {
		t.Errorf("order: first %v, last %v", rows[0], rows[19])
	}
	var one []map[string]any
	getJSON(t, n.URL()+"/products/items/v1/data?id=eq.1", &one)
	want := map[string]any{"id": 1.0, "name": "item 001", "category": "veg", "price": 3.7, "added": "2024-02-02", "active": true, "updated": "2024-06-02T01:01:07.001234"}
	if fmt.Sprint(one) != fmt.Sprint([]map[string]any{want}) {
		t.Errorf("row 1 = %v\nwant %v", one, want)
	}
}

func TestFormats(t *testing.T) {
	n := shop(t)
	base := n.URL() + "/products/items/v1/data?order=id"
	total := len(reference(t, "select id from ITEMS"))

	a := get(t, base, "Accept", "application/x-ndjson")
	if a.header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("ndjson content type %q", a.header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(string(a.body)), "\n")
	if len(lines) != total {
		t.Errorf("ndjson: %d lines, want %d", len(lines), total)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("ndjson line %q: %v", l, err)
		}
	}

	a = get(t, base, "Accept", "text/csv")
	recs, err := csv.NewReader(strings.NewReader(string(a.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != total+1 || strings.Join(recs[0], ",") != "id,name,category,price,added,active,updated" {
		t.Errorf("csv: %d records, header %v", len(recs), recs[0])
	}
	if recs[10][1] != `item, "10"` {
		t.Errorf("csv quoting: %q", recs[10][1])
	}

	a = get(t, base+"&format=arrow")
	r, err := ipc.NewReader(strings.NewReader(string(a.body)))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for r.Next() {
		rows += int(r.RecordBatch().NumRows())
	}
	if rows != total || r.Schema().NumFields() != 7 {
		t.Errorf("arrow: %d rows, %d fields", rows, r.Schema().NumFields())
	}
	r.Release()

	a = get(t, base+"&select=id,name", "Accept", "application/vnd.apache.parquet")
	if a.status != http.StatusOK || string(a.body[:4]) != "PAR1" {
		t.Fatalf("parquet: %d %q", a.status, a.body[:min(len(a.body), 40)])
	}
	path := filepath.Join(t.TempDir(), "x.parquet")
	os.WriteFile(path, a.body, 0o644)
	got := reference(t, "select count(*) as n, count(distinct name) as names, max(id) as top from read_parquet('"+path+"')")
	if fmt.Sprint(got[0]["n"]) != fmt.Sprint(total) || fmt.Sprint(got[0]["top"]) != "100" {
		t.Errorf("parquet content: %v", got)
	}

	a = get(t, base, "Accept", "application/xml")
	if a.status != http.StatusNotAcceptable || a.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("xml: %d %s", a.status, a.body)
	}
}

var linkRE = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// pages follows Link headers from url and returns every row of every page.
func pages(t *testing.T, url string) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	n := 0
	for url != "" {
		var rows []map[string]any
		a := getJSON(t, url, &rows)
		all = append(all, rows...)
		n++
		if n > 1000 {
			t.Fatal("paging does not end")
		}
		url = ""
		if l := a.header.Get("Link"); l != "" {
			m := linkRE.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("Link header %q", l)
			}
			url = m[1]
		}
	}
	return all, n
}

func TestPaging(t *testing.T) {
	n := shop(t)
	for _, tt := range []struct {
		product, query, refOrder string
	}{
		{"items", "", "id"},
		{"items", "order=price.desc", "price desc nulls last, id"},
		{"items", "order=category,added.desc&select=name", "category nulls last, added desc nulls last, id"},
		{"items", "order=active&category=not.is.null", "active, id"},
		{"events", "", "kind, amount"},
		{"events", "order=amount.desc", "amount desc nulls last, kind"},
	} {
		for _, limit := range []int{1, 7, 10, 33, 1000} {
			t.Run(fmt.Sprintf("%s?%s&limit=%d", tt.product, tt.query, limit), func(t *testing.T) {
				url := fmt.Sprintf("%s/products/%s/v%d/data?limit=%d&%s", n.URL(), tt.product, map[string]int{"items": 1, "events": 2}[tt.product], limit, tt.query)
				got, count := pages(t, url)
				src := "(select id, name, nullif(category, '') as category, price, added, active, updated from ITEMS)"
				where := ""
				if strings.Contains(tt.query, "category=not.is.null") {
					where = " where category is not null"
				}
				if tt.product == "events" {
					src = "EVENTS"
				}
				want := reference(t, "select * from "+src+where+" order by "+tt.refOrder)
				if len(got) != len(want) {
					t.Fatalf("%d rows over %d pages, want %d", len(got), count, len(want))
				}
				if want := (len(want) + limit - 1) / limit; count < want || count > want+1 {
					t.Errorf("%d pages, want %d", count, want)
				}
				for i := range got {
					for k, v := range got[i] {
						if fmt.Sprint(v) != fmt.Sprint(jsonish(want[i][k])) {
							t.Fatalf("row %d: %s = %v, want %v", i, k, v, want[i][k])
						}
					}
				}
			})
		}
	}
}

// jsonish renders a database value as the node's JSON renders it.
func jsonish(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02T15:04:05.999999999")
	}
	return v
}

func TestBadRequests(t *testing.T) {
	n := shop(t)
	d := n.URL() + "/products/items/v1/data?"
	tests := []struct {
		url    string
		status int
		param  string
	}{
		{d + "nope=eq.1", 400, "nope"},
		{d + "id=zz.1", 400, "id"},
		{d + "id=eq.abc", 400, "id"},
		{d + "id=eq.1.5", 400, "id"},
		{d + "id=eq.99999999999999999999", 400, "id"},
		{d + "price=eq.cheap", 400, "price"},
		{d + "added=eq.2024-13-01", 400, "added"},
		{d + "added=gt.yesterday", 400, "added"},
		{d + "updated=lt.noon", 400, "updated"},
		{d + "active=eq.maybe", 400, "active"},
		{d + "active=is.maybe", 400, "active"},
		{d + "id=in.(1,2", 400, "id"},
		{d + "id=in.1,2", 400, "id"},
		{d + "id=in.(1,x)", 400, "id"},
		{d + "id=like.1*", 400, "id"},
		{d + "id=not.", 400, "id"},
		{d + "id=eq", 400, "id"},
		{d + "id=", 400, "id"},
		{d + "select=nope", 400, "select"},
		{d + "select=id,id", 400, "select"},
		{d + "select=", 400, "select"},
		{d + "order=nope", 400, "order"},
		{d + "order=id.sideways", 400, "order"},
		{d + "limit=0", 400, "limit"},
		{d + "limit=-1", 400, "limit"},
		{d + "limit=ten", 400, "limit"},
		{d + "limit=100000000000", 400, "limit"},
		{d + "limit=10&cursor=garbage", 400, "cursor"},
		{d + "limit=10&cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 400, "cursor"},
		{d + "format=xml", 400, "format"},
		{n.URL() + "/products/nope/v1/data", 404, ""},
		{n.URL() + "/products/items/v9/data", 404, ""},
		{n.URL() + "/products/items/1/data", 404, ""},
		{n.URL() + "/products/items/v01/data", 404, ""},
		{n.URL() + "/products/nope", 404, ""},
		{n.URL() + "/products/items/v1/nope", 404, ""},
		{n.URL() + "/nothing/here", 404, ""},
	}
	for _, tt := range tests {
		a := get(t, tt.url)
		var p map[string]any
		if err := json.Unmarshal(a.body, &p); err != nil || a.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %q is not a problem document: %s", tt.url, a.status, a.header.Get("Content-Type"), a.body)
			continue
		}
		if a.status != tt.status || p["status"] != float64(tt.status) || p["title"] == "" || p["detail"] == "" || p["type"] == "" {
			t.Errorf("%s: %d %v, want %d", tt.url, a.status, p, tt.status)
		}
		if tt.param != "" && p["parameter"] != tt.param {
			t.Errorf("%s: parameter %v, want %s", tt.url, p["parameter"], tt.param)
		}
	}
	// A cursor from another query is refused.
	first := get(t, d+"limit=5&order=name")
	m := linkRE.FindStringSubmatch(first.header.Get("Link"))
	if m == nil {
		t.Fatalf("no next link: %v", first.header)
	}
	cursor := m[1][strings.Index(m[1], "cursor=")+7:]
	cursor = cursor[:strings.IndexByte(cursor+"&", '&')]
	a := get(t, d+"limit=5&order=price&cursor="+cursor)
	if a.status != 400 || !strings.Contains(string(a.body), "cursor") {
		t.Errorf("cursor of another order: %d %s", a.status, a.body)
	}
	// Writes are refused on a read-only node.
	resp, err := http.Post(d, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d %v", resp.StatusCode, resp.Header)
	}
}
