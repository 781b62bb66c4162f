// Package sqlread holds what the connectors reading SQL databases
// (postgres, mysql) share: the checks of their options, the statement sent
// to the source with the projection and the filter pushed down, and the
// parsing of decimals. It registers nothing and needs no driver.
package sqlread

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/connector"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnvName checks that an option names an environment variable and does
// not hold the secret itself.
func CheckEnvName(option, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &connector.OptionError{Option: option, Msg: "must name the environment variable holding the connection string"}
	case strings.Contains(name, "://") || strings.Contains(name, "=") || strings.Contains(name, "@"):
		return &connector.OptionError{Option: option, Msg: "must name an environment variable, not hold the connection string: secrets never stand in a descriptor"}
	case !envName.MatchString(name):
		return &connector.OptionError{Option: option, Msg: fmt.Sprintf("%q is not an environment variable name (letters, digits and _, not starting with a digit)", name)}
	}
	return nil
}

// Source is what to read: a table (in a schema or database) or a query,
// with the columns and the filter to push down.
type Source struct {
	Schema  string // schema (PostgreSQL) or database (MySQL) of Table
	Table   string
	Query   string
	Columns []string
	Filter  string
}

// Parse reads and checks the options table, query, columns, filter and the
// schema option named schemaOpt ("schema", "database").
func Parse(opts map[string]any, schemaOpt string) (Source, error) {
	var s Source
	s.Schema, _ = opts[schemaOpt].(string)
	s.Table, _ = opts["table"].(string)
	s.Query, _ = opts["query"].(string)
	s.Filter, _ = opts["filter"].(string)
	s.Columns, _ = opts["columns"].([]string)
	s.Query = strings.TrimRight(strings.TrimSpace(s.Query), "; \t\r\n")
	switch {
	case strings.TrimSpace(s.Table) == "" && s.Query == "":
		return s, &connector.OptionError{Option: "table", Msg: "give table or query"}
	case s.Table != "" && s.Query != "":
		return s, &connector.OptionError{Option: "query", Msg: "give table or query, not both"}
	case s.Schema != "" && s.Table == "":
		return s, &connector.OptionError{Option: schemaOpt, Msg: "applies to table only"}
	}
	if s.Schema == "" {
		if sc, t, ok := strings.Cut(s.Table, "."); ok && sc != "" && t != "" {
			s.Schema, s.Table = sc, t
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Columns {
		if strings.TrimSpace(c) == "" {
			return s, &connector.OptionError{Option: "columns", Msg: "a column name is empty"}
		}
		if seen[c] {
			return s, &connector.OptionError{Option: "columns", Msg: fmt.Sprintf("column %q is listed twice", c)}
		}
		seen[c] = true
	}
	if s.Filter != "" {
		if strings.TrimSpace(s.Filter) == "" {
			return s, &connector.OptionError{Option: "filter", Msg: "is empty"}
		}
		if strings.Contains(s.Filter, ";") {
			return s, &connector.OptionError{Option: "filter", Msg: "must be one SQL predicate, without ';'"}
		}
	}
	return s, nil
}

// SQL is the statement sent to the source, identifiers quoted by ident:
// SELECT the columns (or *) FROM the table, or FROM (the query) AS q,
// WHERE (the filter). A query without columns nor filter is sent as is.
func (s Source) SQL(ident func(string) string) string {
	sel := "*"
	if len(s.Columns) > 0 {
		q := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			q[i] = ident(c)
		}
		sel = strings.Join(q, ", ")
	}
	var from string
	switch {
	case s.Query != "" && len(s.Columns) == 0 && s.Filter == "":
		return s.Query
	case s.Query != "":
		from = "(" + s.Query + "\n) AS q"
	case s.Schema != "":
		from = ident(s.Schema) + "." + ident(s.Table)
	default:
		from = ident(s.Table)
	}
	q := "SELECT " + sel + " FROM " + from
	if s.Filter != "" {
		// On lines of its own, so that a trailing -- comment cannot
		// swallow the closing parenthesis.
		q += " WHERE (\n" + s.Filter + "\n)"
	}
	return q
}

// ParseDecimal parses a decimal as text ("-12.50") into a DuckDB DECIMAL
// of width p and scale s. More decimals than s are an error unless zeros.
func ParseDecimal(text string, p, s int) (any, error) {
	small, large, err := Unscaled(text, p, s)
	if err != nil {
		return nil, err
	}
	if large == nil {
		large = big.NewInt(small)
	}
	return duckdb.Decimal{Width: uint8(p), Scale: uint8(s), Value: large}, nil
}

// Unscaled parses a decimal as text into its value times 10^s: small when
// it fits the fast path (at most 18 digits, p <= 18), else large.
func Unscaled(text string, p, s int) (small int64, large *big.Int, err error) {
	if p <= 18 {
		if v, ok := parseSmallDecimal(text, s); ok {
			return v, nil, nil
		}
	}
	neg := strings.HasPrefix(text, "-")
	t := strings.TrimLeft(text, "+-")
	ip, fp, _ := strings.Cut(t, ".")
	if len(fp) > s {
		if strings.TrimRight(fp[s:], "0") != "" {
			return 0, nil, fmt.Errorf("%s has more than %d decimals", text, s)
		}
		fp = fp[:s]
	}
	digits := ip + fp + strings.Repeat("0", s-len(fp))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok || ip == "" && fp == "" {
		return 0, nil, fmt.Errorf("%q is not a decimal number (NaN and infinities do not fit DECIMAL(%d,%d))", text, p, s)
	}
	if neg {
		v.Neg(v)
	}
	return 0, v, nil
}

// parseSmallDecimal is ParseDecimal's fast path for at most 18 digits: it
// reports false for anything unusual.
func parseSmallDecimal(text string, s int) (int64, bool) {
	var v int64
	neg, frac, seenDot, digits := false, 0, false, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '-' && i == 0:
			neg = true
		case c == '.' && !seenDot:
			seenDot = true
		case c >= '0' && c <= '9':
			if seenDot {
				if frac == s {
					if c != '0' {
						return 0, false
					}
					continue
				}
				frac++
			}
			v = v*10 + int64(c-'0')
			if digits++; digits > 18 {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	for ; frac < s; frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}
