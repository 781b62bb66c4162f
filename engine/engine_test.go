//go:build duckdb_arrow

package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

const base = `apiVersion: datamesh/v1
kind: DataProduct
name: fruit
domain: grocery
version: 1.0.0
description: Fruit and prices.
owner: {team: grocers}
inputs:
  - name: fruit
    file: fruit.csv
transform:
  sql: |
    select id, name, price from fruit
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer}
    - {name: name, logicalType: string}
    - {name: price, logicalType: number}
`

// parse writes the descriptor next to a copy of the test data and loads it.
func parse(t *testing.T, yaml string) *descriptor.Product {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/fruit.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fruit.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fruit.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, problems := descriptor.LoadFile(path)
	if problems.HasErrors() {
		t.Fatalf("descriptor: %v", problems)
	}
	return p
}

func open(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestBuildAndStream(t *testing.T) {
	ctx := context.Background()
	e := open(t)
	products, problems := e.Build(ctx, []*descriptor.Product{parse(t, base)})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	p := products[0]
	var got []string
	for _, c := range p.Columns {
		got = append(got, c.Name+":"+c.Type+":"+string(c.Logical))
	}
	if want := "id:BIGINT:integer name:VARCHAR:string price:DOUBLE:number"; strings.Join(got, " ") != want {
		t.Fatalf("columns = %v, want %s", got, want)
	}
	var names []string
	err := e.Stream(ctx, "SELECT name FROM "+p.Relation()+" WHERE price > ? ORDER BY id", []any{0.6}, func(rr array.RecordReader) error {
		for rr.Next() {
			col := rr.RecordBatch().Column(0)
			for i := 0; i < col.Len(); i++ {
				names = append(names, strings.Clone(col.ValueStr(i))) // arrow strings alias C memory
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "pear,fig" {
		t.Fatalf("rows = %v", names)
	}
}

func TestBuildProblems(t *testing.T) {
	tests := []struct {
		name string
		from string
		to   string
		want string // part of the message
		path string
	}{
		{"reads a file", "select id, name, price from fruit", "select id, name, price from fruit, read_csv('/etc/passwd')",
			`Cannot access file "/etc/passwd"`, "transform.sql"},
		{"not a select", "select id, name, price from fruit", "delete from fruit",
			"must be a single SELECT", "transform.sql"},
		{"two statements", "select id, name, price from fruit", "select id, name, price from fruit; select 1",
			"single SELECT statement, it has 2", "transform.sql"},
		{"syntax", "select id, name, price from fruit", "selec id from fruit",
			`syntax error at or near "selec" (SQL line 1)`, "transform.sql"},
		{"undeclared input", "select id, name, price from fruit", "select id, name, price from fruit join veg using (id)",
			`reads "veg", which is not a declared input`, "transform.sql"},
		{"unused input", "select id, name, price from fruit", "select 1 as id, 'x' as name, 1.0 as price",
			`input "fruit" is declared but the transform does not read it`, "inputs[0].name"},
		{"qualified", "select id, name, price from fruit", "select id, name, price from main.fruit",
			`"main.fruit" is qualified`, "transform.sql"},
		{"missing column", "select id, name, price from fruit", "select id, name from fruit",
			`column "price" is declared but the transform does not produce it`, "output.schema[2].name"},
		{"extra column", "select id, name, price from fruit", "select id, name, price, added from fruit",
			`produces column "added" (DATE), which output.schema does not declare`, "output.schema"},
		{"wrong type", "select id, name, price from fruit", "select name as id, name, price from fruit",
			`column "id" is declared integer but the transform produces string (VARCHAR)`, "output.schema[0].logicalType"},
		{"unknown column", "select id, name, price from fruit", "select id, nme, price from fruit",
			`nme`, "transform.sql"},
		{"missing file", "file: fruit.csv", "file: nothing.csv",
			`cannot read input "fruit"`, "inputs[0].file"},
		{"cte is not an input", "select id, name, price from fruit", "with f as (select * from fruit) select id, name, price from f",
			"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := strings.Replace(base, tt.from, tt.to, 1)
			_, problems := open(t).Build(context.Background(), []*descriptor.Product{parse(t, yaml)})
			errs := problems.Errors()
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected problems: %v", errs)
				}
				return
			}
			for _, p := range errs {
				if strings.Contains(p.Msg, tt.want) && p.Path == tt.path {
					if p.Pos.Line < 1 {
						t.Errorf("problem without a line: %v", p)
					}
					return
				}
			}
			t.Fatalf("no problem at %s containing %q; got:\n%v", tt.path, tt.want, errs)
		})
	}
}

func TestSQLLineIsDescriptorLine(t *testing.T) {
	yaml := strings.Replace(base, "select id, name, price from fruit", "select id, name, price\n    frm fruit", 1)
	_, problems := open(t).Build(context.Background(), []*descriptor.Product{parse(t, yaml)})
	errs := problems.Errors()
	if len(errs) == 0 {
		t.Fatal("no problem for a syntax error")
	}
	// "frm" is on the second line of the SQL, line 14 of the descriptor.
	if errs[0].Pos.Line != 15 && errs[0].Pos.Line != 14 {
		t.Errorf("line = %d, want the SQL's line in the descriptor: %v", errs[0].Pos.Line, errs[0])
	}
}

func TestSandboxIsLocked(t *testing.T) {
	ctx := context.Background()
	e := open(t)
	if _, problems := e.Build(ctx, []*descriptor.Product{parse(t, base)}); problems.HasErrors() {
		t.Fatal(problems)
	}
	if err := e.Exec(ctx, "SET enable_external_access = true"); err == nil {
		t.Fatal("the sandbox could be switched off")
	}
	if err := e.Exec(ctx, "COPY (SELECT 1) TO '/tmp/datamesh-escape.csv'"); err == nil {
		os.Remove("/tmp/datamesh-escape.csv")
		t.Fatal("wrote outside the allowed folders")
	}
}

func TestStreamCancel(t *testing.T) {
	e := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	err := e.Stream(ctx, "SELECT range AS i FROM range(100000000)", nil, func(rr array.RecordReader) error {
		for rr.Next() {
			rows += int(rr.RecordBatch().NumRows())
			if rows > 10000 {
				cancel()
			}
		}
		return rr.Err()
	})
	if err == nil {
		t.Fatalf("a cancelled query ended without error after %d rows", rows)
	}
	if rows >= 100000000 {
		t.Fatal("the query ran to the end")
	}
}

// rss is the process's resident memory in bytes, from /proc.
func rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize())
}

func TestStreamKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10M rows")
	}
	e := open(t)
	before := rss(t)
	var rows, peak int64
	// Materialized, this answer would take about 700 MB.
	err := e.Stream(context.Background(), "SELECT range AS i, repeat('x', 40) || range AS s FROM range(10000000)", nil, func(rr array.RecordReader) error {
		for rr.Next() {
			rows += rr.RecordBatch().NumRows()
			if rows%(1<<20) < 2048 {
				peak = max(peak, rss(t))
			}
		}
		return rr.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != 10000000 {
		t.Fatalf("%d rows", rows)
	}
	if grew := peak - before; grew > 250<<20 {
		t.Fatalf("memory grew by %d MB while streaming", grew>>20)
	}
}
