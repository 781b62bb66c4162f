//go:build duckdb_arrow

package node

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/problem"
	"github.com/datamesh/datamesh/query"
)

// Job states.
const (
	jobQueued    = "queued"
	jobRunning   = "running"
	jobDone      = "done"
	jobFailed    = "failed"
	jobCancelled = "cancelled"
)

// Job is the status of an asynchronous request, as GET /jobs/{id} answers
// it and as it is kept in the data folder (jobs/{id}/job.json).
type Job struct {
	ID      string     `json:"id"`
	Product string     `json:"product"` // domain/name@version
	Name    string     `json:"name"`
	Major   int        `json:"major"`
	State   string     `json:"state"`
	Rows    int64      `json:"rows"` // so far while it runs
	Params  url.Values `json:"params,omitempty"`
	// Format is the result's format when the fetch names none.
	Format   string            `json:"format"`
	Created  time.Time         `json:"created"`
	Started  time.Time         `json:"started,omitzero"`
	Finished time.Time         `json:"finished,omitzero"`
	Expires  time.Time         `json:"expires,omitzero"` // the result is deleted then
	Bytes    int64             `json:"resultBytes,omitempty"`
	Error    *problem.Error    `json:"error,omitempty"`
	Links    map[string]string `json:"links,omitempty"`
}

func (j *Job) finished() bool {
	return j.State == jobDone || j.State == jobFailed || j.State == jobCancelled
}

// job is a Job with what running it needs. The manager's mutex guards the
// Job.
type job struct {
	Job
	p      *engine.Product // nil for a job restored from disk
	req    *query.Request
	rows   atomic.Int64
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed once finished
	dir    string
}

// jobManager runs jobs on the node's context, not their requests': a job
// outlives its client. JobWorkers run at once, JobQueue more wait; their
// state and results are kept in the data folder until JobTTL after they
// finish, and survive a restart (jobs that were running then fail).
type jobManager struct {
	n    *Node
	dir  string
	ttl  time.Duration
	sem  chan struct{}
	max  int // queued + running
	wg   sync.WaitGroup
	stop func()

	mu   sync.Mutex
	jobs map[string]*job
	gone map[string]time.Time // expired ids, answered 410 for a TTL more
}

const (
	jobFile    = "job.json"
	resultFile = "result.arrows"
)

func newJobManager(n *Node) (*jobManager, error) {
	s := n.serving
	jm := &jobManager{
		n:    n,
		dir:  n.jobsDir(),
		ttl:  s.opts.JobTTL,
		sem:  make(chan struct{}, s.opts.JobWorkers),
		max:  s.opts.JobWorkers + s.opts.JobQueue,
		jobs: map[string]*job{},
		gone: map[string]time.Time{},
	}
	if err := jm.restore(); err != nil {
		return nil, fmt.Errorf("node %s: jobs: %w", n.opts.Name, err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	jm.stop = func() { cancel(); jm.wg.Wait() }
	jm.wg.Add(1)
	go func() {
		defer jm.wg.Done()
		jm.janitor(ctx)
	}()
	return jm, nil
}

// restore reads the jobs kept in the data folder: finished ones serve
// until they expire; those a stopped node left queued or running failed.
func (jm *jobManager) restore() error {
	entries, err := os.ReadDir(jm.dir)
	if err != nil {
		return err
	}
	now := jm.n.now()
	for _, e := range entries {
		dir := filepath.Join(jm.dir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, jobFile))
		var j job
		if err == nil {
			err = json.Unmarshal(b, &j.Job)
		}
		if err != nil || j.ID != e.Name() {
			os.RemoveAll(dir)
			continue
		}
		j.dir, j.done = dir, make(chan struct{})
		close(j.done)
		if !j.finished() {
			j.State, j.Finished, j.Expires = jobFailed, now, now.Add(jm.ttl)
			j.Error = problem.New(http.StatusServiceUnavailable, problem.Unavailable,
				"the node restarted before the job finished; submit it again")
			os.Remove(filepath.Join(dir, resultFile+".tmp"))
			if err := jm.persist(&j); err != nil {
				return err
			}
		}
		if now.After(j.Expires) {
			os.RemoveAll(dir)
			continue
		}
		jm.jobs[j.ID] = &j
	}
	return nil
}

func (jm *jobManager) persist(j *job) error {
	v := j.Job
	v.Links = nil
	return writeFileAtomic(filepath.Join(j.dir, jobFile), v)
}

// tooMany answers a submission beyond the queue.
func (jm *jobManager) tooMany() error {
	pe := problem.New(http.StatusTooManyRequests, problem.TooMany,
		"%d jobs are queued or running, as many as this node takes; try again later", jm.max)
	pe.RetryAfter = 5
	return pe
}

// submit queues a job of req on p.
func (jm *jobManager) submit(p *engine.Product, params url.Values, req *query.Request, format string) (*job, error) {
	id, err := newJobID()
	if err != nil {
		return nil, err
	}
	s := jm.n.serving
	jm.mu.Lock()
	active := 0
	for _, j := range jm.jobs {
		if !j.finished() {
			active++
		}
	}
	if active >= jm.max {
		jm.mu.Unlock()
		return nil, jm.tooMany()
	}
	params = cloneValues(params)
	params.Del(query.ParamFormat)
	j := &job{
		Job: Job{ID: id, Product: p.Desc.ID(), Name: p.Desc.Name, Major: p.Desc.Major(), State: jobQueued,
			Params: params, Format: format, Created: s.clock.Now()},
		p: p, req: req, done: make(chan struct{}), dir: filepath.Join(jm.dir, id),
	}
	j.ctx, j.cancel = context.WithCancel(s.ctx)
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		jm.mu.Unlock()
		return nil, err
	}
	if err := jm.persist(j); err != nil {
		jm.mu.Unlock()
		os.RemoveAll(j.dir)
		return nil, err
	}
	jm.jobs[id] = j
	jm.mu.Unlock()

	jm.wg.Add(1)
	go func() {
		defer jm.wg.Done()
		select {
		case jm.sem <- struct{}{}:
		case <-j.ctx.Done():
			jm.finish(j, j.ctx.Err())
			return
		}
		defer func() { <-jm.sem }()
		jm.finish(j, jm.run(j))
	}()
	return j, nil
}

