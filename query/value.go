package query

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// parseFilter parses one op.value filter on column c.
func parseFilter(c descriptor.Column, v string) (Filter, error) {
	p := c.Name
	f := Filter{Column: c.Name}
	if !orderable(c.LogicalType) {
		return f, problem.Param(p, "filters only on columns that are not objects or arrays",
			"parameter %q: column %q is of type %s and cannot be filtered", p, p, c.LogicalType)
	}
	op, rest, ok := strings.Cut(v, ".")
	if op == "not" {
		f.Not = true
		op, rest, ok = strings.Cut(rest, ".")
	}
	f.Op = Op(op)
	known := false
	for _, o := range ops {
		known = known || o == f.Op
	}
	if !known {
		if !ok && !f.Not {
			return f, problem.Param(p, allowedOps, "parameter %q: %q is not op.value (e.g. eq.%s)", p, v, v)
		}
		return f, problem.Param(p, allowedOps, "parameter %q: unknown operator %q", p, op)
	}
	if !ok {
		return f, problem.Param(p, allowedOps, "parameter %q: operator %s needs a value after a dot (e.g. %s.x)", p, op, op)
	}
	switch f.Op {
	case Is:
		switch strings.ToLower(rest) {
		case "null":
			f.Values = []any{nil}
		case "true", "false":
			if c.LogicalType != descriptor.Boolean {
				return f, problem.Param(p, "is.null (true and false only on boolean columns)",
					"parameter %q: is.%s applies to boolean columns; column %q is of type %s", p, rest, p, c.LogicalType)
			}
			f.Values = []any{strings.ToLower(rest) == "true"}
		default:
			return f, problem.Param(p, "is.null, is.true or is.false", "parameter %q: is accepts null, true or false, not %q", p, rest)
		}
	case Like, ILike:
		if c.LogicalType != descriptor.String {
			return f, problem.Param(p, "like and ilike on string columns only",
				"parameter %q: %s applies to string columns; column %q is of type %s", p, op, p, c.LogicalType)
		}
		if !utf8.ValidString(rest) {
			return f, problem.Param(p, "a UTF-8 pattern", "parameter %q: the pattern is not valid UTF-8", p)
		}
		f.Values = []any{strings.ReplaceAll(rest, "*", "%")}
	case In:
		items, err := parseList(rest)
		if err != nil {
			return f, problem.Param(p, `in.(a,b,"c,d") with items double-quoted when they hold a comma, a parenthesis or a quote (escape " and \ with \)`,
				"parameter %q: %s", p, err.Error())
		}
		for _, it := range items {
			if !it.quoted && c.LogicalType != descriptor.String {
				it.text = strings.TrimSpace(it.text)
			}
			x, err := parseValue(p, c.LogicalType, it.text)
			if err != nil {
				return f, err
			}
			f.Values = append(f.Values, x)
		}
	default:
		x, err := parseValue(p, c.LogicalType, rest)
		if err != nil {
			return f, err
		}
		f.Values = []any{x}
	}
	return f, nil
}

type listItem struct {
	text   string
	quoted bool
}

// parseList parses (a,b,"c,d"). A double-quoted item may hold commas and
// parentheses; inside quotes a backslash escapes the next character.
func parseList(s string) ([]listItem, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, textError("in needs a list in parentheses, e.g. in.(1,2,3)")
	}
	var items []listItem
	i := 1
	for {
		if len(items) >= MaxInList {
			return nil, textError(fmt.Sprintf("the list has more than %d items", MaxInList))
		}
		var it listItem
		if i < len(s) && s[i] == '"' {
			it.quoted = true
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' {
					if i+1 >= len(s) {
						break
					}
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, textError("unterminated quoted item in the list")
			}
			it.text = b.String()
		} else {
			j := i
			for j < len(s) && s[j] != ',' && s[j] != ')' {
				if s[j] == '"' || s[j] == '(' {
					return nil, textError(fmt.Sprintf("unexpected %q in an unquoted item; quote the item with double quotes", s[j]))
				}
				j++
			}
			it.text = s[i:j]
			i = j
		}
		if i >= len(s) {
			return nil, textError("unterminated list: it must end with )")
		}
		switch s[i] {
		case ',':
			items = append(items, it)
			i++
		case ')':
			if i != len(s)-1 {
				return nil, textError("unexpected text after the closing )")
			}
			if len(items) == 0 && it.text == "" && !it.quoted {
				return nil, textError("the list is empty")
			}
			return append(items, it), nil
		default:
			return nil, textError("expected , or ) after a quoted item")
		}
	}
}

