package engine

import (
	"strings"

	"github.com/datamesh/datamesh/descriptor"
)

// LogicalType maps a DuckDB type name, as DESCRIBE prints it, to the logical
// type consumers see.
func LogicalType(duck string) descriptor.LogicalType {
	t := strings.ToUpper(strings.TrimSpace(duck))
	switch {
	case strings.HasSuffix(t, "]"):
		return descriptor.Array
	case strings.HasPrefix(t, "STRUCT"), strings.HasPrefix(t, "MAP"), strings.HasPrefix(t, "UNION"), t == "JSON":
		return descriptor.Object
	case strings.HasPrefix(t, "DECIMAL"), t == "FLOAT", t == "DOUBLE", t == "REAL":
		return descriptor.Number
	case strings.HasPrefix(t, "TIMESTAMP"), t == "DATETIME":
		return descriptor.Timestamp
	case strings.HasPrefix(t, "TIME"):
		return descriptor.Time
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return descriptor.Integer
	case "BOOLEAN":
		return descriptor.Boolean
	case "DATE":
		return descriptor.Date
	}
	return descriptor.String // VARCHAR, UUID, ENUM, BLOB, INTERVAL, BIT
}

// Compatible reports whether a column declared as want may be computed as
// got: the same type, or an integer where a number is declared.
func Compatible(want, got descriptor.LogicalType) bool {
	return want == got || (want == descriptor.Number && got == descriptor.Integer)
}
