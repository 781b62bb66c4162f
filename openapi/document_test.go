package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load parses a document with libopenapi, builds its 3.1 model, and checks
// it against the OAS 3.1 JSON Schema that libopenapi-validator embeds.
func load(t *testing.T, b []byte) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatalf("libopenapi.NewDocument: %v", err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("libopenapi sees version %q", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("BuildV3Model: %v", err)
	}
	if ok, errs := schema_validation.ValidateOpenAPIDocument(doc); !ok {
		for _, e := range errs {
			t.Errorf("OAS 3.1 schema: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason)
			}
		}
		t.FailNow()
	}
	return doc, &model.Model
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	for name, products := range map[string][]Product{
		"none":     nil,
		"one":      {delays()},
		"several":  testProducts(),
		"relative": {delays()},
	} {
		t.Run(name, func(t *testing.T) {
			n := testNode()
			if name == "relative" || name == "none" {
				n.BaseURL = ""
			}
			load(t, marshal(t, Document(n, products)))
		})
	}
}

// TestValidatorRejectsBrokenDocuments shows that the validation in load
// can fail: documents Document must never produce are refused.
func TestValidatorRejectsBrokenDocuments(t *testing.T) {
	for name, breakIt := range map[string]func(d map[string]any){
		"no info version": func(d map[string]any) { delete(d["info"].(map[string]any), "version") },
		"response without description": func(d map[string]any) {
			get := d["paths"].(map[string]any)["/products"].(map[string]any)["get"].(map[string]any)
			delete(get["responses"].(map[string]any)["200"].(map[string]any), "description")
		},
		"parameter in body": func(d map[string]any) {
			get := d["paths"].(map[string]any)["/products/delays-by-airport/v1/data"].(map[string]any)["get"].(map[string]any)
			get["parameters"].([]any)[0].(map[string]any)["in"] = "body"
		},
	} {
		t.Run(name, func(t *testing.T) {
			d := Document(testNode(), testProducts())
			breakIt(d)
			doc, err := libopenapi.NewDocument(marshal(t, d))
			if err != nil {
				return // refused already
			}
			if ok, _ := schema_validation.ValidateOpenAPIDocument(doc); ok {
				t.Error("the OAS 3.1 schema validation accepted a broken document")
			}
		})
	}
}

func TestDocumentGolden(t *testing.T) {
	got := marshal(t, Document(testNode(), testProducts()))
	path := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -tags duckdb_arrow ./openapi -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("the document differs from %s; if the change is intended, run go test -tags duckdb_arrow ./openapi -update and review the diff", path)
	}
}

func op(t *testing.T, m *v3.Document, path string) *v3.Operation {
	t.Helper()
	item, ok := m.Paths.PathItems.Get(path)
	if !ok || item.Get == nil {
		t.Fatalf("no GET %s", path)
	}
	return item.Get
}

