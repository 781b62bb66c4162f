// Package all registers every connector kind that ships with datamesh.
// Programs import it for its side effect.
package all

import (
	_ "github.com/datamesh/datamesh/connector/file"    // file: CSV, Parquet, JSON, NDJSON
	_ "github.com/datamesh/datamesh/connector/product" // product: another data product
	_ "github.com/datamesh/datamesh/connector/sqlite"  // sqlite: a SQLite table or query
)
