//go:build duckdb_arrow

// Package engine wraps the embedded DuckDB database a node computes its
// products with. Inputs are bound as views or tables, each product in a
// schema of its own; once every input is bound the engine is sandboxed
// (no file access outside the inputs' folders, configuration locked), and
// only then are the transforms compiled, so that a transform cannot read
// arbitrary files. Results stream out as Arrow record batches.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/engine/sqlq"
)

// Options configure an Engine.
type Options struct {
	// Path is the DuckDB database file; empty means in memory.
	Path string
	// TempDir holds spill files and exports (Parquet); it is allowed in the
	// sandbox. Empty means a fresh folder under os.TempDir, removed on Close.
	TempDir string
	// Threads caps DuckDB's worker threads; 0 means GOMAXPROCS.
	Threads int
	// MemoryLimit caps DuckDB's memory ("1GB"); empty means DuckDB's default.
	MemoryLimit string
	// MaxConns caps concurrent queries; 0 means 4 × GOMAXPROCS.
	MaxConns int
	// Resolver finds other products for product inputs; nil without a
	// catalog (inputs then need a url).
	Resolver connector.Resolver
	Logger   *slog.Logger
}

// Engine is one DuckDB database.
type Engine struct {
	db        *sql.DB
	conn      *duckdb.Connector
	log       *slog.Logger
	tempDir   string
	ownTemp   bool
	mu        sync.Mutex
	allowed   []string
	sandboxed bool
	resolver  connector.Resolver
}

var _ connector.Engine = (*Engine)(nil)

// Open starts a DuckDB database.
func Open(ctx context.Context, o Options) (*Engine, error) {
	e := &Engine{log: o.Logger, tempDir: o.TempDir, resolver: o.Resolver}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.tempDir == "" {
		dir, err := os.MkdirTemp("", "datamesh-engine-")
		if err != nil {
			return nil, fmt.Errorf("engine temp dir: %w", err)
		}
		e.tempDir, e.ownTemp = dir, true
	} else if err := os.MkdirAll(e.tempDir, 0o755); err != nil {
		return nil, fmt.Errorf("engine temp dir: %w", err)
	}
	abs, err := filepath.Abs(e.tempDir)
	if err != nil {
		return nil, err
	}
	e.tempDir = abs
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	setup := []string{
		fmt.Sprintf("SET threads = %d", threads),
		"SET temp_directory = " + sqlq.Literal(filepath.Join(e.tempDir, "spill")),
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// Keep Parquet footers between queries: a lookup then reads only the
		// row groups it needs, not the file's metadata again.
		"SET parquet_metadata_cache = true",
		// The protocol promises an order only when one is asked for (and
		// the SQL then says ORDER BY). Without this, DuckDB's parallel
		// writers hold finished row groups back to keep file order, and a
		// Parquet export's memory grows with the product.
		"SET preserve_insertion_order = false",
	}
	if o.MemoryLimit != "" {
		setup = append(setup, "SET memory_limit = "+sqlq.Literal(o.MemoryLimit))
	}
	c, err := duckdb.NewConnector(o.Path, nil)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	e.conn = c
	e.db = sql.OpenDB(c)
	maxConns := o.MaxConns
	if maxConns <= 0 {
		maxConns = 4 * runtime.GOMAXPROCS(0)
	}
	e.db.SetMaxOpenConns(maxConns)
	e.db.SetMaxIdleConns(maxConns)
	for _, s := range setup {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			e.Close()
			return nil, fmt.Errorf("configure duckdb (%s): %w", s, err)
		}
	}
	e.allowed = []string{e.tempDir}
	return e, nil
}

// Close closes the database and removes its own temporary folder.
func (e *Engine) Close() error {
	var err error
	if e.db != nil {
		err = e.db.Close()
	}
	if e.conn != nil {
		err = errors.Join(err, e.conn.Close())
	}
	e.cleanup()
	return err
}

func (e *Engine) cleanup() {
	if e.ownTemp {
		os.RemoveAll(e.tempDir)
	}
}

// DB is the underlying database, for tests and tools.
func (e *Engine) DB() *sql.DB { return e.db }

// Exec runs a statement that this program wrote.
func (e *Engine) Exec(ctx context.Context, query string, args ...any) error {
	_, err := e.db.ExecContext(ctx, query, args...)
	return err
}

// QueryString runs a query this program wrote and returns its one value.
func (e *Engine) QueryString(ctx context.Context, query string) (string, error) {
	var s string
	err := e.db.QueryRowContext(ctx, query).Scan(&s)
	return s, err
}

// Allow adds dir to the folders readable after Sandbox.
func (e *Engine) Allow(dir string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if !slices.Contains(e.allowed, dir) {
		e.allowed = append(e.allowed, dir)
	}
}

// Sandbox switches external access off, except for the allowed folders, and
// locks the configuration so that no statement can switch it back. It is
// called once every input is bound.
func (e *Engine) Sandbox(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sandboxed {
		return nil
	}
	dirs := make([]string, len(e.allowed))
	for i, d := range e.allowed {
		dirs[i] = sqlq.Literal(strings.TrimSuffix(d, "/") + "/")
	}
	for _, s := range []string{
		"SET allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("sandbox duckdb (%s): %w", s, err)
		}
	}
	e.sandboxed = true
	return nil
}

// Stream runs a query and hands its result, as Arrow record batches, to fn.
// The result is computed as fn reads it (a streaming result): memory holds
// a batch, not the answer. The reader is valid only during fn; a batch only
// until the next call to Next. Cancelling ctx interrupts the query.
func (e *Engine) Stream(ctx context.Context, query string, args []any, fn func(array.RecordReader) error) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if raw, ok := rawConn(dc.(driver.Conn)); ok {
			return streamQuery(ctx, raw, query, args, func(r *streamReader) error { return fn(r) })
		}
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := a.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		if err := fn(rr); err != nil {
			return err
		}
		return rr.Err()
	})
}

// CopyParquet writes the result of a query as a Parquet file to w. DuckDB
// writes the file into the engine's temporary folder; it is then streamed
// and removed.
func (e *Engine) CopyParquet(ctx context.Context, query string, args []any, w io.Writer) (int64, error) {
	f, err := os.CreateTemp(e.tempDir, "export-*.parquet")
	if err != nil {
		return 0, err
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	copyStmt := "COPY (" + query + ") TO " + sqlq.Literal(name) + " (FORMAT parquet, COMPRESSION zstd)"
	if _, err := e.db.ExecContext(ctx, copyStmt, args...); err != nil {
		return 0, err
	}
	f, err = os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}
