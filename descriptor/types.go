// Package descriptor defines a data product as its owners declare it: the
// YAML descriptor checked in beside the domain's data. It loads descriptors
// with the position of every field, so that each problem is reported with
// file, line and field path, and validates them.
package descriptor

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// APIVersion and Kind are the only values a descriptor accepts today.
const (
	APIVersion = "datamesh/v1"
	Kind       = "DataProduct"
)

// LogicalType is a column's type as consumers see it. The names follow the
// Open Data Contract Standard (ODCS v3) logicalType, plus timestamp and time.
type LogicalType string

// The logical types a column may declare.
const (
	String    LogicalType = "string"
	Integer   LogicalType = "integer"
	Number    LogicalType = "number"
	Boolean   LogicalType = "boolean"
	Date      LogicalType = "date"
	Timestamp LogicalType = "timestamp"
	Time      LogicalType = "time"
	Object    LogicalType = "object"
	Array     LogicalType = "array"
)

// LogicalTypes lists every logical type, in documentation order.
var LogicalTypes = []LogicalType{String, Integer, Number, Boolean, Date, Timestamp, Time, Object, Array}

// Valid reports whether t is one of LogicalTypes.
func (t LogicalType) Valid() bool {
	for _, v := range LogicalTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Serving modes.
const (
	ModeLive         = "live"
	ModeMaterialized = "materialized"
	ModeAsync        = "async"
)

// Product is one data product descriptor.
type Product struct {
	APIVersion  string    `json:"apiVersion"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	Domain      string    `json:"domain"`
	Version     string    `json:"version"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	Owner       Owner     `json:"owner"`
	Tags        []string  `json:"tags,omitempty"`
	Inputs      []Input   `json:"inputs"`
	Transform   Transform `json:"transform"`
	Output      Output    `json:"output"`
	Serving     Serving   `json:"serving"`
	SLA         SLA       `json:"sla,omitzero"`

	// File is the descriptor's path as it was loaded; Dir is its folder,
	// against which relative paths in inputs are resolved.
	File string `json:"-"`
	Dir  string `json:"-"`
	// Positions maps the path of every field and list item given in the
	// file ("owner.team", "inputs[0]", "inputs[0].file.path",
	// "output.schema[3].name", "transform.sql") to where it stands in File:
	// a scalar at its value (for a block scalar such as "sql: |", at the
	// "|": its text starts on the next line), a mapping or list at its key,
	// a list item at its first character.
	Positions map[string]Pos `json:"-"`
}

// ID is the product's identifier across the mesh: domain/name@version.
func (p *Product) ID() string { return p.Domain + "/" + p.Name + "@" + p.Version }

// Major is the major part of the product's semantic version.
func (p *Product) Major() int {
	v, err := ParseVersion(p.Version)
	if err != nil {
		return 0
	}
	return v.Major
}

// Pos returns where path stands in the descriptor, or the file's start.
func (p *Product) Pos(path string) Pos {
	for path != "" {
		if pos, ok := p.Positions[path]; ok {
			return pos
		}
		// Fall back to the closest enclosing field.
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return Pos{File: p.File, Line: 1, Column: 1}
}

// Column returns the declared output column with that name.
func (p *Product) Column(name string) (Column, bool) {
	for _, c := range p.Output.Schema {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Owner is the team accountable for a product.
type Owner struct {
	Team  string `json:"team"`
	Email string `json:"email,omitempty"`
}

// Input is one source the transform reads, bound under Name. Kind names the
// connector (file, sqlite, product, ...); Options is that connector's
// configuration as written, decoded by the connector.
type Input struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Options map[string]any `json:"options"`
	// Node is the option value as written, with its positions.
	Node *yaml.Node `json:"-"`
}

// Transform is the SQL that computes the product from its inputs.
type Transform struct {
	SQL string `json:"sql"`
}

// Output is the product's promised shape.
type Output struct {
	PrimaryKey []string `json:"primaryKey,omitempty"`
	Schema     []Column `json:"schema"`
}

// Column is one output column. Field names follow ODCS v3.
type Column struct {
	Name           string      `json:"name"`
	LogicalType    LogicalType `json:"logicalType"`
	Description    string      `json:"description,omitempty"`
	Required       bool        `json:"required,omitempty"`
	Unique         bool        `json:"unique,omitempty"`
	PrimaryKey     bool        `json:"primaryKey,omitempty"`
	Classification string      `json:"classification,omitempty"`
	Examples       []any       `json:"examples,omitempty"`
}

// Serving says how requests are answered.
type Serving struct {
	Mode string `json:"mode"`
	// Refresh is when a materialized product is rebuilt; zero: only when
	// the node starts and when a refresh is asked for.
	Refresh Schedule `json:"refresh,omitzero"`
	// Timeout bounds one refresh (materialized) or one job; zero: the
	// node's default.
	Timeout Duration `json:"timeout,omitzero"`
}

// SLA is what the owners promise.
type SLA struct {
	LatencyP99   Duration `json:"latencyP99,omitzero"`
	Freshness    Duration `json:"freshness,omitzero"`
	Availability string   `json:"availability,omitempty"`
}

// Duration is a time.Duration written as "200ms", "24h" or "7d".
type Duration time.Duration

// String formats d as Go does: 24h0m0s.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration in its Go form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration as ParseDuration does.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = v
	return err
}

// maxDays is the longest duration in days that a time.Duration holds.
const maxDays = float64(math.MaxInt64 / int64(24*time.Hour))

// days is a number of days: 7d, 1.5d.
var days = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)d$`)

// ParseDuration accepts Go durations plus a "d" (24h) unit.
func ParseDuration(s string) (Duration, error) {
	if m := days.FindStringSubmatch(s); m != nil {
		if n, err := strconv.ParseFloat(m[1], 64); err == nil && n < maxDays {
			return Duration(time.Duration(n * float64(24*time.Hour))), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (use a number with a unit: 200ms, 30s, 24h, 7d)", s)
	}
	return Duration(d), nil
}

// Pos is a place in a descriptor file. Line and Column count from 1; Line
// 0 means the whole file, Column 0 a whole line.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}
