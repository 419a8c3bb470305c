package logbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncWriter records each Write it gets.
type syncWriter struct {
	mu     sync.Mutex
	writes []string
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *syncWriter) all() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes), strings.Join(s.writes, "")
}

// TestLinesBatchedAndDelayedBriefly: lines written together come out in one write, in order,
// within the delay; nothing is held longer; a full buffer is written at once.
func TestLinesBatchedAndDelayedBriefly(t *testing.T) {
	out := &syncWriter{}
	b := New(out, 64, 300*time.Millisecond) // long enough that no flush fires between a write and its check
	for i := range 3 {
		b.Write([]byte{'a' + byte(i), '\n'})
	}
	if n, _ := out.all(); n != 0 {
		t.Fatalf("%d writes before the delay, want none", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for n, _ := out.all(); n == 0 && time.Now().Before(deadline); n, _ = out.all() {
		time.Sleep(5 * time.Millisecond)
	}
	if n, got := out.all(); n != 1 || got != "a\nb\nc\n" {
		t.Fatalf("%d writes %q, want the three lines in one", n, got)
	}
	line := bytes.Repeat([]byte("x"), 30)
	b.Write(line)
	b.Write(line)
	b.Write(line) // 90 bytes: the first two go out together before the third is kept
	if n, got := out.all(); n != 2 || !strings.HasSuffix(got, string(line)+string(line)) {
		t.Fatalf("%d writes %q, want the first two lines written when the third did not fit", n, got)
	}
	b.Write(bytes.Repeat([]byte("y"), 100)) // larger than the buffer: after what is kept, at once
	if n, got := out.all(); n != 4 || !strings.HasSuffix(got, string(line)+strings.Repeat("y", 100)) {
		t.Fatalf("%d writes, %q", n, got)
	}
}

// TestFlushUnderConcurrentWrites: every byte of concurrent lines comes out once, whole lines
// never interleaved, after a final Flush.
func TestFlushUnderConcurrentWrites(t *testing.T) {
	out := &syncWriter{}
	b := New(out, 256, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				b.Write([]byte{'0' + byte(g), '\n'})
			}
		}()
	}
	wg.Wait()
	b.Flush()
	_, got := out.all()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if len(l) != 1 {
			t.Fatalf("a line %q: lines interleaved", l)
		}
	}
}
