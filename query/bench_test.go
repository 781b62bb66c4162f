package query

import (
	"net/url"
	"testing"
	"time"
)

// BenchmarkParseSQL is a typical first-page request: a projection, two
// filters, an order and a limit.
func BenchmarkParseSQL(b *testing.B) {
	v := mustParseQuery(b, `select=airport,month,avg_delay&airport=in.(SFO,LAX,JFK)&month=gte.2024-01-01&order=avg_delay.desc&limit=100`)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(v, delays, testOpts)
		if err != nil {
			b.Fatal(err)
		}
		r.SQL(`"main"."delays"`)
	}
}

// BenchmarkParseSQLCursor is the same request for a following page.
func BenchmarkParseSQLCursor(b *testing.B) {
	v := mustParseQuery(b, `select=airport,month,avg_delay&airport=in.(SFO,LAX,JFK)&month=gte.2024-01-01&order=avg_delay.desc&limit=100`)
	r, err := Parse(v, delays, testOpts)
	if err != nil {
		b.Fatal(err)
	}
	c, err := r.NextCursor([]any{12.5, "SFO", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, 1)
	if err != nil {
		b.Fatal(err)
	}
	v.Set("cursor", c)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(v, delays, testOpts)
		if err != nil {
			b.Fatal(err)
		}
		r.SQL(`"main"."delays"`)
	}
}

// BenchmarkPage is the per-page bookkeeping for the next cursor: 100 rows
// and the cursor.
func BenchmarkPage(b *testing.B) {
	r, err := Parse(url.Values{"limit": {"100"}, "select": {"airport,month,avg_delay"}, "order": {"avg_delay.desc"}}, delays, testOpts)
	if err != nil {
		b.Fatal(err)
	}
	row := []any{"SFO", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), 12.5}
	b.ReportAllocs()
	for b.Loop() {
		pg := r.Page()
		for range 100 {
			if err := pg.Add(row); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := pg.Next(); err != nil {
			b.Fatal(err)
		}
	}
}
