package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Changes summarises how two records of one version differ.
type Changes struct {
	ID string `json:"id"`
	// Fields names the fields whose value differs: title, description,
	// owner, tags, inputs, transform, primaryKey, servingMode, sla.
	Fields         []string  `json:"fields"`
	ColumnsAdded   []string  `json:"columnsAdded"`
	ColumnsRemoved []string  `json:"columnsRemoved"`
	ColumnsRetyped []Retyped `json:"columnsRetyped"`
	// ColumnsChanged names columns whose other attributes differ
	// (description, required, unique, ...).
	ColumnsChanged []string `json:"columnsChanged"`
}

// Retyped is a column whose logical type changed.
type Retyped struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Diff compares what was published (old) with what is offered now (new).
func Diff(old, new *Product) Changes {
	c := Changes{ID: new.ID(), Fields: []string{}, ColumnsAdded: []string{}, ColumnsRemoved: []string{},
		ColumnsRetyped: []Retyped{}, ColumnsChanged: []string{}}
	field := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			c.Fields = append(c.Fields, name)
		}
	}
	field("title", old.Title, new.Title)
	field("description", old.Description, new.Description)
	field("owner", old.Owner, new.Owner)
	field("tags", nilIfEmpty(old.Tags), nilIfEmpty(new.Tags))
	field("inputs", comparableInputs(old.Inputs), comparableInputs(new.Inputs))
	field("transform", strings.TrimSpace(old.Transform), strings.TrimSpace(new.Transform))
	field("primaryKey", nilIfEmpty(old.PrimaryKey), nilIfEmpty(new.PrimaryKey))
	field("servingMode", mode(old.ServingMode), mode(new.ServingMode))
	field("sla", old.SLA, new.SLA)

	oldCols := map[string]Column{}
	for _, col := range old.Schema {
		oldCols[col.Name] = col
	}
	newCols := map[string]bool{}
	for _, col := range new.Schema {
		newCols[col.Name] = true
		prev, ok := oldCols[col.Name]
		switch {
		case !ok:
			c.ColumnsAdded = append(c.ColumnsAdded, col.Name)
		case prev.LogicalType != col.LogicalType:
			c.ColumnsRetyped = append(c.ColumnsRetyped, Retyped{col.Name, prev.LogicalType, col.LogicalType})
		default:
			prev.PhysicalType, col.PhysicalType = "", ""
			a, _ := json.Marshal(prev)
			b, _ := json.Marshal(col)
			if string(a) != string(b) {
				c.ColumnsChanged = append(c.ColumnsChanged, col.Name)
			}
		}
	}
	for _, col := range old.Schema {
		if !newCols[col.Name] {
			c.ColumnsRemoved = append(c.ColumnsRemoved, col.Name)
		}
	}
	if len(c.ColumnsAdded)+len(c.ColumnsRemoved)+len(c.ColumnsRetyped)+len(c.ColumnsChanged) == 0 &&
		!slices.Equal(columnNames(old.Schema), columnNames(new.Schema)) {
		c.Fields = append(c.Fields, "schema order")
	}
	return c
}

// Empty reports whether no difference was found (the records differ in
// nothing a consumer sees).
func (c Changes) Empty() bool {
	return len(c.Fields)+len(c.ColumnsAdded)+len(c.ColumnsRemoved)+len(c.ColumnsRetyped)+len(c.ColumnsChanged) == 0
}

// String writes the changes on one line: "changed: title, sla; column
// added: x; column retyped: y (string -> integer)".
func (c Changes) String() string {
	var parts []string
	if len(c.Fields) > 0 {
		parts = append(parts, "changed: "+strings.Join(c.Fields, ", "))
	}
	list := func(what string, names []string) {
		if len(names) == 0 {
			return
		}
		if len(names) > 1 {
			what += "s"
		}
		parts = append(parts, what+": "+strings.Join(names, ", "))
	}
	list("column added", c.ColumnsAdded)
	list("column removed", c.ColumnsRemoved)
	if len(c.ColumnsRetyped) > 0 {
		var rs []string
		for _, r := range c.ColumnsRetyped {
			rs = append(rs, fmt.Sprintf("%s (%s -> %s)", r.Name, r.From, r.To))
		}
		list("column retyped", rs)
	}
	list("column changed", c.ColumnsChanged)
	if len(parts) == 0 {
		return "no field differs"
	}
	return strings.Join(parts, "; ")
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func mode(m string) string {
	if m == "" {
		return "live"
	}
	return m
}

func columnNames(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// comparableInputs drops what JSON round trips change (number types in
// options) by comparing the printed form.
func comparableInputs(ins []Input) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = fmt.Sprintf("%s %s %v", in.Name, in.Kind, in.Options)
	}
	return out
}
