package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog/postgres"
	"github.com/datamesh/datamesh/catalog/storetest"
	"github.com/jackc/pgx/v5"
)

// BenchmarkAPI10k is the SQLite store's benchmark on PostgreSQL (see
// catalog/sqlite), in a schema of the test server dropped afterwards.
func BenchmarkAPI10k(b *testing.B) {
	ctx := context.Background()
	url := SchemaURL(b)
	st, err := postgres.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	began := time.Now()
	keys := storetest.Generate(b, st, 10_000)
	b.Logf("generated %d products in %s", len(keys), time.Since(began).Round(time.Millisecond))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkAPI(b, st, keys)
}
