//go:build duckdb_arrow

package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// What started a refresh.
const (
	triggerStart    = "start"
	triggerSchedule = "schedule"
	triggerRequest  = "request"
)

// Results of a refresh.
const (
	resultOK        = "ok"
	resultFailed    = "failed"
	resultTimeout   = "timeout"
	resultInvalid   = "invalid"   // the new rows break the output schema
	resultCancelled = "cancelled" // the node stopped
)

// RefreshRun is one refresh of a materialized product.
type RefreshRun struct {
	Trigger  string    `json:"trigger"` // start | schedule | request
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Duration Duration  `json:"duration,omitzero"`
	Rows     int64     `json:"rows,omitempty"`
	Result   string    `json:"result,omitempty"` // ok | failed | timeout | invalid | cancelled; empty while it runs
	Error    string    `json:"error,omitempty"`
}

// materialized keeps one materialized product: its current snapshot, the
// schedule that rebuilds it, and what its refreshes did.
type materialized struct {
	n           *Node
	p           *engine.Product
	dir         string
	sched       descriptor.Schedule
	timeout     time.Duration
	fingerprint string
	log         *slog.Logger
	kick        chan string // a refresh asked for, with its trigger

	mu  sync.RWMutex // guards cur
	cur *snapshot

	runMu sync.Mutex // one refresh at a time

	stMu     sync.Mutex // guards what follows
	running  *RefreshRun
	last     *RefreshRun
	lastOK   *RefreshRun
	failures int // consecutive
	next     time.Time
	lastID   string
}

func newMaterialized(n *Node, p *engine.Product) *materialized {
	d := p.Desc
	timeout := time.Duration(d.Serving.Timeout)
	if timeout <= 0 {
		timeout = n.serving.opts.RefreshTimeout
	}
	return &materialized{
		n:           n,
		p:           p,
		dir:         filepath.Join(n.snapshotsDir(), engine.SchemaName(d)),
		sched:       d.Serving.Refresh,
		timeout:     timeout,
		fingerprint: fingerprint(d),
		log:         n.log.With("product", d.ID()),
		kick:        make(chan string, 1),
	}
}

// fingerprint identifies the definition a snapshot was built from.
func fingerprint(d *descriptor.Product) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", d.Version, strings.TrimSpace(d.Transform.SQL))
	for _, c := range d.Output.Schema {
		fmt.Fprintf(h, "%s %s %v\n", c.Name, c.LogicalType, c.Required)
	}
	fmt.Fprintf(h, "%v\n", d.Output.PrimaryKey)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// current returns the snapshot requests read now, with a reference the
// caller releases; nil before the first build.
func (m *materialized) current() *snapshot {
	m.mu.RLock()
	s := m.cur
	if s != nil {
		s.acquire()
	}
	m.mu.RUnlock()
	return s
}

// swap makes s the current snapshot. The old one is dropped once its last
// reader lets go.
func (m *materialized) swap(s *snapshot) {
	s.refs.Store(1)
	m.mu.Lock()
	old := m.cur
	m.cur = s
	m.mu.Unlock()
	if old != nil {
		old.obsolete.Store(true)
		old.release()
	}
}

// retire drops a snapshot nobody reads any more.
func (m *materialized) retire(s *snapshot) {
	if err := m.n.engine.DropSnapshot(m.p, s.table); err != nil {
		m.log.Warn("cannot drop a snapshot table", "table", s.table, "err", err)
	}
	s.freeMemory()
	if s.obsolete.Load() {
		os.Remove(s.path)
	}
}

// close lets go of the current snapshot at shutdown; its file stays for
// the next start.
func (m *materialized) close() {
	m.mu.Lock()
	s := m.cur
	m.cur = nil
	m.mu.Unlock()
	if s != nil {
		s.release()
	}
}

