package query

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// delays is the schema of the design's example product, plus a column of
// each remaining type.
var delays = Schema{
	Columns: []descriptor.Column{
		{Name: "airport", LogicalType: descriptor.String},
		{Name: "state", LogicalType: descriptor.String},
		{Name: "month", LogicalType: descriptor.Date},
		{Name: "avg_delay", LogicalType: descriptor.Number},
		{Name: "p95_delay", LogicalType: descriptor.Number},
		{Name: "flights", LogicalType: descriptor.Integer},
		{Name: "ok", LogicalType: descriptor.Boolean},
		{Name: "at", LogicalType: descriptor.Timestamp},
		{Name: "t", LogicalType: descriptor.Time},
		{Name: "tags", LogicalType: descriptor.Array},
		{Name: "meta", LogicalType: descriptor.Object},
	},
	PrimaryKey: []string{"airport", "month"},
}

var testOpts = Options{Secret: []byte("0123456789abcdef"), Scope: "aviation/delays-by-airport@1"}

func mustParseQuery(t testing.TB, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", q, err)
	}
	return v
}

func TestParseErrors(t *testing.T) {
	longList := "flights=in.(" + strings.Repeat("1,", MaxInList) + "1)"
	cases := []struct {
		query, param, detail string
	}{
		{"nope=eq.1", "nope", `unknown parameter "nope"`},
		{"Airport=eq.SFO", "Airport", "neither a column"},
		{"select=", "select", "is empty"},
		{"select=airport,nope", "select", `unknown column "nope"`},
		{"select=airport,airport", "select", `"airport" is named twice`},
		{"select=airport,,state", "select", "empty column name"},
		{"select=airport&select=state", "select", "given 2 times"},
		{"limit=0", "limit", "0 is out of range: give an integer from 1 to 10000"},
		{"limit=-1", "limit", `"-1" is not an integer from 1 to 10000`},
		{"limit=abc", "limit", "is not an integer"},
		{"limit=+5", "limit", "is not an integer"},
		{"limit=10001", "limit", "10001 is out of range"},
		{"limit=99999999999999999999", "limit", "is not an integer"},
		{"limit=1&limit=2", "limit", "given 2 times"},
		{"limit=", "limit", "is not an integer"},
		{"order=nope", "order", `unknown column "nope"`},
		{"order=airport.up", "order", `unknown column "airport.up"`},
		{"order=airport.nullsfirst.desc", "order", "unknown column"},
		{"order=meta", "order", `column "meta" is of type object and cannot be ordered`},
		{"order=tags.desc", "order", "cannot be ordered"},
		{"order=airport,airport.desc", "order", `"airport" is named twice`},
		{"order=", "order", "is empty"},
		{"order=airport,", "order", "empty term"},
		{"flights=eq.1.5", "flights", `parameter "flights": "1.5" is not an integer`},
		{"flights=eq.99999999999999999999", "flights", "out of range for an integer"},
		{"flights=eq.", "flights", `"" is not an integer`},
		{"flights=5", "flights", `"5" is not op.value`},
		{"flights=foo.5", "flights", `unknown operator "foo"`},
		{"flights=EQ.5", "flights", `unknown operator "EQ"`},
		{"flights=eq", "flights", "operator eq needs a value"},
		{"flights=not.eq", "flights", "operator eq needs a value"},
		{"flights=not.not.eq.1", "flights", `unknown operator "not"`},
		{"flights=not.5", "flights", `unknown operator "5"`},
		{"flights=gt.1&flights=lt.x", "flights", `"x" is not an integer`},
		{"avg_delay=gt.abc", "avg_delay", "is not a decimal number"},
		{"avg_delay=gt.NaN", "avg_delay", "is not a decimal number"},
		{"avg_delay=gt.Infinity", "avg_delay", "is not a decimal number"},
		{"avg_delay=gt.0x10", "avg_delay", "is not a decimal number"},
		{"avg_delay=gt.1_000", "avg_delay", "is not a decimal number"},
		{"avg_delay=gt.1e999", "avg_delay", "out of range for a number"},
		{"avg_delay=gt..", "avg_delay", "is not a decimal number"},
		{"month=eq.2024-13-01", "month", `parameter "month": "2024-13-01" is not a date (YYYY-MM-DD)`},
		{"month=eq.2024-02-30", "month", "is not a date"},
		{"month=eq.2024-1-01", "month", "is not a date"},
		{"month=gte.2024-01-01T00:00:00Z", "month", "is not a date"},
		{"at=gt.yesterday", "at", "is not a timestamp (RFC 3339"},
		{"at=gt.2024-01-01T10:00:00.1234567891Z", "at", "is not a timestamp"},
		{"at=gt.2024-01-01T25:00:00Z", "at", "is not a timestamp"},
		{"at=gt.2024-01-01T10:00:00%2B2", "at", "is not a timestamp"},
		{"at=gt.2024-01-01T10:00", "at", "is not a timestamp"},
		{"t=eq.25:00:00", "t", `"25:00:00" is not a time (HH:MM:SS`},
		{"t=eq.10:00", "t", "is not a time"},
		{"t=eq.10:00:00.", "t", "is not a time"},
		{"ok=eq.yes", "ok", "is not a boolean (true or false)"},
		{"ok=eq.TRUE", "ok", "is not a boolean"},
		{"airport=is.true", "airport", "is.true applies to boolean columns"},
		{"airport=is.maybe", "airport", `is accepts null, true or false, not "maybe"`},
		{"airport=is.", "airport", "is accepts null, true or false"},
		{"flights=like.1*", "flights", "like applies to string columns"},
		{"month=ilike.2024*", "month", "ilike applies to string columns"},
		{"airport=in.(a,b", "airport", "unterminated list"},
		{`airport=in.("a,b)`, "airport", "unterminated quoted item"},
		{`airport=in.("a\")`, "airport", "unterminated quoted item"},
		{"airport=in.a,b", "airport", "needs a list in parentheses"},
		{"airport=in.()", "airport", "the list is empty"},
		{`airport=in.("a"x)`, "airport", "expected , or ) after a quoted item"},
		{"airport=in.(a)x", "airport", "unexpected text after the closing )"},
		{"airport=in.(a(b))", "airport", "quote the item"},
		{`airport=in.(a"b)`, "airport", "quote the item"},
		{"flights=in.(1,x)", "flights", `"x" is not an integer`},
		{longList, "flights", "more than 1000 items"},
		{"tags=eq.1", "tags", `column "tags" is of type array and cannot be filtered`},
		{"meta=is.null", "meta", "cannot be filtered"},
		{"airport=eq.%FF", "airport", "not valid UTF-8"},
		{"airport=like.%FF", "airport", "not valid UTF-8"},
		{"format=json&format=csv", "format", "given 2 times"},
		{"cursor=", "cursor", "cursor is empty"},
		{"cursor=abc", "cursor", "cursor is malformed"},
		{"cursor=!!!!", "cursor", "cursor is malformed"},
		{"cursor=" + strings.Repeat("A", MaxCursor+1), "cursor", "longer than 4096"},
		{"limit=5&cursor=AQ" + strings.Repeat("A", 40), "cursor", "not valid"},
		{"cursor=a&cursor=b", "cursor", "given 2 times"},
	}
	if len(cases) < 30 {
		t.Fatal("too few cases")
	}
	for _, tc := range cases {
		_, err := Parse(mustParseQuery(t, tc.query), delays, testOpts)
		var p *problem.Error
		if !errors.As(err, &p) {
			t.Errorf("%s: error %v, want a problem", tc.query, err)
			continue
		}
		if p.Status != http.StatusBadRequest || p.Type != problem.BadParameter {
			t.Errorf("%s: status %d type %q", tc.query, p.Status, p.Type)
		}
		if p.Param != tc.param {
			t.Errorf("%s: param %q, want %q (%s)", tc.query, p.Param, tc.param, p.Detail)
		}
		if !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: detail %q, want it to hold %q", tc.query, p.Detail, tc.detail)
		}
		if p.Allowed == "" {
			t.Errorf("%s: no allowed", tc.query)
		}
	}
}

