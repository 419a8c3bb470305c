package mockserver_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

func TestLifecycleOverHTTP(t *testing.T) {
	cases := []struct {
		name  string
		steps func(h *harness, id string)
		state string
	}{
		{"expiry after the 30-minute window", func(h *harness, id string) { h.advance(29 * 60); h.advance(61) }, "Expired"},
		{"partial payment waits", func(h *harness, id string) { h.pay(id, "50"); h.advance(60) }, "WaitingForPayment"},
		{"overpayment completes", func(h *harness, id string) { h.pay(id, "500"); h.advance(10) }, "Done"},
		{"late payment stays expired", func(h *harness, id string) { h.advance(3600); h.pay(id, "") }, "Expired"},
		{"delivery failure goes to review", func(h *harness, id string) {
			h.pay(id, "")
			h.transition(id, "fail_delivery", 200)
		}, "WaitingForManualAction"},
		{"refund after review", func(h *harness, id string) {
			h.pay(id, "")
			h.transition(id, "manual_review", 200)
			h.transition(id, "refund", 200)
		}, "Refunded"},
		{"cancel", func(h *harness, id string) { h.transition(id, "cancel", 200) }, "Canceled"},
		{"cannot deliver unpaid", func(h *harness, id string) { h.transition(id, "deliver", 409) }, "WaitingForPayment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			o := h.create(orderBody())
			tc.steps(h, o.OrderID)
			got := h.getOrder(o.OrderID)
			if got.OrderState != tc.state {
				t.Fatalf("state %s, want %s", got.OrderState, tc.state)
			}
			if got.OrderState == "Done" && got.Deliveries[0].Deliverable["pin_code"] == nil {
				t.Error("delivered without a code")
			}
		})
	}
}

func (h *harness) transition(id, action string, want int) {
	h.t.Helper()
	if status, b := h.admin("POST", "/__mock/cryptorefills/orders/"+id+"/transitions", obj{"action": action}); status != want {
		h.t.Fatalf("%s: %d %s, want %d", action, status, b, want)
	}
}

func TestAddressesFitTheirNetwork(t *testing.T) {
	h := start(t)
	for network, prefix := range map[string]string{"Solana": "", "Base": "0x", "ETH Mainnet": "0x", "Polygon (Matic)": "0x", "Arbitrum": "0x"} {
		o := h.create(orderBody(withPayment("USDC", network, "USER_WALLET")))
		if o.Network != network || !strings.HasPrefix(o.WalletAddress, prefix) || len(o.WalletAddress) < 32 {
			t.Errorf("USDC on %s: %s %s", network, o.Network, o.WalletAddress)
		}
	}
	for network, prefix := range map[string]string{"Mainnet": "bc1q", "Lightning": "lnbc"} {
		o := h.create(orderBody(withPayment("BTC", network, "USER_WALLET")))
		if !strings.HasPrefix(o.WalletAddress, prefix) {
			t.Errorf("BTC on %s: %s", network, o.WalletAddress)
		}
	}
}

func TestPartnersAreIsolated(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	if status, _ := h.req("GET", "/v5/orders/"+o.OrderID, nil, "X-Cr-Application", "intruder"); status != 404 {
		t.Fatalf("another partner read the order: %d", status)
	}
	h.admin("POST", "/__mock/reset", obj{"partner": "intruder"})
	h.getOrder(o.OrderID) // still there after resetting someone else
	h.admin("POST", "/__mock/reset", obj{"partner": h.partner})
	if status, _ := h.req("GET", "/v5/orders/"+o.OrderID, nil); status != 404 {
		t.Fatalf("order survived its partner's reset: %d", status)
	}
}

