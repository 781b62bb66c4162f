//go:build duckdb_arrow

package format

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/duckdb/duckdb-go/v2"
)

// duckQuery runs each statement but the last on one DuckDB connection, then
// the last through duckdb.NewArrowFromConn, and hands its record reader to
// fn: what the engine really sends.
func duckQuery(t testing.TB, fn func(r array.RecordReader), stmts ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts[:len(stmts)-1] {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		r, err := a.QueryContext(ctx, stmts[len(stmts)-1])
		if err != nil {
			return err
		}
		defer r.Release()
		fn(r)
		return r.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// duckAllTypes has a column of each DuckDB type, and rows of ordinary
// values, NULLs and edge values, in that order.
const duckAllTypes = `
create type mood as enum ('sad', 'ok', 'happy');
create table t as
select 0 as k, 42::bigint as "bigint", 7::integer as "integer", 3::smallint as "smallint", 1::tinyint as "tinyint",
  8::ubigint as "ubigint", 9::uinteger as "uinteger", 10::usmallint as "usmallint", 11::utinyint as "utinyint",
  123456789012345678901234567890::hugeint as "hugeint", 5::uhugeint as "uhugeint",
  2.5::double as "double", 0.1::float as "float", 1234.5::decimal(18,3) as "decimal18", 1.5::decimal(4,1) as "decimal4",
  '12345678901234567890.0123456789'::decimal(38,10) as "decimal38",
  'Zürich, "CH"' as "varchar", '00000000-0000-0000-0000-000000000001'::uuid as "uuid", true as "boolean",
  date '2024-02-29' as "date", timestamp '2024-02-29 13:14:15.123456' as "timestamp",
  timestamptz '2024-02-29 13:14:15+02' as "timestamptz", timestamp_s '2024-02-29 13:14:15' as "timestamp_s",
  timestamp_ms '2024-02-29 13:14:15.5' as "timestamp_ms", timestamp_ns '2024-02-29 13:14:15.000000001' as "timestamp_ns",
  time '13:14:15.25' as "time", interval '1 year 2 months 3 days 04:05:06.5' as "interval", 'ab,c'::blob as "blob",
  'happy'::mood as "enum", [1, 2, null] as "list", {'a': 1, 'b': 'x'} as "struct", map {'k': 1.5} as "map",
  [1.5, 2.5]::double[2] as "array", '{"j": [1]}'::json as "json", union_value(n := 2)::union(n integer, s varchar) as "union",
  [{'x': [1]}] as "nested"
union all
select 1, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null
union all
select 2, -9223372036854775808, -2147483648, -32768, -128, 18446744073709551615, 4294967295, 65535, 255,
  '-170141183460469231731687303715884105728'::hugeint, 0, 'nan'::double, '-inf'::float, -0.001, -999.9,
  -0.0000000001, 'tab' || chr(9) || 'new' || chr(10) || 'line \ ' || chr(1) || ' 😀', 'ffffffff-ffff-ffff-ffff-ffffffffffff', false, date '0001-01-01', timestamp '1969-12-31 23:59:59.999999',
  timestamptz '1970-01-01 00:00:00+00', timestamp_s '1900-01-01 00:00:00', timestamp_ms '9999-12-31 23:59:59.999',
  timestamp_ns '2262-04-11 23:47:16.854775', time '00:00:00', -interval '1 month 1 day 00:00:01.5', ''::blob,
  'sad', [], {'a': null, 'b': ''}, map {}, [null, -0.0]::double[2], '[]'::json, union_value(s := 'x,y')::union(n integer, s varchar),
  [];
select * exclude (k) from t order by k`

func TestDuckDBGolden(t *testing.T) {
	var schema *arrow.Schema
	var recs []arrow.RecordBatch
	duckQuery(t, func(r array.RecordReader) {
		schema = r.Schema()
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
	}, splitSQL(duckAllTypes)...)
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	t.Logf("DuckDB sends:\n%s", schema)
	for _, f := range []Format{JSON, NDJSON, CSV} {
		t.Run(f.Name, func(t *testing.T) {
			golden(t, "duckdb"+f.Ext, encode(t, f, schema, recs...))
		})
	}

	out := encode(t, JSON, schema, recs...)
	var rows []map[string]any
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	if err := d.Decode(&rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for name, want := range map[string]string{
		"bigint": "42", "hugeint": "123456789012345678901234567890", "double": "2.5", "float": "0.1",
		"decimal18": "1234.500", "decimal38": "12345678901234567890.0123456789", "varchar": `Zürich, "CH"`,
		"uuid": "00000000-0000-0000-0000-000000000001", "date": "2024-02-29", "timestamp": "2024-02-29T13:14:15.123456",
		"timestamptz": "2024-02-29T11:14:15Z", "timestamp_s": "2024-02-29T13:14:15", "timestamp_ms": "2024-02-29T13:14:15.5",
		"timestamp_ns": "2024-02-29T13:14:15.000000001", "time": "13:14:15.25", "interval": "P1Y2M3DT4H5M6.5S",
		"blob": "YWIsYw==", "enum": "happy", "union": "2",
	} {
		if got := text(rows[0][name]); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{
		"bigint": "-9223372036854775808", "hugeint": "-170141183460469231731687303715884105728", "ubigint": "18446744073709551615",
		"double": "<nil>", "float": "<nil>", "decimal38": "-0.0000000001", "varchar": "tab\tnew\nline \\ \x01 😀",
		"date": "0001-01-01", "timestamp": "1969-12-31T23:59:59.999999", "timestamptz": "1970-01-01T00:00:00Z",
		"timestamp_ms": "9999-12-31T23:59:59.999", "interval": "P-1M-1DT-1.5S", "blob": "", "union": "x,y",
	} {
		if got := text(rows[2][name]); got != want {
			t.Errorf("edge %s: %q, want %q", name, got, want)
		}
	}
	for name, v := range rows[1] {
		if v != nil {
			t.Errorf("null row: %s = %v", name, v)
		}
	}

	records, err := csv.NewReader(bytes.NewReader(encode(t, CSV, schema, recs...))).ReadAll()
	if err != nil || len(records) != 4 {
		t.Fatalf("CSV: %d records, %v", len(records), err)
	}
	col := func(name string) int { return schema.FieldIndices(name)[0] }
	for _, c := range []struct{ name, want string }{
		{"varchar", `Zürich, "CH"`}, {"list", "[1,2,null]"}, {"struct", `{"a":1,"b":"x"}`}, {"map", `{"k":1.5}`},
		{"array", "[1.5,2.5]"}, {"nested", `[{"x":[1]}]`}, {"json", `{"j": [1]}`}, {"blob", "YWIsYw=="},
	} {
		if got := records[1][col(c.name)]; got != c.want {
			t.Errorf("CSV %s: %q, want %q", c.name, got, c.want)
		}
	}

	// Arrow IPC: the batches read back equal what DuckDB sent.
	out = encode(t, Arrow, schema, recs...)
	r, err := ipc.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	k := 0
	for r.Next() {
		if !array.RecordApproxEqual(r.RecordBatch(), recs[k], array.WithNaNsEqual(true)) {
			t.Errorf("batch %d differs", k)
		}
		k++
	}
	if r.Err() != nil || k != len(recs) {
		t.Errorf("%d batches of %d, %v", k, len(recs), r.Err())
	}
}

// TestDuckDBSettings checks that DuckDB's other Arrow shapes (string views,
// list views, large buffers) give the same text as the defaults. (Not
// arrow_lossless_conversion: it sends UUID, HUGEINT, UBIGINT and BOOLEAN as
// DuckDB extension types that arrow-go reads as their storage, bytes; the
// engine must leave it off.)
func TestDuckDBSettings(t *testing.T) {
	stmts := splitSQL(duckAllTypes)
	want := duckJSON(t, stmts...)
	for _, set := range []string{
		"set produce_arrow_string_view = true",
		"set arrow_output_list_view = true",
		"set arrow_large_buffer_size = true",
	} {
		all := append([]string{set}, stmts...)
		got := duckJSON(t, all...)
		if !bytes.Equal(got, want) {
			t.Errorf("%s changes the output:\n%s\nwant\n%s", set, got, want)
		}
	}
}

func duckJSON(t *testing.T, stmts ...string) []byte {
	var out bytes.Buffer
	duckQuery(t, func(r array.RecordReader) {
		w, err := NewWriter(JSON, &out, r.Schema())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(w, r); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}, stmts...)
	return out.Bytes()
}

// TestDuckDBManyBatches streams a product of several batches with NULLs
// through every format and reads it back.
func TestDuckDBManyBatches(t *testing.T) {
	const q = `select range as id, 'c' || (range % 13) as code, date '2020-01-01' + (range // 100)::integer as date,
		case when range % 10 = 0 then null else range / 4 end as value, (range % 1000)::integer as count
		from range(10000) order by id`
	var arrowOut bytes.Buffer
	outs := map[string][]byte{}
	for _, f := range []Format{JSON, CSV, Arrow} {
		var out bytes.Buffer
		duckQuery(t, func(r array.RecordReader) {
			w, _ := NewWriter(f, &out, r.Schema())
			rows, err := Copy(w, r)
			if err != nil || rows != 10000 {
				t.Fatalf("%s: %d rows, %v", f, rows, err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}, q)
		outs[f.Name] = out.Bytes()
		if f == Arrow {
			arrowOut = out
		}
	}
	var rows []struct {
		ID    int64    `json:"id"`
		Code  string   `json:"code"`
		Date  string   `json:"date"`
		Value *float64 `json:"value"`
		Count int      `json:"count"`
	}
	if err := json.Unmarshal(outs["json"], &rows); err != nil || len(rows) != 10000 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for i, r := range rows {
		if r.ID != int64(i) || (i%10 == 0) != (r.Value == nil) || r.Value != nil && *r.Value != float64(i)/4 || r.Count != i%1000 {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	records, err := csv.NewReader(bytes.NewReader(outs["csv"])).ReadAll()
	if err != nil || len(records) != 10001 || records[0][2] != "date" || records[101][2] != "2020-01-02" {
		t.Fatalf("CSV: %d records, %v, %v", len(records), err, records[:2])
	}
	r, err := ipc.NewReader(&arrowOut)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		n += int(r.RecordBatch().NumRows())
	}
	if n != 10000 || r.Err() != nil {
		t.Errorf("Arrow: %d rows, %v", n, r.Err())
	}
}

// BenchmarkDuckDB measures a whole export: a 3M-row, 5-column DuckDB
// table (BIGINT, VARCHAR, DATE, DOUBLE with 1% NULLs, INTEGER) queried
// through NewArrowFromConn and written in each format. "drain" is the
// query alone, without encoding.
func BenchmarkDuckDB(b *testing.B) {
	const rows = 3_000_000
	setup := `create table p as select range as id,
		['JFK','LAX','ORD','ATL','DFW','SFO'][1 + range % 6] || '-' || chr(65 + (range % 26)::integer) as code,
		date '2020-01-01' + (range // 1000)::integer as date,
		case when range % 100 = 0 then null else random() * 1000 end as value,
		(random() * 10000)::integer as count
		from range(3000000) order by id`
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, setup); err != nil {
		b.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		for _, f := range []Format{{Name: "drain"}, CSV, JSON, NDJSON, Arrow} {
			b.Run(f.Name, func(b *testing.B) {
				var out countingDiscard
				for b.Loop() {
					out.n = 0
					r, err := a.QueryContext(ctx, "select * from p")
					if err != nil {
						b.Fatal(err)
					}
					var n int64
					if f.Name == "drain" {
						for r.Next() {
							n += r.RecordBatch().NumRows()
						}
					} else {
						w, err := NewWriter(f, &out, r.Schema())
						if err != nil {
							b.Fatal(err)
						}
						if n, err = Copy(w, r); err != nil {
							b.Fatal(err)
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
					}
					r.Release()
					if n != rows {
						b.Fatalf("%d rows", n)
					}
				}
				b.SetBytes(out.n)
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// text renders a decoded JSON value for comparison.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case json.Number:
		return string(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// splitSQL splits a script on semicolons at line ends.
func splitSQL(script string) []string {
	var out []string
	for _, s := range bytes.Split([]byte(script), []byte(";\n")) {
		if s := bytes.TrimSpace(s); len(s) > 0 {
			out = append(out, string(s))
		}
	}
	return out
}
