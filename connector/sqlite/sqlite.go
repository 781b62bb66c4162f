// Package sqlite reads a table or a query of a SQLite database file. DuckDB's
// sqlite scanner cannot be installed here, so rows are read with the pure-Go
// driver, in a read-only connection, and loaded into an engine table.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/engine/sqlq"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

func init() {
	connector.Register(connector.Spec{
		Kind:      "sqlite",
		Summary:   "a table or a read-only query of a SQLite database file",
		Shorthand: "path",
		Options: []connector.Option{
			{Name: "path", Type: connector.TypeString, Required: true,
				Description: "database file, relative to the descriptor's folder", Example: "data/sales.db"},
			{Name: "table", Type: connector.TypeString,
				Description: "table (or view) to read whole; give table or query", Example: "orders"},
			{Name: "query", Type: connector.TypeString,
				Description: "a SELECT to run instead of reading a table; it runs in a read-only connection", Example: "select * from orders where status <> 'test'"},
		},
		New: New,
	})
}

// SQLite is an input read from a SQLite database.
type SQLite struct {
	Path  string
	Table string
	Query string
}

var _ connector.Connector = (*SQLite)(nil)

// New checks the options; it does not open the database.
func New(c connector.Config) (connector.Connector, error) {
	s := &SQLite{}
	s.Path, _ = c.Options["path"].(string)
	s.Table, _ = c.Options["table"].(string)
	s.Query, _ = c.Options["query"].(string)
	if strings.TrimSpace(s.Path) == "" {
		return nil, &connector.OptionError{Option: "path", Msg: "must name a database file"}
	}
	if !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(c.Dir, s.Path)
	}
	switch {
	case s.Table == "" && s.Query == "":
		return nil, &connector.OptionError{Option: "table", Msg: "give table or query"}
	case s.Table != "" && s.Query != "":
		return nil, &connector.OptionError{Option: "query", Msg: "give table or query, not both"}
	}
	return s, nil
}

// Bind reads the rows and loads them into the engine as the table rel.
func (s *SQLite) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	if _, err := os.Stat(s.Path); err != nil {
		return fmt.Errorf("sqlite database: %w", err)
	}
	db, err := Open(s.Path)
	if err != nil {
		return err
	}
	defer db.Close()
	q := s.Query
	if q == "" {
		q = "SELECT * FROM " + sqlq.Ident(s.Table)
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("sqlite %s: %w", filepath.Base(s.Path), err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	cols := make([]connector.Column, len(types))
	for i, t := range types {
		cols[i] = connector.Column{Name: t.Name(), Type: DuckDBType(t.DatabaseTypeName())}
	}
	r := &rowReader{rows: rows, cols: cols, vals: make([]any, len(cols))}
	return e.Load(ctx, rel, cols, r)
}

// Open opens a SQLite file read-only: writes fail inside SQLite itself.
func Open(path string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", filepath.Base(path), err)
	}
	return db, nil
}

// DuckDBType maps a declared SQLite column type to a DuckDB type, following
// SQLite's type affinity rules (https://sqlite.org/datatype3.html).
func DuckDBType(decl string) string {
	d := strings.ToUpper(decl)
	switch {
	case d == "":
		return "VARCHAR" // an expression column: values are converted to text
	case d == "DATE":
		return "DATE"
	case strings.Contains(d, "DATETIME"), strings.Contains(d, "TIMESTAMP"):
		return "TIMESTAMP"
	case d == "BOOLEAN", d == "BOOL":
		return "BOOLEAN"
	case strings.Contains(d, "INT"):
		return "BIGINT"
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return "VARCHAR"
	case strings.Contains(d, "BLOB"):
		return "BLOB"
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return "DOUBLE"
	default:
		return "DOUBLE" // NUMERIC affinity
	}
}

// rowReader adapts sql.Rows to connector.Rows, converting SQLite's dynamic
// values to the column's type.
type rowReader struct {
	rows *sql.Rows
	cols []connector.Column
	vals []any
}

func (r *rowReader) Next() bool   { return r.rows.Next() }
func (r *rowReader) Err() error   { return r.rows.Err() }
func (r *rowReader) Close() error { return r.rows.Close() }

func (r *rowReader) Values() ([]any, error) {
	raw := make([]any, len(r.cols))
	ptrs := make([]any, len(r.cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range raw {
		c, err := convert(v, r.cols[i].Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", r.cols[i].Name, err)
		}
		r.vals[i] = c
	}
	return r.vals, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"}

func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "VARCHAR":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case time.Time:
			return x.Format(time.RFC3339Nano), nil
		default:
			return fmt.Sprint(x), nil
		}
	case "BIGINT":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case "DOUBLE":
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case "BOOLEAN":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case "DATE", "TIMESTAMP":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			for _, l := range timeLayouts {
				if t, err := time.Parse(l, x); err == nil {
					return t, nil
				}
			}
		case int64:
			return time.Unix(x, 0).UTC(), nil
		}
	case "BLOB":
		switch x := v.(type) {
		case []byte:
			return append([]byte(nil), x...), nil
		case string:
			return []byte(x), nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit the declared type %s", v, v, typ)
}
