package format

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -tags duckdb_arrow ./format -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// encode writes recs in format f and returns the output.
func encode(t testing.TB, f Format, schema *arrow.Schema, recs ...arrow.RecordBatch) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(f, &out, schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// trickyStrings must all come out as valid JSON and exact CSV.
var trickyStrings = []string{
	"", "plain", `say "hi"`, `back\slash`, "tab\there", "new\nline", "cr\rlf\r\n",
	"\x00\x01\x1f\x7f", "comma, here", "emoji 😀 and é", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82",
	"ends with quote\"", "0123456789abcdef-long-enough-for-the-word-scan-😀-0123456789",
	"\"", ",", "\uFFFD",
}

// sanitized is s with invalid UTF-8 bytes replaced by U+FFFD, one per byte.
func sanitized(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// allTypes returns a record with a column of every supported type and
// three rows: ordinary values, nulls, edge values.
func allTypes(t testing.TB) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	utc := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	mapType := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)
	structType := arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: `y "q"`, Type: arrow.BinaryTypes.String, Nullable: true})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	fields := []arrow.Field{
		{Name: "bool", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "int8", Type: arrow.PrimitiveTypes.Int8},
		{Name: "int16", Type: arrow.PrimitiveTypes.Int16},
		{Name: "int32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "int64", Type: arrow.PrimitiveTypes.Int64},
		{Name: "uint8", Type: arrow.PrimitiveTypes.Uint8},
		{Name: "uint16", Type: arrow.PrimitiveTypes.Uint16},
		{Name: "uint32", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "uint64", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "float32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "float64", Type: arrow.PrimitiveTypes.Float64},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "hugeint", Type: &arrow.Decimal128Type{Precision: 38, Scale: 0}},
		{Name: "dec256", Type: &arrow.Decimal256Type{Precision: 60, Scale: 5}},
		{Name: "string", Type: arrow.BinaryTypes.String},
		{Name: "large_string", Type: arrow.BinaryTypes.LargeString},
		{Name: "string_view", Type: arrow.BinaryTypes.StringView},
		{Name: "binary", Type: arrow.BinaryTypes.Binary},
		{Name: "date32", Type: arrow.FixedWidthTypes.Date32},
		{Name: "date64", Type: arrow.FixedWidthTypes.Date64},
		{Name: "ts_s", Type: &arrow.TimestampType{Unit: arrow.Second}},
		{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "ts_us", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "ts_utc", Type: utc},
		{Name: "time32", Type: arrow.FixedWidthTypes.Time32ms},
		{Name: "time64", Type: arrow.FixedWidthTypes.Time64us},
		{Name: "duration", Type: arrow.FixedWidthTypes.Duration_ms},
		{Name: "interval", Type: arrow.FixedWidthTypes.MonthDayNanoInterval},
		{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
		{Name: "large_list", Type: arrow.LargeListOf(arrow.BinaryTypes.String)},
		{Name: "fixed_list", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float64)},
		{Name: "struct", Type: structType},
		{Name: "map", Type: mapType},
		{Name: "dict", Type: dictType},
		{Name: "with, comma", Type: arrow.PrimitiveTypes.Int32},
	}
	for k := range fields {
		fields[k].Nullable = true
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()

	big1, _ := new(big.Int).SetString("170141183460469231731687303715884105727", 10)
	big2, _ := new(big.Int).SetString("-12345678901234567890123456789012345678901234567890123456789", 10)
	const day = 19723 // 2024-01-01
	for row := 0; row < 3; row++ {
		if row == 1 {
			for k := range fields {
				b.Field(k).AppendNull()
			}
			continue
		}
		edge := row == 2
		pick := func(normal, e any) any {
			if edge {
				return e
			}
			return normal
		}
		b.Field(0).(*array.BooleanBuilder).Append(!edge)
		b.Field(1).(*array.Int8Builder).Append(pick(int8(1), int8(math.MinInt8)).(int8))
		b.Field(2).(*array.Int16Builder).Append(pick(int16(2), int16(math.MinInt16)).(int16))
		b.Field(3).(*array.Int32Builder).Append(pick(int32(3), int32(math.MinInt32)).(int32))
		b.Field(4).(*array.Int64Builder).Append(pick(int64(4), int64(math.MinInt64)).(int64))
		b.Field(5).(*array.Uint8Builder).Append(pick(uint8(5), uint8(math.MaxUint8)).(uint8))
		b.Field(6).(*array.Uint16Builder).Append(pick(uint16(6), uint16(math.MaxUint16)).(uint16))
		b.Field(7).(*array.Uint32Builder).Append(pick(uint32(7), uint32(math.MaxUint32)).(uint32))
		b.Field(8).(*array.Uint64Builder).Append(pick(uint64(8), uint64(math.MaxUint64)).(uint64))
		b.Field(9).(*array.Float32Builder).Append(pick(float32(0.1), float32(math.Inf(1))).(float32))
		b.Field(10).(*array.Float64Builder).Append(pick(0.1, math.NaN()).(float64))
		b.Field(11).(*array.Decimal128Builder).Append(pick(decimal128.FromI64(150), decimal128.FromI64(-5)).(decimal128.Num))
		b.Field(12).(*array.Decimal128Builder).Append(pick(decimal128.FromBigInt(big1), decimal128.FromI64(math.MinInt64)).(decimal128.Num))
		b.Field(13).(*array.Decimal256Builder).Append(pick(decimal256.FromI64(123456), decimal256.FromBigInt(big2)).(decimal256.Num))
		b.Field(14).(*array.StringBuilder).Append(pick("hello", `say "hi", \ `+"\n\t\x01 😀 \xff").(string))
		b.Field(15).(*array.LargeStringBuilder).Append(pick("large", "").(string))
		b.Field(16).(*array.StringViewBuilder).Append(pick("a view", "a longer view string, more than 12 bytes").(string))
		b.Field(17).(*array.BinaryBuilder).Append(pick([]byte("ab"), []byte{0, 0xff, ','}).([]byte))
		b.Field(18).(*array.Date32Builder).Append(arrow.Date32(pick(int32(day+30), int32(-719528-1)).(int32))) // 2024-01-31, -0001-12-31
		b.Field(19).(*array.Date64Builder).Append(arrow.Date64(pick(int64(day)*86400000, int64(-1)).(int64)))  // 2024-01-01, 1969-12-31
		b.Field(20).(*array.TimestampBuilder).Append(arrow.Timestamp(pick(int64(day)*86400+3723, int64(-1)).(int64)))
		b.Field(21).(*array.TimestampBuilder).Append(arrow.Timestamp(pick(int64(day)*86400000+3723120, int64(253402300800000)).(int64)))
		b.Field(22).(*array.TimestampBuilder).Append(arrow.Timestamp(pick(int64(day)*86400000000+3723000001, int64(-1)).(int64)))
		b.Field(23).(*array.TimestampBuilder).Append(arrow.Timestamp(pick(int64(day)*86400000000000+1, int64(math.MaxInt64)).(int64)))
		b.Field(24).(*array.TimestampBuilder).Append(arrow.Timestamp(pick(int64(day)*86400000000+500000, int64(0)).(int64)))
		b.Field(25).(*array.Time32Builder).Append(arrow.Time32(pick(int32(3723450), int32(0)).(int32)))
		b.Field(26).(*array.Time64Builder).Append(arrow.Time64(pick(int64(86399999999), int64(1)).(int64)))
		b.Field(27).(*array.DurationBuilder).Append(arrow.Duration(pick(int64(93784005), int64(-1500)).(int64)))
		b.Field(28).(*array.MonthDayNanoIntervalBuilder).Append(pick(
			arrow.MonthDayNanoInterval{Months: 14, Days: 3, Nanoseconds: 3723_500_000_000},
			arrow.MonthDayNanoInterval{Months: -1, Days: 2, Nanoseconds: -90_000_000_000}).(arrow.MonthDayNanoInterval))
		lb := b.Field(29).(*array.ListBuilder)
		lb.Append(true)
		if edge {
			lb.ValueBuilder().AppendNull()
		} else {
			lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2, 3}, nil)
		}
		llb := b.Field(30).(*array.LargeListBuilder)
		llb.Append(true)
		if !edge {
			llb.ValueBuilder().(*array.StringBuilder).AppendValues([]string{"a", `b"c`}, nil)
		}
		fl := b.Field(31).(*array.FixedSizeListBuilder)
		fl.Append(true)
		fl.ValueBuilder().(*array.Float64Builder).AppendValues(pick([]float64{1.5, -2}, []float64{math.Inf(-1), 1e21}).([]float64), nil)
		sb := b.Field(32).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(pick(int32(1), int32(-1)).(int32))
		if edge {
			sb.FieldBuilder(1).AppendNull()
		} else {
			sb.FieldBuilder(1).(*array.StringBuilder).Append("one")
		}
		mb := b.Field(33).(*array.MapBuilder)
		mb.Append(true)
		if !edge {
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"k1", `k"2`}, nil)
			mb.ItemBuilder().(*array.Int32Builder).Append(1)
			mb.ItemBuilder().AppendNull()
		}
		db := b.Field(34).(*array.BinaryDictionaryBuilder)
		if err := db.AppendString(pick("red", "blue").(string)); err != nil {
			t.Fatal(err)
		}
		b.Field(35).(*array.Int32Builder).Append(int32(row))
	}
	return b.NewRecordBatch()
}

