//go:build duckdb_arrow

package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/sqlite"
	"github.com/datamesh/datamesh/engine"
)

// mustCreateDB writes a SQLite database with an orders table.
func mustCreateDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`create table orders (id integer primary key, customer text, amount real, placed date, paid boolean, note blob)`,
		`insert into orders values (1, 'ann', 12.5, '2024-05-01', 1, x'00ff'), (2, 'bob', 3, '2024-05-02', 0, null), (3, null, null, null, null, null)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func bind(t *testing.T, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	c, err := sqlite.New(connector.Config{Input: "orders", Dir: "/", Options: opts})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		t.Fatal(err)
	}
	return e, c.Bind(ctx, e, connector.Relation{Schema: "s", Name: "orders"})
}

func TestTable(t *testing.T) {
	e, err := bind(t, map[string]any{"path": mustCreateDB(t), "table": "orders"})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	q := `SELECT string_agg(concat_ws('|', id, customer, amount, placed, paid, typeof(placed), typeof(amount), hex(note)), ';' ORDER BY id) FROM s.orders`
	if err := e.DB().QueryRow(q).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "1|ann|12.5|2024-05-01|true|DATE|DOUBLE|00FF;2|bob|3.0|2024-05-02|false|DATE|DOUBLE;3|DATE|DOUBLE"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestQuery(t *testing.T) {
	e, err := bind(t, map[string]any{"path": mustCreateDB(t), "query": "select customer, amount * 2 as doubled from orders where amount > 5"})
	if err != nil {
		t.Fatal(err)
	}
	var customer, doubled string
	if err := e.DB().QueryRow(`SELECT customer, doubled FROM s.orders`).Scan(&customer, &doubled); err != nil {
		t.Fatal(err)
	}
	if customer != "ann" || doubled != "25" {
		t.Fatalf("got %s %s", customer, doubled)
	}
}

func TestErrors(t *testing.T) {
	path := mustCreateDB(t)
	tests := []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"path": path}, "table: give table or query"},
		{map[string]any{"path": path, "table": "a", "query": "select 1"}, "query: give table or query, not both"},
		{map[string]any{"path": path, "table": "nope"}, "no such table: nope"},
		{map[string]any{"path": path, "query": "delete from orders returning id"}, "readonly"},
		{map[string]any{"path": path, "query": "update orders set amount = 0 returning id"}, "readonly"},
		{map[string]any{"path": filepath.Join(t.TempDir(), "missing.db"), "table": "t"}, "no such file"},
	}
	for _, tt := range tests {
		_, err := bind(t, tt.opts)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.want)) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
	// Nothing was written.
	e, err := bind(t, map[string]any{"path": path, "table": "orders"})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.DB().QueryRow(`SELECT count(*) FROM s.orders WHERE amount IS NOT NULL AND amount > 0`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after refused writes: %d, %v", n, err)
	}
}
