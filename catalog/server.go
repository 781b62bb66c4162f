// Package catalog is the registry of the mesh: product versions published
// from CI or described by the nodes serving them, the nodes and their
// heartbeats, lineage between products, full-text search with facets,
// resolution of domain/name@range to an address, and impact analysis.
//
// The catalog is a library first: New(Options), Start, Ready, Shutdown. Its
// state lives in a Store (catalog/sqlite by default, catalog/postgres for
// several replicas). The query methods of Server (Search, Product, Resolve,
// Lineage, Impact, ...) are what the HTTP API answers, so that web pages
// can show the same with no other query.
package catalog

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on; "127.0.0.1:0" picks a free port.
	// Default 127.0.0.1:8090.
	Addr string
	// BaseURL is the URL clients reach the catalog at, used in links; by
	// default http://Addr once listening.
	BaseURL string
	// Store holds the catalog. Required; the caller closes it after
	// Shutdown.
	Store Store
	// PublishToken is the bearer token POST /api/publish requires. Empty
	// means publishing is refused (nodes still register).
	PublishToken string
	// NodeToken, when set, is the bearer token node registration and
	// heartbeats require.
	NodeToken string
	// HeartbeatTTL is how long a node stays available without a
	// heartbeat (default 30s).
	HeartbeatTTL time.Duration
	// MaxBodyBytes caps request bodies (default 4 MiB); larger ones get 413.
	MaxBodyBytes int64
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// UI, when set, serves every path outside /api/, /healthz and /readyz
	// (the web pages).
	UI http.Handler
	// ShutdownTimeout bounds how long Shutdown waits for in-flight
	// requests when its context has no deadline (default 30s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is a catalog.
type Server struct {
	opts  Options
	store Store
	log   *slog.Logger

	baseURL  atomic.Pointer[string]
	srv      *http.Server
	ln       net.Listener
	ready    chan struct{}
	draining atomic.Bool
	done     chan error
	stop     chan struct{}
	sweeper  sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// DefaultAddr is where the catalog listens by default.
const DefaultAddr = "127.0.0.1:8090"

// New checks the options; it touches nothing.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("catalog: no store (open one with catalog.OpenStore)")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.HeartbeatTTL <= 0 {
		opts.HeartbeatTTL = 30 * time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 4 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:  opts,
		store: opts.Store,
		log:   opts.Logger.With("component", "catalog"),
		ready: make(chan struct{}),
		done:  make(chan error, 1),
		stop:  make(chan struct{}),
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	s.baseURL.Store(&base)
	return s, nil
}

// Store is the server's store, for pages that need more than the query
// methods.
func (s *Server) Store() Store { return s.store }

// Start listens and serves in the background, and starts marking nodes
// that stop heartbeating unavailable. It does not block.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return errors.New("catalog: listen: " + err.Error())
	}
	s.ln = ln
	if *s.baseURL.Load() == "" {
		base := "http://" + ln.Addr().String()
		s.baseURL.Store(&base)
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.StartSweeper()
	close(s.ready)
	s.log.Info("catalog ready", "url", s.URL(), "heartbeatTTL", s.opts.HeartbeatTTL)
	return nil
}

// StartSweeper starts marking nodes unavailable when their heartbeats
// stop. Start calls it; a program serving Handler itself calls it once.
func (s *Server) StartSweeper() {
	interval := max(s.opts.HeartbeatTTL/4, 10*time.Millisecond)
	s.sweeper.Add(1)
	go func() {
		defer s.sweeper.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval*4)
				if _, err := s.Sweep(ctx); err != nil {
					s.log.Warn("marking silent nodes unavailable failed", "err", err)
				}
				cancel()
			}
		}
	}()
}

// Sweep marks unavailable the nodes silent for longer than the TTL, now,
// and returns their names.
func (s *Server) Sweep(ctx context.Context) ([]string, error) {
	names, err := s.store.ExpireNodes(ctx, s.now().Add(-s.opts.HeartbeatTTL))
	for _, n := range names {
		s.log.Warn("node unavailable: no heartbeat", "node", n, "ttl", s.opts.HeartbeatTTL)
	}
	return names, err
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// Ready is closed once the catalog serves requests.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address the catalog listens on, once started.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the catalog's base URL: Options.BaseURL, or http://Addr once
// started; empty before (links are then relative).
func (s *Server) URL() string { return *s.baseURL.Load() }

// Done delivers the server's exit error, or nil after Shutdown.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting requests and lets in-flight ones finish (until
// ctx ends). It does not close the store. It is safe to call more than
// once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.draining.Store(true)
		close(s.stop)
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.opts.ShutdownTimeout)
			defer cancel()
		}
		if s.srv != nil {
			s.stopErr = s.srv.Shutdown(ctx)
		}
		s.sweeper.Wait()
		s.log.Info("catalog stopped")
	})
	return s.stopErr
}
