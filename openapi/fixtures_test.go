package openapi

import (
	"time"

	"github.com/datamesh/datamesh/descriptor"
)

// delays is the product of DESIGN.md's example descriptor.
func delays() Product {
	return Product{
		Name:        "delays-by-airport",
		Major:       1,
		Version:     "1.0.0",
		Domain:      "aviation",
		Title:       "Monthly flight delays by origin airport",
		Description: "Mean and 95th percentile departure delay per origin airport and month.",
		Owner:       descriptor.Owner{Team: "aviation-analytics", Email: "aviation@example.com"},
		Tags:        []string{"flights", "delays"},
		PrimaryKey:  []string{"airport", "month"},
		Columns: []descriptor.Column{
			{Name: "airport", LogicalType: descriptor.String, Required: true, Description: "IATA code of the origin airport", Examples: []any{"JFK"}},
			{Name: "state", LogicalType: descriptor.String},
			{Name: "month", LogicalType: descriptor.Date, Required: true},
			{Name: "avg_delay", LogicalType: descriptor.Number, Description: "Mean departure delay in minutes"},
			{Name: "p95_delay", LogicalType: descriptor.Number},
			{Name: "flights", LogicalType: descriptor.Integer},
		},
	}
}

// kitchen has one column of every logical type, a column named like a
// reserved parameter, and a key column not flagged required.
func kitchen(major int, deprecated bool) Product {
	return Product{
		Name:        "kitchen-sink",
		Major:       major,
		Version:     map[int]string{1: "1.4.2", 2: "2.0.0"}[major],
		Domain:      "test",
		Title:       "Every type",
		Description: "A product with <b>every</b> logical type.",
		Owner:       descriptor.Owner{Team: "platform"},
		PrimaryKey:  []string{"id"},
		Deprecated:  deprecated,
		Sunset:      map[bool]string{true: "2026-12-31"}[deprecated],
		Columns: []descriptor.Column{
			{Name: "id", LogicalType: descriptor.Integer},
			{Name: "label", LogicalType: descriptor.String},
			{Name: "ratio", LogicalType: descriptor.Number},
			{Name: "active", LogicalType: descriptor.Boolean},
			{Name: "day", LogicalType: descriptor.Date, Examples: []any{time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}},
			{Name: "at", LogicalType: descriptor.Timestamp},
			{Name: "clock", LogicalType: descriptor.Time},
			{Name: "attrs", LogicalType: descriptor.Object},
			{Name: "items", LogicalType: descriptor.Array},
			{Name: "limit", LogicalType: descriptor.Integer, Description: "a column named like a reserved parameter"},
		},
	}
}

func testNode() Node {
	return Node{Name: "aviation-node", Domains: []string{"aviation", "test"}, BaseURL: "http://localhost:8080", ProtocolVersion: "1"}
}

func testProducts() []Product {
	return []Product{delays(), kitchen(1, true), kitchen(2, false)}
}
