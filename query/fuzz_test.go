package query

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/problem"
)

// fuzzDB is an in-memory DuckDB holding a table "p" of the delays schema.
func fuzzDB(t testing.TB) *sql.DB {
	db := openDB(t)
	mustExec(t, db, `CREATE TABLE p (airport VARCHAR, state VARCHAR, month DATE, avg_delay DOUBLE, p95_delay DECIMAL(10,2),
		flights INTEGER, ok BOOLEAN, "at" TIMESTAMPTZ, t TIME, tags INTEGER[], meta STRUCT(a INTEGER))`)
	mustExec(t, db, `INSERT INTO p VALUES
		('SFO', 'CA', '2024-01-01', 12.5, 30.25, 100, true, '2024-01-01 10:00:00.5+00', '10:00:00', [1], {'a': 1}),
		('SFO', 'CA', '2024-02-01', 'NaN', NULL, 90, NULL, NULL, NULL, NULL, NULL),
		('LAX', NULL, '2024-01-01', -1.5, 3, NULL, false, '1970-01-01 00:00:00+00', '23:59:59.999999', [], {'a': NULL}),
		('JFK', 'NY', NULL, NULL, 0, 7, true, '2024-06-01 00:00:00+00', '00:00:00', [2, 3], {'a': 2}),
		('', 'N,Y', '2024-01-01', 0, 0, 7, true, '2024-06-01 00:00:00+00', '00:00:00', [2, 3], {'a': 2})`)
	return db
}

var parseSeeds = []string{
	"",
	"select=airport,flights&flights=gte.100&order=flights.desc",
	`select=airport&avg_delay=gt.1.5&state=in.(CA,"N,Y")&airport=not.like.S*&ok=is.true&at=gte.2024-01-01 10:00:00&t=lt.12:00:00`,
	"select=airport&flights=gt.1&flights=lt.5&state=not.is.null&ok=not.is.false&month=neq.2024-01-01&airport=ilike.*x*",
	"limit=2",
	"limit=1&order=state.nullsfirst,flights.desc",
	"limit=3&order=at.desc&select=t",
	"p95_delay=not.in.(1,2.5)&avg_delay=lte.-1e-3",
	"month=eq.2024-13-01",
	"airport=in.(a,b",
	`airport=in.("a\"b",c)`,
	"at=gt.2024-01-01T10:00:00+02:00&limit=1",
	"cursor=abc",
	"limit=10001",
	"order=meta",
	"tags=eq.1",
	"airport=eq.%00&state=like.%00*",
	"at=gt.0000-01-01T00:00:00%2B23:59&month=gte.0000-01-01&t=eq.23:59:59.999999999",
	"avg_delay=eq.1e-400&p95_delay=lt.1e300&p95_delay=in.(1e308,-1e308)",
	"flights=eq.9223372036854775807&flights=in.(-9223372036854775808,1)",
	"at=lt.9999-12-31T23:59:59.999999999-23:59&limit=1&order=at,t.desc,p95_delay.nullsfirst",
}

// FuzzParse checks that any query string is either a 400 problem or a
// statement with one argument per placeholder that DuckDB runs, and that
// the cursor of a full page is accepted for the next one.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	db := fuzzDB(f)
	o := Options{Secret: []byte("fuzz"), Scope: "fuzz", MaxLimit: 20}
	f.Fuzz(func(t *testing.T, q string) {
		values, _ := url.ParseQuery(q)
		r, err := Parse(values, delays, o)
		if err != nil {
			var p *problem.Error
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || !values.Has(p.Param) || p.Detail == "" || p.Allowed == "" {
				t.Fatalf("%q: error %#v, want a 400 problem naming the parameter", q, err)
			}
			return
		}
		query, args := r.SQL(`"p"`)
		if n := strings.Count(query, "?"); n != len(args) {
			t.Fatalf("%q: %d placeholders, %d args: %s", q, n, len(args), query)
		}
		for _, a := range args {
			switch a.(type) {
			case int64, float64, bool, string, time.Time:
			default:
				t.Fatalf("%q: argument %#v of type %T", q, a, a)
			}
		}
		rows := queryRows(t, db, r, `"p"`)
		if r.Limit == 0 {
			return
		}
		pg := r.Page()
		for _, row := range rows {
			if err := pg.Add(row); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
		next, err := pg.Next()
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if next == "" {
			return
		}
		values.Set("cursor", next)
		r2, err := Parse(values, delays, o)
		if err != nil {
			t.Fatalf("%q: the next page's cursor is refused: %v", q, err)
		}
		queryRows(t, db, r2, `"p"`)
	})
}

// FuzzCursor checks that any cursor text is a 400 problem about the cursor
// unless it is valid. With sign set, data is taken as a payload and signed,
// so that the fuzzer explores the decoder behind the tag.
func FuzzCursor(f *testing.F) {
	base := url.Values{"limit": {"2"}, "order": {"flights.desc"}}
	r, err := Parse(base, delays, testOpts)
	if err != nil {
		f.Fatal(err)
	}
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, key := range [][]any{
		{int64(5), "SFO", jan},
		{nil, "", nil},
		{int64(-1), "\x00é\n", "0001-01-01"},
	} {
		c, err := r.NextCursor(key, 2)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(c), false)
		raw, _ := base64.RawURLEncoding.DecodeString(c)
		f.Add(raw[:len(raw)-tagSize], true)
	}
	f.Add([]byte(""), false)
	f.Add([]byte("AQ"), false)
	f.Add([]byte{1}, true)
	db := fuzzDB(f)
	f.Fuzz(func(t *testing.T, data []byte, sign bool) {
		cursor := string(data)
		if sign {
			cursor = base64.RawURLEncoding.EncodeToString(append(data[:len(data):len(data)], r.tag(data)...))
		}
		v := url.Values{"limit": {"2"}, "order": {"flights.desc"}, "cursor": {cursor}}
		r2, err := Parse(v, delays, testOpts)
		if err != nil {
			var p *problem.Error
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || p.Param != "cursor" || p.Detail == "" {
				t.Fatalf("%q: error %#v, want a 400 problem about the cursor", cursor, err)
			}
			return
		}
		if r2.After == nil || len(r2.After.Key) != len(r2.KeyColumns()) || r2.After.Dup < 1 {
			t.Fatalf("%q: cursor %+v", cursor, r2.After)
		}
		query, args := r2.SQL(`"p"`)
		if n := strings.Count(query, "?"); n != len(args) {
			t.Fatalf("%q: %d placeholders, %d args", cursor, n, len(args))
		}
		// A signed payload may hold values no column ever had (an integer
		// beyond the column's range): DuckDB refuses those, but only this
		// node can sign. Cursors it issued must run.
		if !sign {
			queryRows(t, db, r2, `"p"`)
		}
	})
}
