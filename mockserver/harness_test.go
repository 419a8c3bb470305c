package mockserver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/mockserver/mocktest"
	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/openapi/conformance"
)

var partnerSeq atomic.Int64

// harness is a mock listening on a loopback port, and a client whose every exchange is
// validated against the specs (a violation fails the test).
type harness struct {
	t       testing.TB
	srv     *mockserver.Server
	url     string
	client  *http.Client
	check   *conformance.Checker
	partner string
}

func start(t testing.TB, mutate ...func(*mockserver.Config)) *harness {
	t.Helper()
	srv := mocktest.Start(t, mutate...)
	check, err := conformance.New(openapi.Cryptorefills, openapi.Payscrypt, openapi.MockAdmin)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, url: srv.URL(), check: check, partner: "partner-" + strconv.FormatInt(partnerSeq.Add(1), 10)}
	h.client = &http.Client{Timeout: 30 * time.Second, Transport: &conformance.Transport{Checker: check, Report: func(err error) {
		if !errors.Is(err, conformance.ErrNoOperation) { // deliberate probes of unknown paths
			t.Errorf("spec violation: %v", err)
		}
	}}}
	return h
}

// req sends a Cryptorefills request with the partner headers (unless hdr overrides them).
func (h *harness) req(method, path string, body any, hdr ...string) (int, []byte) {
	h.t.Helper()
	headers := map[string]string{"X-Cr-Application": h.partner, "X-Cr-Version": "1.0"}
	for i := 0; i+1 < len(hdr); i += 2 {
		headers[hdr[i]] = hdr[i+1]
	}
	return h.raw(method, path, body, headers)
}

func (h *harness) raw(method, path string, body any, headers map[string]string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	r, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	resp, err := h.client.Do(r)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// admin calls the control API.
func (h *harness) admin(method, path string, body any) (int, []byte) {
	h.t.Helper()
	return h.raw(method, path, body, nil)
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

type obj = map[string]any

// orderBody is a valid order for the documents' example product, with changes applied.
func orderBody(mods ...func(obj)) obj {
	b := obj{
		"email":      "jane@example.com",
		"payment":    obj{"type": "via", "payment_via": "USER_WALLET", "coin": "USDC", "network": "Solana"},
		"deliveries": []any{obj{"beneficiary_account": "jane@example.com", "brand_name": "Airbnb", "country_code": "US", "denomination": "100 USD"}},
		"lang":       "en",
	}
	for _, m := range mods {
		m(b)
	}
	return b
}

func withDelivery(d ...obj) func(obj) {
	return func(b obj) {
		list := make([]any, len(d))
		for i := range d {
			list[i] = d[i]
		}
		b["deliveries"] = list
	}
}

func withPayment(coin, network, via string) func(obj) {
	return func(b obj) {
		p := obj{"type": "via", "payment_via": via, "coin": coin}
		if network != "" {
			p["network"] = network
		}
		b["payment"] = p
	}
}

func withField(k string, v any) func(obj) { return func(b obj) { b[k] = v } }

type validation struct {
	CoinAmount string `json:"coin_amount"`
	Problems   []struct {
		Problem     string         `json:"problem"`
		MoreDetails map[string]any `json:"moreDetails"`
	} `json:"problems"`
}

func (v validation) codes() []string {
	var out []string
	for _, p := range v.Problems {
		out = append(out, p.Problem)
	}
	return out
}

type order struct {
	OrderID       string `json:"order_id"`
	OrderState    string `json:"order_state"`
	PaymentState  string `json:"payment_state"`
	CoinAmount    string `json:"coin_amount"`
	SentAmount    string `json:"sent_coin_amount"`
	WalletAddress string `json:"wallet_address"`
	Network       string `json:"network"`
	Deliveries    []struct {
		DeliveryState string         `json:"delivery_state"`
		Deliverable   map[string]any `json:"deliverable"`
	} `json:"deliveries"`
}

func (h *harness) create(body obj) order {
	h.t.Helper()
	status, b := h.req("POST", "/v5/orders", body)
	if status != http.StatusCreated {
		h.t.Fatalf("create: %d %s", status, b)
	}
	return decode[order](h.t, b)
}

func (h *harness) getOrder(id string) order {
	h.t.Helper()
	status, b := h.req("GET", "/v5/orders/"+id, nil)
	if status != http.StatusOK {
		h.t.Fatalf("get order: %d %s", status, b)
	}
	return decode[order](h.t, b)
}

func (h *harness) pay(id, amount string) {
	h.t.Helper()
	var body any
	if amount != "" {
		body = obj{"coin_amount": amount}
	}
	if status, b := h.admin("POST", "/__mock/cryptorefills/orders/"+id+"/payments", body); status != http.StatusOK {
		h.t.Fatalf("pay: %d %s", status, b)
	}
}

func (h *harness) advance(seconds float64) {
	h.t.Helper()
	if status, b := h.admin("POST", "/__mock/clock/advance", obj{"seconds": seconds}); status != http.StatusOK {
		h.t.Fatalf("advance: %d %s", status, b)
	}
}
