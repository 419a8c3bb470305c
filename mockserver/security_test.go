package mockserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// The hardening tests: who may reach the control API, and what hostile input may not do. All
// go through real HTTP on loopback, second listener included.

// call is one raw exchange, without the harness's conformance checks (several answers here are
// refusals the specs describe only in words).
// call is one raw request for tests that need the answer's headers or a hostile request: it
// goes through a plain client, not the harness's spec-checking one.
type call struct {
	method, url, body string
	host              string            // Host header, when not the URL's
	headers           map[string]string // set on the request
}

func (c call) do(t *testing.T) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if c.body != "" {
		rd = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, c.url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.host != "" {
		r.Host = c.host
	}
	if c.body != "" && strings.HasPrefix(r.URL.Path, "/apis/") { // the upstream wants it; control calls assume JSON
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (h *harness) offset(t *testing.T) string {
	t.Helper()
	_, _, b := call{method: "GET", url: h.url + "/__mock/clock"}.do(t)
	return regexp.MustCompile(`"offset_seconds":[0-9.e+]+`).FindString(b)
}

// TestTokenOnEveryListener: with the main listener on loopback and payscrypt.addr beyond it,
// the second listener requires the token for every control route, and its payment page shows
// the buttons disabled; the loopback listener stays open.
func TestTokenOnEveryListener(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Payscrypt.Addr = "0.0.0.0:0" })
	token := h.srv.ControlToken()
	if len(token) < 16 || !h.srv.TokenGenerated() {
		t.Fatalf("no token generated for the listener beyond loopback: %q", token)
	}
	second := "http://127.0.0.1" + h.srv.PayscryptURL()[strings.LastIndex(h.srv.PayscryptURL(), ":"):]
	for _, c := range []call{
		{method: "POST", url: second + "/__mock/clock/advance", body: `{"seconds": 60}`},
		{method: "GET", url: second + "/__mock/journal"},
		{method: "POST", url: second + "/__mock/reset"},
	} {
		if status, _, b := c.do(t); status != 401 {
			t.Errorf("%s %s without token on the second listener: %d %s", c.method, c.url, status, b)
		}
		c.headers = map[string]string{"Authorization": "Bearer " + token}
		if status, _, b := c.do(t); status != 200 {
			t.Errorf("%s %s with the token: %d %s", c.method, c.url, status, b)
		}
	}
	if status, _, _ := (call{method: "GET", url: second + "/__mock/health"}).do(t); status != 200 {
		t.Error("health must stay open for probes")
	}
	if status, _, b := (call{method: "GET", url: h.url + "/__mock/journal"}).do(t); status != 200 {
		t.Errorf("the loopback listener needs no generated token: %d %s", status, b)
	}
	// The payment page: disabled buttons where the token is needed, live ones on loopback.
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	_, _, page := call{method: "GET", url: second + "/pay/" + o.ID}.do(t)
	if !strings.Contains(page, `id="pay-full" disabled`) {
		t.Errorf("payment page on the non-loopback listener has live buttons")
	}
	_, _, page = call{method: "GET", url: h.url + "/pay/" + o.ID}.do(t)
	if strings.Contains(page, `id="pay-full" disabled`) {
		t.Errorf("payment page on loopback has disabled buttons")
	}
}

