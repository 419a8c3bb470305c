// Package journal keeps a bounded record of the requests the mock served, newest last, for
// the control API. Memory is bounded three ways: by the number of entries, by the bytes all
// entries hold together (the oldest go first when either is exceeded), and by what one entry
// may hold (path, query, partner and header values are cut, header count is capped).
// Credentials are masked before they are stored: nothing that reads the journal sees them.
package journal

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Per-entry bounds.
const (
	maxHeaders     = 32
	maxHeaderValue = 256
	maxURLPart     = 1024 // path, and query, each
	maxPartner     = 256
	maxBody        = 4100 // request and response bodies each (the recorder keeps 4 KiB)
	entryOverhead  = 160  // the fixed fields and the map's own cost, roughly
)

// Secret headers: their values are kept only as their last four characters.
var secretHeaders = []string{"Apikey", "Authorization", "Cookie", "Proxy-Authorization"}

// secret tells whether a header name is one of secretHeaders, in any case (the names of
// headers sent through Go code need not be canonical).
func secret(name string) bool {
	for _, s := range secretHeaders {
		if len(s) == len(name) && strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// Entry is one served request.
type Entry struct {
	Seq       int64
	Time      time.Time // virtual time of the tenant when the request ended
	Received  time.Time // wall time the request arrived (Received+Duration: when it ended)
	Method    string
	Path      string
	Query     string
	Status    int
	Partner   string
	Operation string
	Duration  time.Duration
	Headers   Header
	// The start of the bodies (the recorder bounds them), and the reason of a refusal.
	RequestBody, ResponseBody, Refusal string
	// For an event stream: how many named events it sent, and whether the last was `stop`.
	Stream *Stream

	bytes int // size(), counted once when added
}

// Stream is what an event-stream answer carried.
type Stream struct {
	Events int
	Stop   bool
}

// size is what an entry costs, roughly, in bytes.
func (e *Entry) size() int {
	n := entryOverhead + len(e.Method) + len(e.Path) + len(e.Query) + len(e.Partner) + len(e.Operation) +
		len(e.RequestBody) + len(e.ResponseBody) + len(e.Refusal)
	for _, f := range e.Headers {
		n += len(f.Name) + len(f.Value) + 32
	}
	return n
}

// Header is the request headers an entry keeps, in no particular order (readers look names
// up or make a map): one allocation per entry rather than a map's.
type Header []Field

// Field is one header.
type Field struct{ Name, Value string }

// Get returns the value of the header with this name as net/http canonicalises it ("" when
// absent).
func (h Header) Get(name string) string {
	for _, f := range h {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Map returns the headers as a map, for the control API's answer.
func (h Header) Map() map[string]string {
	m := make(map[string]string, len(h))
	for _, f := range h {
		m[f.Name] = f.Value
	}
	return m
}

// Journal is safe for concurrent use.
type Journal struct {
	mu       sync.Mutex
	ring     []Entry // capacity slots; entries live at head, head+1, ... (mod capacity)
	head     int
	count    int
	bytes    int
	maxBytes int
	seq      int64
}

// New returns a journal keeping at most capacity entries (0 disables it) and about maxBytes
// bytes of them (0: no byte budget beyond the per-entry bounds).
func New(capacity, maxBytes int) *Journal {
	if capacity < 0 {
		capacity = 0
	}
	return &Journal{ring: make([]Entry, capacity), maxBytes: maxBytes}
}

// Capacity is the most entries kept.
func (j *Journal) Capacity() int { return len(j.ring) }

// Bytes is roughly what the kept entries hold.
func (j *Journal) Bytes() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes
}

// Headers copies request headers within the per-entry bounds, secrets masked.
func Headers(h http.Header) Header {
	out := make(Header, 0, min(len(h), maxHeaders))
	for k, vs := range h {
		v := strings.Join(vs, ", ") // no copy for one value
		if secret(k) {
			v = Mask(v)
		}
		// No copies needed here: net/http copies header values out of its read buffer (only
		// the request line's path and query are substrings of it, and Add copies those).
		out = append(out, Field{Name: cut(k, maxHeaderValue), Value: cut(v, maxHeaderValue)})
	}
	if len(out) > maxHeaders { // the first by name: which ones are kept does not depend on the map's order
		slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		out = append(Header(nil), out[:maxHeaders]...) // not the long array
	}
	return out
}

// Mask keeps the last four characters of a secret ("…3f9a"), and the scheme of an
// Authorization value ("Bearer …3f9a"). Secrets of eight characters or fewer are hidden whole.
func Mask(v string) string {
	if v == "" {
		return ""
	}
	prefix := ""
	if scheme, cred, ok := strings.Cut(v, " "); ok && len(scheme) < 16 {
		prefix, v = scheme+" ", cred
	}
	if len(v) <= 8 {
		return prefix + "…"
	}
	return prefix + "…" + v[len(v)-4:]
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Do not split a UTF-8 sequence.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// Add records an entry (cutting what is too long) and returns its sequence number.
func (j *Journal) Add(e Entry) int64 {
	if len(j.ring) == 0 {
		return 0
	}
	// Copies, never substrings: a short path sliced from a 60 KB request line would keep the
	// whole line alive. The short strings share one copy.
	short := [...]*string{&e.Method, &e.Operation, &e.Path, &e.Query, &e.Partner, &e.Refusal}
	limits := [...]int{16, maxHeaderValue, maxURLPart, maxURLPart, maxPartner, maxHeaderValue * 4}
	var b strings.Builder
	total := 0
	for i, p := range short {
		*p = cut(*p, limits[i])
		total += len(*p)
	}
	b.Grow(total)
	for _, p := range short {
		b.WriteString(*p)
	}
	arena := b.String()
	for _, p := range short {
		*p, arena = arena[:len(*p)], arena[len(*p):]
	}
	e.RequestBody, e.ResponseBody = cut(e.RequestBody, maxBody), cut(e.ResponseBody, maxBody)
	size := e.size()
	e.bytes = size
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.count > 0 && (j.count == len(j.ring) || (j.maxBytes > 0 && j.bytes+size > j.maxBytes)) {
		j.dropOldestLocked()
	}
	j.seq++
	e.Seq = j.seq
	j.ring[(j.head+j.count)%len(j.ring)] = e
	j.count++
	j.bytes += size
	return e.Seq
}

func (j *Journal) dropOldestLocked() {
	j.bytes -= j.ring[j.head].bytes
	j.ring[j.head] = Entry{}
	j.head = (j.head + 1) % len(j.ring)
	j.count--
}

// at returns the i-th kept entry, oldest first.
func (j *Journal) at(i int) *Entry { return &j.ring[(j.head+i)%len(j.ring)] }

// Filter picks entries; its zero value picks every one.
type Filter struct {
	Partner string // "" for all
	Prefix  string // of the path
	Status  *int   // the answer's status (0: dropped)
	Refused bool   // answered 400 or more, or dropped
}

func (f Filter) picks(e *Entry) bool {
	return (f.Partner == "" || e.Partner == f.Partner) && strings.HasPrefix(e.Path, f.Prefix) &&
		(f.Status == nil || e.Status == *f.Status) && (!f.Refused || e.Status >= 400 || e.Status == 0)
}

// Query returns the newest limit entries that f picks, oldest first.
func (j *Journal) Query(f Filter, limit int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	for i := j.count - 1; i >= 0 && len(out) < limit; i-- {
		if e := j.at(i); f.picks(e) {
			out = append(out, *e)
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// Partners lists the partners named by the kept entries whose path starts with prefix, each
// once, without copying the entries.
func (j *Journal) Partners(prefix string) []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for i := 0; i < j.count; i++ {
		if e := j.at(i); e.Partner != "" && !seen[e.Partner] && strings.HasPrefix(e.Path, prefix) {
			seen[e.Partner] = true
			out = append(out, e.Partner)
		}
	}
	return out
}

// About returns the newest limit entries about an id, oldest first: its id is a segment of
// the path, or a JSON string in a body ("order_id":"<id>", "id":"1001").
func (j *Journal) About(id string, limit int) []Entry {
	if id == "" {
		return nil
	}
	quoted := `"` + id + `"`
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	for i := j.count - 1; i >= 0 && len(out) < limit; i-- {
		e := j.at(i)
		if hasSegment(e.Path, id) || strings.Contains(e.RequestBody, quoted) || strings.Contains(e.ResponseBody, quoted) {
			out = append(out, *e)
		}
	}
	slices.Reverse(out)
	return out
}

func hasSegment(path, seg string) bool {
	for path != "" {
		var s string
		s, path, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if s == seg {
			return true
		}
	}
	return false
}

// Reset forgets every entry, or those of one partner. It cannot fail.
func (j *Journal) Reset(partner string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.ring) == 0 {
		return
	}
	var kept []Entry
	if partner != "" {
		for i := 0; i < j.count; i++ {
			if e := j.at(i); e.Partner != partner {
				kept = append(kept, *e)
			}
		}
	}
	clear(j.ring)
	j.head, j.count, j.bytes = 0, 0, 0
	for _, e := range kept {
		j.ring[j.count] = e
		j.count++
		j.bytes += e.bytes
	}
}
