package mockserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
)

// shop is a merchant's webhook receiver on loopback, written as the documents demand: it never
// trusts the webhook's data, it re-checks the order with get_public_order and acts on that.
type shop struct {
	*httptest.Server
	h        *harness
	mu       sync.Mutex
	received []map[string]string
	verified map[string]string   // order id -> the most recent status get_public_order confirmed
	seen     map[string][]string // order id -> every status get_public_order confirmed
	fail     int                 // answer 500 to the first fail webhooks
}

func newShop(t *testing.T, h *harness) *shop {
	s := &shop{h: h, verified: map[string]string{}, seen: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var hook map[string]string
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &hook); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.received = append(s.received, hook)
		failing := len(s.received) <= s.fail
		s.mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		// Re-check: trust only get_public_order.
		status, b := h.raw("POST", "/apis/pg/get_public_order", obj{"id": hook["id"]}, nil)
		if status == 200 {
			var reply struct{ Order struct{ ID, Status string } }
			_ = json.Unmarshal(b, &reply)
			s.mu.Lock()
			s.verified[hook["id"]] = reply.Order.Status
			s.seen[hook["id"]] = append(s.seen[hook["id"]], reply.Order.Status)
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *shop) snapshot() ([]map[string]string, map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := map[string]string{}
	for k, x := range s.verified {
		v[k] = x
	}
	return append([]map[string]string(nil), s.received...), v
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type invoice struct {
	ID, Status, Value, Confirmations, TargetConfirmations, RedirectURL, ExpiredAt string
	Variants                                                                      []string
}

func (h *harness) createInvoice(apikey string, body obj) (int, invoice, http.Header, []byte) {
	h.t.Helper()
	r, _ := http.NewRequest("POST", h.url+"/apis/pg/create_order", strings.NewReader(mustJSON(body)))
	r.Header.Set("Content-Type", "application/json")
	if apikey != "" {
		r.Header.Set("apikey", apikey)
	}
	resp, err := h.client.Do(r)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var reply struct {
		Order struct {
			ID                  string   `json:"id"`
			Status              string   `json:"status"`
			Value               string   `json:"value"`
			Confirmations       string   `json:"confirmations"`
			TargetConfirmations string   `json:"target_confirmations"`
			RedirectURL         string   `json:"redirect_url"`
			ExpiredAt           string   `json:"expired_at"`
			Variants            []string `json:"variants"`
		} `json:"order"`
	}
	_ = json.Unmarshal(b, &reply)
	o := reply.Order
	return resp.StatusCode, invoice{o.ID, o.Status, o.Value, o.Confirmations, o.TargetConfirmations, o.RedirectURL, o.ExpiredAt, o.Variants}, resp.Header, b
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var hoodie = obj{"merchant_order_id": "1234", "merchant_name": "Hoodie Shop", "description": "1 x Hoodie", "asset_name": "ETH",
	"target_value": "1500000000000000000", "callback_url": "https://shop.example/thanks", "pg_wallet_id": 1}

// withWallet is the hoodie invoice for another merchant.
func withWallet(w int64) obj {
	b := maps.Clone(hoodie)
	b["pg_wallet_id"] = w
	return b
}

// TestWooCommerceStyleFlow is the documents' integration: create with the apikey header, show
// the address, receive a webhook on each status change, re-query get_public_order, act on it.
func TestWooCommerceStyleFlow(t *testing.T) {
	h := start(t)
	s := newShop(t, h)
	h.admin("POST", "/__mock/payscrypt/webhooks", obj{"pg_wallet_id": 1, "url": s.URL + "/?wc-api=WC_Gateway_Payscrypt"})
	status, o, hdr, body := h.createInvoice("test-apikey", hoodie)
	if status != 200 || hdr.Get("grpc-code") != "0" || o.Status != "PENDING" || len(o.Variants) != 1 || !strings.HasPrefix(o.Variants[0], "0x") {
		t.Fatalf("create: %d %v %s", status, hdr, body)
	}
	if o.TargetConfirmations != "12" || !strings.HasSuffix(o.RedirectURL, "/pay/"+o.ID) {
		t.Errorf("order: %+v", o)
	}
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/payments", obj{"value": "1500000000000000000", "confirmations": 2})
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/payments", obj{"confirmations": 12})
	waitUntil(t, "two webhooks", func() bool { r, _ := s.snapshot(); return len(r) == 2 })
	received, _ := s.snapshot()
	// Deliveries run concurrently, so the two may arrive in either order: exactly why the
	// documents tell merchants to re-check rather than trust a webhook.
	statuses := map[string]bool{received[0]["status"]: true, received[1]["status"]: true}
	if !statuses["CONFIRMING"] || !statuses["SUCCESSFUL"] || received[0]["pg_wallet_id"] != "1" || received[0]["merchant_order_id"] != "1234" {
		t.Fatalf("webhooks: %v", received)
	}
	waitUntil(t, "a re-check that confirms SUCCESSFUL", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, v := range s.seen[o.ID] {
			if v == "SUCCESSFUL" {
				return true
			}
		}
		return false
	})
	_, b := h.raw("POST", "/apis/pg/get_public_order", obj{"id": o.ID, "with_payments": true}, nil)
	if !strings.Contains(string(b), `"tx_hash"`) || strings.Contains(string(b), `"description"`) {
		t.Errorf("public view with payments: %s", b)
	}
}

func TestPayscryptErrors(t *testing.T) {
	h := start(t)
	other := decode[struct {
		PgWalletID int64  `json:"pg_wallet_id"`
		APIKey     string `json:"apikey"`
	}](t, func() []byte { _, b := h.admin("POST", "/__mock/payscrypt/merchants", obj{"name": "other"}); return b }())
	cases := []struct {
		name, key string
		body      obj
		status    int
		code      string
	}{
		{"missing apikey", "", hoodie, 401, "16"},
		{"unknown apikey", "nope", hoodie, 401, "16"},
		{"wallet of another merchant", other.APIKey, hoodie, 403, "7"},
		{"unknown asset", "test-apikey", func() obj { b := withWallet(1); b["asset_name"] = "DOGE"; return b }(), 400, "3"},
		{"target not an integer", "test-apikey", func() obj { b := withWallet(1); b["target_value"] = "1.5"; return b }(), 400, "3"},
		{"missing field", "test-apikey", obj{"asset_name": "ETH"}, 400, "3"},
		{"wallet as a string works", "test-apikey", withWallet(0), 403, "7"},
		{"a key in another case", "test-apikey", func() obj { b := withWallet(1); b["Callback_URL"] = "x"; return b }(), 400, "3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, hdr, body := h.createInvoice(tc.key, tc.body)
			var e struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(body, &e)
			if status != tc.status || hdr.Get("grpc-code") != tc.code || hdr.Get("grpc-message") == "" || e.Message == "" {
				t.Fatalf("%d grpc-code=%q grpc-message=%q %s", status, hdr.Get("grpc-code"), hdr.Get("grpc-message"), body)
			}
		})
	}
	if status, _, _, _ := h.createInvoice(other.APIKey, func() obj { b := withWallet(other.PgWalletID); b["pg_wallet_id"] = "2"; return b }()); status != 200 {
		t.Errorf("pg_wallet_id as a string (as the WooCommerce plugin sends it): %d", status)
	}
	// Invalidation takes effect immediately.
	h.admin("DELETE", "/__mock/payscrypt/apikeys/"+other.APIKey, nil)
	if status, _, hdr, _ := h.createInvoice(other.APIKey, withWallet(other.PgWalletID)); status != 401 || hdr.Get("grpc-code") != "16" {
		t.Errorf("invalidated key: %d %s", status, hdr.Get("grpc-code"))
	}
	for body, want := range map[string]string{`{"id":"999999"}`: "5", `{"id":"abc"}`: "3", `not json`: "3"} {
		r, _ := http.NewRequest("POST", h.url+"/apis/pg/get_public_order", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		resp, err := h.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("grpc-code") != want {
			t.Errorf("get_public_order %s: %d grpc-code %q, want %s", body, resp.StatusCode, resp.Header.Get("grpc-code"), want)
		}
	}
}

func TestInvoiceLifecycleOverHTTP(t *testing.T) {
	h := start(t)
	get := func(id string) invoice {
		_, b := h.raw("POST", "/apis/pg/get_public_order", obj{"id": id}, nil)
		var r struct{ Order invoice }
		_ = json.Unmarshal(b, &r)
		return r.Order
	}
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	h.advance(31 * 60)
	if got := get(o.ID); got.Status != "EXPIRED" {
		t.Errorf("after the window: %s", got.Status)
	}
	_, o, _, _ = h.createInvoice("test-apikey", hoodie)
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/payments", obj{"value": "500000000000000000", "confirmations": 20})
	if got := get(o.ID); got.Status != "PENDING" || got.Value != "500000000000000000" {
		t.Errorf("partial: %+v", got)
	}
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/payments", obj{"value": "5000000000000000000", "confirmations": 20})
	if got := get(o.ID); got.Status != "SUCCESSFUL" {
		t.Errorf("overpaid: %+v", got)
	}
	_, o, _, _ = h.createInvoice("test-apikey", hoodie)
	if status, _ := h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/cancel", nil); status != 200 || get(o.ID).Status != "CANCELED" {
		t.Errorf("cancel: %d", status)
	}
	if status, _ := h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/cancel", nil); status != 409 {
		t.Errorf("second cancel: %d", status)
	}
}

