//go:build duckdb_arrow

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine/sqlq"
)

// Product is a data product compiled in the engine.
type Product struct {
	Desc *descriptor.Product
	// Schema is the engine schema holding the product's inputs and views.
	Schema string
	// Columns are the columns the transform really produces, in output
	// order, with their DuckDB types.
	Columns []Column

	mu          sync.Mutex
	inputs      []*boundInput
	unavailable string // why the product cannot be computed now; "" when it can
	compiled    bool
}

// boundInput is an input's connector and when it last read its source.
type boundInput struct {
	name    string
	path    string // field path in the descriptor, for problems
	c       connector.Connector
	rel     connector.Relation
	boundAt time.Time // zero: not bound
}

// describe names the input and, when the connector says, its source.
func (in *boundInput) describe() string {
	if s, ok := in.c.(fmt.Stringer); ok {
		return in.name + " (" + s.String() + ")"
	}
	return in.name
}

// readsProducts reports whether an input is a copy of another product.
func (p *Product) readsProducts() bool {
	for _, in := range p.inputs {
		if _, ok := in.c.(connector.Refresher); ok {
			return true
		}
	}
	return false
}

// Unavailable says why the product cannot be computed now (an input that
// cannot be read); empty when it can.
func (p *Product) Unavailable() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unavailable
}

