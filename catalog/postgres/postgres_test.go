package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/postgres"
	"github.com/datamesh/datamesh/catalog/storetest"
	"github.com/jackc/pgx/v5"
)

// serverURL is the PostgreSQL server the tests use.
func serverURL() string {
	if u := os.Getenv("DATAMESH_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// MustOpen opens a store in a new schema of the test server, dropped at the
// test's end. It skips the test when the server is unreachable, unless CI
// is set.
func MustOpen(t testing.TB) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, SchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// SchemaURL creates a schema for the test, dropped at its end, and returns
// the server's URL with that schema as search_path.
func SchemaURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at DATAMESH_TEST_POSTGRES is unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set DATAMESH_TEST_POSTGRES): %v", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	rand.Read(b)
	schema := "catalog_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, serverURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(serverURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStore(t *testing.T) {
	storetest.RunStoreTests(t, func(t *testing.T) catalog.Store { return MustOpen(t) })
}

func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	s, err := catalog.OpenStore(ctx, SchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.Store); !ok {
		t.Errorf("opened a %T", s)
	}
}
