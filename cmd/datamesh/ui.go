//go:build duckdb_arrow

package main

import (
	"log/slog"

	"github.com/datamesh/datamesh/catalog/web"
)

// catalogUI is the catalog's web UI (catalog/web). It serves pages once
// bound to the catalog server it belongs to: ui.Bind(server).
func catalogUI(log *slog.Logger) *web.UI { return web.New(web.Options{Logger: log}) }
