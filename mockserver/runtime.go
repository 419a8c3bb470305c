package mockserver

import "runtime/debug"

// Runtime settings of the mock process, unless the environment sets them.
const (
	// MemoryLimit is a soft limit: the collector works harder near it, so the bounded state
	// (BENCHMARKS.md, "Hostile soak") stays well under 256 MB of resident memory.
	MemoryLimit = 160 << 20
	// GCPercent: the mock's live heap is small (bounded stores, ~2 MB after start-up), so the
	// default GOGC=100 collects very often under load: a quarter of the CPU of a validation or
	// creation POST went to the collector. Letting the heap grow to 5x live before collecting,
	// within the memory limit above, gave +25-40 % on the write paths (BENCHMARKS.md).
	GCPercent = 400
)

// TuneRuntime applies MemoryLimit and GCPercent, each unless GOMEMLIMIT or GOGC is set in
// getenv. cmd/mockserver calls it first; the benchmarks call it too, so they measure the mock
// as it runs.
func TuneRuntime(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