func TestGoldenAllTypes(t *testing.T) {
	rec := allTypes(t)
	defer rec.Release()
	for _, f := range []Format{JSON, NDJSON, CSV} {
		t.Run(f.Name, func(t *testing.T) {
			golden(t, "all"+f.Ext, encode(t, f, rec.Schema(), rec))
		})
	}
}

// TestJSONRoundTrip parses the JSON and NDJSON output back and checks the
// values against what the documentation promises.
func TestJSONRoundTrip(t *testing.T) {
	rec := allTypes(t)
	defer rec.Release()
	want := []map[string]any{{
		"bool": true, "int8": 1.0, "int16": 2.0, "int32": 3.0, "int64": 4.0,
		"uint8": 5.0, "uint16": 6.0, "uint32": 7.0, "uint64": 8.0,
		"float32": 0.1, "float64": 0.1, "dec": "1.50", "hugeint": "170141183460469231731687303715884105727",
		"dec256": "1.23456", "string": "hello", "large_string": "large", "string_view": "a view",
		"binary": "YWI=", "date32": "2024-01-31", "date64": "2024-01-01",
		"ts_s": "2024-01-01T01:02:03", "ts_ms": "2024-01-01T01:02:03.12", "ts_us": "2024-01-01T01:02:03.000001",
		"ts_ns": "2024-01-01T00:00:00.000000001", "ts_utc": "2024-01-01T00:00:00.5Z",
		"time32": "01:02:03.45", "time64": "23:59:59.999999", "duration": "PT26H3M4.005S",
		"interval": "P1Y2M3DT1H2M3.5S", "list": []any{1.0, 2.0, 3.0}, "large_list": []any{"a", `b"c`},
		"fixed_list": []any{1.5, -2.0}, "struct": map[string]any{"x": 1.0, `y "q"`: "one"},
		"map": map[string]any{"k1": 1.0, `k"2`: nil}, "dict": "red", "with, comma": 0.0,
	}, {}, {
		"bool": false, "int8": -128.0, "int16": -32768.0, "int32": -2147483648.0, "int64": "-9223372036854775808",
		"uint8": 255.0, "uint16": 65535.0, "uint32": 4294967295.0, "uint64": "18446744073709551615",
		"float32": nil, "float64": nil, "dec": "-0.05", "hugeint": "-9223372036854775808",
		"dec256": "-123456789012345678901234567890123456789012345678901234.56789",
		"string": sanitized(`say "hi", \ ` + "\n\t\x01 😀 \xff"), "large_string": "",
		"string_view": "a longer view string, more than 12 bytes", "binary": "AP8s",
		"date32": "-000001-12-31", "date64": "1969-12-31", "ts_s": "1969-12-31T23:59:59",
		"ts_ms": "+010000-01-01T00:00:00", "ts_us": "1969-12-31T23:59:59.999999",
		"ts_ns": "2262-04-11T23:47:16.854775807", "ts_utc": "1970-01-01T00:00:00Z",
		"time32": "00:00:00", "time64": "00:00:00.000001", "duration": "PT-1.5S",
		"interval": "P-1M2DT-1M-30S", "list": []any{nil}, "large_list": []any{},
		"fixed_list": []any{nil, 1e21}, "struct": map[string]any{"x": -1.0, `y "q"`: nil},
		"map": map[string]any{}, "dict": "blue", "with, comma": 2.0,
	}}
	// Row 1 is all nulls.
	for _, f := range rec.Schema().Fields() {
		want[1][f.Name] = nil
	}
	// Numbers are compared as text where float64 would lose digits.
	asText := map[string]bool{"dec": true, "hugeint": true, "dec256": true, "int64": false, "uint64": false}
	check := func(t *testing.T, row int, line []byte) {
		t.Helper()
		if !json.Valid(line) {
			t.Fatalf("row %d: invalid JSON: %s", row, line)
		}
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var got map[string]any
		if err := d.Decode(&got); err != nil {
			t.Fatal(err)
		}
		for name, w := range want[row] {
			g, ok := got[name]
			if !ok {
				t.Errorf("row %d: no %q", row, name)
				continue
			}
			if n, isNum := g.(json.Number); isNum {
				if _, ws := w.(string); ws || asText[name] {
					g = string(n)
				} else {
					g, _ = n.Float64()
				}
			}
			g = normalizeNumbers(g)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("row %d %q: got %#v, want %#v", row, name, g, w)
			}
		}
		if len(got) != len(want[0]) {
			t.Errorf("row %d: %d keys, want %d", row, len(got), len(want[0]))
		}
	}
	t.Run("json", func(t *testing.T) {
		out := encode(t, JSON, rec.Schema(), rec)
		var rows []json.RawMessage
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows", len(rows))
		}
		for k, r := range rows {
			check(t, k, r)
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		out := encode(t, NDJSON, rec.Schema(), rec)
		lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
		if len(lines) != 3 {
			t.Fatalf("%d lines:\n%s", len(lines), out)
		}
		for k, l := range lines {
			check(t, k, l)
		}
	})
}