// failingWebhook registers a shop that answers 500 to its first fail webhooks, cancels a new
// invoice (one webhook), and waits for the first attempt. attempts counts them in the log.
func failingWebhook(t *testing.T, h *harness, fail int) (s *shop, o invoice, attempts func() int) {
	t.Helper()
	s = newShop(t, h)
	s.fail = fail
	h.admin("POST", "/__mock/payscrypt/webhooks", obj{"pg_wallet_id": 1, "url": s.URL})
	_, o, _, _ = h.createInvoice("test-apikey", hoodie)
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/cancel", nil)
	attempts = func() int {
		_, b := h.admin("GET", "/__mock/payscrypt/webhooks/deliveries?order_id="+o.ID, nil)
		return len(decode[struct{ Attempts []any }](t, b).Attempts) // pending retries are listed apart
	}
	waitUntil(t, "first attempt", func() bool { return attempts() == 1 })
	return s, o, attempts
}

func TestWebhooksRetryUntil2xxAndReplays(t *testing.T) {
	h := start(t)
	s, o, attempts := failingWebhook(t, h, 2)
	_, b := h.admin("GET", "/__mock/payscrypt/webhooks/deliveries?order_id="+o.ID, nil)
	if p := decode[struct{ Pending []struct{ Attempts int } }](t, b).Pending; len(p) != 1 || p[0].Attempts != 1 {
		t.Fatalf("the retry is not listed as scheduled: %s", b)
	}
	h.advance(10) // default schedule: 10 s, then 30 s
	waitUntil(t, "second attempt", func() bool { return attempts() == 2 })
	h.advance(30)
	waitUntil(t, "third attempt", func() bool { return attempts() == 3 })
	_, b = h.admin("GET", "/__mock/payscrypt/webhooks/deliveries?order_id="+o.ID, nil)
	log := decode[struct {
		Attempts []struct {
			Attempt int
			Status  int
			Outcome string
		}
	}](t, b)
	if len(log.Attempts) != 3 || log.Attempts[0].Status != 500 || log.Attempts[2].Outcome != "delivered" {
		t.Fatalf("delivery log: %s", b)
	}
	// Replays: a duplicate sends the status twice; a forged webhook claims a status the order
	// lacks, and the shop, re-checking, still records CANCELED.
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "duplicate"})
	waitUntil(t, "the duplicates", func() bool { r, _ := s.snapshot(); return len(r) == 5 })
	status, b := h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "forged", "status": "SUCCESSFUL"})
	if status != 202 {
		t.Fatalf("forged: %d %s", status, b)
	}
	waitUntil(t, "replays", func() bool { r, _ := s.snapshot(); return len(r) == 6 })
	received, verified := s.snapshot()
	if received[5]["status"] != "SUCCESSFUL" || verified[o.ID] != "CANCELED" {
		t.Fatalf("forged webhook: got %v, shop verified %s", received[5], verified[o.ID])
	}
	waitUntil(t, "the forged one verified", func() bool { _, v := s.snapshot(); return v[o.ID] == "CANCELED" })
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "resend"})
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "out_of_order"})
	waitUntil(t, "resend and out-of-order", func() bool { r, _ := s.snapshot(); return len(r) == 8 })
	received, _ = s.snapshot()
	statuses := map[string]int{}
	for _, r := range received[6:] {
		statuses[r["status"]]++
	}
	if statuses["CANCELED"] != 1 || statuses["PENDING"] != 1 {
		t.Fatalf("resend should repeat CANCELED and out_of_order send the earlier PENDING: %v", received[6:])
	}
	if status, _ := h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "forged", "status": "CANCELED"}); status != 400 {
		t.Errorf("a forged webhook with the real status was accepted: %d", status)
	}
}