func TestDocumentPathsAndOperations(t *testing.T) {
	_, m := load(t, marshal(t, Document(testNode(), testProducts())))

	if m.Info.Title != "aviation-node (datamesh node)" || m.Info.Version != "1" {
		t.Errorf("info: %q %q", m.Info.Title, m.Info.Version)
	}
	if len(m.Servers) != 1 || m.Servers[0].URL != "http://localhost:8080" {
		t.Errorf("servers: %+v", m.Servers)
	}
	var paths []string
	for p := range m.Paths.PathItems.KeysFromOldest() {
		paths = append(paths, p)
	}
	want := []string{
		"/.well-known/datamesh", "/products", "/products/{name}",
		"/products/delays-by-airport/v1/data", "/products/delays-by-airport/v1/schema",
		"/products/kitchen-sink/v1/data", "/products/kitchen-sink/v1/schema",
		"/products/kitchen-sink/v2/data", "/products/kitchen-sink/v2/schema",
		"/healthz", "/readyz", "/openapi.json", "/docs",
		"/products/delays-by-airport/v1/jobs", "/products/kitchen-sink/v1/jobs", "/products/kitchen-sink/v2/jobs",
		"/jobs/{id}", "/jobs/{id}/result", "/metrics",
	}
	for _, p := range want {
		if !slices.Contains(paths, p) {
			t.Errorf("missing path %s (have %v)", p, paths)
		}
	}
	if len(paths) != len(want) {
		t.Errorf("%d paths, want %d: %v", len(paths), len(want), paths)
	}

	ids := map[string]string{}
	for p, item := range m.Paths.PathItems.FromOldest() {
		for method, o := range item.GetOperations().FromOldest() {
			id := o.OperationId
			if id == "" {
				t.Errorf("%s %s has no operationId", method, p)
			}
			if other, dup := ids[id]; dup {
				t.Errorf("operationId %s on %s and %s", id, other, p)
			}
			ids[id] = p
		}
	}
	for id, path := range map[string]string{
		"getDelaysByAirportV1Data":   "/products/delays-by-airport/v1/data",
		"getDelaysByAirportV1Schema": "/products/delays-by-airport/v1/schema",
		"getKitchenSinkV2Data":       "/products/kitchen-sink/v2/data",
		"listProducts":               "/products",
		"getWellKnown":               "/.well-known/datamesh",
	} {
		if ids[id] != path {
			t.Errorf("operationId %s is on %q, want %s", id, ids[id], path)
		}
	}

	data := op(t, m, "/products/delays-by-airport/v1/data")
	if data.Summary != "Monthly flight delays by origin airport" {
		t.Errorf("summary %q", data.Summary)
	}
	if !slices.Equal(data.Tags, []string{"delays-by-airport"}) {
		t.Errorf("tags %v", data.Tags)
	}
	if data.Deprecated != nil && *data.Deprecated {
		t.Error("a current product's data operation is deprecated")
	}
	for _, path := range []string{"/products/kitchen-sink/v1/data", "/products/kitchen-sink/v1/schema"} {
		if o := op(t, m, path); o.Deprecated == nil || !*o.Deprecated {
			t.Errorf("GET %s of a deprecated product is not deprecated", path)
		}
	}
	if o := op(t, m, "/products/kitchen-sink/v2/data"); o.Deprecated != nil && *o.Deprecated {
		t.Error("kitchen-sink v2 is marked deprecated")
	}
	if !strings.Contains(op(t, m, "/products/kitchen-sink/v1/data").Description, "2026-12-31") {
		t.Error("the deprecated product's description does not give its sunset")
	}
}