func TestRequestFaults(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	h.admin("POST", "/__mock/faults", obj{"kind": "status", "status": 503, "operation": "getOrder", "partner": h.partner, "count": 2})
	for i := 0; i < 2; i++ {
		if status, b := h.req("GET", "/v5/orders/"+o.OrderID, nil); status != 503 || !strings.Contains(string(b), `"status":503`) {
			t.Fatalf("call %d: %d %s", i, status, b)
		}
	}
	h.getOrder(o.OrderID) // count exhausted
	h.admin("POST", "/__mock/faults", obj{"kind": "latency", "latency_ms": 200, "operation": "listPaymentVias"})
	begin := time.Now()
	h.req("GET", "/v3/payment_vias", nil)
	if took := time.Since(begin); took < 200*time.Millisecond {
		t.Errorf("latency fault: answered in %v", took)
	}
	h.admin("POST", "/__mock/faults", obj{"kind": "drop", "operation": "cryptorefills.listCurrencies"})
	req, _ := http.NewRequest("GET", h.url+"/v3/currencies", nil)
	req.Header.Set("X-Cr-Application", h.partner)
	req.Header.Set("X-Cr-Version", "1")
	// A fresh connection: Go's transport retries an idempotent request whose reused
	// connection drops, which would hide the fault.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("drop fault: got an answer %d", resp.StatusCode)
	}
	// The client sees the connection close before the server's side has returned and been
	// journaled: wait for the entry.
	waitUntil(t, "the dropped request journaled with status 0", func() bool {
		_, b := h.admin("GET", "/__mock/journal?path=/v3/currencies", nil)
		return strings.Contains(string(b), `"status":0`)
	})
	if _, b := h.admin("GET", "/__mock/faults", nil); strings.Contains(string(b), `"kind":"drop"`) {
		t.Errorf("spent fault still listed: %s", b)
	}
	if status, _ := h.admin("POST", "/__mock/faults", obj{"kind": "status"}); status != 400 {
		t.Error("a status fault without status was armed")
	}
}

func TestJournal(t *testing.T) {
	h := start(t)
	h.req("GET", "/v3/payment_vias", nil, "X-Country-ISO-Code", "US")
	h.req("GET", "/v2/brands?country_code=US", nil, "X-Cr-Application", "other")
	_, b := h.admin("GET", "/__mock/journal?partner="+h.partner, nil)
	j := decode[struct {
		Entries []struct {
			Path, Operation, Partner string
			Status                   int
			Headers                  map[string]string
		}
	}](t, b)
	if len(j.Entries) != 1 || j.Entries[0].Operation != "listPaymentVias" || j.Entries[0].Headers["X-Country-Iso-Code"] != "US" {
		t.Fatalf("journal: %s", b)
	}
	if _, b := h.admin("GET", "/__mock/journal?path=/v2/", nil); !strings.Contains(string(b), "listBrands") || strings.Contains(string(b), "listPaymentVias") {
		t.Fatalf("path filter: %s", b)
	}
}

