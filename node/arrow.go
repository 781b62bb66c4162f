//go:build duckdb_arrow

package node

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// project returns a batch of the first n columns of b, retained.
func project(b arrow.RecordBatch, n int) arrow.RecordBatch {
	if n >= int(b.NumCols()) {
		b.Retain()
		return b
	}
	return array.NewRecordBatch(projectSchema(b.Schema(), n), b.Columns()[:n], b.NumRows())
}

// projectSchema returns the schema of the first n fields.
func projectSchema(s *arrow.Schema, n int) *arrow.Schema {
	if n >= s.NumFields() {
		return s
	}
	return arrow.NewSchema(s.Fields()[:n], nil)
}

// arrowValue returns row i of a as a Go value (nil for NULL), copying
// strings out of Arrow's buffers, which the engine frees.
func arrowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i)
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int8:
		return int64(x.Value(i))
	case *array.Uint64:
		return x.Value(i)
	case *array.Uint32:
		return int64(x.Value(i))
	case *array.Uint16:
		return int64(x.Value(i))
	case *array.Uint8:
		return int64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Boolean:
		return x.Value(i)
	case *array.String:
		return strings.Clone(x.Value(i))
	case *array.LargeString:
		return strings.Clone(x.Value(i))
	case *array.Date32:
		return x.Value(i).ToTime()
	case *array.Timestamp:
		unit := x.DataType().(*arrow.TimestampType).Unit
		return x.Value(i).ToTime(unit)
	case *array.Time64:
		unit := x.DataType().(*arrow.Time64Type).Unit
		return x.Value(i).ToTime(unit).Format("15:04:05.999999999")
	default:
		return strings.Clone(a.ValueStr(i))
	}
}
