//go:build duckdb_arrow

package node

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a clock that moves only when a test advances it.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *FakeClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t.ch, func() {}
	}
	c.timers = append(c.timers, t)
	return t.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.timers {
			if x == t {
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				return
			}
		}
	}
}

// Advance moves the clock and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// WithClock makes the node's schedules, caches, jobs and SLAs use c.
func WithClock(o Options, c *FakeClock) Options {
	o.Serving.clock = c
	return o
}

// WithRefreshHook runs h at the start of every refresh.
func WithRefreshHook(o Options, h func(ctx context.Context, product string) error) Options {
	if o.Serving.hooks == nil {
		o.Serving.hooks = &hooks{}
	}
	o.Serving.hooks.beforeRefresh = h
	return o
}

// WithJobHook runs h when every job starts running.
func WithJobHook(o Options, h func(ctx context.Context, id string) error) Options {
	if o.Serving.hooks == nil {
		o.Serving.hooks = &hooks{}
	}
	o.Serving.hooks.beforeJob = h
	return o
}

// MemoryAnswers is how many data requests were answered from a snapshot in
// memory, without DuckDB.
func MemoryAnswers(n *Node) int64 { return n.serving.memoryAnswers.Load() }