// TestBrowsersCannotDriveTheControlAPI: cross-site simple requests (no preflight) are refused,
// so a web page cannot move the clock or reset; loopback and allowed origins still can, and
// scripts without browser markers are unaffected whatever their content type.
func TestBrowsersCannotDriveTheControlAPI(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Control.AllowedOrigins = []string{"https://dev.example:8443"} })
	before := h.offset(t)
	advance := func(hdr map[string]string, ct string) (int, http.Header, string) {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Content-Type"] = ct
		return call{method: "POST", url: h.url + "/__mock/clock/advance", body: `{"seconds": 3600}`, headers: hdr}.do(t)
	}
	for _, c := range []struct {
		name string
		hdr  map[string]string
		ct   string
	}{
		{"form post from another site", map[string]string{"Origin": "http://evil.example"}, "application/x-www-form-urlencoded"},
		{"text/plain from another site", map[string]string{"Origin": "https://evil.example"}, "text/plain"},
		{"opaque origin", map[string]string{"Origin": "null"}, "text/plain"},
		{"cross-site without Origin", map[string]string{"Sec-Fetch-Site": "cross-site"}, "text/plain"},
		{"look-alike of loopback", map[string]string{"Origin": "http://localhost.evil.example"}, "text/plain"},
	} {
		status, hdr, b := advance(c.hdr, c.ct)
		if status != 403 || !strings.Contains(b, `"error"`) || hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %v %s", c.name, status, hdr.Get("Access-Control-Allow-Origin"), b)
		}
	}
	if got := h.offset(t); got != before {
		t.Fatalf("a refused request moved the clock: %s -> %s", before, got)
	}
	if status, _, b := (call{method: "POST", url: h.url + "/__mock/reset", body: "x", headers: map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}}).do(t); status != 403 {
		t.Errorf("cross-site reset: %d %s", status, b)
	}
	// Reading the journal from another origin: refused, and no CORS either.
	status, hdr, _ := call{method: "GET", url: h.url + "/__mock/journal", headers: map[string]string{"Origin": "http://evil.example"}}.do(t)
	if status != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("journal read from another origin: %d, CORS %q", status, hdr.Get("Access-Control-Allow-Origin"))
	}
	status, hdr, _ = call{method: "OPTIONS", url: h.url + "/__mock/journal", headers: map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}}.do(t)
	if status != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d, CORS %q", status, hdr.Get("Access-Control-Allow-Origin"))
	}
	// Allowed: a developer's app on loopback, the mock's own origin, a configured origin, and
	// anything without browser markers (curl with any content type).
	for name, hdr := range map[string]map[string]string{
		"loopback app":       {"Origin": "http://localhost:3000"},
		"loopback address":   {"Origin": "http://127.0.0.1:5173"},
		"the mock's origin":  {"Origin": h.url, "Sec-Fetch-Site": "same-origin"},
		"configured origin":  {"Origin": "https://dev.example:8443"},
		"curl, form type":    nil,
		"same-site, no CORS": {"Sec-Fetch-Site": "same-site"},
	} {
		if status, hdr2, b := advance(hdr, "application/x-www-form-urlencoded"); status != 200 {
			t.Errorf("%s: %d %s", name, status, b)
		} else if o := hdr["Origin"]; o != "" && hdr2.Get("Access-Control-Allow-Origin") != o {
			t.Errorf("%s: an allowed origin gets CORS, got %q", name, hdr2.Get("Access-Control-Allow-Origin"))
		}
	}
	// The upstream APIs keep their CORS for browser apps on any origin.
	status, hdr, _ = call{method: "OPTIONS", url: h.url + "/v5/orders", headers: map[string]string{"Origin": "http://shop.example", "Access-Control-Request-Method": "POST"}}.do(t)
	if status != 204 || hdr.Get("Access-Control-Allow-Origin") != "http://shop.example" {
		t.Errorf("upstream preflight: %d %q", status, hdr.Get("Access-Control-Allow-Origin"))
	}
}

