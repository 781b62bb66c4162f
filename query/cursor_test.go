package query

import (
	"encoding/base64"
	"math"
	"math/big"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

func oneColumn(t descriptor.LogicalType) Schema {
	return Schema{Columns: []descriptor.Column{{Name: "x", LogicalType: t}, {Name: "o", LogicalType: descriptor.Object}}}
}

func TestCursorRoundTrip(t *testing.T) {
	huge, _ := new(big.Int).SetString("-170141183460469231731687303715884105728", 10)
	dec, _ := new(big.Int).SetString("12345678901234567890123456789000000001", 10)
	paris := time.FixedZone("CET", 3600)
	cases := []struct {
		typ  descriptor.LogicalType
		in   any // as a driver returns it
		want any // as bound after decoding
	}{
		{descriptor.Integer, nil, nil},
		{descriptor.Integer, int64(-5), int64(-5)},
		{descriptor.Integer, int32(7), int64(7)},
		{descriptor.Integer, int8(-8), int64(-8)},
		{descriptor.Integer, uint8(8), int64(8)},
		{descriptor.Integer, int64(math.MinInt64), int64(math.MinInt64)},
		{descriptor.Integer, uint64(math.MaxUint64), "18446744073709551615"},
		{descriptor.Integer, huge, "-170141183460469231731687303715884105728"},
		{descriptor.Integer, 42.0, int64(42)},
		{descriptor.Number, 0.1, "0.1"},
		{descriptor.Number, -1.5e-300, "-1.5e-300"},
		{descriptor.Number, math.NaN(), "NaN"},
		{descriptor.Number, math.Inf(1), "Infinity"},
		{descriptor.Number, math.Inf(-1), "-Infinity"},
		{descriptor.Number, math.Copysign(0, -1), "0"},
		{descriptor.Number, float32(0.1), "0.1"},
		{descriptor.Number, int64(3), "3"},
		{descriptor.Number, duckdb.Decimal{Width: 38, Scale: 10, Value: dec}, "1234567890123456789012345678.9000000001"},
		{descriptor.Number, nil, nil},
		{descriptor.Boolean, true, true},
		{descriptor.Boolean, false, false},
		{descriptor.Boolean, nil, nil},
		{descriptor.Date, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{descriptor.Date, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01"},
		{descriptor.Date, "9999-12-31", "9999-12-31"},
		{descriptor.Timestamp, time.Date(2024, 5, 1, 12, 0, 0, 123456789, paris), time.Date(2024, 5, 1, 11, 0, 0, 123456789, time.UTC)},
		{descriptor.Timestamp, time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{descriptor.Timestamp, "2024-01-01 10:00:00.5", time.Date(2024, 1, 1, 10, 0, 0, 500000000, time.UTC)},
		{descriptor.Timestamp, nil, nil},
		{descriptor.Time, time.Date(1, 1, 1, 23, 59, 59, 999999000, time.UTC), "23:59:59.999999"},
		{descriptor.Time, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "00:00:00"},
		{descriptor.Time, "12:00:00.5", "12:00:00.5"},
		{descriptor.String, "", ""},
		{descriptor.String, nil, nil},
		{descriptor.String, "\x00\xff\xfe\"'\\\n,()é🙂", "\x00\xff\xfe\"'\\\n,()é🙂"},
		{descriptor.String, []byte("bytes\x00"), "bytes\x00"},
		{descriptor.String, strings.Repeat("s", 2000), strings.Repeat("s", 2000)},
	}
	for _, tc := range cases {
		s := oneColumn(tc.typ)
		r, err := Parse(url.Values{"limit": {"3"}}, s, testOpts)
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.NextCursor([]any{tc.in}, 2)
		if err != nil {
			t.Errorf("%s %#v: %v", tc.typ, tc.in, err)
			continue
		}
		if strings.ContainsAny(c, "+/=") {
			t.Errorf("cursor %q is not unpadded base64url", c)
		}
		r2, err := Parse(url.Values{"limit": {"3"}, "cursor": {c}}, s, testOpts)
		if err != nil {
			t.Errorf("%s %#v: %v", tc.typ, tc.in, err)
			continue
		}
		got := r2.After.Key[0]
		same := reflect.DeepEqual(got, tc.want)
		if g, ok := got.(time.Time); ok {
			w, ok := tc.want.(time.Time)
			same = ok && g.Equal(w)
		}
		if !same || r2.After.Dup != 2 {
			t.Errorf("%s %#v: key %#v dup %d, want %#v dup 2", tc.typ, tc.in, got, r2.After.Dup, tc.want)
		}
	}
}

func TestCursorErrors(t *testing.T) {
	base := mustParseQuery(t, "limit=2&order=flights.desc&airport=neq.X")
	r, err := Parse(base, delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.NextCursor([]any{int64(5), "SFO", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	with := func(q string, cursor string) url.Values {
		v := mustParseQuery(t, q)
		v.Set("cursor", cursor)
		return v
	}
	resign := func(payload []byte) string {
		return base64.RawURLEncoding.EncodeToString(append(payload, r.tag(payload)...))
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	payload := raw[:len(raw)-tagSize]

	tampered := []byte(c)
	tampered[len(tampered)/2] ^= 1
	versioned := append([]byte{2}, payload[1:]...)

	short, err := r.encodeCursor([]string{"5"}, []bool{false}, 1)
	if err != nil {
		t.Fatal(err)
	}
	badInt, err := r.encodeCursor([]string{"five", "SFO", "2024-01-01"}, []bool{false, false, false}, 1)
	if err != nil {
		t.Fatal(err)
	}
	badDate, err := r.encodeCursor([]string{"5", "SFO", "2024-13-01"}, []bool{false, false, false}, 1)
	if err != nil {
		t.Fatal(err)
	}
	zeroDup, err := r.encodeCursor([]string{"5", "SFO", "2024-01-01"}, []bool{false, false, false}, 0)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		values url.Values
		opts   Options
		detail string
	}{
		{"other scope", with("limit=2&order=flights.desc&airport=neq.X", c), Options{Secret: testOpts.Secret, Scope: "aviation/delays-by-airport@2"}, "another product or major version"},
		{"other secret", with("limit=2&order=flights.desc&airport=neq.X", c), Options{Secret: []byte("other"), Scope: testOpts.Scope}, "not valid"},
		{"other filter value", with("limit=2&order=flights.desc&airport=neq.Y", c), testOpts, "cursor does not belong to this query: it was issued for other filters or order"},
		{"no filter", with("limit=2&order=flights.desc", c), testOpts, "does not belong to this query"},
		{"more filters", with("limit=2&order=flights.desc&airport=neq.X&flights=gt.1", c), testOpts, "does not belong to this query"},
		{"other order", with("limit=2&order=flights&airport=neq.X", c), testOpts, "does not belong to this query"},
		{"other nulls", with("limit=2&order=flights.desc.nullsfirst&airport=neq.X", c), testOpts, "does not belong to this query"},
		{"tampered", with("limit=2&order=flights.desc&airport=neq.X", string(tampered)), testOpts, "not valid"},
		{"truncated", with("limit=2&order=flights.desc&airport=neq.X", c[:len(c)-3]), testOpts, "not valid"},
		{"version", with("limit=2&order=flights.desc&airport=neq.X", resign(versioned)), testOpts, "version 2 is not supported"},
		{"trailing bytes", with("limit=2&order=flights.desc&airport=neq.X", resign(append(payload[:len(payload):len(payload)], 0))), testOpts, "cursor is malformed"},
		{"missing bytes", with("limit=2&order=flights.desc&airport=neq.X", resign(payload[:len(payload)-1])), testOpts, "cursor is malformed"},
		{"value count", with("limit=2&order=flights.desc&airport=neq.X", short), testOpts, "holds 1 key values where this query's key has 3"},
		{"value type", with("limit=2&order=flights.desc&airport=neq.X", badInt), testOpts, `cursor value for column "flights": "five" is not an integer`},
		{"date value", with("limit=2&order=flights.desc&airport=neq.X", badDate), testOpts, `cursor value for column "month"`},
		{"zero dup", with("limit=2&order=flights.desc&airport=neq.X", zeroDup), testOpts, "cursor is malformed"},
		{"padding", with("limit=2&order=flights.desc&airport=neq.X", c+"=="), testOpts, "cursor is malformed"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.values, delays, tc.opts)
		p, ok := err.(*problem.Error)
		if !ok {
			t.Errorf("%s: %v, want a problem", tc.name, err)
			continue
		}
		if p.Status != 400 || p.Param != "cursor" || !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: %d %q %q, want 400 cursor %q", tc.name, p.Status, p.Param, p.Detail, tc.detail)
		}
	}

	// Select, limit and format may change between pages; the order of the
	// filters in the query string does not matter.
	for _, q := range []string{
		"limit=2&order=flights.desc&airport=neq.X",
		"limit=50&select=airport&format=csv&order=flights.desc&airport=neq.X",
		"order=flights.desc&airport=neq.X",
	} {
		if _, err := Parse(with(q, c), delays, testOpts); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	r2, err := Parse(mustParseQuery(t, "limit=2&flights=gt.1&flights=lt.9"), delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := r2.NextCursor([]any{"SFO", "2024-01-01"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(with("flights=lt.9&limit=2&flights=gt.1", c2), delays, testOpts); err != nil {
		t.Errorf("filters reordered: %v", err)
	}
}

func TestNextCursorErrors(t *testing.T) {
	unpaged, _ := Parse(url.Values{}, delays, testOpts)
	if _, err := unpaged.NextCursor(nil, 1); err == nil {
		t.Error("NextCursor on an unpaged request")
	}
	r, _ := Parse(url.Values{"limit": {"1"}}, delays, testOpts)
	for _, tc := range []struct {
		row []any
		dup int
	}{
		{[]any{"SFO"}, 1},
		{[]any{"SFO", "2024-01-01"}, 0},
		{[]any{"SFO", 12}, 1},
		{[]any{"SFO", "2024-1-1"}, 1},
		{[]any{struct{}{}, "2024-01-01"}, 1},
		{[]any{strings.Repeat("x", MaxCursor), "2024-01-01"}, 1},
	} {
		if c, err := r.NextCursor(tc.row, tc.dup); err == nil {
			t.Errorf("NextCursor(%v, %d) = %q, want an error", tc.row, tc.dup, c)
		}
	}
	for _, tc := range []struct {
		typ descriptor.LogicalType
		v   any
	}{
		{descriptor.Integer, 1.5},
		{descriptor.Integer, "x"},
		{descriptor.Number, "1,5"},
		{descriptor.Boolean, "true"},
		{descriptor.Timestamp, "yesterday"},
		{descriptor.Time, "25:00:00"},
		{descriptor.Date, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{descriptor.String, 5},
	} {
		r, _ := Parse(url.Values{"limit": {"1"}}, oneColumn(tc.typ), testOpts)
		if _, err := r.NextCursor([]any{tc.v}, 1); err == nil {
			t.Errorf("%s %#v: no error", tc.typ, tc.v)
		}
	}
}

// A page made only of rows that tie with the previous cursor's key carries
// the count of rows to skip forward.
func TestCursorDupAddsUp(t *testing.T) {
	s := oneColumn(descriptor.Integer)
	r, _ := Parse(url.Values{"limit": {"3"}}, s, testOpts)
	c, err := r.NextCursor([]any{int64(1)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err = Parse(url.Values{"limit": {"3"}, "cursor": {c}}, s, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	pg := r.Page()
	for range 3 {
		if err := pg.Add([]any{int64(1), nil}); err != nil {
			t.Fatal(err)
		}
	}
	c, err = pg.Next()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Parse(url.Values{"limit": {"3"}, "cursor": {c}}, s, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r2.After.Dup != 5 {
		t.Errorf("dup %d, want 5", r2.After.Dup)
	}
	// Another key starts a new count.
	c, _ = r.NextCursor([]any{int64(2)}, 1)
	r2, _ = Parse(url.Values{"limit": {"3"}, "cursor": {c}}, s, testOpts)
	if r2.After.Dup != 1 {
		t.Errorf("dup %d, want 1", r2.After.Dup)
	}
}

func TestPage(t *testing.T) {
	r, err := Parse(url.Values{"limit": {"4"}, "select": {"flights"}, "order": {"state"}}, delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// Columns: flights, state, airport, month.
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pg := r.Page()
	rows := [][]any{
		{int64(1), "CA", "LAX", jan},
		{int64(2), nil, "SFO", jan},
		{int64(3), nil, "SFO", jan},
	}
	for _, row := range rows {
		if err := pg.Add(row); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := pg.Next(); c != "" || err != nil {
		t.Errorf("short page: next %q, %v", c, err)
	}
	if err := pg.Add([]any{int64(4), nil, "SFO", "2024-01-01"}); err != nil {
		t.Fatal(err)
	}
	c, err := pg.Next()
	if err != nil || c == "" {
		t.Fatalf("full page: next %q, %v", c, err)
	}
	r2, err := Parse(url.Values{"limit": {"4"}, "order": {"state"}, "cursor": {c}}, delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r2.After.Dup != 3 || r2.After.Key[0] != nil || r2.After.Key[1] != "SFO" || r2.After.Key[2] != "2024-01-01" {
		t.Errorf("cursor %+v", r2.After)
	}
	if pg.Rows() != 4 {
		t.Errorf("rows %d", pg.Rows())
	}
	if err := pg.Add([]any{int64(1)}); err == nil {
		t.Error("short row accepted")
	}
}
