package query

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine/sqlq"
)

// A column kind of the random tables: its logical type, its DuckDB type and
// a small domain of SQL literals, so that values repeat.
type colKind struct {
	lt     descriptor.LogicalType
	sqlTyp string
	values []string
}

var colKinds = []colKind{
	{descriptor.Integer, "BIGINT", []string{"-2", "0", "1", "3", "9223372036854775807"}},
	{descriptor.Integer, "INTEGER", []string{"-7", "0", "5"}},
	{descriptor.Integer, "HUGEINT", []string{"-170141183460469231731687303715884105727", "0", "170141183460469231731687303715884105727"}},
	{descriptor.Number, "DOUBLE", []string{"-1.5", "0", "'-0.0'", "2.25", "0.1", "'NaN'", "'Infinity'", "'-Infinity'", "1e300"}},
	{descriptor.Number, "FLOAT", []string{"-1.5", "0.1", "3.4e38"}},
	{descriptor.Number, "DECIMAL(18,3)", []string{"1.001", "1.002", "-3", "0"}},
	{descriptor.Number, "DECIMAL(38,10)", []string{"1234567890123456789012345678.0000000001", "1234567890123456789012345678.0000000002", "0"}},
	{descriptor.String, "VARCHAR", []string{"''", "'a'", "'A'", "'b'", "'é'", "'a b'", "'z' || chr(1)", "'\"q\"'", "'ab'"}},
	{descriptor.Boolean, "BOOLEAN", []string{"true", "false"}},
	{descriptor.Date, "DATE", []string{"'2024-01-01'", "'1999-12-31'", "'2024-02-29'", "'0001-01-01'"}},
	{descriptor.Timestamp, "TIMESTAMP", []string{"'2024-01-01 00:00:00'", "'2024-01-01 00:00:00.000001'", "'2024-01-01 00:00:00.123456'", "'1970-01-01 00:00:00'"}},
	{descriptor.Timestamp, "TIMESTAMPTZ", []string{"'2024-01-01 00:00:00+00'", "'2024-01-01 01:00:00.5+02'", "'2024-06-01 12:00:00.999999+00'"}},
	{descriptor.Timestamp, "TIMESTAMP_NS", []string{"'2024-01-01 00:00:00.000000001'", "'2024-01-01 00:00:00.000000002'", "'2024-01-01 00:00:00'"}},
	{descriptor.Time, "TIME", []string{"'00:00:00'", "'12:30:00.5'", "'23:59:59.999999'"}},
	{descriptor.Object, "STRUCT(a INTEGER, b VARCHAR)", []string{"{'a': 1, 'b': 'x'}", "{'a': 2, 'b': NULL}"}},
	{descriptor.Object, "JSON", []string{`'{"k":1}'`, `'[1,2]'`}},
	{descriptor.Array, "INTEGER[]", []string{"[1, 2]", "[]", "[3]"}},
}

