package clock

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdvanceRunsDueTasksInOrder(t *testing.T) {
	c := New()
	defer c.Close()
	start := c.Now()
	var mu sync.Mutex
	var ran []string
	record := func(s string) func() {
		return func() { mu.Lock(); ran = append(ran, s); mu.Unlock() }
	}
	c.At(start.Add(30*time.Minute), record("expiry"))
	c.At(start.Add(5*time.Second), record("delivery"))
	c.At(start.Add(2*time.Hour), record("later"))
	cancelled := c.At(start.Add(time.Minute), record("cancelled"))
	cancelled.Cancel()

	now, _ := c.Advance(31 * time.Minute)
	if now.Sub(start) < 31*time.Minute {
		t.Fatalf("clock moved %v, want at least 31m", now.Sub(start))
	}
	mu.Lock()
	got := append([]string(nil), ran...)
	mu.Unlock()
	if len(got) != 2 || got[0] != "delivery" || got[1] != "expiry" {
		t.Fatalf("ran %v, want [delivery expiry]", got)
	}
	if c.Pending() != 1 {
		t.Fatalf("pending %d, want 1", c.Pending())
	}
}

func TestTasksRunInRealTimeToo(t *testing.T) {
	c := New()
	defer c.Close()
	done := make(chan struct{})
	c.After(20*time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("task due in 20ms did not run within 5s of real time")
	}
}

func TestTaskMaySchedule(t *testing.T) {
	c := New()
	defer c.Close()
	var second bool
	c.After(time.Second, func() { c.After(time.Second, func() { second = true }) })
	c.Advance(3 * time.Second)
	if !second {
		t.Fatal("a task scheduled by a task, due within the jump, did not run")
	}
}

func TestResetDropsTasksAndOffset(t *testing.T) {
	c := New()
	defer c.Close()
	task := c.After(time.Minute, func() { t.Error("dropped task ran") })
	c.Advance(10 * time.Second)
	c.Reset()
	task.Cancel() // must not disturb anything after Reset
	if c.Offset() != 0 || c.Pending() != 0 {
		t.Fatalf("offset %v pending %d after reset", c.Offset(), c.Pending())
	}
	c.Advance(2 * time.Minute)
}

func TestNegativeAdvanceIgnored(t *testing.T) {
	c := New()
	defer c.Close()
	c.Advance(-time.Hour)
	if c.Offset() != 0 {
		t.Fatalf("offset %v", c.Offset())
	}
}

