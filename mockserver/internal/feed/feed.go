// Package feed broadcasts the mock's own changes (a request journaled, an order or invoice
// changed, a webhook attempted, a clock moved, a reset) to the dashboard's readers. Publishing
// never blocks and never allocates per reader: a change is encoded once and offered to each
// reader's bounded buffer; what does not fit in a slow reader's buffer is dropped and the
// reader told to resync (it stays connected), so a slow browser costs the mock nothing but
// its buffer. Readers are capped.
package feed

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Change is one thing that changed.
type Change struct {
	Kind   string `json:"kind"` // request, order, invoice, webhook, clock, reset
	ID     string `json:"id,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	State  string `json:"state,omitempty"`
}

// Bounds.
const (
	MaxReaders = 32
	buffer     = 256 // changes a reader may lag behind before it is cut off
)

// Feed is safe for concurrent use; the zero value is not: use New.
type Feed struct {
	mu        sync.Mutex
	readers   map[*Reader]struct{}
	closed    bool
	listening atomic.Bool // whether anyone reads: publishers skip building a change when not
}

// Listening reports whether any reader follows the feed: the one check a publisher on a hot
// path makes (no lock) before building a change.
func (f *Feed) Listening() bool { return f != nil && f.listening.Load() }

// count keeps listening in step with the readers (called with mu held).
func (f *Feed) count() { f.listening.Store(len(f.readers) > 0) }

// Reader receives encoded changes on C until it is closed (Close, or the feed closing). When
// its buffer was full, changes were dropped: Lagged says so.
type Reader struct {
	C      <-chan []byte
	c      chan []byte
	lagged atomic.Bool
	f      *Feed
	once   sync.Once
}

// New returns an empty feed.
func New() *Feed { return &Feed{readers: map[*Reader]struct{}{}} }

// Publish offers a change to every reader.
func (f *Feed) Publish(c Change) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.readers) == 0 {
		return
	}
	b, _ := json.Marshal(c) // strings only: cannot fail
	for r := range f.readers {
		select {
		case r.c <- b:
		default:
			r.lagged.Store(true) // dropped: the reader refetches when it has read what it has
		}
	}
}

// Subscribe adds a reader; ok is false when MaxReaders are reading already.
func (f *Feed) Subscribe() (r *Reader, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.readers) >= MaxReaders || f.closed {
		return nil, false
	}
	c := make(chan []byte, buffer)
	r = &Reader{C: c, c: c, f: f}
	f.readers[r] = struct{}{}
	f.count()
	return r, true
}

// Lagged reports whether changes were dropped since the last call (the buffer was full), and
// forgets it: read it after taking what C holds, and resync when true.
func (r *Reader) Lagged() bool { return r.lagged.Swap(false) }

// Close removes the reader.
func (r *Reader) Close() {
	r.f.mu.Lock()
	delete(r.f.readers, r)
	r.f.count()
	r.f.mu.Unlock()
	r.close()
}

func (r *Reader) close() { r.once.Do(func() { close(r.c) }) }

// Close ends every reader (the server is stopping).
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for r := range f.readers {
		delete(f.readers, r)
		r.close()
	}
	f.count()
}
