package query

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSQL(t *testing.T) {
	const all = `"airport", "state", "month", "avg_delay", "p95_delay", "flights", "ok", "at", "t", "tags", "meta"`
	cases := []struct {
		query string
		sql   string
		args  string // fmt %v of the arguments
	}{
		{"", `SELECT ` + all + ` FROM "p"`, `[]`},
		{"format=csv&select=airport", `SELECT "airport" FROM "p"`, `[]`},
		{
			"select=airport,flights&flights=gte.100&order=flights.desc",
			`SELECT "airport", "flights" FROM "p" WHERE "flights" >= ? ORDER BY "flights" DESC NULLS LAST`,
			`[100]`,
		},
		{
			`select=airport&avg_delay=gt.1.5&state=in.(CA,"N,Y")&airport=not.like.S*&ok=is.true&at=gte.2024-01-01 10:00:00&t=lt.12:00:00`,
			`SELECT "airport" FROM "p" WHERE NOT ("airport" LIKE ?) AND "state" IN (?, ?) AND "avg_delay" > CAST(? AS DOUBLE) AND "ok" IS TRUE AND "at" >= ? AND "t" < ?`,
			`[S% CA N,Y 1.5 2024-01-01 10:00:00 +0000 UTC 12:00:00]`,
		},
		{
			"select=airport&flights=gt.1&flights=lt.5&state=not.is.null&ok=not.is.false&month=neq.2024-01-01&airport=ilike.*x*",
			`SELECT "airport" FROM "p" WHERE "airport" ILIKE ? AND NOT ("state" IS NULL) AND "month" <> ? AND "flights" > ? AND "flights" < ? AND NOT ("ok" IS FALSE)`,
			`[%x% 2024-01-01 1 5]`,
		},
		{
			"select=airport&p95_delay=not.in.(1,2.5)&avg_delay=lte.-1e-3",
			`SELECT "airport" FROM "p" WHERE "avg_delay" <= CAST(? AS DOUBLE) AND NOT ("p95_delay" IN (CAST(? AS DOUBLE), CAST(? AS DOUBLE)))`,
			`[-0.001 1 2.5]`,
		},
		{
			"limit=10",
			`SELECT ` + all + ` FROM "p" ORDER BY "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 10`,
			`[]`,
		},
		{
			"select=flights&limit=10&order=state.nullsfirst",
			`SELECT "flights", "state", "airport", "month" FROM "p" ORDER BY "state" ASC NULLS FIRST, "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 10`,
			`[]`,
		},
		{
			"select=month&limit=3&order=month.desc,airport.desc.nullsfirst",
			`SELECT "month", "airport" FROM "p" ORDER BY "month" DESC NULLS LAST, "airport" DESC NULLS FIRST LIMIT 3`,
			`[]`,
		},
	}
	for _, tc := range cases {
		r, err := Parse(mustParseQuery(t, tc.query), delays, testOpts)
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		sql, args := r.SQL(`"p"`)
		if sql != tc.sql {
			t.Errorf("%s:\n got %s\nwant %s", tc.query, sql, tc.sql)
		}
		if got := fmt.Sprint(args); got != tc.args {
			t.Errorf("%s: args %s, want %s", tc.query, got, tc.args)
		}
		if strings.Count(sql, "?") != len(args) {
			t.Errorf("%s: %d placeholders, %d args", tc.query, strings.Count(sql, "?"), len(args))
		}
	}
}

