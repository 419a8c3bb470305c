// Package clock owns the mock's notion of time: virtual clocks that run at real speed from
// offsets that only grow, and one scheduler of timed work (expiries, deliveries, webhook
// retries, stream heartbeats) on them. It is the one place where time moves; nothing else
// calls time.Now for state.
//
// Time is kept per tenant (a Cryptorefills partner, a Payscrypt merchant): a tenant's time is
// the real time plus a global offset plus the tenant's own offset. Advance moves everyone;
// AdvanceTenant moves one tenant and fires only its due work, so one test run cannot expire
// another's orders. Both run every task due by the new time before they return, in due order,
// so a test that advances 30 minutes sees the expiry at once.
//
// The scheduler is a two-level heap: each tenant keeps its tasks by due time (in its own time),
// and the tenants with tasks are kept by when their earliest task falls due on the shared
// "base" time (real time plus the global offset), which a tenant's offset shifts.
package clock

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrOverflow is returned for an advance that would take an offset past what a time.Duration
// holds (about 292 years): the clock would run backwards.
var ErrOverflow = errors.New("the virtual clock cannot run that far ahead")

// ErrTooManyTenants is returned when more tenants would keep an offset of their own than the
// clock keeps (MaxTenants).
var ErrTooManyTenants = errors.New("too many tenants with a clock of their own")

// MaxTenants bounds the tenants the clock remembers (those with an offset or pending tasks).
const MaxTenants = 100000

// Global names the work and time of no tenant in particular.
const Global = ""

// Clock is a set of virtual clocks with one scheduler. The zero value is not usable: call New.
//
// Lock order: mu guards offsets, tenants, heaps and the timer. Tasks run without mu held, on
// the scheduler goroutine or on the goroutine calling Advance, one at a time (runMu).
type Clock struct {
	mu      sync.RWMutex // read-locked by Now, the call every request makes
	global  time.Duration
	tenants map[string]*tenant
	top     heapOf[*tenant] // tenants with tasks, by the base time their earliest task is due
	seq     uint64
	timer   *time.Timer
	armed   time.Time // the real time the timer fires at; zero when stopped or fired
	closed  bool
	// pinned, while Advance runs a task: the base time it runs at, which Now uses, so that
	// work a task schedules "d from now" is due exactly d after it.
	pinned time.Time

	runMu sync.Mutex // serialises task execution
	real  func() time.Time
}

type tenant struct {
	name   string
	offset time.Duration
	tasks  heapOf[*entry]
	index  int // in Clock.top; -1 when absent
}

// due is the base time at which the tenant's earliest task falls due.
func (t *tenant) due() time.Time { return t.tasks.items[0].at.Add(-t.offset) }

// New returns a clock at real time (every offset zero).
func New() *Clock {
	c := &Clock{real: time.Now, tenants: map[string]*tenant{}, top: newTenantHeap()}
	c.timer = time.AfterFunc(time.Hour, c.runDue)
	c.timer.Stop()
	return c
}

// baseLocked is real time plus the global offset (or the pinned time while a task runs).
func (c *Clock) baseLocked() time.Time {
	if !c.pinned.IsZero() {
		return c.pinned
	}
	return c.real().Add(c.global)
}

func (c *Clock) offsetLocked(name string) time.Duration {
	if t := c.tenants[name]; t != nil {
		return t.offset
	}
	return 0
}

// tenantLocked returns the tenant's record, creating it.
func (c *Clock) tenantLocked(name string) (*tenant, error) {
	if t := c.tenants[name]; t != nil {
		return t, nil
	}
	if len(c.tenants) >= MaxTenants {
		return nil, fmt.Errorf("%w (%d): reset the mock", ErrTooManyTenants, MaxTenants)
	}
	t := &tenant{name: name, index: -1, tasks: newTaskHeap()}
	c.tenants[name] = t
	return t, nil
}

