// Package jsonrows turns JSON objects (Redis values, NATS messages, HTTP API
// records) into a table: one column per field found in any object, with a
// DuckDB type inferred from all the values of that field. It is shared by
// the redis, nats and http connectors, so that the three infer columns the
// same way; it lives under connector/redis because the redis json mode is
// where the rules were first written.
//
// The rules:
//   - columns are the union of the fields of every object, sorted by name,
//     after the connector's fixed columns (a Redis key, a NATS sequence);
//   - a field whose values are all integers (fitting 64 bits) is BIGINT;
//     all numbers, some with a fraction or exponent, DOUBLE; all true/false,
//     BOOLEAN; anything else (strings, nested objects and arrays, or a mix
//     of kinds) VARCHAR, where a nested object or array is its compact JSON
//     text and a number or boolean its JSON text;
//   - null and a missing field are NULL; a field that is always null is
//     VARCHAR;
//   - DuckDB column names are case-insensitive: a field whose name equals a
//     fixed column or another field but for case gets "_" appended until it
//     is unique (`id` and `ID` become `ID` and `id_`, `key` beside the Redis
//     key column becomes `key_`).
package jsonrows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/connector"
)

// kind is what the values of a field have been so far.
type kind uint8

const (
	kNull   kind = iota // no value but null yet
	kInt                // integers only
	kFloat              // numbers, some not integers
	kBool               // true/false only
	kString             // strings only
	kText               // anything else: VARCHAR holding JSON text
)

func merge(a, b kind) kind {
	switch {
	case a == kNull:
		return b
	case b == kNull, a == b:
		return a
	case (a == kInt && b == kFloat) || (a == kFloat && b == kInt):
		return kFloat
	default:
		return kText
	}
}

func (k kind) duckType() string {
	switch k {
	case kInt:
		return "BIGINT"
	case kFloat:
		return "DOUBLE"
	case kBool:
		return "BOOLEAN"
	default:
		return "VARCHAR"
	}
}

// classify tells the kind of one JSON value.
func classify(raw json.RawMessage) kind {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return kNull
	}
	switch raw[0] {
	case 'n':
		return kNull
	case 't', 'f':
		return kBool
	case '"':
		return kString
	case '{', '[':
		return kText
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return kInt
	}
	return kFloat
}

// Object is one record: its fields as raw JSON (json.RawMessage) or, for
// sources whose values are plain strings (Redis hashes), as string.
type Object map[string]any

// Decode parses data as one JSON object. Anything else (an array, a number,
// text that is not JSON) is an error that says what was found.
func Decode(data []byte) (Object, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty, not a JSON object")
	}
	if data[0] != '{' {
		if json.Valid(data) {
			return nil, fmt.Errorf("is JSON but not an object (starts with %q)", abbrev(data, 20))
		}
		return nil, fmt.Errorf("is not JSON: %q", abbrev(data, 40))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("is not valid JSON: %v", err)
	}
	o := make(Object, len(m))
	for k, v := range m {
		o[k] = v
	}
	return o, nil
}

func abbrev(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// Table collects records and infers their columns.
type Table struct {
	fixed  []connector.Column
	recs   []record
	fields map[string]kind
}

type record struct {
	fixed []any
	obj   Object
}

// New starts a table whose rows begin with the fixed columns (their values
// are given to Add, already as the engine expects them).
func New(fixed ...connector.Column) *Table {
	return &Table{fixed: fixed, fields: map[string]kind{}}
}

// Add appends a record.
func (t *Table) Add(fixed []any, obj Object) {
	for k, v := range obj {
		var kd kind
		switch x := v.(type) {
		case string:
			kd = kString
		case json.RawMessage:
			kd = classify(x)
		}
		t.fields[k] = merge(t.fields[k], kd)
	}
	t.recs = append(t.recs, record{fixed: fixed, obj: obj})
}

// Len is the number of records added.
func (t *Table) Len() int { return len(t.recs) }

// columns returns the fixed columns, then one per field, sorted by field
// name. Its second result maps each field to its column name.
func (t *Table) columns() ([]connector.Column, []string) {
	names := make([]string, 0, len(t.fields))
	for k := range t.fields {
		names = append(names, k)
	}
	sort.Strings(names)
	cols := append([]connector.Column(nil), t.fixed...)
	taken := map[string]bool{}
	for _, c := range t.fixed {
		taken[strings.ToLower(c.Name)] = true
	}
	// Exact names first, so that a field keeps its name when only a later
	// field differs from it by case.
	colName := make(map[string]string, len(names))
	for _, n := range names {
		if n != "" && !taken[strings.ToLower(n)] {
			colName[n] = n
			taken[strings.ToLower(n)] = true
		}
	}
	for _, n := range names {
		if _, ok := colName[n]; ok {
			continue
		}
		c := n + "_"
		for taken[strings.ToLower(c)] {
			c += "_"
		}
		colName[n] = c
		taken[strings.ToLower(c)] = true
	}
	for _, n := range names {
		cols = append(cols, connector.Column{Name: colName[n], Type: t.fields[n].duckType()})
	}
	return cols, names
}

// Columns are the fixed columns, then one per field, sorted by field name.
func (t *Table) Columns() []connector.Column {
	cols, _ := t.columns()
	return cols
}

// Rows yields the records in the order they were added, typed as Columns
// says. Records are released as they are read.
func (t *Table) Rows() connector.Rows {
	cols, names := t.columns()
	return &rows{t: t, cols: cols, names: names, i: -1, vals: make([]any, len(cols))}
}

type rows struct {
	t     *Table
	cols  []connector.Column
	names []string
	i     int
	vals  []any
}

func (r *rows) Next() bool {
	if r.i >= 0 && r.i < len(r.t.recs) {
		r.t.recs[r.i] = record{} // let the garbage collector have it
	}
	r.i++
	return r.i < len(r.t.recs)
}

func (r *rows) Err() error   { return nil }
func (r *rows) Close() error { return nil }

func (r *rows) Values() ([]any, error) {
	rec := r.t.recs[r.i]
	nf := len(r.t.fixed)
	copy(r.vals, rec.fixed)
	for j, name := range r.names {
		v, err := Value(rec.obj[name], r.cols[nf+j].Type)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		r.vals[nf+j] = v
	}
	return r.vals, nil
}

// Value converts one field value (json.RawMessage, string or nil) to the Go
// value the engine takes for a column of type typ.
func Value(v any, typ string) (any, error) {
	var raw json.RawMessage
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	case json.RawMessage:
		raw = bytes.TrimSpace(x)
	default:
		return nil, fmt.Errorf("unexpected value %T", v)
	}
	if len(raw) == 0 || raw[0] == 'n' {
		return nil, nil
	}
	switch typ {
	case "BIGINT":
		return strconv.ParseInt(string(raw), 10, 64)
	case "DOUBLE":
		return strconv.ParseFloat(string(raw), 64)
	case "BOOLEAN":
		return raw[0] == 't', nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		return b.String(), nil
	}
	return string(raw), nil
}
