// Package events is the publish/subscribe broker behind the Server-Sent Events streams. A topic
// (one per order) keeps a bounded replay of its last events, numbered from 1, so a client that
// reconnects with Last-Event-ID gets what it missed. It knows nothing of HTTP: the stream
// handler writes the frames.
//
// Publishing never blocks: a subscriber whose buffer is full is cut off (its channel closed),
// and it reconnects with Last-Event-ID like after any network failure.
package events

import (
	"sync"
	"time"
)

// Event is one frame of a topic.
type Event struct {
	ID          uint64
	Name        string    // "message", "stop"
	At          time.Time // wall time it was published
	Subscribers int       // streams open on the topic when it was published
	payload     *payload
}

// Data is the event's payload, rendered the first time anyone asks and then shared by every
// subscriber: never modify it. An event nobody streams is never rendered, so publishing costs
// a publisher (the order engine, under its lock) almost nothing.
func (e Event) Data() []byte {
	if e.payload == nil {
		return nil
	}
	p := e.payload
	p.once.Do(func() {
		if p.render != nil {
			p.data = p.render()
			p.render = nil // the snapshot it held is no longer needed
		}
	})
	return p.data
}

type payload struct {
	once   sync.Once
	render func() []byte
	data   []byte
}

// Bytes is a payload that is already rendered.
func Bytes(b []byte) func() []byte { return func() []byte { return b } }

// Broker is safe for concurrent use.
//
// Lock order: Broker.mu guards the topic map and every topic's state and subscriber set.
type Broker struct {
	mu     sync.Mutex
	topics map[string]*topic
	replay int
	buffer int
	closed bool
	done   chan struct{} // closed by Close
}

type topic struct {
	events []Event // last replay events, oldest first
	lastID uint64
	done   bool // a terminal event was published; nothing follows
	subs   map[*Subscription]struct{}
	// Room for the first event and its payload: most topics (orders nobody streams) have
	// one event only, and then cost one allocation.
	first        [1]Event
	firstPayload payload
}

// Subscription receives a topic's events on C, which is closed when the topic ends, the
// subscriber falls behind, or the broker closes.
type Subscription struct {
	C     <-chan Event
	c     chan Event
	topic string
	b     *Broker
	once  sync.Once
}

// New returns a broker that keeps replay events per topic and buffers buffer events per
// subscriber.
func New(replay, buffer int) *Broker {
	if replay < 1 {
		replay = 1
	}
	if buffer < 1 {
		buffer = 1
	}
	return &Broker{topics: map[string]*topic{}, replay: replay, buffer: buffer, done: make(chan struct{})}
}

// Publish appends an event to a topic and hands it to every subscriber. render produces the
// payload when it is first needed; it must not depend on anything that changes later (render
// a snapshot). terminal marks the last event of the topic: subscribers' channels are closed
// after it.
func (b *Broker) Publish(name, eventName string, render func() []byte, terminal bool) Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topic(name)
	t.lastID++
	p := &t.firstPayload
	if t.lastID > 1 {
		p = &payload{}
	} else {
		t.events = t.first[:0]
	}
	p.render = render
	ev := Event{ID: t.lastID, Name: eventName, At: time.Now(), Subscribers: len(t.subs), payload: p}
	t.events = append(t.events, ev)
	if len(t.events) > b.replay {
		copy(t.events, t.events[len(t.events)-b.replay:])
		t.events = t.events[:b.replay]
	}
	for s := range t.subs {
		select {
		case s.c <- ev:
		default:
			// Too slow: cut it off rather than block the publisher or lose frames silently.
			delete(t.subs, s)
			s.close()
		}
	}
	if terminal {
		t.done = true
		for s := range t.subs {
			delete(t.subs, s)
			s.close()
		}
	}
	return ev
}

// Recent returns the events a topic keeps (its replay), oldest first.
func (b *Broker) Recent(name string) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.topics[name]; ok {
		return append([]Event(nil), t.events...)
	}
	return nil
}

func (b *Broker) topic(name string) *topic {
	t, ok := b.topics[name]
	if !ok {
		t = &topic{} // subs is made by the first subscriber: most topics (orders) never have one
		b.topics[name] = t
	}
	return t
}

// Subscribe returns the events a new subscriber must be sent first, and a subscription for
// what follows. With lastID 0 (a fresh client) the backlog is the newest event of each name
// (the current state, and the terminal event if there was one); with lastID > 0 it is every
// event after lastID, or, when those are no longer kept, the fresh-client backlog. When the
// topic has ended, the subscription's channel is already closed.
func (b *Broker) Subscribe(name string, lastID uint64) ([]Event, *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topic(name)
	backlog := backlogOf(t, lastID)
	c := make(chan Event, b.buffer)
	s := &Subscription{C: c, c: c, topic: name, b: b}
	if t.done || b.closed {
		s.close()
	} else {
		if t.subs == nil {
			t.subs = map[*Subscription]struct{}{}
		}
		t.subs[s] = struct{}{}
	}
	return backlog, s
}

func backlogOf(t *topic, lastID uint64) []Event {
	if len(t.events) == 0 {
		return nil
	}
	oldest := t.events[0].ID
	if lastID > 0 && lastID+1 >= oldest {
		var out []Event
		for _, ev := range t.events {
			if ev.ID > lastID {
				out = append(out, ev)
			}
		}
		if len(out) > 0 || !t.done {
			return out
		}
		// The client saw everything, the stop included: repeat the stop so it stops.
		return []Event{t.events[len(t.events)-1]}
	}
	// Fresh client, or one too far behind: the latest event of each name, in id order.
	latest := map[string]int{}
	for i, ev := range t.events {
		latest[ev.Name] = i
	}
	var out []Event
	for i, ev := range t.events {
		if latest[ev.Name] == i {
			out = append(out, ev)
		}
	}
	return out
}

// Close ends the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if t, ok := s.b.topics[s.topic]; ok {
		delete(t.subs, s)
	}
	s.close()
}

func (s *Subscription) close() { s.once.Do(func() { close(s.c) }) }

// Drop forgets a topic and ends its subscriptions (a reset).
func (b *Broker) Drop(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.topics[name]; ok {
		for s := range t.subs {
			s.close()
		}
		delete(b.topics, name)
	}
}

// Close ends every subscription (server shutdown); later subscriptions start closed.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		close(b.done)
	}
	b.closed = true
	for _, t := range b.topics {
		for s := range t.subs {
			delete(t.subs, s)
			s.close()
		}
	}
}

// Done is closed when the broker closes (server shutdown).
func (b *Broker) Done() <-chan struct{} { return b.done }

// Subscribers counts the live subscriptions (for tests and metrics).
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, t := range b.topics {
		n += len(t.subs)
	}
	return n
}
