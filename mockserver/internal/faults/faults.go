// Package faults keeps what the control API arms: faults (added latency, error statuses,
// dropped connections, broken event streams) and problem codes that the next validations or
// creations of a partner must report. Matching consumes a firing. It knows nothing of HTTP.
package faults

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Kinds of fault.
const (
	Latency       = "latency"
	Status        = "status"
	Drop          = "drop"
	SSEDrop       = "sse_drop"
	SSEStall      = "sse_stall"
	SSEMalformed  = "sse_malformed"
	SSEBadPayload = "sse_bad_payload"
	SSEHTTPError  = "sse_http_error"
)

// RequestKinds fire on a request before its handler runs; StreamKinds inside an event stream.
var (
	RequestKinds = []string{Latency, Status, Drop}
	StreamKinds  = []string{SSEDrop, SSEStall, SSEMalformed, SSEBadPayload, SSEHTTPError}
)

// Fault is an armed fault. Empty matchers match everything.
type Fault struct {
	ID          string
	Kind        string
	Partner     string
	OrderID     string
	Operation   string // "getOrder" (any API) or "cryptorefills.getOrder"
	Count       int    // firings in all; 0 = until cleared
	Remaining   int
	LatencyMS   int
	Status      int
	AfterEvents int
}

// Registry is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	seq      int
	faults   []*Fault
	armedN   atomic.Int64 // len(faults), read without the lock: most requests meet no fault
	problems map[string]*armed
	problemN atomic.Int64 // len(problems), likewise
	ops      []string     // the operations a fault may name, sorted; nil: any
}

type armed struct {
	codes []string
	left  int
}

// New returns an empty registry.
func New() *Registry { return &Registry{problems: map[string]*armed{}} }

// Operations sets the operations a fault may name (operationIds, plain or qualified by their
// API as "cryptorefills.getOrder"): a fault naming another is refused rather than armed to
// never fire.
func (r *Registry) Operations(api string, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		r.ops = append(r.ops, id, api+"."+id)
	}
	slices.Sort(r.ops)
	r.ops = slices.Compact(r.ops)
}

// Valid reports whether kind names a fault.
func Valid(kind string) bool {
	for _, k := range append(append([]string{}, RequestKinds...), StreamKinds...) {
		if k == kind {
			return true
		}
	}
	return false
}

// Arm adds a fault and returns it with its id.
func (r *Registry) Arm(f Fault) (Fault, error) {
	if !Valid(f.Kind) {
		return Fault{}, fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Operation != "" && r.ops != nil {
		if _, found := slices.BinarySearch(r.ops, f.Operation); !found {
			var plain []string
			for _, op := range r.ops {
				if !strings.Contains(op, ".") {
					plain = append(plain, op)
				}
			}
			return Fault{}, fmt.Errorf("operation %q is not an operation of either API; use one of %s (or qualify it, e.g. cryptorefills.getOrder)",
				f.Operation, strings.Join(plain, ", "))
		}
	}
	r.seq++
	f.ID = fmt.Sprintf("f%d", r.seq)
	f.Remaining = f.Count
	r.faults = append(r.faults, &f)
	r.armedN.Store(int64(len(r.faults)))
	return f, nil
}

// List returns the armed faults.
func (r *Registry) List() []Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Fault, 0, len(r.faults))
	for _, f := range r.faults {
		out = append(out, *f)
	}
	return out
}

// Clear disarms the faults of a partner ("" for all) and forgets its armed problems.
func (r *Registry) Clear(partner string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.faults[:0]
	n := 0
	for _, f := range r.faults {
		if partner == "" || f.Partner == partner {
			n++
			continue
		}
		kept = append(kept, f)
	}
	r.faults = kept
	r.armedN.Store(int64(len(r.faults)))
	if partner == "" {
		r.problems = map[string]*armed{}
	} else {
		delete(r.problems, partner)
	}
	r.problemN.Store(int64(len(r.problems)))
	return n
}

// Match finds the first armed fault of one of kinds matching the request, and consumes one
// firing of it.
func (r *Registry) Match(api, operation, partner, orderID string, kinds ...string) (Fault, bool) {
	if r.armedN.Load() == 0 {
		return Fault{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.faults {
		if !contains(kinds, f.Kind) ||
			(f.Partner != "" && f.Partner != partner) ||
			(f.OrderID != "" && f.OrderID != orderID) ||
			(f.Operation != "" && f.Operation != operation && f.Operation != api+"."+operation) {
			continue
		}
		fired := *f
		if f.Count > 0 {
			f.Remaining--
			if f.Remaining <= 0 {
				r.faults = append(r.faults[:i], r.faults[i+1:]...)
				r.armedN.Store(int64(len(r.faults)))
			}
		}
		return fired, true
	}
	return Fault{}, false
}

// ArmProblems makes the next count validations and creations of a partner report codes.
func (r *Registry) ArmProblems(partner string, codes []string, count int) {
	if count < 1 {
		count = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems[partner] = &armed{codes: append([]string(nil), codes...), left: count}
	r.problemN.Store(int64(len(r.problems)))
}

// ArmedProblems lists the problem codes armed per partner.
func (r *Registry) ArmedProblems() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]string, len(r.problems))
	for p, a := range r.problems {
		out[p] = append([]string(nil), a.codes...)
	}
	return out
}

// TakeProblems consumes one firing of the problems armed for a partner.
func (r *Registry) TakeProblems(partner string) []string {
	if r.problemN.Load() == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.problems[partner]
	if !ok {
		return nil
	}
	a.left--
	if a.left <= 0 {
		delete(r.problems, partner)
		r.problemN.Store(int64(len(r.problems)))
	}
	return append([]string(nil), a.codes...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
