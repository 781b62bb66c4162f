package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog/sqlite"
	"github.com/datamesh/datamesh/catalog/storetest"
)

// BenchmarkAPI10k measures the read API over 10,000 products and about
// 50,000 lineage edges in a SQLite file (generated once per run):
//
//	go test -tags duckdb_arrow -run XXX -bench API10k -benchtime 2000x ./catalog/sqlite/
//
// Each sub-benchmark reports p50-ms and p99-ms per request.
func BenchmarkAPI10k(b *testing.B) {
	dir, err := os.MkdirTemp("", "catalog-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	began := time.Now()
	keys := storetest.Generate(b, st, 10_000)
	var edges int
	st.Edges(context.Background(), keys, 0) // warm the cache
	for i := 0; i < len(keys); i += 500 {
		es, _ := st.Edges(context.Background(), keys[i:min(i+500, len(keys))], 0)
		edges += len(es)
	}
	b.Logf("generated %d products, %d lineage edges in %s", len(keys), edges, time.Since(began).Round(time.Millisecond))
	storetest.BenchmarkAPI(b, st, keys)
}
