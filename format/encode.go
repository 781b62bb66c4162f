package format

import (
	"encoding/base64"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/encoded"
)

// An appender appends the rendering of row i of the array it was built for.
// Appenders are built once per column and batch, with the type switch done
// up front, so that the per-value work is one indirect call and typed code
// with no interface boxing and no allocation.
type appender func(dst []byte, i int) []byte

// mode selects a rendering.
type mode uint8

const (
	// modeJSON renders a JSON value (null for NULL).
	modeJSON mode = iota
	// modeText renders plain text: strings as they are, nested values as
	// JSON text, NULL as nothing. Used for map keys.
	modeText
	// modeCSV renders modeText as one RFC 4180 field, quoted when needed.
	modeCSV
)

// newAppender returns the appender of arr in mode m.
func newAppender(arr arrow.Array, m mode) appender {
	if arr.DataType().ID() == arrow.NULL {
		if m == modeJSON {
			return constant("null")
		}
		return constant("")
	}
	f := valueAppender(arr, m)
	bits := arr.NullBitmapBytes()
	// Unions and run-end encoded arrays have no validity bitmap: their
	// nulls are in their children, whose appenders handle them.
	if arr.NullN() == 0 || len(bits) == 0 {
		return f
	}
	null := ""
	if m == modeJSON {
		null = "null"
	}
	off := arr.Data().Offset()
	return func(dst []byte, i int) []byte {
		j := off + i
		if bits[j>>3]&(1<<(j&7)) == 0 {
			return append(dst, null...)
		}
		return f(dst, i)
	}
}

func constant(s string) appender {
	return func(dst []byte, _ int) []byte { return append(dst, s...) }
}

// quoted renders f's text, which never needs escaping (dates, times,
// base64, durations), as a JSON string in JSON mode and as it is otherwise.
func quoted(f appender, m mode) appender {
	if m != modeJSON {
		return f
	}
	return func(dst []byte, i int) []byte {
		dst = append(dst, '"')
		dst = f(dst, i)
		return append(dst, '"')
	}
}

// nested renders a value whose text form is its JSON text (lists, structs,
// maps): as it is in JSON and text modes, as a quoted field in CSV.
func nested(f appender, m mode) appender {
	if m != modeCSV {
		return f
	}
	var scratch []byte
	return func(dst []byte, i int) []byte {
		scratch = f(scratch[:0], i)
		return appendCSVField(dst, scratch)
	}
}

