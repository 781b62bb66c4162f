//go:build duckdb_arrow

package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// ServingOptions tune materialized products, jobs and SLA measurement
// (docs/operations.md). Zero values mean the defaults.
type ServingOptions struct {
	// RefreshTimeout bounds a refresh of a materialized product whose
	// descriptor sets no serving.timeout (default 10m).
	RefreshTimeout time.Duration
	// IndexMaxRows and IndexMaxBytes bound the snapshots kept in memory,
	// as Arrow batches with a primary key index, for fast lookups and full
	// reads without DuckDB (default 2,000,000 rows and 512 MiB per
	// snapshot). Larger snapshots are served by DuckDB only. A negative
	// IndexMaxRows keeps no snapshot in memory.
	IndexMaxRows  int64
	IndexMaxBytes int64
	// JobWorkers is how many jobs run at once (default 2); JobQueue is how
	// many more may wait (default 16). Beyond, a submission is answered
	// 429 Too Many Requests.
	JobWorkers int
	JobQueue   int
	// JobTTL is how long a finished job and its result are kept (default
	// 1h).
	JobTTL time.Duration
	// JobTimeout bounds a job whose product sets no serving.timeout
	// (default 1h).
	JobTimeout time.Duration
	// SLAWindow is the window over which latency and availability are
	// measured (default 1h).
	SLAWindow time.Duration

	clock clock
	hooks *hooks
}

// hooks let tests stop a refresh or a job at a known point.
type hooks struct {
	// beforeRefresh runs at the start of every refresh, on its context.
	beforeRefresh func(ctx context.Context, product string) error
	// beforeJob runs when a job starts running, on its context.
	beforeJob func(ctx context.Context, id string) error
}

func (o *ServingOptions) defaults() {
	if o.RefreshTimeout <= 0 {
		o.RefreshTimeout = 10 * time.Minute
	}
	if o.IndexMaxRows == 0 {
		o.IndexMaxRows = 2_000_000
	}
	if o.IndexMaxBytes <= 0 {
		o.IndexMaxBytes = 512 << 20
	}
	if o.JobWorkers <= 0 {
		o.JobWorkers = 2
	}
	if o.JobQueue <= 0 {
		o.JobQueue = 16
	}
	if o.JobTTL <= 0 {
		o.JobTTL = time.Hour
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = time.Hour
	}
	if o.SLAWindow <= 0 {
		o.SLAWindow = time.Hour
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	if o.hooks == nil {
		o.hooks = &hooks{}
	}
}

// serving is the node's state beyond live requests: the snapshots of
// materialized products and their schedules, jobs, SLA meters and metrics.
type serving struct {
	opts    ServingOptions
	clock   clock
	ctx     context.Context // ends at Shutdown: schedules and jobs run on it
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mats    map[*engine.Product]*materialized
	jobs    *jobManager
	sla     map[*engine.Product]*slaMeter
	metrics *metrics
	// memoryAnswers counts data requests answered from memory (tests).
	memoryAnswers atomic.Int64
}

// DataDir is the folder of the node's state, once started.
func (n *Node) DataDir() string { return n.opts.DataDir }

// Data directory layout (docs/operations.md).
func (n *Node) snapshotsDir() string { return filepath.Join(n.opts.DataDir, "snapshots") }
func (n *Node) jobsDir() string      { return filepath.Join(n.opts.DataDir, "jobs") }

// allowServing creates the folders of snapshots and job results and lets
// the engine write and read them once it is sandboxed. Start calls it
// before the engine builds the products.
func (n *Node) allowServing(eng *engine.Engine) error {
	for _, dir := range []string{n.snapshotsDir(), n.jobsDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("node %s: %w", n.opts.Name, err)
		}
		eng.Allow(dir)
	}
	return nil
}

// startServing sets up metrics and SLA meters, loads the snapshots of
// materialized products kept in the data folder (served at once), builds
// those that have none (the node is ready when they are), loads the jobs
// kept there, and starts the schedules. Start calls it once the products
// are compiled, before it listens.
func (n *Node) startServing(ctx context.Context) error {
	o := n.opts.Serving
	o.defaults()
	s := &serving{
		opts:  o,
		clock: o.clock,
		mats:  map[*engine.Product]*materialized{},
		sla:   map[*engine.Product]*slaMeter{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	n.serving = s
	s.metrics = newMetrics(n)
	for _, p := range n.products.all() {
		s.sla[p] = newSLAMeter(o.SLAWindow)
		if p.Desc.Serving.Mode == descriptor.ModeMaterialized {
			s.mats[p] = newMaterialized(n, p)
		}
	}
	// Snapshots kept from the last run serve at once; products without one
	// are built now, in parallel.
	var wg sync.WaitGroup
	for _, m := range s.mats {
		if m.loadKept(ctx) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.refresh(triggerStart)
		}()
	}
	wg.Wait()
	jobs, err := newJobManager(n)
	if err != nil {
		s.cancel()
		return err
	}
	s.jobs = jobs
	for _, m := range s.mats {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			m.loop()
		}()
	}
	return nil
}

// stopServing stops the schedules and jobs and waits for them; the
// snapshots stay in the data folder for the next start.
func (n *Node) stopServing() {
	s := n.serving
	if s == nil {
		return
	}
	s.cancel()
	if s.jobs != nil {
		s.jobs.stop()
	}
	s.wg.Wait()
	for _, m := range s.mats {
		m.close()
	}
}

// materializedOf returns the materialization of a product, or nil when it
// is not materialized.
func (n *Node) materializedOf(p *engine.Product) *materialized {
	if n.serving == nil {
		return nil
	}
	return n.serving.mats[p]
}
