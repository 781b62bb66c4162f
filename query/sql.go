package query

import (
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine/sqlq"
)

var comparisons = map[Op]string{Eq: " = ", Neq: " <> ", Gt: " > ", Gte: " >= ", Lt: " < ", Lte: " <= ", Like: " LIKE ", ILike: " ILIKE "}

// SQL returns the statement answering r over relation (already quoted, e.g.
// "main"."orders") and its arguments, one per `?`. The statement returns
// Columns(): the selected columns, then the key columns that are not
// selected.
//
// Filter values are bound with their Go type and DuckDB infers each
// parameter's type from the column it meets; numbers are compared as
// CAST(? AS DOUBLE), so that a DECIMAL column is not compared with a value
// rounded to its scale. Without a limit or cursor, rows come in the
// requested order (or none); a paged request is ordered by its whole key,
// NULLS LAST unless asked otherwise, and continues after its cursor.
func (r *Request) SQL(relation string) (string, []any) {
	var b strings.Builder
	b.Grow(128)
	args := make([]any, 0, len(r.Filters)+len(r.key)*(len(r.key)+3)/2)
	b.WriteString("SELECT ")
	for i, c := range r.Columns() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlq.Ident(c))
	}
	b.WriteString(" FROM ")
	b.WriteString(relation)

	where := " WHERE "
	for _, f := range r.Filters {
		b.WriteString(where)
		where = " AND "
		args = r.writeFilter(&b, f, args)
	}
	if r.After != nil && len(r.key) > 0 {
		b.WriteString(where)
		args = r.writeAfter(&b, args)
	}

	order := r.Order
	if r.paged {
		order = r.key
	}
	sep := " ORDER BY "
	for _, o := range order {
		b.WriteString(sep)
		sep = ", "
		b.WriteString(sqlq.Ident(o.Column))
		if o.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if o.NullsFirst {
			b.WriteString(" NULLS FIRST")
		} else {
			b.WriteString(" NULLS LAST")
		}
	}
	for _, c := range r.tail {
		b.WriteString(sep)
		sep = ", "
		b.WriteString(sqlq.Ident(c))
		b.WriteString(" ASC NULLS LAST")
	}
	// Limit and offset are integers this package computed, not request text.
	if r.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(r.Limit))
	}
	if r.After != nil && r.After.Dup > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.FormatInt(r.After.Dup, 10))
	}
	return b.String(), args
}

func (r *Request) writeFilter(b *strings.Builder, f Filter, args []any) []any {
	col := sqlq.Ident(f.Column)
	param := "?"
	if r.types[f.Column] == descriptor.Number {
		param = "CAST(? AS DOUBLE)"
	}
	if f.Not {
		b.WriteString("NOT (")
	}
	b.WriteString(col)
	switch f.Op {
	case Is:
		switch f.Values[0] {
		case true:
			b.WriteString(" IS TRUE")
		case false:
			b.WriteString(" IS FALSE")
		default:
			b.WriteString(" IS NULL")
		}
	case In:
		b.WriteString(" IN (")
		for i, v := range f.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(param)
			args = append(args, v)
		}
		b.WriteString(")")
	case Like, ILike:
		b.WriteString(comparisons[f.Op])
		b.WriteString("?")
		args = append(args, f.Values[0])
	default:
		b.WriteString(comparisons[f.Op])
		b.WriteString(param)
		args = append(args, f.Values[0])
	}
	if f.Not {
		b.WriteString(")")
	}
	return args
}

// writeAfter writes "key >= cursor key" in the key's order, expanded as
// (k0 after v0) OR (k0 = v0 AND k1 after v1) OR ... OR (k0 = v0 AND ... AND
// kn = vn), where "after" follows the term's direction and null placement
// and "=" is IS NOT DISTINCT FROM (IS NULL for a NULL value). The final,
// all-equal disjunct keeps the rows that tie with the cursor; the OFFSET
// skips those of them already sent.
func (r *Request) writeAfter(b *strings.Builder, args []any) []any {
	c := r.After
	b.WriteString("(")
	first := true
	for i := 0; i <= len(r.key); i++ {
		var after string
		if i < len(r.key) {
			after = afterTerm(r.key[i], c.Key[i])
			if after == "" {
				continue // nothing sorts after a NULL placed last
			}
		}
		if !first {
			b.WriteString(" OR ")
		}
		first = false
		if i > 0 {
			b.WriteString("(")
		}
		for j := 0; j < i; j++ {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(sqlq.Ident(r.key[j].Column))
			if c.Key[j] == nil {
				b.WriteString(" IS NULL")
			} else {
				b.WriteString(" IS NOT DISTINCT FROM ?")
				args = append(args, c.Key[j])
			}
		}
		if i < len(r.key) {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(after)
			if c.Key[i] != nil {
				args = append(args, c.Key[i])
			}
		}
		if i > 0 {
			b.WriteString(")")
		}
	}
	b.WriteString(")")
	return args
}

// afterTerm is the condition "column sorts strictly after v" for one key
// term, with one `?` for v when v is not NULL, or "" when nothing can.
func afterTerm(o Order, v any) string {
	col := sqlq.Ident(o.Column)
	if v == nil {
		if o.NullsFirst {
			return col + " IS NOT NULL"
		}
		return ""
	}
	cmp := " > ?"
	if o.Desc {
		cmp = " < ?"
	}
	if o.NullsFirst {
		return col + cmp
	}
	return "(" + col + cmp + " OR " + col + " IS NULL)"
}