// valueAppender returns the appender of arr's non-null values.
func valueAppender(arr arrow.Array, m mode) appender {
	switch a := arr.(type) {
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		}
	case *array.Int8:
		return intAppender(a.Values())
	case *array.Int16:
		return intAppender(a.Values())
	case *array.Int32:
		return intAppender(a.Values())
	case *array.Int64:
		return intAppender(a.Values())
	case *array.Uint8:
		return uintAppender(a.Values())
	case *array.Uint16:
		return uintAppender(a.Values())
	case *array.Uint32:
		return uintAppender(a.Values())
	case *array.Uint64:
		return uintAppender(a.Values())
	case *array.Float16:
		v := a.Values()
		return floatAppender(func(i int) float64 { return float64(v[i].Float32()) }, 32, m)
	case *array.Float32:
		v := a.Values()
		return floatAppender(func(i int) float64 { return float64(v[i]) }, 32, m)
	case *array.Float64:
		return float64Appender(a.Values(), m)
	case *array.Decimal32:
		v, scale := a.Values(), a.DataType().(*arrow.Decimal32Type).Scale
		return func(dst []byte, i int) []byte { return appendDecimalInt(dst, int64(v[i]), scale) }
	case *array.Decimal64:
		v, scale := a.Values(), a.DataType().(*arrow.Decimal64Type).Scale
		return func(dst []byte, i int) []byte { return appendDecimalInt(dst, int64(v[i]), scale) }
	case *array.Decimal128:
		v, scale := a.Values(), a.DataType().(*arrow.Decimal128Type).Scale
		return func(dst []byte, i int) []byte { return appendDecimal128(dst, v[i], scale) }
	case *array.Decimal256:
		v, scale := a.Values(), a.DataType().(*arrow.Decimal256Type).Scale
		return func(dst []byte, i int) []byte { return appendDecimal256(dst, v[i], scale) }
	case *array.String:
		var data []byte
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
		return stringAppender(a.ValueOffsets(), data, m)
	case *array.LargeString:
		var data []byte
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
		return stringAppender(a.ValueOffsets(), data, m)
	case *array.StringView:
		return textAppender(a.Value, m)
	case *array.Binary:
		return binaryAppender(a.Value, m)
	case *array.LargeBinary:
		return binaryAppender(a.Value, m)
	case *array.BinaryView:
		return binaryAppender(a.Value, m)
	case *array.FixedSizeBinary:
		return binaryAppender(a.Value, m)
	case *array.Date32:
		return quoted(date32Appender(a.Values()), m)
	case *array.Date64:
		v := a.Values()
		return quoted(func(dst []byte, i int) []byte {
			days, _ := floorDivMod(int64(v[i]), 86400000)
			return appendDate(dst, days)
		}, m)
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		return quoted(timestampAppender(a.Values(), t.Unit, t.TimeZone != ""), m)
	case *array.Time32:
		v, unit := a.Values(), a.DataType().(*arrow.Time32Type).Unit
		return quoted(func(dst []byte, i int) []byte { return appendTime(dst, int64(v[i]), unit) }, m)
	case *array.Time64:
		v, unit := a.Values(), a.DataType().(*arrow.Time64Type).Unit
		return quoted(func(dst []byte, i int) []byte { return appendTime(dst, int64(v[i]), unit) }, m)
	case *array.Duration:
		v, unit := a.Values(), a.DataType().(*arrow.DurationType).Unit
		per, width := unitScale(unit)
		return quoted(func(dst []byte, i int) []byte {
			d := int64(v[i])
			return appendDuration(dst, 0, 0, d/per, d%per, width)
		}, m)
	case *array.MonthInterval:
		v := a.Values()
		return quoted(func(dst []byte, i int) []byte { return appendDuration(dst, int64(v[i]), 0, 0, 0, 0) }, m)
	case *array.DayTimeInterval:
		v := a.DayTimeIntervalValues()
		return quoted(func(dst []byte, i int) []byte {
			ms := int64(v[i].Milliseconds)
			return appendDuration(dst, 0, int64(v[i].Days), ms/1000, ms%1000, 3)
		}, m)
	case *array.MonthDayNanoInterval:
		v := a.MonthDayNanoIntervalValues()
		return quoted(func(dst []byte, i int) []byte {
			ns := v[i].Nanoseconds
			return appendDuration(dst, int64(v[i].Months), int64(v[i].Days), ns/1e9, ns%1e9, 9)
		}, m)
	case *array.Dictionary:
		return dictAppender(a, m)
	case *array.Map:
		return nested(mapAppender(a), m)
	case array.ListLike:
		return nested(listAppender(a), m)
	case *array.Struct:
		return nested(structAppender(a), m)
	case *array.SparseUnion:
		kids := childAppenders(a, a.NumFields(), m)
		return func(dst []byte, i int) []byte { return kids[a.ChildID(i)](dst, i) }
	case *array.DenseUnion:
		kids := childAppenders(a, a.NumFields(), m)
		return func(dst []byte, i int) []byte { return kids[a.ChildID(i)](dst, int(a.ValueOffset(i))) }
	case *array.RunEndEncoded:
		vals := newAppender(a.Values(), m)
		data := a.Data()
		return func(dst []byte, i int) []byte {
			return vals(dst, encoded.FindPhysicalIndex(data, data.Offset()+i))
		}
	}
	// Extension types and anything else: the array's own text.
	return textAppender(arr.ValueStr, m)
}

func childAppenders(u interface{ Field(int) arrow.Array }, n int, m mode) []appender {
	kids := make([]appender, n)
	for k := range kids {
		kids[k] = newAppender(u.Field(k), m)
	}
	return kids
}

func intAppender[T int8 | int16 | int32 | int64](v []T) appender {
	return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(v[i]), 10) }
}

func uintAppender[T uint8 | uint16 | uint32 | uint64](v []T) appender {
	return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(v[i]), 10) }
}

