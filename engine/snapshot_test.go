//go:build duckdb_arrow

package engine_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// snapshotProduct builds a product whose transform is sql, over fruit.
func snapshotProduct(t *testing.T, e *engine.Engine, sql, output string) *engine.Product {
	t.Helper()
	yaml := strings.Replace(base, "select id, name, price from fruit", sql, 1)
	yaml = yaml[:strings.Index(yaml, "output:")] + output
	products, problems := e.Build(context.Background(), []*descriptor.Product{parse(t, yaml)})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	return products[0]
}

func TestSnapshotBuildExportLoad(t *testing.T) {
	ctx := context.Background()
	e := open(t)
	p := snapshotProduct(t, e, "select id, name, price from fruit order by id desc", `output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer, required: true}
    - {name: name, logicalType: string}
    - {name: price, logicalType: number}
`)
	rows, err := e.BuildSnapshot(ctx, p, "@snap-1")
	if err != nil || rows != 3 {
		t.Fatalf("build: %d rows, %v", rows, err)
	}
	if err := e.CheckSnapshot(ctx, p, "@snap-1"); err != nil {
		t.Fatalf("check: %v", err)
	}
	batches, schema, err := e.ReadSnapshot(ctx, p, "@snap-1", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			ids = append(ids, b.Column(0).ValueStr(i))
		}
		b.Release()
	}
	if strings.Join(ids, ",") != "1,2,3" || schema.NumFields() != 3 {
		t.Errorf("read %v (sorted by key?), schema %v", ids, schema)
	}
	if _, _, err := e.ReadSnapshot(ctx, p, "@snap-1", 2, 8); !errors.Is(err, engine.ErrTooLarge) {
		t.Errorf("over the memory bound: %v", err)
	}
	// The engine may write only where it is allowed: its temporary folder.
	path := filepath.Join(e.TempDir(), "snap.parquet")
	size, err := e.ExportSnapshot(ctx, p, "@snap-1", path)
	if err != nil || size == 0 {
		t.Fatalf("export: %d, %v", size, err)
	}
	if rows, err := e.LoadSnapshot(ctx, p, "@snap-2", path); err != nil || rows != 3 {
		t.Fatalf("load: %d, %v", rows, err)
	}
	if err := e.DropSnapshot(p, "@snap-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.BuildSnapshot(ctx, p, "@snap-2"); err == nil {
		t.Error("a snapshot table was built twice under one name")
	}
}

func TestSnapshotViolations(t *testing.T) {
	ctx := context.Background()
	e := open(t)
	p := snapshotProduct(t, e, "select 1 as id, name, if(id = 2, null, price) as price from fruit", `output:
  primaryKey: [id, name]
  schema:
    - {name: id, logicalType: integer}
    - {name: name, logicalType: string, unique: true}
    - {name: price, logicalType: number, required: true}
`)
	if _, err := e.BuildSnapshot(ctx, p, "@snap"); err != nil {
		t.Fatal(err)
	}
	err := e.CheckSnapshot(ctx, p, "@snap")
	var bad engine.SnapshotViolations
	if !errors.As(err, &bad) || len(bad) != 1 || bad[0] != `column "price" is required but 1 rows have NULL` {
		t.Errorf("check: %v", err)
	}
	e = open(t) // a sandboxed engine binds no new folder
	q := snapshotProduct(t, e, "select id % 2 as id, 'x' as name, price from fruit", `output:
  primaryKey: [id, name]
  schema:
    - {name: id, logicalType: integer}
    - {name: name, logicalType: string, unique: true}
    - {name: price, logicalType: number}
`)
	if _, err := e.BuildSnapshot(ctx, q, "@snap"); err != nil {
		t.Fatal(err)
	}
	err = e.CheckSnapshot(ctx, q, "@snap")
	want := `the new data breaks the output schema: primary key (id, name) has 1 values on more than one row (e.g. (1, x)); ` +
		`unique column "name" has 1 values on more than one row (e.g. x)`
	if err == nil || err.Error() != want {
		t.Errorf("check: %v\nwant %s", err, want)
	}
}

func TestCopyParquetFrom(t *testing.T) {
	ctx := context.Background()
	e := open(t)
	var ipcBuf bytes.Buffer
	p := snapshotProduct(t, e, "select id, name, price from fruit", `output:
  schema:
    - {name: id, logicalType: integer}
    - {name: name, logicalType: string}
    - {name: price, logicalType: number}
`)
	err := e.Stream(ctx, "SELECT * FROM "+p.Relation(), nil, func(rr array.RecordReader) error {
		w := ipc.NewWriter(&ipcBuf, ipc.WithSchema(rr.Schema()))
		for rr.Next() {
			if err := w.Write(rr.RecordBatch()); err != nil {
				return err
			}
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := ipc.NewReader(&ipcBuf)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out bytes.Buffer
	if n, err := e.CopyParquetFrom(ctx, rr, &out); err != nil || n == 0 || !bytes.HasPrefix(out.Bytes(), []byte("PAR1")) {
		t.Fatalf("%d %v", n, err)
	}
}
