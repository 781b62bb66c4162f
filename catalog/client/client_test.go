package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/client"
	"github.com/datamesh/datamesh/catalog/sqlite"
)

const token = "t0ken"

// MustStart starts a catalog on a free port over a new SQLite store.
func MustStart(t *testing.T) *catalog.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := catalog.New(catalog.Options{Addr: "127.0.0.1:0", Store: st, PublishToken: token})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		st.Close()
	})
	return srv
}

func TestPublishFromDir(t *testing.T) {
	srv := MustStart(t)
	c := client.New(srv.URL())
	ctx := context.Background()
	// The descriptor package's good fixtures: _drafts is skipped, notes.yaml
	// is not a descriptor.
	files, err := client.FilesFromDir("../../descriptor/testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); got != "aviation/delays-by-airport.yaml geo/airports.yaml geo/regions.yml" {
		t.Fatalf("files %s", got)
	}
	res, err := c.Publish(ctx, token, files)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "published" || len(res.Products) != 3 {
		t.Fatalf("%+v", res)
	}
	res, err = c.Publish(ctx, token, files)
	if err != nil || res.Status != "unchanged" {
		t.Fatalf("again: %+v %v", res, err)
	}
	_, err = c.Publish(ctx, "wrong", files)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		t.Errorf("wrong token: %v", err)
	}
	bad, _ := os.ReadFile("../../descriptor/testdata/bad/bad-semver.yaml")
	_, err = c.Publish(ctx, token, []catalog.File{{Path: "bad.yaml", Content: string(bad)}})
	if !errors.As(err, &ce) || ce.Status != 422 || len(ce.Problems) != 1 || ce.Problems[0].File != "bad.yaml" {
		t.Errorf("invalid: %#v", err)
	}
	changed := strings.Replace(files[0].Content, "title: Monthly flight delays by origin airport", "title: Changed", 1)
	_, err = c.Publish(ctx, token, []catalog.File{{Path: files[0].Path, Content: changed}})
	if !errors.As(err, &ce) || ce.Status != 409 || len(ce.Conflicts) != 1 || ce.Conflicts[0].Fields[0] != "title" {
		t.Errorf("conflict: %#v", err)
	}
	if _, err := client.FilesFromDir(t.TempDir()); err == nil {
		t.Error("an empty folder gave files")
	}
}

// fakeNode answers protocol v1 as a node serving geo/airports v1 and v2.
func fakeNode(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	product := func(version string, major int) map[string]any {
		self := srv.URL + "/products/airports"
		return map[string]any{"id": "geo/airports@" + version, "domain": "geo", "name": "airports", "version": version, "major": major,
			"title": "Airports", "owner": map[string]string{"team": "geo-data"}, "servingMode": "live",
			"status": map[string]string{"state": "available"},
			"links":  map[string]string{"self": self, "data": self + "/v1/data", "schema": self + "/v1/schema"}}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/datamesh", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"name": "geo-node", "protocolVersion": "1"})
	})
	mux.HandleFunc("/products", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]any{product("1.4.0", 1), product("2.0.0", 2)})
	})
	mux.HandleFunc("/products/airports", func(w http.ResponseWriter, r *http.Request) {
		d := product("2.0.0", 2)
		d["inputs"] = []any{map[string]any{"name": "raw", "kind": "file", "options": map[string]any{"path": "data/airports.csv"}}}
		d["schema"] = []any{map[string]any{"name": "iata", "logicalType": "string", "physicalType": "VARCHAR"}}
		d["transform"] = map[string]string{"sql": "select * from raw"}
		d["sla"] = map[string]string{"freshness": "24h0m0s"}
		d["versions"] = []any{map[string]any{"version": "1.4.0", "major": 1, "links": map[string]string{"self": srv.URL + "/products/airports"}},
			map[string]any{"version": "2.0.0", "major": 2}}
		json.NewEncoder(w).Encode(d)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRegisterHeartbeatResolve(t *testing.T) {
	srv := MustStart(t)
	node := fakeNode(t)
	ctx := context.Background()
	reg, err := client.FetchRegistration(ctx, nil, node.URL)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name != "geo-node" || reg.URL != node.URL || len(reg.Products) != 1 || reg.Products[0].Schema == nil {
		t.Fatalf("registration %+v", reg)
	}
	c := client.New(srv.URL())
	res, err := c.Register(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Products, " ") != "geo/airports@2.0.0 geo/airports@1.4.0" {
		t.Errorf("registered %v", res.Products)
	}
	if err := c.Heartbeat(ctx, "geo-node", catalog.ProductStatus{ID: "geo/airports@2.0.0", Status: json.RawMessage(`{"fresh":true}`)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx, "ghost"); !client.IsNotFound(err) {
		t.Errorf("heartbeat of an unknown node: %v", err)
	}
	r, err := c.Resolve(ctx, "geo/airports@^1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "1.4.0" || r.URL != node.URL+"/products/airports" || r.Node != "geo-node" {
		t.Errorf("resolve %+v", r)
	}
	if _, err := c.Resolve(ctx, "geo/airports@^3"); !client.IsNotFound(err) {
		t.Errorf("resolve ^3: %v", err)
	}
	sr, err := c.Search(ctx, "airports", 10, 0)
	if err != nil || sr.Total != 1 || sr.Items[0].Version != "2.0.0" || sr.Items[0].Status != "available" {
		t.Errorf("search %+v %v", sr, err)
	}
}

func TestKeepReRegisters(t *testing.T) {
	var registers, heartbeats atomic.Int32
	cat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/nodes":
			registers.Add(1)
			w.Write([]byte(`{"node":"n","products":[]}`))
		case strings.HasSuffix(r.URL.Path, "/heartbeat"):
			// The catalog forgets the node at every other heartbeat.
			if heartbeats.Add(1)%2 == 0 {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(404)
				w.Write([]byte(`{"status":404,"title":"Not found"}`))
				return
			}
			w.Write([]byte(`{}`))
		}
	}))
	defer cat.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	err := client.New(cat.URL).Keep(ctx, catalog.Registration{Name: "n", URL: "http://n"}, 20*time.Millisecond, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Keep returned %v", err)
	}
	if registers.Load() < 3 || heartbeats.Load() < 4 {
		t.Errorf("registers %d heartbeats %d", registers.Load(), heartbeats.Load())
	}
}
