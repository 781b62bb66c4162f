// Package query turns the query string of `GET /products/{name}/v{major}/data`
// (protocol v1) into one DuckDB SELECT with bound parameters, and keeps the
// opaque keyset cursor that carries a client from one page to the next.
//
// The grammar, PostgREST style:
//
//	select=a,b                 projection, in that order (default: every column)
//	col=op.value               filter; op is eq neq gt gte lt lte in like ilike is,
//	                           each negatable with a not. prefix (not.in.(1,2))
//	order=a.desc,b.nullsfirst  ordering; NULLS LAST unless asked otherwise
//	limit=100                  one page of at most 100 rows (1..Options.MaxLimit)
//	cursor=...                 the next page, as issued by a previous answer
//	format=...                 ignored here: the node negotiates the format
//
// Several filters on one column are ANDed. No request text ever reaches the
// SQL: column names are checked against the product's schema and quoted with
// sqlq.Ident, and every value is parsed by the column's logical type and bound
// as a `?` parameter.
//
// Pagination is by keyset. A paged request is ordered by its key: the
// requested order followed by the primary key (or, without one, every other
// orderable column). The cursor holds the key of the page's last row and the
// number of rows at the end of the page that share that key; the next page is
// the rows whose key is at or after it, skipping those already sent. Pages are
// thus stable under insertions before the cursor and complete even when rows
// repeat.
package query

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// The reserved parameters. Every other parameter names a column.
const (
	ParamSelect = "select"
	ParamOrder  = "order"
	ParamLimit  = "limit"
	ParamCursor = "cursor"
	ParamFormat = "format"
)

var reserved = []string{ParamSelect, ParamOrder, ParamLimit, ParamCursor, ParamFormat}

// DefaultMaxLimit is Options.MaxLimit when it is not set.
const DefaultMaxLimit = 10000

// MaxInList bounds the number of items of an in.(...) filter.
const MaxInList = 1000

// Schema is what the parser needs to know of a product.
type Schema struct {
	Columns    []descriptor.Column // name and LogicalType, in output order
	PrimaryKey []string            // may be empty
}

// SchemaOf returns the schema of a product's output.
func SchemaOf(p *descriptor.Product) Schema {
	return Schema{Columns: p.Output.Schema, PrimaryKey: p.Output.PrimaryKey}
}

func (s Schema) names() []string {
	n := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		n[i] = c.Name
	}
	return n
}

// Options tune Parse.
type Options struct {
	// MaxLimit is the largest page a client may ask for; 0 means
	// DefaultMaxLimit.
	MaxLimit int
	// Secret is the HMAC-SHA256 key that signs cursors. Nodes that serve the
	// same product behind one address must share it.
	Secret []byte
	// Scope names what a cursor is valid for, e.g. the product's id and
	// major version; a cursor issued under another scope is refused.
	Scope string
}

// Request is a parsed data request.
type Request struct {
	// Select lists the columns to send, in order.
	Select []string
	// Filters are ANDed, in schema order.
	Filters []Filter
	// Order is the ordering the client asked for.
	Order []Order
	// Limit is the page size; 0 means every row, in one answer.
	Limit int
	// After is the decoded cursor, when the request continues a paging.
	After *Cursor

	types  map[string]descriptor.LogicalType
	paged  bool     // ordered by key: a limit or a cursor was given
	key    []Order  // the full key order when paged (Order, then tie-breakers)
	tail   []string // object/array columns ordered after the key when it is not unique
	hidden []string // key columns appended to the result because not selected
	fp     [fingerprintSize]byte
	opts   Options
}

// Op is a filter operator.
type Op string

// The filter operators.
const (
	Eq    Op = "eq"
	Neq   Op = "neq"
	Gt    Op = "gt"
	Gte   Op = "gte"
	Lt    Op = "lt"
	Lte   Op = "lte"
	In    Op = "in"
	Like  Op = "like"
	ILike Op = "ilike"
	Is    Op = "is"
)

var ops = []Op{Eq, Neq, Gt, Gte, Lt, Lte, In, Like, ILike, Is}