func newJobID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// run computes the job's result into an Arrow IPC stream file (LZ4),
// counting rows as they come.
func (jm *jobManager) run(j *job) error {
	n := jm.n
	s := n.serving
	jm.mu.Lock()
	if j.State != jobQueued { // cancelled meanwhile
		jm.mu.Unlock()
		return context.Canceled
	}
	j.State, j.Started = jobRunning, s.clock.Now()
	err := jm.persist(j)
	jm.mu.Unlock()
	if err != nil {
		return err
	}
	timeout := time.Duration(j.p.Desc.Serving.Timeout)
	if timeout <= 0 {
		timeout = s.opts.JobTimeout
	}
	ctx, cancel := context.WithTimeout(j.ctx, timeout)
	defer cancel()
	err = jm.compute(ctx, j)
	if err != nil && ctx.Err() == context.DeadlineExceeded && j.ctx.Err() == nil {
		return problem.New(http.StatusGatewayTimeout, problem.Timeout, "the job took longer than its timeout of %s", timeout)
	}
	return err
}

// compute writes the job's result file.
func (jm *jobManager) compute(ctx context.Context, j *job) error {
	n := jm.n
	s := n.serving
	if h := s.opts.hooks.beforeJob; h != nil {
		if err := h(ctx, j.ID); err != nil {
			return err
		}
	}
	relation := j.p.Relation()
	if m := n.materializedOf(j.p); m != nil {
		snap := m.current()
		if snap == nil {
			return problem.New(http.StatusServiceUnavailable, problem.Unavailable,
				"product %s has no snapshot yet: %s", j.p.Desc.ID(), m.state().Reason)
		}
		defer snap.release()
		relation = j.p.SnapshotRelation(snap.table)
	} else if err := n.engine.Prepare(ctx, j.p); err != nil {
		return err
	}
	sql, args := j.req.SQL(relation)
	tmp := filepath.Join(j.dir, resultFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 256<<10)
	selected := len(j.req.Select)
	err = n.streamQuery(ctx, sql, args, func(rr array.RecordReader) error {
		iw := ipc.NewWriter(bw, ipc.WithSchema(projectSchema(rr.Schema(), selected)), ipc.WithLZ4())
		for rr.Next() {
			b := project(rr.RecordBatch(), selected)
			err := iw.Write(b)
			j.rows.Add(b.NumRows())
			b.Release()
			if err != nil {
				return err
			}
		}
		if err := rr.Err(); err != nil {
			return err
		}
		return iw.Close()
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(j.dir, resultFile))
}

// finish records how a job ended.
func (jm *jobManager) finish(j *job, err error) {
	s := jm.n.serving
	jm.mu.Lock()
	defer jm.mu.Unlock()
	defer close(j.done)
	j.Rows = j.rows.Load()
	if j.State != jobCancelled { // DELETE already said so
		j.Finished = s.clock.Now()
		j.Expires = j.Finished.Add(jm.ttl)
		switch {
		case err == nil:
			j.State = jobDone
			if fi, err := os.Stat(filepath.Join(j.dir, resultFile)); err == nil {
				j.Bytes = fi.Size()
			}
		case s.ctx.Err() != nil:
			j.State = jobFailed
			j.Error = problem.New(http.StatusServiceUnavailable, problem.Unavailable,
				"the node stopped before the job finished; submit it again")
		case errors.Is(err, context.Canceled) && j.ctx.Err() != nil:
			j.State = jobCancelled
		default:
			j.State = jobFailed
			j.Error = jm.n.jobProblem(j, err)
		}
	}
	if j.State != jobDone {
		os.Remove(filepath.Join(j.dir, resultFile))
	}
	if err := jm.persist(j); err != nil {
		jm.n.log.Error("cannot keep a job's state", "job", j.ID, "err", err)
	}
	if j.p != nil {
		s.metrics.jobFinished(j.p, j.State)
	}
}

// jobProblem is the problem a failed job reports: upstream failures and
// timeouts as they are, other errors as internal ones, logged.
func (n *Node) jobProblem(j *job, err error) *problem.Error {
	var ue *engine.UpstreamError
	if errors.As(err, &ue) {
		return problem.New(http.StatusBadGateway, problem.UpstreamFailed, "product %s cannot be computed: input %q: %v",
			ue.Product, ue.Input, ue.Err)
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		c := *pe
		return &c
	}
	n.log.Error("job failed", "job", j.ID, "product", j.Product, "err", err)
	return problem.New(http.StatusInternalServerError, problem.Internal, "the job failed; the cause is in the node's log (job %s)", j.ID)
}

// get returns a job, expiring it when its time is up; gone reports a job
// that expired.
func (jm *jobManager) get(id string) (j *job, gone bool) {
	now := jm.n.now()
	jm.mu.Lock()
	defer jm.mu.Unlock()
	j = jm.jobs[id]
	if j == nil {
		_, gone = jm.gone[id]
		return nil, gone
	}
	if j.finished() && now.After(j.Expires) {
		jm.expire(j)
		return nil, true
	}
	return j, false
}

// expire removes a finished job and its result; mu is held.
func (jm *jobManager) expire(j *job) {
	delete(jm.jobs, j.ID)
	jm.gone[j.ID] = j.Expires
	os.RemoveAll(j.dir)
}

// janitor expires jobs and forgets expired ones as time passes.
func (jm *jobManager) janitor(ctx context.Context) {
	clk := jm.n.serving.clock
	every := min(jm.ttl/4, time.Minute)
	for {
		fire, stop := clk.Timer(every)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-fire:
		}
		now := clk.Now()
		jm.mu.Lock()
		for _, j := range jm.jobs {
			if j.finished() && now.After(j.Expires) {
				jm.expire(j)
			}
		}
		for id, at := range jm.gone {
			if now.After(at.Add(jm.ttl)) {
				delete(jm.gone, id)
			}
		}
		jm.mu.Unlock()
	}
}

