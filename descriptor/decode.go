package descriptor

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// object lists the fields of one kind of mapping in a descriptor.
type object struct {
	fields   []string // in documentation order
	required []string
}

// objects are the mappings of a descriptor and their fields. The loader
// rejects any other field, and JSONSchema has exactly these properties (a
// test checks both). An input is not here: its fields are name and the
// registered connector kinds.
var objects = map[string]object{
	"product": {
		fields: []string{"apiVersion", "kind", "name", "domain", "version", "title", "description",
			"owner", "tags", "inputs", "transform", "output", "serving", "sla"},
		required: []string{"apiVersion", "kind", "name", "domain", "version", "description",
			"owner", "inputs", "transform", "output"},
	},
	"owner":     {fields: []string{"team", "email"}, required: []string{"team"}},
	"transform": {fields: []string{"sql"}, required: []string{"sql"}},
	"output":    {fields: []string{"primaryKey", "schema"}, required: []string{"schema"}},
	"column": {
		fields: []string{"name", "logicalType", "description", "required", "unique", "primaryKey",
			"classification", "examples"},
		required: []string{"name", "logicalType"},
	},
	"serving": {fields: []string{"mode", "refresh", "timeout"}},
	"sla":     {fields: []string{"latencyP99", "freshness", "availability"}},
}

// renamed maps "object.oldName" to the field's current name, so that a
// renamed field keeps working, with a deprecation warning. Nothing has been
// renamed yet.
var renamed = map[string]string{}

// Patterns of names in a descriptor besides NamePattern.
var (
	// InputNamePattern is what input names look like: they are SQL
	// identifiers in the transform.
	InputNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// ColumnNamePattern is what output column names look like: they are
	// used unquoted in query parameters (select=a,b and a=eq.1).
	ColumnNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

	emailPattern        = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)
	availabilityPattern = regexp.MustCompile(`^([0-9]{1,3}(\.[0-9]+)?)%$`)
)

// Modes lists the serving modes.
var Modes = []string{ModeLive, ModeMaterialized, ModeAsync}

// typeSynonyms suggests a logical type for names from SQL and elsewhere.
var typeSynonyms = map[string]LogicalType{
	"str": String, "text": String, "varchar": String, "uuid": String,
	"int": Integer, "bigint": Integer, "long": Integer, "smallint": Integer,
	"float": Number, "double": Number, "decimal": Number, "numeric": Number, "real": Number,
	"bool": Boolean, "datetime": Timestamp, "timestamptz": Timestamp,
	"struct": Object, "map": Object, "json": Object, "record": Object,
	"list": Array,
}

// loader decodes one descriptor, collecting problems.
type loader struct {
	p     *Product
	probs Problems

	pkGiven bool         // output.primaryKey is written
	pkFlags map[int]bool // output.schema[i].primaryKey as written
	values  int          // nodes decoded by value, bounded by maxValues
}

// maxValues bounds the values decoded from free-form fields (examples,
// mapping options), so that aliases cannot expand a small file into an
// enormous value.
const maxValues = 10000

func decode(file string, root *yaml.Node) (*Product, Problems) {
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	p := &Product{File: file, Dir: dir, Positions: map[string]Pos{}}
	l := &loader{p: p, pkFlags: map[int]bool{}}
	l.product(root)
	return p, l.probs
}

func (l *loader) pos(n *yaml.Node) Pos {
	return Pos{File: l.p.File, Line: n.Line, Column: n.Column}
}