// UpstreamError is an input that could not be read when a request needed
// it. The node answers it as a bad gateway naming the input.
type UpstreamError struct {
	Product, Input string
	Err            error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("product %s, input %q: %v", e.Product, e.Input, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Prepare makes a product ready for a request: inputs that refresh
// (copies of other products) and are older than their MaxAge are read
// again, and a product that was unavailable is compiled once its inputs
// can be read. Concurrent requests share one refresh.
func (e *Engine) Prepare(ctx context.Context, p *Product) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for _, in := range p.inputs {
		r, refreshes := in.c.(connector.Refresher)
		fresh := !in.boundAt.IsZero() && (!refreshes || now.Sub(in.boundAt) < r.MaxAge())
		if fresh {
			continue
		}
		if err := in.c.Bind(ctx, e, in.rel); err != nil {
			if !p.compiled {
				p.unavailable = fmt.Sprintf("input %s: %v", in.describe(), err)
			}
			return &UpstreamError{Product: p.Desc.ID(), Input: in.describe(), Err: err}
		}
		in.boundAt = time.Now()
	}
	if !p.compiled {
		p.unavailable = ""
		if problems := e.compile(ctx, p); problems.HasErrors() {
			p.unavailable = "the transform does not compile over its inputs: " + problems.Errors().Error()
			var names []string
			for _, in := range p.inputs {
				if _, ok := in.c.(connector.Refresher); ok {
					names = append(names, in.describe())
				}
			}
			return &UpstreamError{Product: p.Desc.ID(), Input: strings.Join(names, ", "),
				Err: fmt.Errorf("what it serves now does not fit the transform: %w", problems.Errors())}
		}
	}
	return nil
}

// Column is an output column as the engine computes it.
type Column struct {
	Name    string
	Type    string // DuckDB type
	Logical descriptor.LogicalType
}

// Relation is the quoted name of the product's output view.
func (p *Product) Relation() string { return sqlq.Qualified(p.Schema, "@output") }

// SchemaName is the engine schema of a product: one per name and major, so
// that majors can be served side by side.
func SchemaName(d *descriptor.Product) string {
	return fmt.Sprintf("%s@v%d", d.Name, d.Major())
}

// Build binds every product's inputs, sandboxes the engine, then compiles
// every transform and checks it against the declared output. Products whose
// inputs are unavailable are returned with Unavailable set and a warning;
// Prepare tries them again when a request comes.
// Validation (`datamesh validate`) and serving share this path.
func (e *Engine) Build(ctx context.Context, descs []*descriptor.Product) ([]*Product, descriptor.Problems) {
	var problems descriptor.Problems
	products := make([]*Product, 0, len(descs))
	for _, d := range descs {
		p := &Product{Desc: d, Schema: SchemaName(d)}
		problems = append(problems, e.bindInputs(ctx, p)...)
		products = append(products, p)
	}
	if err := e.Sandbox(ctx); err != nil {
		problems = append(problems, descriptor.Problem{Severity: descriptor.Error, Msg: err.Error()})
		return nil, problems
	}
	for _, p := range products {
		more := e.compile(ctx, p)
		if more.HasErrors() && p.readsProducts() {
			// The transform disagrees with what an upstream product serves
			// now: wait for the upstream rather than refuse to start.
			p.unavailable = "the transform does not compile over its inputs: " + more.Errors().Error()
			for i := range more {
				more[i].Severity = descriptor.Warning
			}
		}
		problems = append(problems, more...)
	}
	return products, problems
}

func (e *Engine) bindInputs(ctx context.Context, p *Product) descriptor.Problems {
	d := p.Desc
	var problems descriptor.Problems
	// The columns the transform mentions let connectors read only those.
	a, _ := e.analyze(ctx, d, strings.TrimRight(strings.TrimSpace(d.Transform.SQL), "; \t\n"))
	if err := e.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+sqlq.Ident(p.Schema)); err != nil {
		return append(problems, d.Problem("name", "cannot create the product's schema: %v", err))
	}
	for i, in := range d.Inputs {
		path := fmt.Sprintf("inputs[%d].%s", i, in.Kind)
		spec, ok := connector.Lookup(in.Kind)
		if !ok {
			problems = append(problems, d.Problem(path, "no connector %q in this build", in.Kind))
			continue
		}
		c, err := spec.New(connector.Config{Input: in.Name, Dir: d.Dir, Options: in.Options,
			Columns: a.columns, Resolver: e.resolver})
		if err != nil {
			problems = append(problems, d.Problem(path, "%v", err))
			continue
		}
		bi := &boundInput{name: in.Name, path: path, c: c, rel: connector.Relation{Schema: p.Schema, Name: in.Name}}
		p.inputs = append(p.inputs, bi)
		if err := c.Bind(ctx, e, bi.rel); err != nil {
			if errors.Is(err, connector.ErrUnavailable) {
				p.unavailable = fmt.Sprintf("input %q: %v", in.Name, err)
				problems = append(problems, d.Warning(path, "%v; the product is served as unavailable until it can be read", err))
				continue
			}
			problems = append(problems, d.Problem(path, "cannot read input %q: %s", in.Name, cleanDuckError(err)))
			continue
		}
		bi.boundAt = time.Now()
	}
	return problems
}