// TestHostHeaderRefused: a DNS-rebinding page sends its own host name; every route refuses it
// in the API's own error shape. Loopback names, the listener's address and allowed_hosts are
// answered (public_url's host: guard's unit test).
func TestHostHeaderRefused(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.AllowedHosts = []string{"mock"} })
	crHeaders := map[string]string{"X-Cr-Application": "p", "X-Cr-Version": "1"}
	status, _, b := call{method: "GET", url: h.url + "/v3/payment_vias", host: "evil.example", headers: crHeaders}.do(t)
	if status != 400 || !strings.Contains(b, `"status":400`) || !strings.Contains(b, "allowed_hosts") {
		t.Errorf("Cryptorefills with a foreign Host: %d %s", status, b)
	}
	status, hdr, b := call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"1"}`, host: "evil.example:80"}.do(t)
	if status != 400 || hdr.Get("grpc-code") != "3" || !strings.Contains(b, `"code":3`) {
		t.Errorf("Payscrypt with a foreign Host: %d %v %s", status, hdr, b)
	}
	status, _, b = call{method: "POST", url: h.url + "/__mock/clock/advance", body: `{"seconds":1}`, host: "evil.example"}.do(t)
	if status != 400 || !strings.Contains(b, `"error":"bad_request"`) {
		t.Errorf("control API with a foreign Host: %d %s", status, b)
	}
	port := h.url[strings.LastIndex(h.url, ":"):]
	for _, host := range []string{"localhost" + port, "127.0.0.1" + port, "mock:8080", "MOCK", "app.localhost" + port} {
		if status, _, b := (call{method: "GET", url: h.url + "/v3/payment_vias", host: host, headers: crHeaders}).do(t); status != 200 {
			t.Errorf("Host %s: %d %s", host, status, b)
		}
	}
}

// TestControlAPIRefusesUnknownKeys: a misspelt field is an error, not silently ignored.
func TestControlAPIRefusesUnknownKeys(t *testing.T) {
	h := start(t)
	status, _, b := call{method: "POST", url: h.url + "/__mock/clock/advance", body: `{"seconds": 10, "second": 5}`}.do(t)
	if status != 400 || !strings.Contains(b, "second") {
		t.Fatalf("unknown key: %d %s", status, b)
	}
	status, _, b = call{method: "POST", url: h.url + "/__mock/reset", body: `{"partnr": "x"}`}.do(t)
	if status != 400 {
		t.Fatalf("unknown reset key: %d %s", status, b)
	}
}

// TestWebhooksNeverReachTheControlAPI: URLs that are not http(s), or that point into
// /__mock/, are refused when registered; a receiver redirecting into the control API is not
// followed; a delivery header on a control call is refused.
func TestWebhooksNeverReachTheControlAPI(t *testing.T) {
	h := start(t)
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	cancel := h.url + "/__mock/payscrypt/orders/" + o.ID + "/cancel"
	for _, u := range []string{"file:///etc/passwd", "gopher://127.0.0.1:70/x", "javascript:alert(1)", "http:///nohost", cancel,
		h.url + "/%5F%5Fmock/payscrypt/orders/" + o.ID + "/cancel", h.url + "/x/../__mock/reset"} {
		if status, _, b := (call{method: "POST", url: h.url + "/__mock/payscrypt/merchants", body: mustJSON(obj{"webhooks": []string{u}})}).do(t); status != 400 {
			t.Errorf("merchant with webhook %q: %d %s", u, status, b)
		}
		if status, _, b := (call{method: "POST", url: h.url + "/__mock/payscrypt/webhooks", body: mustJSON(obj{"pg_wallet_id": 1, "url": u})}).do(t); status != 400 {
			t.Errorf("webhook %q: %d %s", u, status, b)
		}
	}
	// A receiver that redirects (307 keeps the POST) into the control API.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, cancel, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	if status, _, b := (call{method: "POST", url: h.url + "/__mock/payscrypt/webhooks", body: mustJSON(obj{"pg_wallet_id": 1, "url": redirector.URL + "/hook"})}).do(t); status != 201 {
		t.Fatalf("register redirector: %d %s", status, b)
	}
	if status, _, b := (call{method: "POST", url: h.url + "/__mock/payscrypt/orders/" + o.ID + "/payments", body: `{"value":"1","confirmations":0}`}).do(t); status != 200 {
		t.Fatalf("pay: %d %s", status, b)
	}
	h.replay(t, o.ID)
	waitUntil(t, "the redirect refusal in the delivery log", func() bool {
		_, _, b := call{method: "GET", url: h.url + "/__mock/payscrypt/webhooks/deliveries?order_id=" + o.ID}.do(t)
		return strings.Contains(b, "refused to follow a redirect into the mock's control API")
	})
	if _, _, b := (call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + o.ID + `"}`}).do(t); strings.Contains(b, "CANCELED") {
		t.Fatalf("a webhook redirect cancelled the invoice: %s", b)
	}
	// Whatever the route, the mock's own delivery header never drives the control API.
	if status, _, b := (call{method: "POST", url: cancel, headers: map[string]string{"X-Cryptomock-Delivery": "d1"}}).do(t); status != 403 {
		t.Fatalf("control call carrying the delivery header: %d %s", status, b)
	}
}

func (h *harness) replay(t *testing.T, id string) {
	t.Helper()
	if status, _, b := (call{method: "POST", url: h.url + "/__mock/payscrypt/orders/" + id + "/webhooks", body: `{"mode":"resend"}`}).do(t); status != 202 {
		t.Fatalf("replay: %d %s", status, b)
	}
}

// TestSecretsMaskedInTheJournal: apikey and Authorization values show their last four
// characters only.
func TestSecretsMaskedInTheJournal(t *testing.T) {
	h := start(t)
	h.createInvoice("test-apikey", hoodie)
	call{method: "GET", url: h.url + "/v3/payment_vias", headers: map[string]string{"X-Cr-Application": "p", "X-Cr-Version": "1", "Authorization": "Bearer super-secret-value"}}.do(t)
	_, _, b := call{method: "GET", url: h.url + "/__mock/journal"}.do(t)
	if strings.Contains(b, "test-apikey") || strings.Contains(b, "super-secret") {
		t.Fatalf("journal shows a secret: %s", b)
	}
	if !strings.Contains(b, `"Apikey":"…ikey"`) || !strings.Contains(b, `"Authorization":"Bearer …alue"`) {
		t.Fatalf("journal lacks the masked values: %s", b)
	}
}

