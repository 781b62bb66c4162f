//go:build duckdb_arrow

package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"
)

// duckdb-go runs every query to completion before the first row can be
// read: a materialized result, as large as the answer. A node must stream
// any number of rows in flat memory, so Stream runs its queries with
// DuckDB's streaming result instead, through the C bindings duckdb-go is
// built on. The bindings need the connection handle that duckdb-go keeps in
// an unexported field; connOffset finds it by reflection and checks its
// type, and Stream falls back to duckdb-go's own (materializing) Arrow
// reader if the field ever moves.
var connOffset, connFieldOK = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("conn")
	return f.Offset, ok && f.Type == reflect.TypeFor[bindings.Connection]()
}()

// rawConn returns the bindings handle of a duckdb-go connection.
func rawConn(dc driver.Conn) (bindings.Connection, bool) {
	c, ok := dc.(*duckdb.Conn)
	if !ok || !connFieldOK {
		return bindings.Connection{}, false
	}
	return *(*bindings.Connection)(unsafe.Add(unsafe.Pointer(c), connOffset)), true
}

// streamQuery runs query on conn with a streaming result and calls fn with
// a reader over its record batches. Cancelling ctx interrupts DuckDB.
func streamQuery(ctx context.Context, conn bindings.Connection, query string, args []any, fn func(*streamReader) error) error {
	var stmt bindings.PreparedStatement
	if bindings.Prepare(conn, query, &stmt) == bindings.StateError {
		err := errors.New(bindings.PrepareError(stmt))
		bindings.DestroyPrepare(&stmt)
		return err
	}
	defer bindings.DestroyPrepare(&stmt)
	if err := bind(stmt, args); err != nil {
		return err
	}
	var pending bindings.PendingResult
	if bindings.PendingPreparedStreaming(stmt, &pending) == bindings.StateError {
		err := errors.New(bindings.PendingError(pending))
		bindings.DestroyPending(&pending)
		return err
	}
	defer bindings.DestroyPending(&pending)

	// Interrupt DuckDB when the request ends early. The goroutine leaves when
	// the query is done.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			bindings.Interrupt(conn)
		case <-done:
		}
	}()
	defer func() { close(done); wg.Wait() }()

	var res bindings.Result
	if bindings.ExecutePending(pending, &res) == bindings.StateError {
		err := errors.Join(ctx.Err(), errors.New(bindings.ResultError(&res)))
		bindings.DestroyResult(&res)
		return err
	}
	defer bindings.DestroyResult(&res)
	r, err := newStreamReader(ctx, &res)
	if err != nil {
		return err
	}
	defer r.release()
	if err := fn(r); err != nil {
		return err
	}
	return r.Err()
}

// streamReader is an array.RecordReader over a streaming DuckDB result.
// Each batch is valid until the next call to Next.
type streamReader struct {
	ctx     context.Context
	res     *bindings.Result
	opts    bindings.ArrowOptions
	schema  *arrow.Schema
	current arrow.RecordBatch
	err     error
}

func newStreamReader(ctx context.Context, res *bindings.Result) (*streamReader, error) {
	opts := bindings.ResultGetArrowOptions(res)
	n := int(bindings.ColumnCount(res))
	names := make([]string, n)
	types := make([]bindings.LogicalType, n)
	for i := range n {
		names[i] = bindings.ColumnName(res, bindings.IdxT(i))
		types[i] = bindings.ColumnLogicalType(res, bindings.IdxT(i))
	}
	defer func() {
		for i := range types {
			bindings.DestroyLogicalType(&types[i])
		}
	}()
	schema, ed := bindings.NewArrowSchema(opts, types, names)
	if err := errorData(ed); err != nil {
		bindings.DestroyArrowOptions(&opts)
		return nil, fmt.Errorf("arrow schema: %w", err)
	}
	return &streamReader{ctx: ctx, res: res, opts: opts, schema: schema}, nil
}