func TestOmitDefaults(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Payscrypt.OmitDefaults = true })
	_, _, _, body := h.createInvoice("test-apikey", hoodie)
	for _, absent := range []string{`"status"`, `"type"`, `"value"`, `"confirmations"`} {
		if strings.Contains(string(body), absent) {
			t.Errorf("omit_defaults: %s present in %s", absent, body)
		}
	}
	plain := start(t)
	_, _, _, body = plain.createInvoice("test-apikey", hoodie)
	for _, present := range []string{`"status":"PENDING"`, `"type":"NORMAL"`, `"value":"0"`} {
		if !strings.Contains(string(body), present) {
			t.Errorf("default: %s missing from %s", present, body)
		}
	}
}

func TestPaymentPage(t *testing.T) {
	h := start(t)
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	resp, err := http.Get(o.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"1.5 ETH", o.Variants[0], "data:image/png;base64,", `id="pay-full"`, "get_public_order"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("payment page lacks %q", want)
		}
	}
}

func TestSeparatePayscryptListener(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Payscrypt.Addr = "127.0.0.1:0" })
	ps := h.srv.PayscryptURL()
	if ps == h.url || !strings.HasPrefix(ps, "http://127.0.0.1:") {
		t.Fatalf("payscrypt URL %q beside %q", ps, h.url)
	}
	main := h.url
	h.url = ps // the Payscrypt host
	_, o, _, body := h.createInvoice("test-apikey", hoodie)
	h.url = main
	if !strings.HasPrefix(o.RedirectURL, ps+"/pay/") {
		t.Fatalf("redirect_url %q should point at the Payscrypt listener; %s", o.RedirectURL, body)
	}
}

