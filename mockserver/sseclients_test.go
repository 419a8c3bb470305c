package mockserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests drive the mock with real SSE clients: the documents' hook in Node (package
// eventsource) and in headless Chromium (a native EventSource behind the documents' proxy
// route). They need Node and the packages of testdata/sseclients (npm ci), and Chromium for
// the browser; without them they are skipped, unless CRYPTOMOCK_REQUIRE_CLIENTS=1 (set by
// .ci/run, which installs them) turns the skip into a failure.

const clientsDir = "testdata/sseclients"

func needClients(t *testing.T, chromium bool) string {
	t.Helper()
	miss := func(reason string) {
		if os.Getenv("CRYPTOMOCK_REQUIRE_CLIENTS") == "1" {
			t.Fatalf("real SSE clients required but %s", reason)
		}
		t.Skipf("skipped: %s (.ci/run installs them: npm ci --prefix %s; apt-get install chromium)", reason, clientsDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		miss("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", "eventsource")); err != nil {
		miss("the npm packages of " + clientsDir + " are not installed")
	}
	if chromium {
		if _, err := os.Stat(chromiumPath()); err != nil {
			miss("Chromium is not at " + chromiumPath())
		}
	}
	return node
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// client runs one of the scripts and hands its JSON lines to the test.
type client struct {
	cmd   *exec.Cmd
	lines chan map[string]any
	raw   []string
	mu    sync.Mutex
	done  chan error
}

func runClient(t *testing.T, node string, args ...string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = clientsDir
	cmd.Env = append(os.Environ(), "DEADLINE_MS=40000", "CHROMIUM="+chromiumPath())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &client{cmd: cmd, lines: make(chan map[string]any, 256), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.raw = append(c.raw, sc.Text())
			c.mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				c.lines <- m
			}
		}
		err := cmd.Wait()
		if err != nil {
			err = fmt.Errorf("%w; stderr: %s", err, stderr.String())
		}
		c.done <- err
	}()
	return c
}

// waitFor reads lines until one has event == name.
func (c *client) waitFor(t *testing.T, name string) map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-c.lines:
			if m["event"] == name {
				return m
			}
		case err := <-c.done:
			t.Fatalf("client exited (%v) before %q; output:\n%s", err, name, c.output())
		case <-deadline:
			t.Fatalf("no %q from the client within 30s; output:\n%s", name, c.output())
		}
	}
}

func (c *client) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.raw, "\n")
}

func (c *client) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("client failed: %v\noutput:\n%s", err, c.output())
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("client did not finish; output:\n%s", c.output())
	}
}

func TestNodeEventSourceClientFollowsToStop(t *testing.T) {
	node := needClients(t, false)
	h := start(t)
	o := h.create(orderBody())
	c := runClient(t, node, "node-client.mjs", h.url+"/v5/orders/"+o.OrderID+"/subscribe", h.partner)
	if m := c.waitFor(t, "message"); m["state"] != "WaitingForPayment" {
		t.Fatalf("first message %v", m)
	}
	h.pay(o.OrderID, "")
	h.advance(10)
	c.wait(t)
	out := c.output()
	for _, want := range []string{`"state":"PaymentReceived"`, `"state":"WaitingForDelivery"`, `"state":"Done"`, `{"event":"stop"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("client output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"event":"error"`) {
		t.Errorf("the stream broke:\n%s", out)
	}
}

// TestNodeClientSurvivesADroppedStream: the documents' client reconnects with backoff after
// the mock drops its stream, and still reaches stop.
func TestNodeClientSurvivesADroppedStream(t *testing.T) {
	node := needClients(t, false)
	h := start(t)
	o := h.create(orderBody())
	h.admin("POST", "/__mock/faults", obj{"kind": "sse_drop", "after_events": 1, "order_id": o.OrderID})
	c := runClient(t, node, "node-client.mjs", h.url+"/v5/orders/"+o.OrderID+"/subscribe", h.partner)
	c.waitFor(t, "message")
	if m := c.waitFor(t, "error"); m["retryIn"] != float64(1000) {
		t.Errorf("first retry after %v ms, want 1000 (the documents' backoff)", m["retryIn"])
	}
	c.waitFor(t, "open") // reconnected
	c.waitFor(t, "message")
	h.pay(o.OrderID, "")
	h.advance(10)
	c.wait(t)
	if !strings.Contains(c.output(), `{"event":"stop"}`) {
		t.Fatalf("no stop after reconnecting:\n%s", c.output())
	}
}