type randTable struct {
	schema Schema
	kinds  []colKind
	rows   [][]string // SQL literals
}

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database
	// A session zone other than UTC catches TIMESTAMPTZ mistakes.
	if _, err := db.Exec(`SET TimeZone = 'America/New_York'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func genTable(rng *rand.Rand) randTable {
	var tb randTable
	n := 1 + rng.IntN(4)
	withPK := rng.IntN(3) == 0
	if withPK {
		tb.schema.Columns = append(tb.schema.Columns, descriptor.Column{Name: "id", LogicalType: descriptor.Integer})
		tb.kinds = append(tb.kinds, colKind{descriptor.Integer, "BIGINT", nil})
		tb.schema.PrimaryKey = []string{"id"}
	}
	for i := range n {
		k := colKinds[rng.IntN(len(colKinds))]
		tb.schema.Columns = append(tb.schema.Columns, descriptor.Column{Name: fmt.Sprintf("c%d %s", i, k.lt), LogicalType: k.lt})
		tb.kinds = append(tb.kinds, k)
	}
	rows := rng.IntN(30)
	for r := range rows {
		var row []string
		if r > 0 && rng.IntN(5) == 0 { // an exact duplicate of an earlier row
			row = slices.Clone(tb.rows[rng.IntN(len(tb.rows))])
		} else {
			for _, k := range tb.kinds {
				if k.values == nil {
					row = append(row, "0")
				} else if rng.IntN(4) == 0 {
					row = append(row, "NULL")
				} else {
					row = append(row, k.values[rng.IntN(len(k.values))])
				}
			}
		}
		if withPK {
			row[0] = fmt.Sprint(r)
		}
		tb.rows = append(tb.rows, row)
	}
	return tb
}

func (tb randTable) create(t testing.TB, db *sql.DB, name string) {
	t.Helper()
	var cols []string
	for i, c := range tb.schema.Columns {
		cols = append(cols, sqlq.Ident(c.Name)+" "+tb.kinds[i].sqlTyp)
	}
	mustExec(t, db, "CREATE OR REPLACE TABLE "+sqlq.Ident(name)+" ("+strings.Join(cols, ", ")+")")
	tb.insert(t, db, name, tb.rows)
}

func (tb randTable) insert(t testing.TB, db *sql.DB, name string, rows [][]string) {
	t.Helper()
	for _, r := range rows {
		mustExec(t, db, "INSERT INTO "+sqlq.Ident(name)+" VALUES ("+strings.Join(r, ", ")+")")
	}
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryRows runs a request's statement and returns its rows.
func queryRows(t testing.TB, db *sql.DB, r *Request, rel string) [][]any {
	t.Helper()
	q, args := r.SQL(rel)
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	defer rows.Close()
	n := len(r.Columns())
	var out [][]any
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func show(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		if x == 0 { // -0 and 0 are equal in SQL: their order is not defined
			x = 0
		}
		return fmt.Sprintf("float64:%v", x)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

func showRow(row []any, idx []int) string {
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(show(row[i]))
		b.WriteString(" | ")
	}
	return b.String()
}

// randParams draws select, order, limit and maybe a filter over the table.
func randParams(rng *rand.Rand, s Schema) url.Values {
	v := url.Values{}
	var orderable []string
	for _, c := range s.Columns {
		if c.LogicalType != descriptor.Object && c.LogicalType != descriptor.Array {
			orderable = append(orderable, c.Name)
		}
	}
	rng.Shuffle(len(orderable), func(i, j int) { orderable[i], orderable[j] = orderable[j], orderable[i] })
	if n := rng.IntN(len(orderable) + 1); n > 0 {
		var terms []string
		for _, c := range orderable[:n] {
			term := c
			switch rng.IntN(3) {
			case 1:
				term += ".desc"
			case 2:
				term += ".asc"
			}
			switch rng.IntN(3) {
			case 1:
				term += ".nullsfirst"
			case 2:
				term += ".nullslast"
			}
			terms = append(terms, term)
		}
		v.Set("order", strings.Join(terms, ","))
	}
	if rng.IntN(2) == 0 {
		var sel []string
		for _, c := range s.Columns {
			if rng.IntN(2) == 0 {
				sel = append(sel, c.Name)
			}
		}
		if len(sel) > 0 {
			v.Set("select", strings.Join(sel, ","))
		}
	}
	if len(orderable) > 0 && rng.IntN(3) == 0 {
		c := orderable[0]
		if rng.IntN(2) == 0 {
			v.Set(c, "not.is.null")
		} else {
			v.Set(c, "is.null")
		}
	}
	v.Set("limit", fmt.Sprint(1+rng.IntN(6)))
	return v
}

// pageAll walks every page of a request and returns the rows and the
// number of pages.
func pageAll(t testing.TB, db *sql.DB, rel string, params url.Values, s Schema, o Options, maxPages int) ([][]any, int) {
	t.Helper()
	var all [][]any
	p := cloneValues(params)
	for pages := 1; ; pages++ {
		if pages > maxPages {
			t.Fatalf("more than %d pages", maxPages)
		}
		r, err := Parse(p, s, o)
		if err != nil {
			t.Fatalf("Parse(%v): %v", p, err)
		}
		rows := queryRows(t, db, r, rel)
		pg := r.Page()
		for _, row := range rows {
			if err := pg.Add(row); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, rows...)
		next, err := pg.Next()
		if err != nil {
			t.Fatal(err)
		}
		if next == "" {
			return all, pages
		}
		p.Set("cursor", next)
	}
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// reference is every row of the paged request in key order, in one go.
func reference(t testing.TB, db *sql.DB, rel string, params url.Values, s Schema, o Options) (*Request, [][]any) {
	t.Helper()
	r, err := Parse(params, s, o)
	if err != nil {
		t.Fatalf("Parse(%v): %v", params, err)
	}
	full := *r
	full.Limit = 0
	return r, queryRows(t, db, &full, rel)
}

func keyIdx(r *Request) []int {
	cols := r.Columns()
	var idx []int
	for _, k := range r.KeyColumns() {
		idx = append(idx, slices.Index(cols, k))
	}
	return idx
}

func allIdx(r *Request) []int {
	idx := make([]int, len(r.Columns()))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func TestPagingDuckDB(t *testing.T) {
	db := openDB(t)
	o := Options{Secret: []byte("test secret"), Scope: "test/t@1"}
	iterations := 400
	if testing.Short() {
		iterations = 50
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	for it := range iterations {
		rng := rand.New(rand.NewPCG(seed, uint64(it)))
		tb := genTable(rng)
		tb.create(t, db, "t")
		params := randParams(rng, tb.schema)
		r, want := reference(t, db, `"t"`, params, tb.schema, o)
		got, pages := pageAll(t, db, `"t"`, params, tb.schema, o, len(tb.rows)+2)
		fail := func(format string, args ...any) {
			t.Helper()
			var sb strings.Builder
			for _, row := range tb.rows {
				sb.WriteString(strings.Join(row, ", ") + "\n")
			}
			q, _ := r.SQL(`"t"`)
			t.Fatalf("seed %d iteration %d, params %v, schema %v\n%s\nrows:\n%s\n%s", seed, it, params, tb.schema, q, sb.String(), fmt.Sprintf(format, args...))
		}
		if len(got) != len(want) {
			fail("paging gave %d rows in %d pages, want %d", len(got), pages, len(want))
		}
		if r.Limit > 0 && len(want) > 0 && pages != (len(want)+r.Limit)/r.Limit && pages != (len(want)+r.Limit-1)/r.Limit {
			fail("%d pages for %d rows of limit %d", pages, len(want), r.Limit)
		}
		ki := keyIdx(r)
		for i := range want {
			if a, b := showRow(got[i], ki), showRow(want[i], ki); a != b {
				fail("row %d: key %s, want %s", i, a, b)
			}
		}
		ai := allIdx(r)
		var gs, ws []string
		for i := range want {
			gs, ws = append(gs, showRow(got[i], ai)), append(ws, showRow(want[i], ai))
		}
		slices.Sort(gs)
		slices.Sort(ws)
		if !slices.Equal(gs, ws) {
			fail("rows differ as multisets:\n got %q\nwant %q", gs, ws)
		}
	}
}

// TestPagingStableUnderInsertBefore pages once, inserts rows that sort
// before the cursor, and checks that the following pages are exactly the
// rows that were left.
func TestPagingStableUnderInsertBefore(t *testing.T) {
	db := openDB(t)
	o := Options{Secret: []byte("k")}
	cases := []struct {
		name   string
		pk     []string
		order  string
		before string // rows that sort before any existing row
	}{
		{"pk asc", []string{"id"}, "g", "(100, -1, 'x'), (101, -1, NULL)"},
		{"pk desc", []string{"id"}, "g.desc", "(100, 99, 'x'), (101, 99, NULL)"},
		{"no pk duplicates asc", nil, "g", "(1, -1, 'a'), (1, -1, 'a'), (0, -5, NULL)"},
		{"no pk duplicates desc nullsfirst", nil, "g.desc.nullsfirst", "(1, NULL, 'a'), (1, NULL, 'a')"},
		{"no pk no order", nil, "", "(-1, -1, NULL), (-1, 0, 'a')"},
		{"no pk ties on whole key", nil, "s.desc", "(9, 9, 'zz')"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Schema{Columns: []descriptor.Column{
				{Name: "id", LogicalType: descriptor.Integer},
				{Name: "g", LogicalType: descriptor.Integer},
				{Name: "s", LogicalType: descriptor.String},
			}, PrimaryKey: tc.pk}
			mustExec(t, db, `CREATE OR REPLACE TABLE t (id BIGINT, g BIGINT, s VARCHAR)`)
			if tc.pk != nil {
				mustExec(t, db, `INSERT INTO t SELECT i, i % 3, CASE WHEN i % 4 = 0 THEN NULL ELSE 'v' || (i % 2) END FROM range(20) r(i)`)
			} else {
				// Many rows identical on every column.
				mustExec(t, db, `INSERT INTO t SELECT i % 2, i % 3, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' END FROM range(24) r(i)`)
			}
			params := url.Values{"limit": {"5"}}
			if tc.order != "" {
				params.Set("order", tc.order)
			}
			_, want := reference(t, db, `"t"`, params, s, o)

			r, err := Parse(params, s, o)
			if err != nil {
				t.Fatal(err)
			}
			first := queryRows(t, db, r, `"t"`)
			pg := r.Page()
			for _, row := range first {
				if err := pg.Add(row); err != nil {
					t.Fatal(err)
				}
			}
			next, err := pg.Next()
			if err != nil || next == "" {
				t.Fatalf("Next: %q, %v", next, err)
			}
			mustExec(t, db, `INSERT INTO t VALUES `+tc.before)
			rest := cloneValues(params)
			rest.Set("cursor", next)
			got, _ := pageAll(t, db, `"t"`, rest, s, o, 30)
			got = append(first, got...)
			if len(got) != len(want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if a, b := showRow(got[i], allIdx(r)), showRow(want[i], allIdx(r)); a != b {
					t.Errorf("row %d: %s, want %s", i, a, b)
				}
			}
		})
	}
}

