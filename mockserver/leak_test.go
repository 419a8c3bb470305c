package mockserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// mockGoroutines returns the stacks of goroutines running code of the mock's packages (not
// of this test package).
func mockGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "cryptomock/mockserver.") || strings.Contains(g, "cryptomock/mockserver/internal/") {
			out = append(out, g)
		}
	}
	return out
}

// TestShutdownLeavesNoGoroutines: with an event stream open, a webhook delivery in flight to a
// slow receiver and a retry pending on the clock, a graceful shutdown ends everything.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()

	h := start(t, func(c *mockserver.Config) {
		c.Payscrypt.Merchants[0].Webhooks = []string{slow.URL, failing.URL}
		// Longer than this test waits: only the shutdown can end the slow delivery.
		c.Payscrypt.Webhooks.Timeout = mockserver.Duration(time.Minute)
	})
	srv := h.srv
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	s.next(false)
	_, inv, _, _ := h.createInvoice("test-apikey", hoodie)
	h.admin("POST", "/__mock/payscrypt/orders/"+inv.ID+"/cancel", nil) // webhooks: one slow, one retried later
	waitUntil(t, "deliveries under way", func() bool {
		_, b := h.admin("GET", "/__mock/payscrypt/webhooks/deliveries", nil)
		return strings.Contains(string(b), `"retrying"`)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx) // the slow delivery is cut at the deadline
	s.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := mockGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of the mock outlive its shutdown:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
