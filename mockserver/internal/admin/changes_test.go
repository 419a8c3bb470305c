package admin

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
)

// flushRecorder counts the writes the stream makes (httptest's recorder, which also flushes).
type flushRecorder struct {
	*httptest.ResponseRecorder
	writes int
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.writes++
	return f.ResponseRecorder.Write(p)
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
	deadline := time.Now().Add(5 * time.Second)
	for len(r.C) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	f.Publish(feed.Change{Kind: "order", ID: "after", State: "Done"})
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	body := w.Body.String()
	if n := strings.Count(body, "event: change\n"); n != 257 {
		t.Errorf("%d changes written, want the 256 buffered and the one after", n)
	}
	if strings.Count(body, "event: resync\n") != 1 || strings.Index(body, "event: resync") > strings.Index(body, `"id":"after"`) {
		t.Errorf("want one resync, before the change that came after it:\n%.300s", body[max(0, strings.Index(body, "resync")-100):])
	}
	if w.writes > 4 { // the retry line, the batch with its resync, the later change
		t.Errorf("%d writes for 257 changes: not batched", w.writes)
	}
}
