//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/node"
	"github.com/datamesh/datamesh/tracing"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [flags] DIR", stderr)
	addr := fs.String("addr", env("DATAMESH_ADDR", "127.0.0.1:8080"), "listen address (env DATAMESH_ADDR)")
	dataDir := fs.String("data-dir", env("DATAMESH_DATA_DIR", ""), "folder for the node's state; a temporary one if empty (env DATAMESH_DATA_DIR)")
	name := fs.String("name", env("DATAMESH_NODE_NAME", ""), "node name; the folder's name if empty (env DATAMESH_NODE_NAME)")
	baseURL := fs.String("base-url", env("DATAMESH_BASE_URL", ""), "URL clients reach the node at, for links; http://ADDR if empty (env DATAMESH_BASE_URL)")
	logLevel := fs.String("log-level", env("DATAMESH_LOG_LEVEL", "info"), "debug, info, warn or error (env DATAMESH_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("DATAMESH_LOG_FORMAT", "text"), "text or json (env DATAMESH_LOG_FORMAT)")
	memory := fs.String("memory-limit", env("DATAMESH_MEMORY_LIMIT", ""), "DuckDB memory limit, e.g. 1GB (env DATAMESH_MEMORY_LIMIT)")
	threads := fs.Int("threads", 0, "DuckDB threads; all cores if 0")
	catalogURL := fs.String("catalog", env("DATAMESH_CATALOG", ""), "catalog URL to register with and resolve product inputs through (env DATAMESH_CATALOG)")
	jobWorkers := fs.Int("job-workers", 2, "asynchronous jobs run at once")
	jobQueue := fs.Int("job-queue", 16, "jobs that may wait beyond those running; more are answered 429")
	jobTTL := fs.Duration("job-ttl", time.Hour, "how long a finished job's result is kept")
	refreshTimeout := fs.Duration("refresh-timeout", 10*time.Minute, "bound of a materialized refresh whose descriptor sets no serving.timeout")
	indexRows := fs.Int64("index-max-rows", 2_000_000, "largest snapshot kept in memory for lookups without DuckDB; negative: none")
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
	traceOpts.ServiceName, traceOpts.Stdout = "datamesh-node", stdout
	tracer, stopTracing, err := tracing.Setup(ctx, *traceOpts)
	if err != nil {
		return err
	}
	defer flushTraces(stopTracing, log)
	n, err := node.New(node.Options{
		Dir: args[0], Addr: *addr, Name: *name, DataDir: *dataDir, BaseURL: *baseURL,
		Engine:  engine.Options{MemoryLimit: *memory, Threads: *threads},
		Catalog: *catalogURL,
		Serving: node.ServingOptions{
			JobWorkers: *jobWorkers, JobQueue: *jobQueue, JobTTL: *jobTTL,
			RefreshTimeout: *refreshTimeout, IndexMaxRows: *indexRows,
		},
		ShutdownTimeout: *grace, Logger: log, Tracer: tracer,
	})
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %s at %s\n", args[0], n.URL())
	select {
	case <-ctx.Done():
		log.Info("shutting down: in-flight requests may finish", "timeout", *grace)
	case err := <-n.Done():
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	return n.Shutdown(sctx)
}
