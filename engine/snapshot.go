//go:build duckdb_arrow

package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/engine/sqlq"
)

// A snapshot is a materialized copy of a product's output: a table in the
// product's engine schema, sorted by the primary key, which requests read
// instead of computing the transform. The node keeps it durable as a
// Parquet file and swaps snapshots atomically; the engine builds, checks,
// exports and loads them.

// SnapshotRelation is the quoted name of a snapshot table of p.
func (p *Product) SnapshotRelation(table string) string { return sqlq.Qualified(p.Schema, table) }

// orderByKey is " ORDER BY <primary key>", or "" without one.
func orderByKey(p *Product) string {
	if len(p.Desc.Output.PrimaryKey) == 0 {
		return ""
	}
	cols := make([]string, len(p.Desc.Output.PrimaryKey))
	for i, c := range p.Desc.Output.PrimaryKey {
		cols[i] = sqlq.Ident(c)
	}
	return " ORDER BY " + strings.Join(cols, ", ")
}

// BuildSnapshot computes the product into a new table of its schema,
// sorted by the primary key, and returns its row count. Cancelling ctx
// interrupts the computation; the table is then not left behind.
func (e *Engine) BuildSnapshot(ctx context.Context, p *Product, table string) (int64, error) {
	rel := p.SnapshotRelation(table)
	if err := e.Exec(ctx, "CREATE TABLE "+rel+" AS SELECT * FROM "+p.Relation()+orderByKey(p)); err != nil {
		e.DropSnapshot(p, table)
		return 0, err
	}
	return e.count(ctx, rel)
}

// LoadSnapshot creates the table from a Parquet file the node wrote
// earlier (ExportSnapshot), checking that its columns are the product's.
func (e *Engine) LoadSnapshot(ctx context.Context, p *Product, table, path string) (int64, error) {
	cols, err := e.describe(ctx, "SELECT * FROM read_parquet("+sqlq.Literal(path)+")")
	if err != nil {
		return 0, err
	}
	want := p.Desc.Output.Schema
	if len(cols) != len(want) {
		return 0, fmt.Errorf("the snapshot has %d columns, the product %d", len(cols), len(want))
	}
	// Parquet may not keep every DuckDB type (an ENUM comes back as
	// VARCHAR): columns are cast back to the product's types, when the
	// product is compiled (it is not while an input cannot be read: the
	// kept snapshot then serves as it is).
	exprs := make([]string, len(cols))
	for i, c := range cols {
		if !strings.EqualFold(c.Name, want[i].Name) {
			return 0, fmt.Errorf("the snapshot's column %d is %q, the product's %q", i+1, c.Name, want[i].Name)
		}
		exprs[i] = sqlq.Ident(c.Name)
		if len(p.Columns) == len(want) {
			exprs[i] = "CAST(" + sqlq.Ident(c.Name) + " AS " + p.Columns[i].Type + ")"
		}
		exprs[i] += " AS " + sqlq.Ident(want[i].Name)
	}
	rel := p.SnapshotRelation(table)
	if err := e.Exec(ctx, "CREATE TABLE "+rel+" AS SELECT "+strings.Join(exprs, ", ")+" FROM read_parquet("+sqlq.Literal(path)+")"+orderByKey(p)); err != nil {
		e.DropSnapshot(p, table)
		return 0, err
	}
	return e.count(ctx, rel)
}