// loadKept serves the snapshot kept in the data folder by a previous run,
// when there is one of this definition, and asks for a refresh: the
// product is "built on start" in the background while the kept snapshot
// serves. It reports whether a snapshot now serves.
func (m *materialized) loadKept(ctx context.Context) bool {
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		m.log.Error("snapshot folder", "err", err)
		return false
	}
	man, err := readManifest(m.dir)
	keep := ""
	defer func() { m.removeStrays(keep) }()
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.log.Warn("the kept snapshot's manifest is unreadable; building anew", "err", err)
		}
		return false
	}
	if man.Fingerprint != m.fingerprint {
		m.log.Info("the kept snapshot was built from another definition; building anew")
		return false
	}
	s := &snapshot{manifest: man, table: "@snapshot-" + man.ID, path: filepath.Join(m.dir, man.File), m: m}
	rows, err := m.n.engine.LoadSnapshot(ctx, m.p, s.table, s.path)
	if err != nil {
		m.log.Warn("cannot load the kept snapshot; building anew", "err", err)
		return false
	}
	s.Rows = rows
	keep = man.File
	m.loadMemory(ctx, s)
	m.stMu.Lock()
	m.lastID = s.ID
	m.stMu.Unlock()
	m.swap(s)
	m.log.Info("serving the kept snapshot", "built", man.BuiltAt, "rows", rows)
	m.kick <- triggerStart
	return true
}

// removeStrays removes files of the product's snapshot folder other than
// the manifest and the file keep: leftovers of a crash.
func (m *materialized) removeStrays(keep string) {
	entries, _ := os.ReadDir(m.dir)
	for _, e := range entries {
		if e.Name() != manifestName && e.Name() != keep {
			os.Remove(filepath.Join(m.dir, e.Name()))
		}
	}
}

// loadMemory reads a small enough snapshot into memory with its key index.
func (m *materialized) loadMemory(ctx context.Context, s *snapshot) {
	o := m.n.serving.opts
	if o.IndexMaxRows < 0 || s.Rows > o.IndexMaxRows {
		return
	}
	batches, schema, err := m.n.engine.ReadSnapshot(ctx, m.p, s.table, 64<<10, o.IndexMaxBytes)
	if err != nil {
		if errors.Is(err, engine.ErrTooLarge) {
			m.log.Info("snapshot too large to keep in memory; DuckDB serves it", "maxBytes", o.IndexMaxBytes)
		} else if ctx.Err() == nil {
			m.log.Warn("cannot read the snapshot into memory; DuckDB serves it", "err", err)
		}
		return
	}
	s.batches, s.schema = batches, schema
	for _, b := range batches {
		s.mem += batchBytes(b)
	}
	s.index = newKeyIndex(m.p, schema, batches)
}

// loop runs the refreshes: on schedule, on request, and after a failure
// with a backoff, until the node stops.
func (m *materialized) loop() {
	s := m.n.serving
	for {
		next := m.nextRun()
		var fire <-chan time.Time
		stop := func() {}
		if !next.IsZero() {
			fire, stop = s.clock.Timer(next.Sub(s.clock.Now()))
		}
		var trigger string
		select {
		case <-s.ctx.Done():
			stop()
			return
		case trigger = <-m.kick:
		case <-fire:
			trigger = triggerSchedule
		}
		stop()
		m.refresh(trigger)
	}
}

// nextRun is when the schedule next fires after the last run started (or
// the kept snapshot was built), or sooner to retry after a failure.
func (m *materialized) nextRun() time.Time {
	m.stMu.Lock()
	defer m.stMu.Unlock()
	var base time.Time
	if m.last != nil {
		base = m.last.Started
	} else if s := m.current(); s != nil {
		base = s.BuiltAt
		s.release()
	}
	var next time.Time
	if !m.sched.IsZero() && !base.IsZero() {
		next = m.sched.Next(base)
	}
	if m.last != nil && m.last.Result != resultOK {
		retry := m.last.Finished.Add(backoff(m.failures))
		if next.IsZero() || retry.Before(next) {
			next = retry
		}
	}
	m.next = next
	return next
}