// TestProto3JSONNamesAndCode: as grpc-gateway does, create_order and get_public_order accept
// the lowerCamelCase names; answers keep the original names and carry the order's code (what
// the vendor's plugin stores as its charge reference).
func TestProto3JSONNamesAndCode(t *testing.T) {
	h := start(t)
	status, o, _, b := h.createInvoiceRaw("test-apikey", obj{"merchantOrderId": "77", "assetName": "ETH", "targetValue": "1000",
		"pgWalletId": 1, "callbackUrl": "https://shop.example/thanks", "merchantName": "Shop"})
	if status != 200 || !strings.Contains(string(b), `"merchant_order_id":"77"`) || strings.Contains(string(b), "merchantOrderId") {
		t.Fatalf("camelCase create_order: %d %s", status, b)
	}
	code := regexp.MustCompile(`"code":"([A-Z2-7]{8})"`).FindStringSubmatch(string(b))
	if code == nil {
		t.Fatalf("no order code: %s", b)
	}
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/payments", nil)
	status, hdr, got := call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + o.ID + `","withPayments":true}`}.do(t)
	if status != 200 || !strings.Contains(got, `"payments":[{`) || hdr.Get("grpc-code") != "0" {
		t.Fatalf("camelCase get_public_order: %d %s", status, got)
	}
	// Both forms of one field: the original name wins.
	status, _, _, b = h.createInvoiceRaw("test-apikey", obj{"merchant_order_id": "orig", "merchantOrderId": "camel", "asset_name": "ETH",
		"target_value": "1000", "pg_wallet_id": 1})
	if status != 200 || !strings.Contains(string(b), `"merchant_order_id":"orig"`) {
		t.Fatalf("both forms: %d %s", status, b)
	}
}