// ExportSnapshot writes the table as a Parquet file (zstd) at path, which
// must be in an allowed folder, and returns its size.
func (e *Engine) ExportSnapshot(ctx context.Context, p *Product, table, path string) (int64, error) {
	rel := p.SnapshotRelation(table)
	if err := e.Exec(ctx, "COPY (SELECT * FROM "+rel+") TO "+sqlq.Literal(path)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// DropSnapshot drops a snapshot table. It runs on its own context: it is
// cleanup, and must happen even when the caller's context has ended.
func (e *Engine) DropSnapshot(p *Product, table string) error {
	return e.Exec(context.Background(), "DROP TABLE IF EXISTS "+p.SnapshotRelation(table))
}

func (e *Engine) count(ctx context.Context, rel string) (int64, error) {
	var n int64
	err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+rel).Scan(&n)
	return n, err
}

// SnapshotViolations are rows of a snapshot that break the product's
// declared output: NULLs in required or key columns, repeated keys or
// unique values.
type SnapshotViolations []string

func (v SnapshotViolations) Error() string {
	return "the new data breaks the output schema: " + strings.Join(v, "; ")
}

// CheckSnapshot checks a snapshot against the output schema: required
// and primary key columns hold no NULL; the primary key and every unique
// column hold no value twice. It returns SnapshotViolations, or the
// error of a query.
func (e *Engine) CheckSnapshot(ctx context.Context, p *Product, table string) error {
	rel := p.SnapshotRelation(table)
	d := p.Desc
	var notNull []string
	for _, c := range d.Output.Schema {
		if c.Required || c.PrimaryKey {
			notNull = append(notNull, c.Name)
		}
	}
	var bad SnapshotViolations
	if len(notNull) > 0 {
		exprs := make([]string, len(notNull))
		for i, c := range notNull {
			exprs[i] = "count(*) FILTER (WHERE " + sqlq.Ident(c) + " IS NULL)"
		}
		counts := make([]int64, len(notNull))
		ptrs := make([]any, len(notNull))
		for i := range counts {
			ptrs[i] = &counts[i]
		}
		if err := e.db.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+rel).Scan(ptrs...); err != nil {
			return err
		}
		for i, n := range counts {
			if n > 0 {
				bad = append(bad, fmt.Sprintf("column %q is required but %d rows have NULL", notNull[i], n))
			}
		}
	}
	keys := [][]string{}
	if len(d.Output.PrimaryKey) > 0 {
		keys = append(keys, d.Output.PrimaryKey)
	}
	for _, c := range d.Output.Schema {
		if c.Unique && !(len(d.Output.PrimaryKey) == 1 && d.Output.PrimaryKey[0] == c.Name) {
			keys = append(keys, []string{c.Name})
		}
	}
	for i, key := range keys {
		cols := make([]string, len(key))
		for j, c := range key {
			cols[j] = sqlq.Ident(c)
		}
		list := strings.Join(cols, ", ")
		var groups int64
		var example string
		err := e.db.QueryRowContext(ctx, "SELECT count(*), coalesce(CAST(any_value(k) AS VARCHAR), '') FROM (SELECT ("+list+") AS k FROM "+rel+
			" WHERE "+strings.Join(cols, " IS NOT NULL AND ")+" IS NOT NULL GROUP BY "+list+" HAVING count(*) > 1)").Scan(&groups, &example)
		if err != nil {
			return err
		}
		if groups > 0 {
			what := "primary key (" + strings.Join(key, ", ") + ")"
			if i > 0 || len(d.Output.PrimaryKey) == 0 {
				what = fmt.Sprintf("unique column %q", key[0])
			}
			bad = append(bad, fmt.Sprintf("%s has %d values on more than one row (e.g. %s)", what, groups, example))
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// ReadSnapshot reads a snapshot table into memory as record batches of at
// most batchRows rows, in primary key order, for the node's key index,
// with their schema (also when there is no row). It
// stops with ErrTooLarge when the batches would exceed maxBytes. The
// batches are in Go memory; the caller releases them.
func (e *Engine) ReadSnapshot(ctx context.Context, p *Product, table string, batchRows int, maxBytes int64) ([]arrow.RecordBatch, *arrow.Schema, error) {
	var out []arrow.RecordBatch
	var schema *arrow.Schema
	var size int64
	release := func() {
		for _, b := range out {
			b.Release()
		}
		out = nil
	}
	err := e.Stream(ctx, "SELECT * FROM "+p.SnapshotRelation(table)+orderByKey(p), nil, func(rr array.RecordReader) error {
		schema = rr.Schema()
		var pending []arrow.RecordBatch
		rows := 0
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			b, err := concat(rr.Schema(), pending)
			for _, x := range pending {
				x.Release()
			}
			pending, rows = pending[:0], 0
			if err != nil {
				return err
			}
			size += batchBytes(b)
			out = append(out, b)
			if maxBytes > 0 && size > maxBytes {
				return ErrTooLarge
			}
			return nil
		}
		for rr.Next() {
			b := rr.RecordBatch()
			b.Retain()
			pending = append(pending, b)
			rows += int(b.NumRows())
			if rows >= batchRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := rr.Err(); err != nil {
			for _, x := range pending {
				x.Release()
			}
			return err
		}
		return flush()
	})
	if err != nil {
		release()
		return nil, nil, err
	}
	return out, schema, nil
}

// ErrTooLarge says a snapshot is larger than the memory allowed for it.
var ErrTooLarge = errors.New("snapshot larger than allowed in memory")

// concat copies batches into one batch in Go memory.
func concat(schema *arrow.Schema, batches []arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			for _, x := range cols[:c] {
				x.Release()
			}
			return nil, err
		}
		cols[c] = a
	}
	b := array.NewRecordBatch(schema, cols, rows)
	for _, a := range cols {
		a.Release()
	}
	return b, nil
}

// batchBytes is the size of a batch's buffers.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c.Data())
	}
	return n
}