// backoff is the wait before retrying after n consecutive failures: 1m,
// 2m, 4m, ... up to 1h.
func backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// request asks for a refresh. It reports whether one is already running
// (the new one then runs after it; several requests meanwhile make one).
func (m *materialized) request() (running bool) {
	select {
	case m.kick <- triggerRequest:
	default:
	}
	m.stMu.Lock()
	defer m.stMu.Unlock()
	return m.running != nil
}

// refresh builds a new snapshot and swaps it in. Whatever goes wrong (an
// error, the timeout, rows that break the schema), the current snapshot
// keeps serving and the run says why.
func (m *materialized) refresh(trigger string) {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	s := m.n.serving
	began := time.Now()
	run := RefreshRun{Trigger: trigger, Started: s.clock.Now()}
	running := run // status readers copy it under stMu; run changes below
	m.stMu.Lock()
	m.running = &running
	m.stMu.Unlock()

	ctx, cancel := context.WithTimeout(s.ctx, m.timeout)
	snap, err := m.build(ctx, run.Started)
	cancel()

	run.Finished, run.Duration = s.clock.Now(), Duration(time.Since(began))
	switch {
	case err == nil:
		run.Result, run.Rows = resultOK, snap.Rows
	case s.ctx.Err() != nil:
		run.Result, run.Error = resultCancelled, "the node stopped during the refresh"
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		run.Result, run.Error = resultTimeout, fmt.Sprintf("the refresh took longer than its timeout of %s", m.timeout)
	default:
		var bad engine.SnapshotViolations
		if errors.As(err, &bad) {
			run.Result = resultInvalid
		} else {
			run.Result = resultFailed
		}
		run.Error = err.Error()
	}
	if snap != nil {
		m.swap(snap)
	}
	m.stMu.Lock()
	m.running = nil
	m.last = &run
	if run.Result == resultOK {
		m.lastOK, m.failures = &run, 0
	} else if run.Result != resultCancelled {
		m.failures++
	}
	m.stMu.Unlock()
	s.metrics.refreshed(m.p, run)
	if run.Result == resultOK {
		m.log.Info("refreshed", "trigger", trigger, "rows", run.Rows, "took", time.Duration(run.Duration),
			"inMemory", snap.batches != nil, "indexed", snap.index != nil)
	} else {
		m.log.Warn("refresh failed; the last snapshot keeps serving", "trigger", trigger, "result", run.Result, "err", run.Error)
	}
}

// build computes a snapshot: the product into a new table sorted by its
// key, checked against the schema, written to a Parquet file and, when
// small enough, read into memory; then the manifest points at it. Nothing
// is left behind when it fails.
func (m *materialized) build(ctx context.Context, started time.Time) (_ *snapshot, err error) {
	eng := m.n.engine
	if h := m.n.serving.opts.hooks.beforeRefresh; h != nil {
		if err := h(ctx, m.p.Desc.Name); err != nil {
			return nil, err
		}
	}
	if err := eng.Reread(ctx, m.p); err != nil {
		return nil, err
	}
	m.stMu.Lock()
	if last, err := strconv.ParseInt(m.lastID, 36, 64); err == nil && started.UnixNano() <= last {
		started = time.Unix(0, last+1) // a clock that stood still (tests) or went back
	}
	id := snapshotID(started)
	m.lastID = id
	m.stMu.Unlock()
	s := &snapshot{
		manifest: manifest{ID: id, File: "snap-" + id + ".parquet", BuiltAt: started, Fingerprint: m.fingerprint},
		table:    "@snapshot-" + id,
		m:        m,
	}
	s.path = filepath.Join(m.dir, s.File)
	began := time.Now()
	defer func() {
		if err != nil {
			eng.DropSnapshot(m.p, s.table)
			s.freeMemory()
			os.Remove(s.path)
			os.Remove(s.path + ".tmp")
		}
	}()
	if s.Rows, err = eng.BuildSnapshot(ctx, m.p, s.table); err != nil {
		return nil, err
	}
	if err := eng.CheckSnapshot(ctx, m.p, s.table); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, err
	}
	if s.Bytes, err = eng.ExportSnapshot(ctx, m.p, s.table, s.path+".tmp"); err != nil {
		return nil, err
	}
	if err := os.Rename(s.path+".tmp", s.path); err != nil {
		return nil, err
	}
	m.loadMemory(ctx, s)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.Took = Duration(time.Since(began))
	if err := writeManifest(m.dir, s.manifest); err != nil {
		return nil, err
	}
	return s, nil
}

