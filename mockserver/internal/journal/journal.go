// Package journal keeps a bounded record of the requests the mock served, newest last, for
// the control API. Memory is bounded twice: by the number of entries (a ring) and by what one
// entry may hold (header count and value length are capped).
package journal

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	maxHeaders     = 32
	maxHeaderValue = 256
)

// Entry is one served request.
type Entry struct {
	Seq       int64
	Time      time.Time
	Method    string
	Path      string
	Query     string
	Status    int
	Partner   string
	Operation string
	Duration  time.Duration
	Headers   map[string]string
}

// Journal is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	ring []Entry
	next int
	full bool
	seq  int64
}

// New returns a journal keeping at most capacity entries (0 disables it).
func New(capacity int) *Journal {
	if capacity < 0 {
		capacity = 0
	}
	return &Journal{ring: make([]Entry, capacity)}
}

// Capacity is the most entries kept.
func (j *Journal) Capacity() int { return len(j.ring) }

// Headers copies request headers within the per-entry bounds.
func Headers(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(out) == maxHeaders {
			break
		}
		v := strings.Join(h[k], ", ")
		if len(v) > maxHeaderValue {
			v = v[:maxHeaderValue] + "…"
		}
		out[k] = v
	}
	return out
}

// Add records an entry and returns its sequence number.
func (j *Journal) Add(e Entry) int64 {
	if len(j.ring) == 0 {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.ring[j.next] = e
	j.next = (j.next + 1) % len(j.ring)
	if j.next == 0 {
		j.full = true
	}
	return e.Seq
}

// Query returns the newest limit entries of a partner ("" for all) whose path starts with
// prefix, oldest first.
func (j *Journal) Query(partner, prefix string, limit int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	all := j.entriesLocked()
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if e := all[i]; (partner == "" || e.Partner == partner) && strings.HasPrefix(e.Path, prefix) {
			out = append(out, e)
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// entriesLocked returns the kept entries, oldest first.
func (j *Journal) entriesLocked() []Entry {
	if !j.full {
		return append([]Entry(nil), j.ring[:j.next]...)
	}
	return append(append([]Entry(nil), j.ring[j.next:]...), j.ring[:j.next]...)
}

// Reset forgets every entry, or those of one partner.
func (j *Journal) Reset(partner string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	kept := j.entriesLocked()
	clear(j.ring)
	j.next, j.full = 0, false
	if partner == "" {
		return
	}
	n := 0
	for _, e := range kept {
		if e.Partner != partner {
			j.ring[n] = e
			n++
		}
	}
	j.next, j.full = n%len(j.ring), n == len(j.ring)
}
