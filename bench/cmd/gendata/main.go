//go:build duckdb_arrow

// Command gendata writes the data and the mesh folders the other bench
// programs serve, with DuckDB (COPY ... TO ... (FORMAT parquet/csv)):
//
//	OUT/mesh/export-3m/   product "export": ROWS rows of id BIGINT, code VARCHAR,
//	                      day DATE, value DOUBLE (1% NULL), n INTEGER, from Parquet
//	OUT/mesh/export-6m/   the same with 2×ROWS rows (peak memory must not grow)
//	OUT/mesh/lookup/      products "lookup" and "lookup-shuffled": LOOKUP rows,
//	                      key k with LOOKUP/10 distinct values, 10 rows each;
//	                      sorted by k in the first, scattered in the second
//	OUT/mesh/lookup-materialized/ product "lookup-materialized": "lookup"
//	                      with serving mode materialized
//	OUT/mesh/lookup-table/ product "lookup-table": the rows of "lookup" in a
//	                      SQLite file, which the sqlite connector loads into a
//	                      DuckDB table at start (a view over Parquet against
//	                      a table: what the lookup costs come from)
//	OUT/mesh/startup/     20 file-backed products over 2 CSV and 2 Parquet files;
//	                      startup-parquet/ and startup-csv/ hold the same
//	                      descriptors split by input format (12 and 8)
//
// It does nothing for a folder already written with the same sizes.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	_ "modernc.org/sqlite"
)

func main() {
	out := flag.String("out", "bench/out", "output folder")
	rows := flag.Int("rows", 3_000_000, "rows of the export product (the 2x product has twice as many)")
	lookup := flag.Int("lookup", 1_000_000, "rows of the lookup products (10 per key)")
	flag.Parse()
	if err := run(*out, *rows, *lookup); err != nil {
		log.Fatal(err)
	}
}

func run(out string, rows, lookup int) error {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	mesh := filepath.Join(out, "mesh")
	steps := []struct {
		dir  string
		make func(dir string) error
	}{
		{fmt.Sprintf("export-3m.%d", rows), func(dir string) error { return exportMesh(ctx, db, dir, rows) }},
		{fmt.Sprintf("export-6m.%d", 2*rows), func(dir string) error { return exportMesh(ctx, db, dir, 2*rows) }},
		{fmt.Sprintf("lookup.%d.3", lookup), func(dir string) error { return lookupMesh(ctx, db, dir, lookup) }},
		{fmt.Sprintf("lookup-table.%d", lookup), func(dir string) error { return lookupTableMesh(ctx, db, dir, lookup) }},
		{"startup.3", func(dir string) error { return startupMesh(ctx, db, dir) }},
	}
	for _, s := range steps {
		name, stamp, _ := strings.Cut(s.dir, ".")
		dir := filepath.Join(mesh, name)
		stampFile := filepath.Join(out, "stamps", name)
		if b, err := os.ReadFile(stampFile); err == nil && string(b) == stamp {
			fmt.Printf("gendata: %s is up to date\n", dir)
			continue
		}
		began := time.Now()
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			return err
		}
		if err := s.make(dir); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if err := os.MkdirAll(filepath.Dir(stampFile), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
			return err
		}
		fmt.Printf("gendata: wrote %s in %s\n", dir, time.Since(began).Round(time.Millisecond))
	}
	return nil
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// exportSelect is the query of the export product's rows: realistic types,
// full-precision doubles (the slowest case for float formatting), 1% NULLs.
func exportSelect(rows int) string {
	return fmt.Sprintf(`SELECT i AS id,
       ['JFK','LAX','ORD','ATL','DFW','DEN','SFO','SEA','LAS','MCO','CLT','PHX'][1 + (i %% 12)::INTEGER]
         || '-' || chr((65 + (i // 12) %% 26)::INTEGER) AS code,
       DATE '2020-01-01' + (i // 2000)::INTEGER AS day,
       CASE WHEN hash(i, 1) %% 100 = 0 THEN NULL ELSE (hash(i) %% 1000000000)::DOUBLE / 997.0 END AS value,
       (hash(i, 2) %% 10000)::INTEGER AS n
FROM range(%d) t(i)`, rows)
}

