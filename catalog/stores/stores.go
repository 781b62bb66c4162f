// Package stores links in every catalog store, so that catalog.OpenStore
// opens "catalog.db", "sqlite:PATH" and "postgres://..." alike. Programs
// import it for its side effect.
package stores

import (
	_ "github.com/datamesh/datamesh/catalog/postgres" // postgres://, postgresql://
	_ "github.com/datamesh/datamesh/catalog/sqlite"   // a file path, sqlite:PATH
)