func TestDocumentDataParameters(t *testing.T) {
	_, m := load(t, marshal(t, Document(testNode(), testProducts())))
	params := func(path string) map[string]*v3.Parameter {
		out := map[string]*v3.Parameter{}
		for _, p := range op(t, m, path).Parameters {
			if p.In != "query" {
				t.Errorf("%s: parameter %s in %s", path, p.Name, p.In)
			}
			if _, dup := out[p.Name]; dup {
				t.Errorf("%s: parameter %s twice", path, p.Name)
			}
			out[p.Name] = p
		}
		return out
	}

	ps := params("/products/delays-by-airport/v1/data")
	var names []string
	for n := range ps {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"airport", "avg_delay", "cursor", "flights", "format", "limit", "month", "order", "p95_delay", "select", "state"}
	if !slices.Equal(names, want) {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	limit := ps["limit"].Schema.Schema()
	if !slices.Equal(limit.Type, []string{"integer"}) || limit.Minimum == nil || *limit.Minimum != 1 || limit.Maximum == nil || *limit.Maximum != 10000 {
		t.Errorf("limit schema: type %v min %v max %v", limit.Type, limit.Minimum, limit.Maximum)
	}
	var formats []string
	for _, e := range ps["format"].Schema.Schema().Enum {
		formats = append(formats, e.Value)
	}
	if !slices.Equal(formats, []string{"json", "ndjson", "csv", "arrow", "parquet"}) {
		t.Errorf("format enum %v", formats)
	}
	airport := ps["airport"]
	if s := airport.Schema.Schema(); !slices.Equal(s.Type, []string{"string"}) {
		t.Errorf("filter schema type %v", s.Type)
	}
	for _, frag := range []string{"op.value", "`eq`", "`neq`", "`gt`", "`gte`", "`lt`", "`lte`", "`in`", "`like`", "`ilike`", "`is`", "`not.`", "IATA code"} {
		if !strings.Contains(airport.Description, frag) {
			t.Errorf("airport filter description lacks %q: %s", frag, airport.Description)
		}
	}
	if d := ps["flights"].Description; strings.Contains(d, "`like`") {
		t.Errorf("an integer column's filter offers like: %s", d)
	}
	if !strings.Contains(ps["select"].Description, "`avg_delay`") {
		t.Errorf("select does not list the columns: %s", ps["select"].Description)
	}

	// Object and array columns cannot be filtered; "limit" stays the
	// reserved parameter.
	ks := params("/products/kitchen-sink/v2/data")
	for _, n := range []string{"attrs", "items"} {
		if _, ok := ks[n]; ok {
			t.Errorf("kitchen-sink has a filter on %s", n)
		}
	}
	for _, n := range []string{"id", "label", "ratio", "active", "day", "at", "clock", "limit"} {
		if _, ok := ks[n]; !ok {
			t.Errorf("kitchen-sink lacks parameter %s", n)
		}
	}
	if !strings.Contains(ks["limit"].Description, "page size") {
		t.Errorf("limit is not the reserved parameter: %s", ks["limit"].Description)
	}
}

func TestDocumentResponses(t *testing.T) {
	_, m := load(t, marshal(t, Document(testNode(), testProducts())))
	data := op(t, m, "/products/delays-by-airport/v1/data")
	ok, found := data.Responses.Codes.Get("200")
	if !found {
		t.Fatal("no 200")
	}
	var types []string
	for ct := range ok.Content.KeysFromOldest() {
		types = append(types, ct)
	}
	slices.Sort(types)
	want := []string{"application/json", "application/vnd.apache.arrow.stream", "application/vnd.apache.parquet", "application/x-ndjson", "text/csv"}
	if !slices.Equal(types, want) {
		t.Errorf("200 content %v, want %v", types, want)
	}
	js, _ := ok.Content.Get("application/json")
	arr := js.Schema.Schema()
	if !slices.Equal(arr.Type, []string{"array"}) {
		t.Fatalf("json schema type %v", arr.Type)
	}
	if ref := arr.Items.A.GetReference(); ref != "#/components/schemas/DelaysByAirportV1Row" {
		t.Errorf("items $ref %q", ref)
	}
	row := arr.Items.A.Schema()
	if row == nil || row.Properties == nil || row.Properties.Len() != 6 {
		t.Fatalf("the row schema does not resolve to 6 properties: %+v", row)
	}
	if !slices.Equal(row.Required, []string{"airport", "month"}) {
		t.Errorf("row required %v", row.Required)
	}
	pq, _ := ok.Content.Get("application/vnd.apache.parquet")
	if s := pq.Schema.Schema(); !slices.Equal(s.Type, []string{"string"}) || s.Format != "binary" {
		t.Errorf("parquet schema %v %q", s.Type, s.Format)
	}
	if _, found := ok.Headers.Get("Link"); !found {
		t.Error("200 has no Link header")
	}
	if _, found := ok.Headers.Get("Sunset"); found {
		t.Error("a current product announces a Sunset header")
	}
	dep, _ := op(t, m, "/products/kitchen-sink/v1/data").Responses.Codes.Get("200")
	for _, h := range []string{"Link", "Deprecation", "Sunset"} {
		if _, found := dep.Headers.Get(h); !found {
			t.Errorf("deprecated product's 200 lacks header %s", h)
		}
	}

	for _, code := range []string{"400", "404", "406", "503"} {
		r, found := data.Responses.Codes.Get(code)
		if !found {
			t.Errorf("no %s response", code)
			continue
		}
		pj, found := r.Content.Get("application/problem+json")
		if !found {
			t.Errorf("%s has no application/problem+json", code)
			continue
		}
		if ref := pj.Schema.GetReference(); ref != "#/components/schemas/Problem" {
			t.Errorf("%s schema $ref %q", code, ref)
		}
		s := pj.Schema.Schema()
		for _, prop := range []string{"type", "title", "status", "detail", "instance", "parameter", "allowed"} {
			if _, found := s.Properties.Get(prop); !found {
				t.Errorf("Problem lacks property %s", prop)
			}
		}
	}

	if _, found := m.Components.Schemas.Get("KitchenSinkV1Row"); !found {
		t.Error("no KitchenSinkV1Row")
	}
	if _, found := m.Components.Schemas.Get("KitchenSinkV2Row"); !found {
		t.Error("no KitchenSinkV2Row")
	}
}

// TestDocumentValidatesTraffic uses the document as a contract: requests
// and responses a node would exchange are checked against it by
// libopenapi-validator, and wrong ones are refused.
func TestDocumentValidatesTraffic(t *testing.T) {
	doc, _ := load(t, marshal(t, Document(testNode(), testProducts())))
	v, errs := validator.NewValidator(doc)
	if errs != nil {
		t.Fatal(errs)
	}
	base := "http://localhost:8080"
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"/products/delays-by-airport/v1/data", true},
		{"/products/delays-by-airport/v1/data?airport=eq.JFK&limit=10&format=csv", true},
		{"/products/delays-by-airport/v1/data?month=not.in.(2024-01-01,2024-02-01)&order=month.desc&select=airport,month", true},
		{"/products/delays-by-airport/v1/data?limit=0", false},
		{"/products/delays-by-airport/v1/data?limit=10001", false},
		{"/products/delays-by-airport/v1/data?format=xml", false},
		{"/products/delays-by-airport/v1/data?airport=JFK", false},
		{"/products/delays-by-airport/v1/data?flights=like.1*", false},
		{"/products/delays-by-airport/v1/schema", true},
		{"/products/delays-by-airport", true},
		{"/products/nope", false},
	} {
		req := httptest.NewRequest(http.MethodGet, base+tc.target, nil)
		ok, errs := v.ValidateHttpRequest(req)
		if ok != tc.ok {
			t.Errorf("request %s: valid=%v, want %v", tc.target, ok, tc.ok)
			for _, e := range errs {
				t.Logf("  %s: %s", e.Message, e.Reason)
			}
		}
	}

	respond := func(target string, status int, ct, body string) (bool, string) {
		req := httptest.NewRequest(http.MethodGet, base+target, nil)
		resp := &http.Response{
			StatusCode: status,
			Header:     http.Header{"Content-Type": {ct}},
			Body:       io.NopCloser(strings.NewReader(body)),
			Request:    req,
		}
		ok, errs := v.ValidateHttpResponse(req, resp)
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message+": "+e.Reason)
		}
		return ok, strings.Join(msgs, "; ")
	}
	data := "/products/delays-by-airport/v1/data"
	for _, tc := range []struct {
		name   string
		status int
		ct     string
		body   string
		ok     bool
	}{
		{"rows", 200, "application/json", `[{"airport":"JFK","state":"NY","month":"2024-01-01","avg_delay":12.5,"p95_delay":61.0,"flights":1200},{"airport":"LAX","state":null,"month":"2024-01-01","avg_delay":null,"p95_delay":null,"flights":null}]`, true},
		{"no rows", 200, "application/json", `[]`, true},
		{"extra column", 200, "application/json", `[{"airport":"JFK","month":"2024-01-01","carrier":"AA"}]`, false},
		{"missing key", 200, "application/json", `[{"airport":"JFK"}]`, false},
		{"wrong type", 200, "application/json", `[{"airport":"JFK","month":"2024-01-01","flights":"many"}]`, false},
		{"problem", 400, "application/problem+json", `{"type":"https://datamesh.dev/problems/bad-parameter","title":"Bad request parameter","status":400,"detail":"x","parameter":"limit","allowed":"1..10000"}`, true},
		{"problem without status", 404, "application/problem+json", `{"type":"https://datamesh.dev/problems/not-found","title":"Not found"}`, false},
	} {
		ok, msg := respond(data, tc.status, tc.ct, tc.body)
		if ok != tc.ok {
			t.Errorf("response %s: valid=%v, want %v (%s)", tc.name, ok, tc.ok, msg)
		}
	}
	if ok, msg := respond("/products", 200, "application/json",
		`[{"id":"aviation/delays-by-airport@1.0.0","domain":"aviation","name":"delays-by-airport","version":"1.0.0","major":1,"title":"t","owner":{"team":"a"},"servingMode":"live","status":{"state":"available"},"links":{"self":"/products/delays-by-airport","data":"/x","schema":"/y"}}]`); !ok {
		t.Errorf("product list: %s", msg)
	}
	if ok, _ := respond("/products", 200, "application/json", `[{"name":"no id"}]`); ok {
		t.Error("a product list without ids passes")
	}
}

func TestDocumentUniqueNames(t *testing.T) {
	a, b := delays(), delays()
	b.Name = "delays_by_airport" // same PascalCase as delays-by-airport
	d := Document(Node{}, []Product{a, b, a})
	schemas := d["components"].(map[string]any)["schemas"].(map[string]any)
	for _, k := range []string{"DelaysByAirportV1Row", "DelaysByAirportV1Row_2"} {
		if _, ok := schemas[k]; !ok {
			t.Errorf("no schema %s", k)
		}
	}
	_, m := load(t, marshal(t, d))
	if id := op(t, m, "/products/delays_by_airport/v1/data").OperationId; id != "getDelaysByAirportV1Data_2" {
		t.Errorf("second operationId %q", id)
	}
	if _, ok := d["servers"]; ok {
		t.Error("servers without a base URL")
	}
}