func TestClockAndHealth(t *testing.T) {
	h := start(t)
	_, b := h.admin("GET", "/__mock/clock", nil)
	before := decode[struct{ Now int64 }](t, b).Now
	h.advance(3600)
	_, b = h.admin("GET", "/__mock/health", nil)
	if now := decode[struct{ Now int64 }](t, b).Now; now-before < 3600 {
		t.Fatalf("clock moved %ds", now-before)
	}
	if status, _ := h.admin("POST", "/__mock/clock/advance", obj{"seconds": -5}); status != 400 {
		t.Error("negative advance accepted")
	}
	// A bare `curl -d` (no content type) works on the control API.
	resp, err := http.Post(h.url+"/__mock/clock/advance", "", strings.NewReader(`{"seconds":1}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("advance without content type: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestCORS(t *testing.T) {
	h := start(t)
	req, _ := http.NewRequest("OPTIONS", h.url+"/v5/orders", nil)
	req.Header.Set("Origin", "http://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "x-cr-application, x-cr-version, content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "x-cr-application") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestBodyLimit(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.MaxBodyBytes = 4096 })
	big := `{"email":"` + strings.Repeat("a", 10000) + `"}`
	status, b := h.req("POST", "/v5/orders/validations", big)
	if status != 413 || !strings.Contains(string(b), `"status":413`) {
		t.Fatalf("oversized body: %d %s", status, b)
	}
	h.req("GET", "/v3/payment_vias", nil) // still serving
}

func TestControlToken(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Control.Token = "s3cret" })
	if status, _ := h.admin("POST", "/__mock/reset", nil); status != 401 {
		t.Fatalf("control call without token: %d", status)
	}
	if status, _ := h.raw("POST", "/__mock/reset", nil, map[string]string{"Authorization": "Bearer s3cret"}); status != 200 {
		t.Fatalf("control call with token: %d", status)
	}
	if status, _ := h.admin("GET", "/__mock/health", nil); status != 200 {
		t.Fatal("health needs no token")
	}
	if status, _ := h.req("GET", "/v3/payment_vias", nil); status != 200 {
		t.Fatal("the upstream API needs no control token")
	}
	// Beyond loopback a token is always required: one is generated when none is set.
	cfg := mockserver.Defaults()
	cfg.Addr = "0.0.0.0:0"
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(t.Context())
	if len(srv.ControlToken()) < 16 {
		t.Fatalf("no token generated for a non-loopback listener: %q", srv.ControlToken())
	}
	port := srv.URL()[strings.LastIndex(srv.URL(), ":"):]
	resp, err := http.Post("http://127.0.0.1"+port+"/__mock/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("non-loopback mock: control call without token answered %d", resp.StatusCode)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, yaml := range map[string]string{
		"unknown key":   "cryptorefills:\n  spred_percent: 2\n",
		"bad duration":  "cryptorefills:\n  lifecycle:\n    payment_window: soon\n",
		"bad mode":      "cryptorefills:\n  lifecycle:\n    mode: turbo\n",
		"bad limit":     "cryptorefills:\n  rules:\n    max_order_usd: lots\n",
		"not yaml":      "{{{",
		"unknown coin":  "cryptorefills:\n  suspended_coins: [XYZ]\n",
		"bad body size": "limits:\n  max_body_bytes: 1\n",
	} {
		cfg, err := mockserver.Parse([]byte(yaml))
		if err == nil {
			_, err = mockserver.New(cfg)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfg, err := mockserver.Parse([]byte("seed: 7\ncryptorefills:\n  lifecycle:\n    payment_window: 15m\n"))
	if err != nil || cfg.Seed != 7 || time.Duration(cfg.Cryptorefills.Lifecycle.PaymentWindow) != 15*time.Minute || cfg.Addr != "127.0.0.1:8080" {
		t.Fatalf("valid config: %+v %v", cfg, err)
	}
}

func TestOrderQRImage(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	got := decode[struct {
		QrURL string `json:"qr_url"`
	}](t, func() []byte { _, b := h.req("GET", "/v5/orders/"+o.OrderID, nil); return b }())
	if got.QrURL != h.url+"/v3/qrs/"+o.OrderID {
		t.Fatalf("qr_url %q", got.QrURL)
	}
	status, png := h.raw("GET", "/v3/qrs/"+o.OrderID, nil, nil) // no partner headers, like an <img>
	if status != 200 || !strings.HasPrefix(string(png), "\x89PNG\r\n") {
		t.Fatalf("QR image: %d %.16q", status, png)
	}
	if status, _ := h.raw("GET", "/v3/qrs/unknown", nil, nil); status != 404 {
		t.Fatalf("unknown order: %d", status)
	}
}

// TestSlowClientsCannotHoldConnections: a client that never finishes its headers is cut off
// after limits.read_header_timeout.
func TestSlowClientsCannotHoldConnections(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.ReadHeaderTimeout = mockserver.Duration(200 * time.Millisecond) })
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /v3/payment_vias HTTP/1.1\r\nHost: x\r\nX-Cr-Application: slow")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	begin := time.Now()
	_, err = io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the connection was not closed by the server: %v", err)
	}
	if took := time.Since(begin); took > 3*time.Second {
		t.Fatalf("held for %v", took)
	}
	h.req("GET", "/v3/payment_vias", nil) // and the mock still serves
}

// TestOrderFlowsLeaveSharedAmountsAlone guards the rule the catalogue's remembered prices rely
// on (it hands the same rationals to every order, uncopied): no flow modifies an amount in
// place. Orders go through every path there is (partial and full payment, overpayment,
// delivery, failure, review, refund, cancel, expiry), and the validation of the same order
// then still quotes what it quoted before any of them.
func TestOrderFlowsLeaveSharedAmountsAlone(t *testing.T) {
	h := start(t)
	quote := func() string {
		t.Helper()
		status, b := h.req("POST", "/v5/orders/validations", orderBody())
		if status != http.StatusOK {
			t.Fatalf("validation: %d %s", status, b)
		}
		return regexp.MustCompile(`"id":"[^"]*"`).ReplaceAllString(string(b), `"id":""`) // a fresh delivery id each time
	}
	before := quote()
	for _, steps := range []func(id string){
		func(id string) { h.pay(id, "50"); h.pay(id, "") },
		func(id string) { h.pay(id, "500"); h.advance(10) },
		func(id string) {
			h.pay(id, "")
			h.transition(id, "fail_delivery", 200)
			h.transition(id, "refund", 200)
		},
		func(id string) {
			h.pay(id, "")
			h.transition(id, "manual_review", 200)
			h.transition(id, "refund", 200)
		},
		func(id string) { h.transition(id, "cancel", 200) },
		func(id string) { h.advance(31 * 60) },
	} {
		steps(h.create(orderBody()).OrderID)
	}
	if after := quote(); after != before {
		t.Fatalf("the same validation quoted\n%s\nbefore the flows and\n%s\nafter", before, after)
	}
}

