//go:build duckdb_arrow

// Package node is the HTTP server of one domain: it loads a folder of
// descriptors, computes the products with the engine and serves them over
// protocol v1 (docs/protocol.md). It is a library first: New, Start, Ready,
// Shutdown; the CLI only parses flags.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/datamesh/datamesh/catalog/client"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// ProtocolVersion is the version of the protocol this node speaks.
const ProtocolVersion = "1"

// Options configure a Node.
type Options struct {
	// Dir is the folder of descriptors to serve.
	Dir string
	// Addr is the address to listen on; "127.0.0.1:0" picks a free port.
	Addr string
	// Name names the node; by default the folder's name.
	Name string
	// DataDir holds the node's state (engine temporary files, the cursor
	// key). Empty means a temporary folder, removed on shutdown.
	DataDir string
	// BaseURL is the URL clients reach the node at, used in links; by
	// default http://Addr.
	BaseURL string
	// MaxLimit caps the limit parameter (default 10000).
	MaxLimit int
	// CursorSecret signs pagination cursors; by default a key kept in
	// DataDir, so that cursors survive restarts.
	CursorSecret []byte
	// Engine tunes DuckDB.
	Engine engine.Options
	// Catalog is the base URL of the catalog the node registers with and
	// resolves product inputs through; empty: no catalog.
	Catalog string
	// HeartbeatInterval is how often the node tells the catalog it is alive
	// (default 10s).
	HeartbeatInterval time.Duration
	// ShutdownTimeout bounds how long Shutdown waits for in-flight
	// requests when its context has no deadline (default 30s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Tracer makes the node's OpenTelemetry spans: one per request, with
	// children for the DuckDB query and the refresh of upstream inputs
	// (docs/operations.md#tracing). Nil: no spans; an incoming trace
	// context is still passed on to upstream nodes.
	Tracer trace.TracerProvider

	// Serving tunes materialized products, jobs and SLA measurement
	// (serving.go).
	Serving ServingOptions
}

// Node serves the products of one folder.
type Node struct {
	opts     Options
	log      *slog.Logger
	tracer   trace.Tracer
	engine   *engine.Engine
	products *registry
	secret   []byte

	srv      *http.Server
	ln       net.Listener
	ready    chan struct{}
	draining atomic.Bool
	done     chan error
	stopOnce sync.Once
	stopErr  error
	ownData  bool

	// Snapshots, schedules, jobs, SLA meters and metrics (serving.go).
	serving *serving

	catalog          *client.Client
	stopRegistration func()
}