func (l *loader) errorf(n *yaml.Node, path, format string, args ...any) {
	l.probs = append(l.probs, Problem{Pos: l.pos(n), Path: path, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(n *yaml.Node, path, format string, args ...any) {
	l.probs = append(l.probs, Problem{Pos: l.pos(n), Path: path, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// record notes where the field at path stands: a scalar at its value, a
// mapping or list at its key.
func (l *loader) record(path string, key, val *yaml.Node) {
	if resolve(val).Kind == yaml.ScalarNode || key == nil {
		l.p.Positions[path] = l.pos(val)
		return
	}
	l.p.Positions[path] = l.pos(key)
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// keyName returns the name of a mapping key, or reports it.
func (l *loader) keyName(path string, k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
		if k.ShortTag() == "!!merge" {
			l.errorf(k, path, "merge keys (<<) are not supported in descriptors: write the fields out")
		} else {
			l.errorf(k, path, "a field name must be a string, not %s", describe(k))
		}
		return "", false
	}
	return k.Value, true
}

// object walks the mapping n, an object of kind obj at path, calling fn for
// each known field with a value. It reports a value that is not a mapping,
// unknown and repeated fields, renamed ones, and missing required fields.
func (l *loader) object(path string, n *yaml.Node, obj string, fn func(field, path string, v *yaml.Node)) {
	spec := objects[obj]
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, path, "must be a mapping of fields (%s), not %s", strings.Join(spec.fields, ", "), describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := l.keyName(path, k)
		if !ok {
			continue
		}
		if current, ok := renamed[obj+"."+name]; ok {
			l.warnf(k, join(path, name), "deprecated: %q was renamed %q", name, current)
			name = current
		}
		fp := join(path, name)
		if !slices.Contains(spec.fields, name) {
			l.errorf(k, fp, "unknown field %q%s", name, didYouMean(name, spec.fields))
			continue
		}
		if prev, dup := seen[name]; dup {
			if prev.Value != k.Value { // one of them by its old name
				l.errorf(k, fp, "given twice, as %q (line %d) and as %q", prev.Value, prev.Line, k.Value)
			} else {
				l.errorf(k, fp, "given twice (first at line %d)", prev.Line)
			}
			continue
		}
		seen[name] = k
		l.record(fp, k, v)
		if isNull(v) {
			if slices.Contains(spec.required, name) {
				l.errorf(k, fp, "needs a value")
			}
			continue
		}
		fn(name, fp, resolve(v))
	}
	for _, r := range spec.required {
		if _, ok := seen[r]; !ok {
			l.errorf(n, join(path, r), "required field is missing")
		}
	}
}

// str returns a scalar's text. Any scalar is taken as written: version:
// 1.0 is the string "1.0".
func (l *loader) str(path string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		l.errorf(v, path, "must be a string, not %s", describe(v))
		return "", false
	}
	return v.Value, true
}

// boolean returns a true or false scalar.
func (l *loader) boolean(path string, v *yaml.Node) (bool, bool) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		var b bool
		if err := v.Decode(&b); err == nil {
			return b, true
		}
	}
	l.errorf(v, path, "must be a boolean (true or false), not %s", describe(v))
	return false, false
}

// integer returns an integer scalar.
func (l *loader) integer(path string, v *yaml.Node) (int, bool) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		var i int
		if err := v.Decode(&i); err == nil {
			return i, true
		}
		l.errorf(v, path, "%s is out of range", v.Value)
		return 0, false
	}
	l.errorf(v, path, "must be an integer, not %s", describe(v))
	return 0, false
}

// list returns the items of a sequence, recording their positions.
func (l *loader) list(path string, v *yaml.Node, what string) ([]*yaml.Node, bool) {
	if v.Kind != yaml.SequenceNode {
		l.errorf(v, path, "must be a list of %s, not %s", what, describe(v))
		return nil, false
	}
	items := make([]*yaml.Node, len(v.Content))
	for i, it := range v.Content {
		l.record(index(path, i), nil, it)
		items[i] = resolve(it)
	}
	return items, true
}

// strings returns a list of non-empty strings.
func (l *loader) strings(path string, v *yaml.Node) ([]string, bool) {
	items, ok := l.list(path, v, "strings")
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		if it.Kind != yaml.ScalarNode || isNull(it) {
			l.errorf(it, index(path, i), "must be a string, not %s", describe(it))
			ok = false
			continue
		}
		if strings.TrimSpace(it.Value) == "" {
			l.errorf(it, index(path, i), "must not be empty")
			ok = false
			continue
		}
		out = append(out, it.Value)
	}
	return out, ok
}