func float64Appender(v []float64, m mode) appender {
	if m == modeJSON {
		return func(dst []byte, i int) []byte {
			f := v[i]
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return append(dst, "null"...)
			}
			return appendFloat(dst, f, 64)
		}
	}
	return func(dst []byte, i int) []byte { return appendFloat(dst, v[i], 64) }
}

func floatAppender(get func(int) float64, bits int, m mode) appender {
	return func(dst []byte, i int) []byte {
		f := get(i)
		if m == modeJSON && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return append(dst, "null"...)
		}
		return appendFloat(dst, f, bits)
	}
}

func appendDecimal128(dst []byte, n decimal128.Num, scale int32) []byte {
	hi, lo := n.HighBits(), n.LowBits()
	switch {
	case hi == 0:
		return appendDecimalMag(dst, false, lo, scale)
	case hi == -1 && lo != 0:
		return appendDecimalMag(dst, true, -lo, scale)
	}
	return appendDecimalBig(dst, n.BigInt(), scale)
}

func appendDecimal256(dst []byte, n decimal256.Num, scale int32) []byte {
	w := n.Array()
	switch {
	case w[1] == 0 && w[2] == 0 && w[3] == 0:
		return appendDecimalMag(dst, false, w[0], scale)
	case w[1] == math.MaxUint64 && w[2] == math.MaxUint64 && w[3] == math.MaxUint64 && w[0] != 0:
		return appendDecimalMag(dst, true, -w[0], scale)
	}
	return appendDecimalBig(dst, n.BigInt(), scale)
}

// stringAppender renders the strings of an offsets/data pair (String and
// LargeString arrays) straight from Arrow's buffers.
func stringAppender[O int32 | int64](offsets []O, data []byte, m mode) appender {
	switch m {
	case modeJSON:
		return func(dst []byte, i int) []byte {
			return appendJSONString(dst, data[offsets[i]:offsets[i+1]])
		}
	case modeCSV:
		return func(dst []byte, i int) []byte {
			return appendCSVField(dst, data[offsets[i]:offsets[i+1]])
		}
	}
	return func(dst []byte, i int) []byte {
		return appendValidUTF8(dst, data[offsets[i]:offsets[i+1]])
	}
}

// binaryAppender renders bytes as base64; in CSV, no bytes as "" (which
// is not NULL).
func binaryAppender(get func(int) []byte, m mode) appender {
	enc := base64.StdEncoding
	switch m {
	case modeJSON:
		return func(dst []byte, i int) []byte {
			dst = append(dst, '"')
			dst = enc.AppendEncode(dst, get(i))
			return append(dst, '"')
		}
	case modeCSV:
		return func(dst []byte, i int) []byte {
			if b := get(i); len(b) > 0 {
				return enc.AppendEncode(dst, b)
			}
			return append(dst, '"', '"')
		}
	}
	return func(dst []byte, i int) []byte { return enc.AppendEncode(dst, get(i)) }
}

// textAppender renders text obtained per value (view arrays, ValueStr).
func textAppender(get func(int) string, m mode) appender {
	switch m {
	case modeJSON:
		return func(dst []byte, i int) []byte { return appendJSONString(dst, get(i)) }
	case modeCSV:
		return func(dst []byte, i int) []byte { return appendCSVField(dst, get(i)) }
	}
	return func(dst []byte, i int) []byte { return appendValidUTF8(dst, get(i)) }
}

// date32Appender remembers the last date it wrote: real columns repeat
// dates, and a copy is cheaper than the calendar arithmetic.
func date32Appender(v []arrow.Date32) appender {
	last := int64(math.MinInt64)
	var text []byte
	return func(dst []byte, i int) []byte {
		d := int64(v[i])
		if d != last {
			last, text = d, appendDate(text[:0], d)
		}
		return append(dst, text...)
	}
}

// unitScale returns the number of units per second and the digits of a
// fraction of a second in unit.
func unitScale(unit arrow.TimeUnit) (per int64, width int) {
	switch unit {
	case arrow.Millisecond:
		return 1e3, 3
	case arrow.Microsecond:
		return 1e6, 6
	case arrow.Nanosecond:
		return 1e9, 9
	}
	return 1, 0
}