// TestAdvanceNeverOverflows: advancing by the control API's maximum (10 years) again and
// again stops with ErrOverflow before the offset wraps into the past; nothing moves then.
func TestAdvanceNeverOverflows(t *testing.T) {
	c := New()
	defer c.Close()
	tenYears := 315360000 * time.Second
	start := c.Now()
	var refused int
	for i := 0; i < 40; i++ {
		before := c.Offset()
		_, err := c.Advance(tenYears)
		if errors.Is(err, ErrOverflow) {
			refused++
			if c.Offset() != before {
				t.Fatal("a refused advance moved the clock")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !c.Now().After(start) || c.Offset() < before {
			t.Fatalf("after %d advances the clock went back: %v", i+1, c.Now())
		}
	}
	if refused == 0 {
		t.Fatal("400 years of advances were all accepted")
	}
}

// TestTenantClocks: advancing one tenant moves only its time and fires only its due work;
// a global advance moves everyone and fires every tenant's work in due order.
func TestTenantClocks(t *testing.T) {
	c := New()
	defer c.Close()
	var mu sync.Mutex
	var fired []string
	record := func(s string) func() {
		return func() { mu.Lock(); fired = append(fired, s); mu.Unlock() }
	}
	a, b := c.For("a"), c.For("b")
	a.After(30*time.Minute, record("a-expiry"))
	b.After(30*time.Minute, record("b-expiry"))
	b.After(10*time.Minute, record("b-early"))
	if _, err := c.AdvanceTenant("a", 31*time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 1 || fired[0] != "a-expiry" {
		t.Fatalf("advancing a fired %v", fired)
	}
	if d := a.Now().Sub(b.Now()); d < 31*time.Minute-time.Second || d > 31*time.Minute+time.Second {
		t.Fatalf("a runs %v ahead of b, want 31m", d)
	}
	if c.OffsetOf("b") != 0 || c.OffsetOf("a") < 31*time.Minute-time.Second {
		t.Fatalf("offsets a %v b %v", c.OffsetOf("a"), c.OffsetOf("b"))
	}
	// Work a task schedules within a tenant's jump runs in the same jump, on that tenant's time.
	b.After(time.Hour, func() {
		record("b-paid")()
		b.After(5*time.Second, record("b-delivered"))
	})
	if _, err := c.Advance(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	want := []string{"a-expiry", "b-early", "b-expiry", "b-paid", "b-delivered"}
	if fmt.Sprint(fired) != fmt.Sprint(want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	// Offsets survive a save and a restore; a tenant reset forgets its own offset only.
	global, own := c.Offsets()
	c2 := New()
	defer c2.Close()
	if err := c2.SetOffsets(global, own); err != nil {
		t.Fatal(err)
	}
	if d := c2.OffsetOf("a") - c.OffsetOf("a"); d != 0 {
		t.Fatalf("restored offset of a differs by %v", d)
	}
	c.ResetTenant("a")
	if c.OffsetOf("a") != c.Offset() {
		t.Fatalf("after a tenant reset a runs %v ahead of everyone", c.OffsetOf("a")-c.Offset())
	}
}

// TestTenantTasksRunInRealTime: a tenant ahead of the others has its work fired by the real
// timer when its own time reaches it.
func TestTenantTasksRunInRealTime(t *testing.T) {
	c := New()
	defer c.Close()
	v := c.For("ahead")
	if _, err := c.AdvanceTenant("ahead", time.Hour); err != nil {
		t.Fatal(err)
	}
	done := make(chan time.Time, 1)
	v.After(50*time.Millisecond, func() { done <- v.Now() })
	c.For("behind").After(time.Hour, func() { t.Error("the other tenant's work fired") })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the tenant's task did not fire in real time")
	}
}

// TestHeapKeepsOrder drives the scheduler's heap with random pushes, removals and changes,
// and checks every pop against a sorted copy.
func TestHeapKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newTaskHeap()
	base := time.Unix(1_700_000_000, 0)
	var live []*entry
	for i := range 20000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(live) == 0:
			e := &entry{seq: uint64(i)}
			e.schedule(base.Add(time.Duration(rng.IntN(1000)) * time.Second))
			h.push(e)
			live = append(live, e)
		case op < 8:
			k := rng.IntN(len(live))
			if got := h.remove(live[k].index); got != live[k] || got.index != -1 {
				t.Fatal("remove returned another item, or left its index")
			}
			live = append(live[:k], live[k+1:]...)
		default:
			e := live[rng.IntN(len(live))]
			e.schedule(base.Add(time.Duration(rng.IntN(1000)) * time.Second))
			h.fix(e.index)
		}
		for j, e := range h.items {
			if e.index != j {
				t.Fatalf("item at %d thinks it is at %d", j, e.index)
			}
		}
	}
	slices.SortFunc(live, func(a, b *entry) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for _, want := range live {
		if got := h.pop(); got != want {
			t.Fatalf("popped %v #%d, want %v #%d", got.at, got.seq, want.at, want.seq)
		}
	}
	if h.Len() != 0 {
		t.Fatal("items left")
	}
}

// TestViewOfTwoParts: a view named in two parts reads and schedules on the tenant of the
// joined name, as For does, and not on either part.
func TestViewOfTwoParts(t *testing.T) {
	c := New()
	t.Cleanup(c.Close)
	split := c.ForOf("kind:", "7")
	var ran atomic.Bool
	split.After(30*time.Minute, func() { ran.Store(true) })
	if _, err := c.AdvanceTenant("kind:", time.Hour); err != nil {
		t.Fatal(err)
	}
	if ran.Load() || split.Now().Sub(c.Now()) > time.Minute {
		t.Fatal("the view followed its first part's clock")
	}
	if _, err := c.AdvanceTenant("kind:7", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !ran.Load() {
		t.Fatal("the task did not run on the joined tenant's time")
	}
	if d := split.Now().Sub(c.Now()); d < 59*time.Minute || c.OffsetOf("kind:7") < 59*time.Minute {
		t.Fatalf("the view is %v ahead of the global clock, kind:7's offset %v", d, c.OffsetOf("kind:7"))
	}
}