func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayBytes(c)
	}
	return n
}

// CopyParquetFrom writes the batches of rr as a Parquet file (zstd) to w:
// DuckDB reads them through an Arrow view and writes the file into the
// engine's temporary folder, which is then streamed and removed.
func (e *Engine) CopyParquetFrom(ctx context.Context, rr array.RecordReader, w io.Writer) (int64, error) {
	f, err := os.CreateTemp(e.tempDir, "export-*.parquet")
	if err != nil {
		return 0, err
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		view := fmt.Sprintf("arrow_export_%d", exportSeq.Add(1))
		release, err := a.RegisterView(rr, view)
		if err != nil {
			return err
		}
		defer release()
		defer dc.(driver.ExecerContext).ExecContext(context.Background(), "DROP VIEW IF EXISTS "+sqlq.Ident(view), nil)
		_, err = dc.(driver.ExecerContext).ExecContext(ctx,
			"COPY (SELECT * FROM "+sqlq.Ident(view)+") TO "+sqlq.Literal(name)+" (FORMAT parquet, COMPRESSION zstd)", nil)
		return err
	})
	conn.Close()
	if err != nil {
		return 0, err
	}
	f, err = os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}

var exportSeq atomic.Int64

// Reread reads again the inputs of p that are copies, tables loaded when
// they were bound (SQLite, databases, other products), so that a refresh
// of a materialized product computes from its sources as they are now;
// inputs bound as views (files) read their source on every query anyway.
// It then prepares p as for a request (Prepare).
func (e *Engine) Reread(ctx context.Context, p *Product) error {
	if err := e.reread(ctx, p); err != nil {
		return err
	}
	return e.Prepare(ctx, p)
}

func (e *Engine) reread(ctx context.Context, p *Product) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.inputs {
		if in.boundAt.IsZero() {
			continue // not bound yet: Prepare binds it
		}
		var views int
		if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
			in.rel.Schema, in.rel.Name).Scan(&views); err != nil {
			return err
		}
		if views > 0 {
			continue
		}
		if err := in.c.Bind(ctx, e, in.rel); err != nil {
			return &UpstreamError{Product: p.Desc.ID(), Input: in.name, Err: err}
		}
		in.boundAt = time.Now()
	}
	return nil
}

// TempDir is the engine's temporary folder, where it may write.
func (e *Engine) TempDir() string { return e.tempDir }