const allowedOps = "op.value with op one of eq, neq, gt, gte, lt, lte, in, like, ilike, is, each negatable with not. (e.g. eq.5, not.in.(1,2), not.is.null)"

// Filter is one condition on a column.
type Filter struct {
	Column string
	Op     Op
	Not    bool
	// Values are bound as parameters, typed by the column: int64, float64,
	// bool, string (also dates, times and like patterns) or time.Time
	// (timestamps, in UTC). An in filter has one per item. An is filter has
	// one, nil, true or false, written as the SQL keyword, not bound.
	Values []any
}

// Order is one ordering term.
type Order struct {
	Column     string
	Desc       bool
	NullsFirst bool
}

// Parse checks a data request against a product's schema. Its errors are
// *problem.Error with status 400, naming the parameter at fault and what it
// accepts. A reserved parameter keeps its meaning even when a column has
// its name: such a column cannot be filtered.
func Parse(values url.Values, s Schema, o Options) (*Request, error) {
	if o.MaxLimit <= 0 {
		o.MaxLimit = DefaultMaxLimit
	}
	r := &Request{opts: o, types: make(map[string]descriptor.LogicalType, len(s.Columns))}
	for _, c := range s.Columns {
		r.types[c.Name] = c.LogicalType
	}

	// Unknown parameters and repeated reserved ones first, in a stable order.
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(reserved, k) {
			if len(values[k]) > 1 {
				return nil, problem.Param(k, "one value", "parameter %q is given %d times; give it once", k, len(values[k]))
			}
			continue
		}
		if _, ok := r.types[k]; !ok {
			return nil, problem.Param(k, "a column of the product ("+strings.Join(s.names(), ", ")+") or one of "+strings.Join(reserved, ", "),
				"unknown parameter %q: it is neither a column of this product nor a reserved parameter", k)
		}
	}

	if err := r.parseSelect(values, s); err != nil {
		return nil, err
	}
	for _, c := range s.Columns {
		for _, v := range values[c.Name] {
			f, err := parseFilter(c, v)
			if err != nil {
				return nil, err
			}
			r.Filters = append(r.Filters, f)
		}
	}
	if err := r.parseOrder(values, s); err != nil {
		return nil, err
	}
	if err := r.parseLimit(values, o.MaxLimit); err != nil {
		return nil, err
	}
	cur, hasCursor := values[ParamCursor]
	if r.Limit > 0 || hasCursor {
		r.buildKey(s)
	}
	r.fp = r.fingerprint()
	if hasCursor {
		c, err := r.decodeCursor(cur[0])
		if err != nil {
			return nil, err
		}
		r.After = c
	}
	return r, nil
}

func orderable(t descriptor.LogicalType) bool {
	return t != descriptor.Object && t != descriptor.Array
}

func (r *Request) parseSelect(values url.Values, s Schema) error {
	v, ok := values[ParamSelect]
	if !ok {
		r.Select = s.names()
		return nil
	}
	allowed := "a comma-separated list of columns: " + strings.Join(s.names(), ", ")
	if v[0] == "" {
		return problem.Param(ParamSelect, allowed, "parameter \"select\" is empty; name at least one column")
	}
	for _, name := range strings.Split(v[0], ",") {
		if _, ok := r.types[name]; !ok {
			if name == "" {
				return problem.Param(ParamSelect, allowed, "parameter \"select\" has an empty column name")
			}
			return problem.Param(ParamSelect, allowed, "parameter \"select\": unknown column %q", name)
		}
		if slices.Contains(r.Select, name) {
			return problem.Param(ParamSelect, allowed, "parameter \"select\": column %q is named twice", name)
		}
		r.Select = append(r.Select, name)
	}
	return nil
}