// ServingStatus is the state of a materialized product: its snapshot and
// refreshes.
type ServingStatus struct {
	Refresh             string          `json:"refresh,omitempty"` // the schedule as written
	Timeout             Duration        `json:"timeout"`
	Snapshot            *SnapshotStatus `json:"snapshot,omitempty"`
	Running             *RefreshRun     `json:"running,omitempty"`
	LastRun             *RefreshRun     `json:"lastRun,omitempty"`
	LastSuccess         *RefreshRun     `json:"lastSuccess,omitempty"`
	NextRun             time.Time       `json:"nextRun,omitzero"`
	ConsecutiveFailures int             `json:"consecutiveFailures"`
}

// SnapshotStatus describes the snapshot a materialized product serves.
type SnapshotStatus struct {
	ID      string    `json:"id"`
	BuiltAt time.Time `json:"builtAt"`
	Age     Duration  `json:"age"`
	Took    Duration  `json:"took"`
	Rows    int64     `json:"rows"`
	Bytes   int64     `json:"bytes"` // of its Parquet file
	// InMemory says whether its rows are in memory (IndexMaxRows,
	// IndexMaxBytes), Indexed whether primary key lookups use an index.
	InMemory    bool  `json:"inMemory"`
	Indexed     bool  `json:"indexed"`
	MemoryBytes int64 `json:"memoryBytes,omitempty"`
}

func (m *materialized) status(now time.Time) ServingStatus {
	st := ServingStatus{Refresh: m.sched.String(), Timeout: Duration(m.timeout)}
	if s := m.current(); s != nil {
		st.Snapshot = &SnapshotStatus{ID: s.ID, BuiltAt: s.BuiltAt, Age: Duration(max(now.Sub(s.BuiltAt), 0)),
			Took: s.Took, Rows: s.Rows, Bytes: s.Bytes, InMemory: s.batches != nil, Indexed: s.index != nil, MemoryBytes: s.mem}
		s.release()
	}
	m.stMu.Lock()
	defer m.stMu.Unlock()
	copyRun := func(r *RefreshRun) *RefreshRun {
		if r == nil {
			return nil
		}
		c := *r
		return &c
	}
	st.Running, st.LastRun, st.LastSuccess = copyRun(m.running), copyRun(m.last), copyRun(m.lastOK)
	st.NextRun, st.ConsecutiveFailures = m.next, m.failures
	return st
}

// state is the product's state: unavailable without a snapshot, degraded
// when its last refresh failed and an older snapshot serves.
func (m *materialized) state() status {
	s := m.current()
	m.stMu.Lock()
	last := m.last
	m.stMu.Unlock()
	if s == nil {
		reason := "its first snapshot is being built"
		if last != nil && last.Error != "" {
			reason = fmt.Sprintf("no snapshot: the last refresh (%s) failed: %s", last.Started.UTC().Format(time.RFC3339), last.Error)
		}
		return status{State: "unavailable", Reason: reason}
	}
	defer s.release()
	if last != nil && last.Result != resultOK && last.Result != resultCancelled {
		return status{State: "degraded", Reason: fmt.Sprintf("the last refresh (%s) failed: %s; serving the snapshot built %s",
			last.Started.UTC().Format(time.RFC3339), last.Error, s.BuiltAt.UTC().Format(time.RFC3339))}
	}
	return status{State: "available"}
}
