//go:build duckdb_arrow

package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// TestDescriptor goes the whole way: a descriptor's postgres input, as
// written in YAML, validated by the loader and built by the engine.
func TestDescriptor(t *testing.T) {
	dsn := testDSN(t)
	s := newSchema(t, admin(t, dsn),
		`create table $S.orders (id int8, customer text, amount numeric(8,2), status text)`,
		`insert into $S.orders values (1, 'ann', 12.50, 'paid'), (2, 'bob', 3, 'open'), (3, 'ann', 4.25, 'paid')`)
	t.Setenv("SALES_PG_DSN", dsn)
	yaml := `apiVersion: datamesh/v1
kind: DataProduct
name: paid-by-customer
domain: sales
version: 1.0.0
description: Paid amounts per customer.
owner: {team: sales}
inputs:
  - name: orders
    postgres:
      dsnEnv: SALES_PG_DSN
      schema: ` + s + `
      table: orders
      columns: [customer, amount]
      filter: status = 'paid'
transform:
  sql: select customer, sum(amount) as paid from orders group by customer
output:
  schema:
    - {name: customer, logicalType: string}
    - {name: paid, logicalType: number}
`
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	d, problems := descriptor.LoadFile(path)
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	products, problems := e.Build(ctx, []*descriptor.Product{d})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	var got string
	if err := e.DB().QueryRow(`SELECT string_agg(customer || '=' || paid, ',' ORDER BY customer) FROM ` + products[0].Relation()).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "ann=16.75" {
		t.Errorf("got %s", got)
	}

	// Option errors are reported by the loader with their path.
	bad := strings.Replace(yaml, "filter: status = 'paid'", "filter: status = 'paid'; drop table x", 1)
	bad = strings.Replace(bad, "dsnEnv: SALES_PG_DSN", "dsnEnv: postgres://u:pw@h/db", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, problems = descriptor.LoadFile(path)
	if msg := problems.Error(); !strings.Contains(msg, "inputs[0].postgres.dsnEnv: must name an environment variable") {
		t.Errorf("problems: %s", msg)
	}
}