// fixLocked puts a tenant where it belongs in the top heap after its tasks or offset changed,
// and forgets a tenant that has nothing left to remember.
func (c *Clock) fixLocked(t *tenant) {
	switch {
	case t.tasks.Len() > 0 && t.index >= 0:
		c.top.fix(t.index)
	case t.tasks.Len() > 0:
		c.top.push(t)
	case t.index >= 0:
		c.top.remove(t.index)
	}
	if t.tasks.Len() == 0 && t.offset == 0 {
		delete(c.tenants, t.name)
	}
}

// Now is the global virtual time: real time plus the offset every tenant shares.
func (c *Clock) Now() time.Time { return c.For(Global).Now() }

// Offset is how far the global virtual time runs ahead of real time.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.global
}

// OffsetOf is how far a tenant's time runs ahead of real time (the global offset and its own).
func (c *Clock) OffsetOf(name string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.global + c.offsetLocked(name)
}

// Offsets returns the global offset and every tenant's own offset that is not zero (for the
// state file).
func (c *Clock) Offsets() (time.Duration, map[string]time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	own := map[string]time.Duration{}
	for name, t := range c.tenants {
		if t.offset != 0 {
			own[name] = t.offset
		}
	}
	return c.global, own
}

// SetOffsets restores offsets saved by Offsets. Offsets only grow: a smaller one is ignored.
func (c *Clock) SetOffsets(global time.Duration, own map[string]time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if global > c.global {
		c.global = global
	}
	for name, d := range own {
		t, err := c.tenantLocked(name)
		if err != nil {
			return err
		}
		if d > t.offset {
			t.offset = d
		}
		c.fixLocked(t)
	}
	c.rearmLocked()
	return nil
}

// Advance moves every tenant's time forward by d (negative values are ignored: time never
// goes back) and runs every task due by then before returning. It steps through due times like
// a discrete-event simulation: while a task runs, time stands at that task's due time, so work
// a task schedules a little later (payment, then delivery five seconds on) also runs within
// the jump. An advance that would overflow is refused with ErrOverflow, and nothing moves.
func (c *Clock) Advance(d time.Duration) (time.Time, error) {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.mu.Lock()
	if d > 0 && c.maxOffsetLocked() > math.MaxInt64-d {
		c.mu.Unlock()
		return time.Time{}, ErrOverflow
	}
	target := c.real().Add(c.global + max(d, 0))
	c.mu.Unlock()
	for {
		c.mu.Lock()
		c.pinned = time.Time{}
		now := c.real().Add(c.global)
		if c.top.Len() == 0 || c.top.items[0].due().After(target) {
			if target.After(now) {
				c.global += target.Sub(now)
			}
			c.rearmLocked()
			c.mu.Unlock()
			return target, nil
		}
		t := c.top.items[0]
		due := t.due()
		e := t.tasks.pop()
		c.fixLocked(t)
		if due.After(now) {
			c.global += due.Sub(now)
		}
		c.pinned = maxTime(due, now)
		c.mu.Unlock()
		e.f()
	}
}

// maxOffsetLocked is the largest offset any tenant's time has.
func (c *Clock) maxOffsetLocked() time.Duration {
	m := c.global
	for _, t := range c.tenants {
		if t.offset > 0 && c.global+t.offset > m {
			m = c.global + t.offset
		}
	}
	return m
}