// What each logical type accepts, for error messages.
var typeSyntax = map[descriptor.LogicalType]string{
	descriptor.Integer:   "an integer (64-bit)",
	descriptor.Number:    "a decimal number (e.g. 12.5, -3, 1e-3)",
	descriptor.Boolean:   "a boolean (true or false)",
	descriptor.Date:      "a date (YYYY-MM-DD)",
	descriptor.Timestamp: "a timestamp (RFC 3339 such as 2024-05-01T12:00:00Z, or YYYY-MM-DD HH:MM:SS[.ffffff] in UTC)",
	descriptor.Time:      "a time (HH:MM:SS[.ffffff])",
	descriptor.String:    "UTF-8 text",
}

// parseValue parses a filter value by the column's type into the value to
// bind.
func parseValue(param string, t descriptor.LogicalType, s string) (any, error) {
	bad := func(why string) error {
		return problem.Param(param, typeSyntax[t], "parameter %q: %q %s", param, s, why)
	}
	switch t {
	case descriptor.Integer:
		if !isInteger(s) {
			return nil, bad("is not " + typeSyntax[t])
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad("is out of range for an integer (64-bit)")
		}
		return n, nil
	case descriptor.Number:
		if !isDecimal(s) {
			return nil, bad("is not " + typeSyntax[t])
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) {
			return nil, bad("is out of range for a number (64-bit floating point)")
		}
		return x, nil
	case descriptor.Boolean:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad("is not " + typeSyntax[t])
	case descriptor.Date:
		if !isDate(s) {
			return nil, bad("is not " + typeSyntax[t])
		}
		return s, nil
	case descriptor.Timestamp:
		ts, ok := parseTimestamp(s)
		if !ok {
			return nil, bad("is not " + typeSyntax[t])
		}
		return ts, nil
	case descriptor.Time:
		if !isTime(s) {
			return nil, bad("is not " + typeSyntax[t])
		}
		return s, nil
	case descriptor.String:
		if !utf8.ValidString(s) {
			return nil, problem.Param(param, typeSyntax[t], "parameter %q: the value is not valid UTF-8", param)
		}
		return s, nil
	}
	return nil, problem.Param(param, "a column of a scalar type", "parameter %q: column of type %s cannot be filtered", param, t)
}

// isInteger reports whether s is [+-]digits.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	return isDigits(s)
}

// isDecimal reports whether s is a finite decimal number:
// [+-](digits[.digits]|.digits)[(e|E)[+-]digits].
func isDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	if hasExp && !isInteger(exp) {
		return false
	}
	ip, fp, dot := strings.Cut(mant, ".")
	if !dot {
		return isDigits(ip)
	}
	return (ip == "" || isDigits(ip)) && (fp == "" || isDigits(fp)) && (ip != "" || fp != "")
}

// isDate reports whether s is a valid YYYY-MM-DD date.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// isTime reports whether s is HH:MM:SS with an optional fraction of up to 9
// digits.
func isTime(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || !isDigits(s[0:2]) || !isDigits(s[3:5]) || !isDigits(s[6:8]) {
		return false
	}
	if s[0:2] > "23" || s[3:5] > "59" || s[6:8] > "59" {
		return false
	}
	if len(s) == 8 {
		return true
	}
	return s[8] == '.' && len(s) <= 18 && isDigits(s[9:])
}