func timestampAppender(v []arrow.Timestamp, unit arrow.TimeUnit, utc bool) appender {
	per, width := unitScale(unit)
	// Cache the date part, as date32Appender does.
	lastDay := int64(math.MinInt64)
	var day []byte
	return func(dst []byte, i int) []byte {
		sec, frac := floorDivMod(int64(v[i]), per)
		d, sod := floorDivMod(sec, 86400)
		if d != lastDay {
			lastDay, day = d, appendDate(day[:0], d)
		}
		dst = append(dst, day...)
		dst = append(dst, 'T')
		dst = appendClock(dst, sod, frac, width)
		if utc {
			dst = append(dst, 'Z')
		}
		return dst
	}
}

func appendTime(dst []byte, v int64, unit arrow.TimeUnit) []byte {
	per, width := unitScale(unit)
	if v < 0 { // not a valid time of day; keep the sign visible
		dst = append(dst, '-')
		v = -v
	}
	return appendClock(dst, v/per, v%per, width)
}

func dictAppender(d *array.Dictionary, m mode) appender {
	vals := newAppender(d.Dictionary(), m)
	switch idx := d.Indices().(type) {
	case *array.Int8:
		return dictIndex(idx.Values(), vals)
	case *array.Int16:
		return dictIndex(idx.Values(), vals)
	case *array.Int32:
		return dictIndex(idx.Values(), vals)
	case *array.Int64:
		return dictIndex(idx.Values(), vals)
	case *array.Uint8:
		return dictIndex(idx.Values(), vals)
	case *array.Uint16:
		return dictIndex(idx.Values(), vals)
	case *array.Uint32:
		return dictIndex(idx.Values(), vals)
	case *array.Uint64:
		return dictIndex(idx.Values(), vals)
	}
	return func(dst []byte, i int) []byte { return vals(dst, d.GetValueIndex(i)) }
}

func dictIndex[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](idx []T, vals appender) appender {
	return func(dst []byte, i int) []byte { return vals(dst, int(idx[i])) }
}

// listAppender renders a list-like array (list, large list, fixed-size
// list, list views) as a JSON array.
func listAppender(a array.ListLike) appender {
	elem := newAppender(a.ListValues(), modeJSON)
	return func(dst []byte, i int) []byte {
		start, end := a.ValueOffsets(i)
		dst = append(dst, '[')
		for k := start; k < end; k++ {
			if k > start {
				dst = append(dst, ',')
			}
			dst = elem(dst, int(k))
		}
		return append(dst, ']')
	}
}

// structAppender renders a struct as a JSON object keyed by field name.
func structAppender(a *array.Struct) appender {
	st := a.DataType().(*arrow.StructType)
	n := a.NumField()
	keys := jsonKeys(st.Fields())
	fields := make([]appender, n)
	for k := range fields {
		fields[k] = newAppender(a.Field(k), modeJSON)
	}
	return func(dst []byte, i int) []byte {
		if n == 0 {
			return append(dst, '{', '}')
		}
		for k, f := range fields {
			dst = append(dst, keys[k]...)
			dst = f(dst, i)
		}
		return append(dst, '}')
	}
}

// jsonKeys returns, per field, `{"name":` for the first and `,"name":` for
// the others: the text that precedes each value in a JSON object.
func jsonKeys(fields []arrow.Field) [][]byte {
	keys := make([][]byte, len(fields))
	for k, f := range fields {
		sep := byte(',')
		if k == 0 {
			sep = '{'
		}
		key := appendJSONString([]byte{sep}, f.Name)
		keys[k] = append(key, ':')
	}
	return keys
}

// mapAppender renders a map as a JSON object whose keys are the text of the
// map's keys.
func mapAppender(a *array.Map) appender {
	keyText := newAppender(a.Keys(), modeText)
	item := newAppender(a.Items(), modeJSON)
	var scratch []byte
	return func(dst []byte, i int) []byte {
		start, end := a.ValueOffsets(i)
		dst = append(dst, '{')
		for k := start; k < end; k++ {
			if k > start {
				dst = append(dst, ',')
			}
			scratch = keyText(scratch[:0], int(k))
			dst = appendJSONString(dst, scratch)
			dst = append(dst, ':')
			dst = item(dst, int(k))
		}
		return append(dst, '}')
	}
}
