package openapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compile compiles a schema the way a consumer would: through its JSON.
func compile(t *testing.T, schema map[string]any, assertFormat bool) *jsonschema.Schema {
	t.Helper()
	b, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if assertFormat {
		c.AssertFormat()
	}
	if err := c.AddResource("row.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("row.json")
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, b)
	}
	return s
}

func instance(t *testing.T, row string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(row))
	if err != nil {
		t.Fatalf("%s: %v", row, err)
	}
	return v
}

func TestRowSchemaShape(t *testing.T) {
	s := RowSchema(delays())
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	if s["type"] != "object" || s["additionalProperties"] != false {
		t.Errorf("type %v, additionalProperties %v", s["type"], s["additionalProperties"])
	}
	if s["title"] != "Monthly flight delays by origin airport" {
		t.Errorf("title = %v", s["title"])
	}
	if s["description"] != "Mean and 95th percentile departure delay per origin airport and month." {
		t.Errorf("description = %v", s["description"])
	}
	if got, want := s["required"], []string{"airport", "month"}; !reflect.DeepEqual(got, want) {
		t.Errorf("required = %v, want %v", got, want)
	}
	props := s["properties"].(map[string]any)
	want := map[string]map[string]any{
		"airport":   {"type": "string", "description": "IATA code of the origin airport", "examples": []any{"JFK"}},
		"state":     {"type": []string{"string", "null"}},
		"month":     {"type": "string", "format": "date"},
		"avg_delay": {"type": []string{"number", "null"}, "description": "Mean departure delay in minutes"},
		"p95_delay": {"type": []string{"number", "null"}},
		"flights":   {"type": []string{"integer", "null"}},
	}
	if len(props) != len(want) {
		t.Errorf("%d properties, want %d", len(props), len(want))
	}
	for name, w := range want {
		if got := props[name]; !reflect.DeepEqual(got, map[string]any(w)) {
			t.Errorf("property %s = %#v, want %#v", name, got, w)
		}
	}
}

func TestRowSchemaTypes(t *testing.T) {
	props := RowSchema(kitchen(1, false))["properties"].(map[string]any)
	for name, want := range map[string]string{
		"id":     `{"type":"integer"}`, // primary key: required, not null
		"label":  `{"type":["string","null"]}`,
		"ratio":  `{"type":["number","null"]}`,
		"active": `{"type":["boolean","null"]}`,
		"day":    `{"examples":["2024-03-01"],"format":"date","type":["string","null"]}`,
		"at":     `{"format":"date-time","type":["string","null"]}`,
		"clock":  `{"format":"time","type":["string","null"]}`,
		"attrs":  `{"type":["object","null"]}`,
		"items":  `{"type":["array","null"]}`,
	} {
		b, _ := json.Marshal(props[name])
		if string(b) != want {
			t.Errorf("%s: %s, want %s", name, b, want)
		}
	}
	if r := RowSchema(kitchen(1, false))["required"]; !reflect.DeepEqual(r, []string{"id"}) {
		t.Errorf("required = %v, want [id] (the primary key)", r)
	}
}

func TestRowSchemaValidatesRows(t *testing.T) {
	s := compile(t, RowSchema(delays()), false)
	for _, tc := range []struct {
		name string
		row  string
		ok   bool
	}{
		{"full row", `{"airport":"JFK","state":"NY","month":"2024-01-01","avg_delay":12.5,"p95_delay":60,"flights":1200}`, true},
		{"required only", `{"airport":"JFK","month":"2024-01-01"}`, true},
		{"nulls in optional columns", `{"airport":"JFK","state":null,"month":"2024-01-01","avg_delay":null,"p95_delay":null,"flights":null}`, true},
		{"integer as number column", `{"airport":"JFK","month":"2024-01-01","avg_delay":3}`, true},
		{"missing required airport", `{"month":"2024-01-01"}`, false},
		{"missing key month", `{"airport":"JFK"}`, false},
		{"null in required column", `{"airport":null,"month":"2024-01-01"}`, false},
		{"string where number", `{"airport":"JFK","month":"2024-01-01","avg_delay":"12.5"}`, false},
		{"fraction where integer", `{"airport":"JFK","month":"2024-01-01","flights":1.5}`, false},
		{"number where string", `{"airport":42,"month":"2024-01-01"}`, false},
		{"extra property", `{"airport":"JFK","month":"2024-01-01","carrier":"AA"}`, false},
		{"not an object", `["JFK","2024-01-01"]`, false},
	} {
		err := s.Validate(instance(t, tc.row))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %s: valid=%v, want %v (%v)", tc.name, tc.row, err == nil, tc.ok, err)
		}
	}
}

func TestRowSchemaFormats(t *testing.T) {
	// Formats are annotations by default in 2020-12; a consumer that asserts
	// them gets dates, timestamps and times checked.
	s := compile(t, RowSchema(kitchen(2, false)), true)
	for _, tc := range []struct {
		row string
		ok  bool
	}{
		{`{"id":1,"day":"2024-02-29","at":"2024-02-29T10:00:00Z","clock":"10:00:00Z","attrs":{"a":1},"items":[1,"x"],"active":true}`, true},
		{`{"id":1,"day":"2024-02-30"}`, false},
		{`{"id":1,"at":"yesterday"}`, false},
		{`{"id":1,"attrs":[1]}`, false},
		{`{"id":1,"items":{"a":1}}`, false},
		{`{"id":1,"active":"yes"}`, false},
		{`{"id":null}`, false},
		{`{"label":"no id"}`, false},
	} {
		err := s.Validate(instance(t, tc.row))
		if (err == nil) != tc.ok {
			t.Errorf("%s: valid=%v, want %v (%v)", tc.row, err == nil, tc.ok, err)
		}
	}
}

func TestRowSchemaUnknownTypeAcceptsAnything(t *testing.T) {
	p := delays()
	p.Columns = append(p.Columns, p.Columns[0])
	p.Columns[len(p.Columns)-1].Name, p.Columns[len(p.Columns)-1].LogicalType = "extra", ""
	p.Columns[len(p.Columns)-1].Required = false
	s := compile(t, RowSchema(p), false)
	for _, v := range []string{`1`, `"x"`, `null`, `{"a":[1]}`} {
		if err := s.Validate(instance(t, `{"airport":"JFK","month":"2024-01-01","extra":`+v+`}`)); err != nil {
			t.Errorf("extra=%s: %v", v, err)
		}
	}
}

func TestRowSchemaDeprecated(t *testing.T) {
	if RowSchema(kitchen(1, true))["deprecated"] != true {
		t.Error("a deprecated product's row schema is not marked deprecated")
	}
	if _, ok := RowSchema(kitchen(2, false))["deprecated"]; ok {
		t.Error("a current product's row schema is marked deprecated")
	}
}