func (r *Request) parseOrder(values url.Values, s Schema) error {
	v, ok := values[ParamOrder]
	if !ok {
		return nil
	}
	var names []string
	for _, c := range s.Columns {
		if orderable(c.LogicalType) {
			names = append(names, c.Name)
		}
	}
	allowed := "a comma-separated list of column[.asc|.desc][.nullsfirst|.nullslast], columns: " + strings.Join(names, ", ")
	if v[0] == "" {
		return problem.Param(ParamOrder, allowed, "parameter \"order\" is empty; name at least one column")
	}
	for _, term := range strings.Split(v[0], ",") {
		o, err := r.parseOrderTerm(term)
		if err != nil {
			return problem.Param(ParamOrder, allowed, "parameter \"order\": %s", err.Error())
		}
		for _, p := range r.Order {
			if p.Column == o.Column {
				return problem.Param(ParamOrder, allowed, "parameter \"order\": column %q is named twice", o.Column)
			}
		}
		r.Order = append(r.Order, o)
	}
	return nil
}

type textError string

func (e textError) Error() string { return string(e) }

func (r *Request) parseOrderTerm(term string) (Order, error) {
	if term == "" {
		return Order{}, textError("empty term")
	}
	name := term
	var o Order
	if _, ok := r.types[name]; !ok {
		// Modifiers are taken from the right: [.asc|.desc][.nullsfirst|.nullslast].
		if n, ok := strings.CutSuffix(name, ".nullsfirst"); ok {
			name, o.NullsFirst = n, true
		} else if n, ok := strings.CutSuffix(name, ".nullslast"); ok {
			name = n
		}
		if n, ok := strings.CutSuffix(name, ".desc"); ok {
			name, o.Desc = n, true
		} else if n, ok := strings.CutSuffix(name, ".asc"); ok {
			name = n
		}
	}
	t, ok := r.types[name]
	if !ok {
		return o, textError("unknown column " + strconv.Quote(name) + " in " + strconv.Quote(term))
	}
	if !orderable(t) {
		return o, textError("column " + strconv.Quote(name) + " is of type " + string(t) + " and cannot be ordered")
	}
	o.Column = name
	return o, nil
}

func (r *Request) parseLimit(values url.Values, max int) error {
	v, ok := values[ParamLimit]
	if !ok {
		return nil
	}
	allowed := "an integer from 1 to " + strconv.Itoa(max)
	n, err := strconv.Atoi(v[0])
	if err != nil || !isDigits(v[0]) {
		return problem.Param(ParamLimit, allowed, "parameter \"limit\": %q is not an integer from 1 to %d", v[0], max)
	}
	if n < 1 || n > max {
		return problem.Param(ParamLimit, allowed, "parameter \"limit\": %d is out of range: give an integer from 1 to %d", n, max)
	}
	r.Limit = n
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// buildKey completes the requested order into a key that orders rows
// totally: the primary key when the product declares an orderable one, or
// else every orderable column, with the object and array columns ordered
// after it so that rows equal on the key still come in a repeatable order.
func (r *Request) buildKey(s Schema) {
	r.paged = true
	r.key = slices.Clone(r.Order)
	has := func(name string) bool {
		return slices.ContainsFunc(r.key, func(o Order) bool { return o.Column == name })
	}
	unique := len(s.PrimaryKey) > 0
	for _, k := range s.PrimaryKey {
		if t, ok := r.types[k]; !ok || !orderable(t) {
			unique = false
		}
	}
	if unique {
		for _, k := range s.PrimaryKey {
			if !has(k) {
				r.key = append(r.key, Order{Column: k})
			}
		}
	} else {
		for _, c := range s.Columns {
			if !orderable(c.LogicalType) {
				r.tail = append(r.tail, c.Name)
			} else if !has(c.Name) {
				r.key = append(r.key, Order{Column: c.Name})
			}
		}
	}
	for _, k := range r.key {
		if !slices.Contains(r.Select, k.Column) {
			r.hidden = append(r.hidden, k.Column)
		}
	}
}

// KeyColumns lists the columns whose values in the last row of a page build
// the next cursor (see NextCursor), in key order. It is empty when the
// request is not paged.
func (r *Request) KeyColumns() []string {
	n := make([]string, len(r.key))
	for i, k := range r.key {
		n[i] = k.Column
	}
	return n
}

// Columns lists the columns of the statement that SQL returns: Select,
// followed by the key columns that are not selected. Only the first
// len(r.Select) are to be sent to the client; the others are there to build
// the next cursor.
func (r *Request) Columns() []string {
	return append(slices.Clone(r.Select), r.hidden...)
}
