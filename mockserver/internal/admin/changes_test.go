package admin

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
)

// flushRecorder counts the writes the stream makes (httptest's recorder, which also flushes),
// and lets the test read what was written while the stream runs.
type flushRecorder struct {
	*httptest.ResponseRecorder
	mu     sync.Mutex
	writes int
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	return f.ResponseRecorder.Write(p)
}

func (f *flushRecorder) written() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Body.String(), f.writes
}

// waitFor polls what the stream wrote until it holds want.
func (f *flushRecorder) waitFor(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if body, _ := f.written(); strings.Contains(body, want) {
			return
		}
	}
	t.Fatalf("the stream never wrote %q", want)
}

// TestChangeStreamBatchesAndResyncs: changes that queued up go out together, and a reader
// whose buffer overflowed is told to resync after them, with the stream still open for what
// follows.
func TestChangeStreamBatchesAndResyncs(t *testing.T) {
	f := feed.New()
	r, _ := f.Subscribe()
	for range 300 { // more than a reader's buffer (256): the rest is dropped
		f.Publish(feed.Change{Kind: "request", State: "200"})
	}
	ctx, cancel := context.WithCancel(t.Context())
	w := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	done := make(chan struct{})
	go func() { _ = changeStream{r: r, ctx: ctx}.VisitStreamChangesResponse(w); close(done) }()
	w.waitFor(t, "event: resync") // the backlog is out: what comes next is a batch of its own
	f.Publish(feed.Change{Kind: "order", ID: "after", State: "Done"})
	w.waitFor(t, `"id":"after"`)
	cancel()
	<-done
	body, writes := w.written()
	if n := strings.Count(body, "event: change\n"); n != 257 {
		t.Errorf("%d changes written, want the 256 buffered and the one after", n)
	}
	if strings.Count(body, "event: resync\n") != 1 || strings.Index(body, "event: resync") > strings.Index(body, `"id":"after"`) {
		t.Errorf("want one resync, before the change that came after it:\n%.300s", body[max(0, strings.Index(body, "resync")-100):])
	}
	if writes > 4 { // the retry line, the batch with its resync, the later change
		t.Errorf("%d writes for 257 changes: not batched", writes)
	}
}
