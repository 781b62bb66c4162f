package descriptor

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/datamesh/datamesh/connector"
)

//go:embed schema.json
var baseSchema []byte

// JSONSchema returns a JSON Schema (draft 2020-12) of the descriptor format,
// for editors: with yaml-language-server, put
//
//	# yaml-language-server: $schema=<file or URL of this schema>
//
// at the top of a descriptor to get completion and checks as you type. The
// input connectors and their options are generated from the connectors
// registered in this program, and names, types and modes from the loader's
// own rules, so that the schema never drifts from the loader. The loader
// remains the authority: it checks more than a schema can say.
func JSONSchema() []byte {
	var doc map[string]any
	if err := json.Unmarshal(baseSchema, &doc); err != nil {
		panic("descriptor: embedded schema.json: " + err.Error()) // caught by tests
	}
	defs := doc["$defs"].(map[string]any)
	def := func(name string) map[string]any { return defs[name].(map[string]any) }
	prop := func(obj, field string) map[string]any {
		return def(obj)["properties"].(map[string]any)[field].(map[string]any)
	}

	def("name")["pattern"] = NamePattern.String()
	prop("column", "name")["pattern"] = ColumnNamePattern.String()
	types := make([]string, len(LogicalTypes))
	for i, t := range LogicalTypes {
		types[i] = string(t)
	}
	prop("column", "logicalType")["enum"] = types
	prop("serving", "mode")["enum"] = Modes

	// Inputs: a name and exactly one of the registered connectors.
	input := def("input")
	props := map[string]any{
		"name": map[string]any{
			"type":        "string",
			"pattern":     InputNamePattern.String(),
			"description": "The name the transform reads the input by.",
		},
	}
	var oneOf []any
	for _, kind := range connector.Kinds() {
		spec, _ := connector.Lookup(kind)
		defName := "connector-" + kind
		defs[defName] = connectorSchema(spec)
		ref := map[string]any{"$ref": "#/$defs/" + defName}
		p := map[string]any{"description": spec.Summary}
		if o, ok := spec.Option(spec.Shorthand); ok {
			short := optionSchema(o)
			short["description"] = fmt.Sprintf("Shorthand for %s: %s", o.Name, o.Description)
			p["anyOf"] = []any{short, ref}
		} else {
			p["allOf"] = []any{ref}
		}
		props[kind] = p
		oneOf = append(oneOf, map[string]any{"required": []string{kind}})
	}
	input["additionalProperties"] = false
	input["required"] = []string{"name"}
	input["properties"] = props
	if len(oneOf) > 0 {
		input["oneOf"] = oneOf
	}

	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("descriptor: JSON Schema: " + err.Error())
	}
	return append(out, '\n')
}

// connectorSchema is the mapping form of a connector's options.
func connectorSchema(spec connector.Spec) map[string]any {
	props := map[string]any{}
	var required []string
	for _, o := range spec.Options {
		props[o.Name] = optionSchema(o)
		if o.Required {
			required = append(required, o.Name)
		}
	}
	s := map[string]any{
		"type":                 "object",
		"description":          "Options of the " + spec.Kind + " connector: " + spec.Summary + ".",
		"additionalProperties": false,
		"properties":           props,
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// optionSchema is the schema of one connector option's value.
func optionSchema(o connector.Option) map[string]any {
	s := map[string]any{}
	if o.Description != "" {
		s["description"] = o.Description
	}
	switch o.Type {
	case connector.TypeInt:
		s["type"] = "integer"
	case connector.TypeBool:
		s["type"] = "boolean"
	case connector.TypeStrings:
		items := map[string]any{"type": "string", "minLength": 1}
		if len(o.Enum) > 0 {
			items["enum"] = o.Enum
		}
		s["type"] = "array"
		s["items"] = items
	case connector.TypeMap:
		s["type"] = "object"
	default:
		s["type"] = "string"
		if len(o.Enum) > 0 {
			s["enum"] = o.Enum
		}
		if o.Example != "" && !strings.ContainsAny(o.Example, "\n") {
			s["examples"] = []string{o.Example}
		}
	}
	return s
}