// parseTimestamp reads RFC 3339 or "YYYY-MM-DD HH:MM:SS[.f]" (UTC when no
// offset is given) or a bare date (midnight UTC). A space where the sign of
// the offset stands is read as '+', since '+' decodes to a space in query
// strings.
func parseTimestamp(s string) (time.Time, bool) {
	if isDate(s) {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !isDate(s[:10]) || !isTime(s[11:19]) {
		return time.Time{}, false
	}
	i := 19
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 || j-i-1 > 9 {
			return time.Time{}, false
		}
		i = j
	}
	zone := s[i:]
	switch {
	case zone == "":
		zone = "Z"
	case zone == "Z" || zone == "z":
		zone = "Z"
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-' || zone[0] == ' ') && zone[3] == ':' &&
		isDigits(zone[1:3]) && isDigits(zone[4:6]) && zone[1:3] <= "23" && zone[4:6] <= "59":
		if zone[0] == ' ' {
			zone = "+" + zone[1:]
		}
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s[:10]+"T"+s[11:i]+zone)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Cursor key values travel as text, canonical per logical type, so that two
// equal keys have equal texts.

// keyText returns the canonical text of a key value read from a result row
// (as database/sql drivers return it), or null for NULL.
func keyText(t descriptor.LogicalType, v any) (text string, null bool, err error) {
	if vl, ok := v.(driver.Valuer); ok {
		if v, err = vl.Value(); err != nil {
			return "", false, err
		}
	}
	if v == nil {
		return "", true, nil
	}
	bad := func() (string, bool, error) {
		return "", false, fmt.Errorf("query: cannot use %T (%v) as a key value of type %s", v, v, t)
	}
	switch t {
	case descriptor.Integer:
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), false, nil
		case int:
			return strconv.Itoa(x), false, nil
		case int32:
			return strconv.FormatInt(int64(x), 10), false, nil
		case int16:
			return strconv.FormatInt(int64(x), 10), false, nil
		case int8:
			return strconv.FormatInt(int64(x), 10), false, nil
		case uint64:
			return strconv.FormatUint(x, 10), false, nil
		case uint:
			return strconv.FormatUint(uint64(x), 10), false, nil
		case uint32:
			return strconv.FormatUint(uint64(x), 10), false, nil
		case uint16:
			return strconv.FormatUint(uint64(x), 10), false, nil
		case uint8:
			return strconv.FormatUint(uint64(x), 10), false, nil
		case *big.Int:
			if x == nil {
				return "", true, nil
			}
			return x.String(), false, nil
		case float64:
			if x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
				return bad()
			}
			return strconv.FormatInt(int64(x), 10), false, nil
		}
		if s, ok := stringish(v); ok {
			if _, err := keyValue(t, s); err == nil {
				return s, false, nil
			}
		}
		return bad()
	case descriptor.Number:
		switch x := v.(type) {
		case float64:
			return formatFloat(x, 64), false, nil
		case float32:
			return formatFloat(float64(x), 32), false, nil
		case int64:
			return strconv.FormatInt(x, 10), false, nil
		case int:
			return strconv.Itoa(x), false, nil
		case int32:
			return strconv.FormatInt(int64(x), 10), false, nil
		case uint64:
			return strconv.FormatUint(x, 10), false, nil
		case *big.Int:
			if x == nil {
				return "", true, nil
			}
			return x.String(), false, nil
		}
		if s, ok := stringish(v); ok {
			if _, err := keyValue(t, s); err == nil {
				return s, false, nil
			}
		}
		return bad()
	case descriptor.Boolean:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), false, nil
		}
		return bad()
	case descriptor.Date:
		switch x := v.(type) {
		case time.Time:
			if x.Year() < 0 || x.Year() > 9999 {
				return bad()
			}
			return x.Format(time.DateOnly), false, nil
		case string:
			if isDate(x) {
				return x, false, nil
			}
		}
		return bad()
	case descriptor.Timestamp:
		switch x := v.(type) {
		case time.Time:
			x = x.UTC()
			if x.Year() < 0 || x.Year() > 9999 {
				return bad()
			}
			return x.Format(time.RFC3339Nano), false, nil
		case string:
			if ts, ok := parseTimestamp(x); ok {
				return ts.Format(time.RFC3339Nano), false, nil
			}
		}
		return bad()
	case descriptor.Time:
		switch x := v.(type) {
		case time.Time:
			return x.Format("15:04:05.999999999"), false, nil
		case string:
			if isTime(x) {
				return x, false, nil
			}
		}
		return bad()
	case descriptor.String:
		switch x := v.(type) {
		case string:
			return x, false, nil
		case []byte:
			return string(x), false, nil
		}
		return bad()
	}
	return bad()
}

func stringish(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case fmt.Stringer:
		return x.String(), true
	}
	return "", false
}

// formatFloat writes x so that DuckDB reads it back to the same value:
// shortest round-trip digits, NaN and Infinity by name, and -0 as 0 (they
// are equal in SQL, so must be in keys).
func formatFloat(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		return "0"
	}
	return strconv.FormatFloat(x, 'g', -1, bits)
}

// keyValue checks the text of a cursor key value and returns the value to
// bind. The parameter's type is inferred by DuckDB from the column it is
// compared with, so that text is read exactly as the column's own type
// (DECIMAL, HUGEINT, DOUBLE, DATE, TIME); timestamps are bound as instants
// so that TIMESTAMP and TIMESTAMPTZ columns both compare right.
func keyValue(t descriptor.LogicalType, s string) (any, error) {
	switch t {
	case descriptor.Integer:
		if isInteger(s) && len(s) <= 40 && s[0] != '+' {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			return s, nil
		}
	case descriptor.Number:
		if (isDecimal(s) && len(s) <= 80) || s == "NaN" || s == "Infinity" || s == "-Infinity" {
			return s, nil
		}
	case descriptor.Boolean:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case descriptor.Date:
		if isDate(s) {
			return s, nil
		}
	case descriptor.Timestamp:
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts.UTC(), nil
		}
	case descriptor.Time:
		if isTime(s) {
			return s, nil
		}
	case descriptor.String:
		return s, nil
	}
	return nil, fmt.Errorf("%q is not %s", s, typeSyntax[t])
}