// value decodes any YAML value into JSON-like Go values: string, int,
// float64, bool, nil, []any and map[string]any.
func (l *loader) value(path string, v *yaml.Node, depth int) (any, bool) {
	v = resolve(v)
	l.values++
	if depth > 32 || l.values > maxValues {
		l.errorf(v, path, "is nested too deeply or expands to too many values (aliases?)")
		return nil, false
	}
	switch v.Kind {
	case yaml.ScalarNode:
		switch v.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if v.Decode(&b) == nil {
				return b, true
			}
		case "!!int":
			var i int
			if v.Decode(&i) == nil {
				return i, true
			}
		case "!!float":
			var f float64
			if v.Decode(&f) == nil {
				return f, true
			}
		}
		return v.Value, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(v.Content))
		for i, it := range v.Content {
			x, ok := l.value(index(path, i), it, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		return out, true
	case yaml.MappingNode:
		out := make(map[string]any, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := resolve(v.Content[i])
			if k.Kind != yaml.ScalarNode {
				l.errorf(k, path, "a key must be a string, not %s", describe(k))
				return nil, false
			}
			x, ok := l.value(join(path, k.Value), v.Content[i+1], depth+1)
			if !ok {
				return nil, false
			}
			out[k.Value] = x
		}
		return out, true
	}
	l.errorf(v, path, "cannot be %s", describe(v))
	return nil, false
}

func (l *loader) product(root *yaml.Node) {
	p := l.p
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "", "a descriptor must be a mapping of fields (apiVersion, kind, name, ...), not %s", describe(root))
		return
	}
	l.object("", root, "product", func(field, path string, v *yaml.Node) {
		switch field {
		case "apiVersion":
			if s, ok := l.str(path, v); ok {
				p.APIVersion = s
				if s != APIVersion {
					l.errorf(v, path, "%q is not supported: write %s", s, APIVersion)
				}
			}
		case "kind":
			if s, ok := l.str(path, v); ok {
				p.Kind = s
				if s != Kind {
					l.errorf(v, path, "%q is not supported: write %s", s, Kind)
				}
			}
		case "name":
			p.Name = l.name(path, v)
		case "domain":
			p.Domain = l.name(path, v)
		case "version":
			if s, ok := l.str(path, v); ok {
				p.Version = s
				if _, err := ParseVersion(s); err != nil {
					l.errorf(v, path, "%s", err)
				}
			}
		case "title":
			p.Title, _ = l.str(path, v)
		case "description":
			if s, ok := l.str(path, v); ok {
				p.Description = s
				if strings.TrimSpace(s) == "" {
					l.errorf(v, path, "must not be empty: say what the product holds")
				}
			}
		case "owner":
			l.owner(path, v)
		case "tags":
			p.Tags, _ = l.strings(path, v)
		case "inputs":
			l.inputs(path, v)
		case "transform":
			l.object(path, v, "transform", func(field, path string, v *yaml.Node) {
				if s, ok := l.str(path, v); ok {
					p.Transform.SQL = s
					if strings.TrimSpace(s) == "" {
						l.errorf(v, path, "must not be empty: write the SELECT that computes the product")
					}
				}
			})
		case "output":
			l.output(path, v)
		case "serving":
			l.serving(path, v)
		case "sla":
			l.sla(path, v)
		}
	})
	if p.Serving.Mode == "" {
		p.Serving.Mode = ModeLive
	}
	l.primaryKey()
}

// name returns a product or domain name.
func (l *loader) name(path string, v *yaml.Node) string {
	s, ok := l.str(path, v)
	if ok && !NamePattern.MatchString(s) {
		l.errorf(v, path, "%q is not a valid name: use lowercase letters, digits and single dashes, starting with a letter (e.g. delays-by-airport)", s)
	}
	return s
}