func exportMesh(ctx context.Context, db *sql.DB, dir string, rows int) error {
	file := filepath.Join(dir, "data", "export.parquet")
	if _, err := db.ExecContext(ctx, "COPY ("+exportSelect(rows)+") TO "+lit(file)+" (FORMAT parquet)"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "export.yaml"), []byte(fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: export
domain: bench
version: 1.0.0
title: Bulk export benchmark
description: %d rows of five columns read from one Parquet file, for export throughput.
owner: {team: bench}
inputs:
  - name: src
    file: data/export.parquet
transform:
  sql: select id, code, day, value, n from src
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer, required: true}
    - {name: code, logicalType: string}
    - {name: day, logicalType: date}
    - {name: value, logicalType: number}
    - {name: n, logicalType: integer}
`, rows)), 0o644)
}

func lookupMesh(ctx context.Context, db *sql.DB, dir string, rows int) error {
	keys := rows / 10
	// 7919 is prime, so (i*7919) mod keys takes each key exactly 10 times
	// when keys is not a multiple of it.
	for _, v := range []struct{ name, file, k, seq string }{
		{"lookup", "lookup_sorted.parquet", "i // 10", "i % 10"},
		{"lookup-shuffled", "lookup_shuffled.parquet", fmt.Sprintf("(i * 7919) %% %d", keys), fmt.Sprintf("i // %d", keys)},
	} {
		file := filepath.Join(dir, "data", v.file)
		q := fmt.Sprintf(`COPY (SELECT %s AS k, (%s)::INTEGER AS seq,
       ['JFK','LAX','ORD','ATL','DFW','DEN','SFO','SEA'][1 + (i %% 8)::INTEGER] AS code,
       DATE '2020-01-01' + (i %% 1500)::INTEGER AS day,
       (hash(i) %% 1000000000)::DOUBLE / 997.0 AS value
FROM range(%d) t(i)) TO %s (FORMAT parquet)`, v.k, v.seq, rows, lit(file))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
		order := "sorted by k"
		if v.name != "lookup" {
			order = "k scattered over the whole file"
		}
		desc := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: %s
domain: bench
version: 1.0.0
title: Lookup benchmark (%s)
description: %d rows, %d distinct keys k with 10 rows each, %s.
owner: {team: bench}
inputs:
  - name: src
    file: data/%s
transform:
  sql: select k, seq, code, day, value from src
output:
  primaryKey: [k, seq]
  schema:
    - {name: k, logicalType: integer, required: true}
    - {name: seq, logicalType: integer, required: true}
    - {name: code, logicalType: string}
    - {name: day, logicalType: date}
    - {name: value, logicalType: number}
`, v.name, order, rows, keys, order, v.file)
		if err := os.WriteFile(filepath.Join(dir, v.name+".yaml"), []byte(desc), 0o644); err != nil {
			return err
		}
	}
	// The sorted product again with serving mode materialized, in a folder
	// of its own (materializing happens at start).
	mat := filepath.Join(filepath.Dir(dir), "lookup-materialized")
	if err := os.RemoveAll(mat); err != nil {
		return err
	}
	if err := os.MkdirAll(mat, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(mat, "lookup-materialized.yaml"), []byte(fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: lookup-materialized
domain: bench
version: 1.0.0
title: Lookup benchmark (materialized)
description: The rows of product lookup (%d rows, 10 per key k), served in materialized mode.
owner: {team: bench}
inputs:
  - name: src
    file: ../lookup/data/lookup_sorted.parquet
transform:
  sql: select k, seq, code, day, value from src
output:
  primaryKey: [k, seq]
  schema:
    - {name: k, logicalType: integer, required: true}
    - {name: seq, logicalType: integer, required: true}
    - {name: code, logicalType: string}
    - {name: day, logicalType: date}
    - {name: value, logicalType: number}
serving:
  mode: materialized
`, rows)), 0o644)
}

// lookupTableMesh writes the rows of the sorted lookup product into a
// SQLite database, which the node loads into a DuckDB table.
func lookupTableMesh(ctx context.Context, db *sql.DB, dir string, rows int) error {
	lite, err := sql.Open("sqlite", filepath.Join(dir, "data", "lookup.db"))
	if err != nil {
		return err
	}
	defer lite.Close()
	if _, err := lite.ExecContext(ctx, `CREATE TABLE lookup (k INTEGER NOT NULL, seq INTEGER NOT NULL,
		code TEXT, day DATE, value DOUBLE, PRIMARY KEY (k, seq))`); err != nil {
		return err
	}
	src, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT i // 10, i %% 10,
       ['JFK','LAX','ORD','ATL','DFW','DEN','SFO','SEA'][1 + (i %% 8)::INTEGER],
       strftime(DATE '2020-01-01' + (i %% 1500)::INTEGER, '%%Y-%%m-%%d'),
       (hash(i) %% 1000000000)::DOUBLE / 997.0
FROM range(%d) t(i)`, rows))
	if err != nil {
		return err
	}
	defer src.Close()
	tx, err := lite.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO lookup VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	for src.Next() {
		var k, seq int64
		var code, day string
		var value float64
		if err := src.Scan(&k, &seq, &code, &day, &value); err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, k, seq, code, day, value); err != nil {
			return err
		}
	}
	if err := src.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "lookup-table.yaml"), []byte(fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: lookup-table
domain: bench
version: 1.0.0
title: Lookup benchmark (DuckDB table)
description: The rows of product lookup (%d rows, 10 per key k), read from SQLite into a DuckDB table at start.
owner: {team: bench}
inputs:
  - name: src
    sqlite: {path: data/lookup.db, table: lookup}
transform:
  sql: select k, seq, code, day, value from src
output:
  primaryKey: [k, seq]
  schema:
    - {name: k, logicalType: integer, required: true}
    - {name: seq, logicalType: integer, required: true}
    - {name: code, logicalType: string}
    - {name: day, logicalType: date}
    - {name: value, logicalType: number}
`, rows)), 0o644)
}

// startupMesh writes 20 products over four files: orders.parquet (500k
// rows), stock.parquet (50k), events.csv (100k) and customers.csv (20k).
func startupMesh(ctx context.Context, db *sql.DB, dir string) error {
	data := filepath.Join(dir, "data")
	for _, q := range []string{
		`COPY (SELECT i AS order_id, i % 20000 AS customer_id, DATE '2023-01-01' + (i % 700)::INTEGER AS placed,
		       (hash(i) % 100000) / 100.0 AS amount, ['paid','open','void'][1 + (i % 3)::INTEGER] AS status
		       FROM range(500000) t(i)) TO ` + lit(filepath.Join(data, "orders.parquet")) + ` (FORMAT parquet)`,
		`COPY (SELECT i AS sku, 'item ' || i AS name, (i % 40)::INTEGER AS shelf, (hash(i) % 500)::INTEGER AS quantity
		       FROM range(50000) t(i)) TO ` + lit(filepath.Join(data, "stock.parquet")) + ` (FORMAT parquet)`,
		`COPY (SELECT i AS event_id, ['view','click','buy'][1 + (i % 3)::INTEGER] AS kind, i % 20000 AS customer_id,
		       TIMESTAMP '2024-01-01' + to_seconds(i * 7) AS ts
		       FROM range(100000) t(i)) TO ` + lit(filepath.Join(data, "events.csv")) + ` (FORMAT csv, HEADER)`,
		`COPY (SELECT i AS customer_id, 'customer ' || i AS name, ['FR','DE','NL','US'][1 + (i % 4)::INTEGER] AS country
		       FROM range(20000) t(i)) TO ` + lit(filepath.Join(data, "customers.csv")) + ` (FORMAT csv, HEADER)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	type product struct{ file, sql, schema string }
	kinds := []product{
		{"orders.parquet", "select order_id, customer_id, placed, amount, status from src",
			"[{name: order_id, logicalType: integer}, {name: customer_id, logicalType: integer}, {name: placed, logicalType: date}, {name: amount, logicalType: number}, {name: status, logicalType: string}]"},
		{"orders.parquet", "select placed, status, count(*) as orders, sum(amount) as revenue from src group by all",
			"[{name: placed, logicalType: date}, {name: status, logicalType: string}, {name: orders, logicalType: integer}, {name: revenue, logicalType: number}]"},
		{"stock.parquet", "select sku, name, shelf, quantity from src where quantity > 0",
			"[{name: sku, logicalType: integer}, {name: name, logicalType: string}, {name: shelf, logicalType: integer}, {name: quantity, logicalType: integer}]"},
		{"events.csv", "select event_id, kind, customer_id, ts from src",
			"[{name: event_id, logicalType: integer}, {name: kind, logicalType: string}, {name: customer_id, logicalType: integer}, {name: ts, logicalType: timestamp}]"},
		{"customers.csv", "select country, count(*) as customers from src group by all",
			"[{name: country, logicalType: string}, {name: customers, logicalType: integer}]"},
	}
	// The same 20 descriptors again, split by file format into two more
	// folders reading these files, to tell the costs of CSV and Parquet
	// inputs apart.
	for _, sub := range []string{"", "parquet", "csv"} {
		out, prefix := dir, "data/"
		if sub != "" {
			out, prefix = filepath.Join(filepath.Dir(dir), "startup-"+sub), "../startup/data/"
			if err := os.RemoveAll(out); err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
		}
		for i := range 20 {
			k := kinds[i%len(kinds)]
			if sub != "" && !strings.HasSuffix(k.file, "."+sub) {
				continue
			}
			desc := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: p%02d
domain: bench
version: 1.0.0
title: Startup product %d
description: One of 20 file-backed products, for the start-to-ready time.
owner: {team: bench}
inputs:
  - name: src
    file: %s%s
transform:
  sql: %s
output:
  schema: %s
`, i+1, i+1, prefix, k.file, k.sql, k.schema)
			if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("p%02d.yaml", i+1)), []byte(desc), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
