//go:build duckdb_arrow

package node_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// BenchmarkLookup asks a 1M-row product read from a Parquet file (key k
// sorted, 10 rows per key) for one random key per request, from 4 ×
// GOMAXPROCS parallel clients in the benchmark's process, and reports
// requests/s. Profile the node with -cpuprofile: DuckDB's part shows as
// cgo calls there (perf shows inside it). For latency percentiles against
// a separate server process, use bench/cmd/load.
//
//	go test -tags duckdb_arrow -run '^$' -bench Lookup -cpuprofile cpu.prof ./node/
func BenchmarkLookup(b *testing.B) {
	const rows, keys = 1_000_000, 100_000
	dir := b.TempDir()
	benchParquet(b, filepath.Join(dir, "lookup.parquet"), fmt.Sprintf(`SELECT i // 10 AS k, (i %% 10)::INTEGER AS seq,
	       ['JFK','LAX','ORD','ATL'][1 + (i %% 4)::INTEGER] AS code, DATE '2020-01-01' + (i %% 1500)::INTEGER AS day,
	       (hash(i) %% 1000000000)::DOUBLE / 997.0 AS value
	FROM range(%d) t(i)`, rows))
	benchDescriptor(b, dir, "lookup", "select k, seq, code, day, value from src", "[k, seq]",
		"k: integer", "seq: integer", "code: string", "day: date", "value: number")
	url := benchStart(b, dir).URL() + "/products/lookup/v1/data?k=eq.%d"
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			benchGet(b, fmt.Sprintf(url, rng.IntN(keys)))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
