package events

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func ids(evs []Event) string {
	s := ""
	for _, e := range evs {
		s += fmt.Sprintf("%d:%s ", e.ID, e.Name)
	}
	return s
}

func TestBacklogAndLive(t *testing.T) {
	b := New(3, 8)
	b.Publish("o1", "message", Bytes([]byte("1")), false)
	b.Publish("o1", "message", Bytes([]byte("2")), false)

	backlog, sub := b.Subscribe("o1", 0)
	if got := ids(backlog); got != "2:message " {
		t.Fatalf("fresh backlog = %q, want the current state only", got)
	}
	b.Publish("o1", "message", Bytes([]byte("3")), false)
	if ev := <-sub.C; ev.ID != 3 || string(ev.Data()) != "3" {
		t.Fatalf("live event %+v", ev)
	}
	b.Publish("o1", "message", Bytes([]byte("4")), false)
	b.Publish("o1", "stop", Bytes([]byte("{}")), true)
	if ev := <-sub.C; ev.ID != 4 {
		t.Fatalf("got %+v", ev)
	}
	if ev := <-sub.C; ev.Name != "stop" {
		t.Fatalf("got %+v", ev)
	}
	if _, open := <-sub.C; open {
		t.Fatal("channel open after the terminal event")
	}
}

func TestResumeWithLastEventID(t *testing.T) {
	b := New(3, 8)
	for i := 1; i <= 5; i++ {
		b.Publish("o", "message", Bytes([]byte{byte('0' + i)}), false)
	}
	// Ring holds 3,4,5.
	cases := map[uint64]string{
		2:  "3:message 4:message 5:message ", // exactly what was missed
		4:  "5:message ",
		5:  "",
		1:  "5:message ", // too far behind: current state
		99: "",
	}
	for last, want := range cases {
		backlog, sub := b.Subscribe("o", last)
		if got := ids(backlog); got != want {
			t.Errorf("Last-Event-ID %d: backlog %q, want %q", last, got, want)
		}
		sub.Close()
		sub.Close() // idempotent
	}
	b.Publish("o", "stop", nil, true)
	backlog, sub := b.Subscribe("o", 6)
	if got := ids(backlog); got != "6:stop " {
		t.Errorf("after stop, resuming at the stop repeats it: %q", got)
	}
	if _, open := <-sub.C; open {
		t.Error("subscription to an ended topic is open")
	}
	backlog, _ = b.Subscribe("o", 0)
	if got := ids(backlog); got != "5:message 6:stop " {
		t.Errorf("fresh client after stop gets final state and stop: %q", got)
	}
}

func TestSlowSubscriberIsCutOffNotBlocking(t *testing.T) {
	b := New(10, 2)
	_, slow := b.Subscribe("o", 0)
	_, fast := b.Subscribe("o", 0)
	for i := 0; i < 5; i++ {
		b.Publish("o", "message", nil, false) // must not block on the slow one
		<-fast.C
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 2 {
		t.Fatalf("slow subscriber got %d buffered events before being cut off, want 2", n)
	}
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers, want only the fast one", b.Subscribers())
	}
	b.Close()
	if _, open := <-fast.C; open {
		t.Fatal("Close left a subscription open")
	}
	if _, sub := b.Subscribe("o", 0); sub != nil {
		if _, open := <-sub.C; open {
			t.Fatal("subscription after Close is open")
		}
	}
}

func TestDropEndsSubscriptions(t *testing.T) {
	b := New(2, 2)
	b.Publish("o", "message", nil, false)
	_, sub := b.Subscribe("o", 0)
	b.Drop("o")
	if _, open := <-sub.C; open {
		t.Fatal("open after Drop")
	}
	if backlog, _ := b.Subscribe("o", 0); len(backlog) != 0 {
		t.Fatal("dropped topic kept events")
	}
}

func BenchmarkFanOut10k(b *testing.B) {
	br := New(8, 4)
	subs := make([]*Subscription, 10000)
	for i := range subs {
		_, subs[i] = br.Subscribe("o", 0)
	}
	data := []byte(`{"order_state":"Done"}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br.Publish("o", "message", Bytes(data), false)
		for _, s := range subs {
			<-s.C
		}
	}
}

// TestPayloadRenderedOnceWhenFirstNeeded: publishing does not render; the first reader does,
// once, however many subscribers read the same event concurrently.
func TestPayloadRenderedOnceWhenFirstNeeded(t *testing.T) {
	b := New(4, 8)
	var renders atomic.Int32
	render := func(v string) func() []byte {
		return func() []byte { renders.Add(1); return []byte(v) }
	}
	b.Publish("o", "message", render("first"), false)
	b.Publish("o", "message", render("second"), false)
	if n := renders.Load(); n != 0 {
		t.Fatalf("publishing rendered %d payloads; nobody had asked", n)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			backlog, sub := b.Subscribe("o", 1)
			defer sub.Close()
			if len(backlog) != 1 || string(backlog[0].Data()) != "second" {
				t.Errorf("backlog after id 1 = %v", ids(backlog))
			}
		}()
	}
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Fatalf("rendered %d times for 16 readers of one event, want once", n)
	}
	backlog, sub := b.Subscribe("o", 0)
	sub.Close()
	if string(backlog[0].Data()) != "second" || renders.Load() != 1 {
		t.Fatalf("a later reader got %q after %d renders", backlog[0].Data(), renders.Load())
	}
}
