//go:build !duckdb_arrow

package engine

// The engine reads DuckDB results as Arrow, which duckdb-go compiles only
// with the build tag duckdb_arrow. Without it, this line fails the build
// with a name that says what to do.
var _ = build_with_tag_duckdb_arrow__go_test_tags_duckdb_arrow
