package format

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Writer writes record batches of one schema in one format.
//
// Writers buffer their output and write it to the underlying io.Writer in
// chunks of about 64 KiB; Flush writes what is buffered (call it before
// waiting on a slow source, so that a client sees the rows already made),
// and Close writes the format's trailer (JSON's "]", Arrow's end-of-stream
// marker) and flushes. A CSV header and JSON's "[" are written with the
// first batch, or by Close when there was none, so that an empty result is
// still a complete document. Close does not close the underlying writer.
// After an error every call returns it. Writers are not safe for
// concurrent use.
type Writer interface {
	Write(rec arrow.RecordBatch) error
	Flush() error
	Close() error
}

// bufSize is the size of the chunks written to the underlying io.Writer.
const bufSize = 64 << 10

// ErrParquet is returned by NewWriter for Parquet, which DuckDB writes
// (COPY ... (FORMAT parquet)).
var ErrParquet = errors.New("format: parquet is written by the engine, not by format.NewWriter")

// NewWriter returns a Writer of format f to w for batches of schema.
func NewWriter(f Format, w io.Writer, schema *arrow.Schema) (Writer, error) {
	if schema == nil {
		return nil, errors.New("format: nil schema")
	}
	switch f.Name {
	case JSON.Name:
		return newRowWriter(w, schema, rowsJSON), nil
	case NDJSON.Name:
		return newRowWriter(w, schema, rowsNDJSON), nil
	case CSV.Name:
		return newRowWriter(w, schema, rowsCSV), nil
	case Arrow.Name:
		bw := bufio.NewWriterSize(w, bufSize)
		return &arrowWriter{bw: bw, iw: ipc.NewWriter(bw, ipc.WithSchema(schema))}, nil
	case Parquet.Name:
		return nil, ErrParquet
	}
	return nil, fmt.Errorf("format: unknown format %q", f.Name)
}

// Copy writes every batch of r to w and returns the number of rows
// written. It neither closes w nor releases r.
func Copy(w Writer, r array.RecordReader) (rows int64, err error) {
	for r.Next() {
		rec := r.RecordBatch()
		if err := w.Write(rec); err != nil {
			return rows, err
		}
		rows += rec.NumRows()
	}
	return rows, r.Err()
}

// arrowWriter writes the Arrow IPC stream format.
type arrowWriter struct {
	bw     *bufio.Writer
	iw     *ipc.Writer
	err    error
	closed bool
}

func (a *arrowWriter) Write(rec arrow.RecordBatch) error {
	if a.err != nil {
		return a.err
	}
	if a.closed {
		return errClosed
	}
	if err := a.iw.Write(rec); err != nil {
		a.err = err
	}
	return a.err
}

func (a *arrowWriter) Flush() error {
	if a.err == nil {
		a.err = a.bw.Flush()
	}
	return a.err
}

func (a *arrowWriter) Close() error {
	if a.closed || a.err != nil {
		return a.err
	}
	a.closed = true
	if err := a.iw.Close(); err != nil {
		a.err = err
		return err
	}
	return a.Flush()
}

var errClosed = errors.New("format: write after Close")

type rowKind uint8

const (
	rowsJSON rowKind = iota
	rowsNDJSON
	rowsCSV
)

// rowWriter writes JSON, NDJSON and CSV: rows of typed appenders, one per
// column, into a buffer flushed in chunks.
type rowWriter struct {
	w       io.Writer
	kind    rowKind
	schema  *arrow.Schema
	keys    [][]byte // JSON: the text before each value
	buf     []byte
	encs    []appender
	started bool // JSON's "[" or the CSV header is in buf
	any     bool // a row has been written
	closed  bool
	err     error
}

func newRowWriter(w io.Writer, schema *arrow.Schema, kind rowKind) *rowWriter {
	return &rowWriter{
		w:      w,
		kind:   kind,
		schema: schema,
		keys:   jsonKeys(schema.Fields()),
		// Small answers (a key lookup) stay small; a large one grows the
		// buffer to bufSize once.
		buf:  make([]byte, 0, 1024),
		encs: make([]appender, schema.NumFields()),
	}
}

