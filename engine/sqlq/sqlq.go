// Package sqlq quotes identifiers and literals for DuckDB SQL that this
// project writes itself. Request values never go through it: they are bound
// as parameters.
package sqlq

import "strings"

// Ident quotes a name as a SQL identifier.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Literal quotes s as a SQL string literal.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Qualified quotes schema.name.
func Qualified(schema, name string) string {
	return Ident(schema) + "." + Ident(name)
}
