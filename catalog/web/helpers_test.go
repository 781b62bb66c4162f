package web

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/client"
	"github.com/datamesh/datamesh/catalog/sqlite"
)

const publishToken = "ui-test-token"

// testCatalog is a catalog listening on 127.0.0.1 with the UI, over a new
// SQLite store, seeded through its own API.
type testCatalog struct {
	srv *catalog.Server
	ui  *UI
	url string
}

// startCatalog starts a catalog with the UI on a free loopback port.
func startCatalog(t testing.TB) *testCatalog {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	ui := New(Options{})
	srv, err := catalog.New(catalog.Options{Addr: "127.0.0.1:0", Store: st, PublishToken: publishToken,
		HeartbeatTTL: time.Hour, UI: ui})
	if err != nil {
		t.Fatal(err)
	}
	ui.Bind(srv)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		st.Close()
	})
	return &testCatalog{srv: srv, ui: ui, url: srv.URL()}
}

// seed publishes testdata/mesh and registers a node serving the aviation
// products, as a node would describe them.
func (tc *testCatalog) seed(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	c := client.New(tc.url)
	var files []catalog.File
	err := fs.WalkDir(os.DirFS("testdata/mesh"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(filepath.Join("testdata/mesh", p))
		files = append(files, catalog.File{Path: p, Content: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if _, err := c.Publish(ctx, publishToken, files); err != nil {
		t.Fatalf("publish: %v", err)
	}
	node := "http://127.0.0.1:9/aviation" // nothing listens: the UI only links to it
	self := node + "/products/delays-by-airport"
	reg := catalog.Registration{Name: "aviation-node", URL: node, Products: []catalog.NodeProduct{{
		ID: "aviation/delays-by-airport@1.0.0", Domain: "aviation", Name: "delays-by-airport", Version: "1.0.0", Major: 1,
		Title:       "Monthly flight delays by origin airport",
		Description: "Mean and 95th percentile departure delay per origin airport and month.",
		Owner:       catalog.Owner{Team: "aviation-analytics", Email: "aviation@example.com"},
		ServingMode: "live",
		Status:      json.RawMessage(`{"state":"available","freshness":{"lastRefresh":"2026-03-01T11:00:00Z","age":"1h"},"quality":{"passed":4,"failed":0}}`),
		Links:       map[string]string{"self": self, "data": self + "/v1/data", "schema": self + "/v1/schema"},
	}, {
		ID: "aviation/flights@1.0.0", Domain: "aviation", Name: "flights", Version: "1.0.0", Major: 1,
		Owner:  catalog.Owner{Team: "aviation-ops", Email: "ops@example.com"},
		Status: json.RawMessage(`{"state":"unavailable","reason":"data/flights.parquet is missing"}`),
		Links:  map[string]string{"self": node + "/products/flights", "data": node + "/products/flights/v1/data"},
	}}}
	if _, err := c.Register(ctx, reg); err != nil {
		t.Fatalf("register: %v", err)
	}
}

// get fetches a page and returns its status and body.
func get(t testing.TB, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
