//go:build duckdb_arrow

package node

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/format"
	"github.com/datamesh/datamesh/query"
)

// answerFromMemory answers from a snapshot kept in memory, without DuckDB,
// the two requests that matter most to a materialized product: every row
// (with select and format only), and the rows of given primary keys (eq or
// in filters on each key column, nothing else). Rows come in key order.
// It reports false for any other request, and for Parquet, which DuckDB
// writes.
func (n *Node) answerFromMemory(w http.ResponseWriter, r *http.Request, p *engine.Product, s *snapshot,
	req *query.Request, f format.Format) (bool, error) {
	if s.schema == nil || f == format.Parquet || req.Limit > 0 || req.After != nil || len(req.Order) > 0 {
		return false, nil
	}
	cols, schema, ok := projection(s.schema, req.Select)
	if !ok {
		return false, nil
	}
	info := infoOf(r)
	if len(req.Filters) == 0 {
		n.serving.memoryAnswers.Add(1)
		setContentHeaders(w, p, f)
		return true, writeBatches(w, f, schema, cols, s.batches, &info.rows)
	}
	if s.index == nil {
		return false, nil
	}
	hits, ok := s.index.lookup(req.Filters)
	if !ok {
		return false, nil
	}
	n.serving.memoryAnswers.Add(1)
	setContentHeaders(w, p, f)
	var buf bytes.Buffer
	fw, err := format.NewWriter(f, &buf, schema)
	if err != nil {
		return true, err
	}
	row := make([]arrow.Array, len(cols))
	for _, h := range hits {
		b := s.batches[h.b]
		for i, c := range cols {
			row[i] = array.NewSlice(b.Column(c), int64(h.r), int64(h.r+1))
		}
		rec := array.NewRecordBatch(schema, row, 1)
		err := fw.Write(rec)
		rec.Release()
		for _, a := range row {
			a.Release()
		}
		if err != nil {
			return true, err
		}
	}
	if err := fw.Close(); err != nil {
		return true, err
	}
	info.rows += int64(len(hits))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = buf.WriteTo(w)
	return true, err
}

// projection returns the positions in schema of the selected columns and
// their schema.
func projection(schema *arrow.Schema, sel []string) ([]int, *arrow.Schema, bool) {
	cols := make([]int, len(sel))
	identity := len(sel) == schema.NumFields()
	for i, name := range sel {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			return nil, nil, false
		}
		cols[i] = idx[0]
		identity = identity && idx[0] == i
	}
	if identity {
		return cols, schema, true
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = schema.Field(c)
	}
	return cols, arrow.NewSchema(fields, nil), true
}

// writeBatches streams whole batches, projected, flushing after each.
func writeBatches(w http.ResponseWriter, f format.Format, schema *arrow.Schema, cols []int,
	batches []arrow.RecordBatch, rows *int64) error {
	fw, err := format.NewWriter(f, w, schema)
	if err != nil {
		return err
	}
	flusher, _ := w.(http.Flusher)
	arrs := make([]arrow.Array, len(cols))
	for i, b := range batches {
		for j, c := range cols {
			arrs[j] = b.Column(c)
		}
		rec := array.NewRecordBatch(schema, arrs, b.NumRows())
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			return abort(i > 0, err)
		}
		*rows += b.NumRows()
		if flusher != nil {
			if err := fw.Flush(); err != nil {
				return abort(true, err)
			}
			flusher.Flush()
		}
	}
	if err := fw.Close(); err != nil {
		return abort(true, err)
	}
	return nil
}
