//go:build duckdb_arrow

package node_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/node"
)

// benchExportRows is the size of the product BenchmarkExport serves.
const benchExportRows = 1_000_000

// BenchmarkExport serves a 1M-row, 5-column product read from a Parquet
// file and reads every row over HTTP in each format, reporting rows/s.
// The node runs in the benchmark's process: for figures against DuckDB and
// the node's memory, run bench/run.sh, which measures a separate process.
//
//	go test -tags duckdb_arrow -run '^$' -bench Export ./node/
func BenchmarkExport(b *testing.B) {
	dir := b.TempDir()
	benchParquet(b, filepath.Join(dir, "export.parquet"), fmt.Sprintf(`SELECT i AS id,
	       ['JFK','LAX','ORD','ATL','DFW','DEN'][1 + (i %% 6)::INTEGER] || '-' || chr((65 + i %% 26)::INTEGER) AS code,
	       DATE '2020-01-01' + (i // 2000)::INTEGER AS day,
	       CASE WHEN i %% 100 = 0 THEN NULL ELSE (hash(i) %% 1000000000)::DOUBLE / 997.0 END AS value,
	       (hash(i, 2) %% 10000)::INTEGER AS n
	FROM range(%d) t(i)`, benchExportRows))
	benchDescriptor(b, dir, "export", "select id, code, day, value, n from src", "[id]",
		"id: integer", "code: string", "day: date", "value: number", "n: integer")
	url := benchStart(b, dir).URL() + "/products/export/v1/data?format="
	for _, f := range []string{"json", "ndjson", "csv", "arrow", "parquet"} {
		b.Run(f, func(b *testing.B) {
			var size int64
			for b.Loop() {
				size = benchGet(b, url+f)
			}
			b.SetBytes(size)
			b.ReportMetric(float64(benchExportRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchStart starts a node over dir on a free port, stopped at the end of
// the benchmark.
func benchStart(b *testing.B, dir string) *node.Node {
	b.Helper()
	n, err := node.New(node.Options{Dir: dir, Addr: "127.0.0.1:0", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			b.Errorf("shutdown: %v", err)
		}
	})
	return n
}

// benchParquet writes the rows of query to a Parquet file with DuckDB.
func benchParquet(b *testing.B, path, query string) {
	b.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("COPY (" + query + ") TO '" + strings.ReplaceAll(path, "'", "''") + "' (FORMAT parquet)"); err != nil {
		b.Fatal(err)
	}
}

// benchDescriptor writes the descriptor of product name over src.parquet
// in dir; columns are "name: logicalType".
func benchDescriptor(b *testing.B, dir, name, transform, key string, columns ...string) {
	b.Helper()
	var schema strings.Builder
	for _, c := range columns {
		col, typ, _ := strings.Cut(c, ": ")
		fmt.Fprintf(&schema, "    - {name: %s, logicalType: %s}\n", col, typ)
	}
	desc := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: %s
domain: bench
version: 1.0.0
description: Benchmark product.
owner: {team: bench}
inputs:
  - name: src
    file: %s.parquet
transform:
  sql: %s
output:
  primaryKey: %s
  schema:
%s`, name, name, transform, key, schema.String())
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(desc), 0o644); err != nil {
		b.Fatal(err)
	}
}

// benchGet reads the whole answer into io.Discard and returns its size.
func benchGet(b *testing.B, url string) int64 {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
	return n
}