// TestSecondGenerationInvoices: /payment/v1/invoice creates the same invoices as create_order
// under the second generation's names; GET (and POST with {id}) on /payment/v1/invoice/{id}
// read them without a key; both generations see each other's invoices.
func TestSecondGenerationInvoices(t *testing.T) {
	h := start(t)
	create := func(apikey string, body obj) (int, map[string]any) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if apikey != "" {
			hdr["apikey"] = apikey
		}
		status, _, b := call{method: "POST", url: h.url + "/payment/v1/invoice", body: mustJSON(body), headers: hdr}.do(t)
		var reply struct{ Invoice map[string]any }
		_ = json.Unmarshal([]byte(b), &reply)
		return status, reply.Invoice
	}
	body := obj{"merchant_invoice_id": "1234", "wallet_id": 1, "redirect_url": "https://shop.example/thanks", "description": "1 x Hoodie",
		"asset": "ETH", "price": "1500000000000000000"}
	status, inv := create("test-apikey", body)
	if status != 200 || inv["status"] != "PENDING" || inv["code"] == "" || !strings.HasSuffix(fmt.Sprint(inv["payment_url"]), "/pay/"+fmt.Sprint(inv["id"])) {
		t.Fatalf("create invoice: %d %v", status, inv)
	}
	id := fmt.Sprint(inv["id"])
	if status, _ := create("", body); status != 401 {
		t.Errorf("create without apikey: %d", status)
	}
	for _, c := range []call{
		{method: "GET", url: h.url + "/payment/v1/invoice/" + id},
		{method: "POST", url: h.url + "/payment/v1/invoice/" + id, body: `{"id":"` + id + `"}`, headers: map[string]string{"Content-Type": "application/json"}},
	} {
		status, hdr, b := c.do(t)
		if status != 200 || hdr.Get("grpc-code") != "0" || !strings.Contains(b, `"code":"`+fmt.Sprint(inv["code"])+`"`) {
			t.Errorf("%s: %d %s", c.method, status, b)
		}
	}
	// The first generation sees it, with the same code; the second sees the first's.
	status, _, b := call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + id + `"}`}.do(t)
	if status != 200 || !strings.Contains(b, `"merchant_order_id":"1234"`) || !strings.Contains(b, `"callback_url":"https://shop.example/thanks"`) {
		t.Fatalf("gen 1 reading a gen 2 invoice: %d %s", status, b)
	}
	_, first, _, _ := h.createInvoice("test-apikey", hoodie)
	status, _, b = call{method: "GET", url: h.url + "/payment/v1/invoice/" + first.ID}.do(t)
	if status != 200 || !strings.Contains(b, `"merchant_invoice_id":"1234"`) {
		t.Fatalf("gen 2 reading a gen 1 invoice: %d %s", status, b)
	}
	if status, hdr, _ := (call{method: "GET", url: h.url + "/payment/v1/invoice/999999"}).do(t); status != 404 || hdr.Get("grpc-code") != "5" {
		t.Errorf("unknown invoice: %d %s", status, hdr.Get("grpc-code"))
	}
	// The old name of the return URL.
	delete(body, "redirect_url")
	body["callback_url"] = "https://shop.example/old"
	if status, inv := create("test-apikey", body); status != 200 || inv["redirect_url"] != "https://shop.example/old" {
		t.Errorf("callback_url (before 2019-09-18): %d %v", status, inv)
	}
}

// TestGatewayStatusesAreDeclared: a 429 or 504 injected on a Payscrypt operation is a status
// the spec declares (the harness checks every answer against it).
func TestGatewayStatusesAreDeclared(t *testing.T) {
	h := start(t)
	for _, st := range []int{429, 504, 503} {
		h.admin("POST", "/__mock/faults", obj{"kind": "status", "status": st, "operation": "getPublicOrder"})
		status, b := h.raw("POST", "/apis/pg/get_public_order", obj{"id": "1"}, map[string]string{"Content-Type": "application/json"})
		if status != st || !strings.Contains(string(b), `"code":`) {
			t.Errorf("fault %d: %d %s", st, status, b)
		}
	}
}

// certify removes the webhook URL it registered for a run; attempts carry their wall time so
// re-checks can be matched to them.
func TestRemoveWebhookAndAttemptWallTime(t *testing.T) {
	h := start(t)
	before := time.Now()
	s, o, attempts := failingWebhook(t, h, 0)
	_, b := h.admin("GET", "/__mock/payscrypt/webhooks/deliveries?order_id="+o.ID, nil)
	log := decode[struct {
		Attempts []struct {
			SentAt time.Time `json:"sent_at"`
		}
	}](t, b)
	if len(log.Attempts) != 1 || log.Attempts[0].SentAt.Before(before) || log.Attempts[0].SentAt.After(time.Now()) {
		t.Fatalf("sent_at is not the wall time of the attempt: %s", b)
	}
	status, b := h.admin("DELETE", "/__mock/payscrypt/webhooks?pg_wallet_id=1&url="+url.QueryEscape(s.URL), nil)
	if status != 200 || strings.Contains(string(b), s.URL) {
		t.Fatalf("remove: %d %s", status, b)
	}
	if status, _ := h.admin("DELETE", "/__mock/payscrypt/webhooks?pg_wallet_id=1&url="+url.QueryEscape(s.URL), nil); status != 404 {
		t.Errorf("removing it twice: %d, want 404", status)
	}
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/webhooks", obj{"mode": "resend"})
	time.Sleep(200 * time.Millisecond)
	if n := attempts(); n != 1 {
		t.Errorf("a removed URL still got %d attempts", n)
	}
	for i := 0; i < invoices.MaxWebhooks; i++ {
		h.admin("POST", "/__mock/payscrypt/webhooks", obj{"pg_wallet_id": 1, "url": fmt.Sprintf("http://127.0.0.1:9/%d", i)})
	}
	if status, b := h.admin("POST", "/__mock/payscrypt/webhooks", obj{"pg_wallet_id": 1, "url": "http://127.0.0.1:9/one-more"}); status != 400 {
		t.Errorf("webhook URLs are not bounded: %d %s", status, b)
	}
}