func (rw *rowWriter) start() {
	if rw.started {
		return
	}
	rw.started = true
	switch rw.kind {
	case rowsJSON:
		rw.buf = append(rw.buf, '[')
	case rowsCSV:
		for k, f := range rw.schema.Fields() {
			if k > 0 {
				rw.buf = append(rw.buf, ',')
			}
			rw.buf = appendCSVField(rw.buf, f.Name)
		}
		rw.buf = append(rw.buf, '\n')
	}
}

func (rw *rowWriter) Write(rec arrow.RecordBatch) error {
	if rw.err != nil {
		return rw.err
	}
	if rw.closed {
		return errClosed
	}
	if int(rec.NumCols()) != len(rw.encs) {
		return fmt.Errorf("format: batch has %d columns, schema %d", rec.NumCols(), len(rw.encs))
	}
	rw.start()
	m := modeJSON
	if rw.kind == rowsCSV {
		m = modeCSV
	}
	for c := range rw.encs {
		rw.encs[c] = newAppender(rec.Column(c), m)
	}
	var err error
	switch n := int(rec.NumRows()); rw.kind {
	case rowsJSON:
		err = rw.writeJSON(n, ",\n")
	case rowsNDJSON:
		err = rw.writeJSON(n, "")
	default:
		err = rw.writeCSV(n)
	}
	clear(rw.encs) // the closures hold the batch's arrays
	return err
}

// writeJSON writes n rows as JSON objects; sep goes between rows of a JSON
// array (after "[" too, as "\n"); NDJSON ends each row with "\n".
func (rw *rowWriter) writeJSON(n int, sep string) error {
	buf, encs, keys := rw.buf, rw.encs, rw.keys
	ndjson := sep == ""
	for i := 0; i < n; i++ {
		if !ndjson {
			if rw.any {
				buf = append(buf, sep...)
			} else {
				buf = append(buf, '\n')
				rw.any = true
			}
		}
		if len(encs) == 0 {
			buf = append(buf, '{')
		}
		for c, enc := range encs {
			buf = append(buf, keys[c]...)
			buf = enc(buf, i)
		}
		buf = append(buf, '}')
		if ndjson {
			buf = append(buf, '\n')
		}
		if len(buf) >= bufSize {
			if buf = rw.flush(buf); rw.err != nil {
				return rw.err
			}
		}
	}
	rw.buf = buf
	return nil
}

func (rw *rowWriter) writeCSV(n int) error {
	buf, encs := rw.buf, rw.encs
	for i := 0; i < n; i++ {
		for c, enc := range encs {
			if c > 0 {
				buf = append(buf, ',')
			}
			buf = enc(buf, i)
		}
		buf = append(buf, '\n')
		if len(buf) >= bufSize {
			if buf = rw.flush(buf); rw.err != nil {
				return rw.err
			}
		}
	}
	rw.buf = buf
	return nil
}

// flush writes buf and returns it emptied; a buffer grown large by a huge
// value is dropped for a normal one.
func (rw *rowWriter) flush(buf []byte) []byte {
	if len(buf) > 0 {
		if _, err := rw.w.Write(buf); err != nil {
			rw.err = err
		}
	}
	if cap(buf) > 4*bufSize {
		return make([]byte, 0, bufSize+bufSize/4)
	}
	return buf[:0]
}

func (rw *rowWriter) Flush() error {
	if rw.err == nil {
		rw.buf = rw.flush(rw.buf)
	}
	return rw.err
}

func (rw *rowWriter) Close() error {
	if rw.closed || rw.err != nil {
		return rw.err
	}
	rw.closed = true
	rw.start()
	if rw.kind == rowsJSON {
		if rw.any {
			rw.buf = append(rw.buf, '\n')
		}
		rw.buf = append(rw.buf, ']', '\n')
	}
	return rw.Flush()
}