func TestParseUnknownListsColumns(t *testing.T) {
	_, err := Parse(url.Values{"select": {"x"}}, delays, testOpts)
	p := problem.As(err)
	if !strings.Contains(p.Allowed, "airport, state, month") {
		t.Errorf("allowed %q does not list the columns", p.Allowed)
	}
	_, err = Parse(url.Values{"x": {"eq.1"}}, delays, testOpts)
	p = problem.As(err)
	if !strings.Contains(p.Allowed, "airport, state") || !strings.Contains(p.Allowed, "select, order, limit, cursor, format") {
		t.Errorf("allowed %q", p.Allowed)
	}
	_, err = Parse(url.Values{"limit": {"0"}}, delays, Options{MaxLimit: 50})
	if p = problem.As(err); p.Allowed != "an integer from 1 to 50" {
		t.Errorf("allowed %q", p.Allowed)
	}
}

func TestParseValues(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	cases := []struct {
		query string
		want  []Filter
	}{
		{"flights=eq.-5", []Filter{{Column: "flights", Op: Eq, Values: []any{int64(-5)}}}},
		{"flights=eq.%2B5", []Filter{{Column: "flights", Op: Eq, Values: []any{int64(5)}}}},
		{"flights=gte.9223372036854775807", []Filter{{Column: "flights", Op: Gte, Values: []any{int64(9223372036854775807)}}}},
		{"avg_delay=lt.1.5e2", []Filter{{Column: "avg_delay", Op: Lt, Values: []any{150.0}}}},
		{"avg_delay=lt..5", []Filter{{Column: "avg_delay", Op: Lt, Values: []any{0.5}}}},
		{"avg_delay=lt.5.", []Filter{{Column: "avg_delay", Op: Lt, Values: []any{5.0}}}},
		{"ok=not.eq.true", []Filter{{Column: "ok", Op: Eq, Not: true, Values: []any{true}}}},
		{"ok=is.FALSE", []Filter{{Column: "ok", Op: Is, Values: []any{false}}}},
		{"state=not.is.null", []Filter{{Column: "state", Op: Is, Not: true, Values: []any{nil}}}},
		{"month=eq.2024-02-29", []Filter{{Column: "month", Op: Eq, Values: []any{"2024-02-29"}}}},
		{"at=gt.2024-01-01", []Filter{{Column: "at", Op: Gt, Values: []any{ts("2024-01-01T00:00:00Z")}}}},
		{"at=gt.2024-01-01 10:00:00", []Filter{{Column: "at", Op: Gt, Values: []any{ts("2024-01-01T10:00:00Z")}}}},
		{"at=gt.2024-01-01T10:00:00.123456789-05:00", []Filter{{Column: "at", Op: Gt, Values: []any{ts("2024-01-01T15:00:00.123456789Z")}}}},
		{"at=gt.2024-01-01T10:00:00+05:30", []Filter{{Column: "at", Op: Gt, Values: []any{ts("2024-01-01T04:30:00Z")}}}},
		{"at=gt.2024-01-01t10:00:00z", []Filter{{Column: "at", Op: Gt, Values: []any{ts("2024-01-01T10:00:00Z")}}}},
		{"t=lt.23:59:59.999999", []Filter{{Column: "t", Op: Lt, Values: []any{"23:59:59.999999"}}}},
		{"airport=eq.", []Filter{{Column: "airport", Op: Eq, Values: []any{""}}}},
		{"airport=eq.a.b.c", []Filter{{Column: "airport", Op: Eq, Values: []any{"a.b.c"}}}},
		{"airport=like.S*F_%25", []Filter{{Column: "airport", Op: Like, Values: []any{"S%F_%"}}}},
		{`airport=in.(SFO, LAX,"a,b","q\"x\\",(x),"")`, nil}, // parenthesis in an unquoted item: error, checked below
		{`airport=in.(SFO, LAX,"a,b","q\"x\\","(x)","")`, []Filter{{Column: "airport", Op: In, Values: []any{"SFO", " LAX", "a,b", `q"x\`, "(x)", ""}}}},
		{"flights=in.(1, 2 ,3)", []Filter{{Column: "flights", Op: In, Values: []any{int64(1), int64(2), int64(3)}}}},
		{"flights=not.in.(1)", []Filter{{Column: "flights", Op: In, Not: true, Values: []any{int64(1)}}}},
		{"airport=in.()x", nil},
		{"airport=in.(,)", []Filter{{Column: "airport", Op: In, Values: []any{"", ""}}}},
		{"flights=gt.1&flights=lt.5&airport=eq.SFO", []Filter{
			{Column: "airport", Op: Eq, Values: []any{"SFO"}},
			{Column: "flights", Op: Gt, Values: []any{int64(1)}},
			{Column: "flights", Op: Lt, Values: []any{int64(5)}},
		}},
	}
	for _, tc := range cases {
		r, err := Parse(mustParseQuery(t, tc.query), delays, testOpts)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: no error", tc.query)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		if !slices.EqualFunc(r.Filters, tc.want, func(a, b Filter) bool {
			return a.Column == b.Column && a.Op == b.Op && a.Not == b.Not && slices.EqualFunc(a.Values, b.Values, func(x, y any) bool {
				if tx, ok := x.(time.Time); ok {
					ty, ok := y.(time.Time)
					return ok && tx.Equal(ty)
				}
				return x == y
			})
		}) {
			t.Errorf("%s: filters %#v, want %#v", tc.query, r.Filters, tc.want)
		}
	}
}

func TestParseSelectOrderLimit(t *testing.T) {
	r, err := Parse(mustParseQuery(t, "select=flights,airport&order=state.desc.nullsfirst,flights.asc.nullslast,avg_delay.desc,at&limit=7&format=csv"), delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Select, []string{"flights", "airport"}) {
		t.Errorf("select %v", r.Select)
	}
	want := []Order{{"state", true, true}, {"flights", false, false}, {"avg_delay", true, false}, {"at", false, false}}
	if !slices.Equal(r.Order, want) {
		t.Errorf("order %v, want %v", r.Order, want)
	}
	if r.Limit != 7 {
		t.Errorf("limit %d", r.Limit)
	}
	if got := r.KeyColumns(); !slices.Equal(got, []string{"state", "flights", "avg_delay", "at", "airport", "month"}) {
		t.Errorf("key %v", got)
	}
	if got := r.Columns(); !slices.Equal(got, []string{"flights", "airport", "state", "avg_delay", "at", "month"}) {
		t.Errorf("columns %v", got)
	}

	// Without a limit, nothing is added to the requested order.
	r, err = Parse(mustParseQuery(t, "order=state"), delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.KeyColumns()) != 0 || len(r.Columns()) != len(delays.Columns) {
		t.Errorf("key %v columns %v", r.KeyColumns(), r.Columns())
	}

	// Without a primary key, the key is every orderable column.
	s := delays
	s.PrimaryKey = nil
	r, err = Parse(mustParseQuery(t, "limit=1&order=flights.desc&select=meta"), s, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.KeyColumns(); !slices.Equal(got, []string{"flights", "airport", "state", "month", "avg_delay", "p95_delay", "ok", "at", "t"}) {
		t.Errorf("key %v", got)
	}
	// A column whose name ends like a modifier is taken whole.
	s = Schema{Columns: []descriptor.Column{{Name: "x.desc", LogicalType: descriptor.Integer}, {Name: "x", LogicalType: descriptor.Integer}}}
	r, err = Parse(mustParseQuery(t, "order=x.desc,x.desc.desc"), s, testOpts)
	if err == nil {
		t.Errorf("order %v: want a duplicate error", r.Order)
	}
	r, err = Parse(mustParseQuery(t, "order=x.desc.desc,x"), s, testOpts)
	if err != nil || !slices.Equal(r.Order, []Order{{"x.desc", true, false}, {"x", false, false}}) {
		t.Errorf("order %v, %v", r, err)
	}
}