func errorData(ed bindings.ErrorData) error {
	defer bindings.DestroyErrorData(&ed)
	if bindings.ErrorDataHasError(ed) {
		return errors.New(bindings.ErrorDataMessage(ed))
	}
	return nil
}

func (r *streamReader) Schema() *arrow.Schema { return r.schema }

// Next computes the next chunk of the result, which DuckDB produces on
// demand: memory holds a chunk, not the answer.
func (r *streamReader) Next() bool {
	if r.current != nil {
		r.current.Release()
		r.current = nil
	}
	if r.err != nil {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	chunk := bindings.FetchChunk(*r.res)
	if chunk.Ptr == nil {
		if msg := bindings.ResultError(r.res); msg != "" {
			r.err = errors.Join(r.ctx.Err(), errors.New(msg))
		}
		return false
	}
	defer bindings.DestroyDataChunk(&chunk)
	rec, ed := bindings.DataChunkToArrowArray(r.opts, r.schema, chunk)
	if err := errorData(ed); err != nil {
		r.err = fmt.Errorf("arrow batch: %w", err)
		return false
	}
	r.current = rec
	return true
}

func (r *streamReader) RecordBatch() arrow.RecordBatch { return r.current }
func (r *streamReader) Record() arrow.RecordBatch      { return r.current }
func (r *streamReader) Err() error                     { return r.err }
func (r *streamReader) Retain()                        {}
func (r *streamReader) Release()                       {}

func (r *streamReader) release() {
	if r.current != nil {
		r.current.Release()
		r.current = nil
	}
	bindings.DestroyArrowOptions(&r.opts)
}

// bind binds the arguments this project passes (the query package's typed
// filter values) to the statement's parameters.
func bind(stmt bindings.PreparedStatement, args []any) error {
	if n := int(bindings.NParams(stmt)); n != len(args) {
		return fmt.Errorf("statement has %d parameters, %d arguments given", n, len(args))
	}
	for i, a := range args {
		idx := bindings.IdxT(i + 1)
		var state bindings.State
		switch v := a.(type) {
		case nil:
			state = bindings.BindNull(stmt, idx)
		case bool:
			state = bindings.BindBoolean(stmt, idx, v)
		case int:
			state = bindings.BindInt64(stmt, idx, int64(v))
		case int64:
			state = bindings.BindInt64(stmt, idx, v)
		case float64:
			state = bindings.BindDouble(stmt, idx, v)
		case string:
			state = bindings.BindVarchar(stmt, idx, v)
		case []byte:
			state = bindings.BindBlob(stmt, idx, v)
		case time.Time:
			state = bindTime(stmt, idx, v)
		default:
			return fmt.Errorf("parameter %d: cannot bind %T", i+1, a)
		}
		if state == bindings.StateError {
			return fmt.Errorf("parameter %d: cannot bind %v", i+1, a)
		}
	}
	return nil
}

// bindTime binds a time as the type DuckDB inferred for the parameter.
func bindTime(stmt bindings.PreparedStatement, idx bindings.IdxT, t time.Time) bindings.State {
	switch bindings.ParamType(stmt, idx) {
	case bindings.TypeDate:
		days := t.UTC().Truncate(24*time.Hour).Unix() / 86400
		if t.UTC().Before(time.Unix(days*86400, 0)) {
			days--
		}
		return bindings.BindDate(stmt, idx, bindings.NewDate(int32(days)))
	case bindings.TypeTime:
		u := t.Sub(t.Truncate(24 * time.Hour))
		return bindings.BindTime(stmt, idx, bindings.NewTime(u.Microseconds()))
	case bindings.TypeTimestampTZ:
		return bindings.BindTimestampTZ(stmt, idx, bindings.NewTimestamp(t.UnixMicro()))
	default:
		return bindings.BindTimestamp(stmt, idx, bindings.NewTimestamp(t.UTC().UnixMicro()))
	}
}