// TestFiltersDuckDB runs every operator against DuckDB, so that the
// generated SQL and the parameter types are valid there.
func TestFiltersDuckDB(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, `CREATE TABLE f (i INTEGER, n DECIMAL(18,3), d DOUBLE, s VARCHAR, b BOOLEAN, dt DATE, ts TIMESTAMP, tz TIMESTAMPTZ, tm TIME, o STRUCT(a INTEGER))`)
	mustExec(t, db, `INSERT INTO f VALUES
		(1, 1.234, 0.5, 'alpha', true, '2024-01-01', '2024-01-01 10:00:00.123456', '2024-01-01 10:00:00+00', '10:00:00', {'a': 1}),
		(2, 2.000, 1.5, 'Beta,x', false, '2024-02-01', '2024-02-01 00:00:00', '2024-02-01 00:00:00+00', '12:30:00.5', {'a': 2}),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	s := Schema{Columns: []descriptor.Column{
		{Name: "i", LogicalType: descriptor.Integer}, {Name: "n", LogicalType: descriptor.Number},
		{Name: "d", LogicalType: descriptor.Number}, {Name: "s", LogicalType: descriptor.String},
		{Name: "b", LogicalType: descriptor.Boolean}, {Name: "dt", LogicalType: descriptor.Date},
		{Name: "ts", LogicalType: descriptor.Timestamp}, {Name: "tz", LogicalType: descriptor.Timestamp},
		{Name: "tm", LogicalType: descriptor.Time}, {Name: "o", LogicalType: descriptor.Object},
	}}
	cases := []struct {
		query string
		ids   []int64
	}{
		{"i=eq.2", []int64{2}},
		{"i=neq.2", []int64{1, 3}},
		{"i=not.eq.2", []int64{1, 3}},
		{"i=gt.1&i=lt.3", []int64{2}},
		{"i=gte.5000000000", nil},
		{"i=lt.5000000000", []int64{1, 2, 3}},
		{"i=in.(1,3)", []int64{1, 3}},
		{"i=not.in.(1,3)", []int64{2}},
		{"n=eq.1.234", []int64{1}},
		{"n=gt.1.2345", []int64{2}},
		{"n=lt.1.2345", []int64{1}},
		{"n=is.null", []int64{3}},
		{"n=not.is.null", []int64{1, 2}},
		{"d=gte.1e0", []int64{2}},
		{"s=like.al*", []int64{1}},
		{"s=ilike.b%25", []int64{2}},
		{"s=not.like.a*", []int64{2}},
		{`s=in.("Beta,x",alpha)`, []int64{1, 2}},
		{"b=is.true", []int64{1}},
		{"b=is.false", []int64{2}},
		{"b=not.is.true", []int64{2, 3}},
		{"b=eq.false", []int64{2}},
		{"dt=gte.2024-01-15", []int64{2}},
		{"dt=in.(2024-01-01,2024-03-01)", []int64{1}},
		{"ts=eq.2024-01-01T10:00:00.123456Z", []int64{1}},
		{"ts=eq.2024-01-01 10:00:00.123456", []int64{1}},
		{"ts=eq.2024-01-01T12:00:00.123456%2B02:00", []int64{1}},
		{"ts=eq.2024-01-01T12:00:00.123456+02:00", []int64{1}}, // '+' decoded as a space
		{"ts=lt.2024-01-02", []int64{1}},
		{"tz=eq.2024-01-01T11:00:00%2B01:00", []int64{1}},
		{"tz=gt.2024-01-15 00:00:00", []int64{2}},
		{"tm=gt.11:00:00", []int64{2}},
		{"tm=eq.12:30:00.5", []int64{2}},
	}
	for _, tc := range cases {
		vals, err := url.ParseQuery(tc.query + "&select=i&order=i")
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(vals, s, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		var ids []int64
		for _, row := range queryRows(t, db, r, `"f"`) {
			ids = append(ids, int64(row[0].(int32)))
		}
		if !slices.Equal(ids, tc.ids) {
			q, args := r.SQL(`"f"`)
			t.Errorf("%s: ids %v, want %v\n%s %v", tc.query, ids, tc.ids, q, args)
		}
	}
}