// cancel cancels a job that has not finished, or deletes a finished one
// with its result. It reports whether the job was cancelled.
func (jm *jobManager) cancel(j *job) bool {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	if j.finished() {
		jm.expire(j)
		return false
	}
	now := jm.n.now()
	j.State, j.Finished, j.Expires = jobCancelled, now, now.Add(jm.ttl)
	j.Rows = j.rows.Load()
	if err := jm.persist(j); err != nil {
		jm.n.log.Error("cannot keep a job's state", "job", j.ID, "err", err)
	}
	j.cancel()
	return true
}

// counts returns the number of jobs in each state.
func (jm *jobManager) counts() map[string]int {
	out := map[string]int{jobQueued: 0, jobRunning: 0, jobDone: 0, jobFailed: 0, jobCancelled: 0}
	jm.mu.Lock()
	defer jm.mu.Unlock()
	for _, j := range jm.jobs {
		out[j.State]++
	}
	return out
}

// view is the job's status as answered, with links.
func (jm *jobManager) view(j *job) Job {
	jm.mu.Lock()
	v := j.Job
	jm.mu.Unlock()
	if v.State == jobRunning {
		v.Rows = j.rows.Load()
	}
	if v.Error != nil {
		e := *v.Error
		if !strings.Contains(e.Type, ":") {
			e.Type = problem.TypeBase + e.Type
		}
		v.Error = &e
	}
	base := jm.n.opts.BaseURL
	v.Links = map[string]string{
		"self":    base + "/jobs/" + v.ID,
		"result":  base + "/jobs/" + v.ID + "/result",
		"product": fmt.Sprintf("%s/products/%s", base, v.Name),
	}
	return v
}