// TestOrderListsFilterAndLimit: the control API's order and invoice lists take a state
// (status) and a limit, keep the newest first, and count every match in total.
func TestOrderListsFilterAndLimit(t *testing.T) {
	h := start(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, h.create(orderBody(func(b obj) { b["email"] = fmt.Sprintf("list%d@example.com", i) })).OrderID)
	}
	h.pay(ids[0], "")
	type list struct {
		Orders []struct {
			OrderID    string `json:"order_id"`
			OrderState string `json:"order_state"`
			ID         string `json:"id"`
			Status     string `json:"status"`
		} `json:"orders"`
		Total int `json:"total"`
	}
	get := func(path string) list {
		t.Helper()
		status, b := h.admin("GET", path, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, b)
		}
		return decode[list](t, b)
	}
	base := "/__mock/cryptorefills/orders?partner=" + h.partner
	if l := get(base + "&limit=2"); l.Total != 3 || len(l.Orders) != 2 || l.Orders[0].OrderID != ids[2] || l.Orders[1].OrderID != ids[1] {
		t.Errorf("limit 2: %+v, want the two newest of 3", l)
	}
	if l := get(base + "&state=WaitingForPayment"); l.Total != 2 || len(l.Orders) != 2 {
		t.Errorf("state WaitingForPayment: %+v, want 2", l)
	}
	if l := get(base + "&state=PaymentReceived&limit=5"); l.Total != 1 || len(l.Orders) != 1 || l.Orders[0].OrderID != ids[0] {
		t.Errorf("state PaymentReceived: %+v, want the paid one", l)
	}
	if l := get(base); l.Total != 3 || len(l.Orders) != 3 {
		t.Errorf("no limit: %+v, want all 3", l)
	}
	if status, b := h.admin("GET", base+"&limit=0", nil); status != 400 {
		t.Errorf("limit 0: %d %s, want 400", status, b)
	}

	for range 3 {
		h.createInvoice("test-apikey", hoodie)
	}
	if l := get("/__mock/payscrypt/orders?pg_wallet_id=1&status=PENDING&limit=1"); l.Total != 3 || len(l.Orders) != 1 || l.Orders[0].Status != "PENDING" {
		t.Errorf("invoices, PENDING, limit 1: %+v", l)
	}
	if l := get("/__mock/payscrypt/orders?status=SUCCESSFUL"); l.Total != 0 || len(l.Orders) != 0 {
		t.Errorf("invoices, SUCCESSFUL: %+v, want none", l)
	}
}