func TestSQLAfterCursor(t *testing.T) {
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		query string
		last  []any // key values of the last row of the first page
		dup   int
		sql   string
		args  string
	}{
		{
			name:  "primary key",
			query: "select=airport,month&limit=2",
			last:  []any{"SFO", jan},
			dup:   1,
			sql: `SELECT "airport", "month" FROM "p" WHERE (("airport" > ? OR "airport" IS NULL) OR ("airport" IS NOT DISTINCT FROM ? AND ("month" > ? OR "month" IS NULL)) OR ("airport" IS NOT DISTINCT FROM ? AND "month" IS NOT DISTINCT FROM ?))` +
				` ORDER BY "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 2 OFFSET 1`,
			args: `[SFO SFO 2024-01-01 SFO 2024-01-01]`,
		},
		{
			name:  "null first value, desc",
			query: "select=flights&flights=gt.0&limit=10&order=state.nullsfirst,flights.desc",
			last:  []any{nil, int64(7), "SFO", jan},
			dup:   1,
			sql: `SELECT "flights", "state", "airport", "month" FROM "p" WHERE "flights" > ? AND ("state" IS NOT NULL OR ("state" IS NULL AND ("flights" < ? OR "flights" IS NULL))` +
				` OR ("state" IS NULL AND "flights" IS NOT DISTINCT FROM ? AND ("airport" > ? OR "airport" IS NULL))` +
				` OR ("state" IS NULL AND "flights" IS NOT DISTINCT FROM ? AND "airport" IS NOT DISTINCT FROM ? AND ("month" > ? OR "month" IS NULL))` +
				` OR ("state" IS NULL AND "flights" IS NOT DISTINCT FROM ? AND "airport" IS NOT DISTINCT FROM ? AND "month" IS NOT DISTINCT FROM ?))` +
				` ORDER BY "state" ASC NULLS FIRST, "flights" DESC NULLS LAST, "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 10 OFFSET 1`,
			args: `[0 7 7 SFO 7 SFO 2024-01-01 7 SFO 2024-01-01]`,
		},
		{
			name:  "null placed last ends nothing after it; several ties",
			query: "select=airport&limit=4&order=flights",
			last:  []any{nil, "SFO", jan},
			dup:   3,
			sql: `SELECT "airport", "flights", "month" FROM "p" WHERE (("flights" IS NULL AND ("airport" > ? OR "airport" IS NULL))` +
				` OR ("flights" IS NULL AND "airport" IS NOT DISTINCT FROM ? AND ("month" > ? OR "month" IS NULL))` +
				` OR ("flights" IS NULL AND "airport" IS NOT DISTINCT FROM ? AND "month" IS NOT DISTINCT FROM ?))` +
				` ORDER BY "flights" ASC NULLS LAST, "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 4 OFFSET 3`,
			args: `[SFO SFO 2024-01-01 SFO 2024-01-01]`,
		},
		{
			name:  "timestamp bound as an instant",
			query: "select=airport&limit=1&order=at.desc",
			last:  []any{time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600)), "LAX", jan},
			dup:   1,
			sql: `SELECT "airport", "at", "month" FROM "p" WHERE (("at" < ? OR "at" IS NULL)` +
				` OR ("at" IS NOT DISTINCT FROM ? AND ("airport" > ? OR "airport" IS NULL))` +
				` OR ("at" IS NOT DISTINCT FROM ? AND "airport" IS NOT DISTINCT FROM ? AND ("month" > ? OR "month" IS NULL))` +
				` OR ("at" IS NOT DISTINCT FROM ? AND "airport" IS NOT DISTINCT FROM ? AND "month" IS NOT DISTINCT FROM ?))` +
				` ORDER BY "at" DESC NULLS LAST, "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 1 OFFSET 1`,
			args: `[2024-05-01 11:00:00.123456789 +0000 UTC 2024-05-01 11:00:00.123456789 +0000 UTC LAX 2024-05-01 11:00:00.123456789 +0000 UTC LAX 2024-01-01 2024-05-01 11:00:00.123456789 +0000 UTC LAX 2024-01-01]`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(mustParseQuery(t, tc.query), delays, testOpts)
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.NextCursor(tc.last, tc.dup)
			if err != nil {
				t.Fatal(err)
			}
			v := mustParseQuery(t, tc.query)
			v.Set("cursor", c)
			r, err = Parse(v, delays, testOpts)
			if err != nil {
				t.Fatal(err)
			}
			sql, args := r.SQL(`"p"`)
			if sql != tc.sql {
				t.Errorf("\n got %s\nwant %s", sql, tc.sql)
			}
			if got := fmt.Sprint(args); got != tc.args {
				t.Errorf("args %s, want %s", got, tc.args)
			}
			if strings.Count(sql, "?") != len(args) {
				t.Errorf("%d placeholders, %d args", strings.Count(sql, "?"), len(args))
			}
		})
	}
}

// A cursor without a limit asks for every remaining row.
func TestSQLCursorWithoutLimit(t *testing.T) {
	r, err := Parse(mustParseQuery(t, "select=airport&limit=5"), delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.NextCursor([]any{"SFO", "2024-01-01"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err = Parse(mustParseQuery(t, "select=airport&cursor="+c), delays, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	sql, _ := r.SQL(`"p"`)
	if strings.Contains(sql, "LIMIT") || !strings.HasSuffix(sql, `ORDER BY "airport" ASC NULLS LAST, "month" ASC NULLS LAST OFFSET 1`) {
		t.Errorf("sql %s", sql)
	}
	if next, err := r.Page().Next(); next != "" || err != nil {
		t.Errorf("next %q, %v", next, err)
	}
}
