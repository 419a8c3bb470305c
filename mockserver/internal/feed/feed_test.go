package feed

import (
	"encoding/json"
	"testing"
)

func TestReadersGetChangesAndSlowOnesAreCutOff(t *testing.T) {
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
	for range slow.C { // drains what it had, then the channel is closed
	}
	if !slow.Lagged() || fast.Lagged() {
		t.Fatalf("lagged: slow %v fast %v", slow.Lagged(), fast.Lagged())
	}
	fast.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("a closed reader still receives")
	}
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