// TestHostileQueriesStayBounded: 3,000 valid GETs, each with a distinct 60 KB junk parameter,
// do not grow the heap by more than the caches' byte budgets (before: ~430 MB).
func TestHostileQueriesStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 180 MB of queries; skipped with -short")
	}
	h := start(t)
	junk := strings.Repeat("j", 60<<10)
	heap := func() uint64 { return heapInUse() }
	before := heap()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 3000; i++ {
		r, _ := http.NewRequest("GET", fmt.Sprintf("%s/v3/currencies?junk%d=%s", h.url, i, junk), nil)
		r.Header.Set("X-Cr-Application", fmt.Sprintf("p%d", i))
		r.Header.Set("X-Cr-Version", "1")
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew by %.1f MB over 3,000 hostile queries (180 MB of junk sent)", float64(grown)/(1<<20))
	if grown > 16<<20 { // the journal's byte budget (8 MB) and the memo's (2 MB), with slack
		t.Fatalf("heap grew by %d MB", grown>>20)
	}
}

// TestAmountsBounded: a megabyte of digits is refused at once with INVALID_ARGUMENT, and so is
// a javascript: callback_url.
func TestAmountsBounded(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.MaxBodyBytes = 2 << 20 })
	for name, body := range map[string]obj{
		"1 MB target_value":      withObj(hoodie, "target_value", strings.Repeat("9", 1<<20)),
		"81 digits":              withObj(hoodie, "target_value", strings.Repeat("9", 81)),
		"javascript callback":    withObj(hoodie, "callback_url", "javascript:alert(document.domain)"),
		"relative callback path": withObj(hoodie, "callback_url", "/thanks"),
	} {
		status, _, hdr, b := h.createInvoiceRaw("test-apikey", body)
		if status != 400 || hdr.Get("grpc-code") != "3" {
			t.Errorf("%s: %d %s %.200s", name, status, hdr.Get("grpc-code"), b)
		}
	}
	if status, _, _, b := h.createInvoiceRaw("test-apikey", withObj(hoodie, "target_value", strings.Repeat("9", 80))); status != 200 {
		t.Errorf("80 digits: %d %.200s", status, b)
	}
}

func withObj(base obj, k string, v any) obj {
	out := obj{}
	for key, val := range base {
		out[key] = val
	}
	out[k] = v
	return out
}

// createInvoiceRaw is createInvoice without the conformance check (refusals of oversize
// input are the point here).
func (h *harness) createInvoiceRaw(apikey string, body obj) (int, invoice, http.Header, []byte) {
	saved := h.client
	h.client = &http.Client{Timeout: 30 * time.Second}
	defer func() { h.client = saved }()
	return h.createInvoice(apikey, body)
}

// TestPaymentPageHeadersAndLongAmounts: the page carries the security headers, and an invoice
// whose payment request is too long for a QR code (restored from a state file) is shown
// without one rather than answering 500.
func TestPaymentPageHeadersAndLongAmounts(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	h := start(t, func(c *mockserver.Config) { c.StateFile = state })
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	status, hdr, page := call{method: "GET", url: o.RedirectURL}.do(t)
	csp := hdr.Get("Content-Security-Policy")
	if status != 200 || hdr.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") {
		t.Fatalf("page headers: %d %v", status, hdr)
	}
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)[1]
	if !strings.Contains(page, `<script nonce="`+nonce+`">`) {
		t.Fatal("the page's script does not carry the CSP nonce: the browser would block it")
	}
	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("7", 3000)
	edited := strings.Replace(string(b), `1500000000000000000`, long, 1)
	if edited == string(b) {
		t.Fatal("the saved invoice's target was not found in the state file")
	}
	if err := os.WriteFile(state, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, func(c *mockserver.Config) { c.StateFile = state })
	status, _, page = call{method: "GET", url: h2.url + "/pay/" + o.ID}.do(t)
	if status != 200 || !strings.Contains(page, "No QR code") {
		t.Fatalf("page of an invoice too long for a QR code: %d %.300s", status, page)
	}
}