// compile checks the transform (one SELECT that reads exactly the declared
// inputs), creates the product's views and compares the columns it really
// produces with the declared output schema.
func (e *Engine) compile(ctx context.Context, p *Product) descriptor.Problems {
	d := p.Desc
	sql := strings.TrimRight(strings.TrimSpace(d.Transform.SQL), "; \t\n")
	a, problems := e.analyze(ctx, d, sql)
	if problems.HasErrors() {
		return problems
	}
	refs := a.tables
	declared := make(map[string]bool, len(d.Inputs))
	for i, in := range d.Inputs {
		declared[in.Name] = true
		if !slices.Contains(refs, in.Name) {
			problems = append(problems, d.Problem(fmt.Sprintf("inputs[%d].name", i),
				"input %q is declared but the transform does not read it", in.Name))
		}
	}
	for _, r := range refs {
		if !declared[r] {
			problems = append(problems, d.Problem("transform.sql",
				"the transform reads %q, which is not a declared input (inputs: %s)", r, inputNames(d)))
		}
	}
	if problems.HasErrors() || p.unavailable != "" {
		return problems
	}
	transform := sqlq.Qualified(p.Schema, "@transform")
	if err := e.Exec(ctx, "CREATE OR REPLACE VIEW "+transform+" AS "+sql); err != nil {
		return append(problems, d.Problem("transform.sql", "%s", sqlError(d, sql, err)))
	}
	actual, err := e.describe(ctx, "SELECT * FROM "+transform)
	if err != nil {
		return append(problems, d.Problem("transform.sql", "%s", sqlError(d, sql, err)))
	}
	byName := make(map[string]Column, len(actual))
	for _, c := range actual {
		byName[c.Name] = c
	}
	names := make([]string, 0, len(d.Output.Schema))
	for i, col := range d.Output.Schema {
		got, ok := byName[col.Name]
		if !ok {
			problems = append(problems, d.Problem(fmt.Sprintf("output.schema[%d].name", i),
				"column %q is declared but the transform does not produce it (it produces %s)", col.Name, columnNames(actual)))
			continue
		}
		if !Compatible(col.LogicalType, got.Logical) {
			problems = append(problems, d.Problem(fmt.Sprintf("output.schema[%d].logicalType", i),
				"column %q is declared %s but the transform produces %s (%s)", col.Name, col.LogicalType, got.Logical, got.Type))
		}
		p.Columns = append(p.Columns, got)
		names = append(names, sqlq.Ident(col.Name))
	}
	for _, c := range actual {
		if _, ok := d.Column(c.Name); !ok {
			problems = append(problems, d.Problem("output.schema",
				"the transform produces column %q (%s), which output.schema does not declare", c.Name, c.Type))
		}
	}
	if problems.HasErrors() {
		p.Columns = nil
		return problems
	}
	if err := e.Exec(ctx, "CREATE OR REPLACE VIEW "+p.Relation()+" AS SELECT "+strings.Join(names, ", ")+" FROM "+transform); err != nil {
		return append(problems, d.Problem("transform.sql", "%s", sqlError(d, sql, err)))
	}
	p.compiled = true
	return problems
}

// analysis is what the engine learns of a transform from its parse tree.
type analysis struct {
	// tables are the tables it reads, common table expressions excluded.
	tables []string
	// columns are the column names it mentions anywhere; nil when it
	// selects * somewhere, so that any column may be used.
	columns []string
}