// normalizeNumbers turns json.Number inside nested values into float64.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}

func TestCSVRoundTrip(t *testing.T) {
	rec := allTypes(t)
	defer rec.Release()
	out := encode(t, CSV, rec.Schema(), rec)
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = rec.Schema().NumFields()
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(records) != 4 {
		t.Fatalf("%d records", len(records))
	}
	for k, f := range rec.Schema().Fields() {
		if records[0][k] != f.Name {
			t.Errorf("header %d: %q, want %q", k, records[0][k], f.Name)
		}
		if records[2][k] != "" {
			t.Errorf("null %s: %q, want an empty field", f.Name, records[2][k])
		}
	}
	col := func(name string) int { return rec.Schema().FieldIndices(name)[0] }
	want := map[string][2]string{
		"bool":         {"true", "false"},
		"int64":        {"4", "-9223372036854775808"},
		"float32":      {"0.1", "Infinity"},
		"float64":      {"0.1", "NaN"},
		"dec":          {"1.50", "-0.05"},
		"string":       {"hello", sanitized(`say "hi", \ ` + "\n\t\x01 😀 \xff")},
		"large_string": {"large", ""},
		"binary":       {"YWI=", "AP8s"},
		"ts_utc":       {"2024-01-01T00:00:00.5Z", "1970-01-01T00:00:00Z"},
		"list":         {"[1,2,3]", "[null]"},
		"large_list":   {`["a","b\"c"]`, "[]"},
		"fixed_list":   {"[1.5,-2]", "[null,1e+21]"},
		"struct":       {`{"x":1,"y \"q\"":"one"}`, `{"x":-1,"y \"q\"":null}`},
		"map":          {`{"k1":1,"k\"2":null}`, "{}"},
		"dict":         {"red", "blue"},
		"with, comma":  {"0", "2"},
	}
	for name, w := range want {
		if got := records[1][col(name)]; got != w[0] {
			t.Errorf("%s row 0: %q, want %q", name, got, w[0])
		}
		if got := records[3][col(name)]; got != w[1] {
			t.Errorf("%s row 2: %q, want %q", name, got, w[1])
		}
	}
	// The empty string is quoted, NULL is not: they differ in the text.
	if !bytes.Contains(out, []byte(`,"",`)) {
		t.Errorf("the empty string is not written as \"\":\n%s", out)
	}
}