// AdvanceTenant moves one tenant's time forward by d and runs that tenant's tasks due by
// then, as Advance does for everyone; other tenants' time and work are untouched.
func (c *Clock) AdvanceTenant(name string, d time.Duration) (time.Time, error) {
	if name == Global {
		return c.Advance(d)
	}
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.mu.Lock()
	t, err := c.tenantLocked(name)
	if err != nil {
		c.mu.Unlock()
		return time.Time{}, err
	}
	if d > 0 && c.global+t.offset > math.MaxInt64-d {
		c.fixLocked(t)
		c.mu.Unlock()
		return time.Time{}, ErrOverflow
	}
	target := c.real().Add(c.global + t.offset + max(d, 0))
	c.mu.Unlock()
	for {
		c.mu.Lock()
		c.pinned = time.Time{}
		base := c.real().Add(c.global)
		now := base.Add(t.offset)
		if t.tasks.Len() == 0 || t.tasks.items[0].at.After(target) {
			if target.After(now) {
				t.offset += target.Sub(now)
			}
			c.fixLocked(t)
			c.rearmLocked()
			c.mu.Unlock()
			return target, nil
		}
		e := t.tasks.pop()
		if e.at.After(now) {
			t.offset += e.at.Sub(now)
		}
		c.fixLocked(t)
		c.pinned = base
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

// Reset puts every clock back to real time and drops every scheduled task.
func (c *Clock) Reset() {
	c.mu.Lock()
	c.global = 0
	c.dropAllLocked()
	c.mu.Unlock()
}

// ResetTenant puts a tenant's own offset back to zero (its tasks are its owner's to cancel).
func (c *Clock) ResetTenant(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.tenants[name]; t != nil {
		t.offset = 0
		c.fixLocked(t)
		c.rearmLocked()
	}
}

// Close stops the scheduler; tasks not yet run are dropped.
func (c *Clock) Close() {
	c.mu.Lock()
	c.closed = true
	c.dropAllLocked()
	c.mu.Unlock()
}

func (c *Clock) dropAllLocked() {
	for _, t := range c.tenants {
		for _, e := range t.tasks.items {
			e.index = -1
		}
	}
	c.tenants, c.top = map[string]*tenant{}, newTenantHeap()
	c.timer.Stop()
	c.armed = time.Time{}
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
		tn := t.ent.owner // in its heap (index >= 0), so its tenant is still kept
		tn.tasks.remove(t.ent.index)
		t.c.fixLocked(tn)
	}
}

// At schedules f to run once the global time reaches at.
func (c *Clock) At(at time.Time, f func()) Task { return c.For(Global).At(at, f) }

// After schedules f to run d from now (global time).
func (c *Clock) After(d time.Duration, f func()) Task { return c.For(Global).After(d, f) }

// Pending reports how many tasks are scheduled, for every tenant.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tenants {
		n += t.tasks.Len()
	}
	return n
}

// View is one tenant's time.
type View struct {
	c *Clock
	// The tenant's name in two parts (a kind and an id, usually), joined only when a task is
	// scheduled: a view kept with every stored order then holds no string of its own.
	prefix, rest string
}

// For returns a tenant's view of the clock.
func (c *Clock) For(tenant string) View { return View{c: c, prefix: tenant} }

// ForOf is For(prefix + rest), without joining the name.
func (c *Clock) ForOf(prefix, rest string) View { return View{c: c, prefix: prefix, rest: rest} }

// Now is the tenant's virtual time.
func (v View) Now() time.Time { return v.c.NowOf(v.prefix, v.rest) }

// NowOf is For(prefix + rest).Now() without building the name on the heap: the request
// journal reads a tenant's time on every request, and has the name in two parts.
func (c *Clock) NowOf(prefix, rest string) time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.baseLocked().Add(c.offsetLocked(prefix + rest)) // a short name is joined on the stack
}

// At schedules f to run once the tenant's time reaches at. f runs without any clock lock
// held and may schedule more tasks.
func (v View) At(at time.Time, f func()) Task {
	c := v.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Task{}
	}
	t, err := c.tenantLocked(v.prefix + v.rest)
	if err != nil { // the bound on tenants: such work runs on the global clock
		t, _ = c.tenantLocked(Global)
	}
	c.seq++
	e := &entry{seq: c.seq, f: f, owner: t}
	e.schedule(at)
	t.tasks.push(e)
	c.fixLocked(t)
	c.rearmLocked()
	return Task{c: c, ent: e}
}