// TestGlobalCaps: random partners and merchants cannot grow the mock without bound: beyond
// limits.max_orders and limits.max_invoices the oldest are forgotten.
func TestGlobalCaps(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.MaxOrders = 20; c.Limits.MaxInvoices = 5 })
	var first string
	for i := 0; i < 30; i++ {
		h.partner = fmt.Sprintf("random-%d", i)
		o := h.create(orderBody(withField("email", fmt.Sprintf("u%d@example.com", i))))
		if i == 0 {
			first = o.OrderID
		}
	}
	_, _, b := call{method: "GET", url: h.url + "/__mock/cryptorefills/orders"}.do(t)
	if n := strings.Count(b, `"order_id"`); n != 20 {
		t.Fatalf("%d orders kept, want 20", n)
	}
	h.partner = "random-0"
	if status, _ := h.req("GET", "/v5/orders/"+first, nil); status != 404 {
		t.Fatalf("the oldest order is still there: %d", status)
	}
	var ids []string
	for i := 0; i < 8; i++ {
		_, o, _, _ := h.createInvoice("test-apikey", hoodie)
		ids = append(ids, o.ID)
	}
	if status, _, b := (call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + ids[0] + `"}`}).do(t); status != 404 {
		t.Fatalf("the oldest invoice is still there: %d %v %s", status, ids, b)
	}
	if status, _, _ := (call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + ids[7] + `"}`}).do(t); status != 200 {
		t.Fatalf("the newest invoice is gone: %d", status)
	}
}

// TestSlowBodiesAndExpect: a trickling body is cut off after limits.read_body_timeout with
// 408; a body announced over the cap with Expect: 100-continue gets 413 at once, never
// 100 Continue.
func TestSlowBodiesAndExpect(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.ReadBodyTimeout = mockserver.Duration(300 * time.Millisecond) })
	addr := strings.TrimPrefix(h.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v5/orders/validations HTTP/1.1\r\nHost: %s\r\nX-Cr-Application: slow\r\nX-Cr-Version: 1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"em", addr)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickling body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 408 {
		t.Fatalf("trickling body: %d", resp.StatusCode)
	}

	conn2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	fmt.Fprintf(conn2, "POST /v5/orders/validations HTTP/1.1\r\nHost: %s\r\nX-Cr-Application: big\r\nX-Cr-Version: 1\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n", addr)
	_ = conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn2).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 413") {
		t.Fatalf("Expect: 100-continue over the cap: %q %v", line, err)
	}
	h.req("GET", "/v3/payment_vias", nil) // still serving
}

// TestPartnerResetWithJournalDisabled: journal.capacity 0 and a partner reset answered 500
// (a division by zero) after half the reset was done.
func TestPartnerResetWithJournalDisabled(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Journal.Capacity = 0 })
	o := h.create(orderBody())
	status, _, b := call{method: "POST", url: h.url + "/__mock/reset", body: `{"partner":"` + h.partner + `"}`}.do(t)
	if status != 200 {
		t.Fatalf("partner reset: %d %s", status, b)
	}
	if status, _ := h.req("GET", "/v5/orders/"+o.OrderID, nil); status != 404 {
		t.Fatalf("the partner's order survived its reset: %d", status)
	}
}

// TestClockCannotRunBackwards: 30 advances by the maximum the API allows never take the clock
// back; the one that would overflow is refused.
func TestClockCannotRunBackwards(t *testing.T) {
	h := start(t)
	var last string
	refused := 0
	for i := 0; i < 30; i++ {
		status, _, b := call{method: "POST", url: h.url + "/__mock/clock/advance", body: `{"seconds": 315360000}`}.do(t)
		switch status {
		case 200:
			now := regexp.MustCompile(`"now":(\d+)`).FindStringSubmatch(b)[1]
			if len(now) < len(last) || (len(now) == len(last) && now < last) {
				t.Fatalf("advance %d took the clock back: %s after %s", i+1, now, last)
			}
			last = now
		case 400:
			refused++
		default:
			t.Fatalf("advance %d: %d %s", i+1, status, b)
		}
	}
	if refused == 0 {
		t.Fatal("300 years of advances were all accepted")
	}
}

// TestStateFileMustBeWritable: a state file the mock could never write is refused at
// start-up, as a configuration error.
func TestStateFileMustBeWritable(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"missing directory": filepath.Join(dir, "no", "such", "dir", "state.json"),
		"a directory":       dir,
	} {
		cfg := mockserver.Defaults()
		cfg.Addr, cfg.StateFile = "127.0.0.1:0", path
		if _, err := mockserver.New(cfg); err == nil || !strings.Contains(err.Error(), "state file") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
