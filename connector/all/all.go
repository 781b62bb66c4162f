// Package all registers every connector kind that ships with datamesh.
// Programs import it for its side effect.
package all

import (
	_ "github.com/datamesh/datamesh/connector/file"     // file: CSV, Parquet, JSON, NDJSON
	_ "github.com/datamesh/datamesh/connector/httpapi"  // http: an HTTP JSON API
	_ "github.com/datamesh/datamesh/connector/mysql"    // mysql: a MySQL/MariaDB table or query
	_ "github.com/datamesh/datamesh/connector/nats"     // nats: a NATS JetStream stream
	_ "github.com/datamesh/datamesh/connector/postgres" // postgres: a PostgreSQL table or query
	_ "github.com/datamesh/datamesh/connector/product"  // product: another data product
	_ "github.com/datamesh/datamesh/connector/redis"    // redis: Redis hashes or JSON values
	_ "github.com/datamesh/datamesh/connector/sqlite"   // sqlite: a SQLite table or query
)