// analyze parses the transform with DuckDB's own parser.
func (e *Engine) analyze(ctx context.Context, d *descriptor.Product, sql string) (analysis, descriptor.Problems) {
	var out string
	if err := e.db.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", sql).Scan(&out); err != nil {
		return analysis{}, descriptor.Problems{d.Problem("transform.sql", "cannot parse the SQL: %v", err)}
	}
	var tree struct {
		Error      bool              `json:"error"`
		ErrorType  string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Position   string            `json:"position"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		return analysis{}, descriptor.Problems{d.Problem("transform.sql", "cannot read DuckDB's parse tree: %v", err)}
	}
	if tree.Error {
		msg := tree.Message
		if tree.ErrorType == "not implemented" {
			msg = "the transform must be a single SELECT statement (WITH ... SELECT is fine)"
		}
		pos, _ := strconv.Atoi(tree.Position)
		return analysis{}, descriptor.Problems{sqlProblem(d, sql, pos, msg)}
	}
	if len(tree.Statements) != 1 {
		return analysis{}, descriptor.Problems{d.Problem("transform.sql",
			"the transform must be a single SELECT statement, it has %d", len(tree.Statements))}
	}
	var node any
	if err := json.Unmarshal(tree.Statements[0], &node); err != nil {
		return analysis{}, descriptor.Problems{d.Problem("transform.sql", "cannot read DuckDB's parse tree: %v", err)}
	}
	var problems descriptor.Problems
	ctes := map[string]bool{}
	var tables, columns []string
	star := false
	addColumn := func(c string) {
		if !slices.Contains(columns, c) {
			columns = append(columns, c)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if m, ok := x["cte_map"].(map[string]any); ok {
				entries, _ := m["map"].([]any)
				for _, en := range entries {
					if kv, ok := en.(map[string]any); ok {
						if k, ok := kv["key"].(string); ok {
							ctes[k] = true
						}
					}
				}
			}
			switch x["class"] {
			case "COLUMN_REF":
				if names, ok := x["column_names"].([]any); ok && len(names) > 0 {
					if c, ok := names[len(names)-1].(string); ok {
						addColumn(c)
					}
				}
			case "STAR":
				star = true
			}
			if using, ok := x["using_columns"].([]any); ok {
				for _, u := range using {
					if c, ok := u.(string); ok {
						addColumn(c)
					}
				}
			}
			if x["type"] == "BASE_TABLE" {
				name, _ := x["table_name"].(string)
				schema, _ := x["schema_name"].(string)
				catalog, _ := x["catalog_name"].(string)
				if schema != "" || catalog != "" {
					loc, _ := x["query_location"].(float64)
					problems = append(problems, sqlProblem(d, sql, int(loc),
						fmt.Sprintf("the transform may read only its declared inputs, by their plain names; %q is qualified", strings.Trim(catalog+"."+schema+"."+name, "."))))
				} else if !slices.Contains(tables, name) {
					tables = append(tables, name)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(node)
	a := analysis{columns: columns}
	if star {
		a.columns = nil
	}
	for _, t := range tables {
		if !ctes[t] {
			a.tables = append(a.tables, t)
		}
	}
	return a, problems
}

func (e *Engine) describe(ctx context.Context, query string) ([]Column, error) {
	rows, err := e.db.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var name, typ string
		var rest [4]any
		if err := rows.Scan(&name, &typ, &rest[0], &rest[1], &rest[2], &rest[3]); err != nil {
			return nil, err
		}
		cols = append(cols, Column{Name: name, Type: typ, Logical: LogicalType(typ)})
	}
	return cols, rows.Err()
}

var lineRE = regexp.MustCompile(`(?s)\n*\s*LINE \d+:.*$`)

// cleanDuckError drops the source excerpt DuckDB appends to its messages.
func cleanDuckError(err error) string {
	return strings.TrimSpace(lineRE.ReplaceAllString(err.Error(), ""))
}

var positionRE = regexp.MustCompile(`LINE (\d+):`)

// sqlError turns a DuckDB error about the transform into a message; the
// line of the SQL it names is turned into a line of the descriptor.
func sqlError(d *descriptor.Product, sql string, err error) string {
	msg := cleanDuckError(err)
	if m := positionRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if line := sqlLine(d, n); line > 0 {
			msg += fmt.Sprintf(" (SQL line %d, descriptor line %d)", n, line)
		}
	}
	return msg
}

// sqlProblem reports a problem at a byte offset of the transform SQL, with
// the descriptor line it falls on when the SQL is a block scalar.
func sqlProblem(d *descriptor.Product, sql string, offset int, msg string) descriptor.Problem {
	p := d.Problem("transform.sql", "%s", msg)
	if offset >= 0 && offset <= len(sql) {
		n := strings.Count(sql[:offset], "\n") + 1
		if line := sqlLine(d, n); line > 0 {
			p.Pos.Line = line
			p.Msg += fmt.Sprintf(" (SQL line %d)", n)
		}
	}
	return p
}

// sqlLine maps line n of the transform SQL to a line of the descriptor,
// when the SQL is written as a block scalar (sql: |), or 0.
func sqlLine(d *descriptor.Product, n int) int {
	pos, ok := d.Positions["transform.sql"]
	if !ok {
		return 0
	}
	if strings.Contains(d.Transform.SQL, "\n") {
		return pos.Line + n // a block scalar starts on the line after "sql: |"
	}
	return pos.Line
}

func inputNames(d *descriptor.Product) string {
	names := make([]string, len(d.Inputs))
	for i, in := range d.Inputs {
		names[i] = in.Name
	}
	return strings.Join(names, ", ")
}

func columnNames(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
