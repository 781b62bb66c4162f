//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/datamesh/datamesh/examples/acme/seed"
	"github.com/datamesh/datamesh/mesh"
	"github.com/datamesh/datamesh/tracing"
)

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("up", "up [flags] DIR", stderr)
	only := fs.String("only", "", "comma-separated domains to run; all if empty")
	addr := fs.String("addr", env("DATAMESH_CATALOG_ADDR", "127.0.0.1:8000"), "catalog address; nodes take the ports after it (env DATAMESH_CATALOG_ADDR)")
	dataDir := fs.String("data-dir", env("DATAMESH_DATA_DIR", ""), "state of the catalog and nodes; DIR/.datamesh if empty (env DATAMESH_DATA_DIR)")
	store := fs.String("store", env("DATAMESH_CATALOG_STORE", ""), "catalog store: a SQLite file or postgres://...; DATA-DIR/catalog.db if empty (env DATAMESH_CATALOG_STORE)")
	token := fs.String("publish-token", env("DATAMESH_PUBLISH_TOKEN", ""), "token `datamesh publish` must present; publishing is refused if empty (env DATAMESH_PUBLISH_TOKEN)")
	logLevel := fs.String("log-level", env("DATAMESH_LOG_LEVEL", "warn"), "debug, info, warn or error (env DATAMESH_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("DATAMESH_LOG_FORMAT", "text"), "text or json (env DATAMESH_LOG_FORMAT)")
	profile := fs.String("profile", env("DATAMESH_PROFILE", ""), "overlay DIR/_profiles/PROFILE: its descriptors replace their domain's same-named products; services also sets the DATAMESH_ACME_* defaults (env DATAMESH_PROFILE)")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown")
	traceOpts := traceFlags(fs)
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		fs.Usage()
		return exitError{2}
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	var domains []string
	if *only != "" {
		domains = strings.Split(*only, ",")
	}
	if *profile == "services" {
		if err := seed.SetDefaultEnv(); err != nil {
			return err
		}
	}
	traceOpts.ServiceName, traceOpts.Stdout = "datamesh-mesh", stdout
	tracer, stopTracing, err := tracing.Setup(ctx, *traceOpts)
	if err != nil {
		return err
	}
	defer flushTraces(stopTracing, log)
	began := time.Now()
	m, err := mesh.Up(ctx, mesh.Options{
		Dir: args[0], Only: domains, CatalogAddr: *addr, DataDir: *dataDir,
		CatalogStore: *store, PublishToken: *token, Profile: *profile, Logger: log,
		Tracer: tracer,
	})
	if err != nil {
		return err
	}
	printMesh(stdout, m, time.Since(began))
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping: in-flight requests may finish")
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	return m.Shutdown(sctx)
}

func printMesh(w io.Writer, m *mesh.Mesh, took time.Duration) {
	fmt.Fprintf(w, "mesh ready in %v\n\n", took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "catalog\t%s\t%s\n", m.Catalog.URL(), "web UI: search, products, lineage, impact; API under /api/")
	for _, d := range m.Nodes {
		var names []string
		for _, p := range d.Products {
			names = append(names, p.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, d.Node.URL(), strings.Join(names, ", "))
	}
	if m.NATS != nil {
		fmt.Fprintf(tw, "nats\t%s\t%s\n", m.NATS.ClientURL(), "embedded NATS JetStream server; streams at /products/NAME/vN/stream")
	}
	tw.Flush()
	fmt.Fprintln(w, "\nCtrl-C stops the mesh.")
}