// page is the documents' client hook, in a page of the partner's app.
const page = `<!doctype html><html><head><meta charset="utf-8"><title>order</title></head><body><script>
window.__log = []; window.__stopped = false;
const referenceOrderId = %q;
let es = null, stopped = false, shouldReconnect = true, retryTimeout = null, retryDelay = 1000;
const isOrder = (o) => o && typeof o.order_id === 'string' && typeof o.order_state === 'string' && Array.isArray(o.deliveries);
const cleanup = () => { if (es) { es.close(); es = null; } if (retryTimeout !== null) { clearTimeout(retryTimeout); retryTimeout = null; } };
const stopForever = () => { shouldReconnect = false; stopped = true; cleanup(); };
const connect = () => {
  if (stopped) return;
  cleanup();
  es = new EventSource('/api/orders/' + referenceOrderId + '/subscribe');
  es.addEventListener('message', (ev) => {
    try {
      const raw = JSON.parse(ev.data);
      if (!isOrder(raw)) return;
      retryDelay = 1000;
      window.__log.push({event: 'message', id: ev.lastEventId, state: raw.order_state});
    } catch (err) { window.__log.push({event: 'unparsable'}); }
  });
  es.addEventListener('stop', () => { window.__log.push({event: 'stop'}); stopForever(); window.__stopped = true; });
  es.onerror = () => {
    if (stopped || !shouldReconnect) return;
    window.__log.push({event: 'error'});
    cleanup();
    retryTimeout = setTimeout(() => { retryDelay = Math.min(retryDelay * 2, 30000); connect(); }, retryDelay);
  };
};
connect();
</script></body></html>`

