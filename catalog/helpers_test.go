package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/sqlite"
)

const token = "s3cret-token"

// clock is a time tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     testing.TB
	srv   *catalog.Server
	h     http.Handler
	clock *clock
	store catalog.Store
}

// newEnv makes a catalog over a new SQLite store, not listening: requests
// go to its Handler.
func newEnv(t testing.TB, edit ...func(*catalog.Options)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := catalog.Options{Store: st, PublishToken: token, HeartbeatTTL: 30 * time.Second, Now: clk.Now,
		BaseURL: "http://catalog.test"}
	for _, e := range edit {
		e(&opts)
	}
	srv, err := catalog.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, h: srv.Handler(), clock: clk, store: st}
}

// do sends a request; body is JSON-encoded unless it is a string or bytes.
func (e *env) do(method, path string, body any, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *env) publish(files ...catalog.File) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("POST", "/api/publish", catalog.PublishRequest{Files: files}, "Authorization", "Bearer "+token)
}

func (e *env) mustPublish(files ...catalog.File) catalog.PublishResult {
	e.t.Helper()
	w := e.publish(files...)
	if w.Code != http.StatusOK {
		e.t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	var res catalog.PublishResult
	decode(e.t, w, &res)
	return res
}

func decode(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, w.Body)
	}
}

// problemOf checks an answer is a problem document with that status.
func problemOf(t testing.TB, w *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p map[string]any
	decode(t, w, &p)
	if p["status"] != float64(status) || p["title"] == "" || !strings.HasPrefix(fmt.Sprint(p["type"]), "https://") {
		t.Fatalf("problem document %v", p)
	}
	return p
}

// spec describes a descriptor for desc.
type spec struct {
	domain, name, version string
	title, description    string
	team                  string
	tags                  []string
	reads                 []string // product refs
	columns               []string // name:type
}

// desc writes a valid descriptor.
func desc(s spec) catalog.File {
	if s.title == "" {
		s.title = "The " + s.name + " product"
	}
	if s.description == "" {
		s.description = "Rows about " + s.name + "."
	}
	if s.team == "" {
		s.team = s.domain + "-team"
	}
	if s.columns == nil {
		s.columns = []string{"id:string"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: datamesh/v1\nkind: DataProduct\nname: %s\ndomain: %s\nversion: %s\ntitle: %s\ndescription: %s\n",
		s.name, s.domain, s.version, s.title, s.description)
	fmt.Fprintf(&b, "owner:\n  team: %s\n  email: %s@example.com\n", s.team, s.team)
	if len(s.tags) > 0 {
		fmt.Fprintf(&b, "tags: [%s]\n", strings.Join(s.tags, ", "))
	}
	fmt.Fprintf(&b, "inputs:\n  - name: raw\n    file: data/%s.csv\n", s.name)
	for i, r := range s.reads {
		fmt.Fprintf(&b, "  - name: in%d\n    product: %q\n", i, r)
	}
	b.WriteString("transform:\n  sql: select * from raw\noutput:\n  schema:\n")
	for _, c := range s.columns {
		n, typ, _ := strings.Cut(c, ":")
		fmt.Fprintf(&b, "    - name: %s\n      logicalType: %s\n", n, typ)
	}
	b.WriteString("sla:\n  freshness: 24h\n")
	return catalog.File{Path: s.domain + "/" + s.name + "-" + s.version + ".yaml", Content: b.String()}
}

// nodeProduct is a product as a node describes it (node/describe.go).
func nodeProduct(nodeURL, domain, name, version string, reads ...string) catalog.NodeProduct {
	var inputs []catalog.NodeInput
	inputs = append(inputs, catalog.NodeInput{Name: "raw", Kind: "file", Options: map[string]any{"path": "data/" + name + ".csv"}})
	for i, r := range reads {
		inputs = append(inputs, catalog.NodeInput{Name: fmt.Sprintf("in%d", i), Kind: "product", Options: map[string]any{"ref": r}})
	}
	self := nodeURL + "/products/" + name
	np := catalog.NodeProduct{
		ID: domain + "/" + name + "@" + version, Domain: domain, Name: name, Version: version,
		Title: "The " + name + " product", Description: "Rows about " + name + ".",
		Owner: catalog.Owner{Team: domain + "-team", Email: domain + "-team@example.com"}, ServingMode: "live",
		Status: json.RawMessage(`{"state":"available"}`),
		Links:  map[string]string{"self": self, "data": self + "/v1/data", "schema": self + "/v1/schema"},
		Inputs: inputs,
		Schema: []catalog.Column{{Name: "id", LogicalType: "string", PhysicalType: "VARCHAR"}},
		SLA:    catalog.NodeSLA{SLA: catalog.SLA{Freshness: "24h0m0s"}},
	}
	np.Transform.SQL = "select * from raw"
	return np
}

func (e *env) register(name, url string, products ...catalog.NodeProduct) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("POST", "/api/nodes", catalog.Registration{Name: name, URL: url, Products: products})
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
