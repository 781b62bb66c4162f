package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datamesh/datamesh/connector/internal/sqlread"
)

// column is how one result column is read: the DuckDB type it becomes,
// the Arrow type it is built as, the format to ask PostgreSQL for, and the
// function appending one non-NULL value, as PostgreSQL sent it, to the
// column's Arrow builder.
type column struct {
	Duck   string
	Arrow  arrow.DataType
	Format int16
	Append func(b array.Builder, src []byte) error
}

// pgEpochDays is 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01.
const pgEpochDays = 10957

// columnFor maps a PostgreSQL result column (its type OID and modifier).
func columnFor(m *pgtype.Map, oid uint32, typmod int32) column {
	const bin, txt = pgtype.BinaryFormatCode, pgtype.TextFormatCode
	str := func(f func([]byte) ([]byte, error)) func(array.Builder, []byte) error {
		return func(b array.Builder, src []byte) error {
			v, err := f(src)
			if err != nil {
				return err
			}
			b.(*array.StringBuilder).BinaryBuilder.Append(v)
			return nil
		}
	}
	asIs := func(b []byte) ([]byte, error) { return b, nil }
	switch oid {
	case oidBool:
		return column{"BOOLEAN", arrow.FixedWidthTypes.Boolean, bin, fixed(1, func(b array.Builder, src []byte) {
			b.(*array.BooleanBuilder).Append(src[0] != 0)
		})}
	case oidInt2:
		return column{"SMALLINT", arrow.PrimitiveTypes.Int16, bin, fixed(2, func(b array.Builder, src []byte) {
			b.(*array.Int16Builder).Append(int16(binary.BigEndian.Uint16(src)))
		})}
	case oidInt4:
		return column{"INTEGER", arrow.PrimitiveTypes.Int32, bin, fixed(4, func(b array.Builder, src []byte) {
			b.(*array.Int32Builder).Append(int32(binary.BigEndian.Uint32(src)))
		})}
	case oidInt8:
		return column{"BIGINT", arrow.PrimitiveTypes.Int64, bin, fixed(8, func(b array.Builder, src []byte) {
			b.(*array.Int64Builder).Append(int64(binary.BigEndian.Uint64(src)))
		})}
	case oidOID:
		return column{"BIGINT", arrow.PrimitiveTypes.Int64, bin, fixed(4, func(b array.Builder, src []byte) {
			b.(*array.Int64Builder).Append(int64(binary.BigEndian.Uint32(src)))
		})}
	case oidFloat4:
		return column{"FLOAT", arrow.PrimitiveTypes.Float32, bin, fixed(4, func(b array.Builder, src []byte) {
			b.(*array.Float32Builder).Append(math.Float32frombits(binary.BigEndian.Uint32(src)))
		})}
	case oidFloat8:
		return column{"DOUBLE", arrow.PrimitiveTypes.Float64, bin, fixed(8, func(b array.Builder, src []byte) {
			b.(*array.Float64Builder).Append(math.Float64frombits(binary.BigEndian.Uint64(src)))
		})}
	case oidText, oidVarchar, oidBPChar, oidName, oidChar, oidJSON, oidXML:
		// The binary form of these is their text.
		return column{"VARCHAR", arrow.BinaryTypes.String, bin, str(asIs)}
	case oidJSONB:
		return column{"VARCHAR", arrow.BinaryTypes.String, bin, str(func(b []byte) ([]byte, error) {
			if len(b) == 0 || b[0] != 1 {
				return nil, fmt.Errorf("unknown jsonb format version")
			}
			return b[1:], nil
		})}
	case oidUUID:
		return column{"VARCHAR", arrow.BinaryTypes.String, bin, func(b array.Builder, src []byte) error {
			if len(src) != 16 {
				return fmt.Errorf("uuid of %d bytes", len(src))
			}
			b.(*array.StringBuilder).Append(formatUUID(src))
			return nil
		}}
	case oidBytea:
		return column{"BLOB", arrow.BinaryTypes.Binary, bin, func(b array.Builder, src []byte) error {
			b.(*array.BinaryBuilder).Append(src)
			return nil
		}}
	case oidDate:
		return column{"DATE", arrow.FixedWidthTypes.Date32, bin, fixed(4, func(b array.Builder, src []byte) {
			d := int32(binary.BigEndian.Uint32(src))
			if d == math.MaxInt32 || d == math.MinInt32 {
				b.AppendNull() // ±infinity
				return
			}
			b.(*array.Date32Builder).Append(arrow.Date32(d + pgEpochDays))
		})}
	case oidTimestamp, oidTimestamptz:
		duck, typ := "TIMESTAMP", arrow.DataType(&arrow.TimestampType{Unit: arrow.Microsecond})
		if oid == oidTimestamptz {
			duck, typ = "TIMESTAMPTZ", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
		return column{duck, typ, bin, fixed(8, func(b array.Builder, src []byte) {
			us := int64(binary.BigEndian.Uint64(src))
			if us == math.MaxInt64 || us == math.MinInt64 {
				b.AppendNull() // ±infinity
				return
			}
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(us + pgEpochDays*86400*1e6))
		})}
	case oidTime:
		return column{"TIME", arrow.FixedWidthTypes.Time64us, bin, fixed(8, func(b array.Builder, src []byte) {
			b.(*array.Time64Builder).Append(arrow.Time64(int64(binary.BigEndian.Uint64(src))))
		})}
	case oidNumeric:
		if p, s, ok := numericTypmod(typmod); ok && p <= 38 {
			return column{fmt.Sprintf("DECIMAL(%d,%d)", p, s), &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, txt,
				func(b array.Builder, src []byte) error {
					small, large, err := sqlread.Unscaled(string(src), p, s)
					if err != nil {
						return err
					}
					n := decimal128.FromI64(small)
					if large != nil {
						n = decimal128.FromBigInt(large)
					}
					b.(*array.Decimal128Builder).Append(n)
					return nil
				}}
		}
		return column{"DOUBLE", arrow.PrimitiveTypes.Float64, txt, func(b array.Builder, src []byte) error {
			f, err := strconv.ParseFloat(string(src), 64)
			if err != nil {
				return err
			}
			b.(*array.Float64Builder).Append(f)
			return nil
		}}
	}
	if t, ok := m.TypeForOID(oid); ok {
		if ac, ok := t.Codec.(*pgtype.ArrayCodec); ok {
			elem := ac.ElementType.OID
			return column{"VARCHAR", arrow.BinaryTypes.String, bin, func(b array.Builder, src []byte) error {
				s, err := arrayJSON(m, oid, elem, src)
				if err != nil {
					return err
				}
				b.(*array.StringBuilder).Append(s)
				return nil
			}}
		}
	}
	// Anything else (interval, inet, money, enums, ranges, geometry, ...)
	// as PostgreSQL prints it.
	return column{"VARCHAR", arrow.BinaryTypes.String, txt, str(asIs)}
}