func TestArrowRoundTrip(t *testing.T) {
	rec := allTypes(t)
	defer rec.Release()
	out := encode(t, Arrow, rec.Schema(), rec, rec)
	r, err := ipc.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Schema().Equal(rec.Schema()) {
		t.Fatalf("schema:\n%s\nwant\n%s", r.Schema(), rec.Schema())
	}
	n := 0
	for r.Next() {
		if !array.RecordApproxEqual(r.RecordBatch(), rec, array.WithNaNsEqual(true)) {
			t.Errorf("batch %d differs:\n%v\nwant\n%v", n, r.RecordBatch(), rec)
		}
		n++
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if n != 2 {
		t.Errorf("%d batches, want 2", n)
	}
}

// TestEmpty checks that a result with no rows is a complete document.
func TestEmpty(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b,c", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	empty := b.NewRecordBatch()
	for _, tc := range []struct {
		f    Format
		recs []arrow.RecordBatch
		want string
	}{
		{JSON, nil, "[]\n"},
		{JSON, []arrow.RecordBatch{empty}, "[]\n"},
		{NDJSON, nil, ""},
		{CSV, nil, "a,\"b,c\"\n"},
		{CSV, []arrow.RecordBatch{empty, empty}, "a,\"b,c\"\n"},
	} {
		if got := string(encode(t, tc.f, schema, tc.recs...)); got != tc.want {
			t.Errorf("%s with %d batches: %q, want %q", tc.f, len(tc.recs), got, tc.want)
		}
	}
	out := encode(t, Arrow, schema)
	r, err := ipc.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Schema().Equal(schema) || r.Next() {
		t.Errorf("empty Arrow stream: schema %v, a batch: %v", r.Schema(), r.Next())
	}
}

// TestBatches checks rows spread over batches, with sliced arrays (offsets
// not zero), and the flushing of the buffer when it fills.
func TestBatches(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	const n = 20000
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(strings.Repeat("x", i%13))
		}
	}
	full := b.NewRecordBatch()
	defer full.Release()
	var recs []arrow.RecordBatch
	for lo := int64(0); lo < n; lo += 3001 {
		recs = append(recs, full.NewSlice(lo, min(lo+3001, n)))
	}
	var out bytes.Buffer
	w, err := NewWriter(JSON, &out, schema)
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := array.NewRecordReader(schema, recs)
	rows, err := Copy(w, rr)
	if err != nil || rows != n {
		t.Fatalf("Copy: %d rows, %v", rows, err)
	}
	if out.Len() == 0 {
		t.Error("nothing flushed before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID int64   `json:"id"`
		S  *string `json:"s"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows", len(got))
	}
	for i, r := range got {
		if r.ID != int64(i) || (i%7 == 0) != (r.S == nil) || r.S != nil && *r.S != strings.Repeat("x", i%13) {
			t.Fatalf("row %d: %+v", i, r)
		}
	}

	out.Reset()
	w, _ = NewWriter(CSV, &out, schema)
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(records) != n+1 {
		t.Fatalf("%d records, %v", len(records), err)
	}
	for i, r := range records[1:] {
		want := strings.Repeat("x", i%13) // NULL and "" both read as ""
		if i%7 == 0 {
			want = ""
		}
		if r[1] != want {
			t.Fatalf("row %d: %q", i, r)
		}
	}
}

// TestStrings checks that every tricky string is valid, exact JSON and an
// exact CSV field, whether it is in a String, LargeString or StringView.
func TestStrings(t *testing.T) {
	mem := memory.NewGoAllocator()
	for _, typ := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView} {
		t.Run(typ.String(), func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: typ}}, nil)
			b := array.NewRecordBuilder(mem, schema)
			for _, s := range trickyStrings {
				b.Field(0).(array.StringLikeBuilder).Append(s)
			}
			rec := b.NewRecordBatch()
			out := encode(t, JSON, schema, rec)
			if !json.Valid(out) || !utf8.Valid(out) {
				t.Fatalf("invalid JSON:\n%q", out)
			}
			var got []struct{ S string }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			for k, s := range trickyStrings {
				if got[k].S != sanitized(s) {
					t.Errorf("JSON %q: got %q", s, got[k].S)
				}
				// encoding/json agrees on the text, but for the escapes it
				// prefers (\u003c for <, ...): check by decoding, above.
			}
			out = encode(t, CSV, schema, rec)
			if !utf8.Valid(out) {
				t.Errorf("CSV is not UTF-8: %q", out)
			}
			records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range trickyStrings {
				// encoding/csv turns \r\n inside quoted fields into \n.
				want := strings.ReplaceAll(sanitized(s), "\r\n", "\n")
				if got := records[k+1][0]; got != want {
					t.Errorf("CSV %q: got %q", s, got)
				}
			}
		})
	}
}

// TestAppendJSONString compares the escaper with encoding/json on random
// and tricky inputs: both must decode to the same string.
func TestAppendJSONString(t *testing.T) {
	inputs := append([]string{}, trickyStrings...)
	for b := 0; b < 256; b++ {
		inputs = append(inputs, string([]byte{byte(b)}), "abcdefgh"+string([]byte{byte(b)})+"ijklmnop")
	}
	for _, s := range inputs {
		out := appendJSONString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("%q -> invalid %s", s, out)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Errorf("%q: got %q, encoding/json %q", s, got, want)
		}
		if bout := appendJSONString(nil, []byte(s)); !bytes.Equal(bout, out) {
			t.Errorf("%q: []byte %s, string %s", s, bout, out)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q -> %s: %v", s, out, err)
		}
		if got != sanitized(s) {
			t.Fatalf("%q -> %q", s, got)
		}
		rec, err := csv.NewReader(bytes.NewReader(append(appendCSVField(nil, s), '\n'))).Read()
		if err != nil {
			t.Fatalf("CSV %q: %v", s, err)
		}
		if want := strings.ReplaceAll(sanitized(s), "\r\n", "\n"); len(rec) != 1 || rec[0] != want && !strings.ContainsAny(s, "\r") {
			t.Fatalf("CSV %q -> %q", s, rec)
		}
	})
}

func TestFloats(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		bits int
		want string
	}{
		{0, 64, "0"}, {math.Copysign(0, -1), 64, "-0"}, {1, 64, "1"}, {-2.5, 64, "-2.5"},
		{1234567, 64, "1234567"}, {0.1, 64, "0.1"}, {1e20, 64, "100000000000000000000"},
		{1e21, 64, "1e+21"}, {1e-7, 64, "1e-7"}, {1.5e-10, 64, "1.5e-10"}, {0.000001, 64, "0.000001"},
		{math.MaxFloat64, 64, "1.7976931348623157e+308"}, {5e-324, 64, "5e-324"},
		{float64(float32(0.1)), 32, "0.1"}, {float64(float32(3.4e38)), 32, "3.4e+38"},
		{math.NaN(), 64, "NaN"}, {math.Inf(1), 64, "Infinity"}, {math.Inf(-1), 32, "-Infinity"},
	} {
		if got := string(appendFloat(nil, tc.f, tc.bits)); got != tc.want {
			t.Errorf("%v/%d: %q, want %q", tc.f, tc.bits, got, tc.want)
		}
	}
}

func TestDecimals(t *testing.T) {
	big := func(s string) *big.Int { b, _ := new(big.Int).SetString(s, 10); return b }
	for _, tc := range []struct {
		n     decimal128.Num
		scale int32
		want  string
	}{
		{decimal128.FromI64(0), 2, "0.00"}, {decimal128.FromI64(0), -2, "0"}, {decimal128.FromI64(5), 3, "0.005"},
		{decimal128.FromI64(-5), 1, "-0.5"}, {decimal128.FromI64(12345), 2, "123.45"}, {decimal128.FromI64(-12345), 5, "-0.12345"},
		{decimal128.FromI64(12), -3, "12000"}, {decimal128.FromU64(math.MaxUint64), 0, "18446744073709551615"},
		{decimal128.FromI64(math.MinInt64), 0, "-9223372036854775808"},
		{decimal128.FromBigInt(big("-18446744073709551616")), 0, "-18446744073709551616"},
		{decimal128.FromBigInt(big("-170141183460469231731687303715884105727")), 10, "-17014118346046923173168730371.5884105727"},
		{decimal128.FromBigInt(big("99999999999999999999999999999999999999")), 38, "0.99999999999999999999999999999999999999"},
	} {
		if got := string(appendDecimal128(nil, tc.n, tc.scale)); got != tc.want {
			t.Errorf("%v scale %d: %q, want %q", tc.n.BigInt(), tc.scale, got, tc.want)
		}
		d256 := decimal256.FromBigInt(tc.n.BigInt())
		if got := string(appendDecimal256(nil, d256, tc.scale)); got != tc.want {
			t.Errorf("256: %v scale %d: %q, want %q", tc.n.BigInt(), tc.scale, got, tc.want)
		}
	}
}

// TestDates checks the calendar arithmetic against the time package over a
// wide range of days.
func TestDates(t *testing.T) {
	for d := int64(-800000); d < 3000000; d += 17 {
		got := string(appendDate(nil, d))
		tm := unixDay(d)
		want := tm.Format("2006-01-02")
		if y := tm.Year(); y < 0 || y > 9999 {
			continue // the time package writes these years its own way
		}
		if got != want {
			t.Fatalf("day %d: %s, want %s", d, got, want)
		}
	}
	for _, tc := range []struct {
		d    int64
		want string
	}{{0, "1970-01-01"}, {-719528, "0000-01-01"}, {-719529, "-000001-12-31"}, {2932897, "+010000-01-01"}} {
		if got := string(appendDate(nil, tc.d)); got != tc.want {
			t.Errorf("day %d: %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		months, days, sec, frac int64
		width                   int
		want                    string
	}{
		{0, 0, 0, 0, 0, "PT0S"}, {12, 0, 0, 0, 0, "P1Y"}, {-13, 0, 0, 0, 0, "P-1Y-1M"}, {0, 1, 0, 0, 0, "P1D"},
		{0, 0, 3600, 0, 0, "PT1H"}, {0, 0, 61, 0, 0, "PT1M1S"}, {0, 0, 0, 5, 3, "PT0.005S"},
		{0, 0, 0, -5, 3, "PT-0.005S"}, {0, 0, -3661, -100, 3, "PT-1H-1M-1.1S"}, {1, -1, 1, 0, 0, "P1M-1DT1S"},
	} {
		if got := string(appendDuration(nil, tc.months, tc.days, tc.sec, tc.frac, tc.width)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc, got, tc.want)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, err := NewWriter(Parquet, io.Discard, schema); !errors.Is(err, ErrParquet) {
		t.Errorf("parquet: %v", err)
	}
	if _, err := NewWriter(Format{Name: "xml"}, io.Discard, schema); err == nil {
		t.Error("xml: no error")
	}
	// A failing destination: the error comes back and stays.
	rec := allTypes(t)
	defer rec.Release()
	for _, f := range []Format{JSON, NDJSON, CSV, Arrow} {
		w, err := NewWriter(f, failWriter{}, rec.Schema())
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for k := 0; k < 2000 && werr == nil; k++ {
			werr = w.Write(rec)
		}
		if werr == nil {
			werr = w.Close()
		}
		if werr == nil || w.Close() == nil || w.Flush() == nil {
			t.Errorf("%s: the write error was lost", f)
		}
	}
	// A batch of another shape.
	w, _ := NewWriter(CSV, io.Discard, schema)
	if err := w.Write(rec); err == nil {
		t.Error("a batch of 36 columns went into a 1-column writer")
	}
}

func unixDay(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

// TestSlices checks that arrays with non-zero offsets (sliced batches)
// render the same rows as the whole batch: every type reads its buffers
// from the right place.
func TestSlices(t *testing.T) {
	rec := allTypes(t)
	defer rec.Release()
	for _, f := range []Format{NDJSON, CSV} {
		full := rowsOf(t, f, encode(t, f, rec.Schema(), rec))
		for lo := int64(0); lo < 3; lo++ {
			for hi := lo; hi <= 3; hi++ {
				s := rec.NewSlice(lo, hi)
				got := rowsOf(t, f, encode(t, f, s.Schema(), s))
				s.Release()
				if !reflect.DeepEqual(got, full[lo:hi]) && !(len(got) == 0 && hi == lo) {
					t.Errorf("%s rows [%d:%d]:\n%q\nwant\n%q", f, lo, hi, got, full[lo:hi])
				}
			}
		}
	}
}

// rowsOf splits NDJSON or CSV output into rows (without the CSV header).
func rowsOf(t *testing.T, f Format, out []byte) [][]string {
	if f == CSV {
		recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l != "" {
			rows = append(rows, []string{l})
		}
	}
	return rows
}

// TestMoreTypes covers the types DuckDB does not send, one value each.
func TestMoreTypes(t *testing.T) {
	mem := memory.NewGoAllocator()
	fromJSON := func(dt arrow.DataType, js string) arrow.Array {
		a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
		if err != nil {
			t.Fatalf("%s %s: %v", dt, js, err)
		}
		return a
	}
	denseUnion := arrow.DenseUnionOf([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, []arrow.UnionTypeCode{0, 1})
	reeBuilder := array.NewRunEndEncodedBuilder(mem, arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
	reeBuilder.Append(2)
	reeBuilder.ValueBuilder().(*array.StringBuilder).Append("run,a")
	reeBuilder.AppendNull()
	ree := reeBuilder.NewArray()
	for _, tc := range []struct {
		arr       arrow.Array
		json, csv string // the rows, joined by |
	}{
		{fromJSON(arrow.FixedWidthTypes.Float16, `[1.5, null, -0.25]`), `1.5|null|-0.25`, `1.5||-0.25`},
		{fromJSON(arrow.FixedWidthTypes.Time32s, `[3723, 0]`), `"01:02:03"|"00:00:00"`, `01:02:03|00:00:00`},
		{fromJSON(arrow.FixedWidthTypes.Time64ns, `[1]`), `"00:00:00.000000001"`, `00:00:00.000000001`},
		{fromJSON(arrow.FixedWidthTypes.Duration_s, `[-90061]`), `"PT-25H-1M-1S"`, `PT-25H-1M-1S`},
		{fromJSON(arrow.FixedWidthTypes.Duration_ns, `[1500000000]`), `"PT1.5S"`, `PT1.5S`},
		{fromJSON(arrow.FixedWidthTypes.MonthInterval, `[{"months": 25}]`), `"P2Y1M"`, `P2Y1M`},
		{fromJSON(arrow.FixedWidthTypes.DayTimeInterval, `[{"days": 1, "milliseconds": 1500}]`), `"P1DT1.5S"`, `P1DT1.5S`},
		{fromJSON(&arrow.Decimal32Type{Precision: 9, Scale: 3}, `["-1.250"]`), `-1.250`, `-1.250`},
		{fromJSON(&arrow.Decimal64Type{Precision: 18, Scale: 0}, `["12"]`), `12`, `12`},
		{fromJSON(arrow.BinaryTypes.LargeBinary, `["YWI="]`), `"YWI="`, `YWI=`},
		{fromJSON(arrow.BinaryTypes.BinaryView, `["YWI=", ""]`), `"YWI="|""`, `YWI=|""`},
		{fromJSON(&arrow.FixedSizeBinaryType{ByteWidth: 2}, `["YWI="]`), `"YWI="`, `YWI=`},
		{fromJSON(arrow.ListViewOf(arrow.PrimitiveTypes.Int8), `[[1, 2], [], null]`), `[1,2]|[]|null`, `"[1,2]"|[]|`},
		{fromJSON(arrow.MapOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String), `[[{"key": 1, "value": "a"}]]`), `{"1":"a"}`, `"{""1"":""a""}"`},
		{fromJSON(arrow.StructOf(), `[{}]`), `{}`, `{}`},
		{fromJSON(arrow.Null, `[null, null]`), `null|null`, `|`},
		{fromJSON(denseUnion, `[[0, 5], [1, "x"], [1, null]]`), `5|"x"|null`, `5|x|`},
		{ree, `"run,a"|"run,a"|null`, `"run,a"|"run,a"|`},
		{fromJSON(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint16, ValueType: arrow.PrimitiveTypes.Int64},
			`[3, null, 3]`), `3|null|3`, `3||3`},
		{fromJSON(arrow.PrimitiveTypes.Float32, `[16777216, 1e-7, 3.4028235e38]`), `16777216|1e-7|3.4028235e+38`, `16777216|1e-7|3.4028235e+38`},
	} {
		t.Run(tc.arr.DataType().String(), func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: tc.arr.DataType(), Nullable: true}}, nil)
			rec := array.NewRecordBatch(schema, []arrow.Array{tc.arr}, int64(tc.arr.Len()))
			var js, cs []string
			for _, l := range strings.Split(strings.TrimSpace(string(encode(t, NDJSON, schema, rec))), "\n") {
				js = append(js, strings.TrimSuffix(strings.TrimPrefix(l, `{"v":`), "}"))
			}
			cs = strings.Split(strings.TrimSuffix(string(encode(t, CSV, schema, rec)), "\n"), "\n")[1:]
			if got := strings.Join(js, "|"); got != tc.json {
				t.Errorf("JSON %s, want %s", got, tc.json)
			}
			if got := strings.Join(cs, "|"); got != tc.csv {
				t.Errorf("CSV %s, want %s", got, tc.csv)
			}
		})
	}
}
