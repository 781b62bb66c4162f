//go:build duckdb_arrow

package main

import (
	"context"
	"io"

	"github.com/datamesh/datamesh/descriptor"
)

func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema", "schema > datamesh.schema.json", stderr)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	_, err := stdout.Write(descriptor.JSONSchema())
	return err
}