// New checks the options; it touches nothing.
func New(opts Options) (*Node, error) {
	if opts.Dir == "" {
		return nil, errors.New("node: no folder of descriptors given")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if opts.Name == "" {
		abs, err := filepath.Abs(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		opts.Name = filepath.Base(abs)
	}
	if opts.MaxLimit <= 0 {
		opts.MaxLimit = 10000
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Node{
		opts:   opts,
		log:    opts.Logger.With("node", opts.Name),
		tracer: newTracer(opts.Tracer),
		ready:  make(chan struct{}),
		done:   make(chan error, 1),
	}, nil
}

// Start loads and checks the descriptors, computes the products, listens
// and serves in the background. It refuses to start, with every problem
// found, when the folder is not valid. Warnings are logged.
func (n *Node) Start(ctx context.Context) error {
	began := time.Now()
	descs, problems := descriptor.LoadDir(n.opts.Dir)
	if problems.HasErrors() {
		return fmt.Errorf("node %s: invalid descriptors:\n%w", n.opts.Name, problems.Errors())
	}
	if len(descs) == 0 {
		return fmt.Errorf("node %s: no data product descriptors in %s", n.opts.Name, n.opts.Dir)
	}
	if clash := nameClashes(descs); clash.HasErrors() {
		return fmt.Errorf("node %s: invalid descriptors:\n%w", n.opts.Name, clash)
	}
	if err := n.openDataDir(); err != nil {
		return err
	}
	eopts := n.opts.Engine
	if eopts.TempDir == "" {
		eopts.TempDir = filepath.Join(n.opts.DataDir, "engine")
	}
	if eopts.Logger == nil {
		eopts.Logger = n.log
	}
	if n.opts.Catalog != "" {
		n.catalog = client.New(n.opts.Catalog)
		if eopts.Resolver == nil {
			eopts.Resolver = resolver{n.catalog}
		}
	}
	eng, err := engine.Open(ctx, eopts)
	if err != nil {
		n.closeDataDir()
		return fmt.Errorf("node %s: %w", n.opts.Name, err)
	}
	if err := n.allowServing(eng); err != nil {
		eng.Close()
		n.closeDataDir()
		return err
	}
	products, more := eng.Build(ctx, descs)
	problems = append(problems, more...)
	if problems.HasErrors() {
		eng.Close()
		n.closeDataDir()
		return fmt.Errorf("node %s: invalid descriptors:\n%w", n.opts.Name, problems.Errors())
	}
	for _, w := range problems.Warnings() {
		n.log.Warn(w.Msg, "at", w.Pos.String(), "field", w.Path)
	}
	n.engine = eng
	n.products = newRegistry(products)
	if n.secret, err = n.cursorSecret(); err != nil {
		n.shutdownEngine()
		return err
	}
	if err := n.startServing(ctx); err != nil {
		n.shutdownEngine()
		return err
	}

	ln, err := net.Listen("tcp", n.opts.Addr)
	if err != nil {
		n.shutdownEngine()
		return fmt.Errorf("node %s: listen: %w", n.opts.Name, err)
	}
	n.ln = ln
	if n.opts.BaseURL == "" {
		n.opts.BaseURL = "http://" + ln.Addr().String()
	}
	n.srv = &http.Server{
		Handler:           n.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	go func() {
		err := n.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		n.done <- err
	}()
	close(n.ready)
	if n.catalog != nil {
		n.register(n.catalog)
	}
	n.log.Info("node ready", "url", n.opts.BaseURL, "products", len(products),
		"took", time.Since(began).Round(time.Millisecond))
	return nil
}

// Ready is closed once the node serves requests.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Addr is the address the node listens on, once started.
func (n *Node) Addr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// URL is the node's base URL, once started.
func (n *Node) URL() string { return n.opts.BaseURL }

// Done delivers the server's exit error, or nil after Shutdown.
func (n *Node) Done() <-chan error { return n.done }

// Shutdown stops accepting requests, lets in-flight ones finish (until ctx
// ends), then closes the engine. It is safe to call more than once.
func (n *Node) Shutdown(ctx context.Context) error {
	n.stopOnce.Do(func() {
		n.draining.Store(true)
		if n.stopRegistration != nil {
			n.stopRegistration()
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, n.opts.ShutdownTimeout)
			defer cancel()
		}
		if n.srv != nil {
			n.stopErr = n.srv.Shutdown(ctx)
		}
		n.stopErr = errors.Join(n.stopErr, n.shutdownEngine())
		n.log.Info("node stopped")
	})
	return n.stopErr
}

func (n *Node) shutdownEngine() error {
	n.stopServing()
	var err error
	if n.engine != nil {
		err = n.engine.Close()
	}
	n.closeDataDir()
	return err
}

func (n *Node) openDataDir() error {
	if n.opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "datamesh-node-")
		if err != nil {
			return fmt.Errorf("node %s: data dir: %w", n.opts.Name, err)
		}
		n.opts.DataDir, n.ownData = dir, true
		return nil
	}
	if err := os.MkdirAll(n.opts.DataDir, 0o755); err != nil {
		return fmt.Errorf("node %s: data dir: %w", n.opts.Name, err)
	}
	return nil
}

func (n *Node) closeDataDir() {
	if n.ownData {
		os.RemoveAll(n.opts.DataDir)
	}
}

// cursorSecret returns the key signing cursors: the configured one, or one
// kept in the data folder so that cursors outlive a restart.
func (n *Node) cursorSecret() ([]byte, error) {
	if len(n.opts.CursorSecret) > 0 {
		return n.opts.CursorSecret, nil
	}
	path := filepath.Join(n.opts.DataDir, "cursor.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("node %s: cursor key: %w", n.opts.Name, err)
	}
	return b, nil
}

// nameClashes reports products of different domains that share a name and
// major: a node addresses its products by name, so they would collide.
func nameClashes(descs []*descriptor.Product) descriptor.Problems {
	var problems descriptor.Problems
	seen := map[string]*descriptor.Product{}
	for _, d := range descs {
		key := fmt.Sprintf("%s@v%d", d.Name, d.Major())
		if first, ok := seen[key]; ok {
			problems = append(problems, d.Problem("name",
				"product %q v%d is also served by this node from domain %q (%s); a node serves one product per name and major",
				d.Name, d.Major(), first.Domain, first.File))
			continue
		}
		seen[key] = d
	}
	return problems
}

// registry finds a node's products by name and major.
type registry struct {
	byName map[string][]*engine.Product // majors, ascending
	names  []string
}

func newRegistry(products []*engine.Product) *registry {
	r := &registry{byName: map[string][]*engine.Product{}}
	for _, p := range products {
		r.byName[p.Desc.Name] = append(r.byName[p.Desc.Name], p)
	}
	for name, ps := range r.byName {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Desc.Major() < ps[j].Desc.Major() })
		r.names = append(r.names, name)
	}
	sort.Strings(r.names)
	return r
}

// latest returns the highest major of a product.
func (r *registry) latest(name string) (*engine.Product, bool) {
	ps := r.byName[name]
	if len(ps) == 0 {
		return nil, false
	}
	return ps[len(ps)-1], true
}

func (r *registry) major(name string, major int) (*engine.Product, bool) {
	for _, p := range r.byName[name] {
		if p.Desc.Major() == major {
			return p, true
		}
	}
	return nil, false
}

// all returns every product, by name then major.
func (r *registry) all() []*engine.Product {
	var out []*engine.Product
	for _, name := range r.names {
		out = append(out, r.byName[name]...)
	}
	return out
}
