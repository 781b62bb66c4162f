package openapi

import (
	"github.com/datamesh/datamesh/descriptor"
)

// Dialect is the JSON Schema dialect of RowSchema and of the schemas in the
// OpenAPI document.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// RowSchema returns the JSON Schema (draft 2020-12) of one row of p, as
// served at GET /products/{name}/v{major}/schema and used, without its
// "$schema", as the row schema of the OpenAPI document.
//
// Each declared column is a property: string, integer, number and boolean
// map to the JSON type of that name; date, timestamp and time to a string
// of format date, date-time and time; object and array to their JSON type;
// a column without a known type accepts any value. A column that is neither
// required nor part of the primary key also accepts null. The required and
// key columns are listed in "required", and no other property is allowed.
// Column descriptions and examples are carried over.
//
// The schema has no "$id": a caller that knows its public address may set
// one on the returned map.
func RowSchema(p Product) map[string]any {
	s := rowSchema(p)
	s["$schema"] = Dialect
	return s
}

// rowSchema is RowSchema without "$schema".
func rowSchema(p Product) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, c := range p.Columns {
		props[c.Name] = columnSchema(c, p.required(c))
		if p.required(c) {
			required = append(required, c.Name)
		}
	}
	s := map[string]any{
		"title":                p.title(),
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
	desc := "One row of " + p.ID() + "."
	if p.Description != "" {
		desc = p.Description
	}
	s["description"] = desc
	if p.Deprecated {
		s["deprecated"] = true
	}
	return s
}

// columnSchema is the JSON Schema of one column's values.
func columnSchema(c descriptor.Column, required bool) map[string]any {
	s := map[string]any{}
	typ, format := jsonType(c.LogicalType)
	switch {
	case typ == "":
		// Unknown type: any value, null included.
	case required:
		s["type"] = typ
	default:
		s["type"] = []string{typ, "null"}
	}
	if format != "" {
		s["format"] = format
	}
	if c.Description != "" {
		s["description"] = c.Description
	}
	if ex := examples(c); ex != nil {
		s["examples"] = ex
	}
	return s
}

// jsonType is the JSON Schema type and format of a logical type; "" for a
// type it does not know.
func jsonType(t descriptor.LogicalType) (typ, format string) {
	switch t {
	case descriptor.String:
		return "string", ""
	case descriptor.Integer:
		return "integer", ""
	case descriptor.Number:
		return "number", ""
	case descriptor.Boolean:
		return "boolean", ""
	case descriptor.Date:
		return "string", "date"
	case descriptor.Timestamp:
		return "string", "date-time"
	case descriptor.Time:
		return "string", "time"
	case descriptor.Object:
		return "object", ""
	case descriptor.Array:
		return "array", ""
	}
	return "", ""
}
