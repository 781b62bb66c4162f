//go:build duckdb_arrow

package file_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/file"
	"github.com/datamesh/datamesh/engine"
)

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFormats(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.csv", "id,name\n1,ann\n2,bob\n")
	write(t, dir, "semi.txt", "id;name\n1;ann\n2;bob\n")
	write(t, dir, "a.json", `[{"id":1,"name":"ann"},{"id":2,"name":"bob"}]`)
	write(t, dir, "a.ndjson", "{\"id\":1,\"name\":\"ann\"}\n{\"id\":2,\"name\":\"bob\"}\n")
	write(t, dir, "parts/2024/a.csv", "id,name\n1,ann\n")
	write(t, dir, "parts/2025/b.csv", "id,name\n2,bob\n")
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Exec(ctx, "CREATE SCHEMA s"); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, "COPY (SELECT * FROM (VALUES (1, 'ann'), (2, 'bob')) t(id, name)) TO '"+filepath.Join(dir, "a.parquet")+"' (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	for i, opts := range []map[string]any{
		{"path": "a.csv"},
		{"path": "semi.txt", "delimiter": ";"},
		{"path": "a.json"},
		{"path": "a.ndjson"},
		{"path": "a.parquet"},
		{"path": "parts/**/*.csv"},
		{"path": "a.ndjson", "format": "ndjson"},
	} {
		c, err := file.New(connector.Config{Input: "x", Dir: dir, Options: opts})
		if err != nil {
			t.Fatalf("%v: %v", opts, err)
		}
		rel := connector.Relation{Schema: "s", Name: "t" + string(rune('a'+i))}
		if err := c.Bind(ctx, e, rel); err != nil {
			t.Fatalf("%v: %v", opts, err)
		}
		var got string
		if err := e.DB().QueryRow("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM " + rel.String()).Scan(&got); err != nil {
			t.Fatalf("%v: %v", opts, err)
		}
		if got != "1:ann,2:bob" {
			t.Errorf("%v: rows %q", opts, got)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tt := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"path": ""}, "path: must name a file"},
		{map[string]any{"path": "data.xlsx"}, `path: cannot tell the format of "data.xlsx" from its extension ".xlsx"`},
		{map[string]any{"path": "https://example.com/a.csv"}, "path: must be a local path"},
		{map[string]any{"path": "a.parquet", "delimiter": ";"}, "delimiter: applies to csv files only"},
	} {
		_, err := file.New(connector.Config{Input: "x", Dir: "/d", Options: tt.opts})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
