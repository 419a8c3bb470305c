// Package clock owns the mock's notion of time: a virtual clock that runs at real speed from an
// offset that only grows, and a scheduler of timed work (expiries, deliveries, webhook retries)
// on that clock. It is the one place where time moves; nothing else calls time.Now for state.
//
// Advance jumps the clock forward and runs every task due by the new time before it returns,
// in due order, so a test that advances 30 minutes sees the expiry at once.
package clock

import (
	"container/heap"
	"errors"
	"math"
	"sync"
	"time"
)

// ErrOverflow is returned for an advance that would take the offset past what a
// time.Duration holds (about 292 years): the clock would run backwards.
var ErrOverflow = errors.New("the virtual clock cannot run that far ahead")

// Clock is a virtual clock with a scheduler. The zero value is not usable: call New.
//
// Lock order: mu guards offset, the task heap and the timer. Tasks run without mu held, on the
// scheduler goroutine or on the goroutine calling Advance, one at a time (runMu).
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	tasks  taskHeap
	seq    uint64
	timer  *time.Timer
	closed bool
	pinned time.Time // while Advance runs a task: that task's due time, which Now returns

	runMu sync.Mutex // serialises task execution
	real  func() time.Time
}

// New returns a clock at real time (offset zero).
func New() *Clock {
	c := &Clock{real: time.Now}
	c.timer = time.AfterFunc(time.Hour, c.runDue)
	c.timer.Stop()
	return c
}

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if !c.pinned.IsZero() {
		return c.pinned
	}
	return c.real().Add(c.offset)
}

// Offset is how far the virtual clock runs ahead of real time.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Advance moves the clock forward by d (negative values are ignored: time never goes back)
// and runs every task due by then before returning. It steps through due times like a
// discrete-event simulation: while a task runs, Now is that task's due time, so work a task
// schedules a little later (payment, then delivery five seconds on) also runs within the jump.
//
// An advance that would overflow the offset is refused with ErrOverflow, and nothing moves.
func (c *Clock) Advance(d time.Duration) (time.Time, error) {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.mu.Lock()
	if d > 0 && c.offset > math.MaxInt64-d {
		c.mu.Unlock()
		return time.Time{}, ErrOverflow
	}
	target := c.real().Add(c.offset)
	if d > 0 {
		target = target.Add(d)
	}
	c.mu.Unlock()
	for {
		c.mu.Lock()
		c.pinned = time.Time{}
		now := c.real().Add(c.offset)
		if len(c.tasks) == 0 || c.tasks[0].at.After(target) {
			if target.After(now) {
				c.offset += target.Sub(now)
			}
			c.rearmLocked()
			c.mu.Unlock()
			return target, nil
		}
		e := heap.Pop(&c.tasks).(*entry)
		if e.at.After(now) {
			c.offset += e.at.Sub(now)
		}
		// Time stands still while the task runs, so what it schedules "d from now" is due
		// exactly d after it, and falls within this jump when it should.
		c.pinned = maxTime(e.at, now)
		c.mu.Unlock()
		e.f()
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Reset puts the clock back to real time and drops every scheduled task.
func (c *Clock) Reset() {
	c.mu.Lock()
	c.offset = 0
	c.dropAllLocked()
	c.mu.Unlock()
}

// Close stops the scheduler; tasks not yet run are dropped.
func (c *Clock) Close() {
	c.mu.Lock()
	c.closed = true
	c.dropAllLocked()
	c.mu.Unlock()
}

func (c *Clock) dropAllLocked() {
	for _, e := range c.tasks {
		e.index = -1
	}
	c.tasks = nil
	c.timer.Stop()
}

// Task is a handle on scheduled work.
type Task struct {
	c   *Clock
	ent *entry
}

// Cancel removes the task if it has not run yet.
func (t Task) Cancel() {
	if t.c == nil {
		return
	}
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.ent.index >= 0 {
		heap.Remove(&t.c.tasks, t.ent.index)
	}
}

// At schedules f to run once the virtual time reaches at. f runs without any clock lock held
// and may schedule more tasks.
func (c *Clock) At(at time.Time, f func()) Task {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return Task{}
	}
	c.seq++
	e := &entry{at: at, seq: c.seq, f: f}
	heap.Push(&c.tasks, e)
	c.rearmLocked()
	c.mu.Unlock()
	return Task{c: c, ent: e}
}

// After schedules f to run d from now (virtual time).
func (c *Clock) After(d time.Duration, f func()) Task {
	return c.At(c.Now().Add(d), f)
}

// Pending reports how many tasks are scheduled.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tasks)
}

// rearmLocked points the real timer at the earliest task.
func (c *Clock) rearmLocked() {
	if len(c.tasks) == 0 {
		c.timer.Stop()
		return
	}
	wait := c.tasks[0].at.Sub(c.nowLocked())
	if wait < 0 {
		wait = 0
	}
	c.timer.Reset(wait)
}

// runDue runs every task due now, earliest first.
func (c *Clock) runDue() {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	for {
		c.mu.Lock()
		now := c.real().Add(c.offset)
		if len(c.tasks) == 0 || c.tasks[0].at.After(now) {
			c.rearmLocked()
			c.mu.Unlock()
			return
		}
		e := heap.Pop(&c.tasks).(*entry)
		c.mu.Unlock()
		e.f()
	}
}

type entry struct {
	at    time.Time
	seq   uint64
	f     func()
	index int
}

type taskHeap []*entry

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h taskHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *taskHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *taskHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
