//go:build duckdb_arrow

package node_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/node"
)

// bigMesh writes a product of many rows computed from a tiny CSV, slow
// enough to stream that a request is still in flight when the test acts.
func bigMesh(t *testing.T, rows int) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "seed.csv"), []byte("x\n1\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: big
domain: test
version: 1.0.0
description: Many generated rows.
owner: {team: test}
inputs:
  - name: seed
    file: seed.csv
transform:
  sql: select range as i, seed.x + range * 2 as j, md5(range::varchar) as h from seed, range(%d)
output:
  primaryKey: [i]
  schema:
    - {name: i, logicalType: integer}
    - {name: j, logicalType: integer}
    - {name: h, logicalType: string}
`, rows)), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestShutdownLetsRequestsFinish(t *testing.T) {
	const rows = 2_000_000
	n, err := node.New(node.Options{Dir: bigMesh(t, rows), Addr: "127.0.0.1:0"})
	must(t, err)
	must(t, n.Start(context.Background()))
	resp, err := http.Get(n.URL() + "/products/big/v1/data?format=ndjson")
	must(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- n.Shutdown(context.Background()) }()
	// New connections are refused while the first answer still streams.
	time.Sleep(100 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", n.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	lines := 1
	for {
		_, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		must(t, err)
		lines++
	}
	if lines != rows {
		t.Fatalf("in-flight answer cut short: %d of %d rows", lines, rows)
	}
	select {
	case err := <-stopped:
		must(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown did not end")
	}
	// Shutdown is safe twice.
	must(t, n.Shutdown(context.Background()))
}

func TestDisconnectCancelsQuery(t *testing.T) {
	n, err := node.New(node.Options{Dir: bigMesh(t, 500_000_000), Addr: "127.0.0.1:0"})
	must(t, err)
	must(t, n.Start(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL()+"/products/big/v1/data?format=csv", nil)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	buf := make([]byte, 1<<16)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	// Had the query gone on (500M rows), shutdown would wait for it.
	sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := n.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the query went on after the client left")
	}
}

func TestRefusesInvalidFolder(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: bad
domain: test
version: one
description: Broken.
owner: {team: test}
inputs:
  - name: seed
    fil: seed.csv
transform:
  sql: select 1 as x
output:
  schema:
    - {name: x, logicalType: integer}
`), 0o644))
	n, err := node.New(node.Options{Dir: dir, Addr: "127.0.0.1:0"})
	must(t, err)
	err = n.Start(context.Background())
	if err == nil {
		n.Shutdown(context.Background())
		t.Fatal("started on an invalid folder")
	}
	for _, want := range []string{"bad.yaml:5:", "version", "bad.yaml:10:", `did you mean "file"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRefusesEmptyFolder(t *testing.T) {
	n, err := node.New(node.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	must(t, err)
	if err := n.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "no data product descriptors") {
		t.Fatalf("err = %v", err)
	}
}

func TestDocsAndOpenAPI(t *testing.T) {
	n := shop(t)
	a := get(t, n.URL()+"/docs")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", a.status, a.header.Get("Content-Type"))
	}
	for _, want := range []string{"Items", "/products/items/v1/data", "Events"} {
		if !strings.Contains(string(a.body), want) {
			t.Errorf("docs page lacks %q", want)
		}
	}
	var doc map[string]any
	getJSON(t, n.URL()+"/openapi.json", &doc)
	paths := doc["paths"].(map[string]any)
	if doc["openapi"] != "3.1.0" || paths["/products/items/v1/data"] == nil || paths["/products/events/v2/schema"] == nil {
		t.Errorf("openapi: version %v, paths %v", doc["openapi"], len(paths))
	}
	var schema map[string]any
	getJSON(t, n.URL()+"/products/items/v1/schema", &schema)
	props := schema["properties"].(map[string]any)
	if len(props) != 7 || props["added"].(map[string]any)["format"] != "date" {
		t.Errorf("row schema: %v", schema)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if a := get(t, n.URL()+path); a.status != 200 {
			t.Errorf("%s: %d", path, a.status)
		}
	}
}
