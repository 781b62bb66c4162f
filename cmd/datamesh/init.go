//go:build duckdb_arrow

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/datamesh/datamesh/descriptor"
)

var scaffold = template.Must(template.New("descriptor").Parse(`# yaml-language-server: $schema=https://datamesh.dev/schema/descriptor.json
# {{.Domain}}/{{.Name}}: a data product descriptor (docs/descriptor.md).
# Check it with: datamesh validate {{.Dir}}    Serve it with: datamesh serve {{.Dir}}
apiVersion: datamesh/v1
kind: DataProduct
name: {{.Name}}
domain: {{.Domain}}
version: 0.1.0                 # semantic version; a breaking change needs a new major
title: {{.Title}}
description: >-
  What this product holds, for whom, and how it is computed.
owner:
  team: {{.Domain}}-team         # the team accountable for the product
  email: {{.Domain}}@example.com
tags: [{{.Domain}}]
inputs:                        # every source the transform reads, by name
  - name: raw
    file: data/{{.Name}}.csv    # csv, parquet, json, ndjson by extension
  # - name: orders
  #   sqlite: {path: data/sales.db, table: orders}
  # - name: airports
  #   product: geo/airports@^1  # another data product
transform:
  sql: |                       # one SELECT over the inputs (DuckDB SQL)
    select * from raw
output:
  primaryKey: [id]
  schema:                      # the columns the SQL produces, in order
    - name: id
      logicalType: integer     # string integer number boolean date timestamp time object array
      required: true
      description: Identifier of the row
serving:
  mode: live                   # live | materialized | async
sla:
  latencyP99: 200ms
  freshness: 24h
`))

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", "init [flags] DOMAIN/NAME", stderr)
	dir := fs.String("dir", ".", "mesh folder: the descriptor goes to DIR/DOMAIN/NAME.yaml")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return exitError{2}
	}
	domain, name, ok := strings.Cut(args[0], "/")
	if !ok || !descriptor.NamePattern.MatchString(domain) || !descriptor.NamePattern.MatchString(name) {
		return fmt.Errorf("init: %q: give DOMAIN/NAME in lowercase with dashes, e.g. geo/airports", args[0])
	}
	folder := filepath.Join(*dir, domain)
	path := filepath.Join(folder, name+".yaml")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("init: %s exists; not overwriting it", path)
	} else if err != nil {
		return err
	}
	defer f.Close()
	title := strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "-", " ")
	if err := scaffold.Execute(f, map[string]string{"Domain": domain, "Name": name, "Title": title, "Dir": folder}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s; put the data next to it (data/%s.csv), adjust the schema, then: datamesh validate %s\n", path, name, folder)
	return f.Close()
}