// After schedules f to run d from now (the tenant's time).
func (v View) After(d time.Duration, f func()) Task { return v.At(v.Now().Add(d), f) }

// rearmLocked points the real timer at the earliest task of any tenant. A timer already set
// to fire no later is left alone: firing early costs one look at the heap (runDue finds
// nothing due and re-arms), while resetting it on every new task would cost a timer update
// each (webhook retries, deliveries, stream heartbeats).
func (c *Clock) rearmLocked() {
	if c.top.Len() == 0 {
		c.timer.Stop()
		c.armed = time.Time{}
		return
	}
	wait := max(c.top.items[0].due().Sub(c.baseLocked()), 0)
	fire := c.real().Add(wait)
	if !c.armed.IsZero() && !c.armed.After(fire) {
		return
	}
	c.armed = fire
	c.timer.Reset(wait)
}

// runDue runs every task due now, earliest first.
func (c *Clock) runDue() {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	for {
		c.mu.Lock()
		now := c.real().Add(c.global)
		if c.top.Len() == 0 || c.top.items[0].due().After(now) {
			c.armed = time.Time{} // the timer fired (this is its call): arm it afresh
			c.rearmLocked()
			c.mu.Unlock()
			return
		}
		t := c.top.items[0]
		e := t.tasks.pop()
		c.fixLocked(t)
		c.mu.Unlock()
		e.f()
	}
}

type entry struct {
	at    time.Time
	sec   int64 // at as Unix seconds and nanoseconds (schedule): the heap compares integers
	nsec  int32
	seq   uint64
	f     func()
	owner *tenant
	index int
}

// heapOf is a binary heap that keeps each item's position in it, for fix and remove. It
// calls less directly (container/heap goes through an interface for every comparison and
// swap).
type heapOf[T interface{ setIndex(int) }] struct {
	items []T
	less  func(a, b T) bool
}

func (h *heapOf[T]) Len() int { return len(h.items) }

func (h *heapOf[T]) push(x T) {
	h.items = append(h.items, x)
	x.setIndex(len(h.items) - 1)
	h.up(len(h.items) - 1)
}

// pop removes and returns the least item.
func (h *heapOf[T]) pop() T { return h.remove(0) }

// remove removes and returns the item at i.
func (h *heapOf[T]) remove(i int) T {
	n := len(h.items) - 1
	x := h.items[i]
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	if i != n {
		h.fix(i)
	}
	x.setIndex(-1)
	return x
}

// fix restores the order after the item at i changed.
func (h *heapOf[T]) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *heapOf[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].setIndex(i)
	h.items[j].setIndex(j)
}

func (h *heapOf[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down moves the item at i0 towards the leaves; it reports whether it moved.
func (h *heapOf[T]) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		j := 2*i + 1
		if j >= n || j < 0 {
			break
		}
		if r := j + 1; r < n && h.less(h.items[r], h.items[j]) {
			j = r
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

func (e *entry) setIndex(i int)  { e.index = i }
func (t *tenant) setIndex(i int) { t.index = i }

// schedule sets when the task is due.
func (e *entry) schedule(at time.Time) { e.at, e.sec, e.nsec = at, at.Unix(), int32(at.Nanosecond()) }

// Tasks by due time (the wall clock's reading), then by the order they were scheduled.
func newTaskHeap() heapOf[*entry] {
	return heapOf[*entry]{less: func(a, b *entry) bool {
		switch {
		case a.sec != b.sec:
			return a.sec < b.sec
		case a.nsec != b.nsec:
			return a.nsec < b.nsec
		}
		return a.seq < b.seq
	}}
}

// Tenants by the base time their earliest task falls due.
func newTenantHeap() heapOf[*tenant] {
	return heapOf[*tenant]{less: func(a, b *tenant) bool {
		if x, y := a.due(), b.due(); !x.Equal(y) {
			return x.Before(y)
		}
		return a.tasks.items[0].seq < b.tasks.items[0].seq
	}}
}