// enum returns a string that must be one of values.
func (l *loader) enum(path string, v *yaml.Node, values []string, what string) string {
	s, ok := l.str(path, v)
	if ok && !slices.Contains(values, s) {
		l.errorf(v, path, "%q is not %s (%s)%s", s, what, strings.Join(values, ", "), hint(s, values))
	}
	return s
}

func (l *loader) owner(path string, v *yaml.Node) {
	o := &l.p.Owner
	l.object(path, v, "owner", func(field, path string, v *yaml.Node) {
		s, ok := l.str(path, v)
		if !ok {
			return
		}
		switch field {
		case "team":
			o.Team = s
			if strings.TrimSpace(s) == "" {
				l.errorf(v, path, "must not be empty: name the team accountable for the product")
			}
		case "email":
			o.Email = s
			if !emailPattern.MatchString(s) {
				l.errorf(v, path, "%q is not an email address", s)
			}
		}
	})
}

func (l *loader) output(path string, v *yaml.Node) {
	out := &l.p.Output
	l.object(path, v, "output", func(field, path string, v *yaml.Node) {
		switch field {
		case "primaryKey":
			l.pkGiven = true
			out.PrimaryKey, _ = l.strings(path, v)
		case "schema":
			items, ok := l.list(path, v, "columns")
			if !ok {
				return
			}
			if len(items) == 0 {
				l.errorf(v, path, "must list at least one column")
			}
			first := map[string]int{} // lower-cased name -> line
			for i, it := range items {
				cp := index(path, i)
				c := l.column(i, cp, it)
				out.Schema = append(out.Schema, c)
				if c.Name == "" {
					continue
				}
				// DuckDB names are case-insensitive: so are duplicates.
				key := strings.ToLower(c.Name)
				if line, dup := first[key]; dup {
					at := l.p.Pos(cp + ".name")
					l.probs = append(l.probs, Problem{Pos: at, Path: cp + ".name", Msg: fmt.Sprintf("duplicate column name %q (first at line %d)", c.Name, line)})
					continue
				}
				first[key] = l.p.Pos(cp + ".name").Line
			}
		}
	})
}

func (l *loader) column(i int, path string, v *yaml.Node) Column {
	var c Column
	l.object(path, v, "column", func(field, path string, v *yaml.Node) {
		switch field {
		case "name":
			if s, ok := l.str(path, v); ok {
				c.Name = s
				if !ColumnNamePattern.MatchString(s) {
					l.errorf(v, path, "%q is not a valid column name: use letters, digits and underscores, starting with a letter or underscore", s)
				}
			}
		case "logicalType":
			if s, ok := l.str(path, v); ok {
				c.LogicalType = LogicalType(s)
				if !c.LogicalType.Valid() {
					l.errorf(v, path, "%q is not a logical type%s", s, l.typeHint(s))
				}
			}
		case "description":
			c.Description, _ = l.str(path, v)
		case "classification":
			c.Classification, _ = l.str(path, v)
		case "required":
			c.Required, _ = l.boolean(path, v)
		case "unique":
			c.Unique, _ = l.boolean(path, v)
		case "primaryKey":
			if b, ok := l.boolean(path, v); ok {
				c.PrimaryKey = b
				l.pkFlags[i] = b
			}
		case "examples":
			items, ok := l.list(path, v, "example values")
			if !ok {
				return
			}
			for j, it := range items {
				if x, ok := l.value(index(path, j), it, 0); ok {
					c.Examples = append(c.Examples, x)
				}
			}
		}
	})
	return c
}

// typeHint suggests a logical type for s.
func (l *loader) typeHint(s string) string {
	names := make([]string, len(LogicalTypes))
	for i, t := range LogicalTypes {
		names[i] = string(t)
	}
	if t, ok := typeSynonyms[strings.ToLower(s)]; ok {
		return "; did you mean " + strconv.Quote(string(t)) + "?"
	}
	return " (" + strings.Join(names, ", ") + ")" + hint(s, names)
}

