package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
)

// receiver is a real HTTP server on loopback that answers from a script of statuses.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	script []int
	calls  atomic.Int64
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		n := int(r.calls.Add(1))
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		status := 200
		if n <= len(r.script) {
			status = r.script[n-1]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetriesUntil2xxOnTheVirtualClock(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{Schedule: []time.Duration{10 * time.Second, time.Minute}})
	defer d.Close(t.Context())
	r := newReceiver(t, 500, 503) // then 200
	d.Send(r.URL, []byte(`{"id":"1"}`), Meta{OrderID: 1, OrderStatus: "SUCCESSFUL", Kind: "status_change"})
	waitFor(t, "first attempt", func() bool { return len(d.Log(1, 10)) == 1 })
	clk.Advance(10 * time.Second)
	waitFor(t, "second attempt", func() bool { return len(d.Log(1, 10)) == 2 })
	clk.Advance(time.Minute)
	waitFor(t, "third attempt", func() bool { return len(d.Log(1, 10)) == 3 })
	log := d.Log(1, 10)
	want := []struct {
		status  int
		outcome string
	}{{500, "retrying"}, {503, "retrying"}, {200, "delivered"}}
	for i, w := range want {
		if log[i].Status != w.status || log[i].Outcome != w.outcome || log[i].Attempt != i+1 {
			t.Errorf("attempt %d: %+v", i+1, log[i])
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) != 3 || r.bodies[0] != r.bodies[2] || r.bodies[0] != `{"id":"1"}` {
		t.Errorf("bodies %q: every attempt must carry the same bytes", r.bodies)
	}
}

func TestGivesUpAndRecordsRefusedConnections(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{Schedule: []time.Duration{time.Second}})
	defer d.Close(t.Context())
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close() // nothing listens there now
	d.Send(url, []byte(`{}`), Meta{OrderID: 2})
	waitFor(t, "first attempt", func() bool { return len(d.Log(2, 10)) == 1 })
	clk.Advance(time.Second)
	waitFor(t, "last attempt", func() bool { return len(d.Log(2, 10)) == 2 })
	last := d.Log(2, 10)[1]
	if last.Outcome != "gave_up" || last.Status != 0 || last.Error == "" {
		t.Fatalf("last attempt %+v", last)
	}
}

func TestSlowReceiverDoesNotDelayOthers(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{Schedule: nil, Timeout: 2 * time.Second, PerURLInFlight: 2})
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	fast := newReceiver(t)
	for i := 0; i < 10; i++ {
		d.Send(slow.URL, []byte(`{}`), Meta{OrderID: 3})
	}
	start := time.Now()
	for i := 0; i < 20; i++ {
		d.Send(fast.URL, []byte(`{}`), Meta{OrderID: 4})
	}
	waitFor(t, "fast deliveries", func() bool { return fast.calls.Load() == 20 })
	if took := time.Since(start); took > time.Second {
		t.Errorf("fast receiver waited %v behind the slow one", took)
	}
}

func TestLogIsBounded(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{LogCapacity: 5})
	defer d.Close(t.Context())
	r := newReceiver(t)
	for i := 0; i < 12; i++ {
		d.Send(r.URL, []byte(`{}`), Meta{OrderID: 5})
	}
	waitFor(t, "deliveries", func() bool { return r.calls.Load() == 12 })
	waitFor(t, "log", func() bool { l := d.Log(0, 100); return len(l) == 5 && l[4].Seq == 12 })
}

func TestCloseStopsRetries(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{Schedule: []time.Duration{time.Second}})
	r := newReceiver(t, 500)
	d.Send(r.URL, []byte(`{}`), Meta{OrderID: 6})
	waitFor(t, "first attempt", func() bool { return r.calls.Load() == 1 })
	waitFor(t, "log", func() bool { return len(d.Log(6, 10)) == 1 })
	d.Close(t.Context())
	clk.Advance(time.Minute)
	if r.calls.Load() != 1 {
		t.Fatal("a retry ran after Close")
	}
	if d.Send(r.URL, nil, Meta{}) != "" {
		t.Fatal("Send after Close queued a delivery")
	}
}

// TestOpenDeliveriesAreBounded: deliveries not yet over (in flight, waiting for a slot, waiting
// for a retry) are bounded per URL and in all; beyond, a delivery is logged as given up at
// once, without an attempt, and once deliveries end there is room again.
func TestOpenDeliveriesAreBounded(t *testing.T) {
	clk := clock.New()
	defer clk.Close()
	d := New(clk, Config{Schedule: []time.Duration{time.Minute}, Timeout: 5 * time.Second, PerURLInFlight: 2, MaxPerURL: 5, MaxTotal: 7})
	defer d.Close(t.Context())
	release := make(chan struct{})
	var slowCalls atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowCalls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	for range 8 {
		d.Send(slow.URL, []byte(`{}`), Meta{OrderID: 6})
	}
	refused := func(orderID int64) (n int) {
		for _, a := range d.Log(orderID, 100) {
			if a.Outcome == "gave_up" && a.Attempt == 0 && strings.Contains(a.Error, "not attempted") {
				n++
			}
		}
		return n
	}
	if n := refused(6); n != 3 {
		t.Fatalf("%d of 8 deliveries to one URL given up at once, want 3 (5 per URL): %+v", n, d.Log(6, 100))
	}
	waitFor(t, "two attempts in flight", func() bool { return slowCalls.Load() == 2 })
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for range 3 {
		d.Send(deadURL, []byte(`{}`), Meta{OrderID: 7})
	}
	waitFor(t, "the dead URL's first attempts", func() bool { return len(d.Log(7, 100)) == 3 })
	if n := refused(7); n != 1 {
		t.Fatalf("%d of 3 deliveries to a second URL given up at once, want 1 (7 in all): %+v", n, d.Log(7, 100))
	}
	close(release) // the slow receiver answers: its five deliveries end
	waitFor(t, "the slow URL's deliveries over", func() bool {
		delivered := 0
		for _, a := range d.Log(6, 100) {
			if a.Outcome == "delivered" {
				delivered++
			}
		}
		return delivered == 5
	})
	fast := newReceiver(t)
	for range 5 {
		d.Send(fast.URL, []byte(`{}`), Meta{OrderID: 8})
	}
	waitFor(t, "room again", func() bool { return fast.calls.Load() == 5 })
	if n := refused(8); n != 0 {
		t.Errorf("%d deliveries refused after the others ended", n)
	}
}
