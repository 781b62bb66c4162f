//go:build duckdb_arrow

package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/engine/sqlq"
)

// Load creates the table rel and appends every row of rows to it, with
// DuckDB's appender (far faster than INSERT statements).
func (e *Engine) Load(ctx context.Context, rel connector.Relation, cols []connector.Column, rows connector.Rows) (err error) {
	defer func() { err = errors.Join(err, rows.Close()) }()
	if len(cols) == 0 {
		return fmt.Errorf("load %s: no columns", rel)
	}
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = sqlq.Ident(c.Name) + " " + c.Type
	}
	if _, err := e.db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+rel.String()+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("load %s: %w", rel, err)
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), rel.Schema, rel.Name)
		if err != nil {
			return fmt.Errorf("load %s: %w", rel, err)
		}
		n := 0
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return errors.Join(fmt.Errorf("load %s, row %d: %w", rel, n+1, err), app.Close())
			}
			dv := make([]driver.Value, len(vals))
			for i, v := range vals {
				dv[i] = v
			}
			if err := app.AppendRow(dv...); err != nil {
				return errors.Join(fmt.Errorf("load %s, row %d: %w", rel, n+1, err), app.Close())
			}
			n++
			if n%65536 == 0 && ctx.Err() != nil {
				return errors.Join(ctx.Err(), app.Close())
			}
		}
		if err := rows.Err(); err != nil {
			return errors.Join(fmt.Errorf("load %s: %w", rel, err), app.Close())
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("load %s: %w", rel, err)
		}
		return nil
	})
}

// LoadArrow creates or replaces the table rel with the batches of rr, in
// one statement: readers of rel see the old table or the new one.
func (e *Engine) LoadArrow(ctx context.Context, rel connector.Relation, rr array.RecordReader) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		view := fmt.Sprintf("arrow_load_%d", loadSeq.Add(1))
		release, err := a.RegisterView(rr, view)
		if err != nil {
			return fmt.Errorf("load %s: %w", rel, err)
		}
		defer release()
		stmt := "CREATE OR REPLACE TABLE " + rel.String() + " AS SELECT * FROM " + sqlq.Ident(view)
		if _, err := dc.(driver.ExecerContext).ExecContext(ctx, stmt, nil); err != nil {
			return fmt.Errorf("load %s: %w", rel, err)
		}
		return nil
	})
}

var loadSeq atomic.Int64
