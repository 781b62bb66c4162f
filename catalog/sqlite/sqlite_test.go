package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/sqlite"
	"github.com/datamesh/datamesh/catalog/storetest"
)

// MustOpen opens a new store in a temporary folder, closed at the test's
// end.
func MustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "catalog.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func TestStore(t *testing.T) {
	storetest.RunStoreTests(t, func(t *testing.T) catalog.Store { return MustOpen(t) })
}

func TestMigrationsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	for i := 0; i < 3; i++ {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		if err := st.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
}

func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, loc := range []string{filepath.Join(dir, "a.db"), "sqlite:" + filepath.Join(dir, "b.db"), filepath.Join(dir, "sub", "c.db")} {
		st, err := catalog.OpenStore(ctx, loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		if _, ok := st.(*sqlite.Store); !ok {
			t.Errorf("%s opened a %T", loc, st)
		}
		st.Close()
	}
	if _, err := catalog.OpenStore(ctx, ""); err == nil {
		t.Error("an empty location opened")
	}
}