// TestJournalFiltersByStatus: the journal finds a refusal by status or as refused however
// many answers came after it (the dashboard's "refused only" used to filter the newest 500 in
// the page), and a status that is no status is a 400.
func TestJournalFiltersByStatus(t *testing.T) {
	h := start(t)
	h.req("POST", "/v5/orders/validations", obj{"payment": obj{"type": "via"}, "deliveries": []any{}})
	for range 600 {
		h.req("GET", "/v3/payment_vias", nil)
	}
	type journal struct {
		Entries []struct {
			Status  int    `json:"status"`
			Path    string `json:"path"`
			Refusal string `json:"refusal"`
		} `json:"entries"`
	}
	get := func(q string) journal {
		t.Helper()
		status, b := h.admin("GET", "/__mock/journal?"+q, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", q, status, b)
		}
		return decode[journal](t, b)
	}
	for _, q := range []string{"refused=true&limit=5", "status=400&limit=5", "refused=true&status=400&partner=" + h.partner} {
		if j := get(q); len(j.Entries) != 1 || j.Entries[0].Status != 400 || j.Entries[0].Path != "/v5/orders/validations" || j.Entries[0].Refusal == "" {
			t.Errorf("%s: %+v, want the one refused validation", q, j.Entries)
		}
	}
	if j := get("status=200&limit=3"); len(j.Entries) != 3 || j.Entries[2].Status != 200 {
		t.Errorf("status=200&limit=3: %+v", j.Entries)
	}
	if j := get("refused=false&limit=2"); len(j.Entries) != 2 || j.Entries[1].Status != 200 {
		t.Errorf("refused=false: %+v, want any entry", j.Entries)
	}
	if status, b := h.admin("GET", "/__mock/journal?status=abc", nil); status != 400 {
		t.Errorf("status=abc: %d %s, want 400", status, b)
	}
}

// TestJournalRefusalsMatchBodies: the reason the journal keeps for a refusal is the one in the
// body the client got, whether the mock noted it as it wrote the refusal (validation, unknown
// path, a fault, Payscrypt's own checks) or read it back from a handler's body (a 422).
func TestJournalRefusalsMatchBodies(t *testing.T) {
	h := start(t)
	// The reason's place in each API's error shape, read by hand (the oracle, not record's code).
	crReason := func(b []byte) string {
		return decode[struct {
			MoreDetails struct{ Reason string } `json:"moreDetails"`
		}](t, b).MoreDetails.Reason
	}
	message := func(b []byte) string { return decode[struct{ Message string }](t, b).Message }
	h.admin("POST", "/__mock/faults", obj{"kind": "status", "status": 503, "operation": "getOrder", "partner": h.partner})
	cases := []struct {
		name   string
		send   func() (int, []byte)
		path   string
		reason func([]byte) string
	}{
		{"validation", func() (int, []byte) {
			return h.req("POST", "/v5/orders/validations", obj{"payment": obj{"type": "via"}, "deliveries": []any{}})
		}, "/v5/orders/validations", crReason},
		{"unknown path", func() (int, []byte) { return h.req("GET", "/v5/nothing-here", nil) }, "/v5/nothing-here", crReason},
		{"fault", func() (int, []byte) { return h.req("GET", "/v5/orders/some-order", nil) }, "/v5/orders/some-order", crReason},
		{"handler's 422", func() (int, []byte) {
			return h.req("POST", "/v5/orders", orderBody(func(b obj) {
				b["deliveries"] = []any{obj{"beneficiary_account": "jane@example.com", "brand_name": "Mock Out Of Stock", "country_code": "US", "denomination": "10 USD"}}
			}))
		}, "/v5/orders", crReason},
		{"Payscrypt", func() (int, []byte) {
			return h.raw("POST", "/apis/pg/create_order", obj{"asset_name": "ETH"}, map[string]string{"apikey": "test-apikey"})
		}, "/apis/pg/create_order", message},
	}
	type journal struct {
		Entries []struct {
			Path    string `json:"path"`
			Status  int    `json:"status"`
			Refusal string `json:"refusal"`
		} `json:"entries"`
	}
	for _, c := range cases {
		status, b := c.send()
		want := c.reason(b)
		if status < 400 || want == "" {
			t.Fatalf("%s: %d %s, want a refusal with a reason", c.name, status, b)
		}
		_, jb := h.admin("GET", "/__mock/journal?refused=true&limit=1", nil)
		j := decode[journal](t, jb)
		if len(j.Entries) != 1 || j.Entries[0].Path != c.path || j.Entries[0].Refusal != want {
			t.Errorf("%s: journal %+v, want refusal %q", c.name, j.Entries, want)
		}
	}
}
