//go:build duckdb_arrow

package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/postgres"
	"github.com/datamesh/datamesh/engine"
)

// BenchTable creates the benchmark's table: n rows of a typical mix of
// columns. bench/postgres.sh creates the same table with psql.
const BenchTable = `create table $S.big as
	select i::int8 as id, 'customer ' || (i % 1000) as name,
	       ((i % 100000) / 100.0)::numeric(12,2) as amount,
	       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' as created,
	       i % 2 = 0 as flag, (i % 977) / 7.0::float8 as score
	from generate_series(1, 1000000) i`

// BenchmarkPostgresLoad reads a 1M-row table through the connector into a
// DuckDB table. DATAMESH_BENCH_PG_TABLE (schema.table) names an existing
// table to read instead of creating one.
func BenchmarkPostgresLoad(b *testing.B) {
	dsn := testDSN(b)
	a := admin(b, dsn)
	table := os.Getenv("DATAMESH_BENCH_PG_TABLE")
	if table == "" {
		table = newSchema(b, a, BenchTable) + ".big"
	}
	ctx := context.Background()
	var rows int64
	if err := a.QueryRow(ctx, "select count(*) from "+table).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	b.Setenv(dsnEnv, dsn)
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		b.Fatal(err)
	}
	c, err := postgres.New(connector.Config{Input: "big", Options: map[string]any{"dsnEnv": dsnEnv, "table": table}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Bind(ctx, e, connector.Relation{Schema: "s", Name: "big"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	var got int64
	if err := e.DB().QueryRow(`SELECT count(*) FROM s.big`).Scan(&got); err != nil || got != rows {
		b.Fatalf("loaded %d rows of %d: %v", got, rows, err)
	}
}
