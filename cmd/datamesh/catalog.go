//go:build duckdb_arrow

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/client"
	_ "github.com/datamesh/datamesh/catalog/postgres" // the PostgreSQL store
	_ "github.com/datamesh/datamesh/catalog/sqlite"   // the SQLite store
)

func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("catalog", "catalog [flags]", stderr)
	addr := fs.String("addr", env("DATAMESH_CATALOG_ADDR", "127.0.0.1:8000"), "listen address (env DATAMESH_CATALOG_ADDR)")
	store := fs.String("store", env("DATAMESH_CATALOG_STORE", "catalog.db"), "a SQLite file, or postgres://... when several replicas run (env DATAMESH_CATALOG_STORE)")
	baseURL := fs.String("base-url", env("DATAMESH_BASE_URL", ""), "URL clients reach the catalog at, for links (env DATAMESH_BASE_URL)")
	token := fs.String("publish-token", env("DATAMESH_PUBLISH_TOKEN", ""), "token `datamesh publish` must present; publishing is refused if empty (env DATAMESH_PUBLISH_TOKEN)")
	nodeToken := fs.String("node-token", env("DATAMESH_NODE_TOKEN", ""), "token nodes must present to register; any node may register if empty (env DATAMESH_NODE_TOKEN)")
	ttl := fs.Duration("heartbeat-ttl", 30*time.Second, "a node silent for longer is marked unavailable")
	logLevel := fs.String("log-level", env("DATAMESH_LOG_LEVEL", "info"), "debug, info, warn or error (env DATAMESH_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("DATAMESH_LOG_FORMAT", "text"), "text or json (env DATAMESH_LOG_FORMAT)")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 0 {
		fs.Usage()
		return exitError{2}
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	st, err := catalog.OpenStore(ctx, *store)
	if err != nil {
		return err
	}
	defer st.Close()
	ui := catalogUI(log)
	s, err := catalog.New(catalog.Options{
		Addr: *addr, BaseURL: *baseURL, Store: st, PublishToken: *token, NodeToken: *nodeToken,
		HeartbeatTTL: *ttl, Logger: log, UI: ui,
	})
	if err != nil {
		return err
	}
	ui.Bind(s)
	if err := s.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "catalog at %s (store %s)\n", s.URL(), *store)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	return s.Shutdown(sctx)
}

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("publish", "publish [flags] DIR...", stderr)
	url := fs.String("catalog", env("DATAMESH_CATALOG", ""), "catalog URL (env DATAMESH_CATALOG)")
	token := fs.String("token", "", "publish token; prefer the environment variable DATAMESH_PUBLISH_TOKEN")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) == 0 || *url == "" {
		fs.Usage()
		return exitError{2}
	}
	if *token == "" {
		*token = env("DATAMESH_PUBLISH_TOKEN", "")
	}
	c := client.New(*url)
	failed := false
	for _, dir := range args {
		files, err := client.FilesFromDir(dir)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("publish: no descriptors in %s", dir)
		}
		res, err := c.Publish(ctx, *token, files)
		var ce *client.Error
		if errors.As(err, &ce) {
			failed = true
			fmt.Fprintf(stdout, "%s: %s\n", dir, ce.Error())
			for _, p := range ce.Problems {
				fmt.Fprintf(stdout, "  %s:%d:%d: %s: %s\n", p.File, p.Line, p.Column, p.Path, p.Message)
			}
			for _, c := range ce.Conflicts {
				fmt.Fprintf(stdout, "  %s changed without a new version: fields %v, columns added %v, removed %v\n",
					c.ID, c.Fields, c.ColumnsAdded, c.ColumnsRemoved)
			}
			for _, cy := range ce.Cycles {
				fmt.Fprintf(stdout, "  dependency cycle: %v\n", cy)
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, o := range res.Products {
			fmt.Fprintf(stdout, "%-40s %s\n", o.ID, o.Status)
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(stdout, "  warning: %s:%d: %s: %s\n", w.File, w.Line, w.Path, w.Message)
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}
