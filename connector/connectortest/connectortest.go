//go:build duckdb_arrow

// Package connectortest binds a connector into a real engine for tests,
// and reads back what it loaded: the shared harness of every connector's
// tests.
package connectortest

import (
	"context"
	"testing"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/engine"
)

// Relation is where Bind puts the input: s.input.
var Relation = connector.Relation{Schema: "s", Name: "input"}

// Bind builds a connector with newFn and opts and binds it as s.input in a
// fresh in-memory engine, closed when the test ends. The error is the
// constructor's or Bind's, for tests of bad input.
func Bind(t testing.TB, newFn func(connector.Config) (connector.Connector, error), opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	c, err := newFn(connector.Config{Input: "input", Dir: "/", Options: opts})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		t.Fatal(err)
	}
	return e, c.Bind(ctx, e, Relation)
}

// Columns lists s.input's columns as "name:TYPE, ...".
func Columns(t testing.TB, e *engine.Engine) string {
	t.Helper()
	var got string
	err := e.DB().QueryRow(`SELECT string_agg(column_name || ':' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 's' AND table_name = 'input'`).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Query runs a query answering one value, "<NULL>" for NULL.
func Query(t testing.TB, e *engine.Engine, q string) string {
	t.Helper()
	var got *string
	if err := e.DB().QueryRow(q).Scan(&got); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if got == nil {
		return "<NULL>"
	}
	return *got
}
