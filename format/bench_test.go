package format

import (
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const (
	benchRows  = 3_000_000
	benchBatch = 2048 // DuckDB's Arrow batch size
)

var benchData = sync.OnceValues(func() (*arrow.Schema, []arrow.RecordBatch) {
	return productBatches(benchRows, benchBatch)
})

// productBatches builds a realistic 5-column product (BIGINT id, VARCHAR
// code, DATE date, DOUBLE value, INTEGER count) in batches, with the types
// DuckDB sends, about 1% NULLs in value, and full-precision doubles (the
// slowest case for float formatting).
func productBatches(rows, batch int) (*arrow.Schema, []arrow.RecordBatch) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "count", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	codes := []string{"JFK", "LAX", "ORD", "ATL", "DFW", "DEN", "SFO", "SEA", "LAS", "MCO", "CLT", "PHX"}
	var recs []arrow.RecordBatch
	for lo := 0; lo < rows; lo += batch {
		n := min(batch, rows-lo)
		for i := lo; i < lo+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append(codes[rng.IntN(len(codes))] + "-" + string(rune('A'+rng.IntN(26))))
			b.Field(2).(*array.Date32Builder).Append(arrow.Date32(18000 + i/1000))
			if rng.IntN(100) == 0 {
				b.Field(3).AppendNull()
			} else {
				b.Field(3).(*array.Float64Builder).Append(rng.Float64() * 1000)
			}
			b.Field(4).(*array.Int32Builder).Append(int32(rng.IntN(10000)))
		}
		recs = append(recs, b.NewRecordBatch())
	}
	return schema, recs
}

// countingDiscard counts the bytes written.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchFormat(b *testing.B, f Format) {
	schema, recs := benchData()
	var out countingDiscard
	b.ResetTimer()
	for b.Loop() {
		out.n = 0
		w, err := NewWriter(f, &out, schema)
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(out.n)
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSV(b *testing.B)    { benchFormat(b, CSV) }
func BenchmarkJSON(b *testing.B)   { benchFormat(b, JSON) }
func BenchmarkNDJSON(b *testing.B) { benchFormat(b, NDJSON) }
func BenchmarkArrow(b *testing.B)  { benchFormat(b, Arrow) }

// BenchmarkColumn measures each column type alone (ns per value).
func BenchmarkColumn(b *testing.B) {
	schema, recs := benchData()
	recs = recs[:100]
	for c, field := range schema.Fields() {
		for _, f := range []Format{CSV, JSON} {
			b.Run(field.Name+"/"+f.Name, func(b *testing.B) {
				one := arrow.NewSchema([]arrow.Field{field}, nil)
				cols := make([]arrow.RecordBatch, len(recs))
				for k, rec := range recs {
					cols[k] = array.NewRecordBatch(one, []arrow.Array{rec.Column(c)}, rec.NumRows())
				}
				n := 0
				for _, rec := range cols {
					n += int(rec.NumRows())
				}
				b.ResetTimer()
				for b.Loop() {
					w, _ := NewWriter(f, io.Discard, one)
					for _, rec := range cols {
						_ = w.Write(rec)
					}
					_ = w.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
			})
		}
	}
}