// partnerApp serves the page and the documents' server route: it forwards the browser's
// stream request upstream with the partner headers and streams the answer back, flushing
// every chunk.
func partnerApp(t *testing.T, h *harness, connected chan<- struct{}) *httptest.Server {
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /order/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, r.PathValue("id"))
	})
	mux.HandleFunc("GET /api/orders/{id}/subscribe", func(w http.ResponseWriter, r *http.Request) {
		up, _ := http.NewRequestWithContext(r.Context(), "GET", h.url+"/v5/orders/"+r.PathValue("id")+"/subscribe", nil)
		up.Header.Set("X-Cr-Application", h.partner)
		up.Header.Set("X-Cr-Version", "1.0")
		up.Header.Set("User-Agent", r.UserAgent())
		up.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(up)
		if err != nil {
			http.Error(w, `{"error":"Failed to connect to upstream stream"}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, `{"error":"Upstream returned an error"}`, resp.StatusCode)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache, no-transform")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		once.Do(func() { close(connected) })
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
			if err != nil {
				if err != io.EOF {
					t.Logf("proxy: %v", err)
				}
				return
			}
		}
	})
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	return app
}

func TestBrowserEventSourceFollowsToStop(t *testing.T) {
	node := needClients(t, true)
	h := start(t)
	o := h.create(orderBody())
	connected := make(chan struct{})
	app := partnerApp(t, h, connected)
	c := runClient(t, node, "browser-client.mjs", app.URL+"/order/"+o.OrderID)
	select {
	case <-connected:
	case err := <-c.done:
		t.Fatalf("browser client exited (%v) before connecting; output:\n%s", err, c.output())
	case <-time.After(40 * time.Second):
		t.Fatalf("the page did not open its stream; output:\n%s", c.output())
	}
	h.pay(o.OrderID, "")
	h.advance(10)
	c.wait(t)
	out := c.output()
	for _, want := range []string{`"state":"WaitingForPayment"`, `"state":"Done"`, `{"event":"stop"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("the browser saw no %s:\n%s", want, out)
		}
	}
}

// TestPaymentPageInChromium opens redirect_url in headless Chromium: the page shows the amount,
// the address and its QR code, the description and an expiry countdown; its buttons drive the
// invoice, which the page shows live. "Pay in full" after "Pay half" pays what is still due;
// once final the buttons are disabled and a link leads back to callback_url; "let it expire"
// moves only that merchant's time.
func TestPaymentPageInChromium(t *testing.T) {
	node := needClients(t, true)
	cases := []struct{ modes, statuses, final, received string }{
		{"full", "SUCCESSFUL", "SUCCESSFUL", "1.5"},
		{"partial", "PENDING", "PENDING", "0.75"},
		{"partial,full", "PENDING,SUCCESSFUL", "SUCCESSFUL", "1.5"},
		{"late", "EXPIRED", "EXPIRED", "1.5"},
	}
	for _, tc := range cases {
		t.Run(tc.modes, func(t *testing.T) {
			h := start(t)
			_, o, _, _ := h.createInvoice("test-apikey", hoodie)
			c := runClient(t, node, "pay-page.mjs", o.RedirectURL, tc.modes, tc.statuses)
			m := c.waitFor(t, "done")
			c.wait(t)
			if m["amount"] != "1.5 ETH" || m["address"] != o.Variants[0] || m["qrLoaded"] != true || m["before"] != "PENDING" ||
				m["after"] != tc.final || m["received"] != tc.received || m["description"] != "1 x Hoodie" ||
				!strings.HasSuffix(fmt.Sprint(m["countdown"]), " s") {
				t.Fatalf("page showed %v", m)
			}
			final := tc.final != "PENDING"
			if m["buttonsDisabled"] != final || m["backVisible"] != final || m["backHref"] != "https://shop.example/thanks" {
				t.Fatalf("final=%v but the page shows buttons disabled %v, link back %v %v", final, m["buttonsDisabled"], m["backVisible"], m["backHref"])
			}
			if tc.modes == "late" {
				_, _, global := call{method: "GET", url: h.url + "/__mock/clock"}.do(t)
				_, _, merchant := call{method: "GET", url: h.url + "/__mock/clock?pg_wallet_id=1"}.do(t)
				if !strings.Contains(global, `"offset_seconds":0`) || strings.Contains(merchant, `"offset_seconds":0`) {
					t.Fatalf("letting it expire moved more than the merchant's time: global %s, merchant %s", global, merchant)
				}
			}
		})
	}
}

// TestHostilePageInChromium: a page on a foreign site, opened in a real browser, cannot move
// the mock's clock with a simple cross-site POST, cannot read its journal, and reaches nothing
// under its own host name (DNS rebinding). The mock's own payment page, same-origin, still
// drives the control API (TestPaymentPageInChromium).
func TestHostilePageInChromium(t *testing.T) {
	node := needClients(t, true)
	h := start(t)
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>a site you visited</title><p>nothing to see</p>")
	}))
	defer attacker.Close()
	before := h.offset(t)
	port := func(u string) string { return u[strings.LastIndex(u, ":"):] }
	c := runClient(t, node, "cross-site.mjs", "http://evil.test"+port(attacker.URL)+"/", h.url, "http://evil.test"+port(h.url))
	m := c.waitFor(t, "done")
	c.wait(t)
	if m["postSent"] != true {
		t.Fatalf("the browser did not send the cross-site POST, so nothing was tested: %v", m)
	}
	if got := h.offset(t); got != before {
		t.Fatalf("a cross-site page moved the clock: %s -> %s (%v)", before, got, m)
	}
	if m["journalRead"] != false {
		t.Fatalf("a cross-site page read the journal: %v", m)
	}
	if m["rebindStatus"] != float64(400) || !strings.Contains(fmt.Sprint(m["rebindBody"]), "does not answer to host") {
		t.Fatalf("the mock under a rebinding name answered %v: %v", m["rebindStatus"], m["rebindBody"])
	}
}
