package query_test

import (
	"fmt"
	"net/url"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/query"
)

// A node parses the query string of a data request, runs the statement,
// feeds the rows to a Page (sending only the first len(r.Select) values of
// each) and puts the next cursor in a Link header.
func ExampleParse() {
	schema := query.Schema{
		Columns: []descriptor.Column{
			{Name: "airport", LogicalType: descriptor.String},
			{Name: "month", LogicalType: descriptor.Date},
			{Name: "avg_delay", LogicalType: descriptor.Number},
		},
		PrimaryKey: []string{"airport", "month"},
	}
	values, _ := url.ParseQuery(`select=avg_delay&airport=in.(SFO,LAX)&order=avg_delay.desc&limit=2`)
	r, err := query.Parse(values, schema, query.Options{Secret: []byte("node secret"), Scope: "aviation/delays@1"})
	if err != nil {
		fmt.Println(err) // a *problem.Error, status 400
		return
	}
	sql, args := r.SQL(`"main"."delays"`)
	fmt.Println(sql)
	fmt.Println(args)
	fmt.Println(r.Columns(), "send", len(r.Select))

	page := r.Page()
	for _, row := range [][]any{{30.5, "SFO", "2024-01-01"}, {12.0, "LAX", "2024-02-01"}} {
		_ = page.Add(row)
	}
	next, _ := page.Next()
	fmt.Println(next != "")
	// Output:
	// SELECT "avg_delay", "airport", "month" FROM "main"."delays" WHERE "airport" IN (?, ?) ORDER BY "avg_delay" DESC NULLS LAST, "airport" ASC NULLS LAST, "month" ASC NULLS LAST LIMIT 2
	// [SFO LAX]
	// [avg_delay airport month] send 1
	// true
}