func fixed(n int, f func(array.Builder, []byte)) func(array.Builder, []byte) error {
	return func(b array.Builder, src []byte) error {
		if len(src) != n {
			return fmt.Errorf("value of %d bytes, want %d", len(src), n)
		}
		f(b, src)
		return nil
	}
}

// Batches hold at most batchRows rows, or about batchBytes bytes of values.
const (
	batchRows  = 16384
	batchBytes = 16 << 20
)

// reader is an Arrow record reader over a PostgreSQL result. A goroutine
// reads and decodes rows into record batches while DuckDB ingests the
// previous one; at most a few batches are in flight, so memory stays flat.
type reader struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	batches chan arrow.RecordBatch
	cur     arrow.RecordBatch
	stop    chan struct{}
	exited  chan struct{}
	once    sync.Once

	// Written by the reading goroutine before it closes batches.
	srcErr   error // the error PostgreSQL reported, if any
	decErr   error // a value that could not be decoded
	canceled bool  // the query was canceled: do not reuse the connection
}

var _ array.RecordReader = (*reader)(nil)

func newReader(pg *pgconn.PgConn, rr *pgconn.ResultReader, names []string, cols []column) *reader {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: names[i], Type: c.Arrow, Nullable: true}
	}
	r := &reader{schema: arrow.NewSchema(fields, nil), batches: make(chan arrow.RecordBatch, 2),
		stop: make(chan struct{}), exited: make(chan struct{})}
	r.refs.Store(1)
	go r.read(pg, rr, names, cols)
	return r
}

func (r *reader) read(pg *pgconn.PgConn, rr *pgconn.ResultReader, names []string, cols []column) {
	defer close(r.exited)
	defer close(r.batches)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer rb.Release()
	builders := rb.Fields()
	rows, size, total, stopped := 0, 0, 0, false
	send := func() bool {
		rec := rb.NewRecordBatch()
		rows, size = 0, 0
		select {
		case r.batches <- rec:
			return true
		case <-r.stop:
			rec.Release()
			return false
		}
	}
	for !stopped && rr.NextRow() {
		total++
		for i, src := range rr.Values() {
			if src == nil {
				builders[i].AppendNull()
				continue
			}
			size += len(src)
			if err := cols[i].Append(builders[i], src); err != nil {
				r.decErr = fmt.Errorf("row %d, column %q (%s): %w", total, names[i], cols[i].Duck, err)
				stopped = true
				break
			}
		}
		if !stopped && (rows+1 >= batchRows || size >= batchBytes) {
			stopped = !send()
			continue
		}
		rows++
	}
	if !stopped && rows > 0 {
		stopped = !send()
	}
	if stopped {
		// Ask the server to stop sending rather than read every row.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = pg.CancelRequest(ctx)
		cancel()
		r.canceled = true
	}
	_, r.srcErr = rr.Close()
}

func (r *reader) Schema() *arrow.Schema { return r.schema }

func (r *reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	rec, ok := <-r.batches
	if !ok {
		return false
	}
	r.cur = rec
	return true
}

func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch.
//
// Deprecated: Use RecordBatch.
func (r *reader) Record() arrow.RecordBatch { return r.cur }

// Err is what ended the rows early: a value that could not be decoded, or
// the error PostgreSQL reported. Read once Next has returned false.
func (r *reader) Err() error {
	select {
	case <-r.exited:
	default:
		return nil
	}
	if r.decErr != nil {
		return r.decErr
	}
	return r.srcErr
}

func (r *reader) Retain() { r.refs.Add(1) }

func (r *reader) Release() {
	if r.refs.Add(-1) == 0 {
		r.close()
	}
}

// close stops the reading goroutine and waits for it, so that the
// connection is idle again when it goes back to the pool. Safe to call more
// than once.
func (r *reader) close() {
	r.once.Do(func() {
		close(r.stop)
		for rec := range r.batches {
			rec.Release()
		}
		<-r.exited
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
	})
}
