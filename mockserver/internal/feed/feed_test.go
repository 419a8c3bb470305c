package feed

import (
	"encoding/json"
	"testing"
)

// TestReadersGetChangesAndSlowOnesResync: every reader gets each change; a reader whose buffer
// is full misses what does not fit, is told so once (Lagged), and keeps receiving.
func TestReadersGetChangesAndSlowOnesResync(t *testing.T) {
	f := New()
	if f.Listening() {
		t.Fatal("listening with no reader")
	}
	fast, _ := f.Subscribe()
	slow, _ := f.Subscribe()
	f.Publish(Change{Kind: "order", ID: "o1", State: "Done"})
	var c Change
	if err := json.Unmarshal(<-fast.C, &c); err != nil || c.ID != "o1" || c.State != "Done" {
		t.Fatalf("got %+v %v", c, err)
	}
	for i := 0; i < buffer+1; i++ { // fast keeps reading, slow never does
		f.Publish(Change{Kind: "request"})
		<-fast.C
	}
	if n := len(slow.C); n != buffer {
		t.Fatalf("the slow reader holds %d changes, want its buffer's %d", n, buffer)
	}
	if !slow.Lagged() || fast.Lagged() {
		t.Fatal("the slow reader should have lagged, the fast one not")
	}
	if slow.Lagged() {
		t.Fatal("Lagged said it twice")
	}
	for len(slow.C) > 0 { // it catches up, and stays a reader
		<-slow.C
	}
	f.Publish(Change{Kind: "order", ID: "o2"})
	if err := json.Unmarshal(<-slow.C, &c); err != nil || c.ID != "o2" || slow.Lagged() {
		t.Fatalf("after catching up: %+v %v", c, err)
	}
	<-fast.C // o2
	fast.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("a closed reader still receives")
	}
	if !f.Listening() {
		t.Fatal("not listening with the slow reader left")
	}
	slow.Close()
	if f.Listening() {
		t.Fatal("still listening after the last reader left")
	}
}

func TestReadersAreCapped(t *testing.T) {
	f := New()
	for i := 0; i < MaxReaders; i++ {
		if _, ok := f.Subscribe(); !ok {
			t.Fatalf("reader %d refused", i)
		}
	}
	if _, ok := f.Subscribe(); ok {
		t.Fatal("more readers than MaxReaders")
	}
	f.Close()
	if _, ok := f.Subscribe(); ok {
		t.Fatal("a closed feed takes readers")
	}
}
