//go:build duckdb_arrow

package node

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/engine/sqlq"
	"github.com/datamesh/datamesh/format"
	"github.com/datamesh/datamesh/query"
)

// getData answers GET /products/{name}/v{major}/data: the rows, filtered,
// projected and ordered as asked, in the negotiated format. Without limit
// every row streams out; with limit one page is answered, with a Link to
// the next.
func (n *Node) getData(w http.ResponseWriter, r *http.Request) error {
	p, err := n.lookup(r)
	if err != nil {
		return err
	}
	info := infoOf(r)
	info.product = p
	params := r.URL.Query()
	f, err := format.Negotiate(r.Header.Get("Accept"), params.Get("format"))
	if err != nil {
		return err
	}
	info.format = f.Name
	req, err := n.parseQuery(p, params)
	if err != nil {
		return err
	}
	// Materialized products read their snapshot; async ones answer with a
	// job (serve.go).
	if done, err := n.serveByMode(w, r, p, req, f); done {
		return err
	}
	if err := n.prepare(r, p); err != nil {
		return err
	}
	return n.answer(w, r, p, req, f, p.Relation())
}

func (n *Node) parseQuery(p *engine.Product, params url.Values) (*query.Request, error) {
	return query.Parse(params, n.querySchema(p), query.Options{
		MaxLimit: n.opts.MaxLimit, Secret: n.secret, Scope: fmt.Sprintf("%s@v%d", p.Desc.Name, p.Desc.Major()),
	})
}

// setContentHeaders sets the headers of a data answer in format f.
func setContentHeaders(w http.ResponseWriter, p *engine.Product, f format.Format) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-v%d%s"`, p.Desc.Name, p.Desc.Major(), f.Ext))
	h.Set("Vary", "Accept")
}

// answer answers req over relation, the product's output view or a
// snapshot of it, with DuckDB.
func (n *Node) answer(w http.ResponseWriter, r *http.Request, p *engine.Product, req *query.Request,
	f format.Format, relation string) error {
	sql, args := req.SQL(relation)
	setContentHeaders(w, p, f)
	if req.Limit > 0 {
		return n.page(w, r, p, req, f, sql, args)
	}
	if f == format.Parquet {
		return n.copyParquet(r.Context(), selectedOnly(req, sql), args, w)
	}
	return n.streamQuery(r.Context(), sql, args, func(rr array.RecordReader) error {
		return n.stream(w, f, rr, len(req.Select), &infoOf(r).rows)
	})
}

// stream writes every batch as it comes, flushing after each one so that a
// consumer sees rows while the query still runs.
// Only the first selected columns are sent: the others are key columns a
// cursor needs.
func (n *Node) stream(w http.ResponseWriter, f format.Format, rr array.RecordReader, selected int, rows *int64) error {
	fw, err := format.NewWriter(f, w, projectSchema(rr.Schema(), selected))
	if err != nil {
		return err
	}
	flusher, _ := w.(http.Flusher)
	started := false
	for rr.Next() {
		b := project(rr.RecordBatch(), selected)
		err := fw.Write(b)
		*rows += b.NumRows()
		b.Release()
		if err != nil {
			return abort(started, err)
		}
		started = true
		if flusher != nil {
			if err := fw.Flush(); err != nil {
				return abort(true, err)
			}
			flusher.Flush()
		}
	}
	if err := rr.Err(); err != nil {
		return abort(started, err)
	}
	if err := fw.Close(); err != nil {
		return abort(true, err)
	}
	return nil
}

// abort ends an answer that failed half-way. Before anything was sent the
// error becomes a problem document; after, the connection is cut, so that
// the client sees a truncated answer rather than a complete-looking one.
func abort(started bool, err error) error {
	if !started {
		return err
	}
	panic(http.ErrAbortHandler)
}

// page answers one page. Its rows are read first (a page is at most
// MaxLimit rows), so that the Link to the next page can go in the headers.
// Key columns the client did not select ride along in the statement to
// build the cursor; they are cut off before encoding.
func (n *Node) page(w http.ResponseWriter, r *http.Request, p *engine.Product, req *query.Request,
	f format.Format, sql string, args []any) error {
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	pg := req.Page()
	selected := len(req.Select)
	var schema *arrow.Schema
	err := n.streamQuery(r.Context(), sql, args, func(rr array.RecordReader) error {
		schema = projectSchema(rr.Schema(), selected)
		row := make([]any, len(rr.Schema().Fields()))
		for rr.Next() {
			b := rr.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				for c := range row {
					row[c] = arrowValue(b.Column(c), i)
				}
				if err := pg.Add(row); err != nil {
					return err
				}
			}
			batches = append(batches, project(b, selected))
		}
		return rr.Err()
	})
	if err != nil {
		return err
	}
	for _, b := range batches {
		infoOf(r).rows += b.NumRows()
	}
	next, err := pg.Next()
	if err != nil {
		return err
	}
	if next != "" {
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, n.opts.BaseURL, nextURL(r, next)))
	}
	var buf bytes.Buffer
	if f == format.Parquet {
		// DuckDB writes Parquet: the page's query runs again, cheaply, as
		// pages are small.
		if err := n.copyParquet(r.Context(), selectedOnly(req, sql), args, &buf); err != nil {
			return err
		}
	} else {
		fw, err := format.NewWriter(f, &buf, schema)
		if err != nil {
			return err
		}
		for _, b := range batches {
			if err := fw.Write(b); err != nil {
				return err
			}
		}
		if err := fw.Close(); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = buf.WriteTo(w)
	return err
}

// selectedOnly wraps the statement so that it returns the selected columns
// only, when it also returns key columns for the cursor.
func selectedOnly(req *query.Request, sql string) string {
	if len(req.Columns()) == len(req.Select) {
		return sql
	}
	cols := make([]string, len(req.Select))
	for i, c := range req.Select {
		cols[i] = sqlq.Ident(c)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + sql + ")"
}

// nextURL is the request's URL with cursor set to the next page's.
func nextURL(r *http.Request, cursor string) string {
	q := r.URL.Query()
	q.Set("cursor", cursor)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func (n *Node) querySchema(p *engine.Product) query.Schema {
	return query.Schema{Columns: p.Desc.Output.Schema, PrimaryKey: p.Desc.Output.PrimaryKey}
}