// primaryKey checks output.primaryKey against the schema, or builds it from
// the columns marked primaryKey: true when it is absent.
func (l *loader) primaryKey() {
	out := &l.p.Output
	if !l.pkGiven {
		for _, c := range out.Schema {
			if c.PrimaryKey {
				out.PrimaryKey = append(out.PrimaryKey, c.Name)
			}
		}
		return
	}
	names := make([]string, 0, len(out.Schema))
	for _, c := range out.Schema {
		if c.Name != "" && !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	listed := map[string]bool{}
	for j, name := range out.PrimaryKey {
		path := index("output.primaryKey", j)
		if listed[name] {
			l.probs = append(l.probs, l.p.Problem(path, "%q is listed twice", name))
			continue
		}
		listed[name] = true
		i := slices.IndexFunc(out.Schema, func(c Column) bool { return c.Name == name })
		if i < 0 {
			if len(names) > 0 { // otherwise the schema's problem says it all
				l.probs = append(l.probs, l.p.Problem(path, "%q is not a column of output.schema%s", name, didYouMean(name, names)))
			}
			continue
		}
		if flag, written := l.pkFlags[i]; written && !flag {
			l.probs = append(l.probs, l.p.Problem(index("output.schema", i)+".primaryKey",
				"is false, but output.primaryKey lists %q", name))
		}
		out.Schema[i].PrimaryKey = true
	}
	for i, c := range out.Schema {
		if flag := l.pkFlags[i]; flag && !listed[c.Name] {
			l.probs = append(l.probs, l.p.Problem(index("output.schema", i)+".primaryKey",
				"is true, but output.primaryKey [%s] does not list %q", strings.Join(out.PrimaryKey, ", "), c.Name))
		}
	}
}

func (l *loader) sla(path string, v *yaml.Node) {
	sla := &l.p.SLA
	l.object(path, v, "sla", func(field, path string, v *yaml.Node) {
		s, ok := l.str(path, v)
		if !ok {
			return
		}
		switch field {
		case "latencyP99", "freshness":
			d, err := ParseDuration(s)
			if err != nil {
				l.errorf(v, path, "%s", err)
				return
			}
			if field == "latencyP99" {
				sla.LatencyP99 = d
			} else {
				sla.Freshness = d
			}
		case "availability":
			sla.Availability = s
			m := availabilityPattern.FindStringSubmatch(s)
			if m == nil {
				l.errorf(v, path, "%q is not a percentage: write it like 99.9%%", s)
				return
			}
			if f, err := strconv.ParseFloat(m[1], 64); err != nil || f <= 0 || f > 100 {
				l.errorf(v, path, "%q must be above 0%% and at most 100%%", s)
			}
		}
	})
}

func (l *loader) serving(path string, v *yaml.Node) {
	sv := &l.p.Serving
	var refresh *yaml.Node
	l.object(path, v, "serving", func(field, path string, v *yaml.Node) {
		switch field {
		case "mode":
			sv.Mode = l.enum(path, v, Modes, "a serving mode")
		case "refresh":
			s, ok := l.str(path, v)
			if !ok {
				return
			}
			sched, err := ParseSchedule(s)
			if err != nil {
				l.errorf(v, path, "%s", err)
				return
			}
			sv.Refresh, refresh = sched, v
		case "timeout":
			s, ok := l.str(path, v)
			if !ok {
				return
			}
			d, err := ParseDuration(s)
			if err == nil && d == 0 {
				err = fmt.Errorf("%q is zero: give a positive duration, or leave timeout out for the node's default", s)
			}
			if err != nil {
				l.errorf(v, path, "%s", err)
				return
			}
			sv.Timeout = d
		}
	})
	if refresh != nil && sv.Mode != ModeMaterialized && (sv.Mode == "" || slices.Contains(Modes, sv.Mode)) {
		mode := sv.Mode
		if mode == "" {
			mode = ModeLive
		}
		l.errorf(refresh, join(path, "refresh"), "only materialized products are refreshed, and this one is %s: set serving.mode: materialized, or remove refresh", mode)
	}
}
