package mockserver_test

import (
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	crgen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/openapi"
)

var curlRE = regexp.MustCompile(`(?s)curl -X (GET|POST) '([^']+)'((?:\s*\\?\s*-H '[^']+')*)(?:\s*\\?\s*-d '([^']*)')?`)
var headerRE = regexp.MustCompile(`-H '([^:]+):\s*([^']*)'`)

// TestDocumentsCurlExamples runs every curl command of every language version of the
// documents against the mock, host swapped and placeholders filled as a newcomer would, and
// expects success and spec-conformant answers. The order the polling example fetches is the
// one the creation example made.
func TestDocumentsCurlExamples(t *testing.T) {
	h := start(t)
	for _, name := range []string{"cryptorefills-it.txt", "cryptorefills-zh.txt", "cryptorefills-ko.txt", "cryptorefills-hi.txt"} {
		t.Run(name, func(t *testing.T) {
			text, err := openapi.Source(name)
			if err != nil {
				t.Fatal(err)
			}
			matches := curlRE.FindAllStringSubmatch(string(text), -1)
			if len(matches) != 8 {
				t.Fatalf("%d curl examples, want 8", len(matches))
			}
			lastOrder := ""
			for _, m := range matches {
				path := strings.TrimPrefix(m[2], "https://api.cryptorefills.com")
				if lastOrder != "" {
					path = strings.Replace(path, "ord_abc123xyz", lastOrder, 1)
				}
				headers := map[string]string{}
				for _, hm := range headerRE.FindAllStringSubmatch(m[3], -1) {
					headers[hm[1]] = strings.NewReplacer("YOUR_PARTNER_ID", h.partner, "YOUR_APP_VERSION", "1.0.0").Replace(hm[2])
				}
				var body any
				if m[4] != "" {
					body = strings.ReplaceAll(m[4], "END_USER_EMAIL", "jane@example.com")
				}
				status, out := h.raw(m[1], path, body, headers)
				if status/100 != 2 {
					t.Errorf("%s %s: %d %s", m[1], path, status, out)
					continue
				}
				if strings.HasSuffix(path, "/validations") {
					if v := decode[validation](t, out); len(v.Problems) > 0 || v.CoinAmount != "101.48" {
						t.Errorf("documents' validation: problems %v, coin_amount %s (want none, 101.48)", v.codes(), v.CoinAmount)
					}
				}
				if path == "/v5/orders" {
					o := decode[order](t, out)
					if o.WalletAddress == "" || o.CoinAmount != "101.48" || o.OrderState != "WaitingForPayment" {
						t.Errorf("created order: %+v", o)
					}
					lastOrder = o.OrderID
				}
			}
			if lastOrder == "" {
				t.Error("no order was created by the documents' example")
			}
		})
	}
}

func TestCatalogueEndpoints(t *testing.T) {
	h := start(t)
	cases := []struct {
		name, path string
		status     int
		contains   string
	}{
		{"payment vias", "/v3/payment_vias", 200, `"name":"USER_WALLET"`},
		{"currencies", "/v3/currencies", 200, `"name":"DOGE"`},
		{"brands", "/v2/brands?country_code=US", 200, `"brand":"Amazon.com"`},
		{"brands of Brazil", "/v2/brands?country_code=BR", 200, `"brand":"Claro Credits"`},
		{"homepage", "/v2/homepage?country_code=US", 200, `"sections"`},
		{"products", "/v5/products/country/US?family_name=airbnb&coin=USDC&lang=en", 200, `"denomination":"100 USD"`},
		{"products of a family with two brands", "/v5/products/country/US?family_name=Lycamobile", 200, `"brand":"Lycamobile Bundle"`},
		{"products in BTC", "/v5/products/country/US?family_name=Steam&coin=BTC", 200, `"payment_method":"BTC"`},
		{"search", "/v2/search/US?q=steam", 200, `"brand":"Steam"`},
		{"price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC", 200, `"coin_amount":"101.48"`},
		{"price of a range product", "/v4/products/price?brand_name=Amazon.com&country_code=US&face_value=50&coin=USDC", 200, `"is_dynamic":true`},
		{"countries", "/api/available-countries", 200, `{"code":"AX","name":"Åland Islands"}`},
		{"products without family_name", "/v5/products/country/US", 400, `family_name`},
		{"unknown country", "/v2/brands?country_code=ZZ", 400, `country_code`},
		{"lower-case country", "/v5/products/country/us?family_name=Steam", 400, `countryCode`},
		{"bad face value", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=lots&coin=USDC", 400, `face_value`},
		{"unknown brand price", "/v4/products/price?brand_name=airbnb&country_code=US&face_value=100&coin=USDC", 404, `case-sensitive`},
		{"face value not sold", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=7&coin=USDC", 404, `7 USD`},
		{"unknown coin", "/v5/products/country/US?family_name=Steam&coin=XYZ", 400, `XYZ`},
		{"unknown order", "/v5/orders/ord_abc123xyz", 404, `"detail":"NOT_FOUND"`},
		{"unknown path", "/v9/nothing", 404, `"status":404`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: the second answer may come from the response cache, which must keep
			// 200s only and give back exactly what was built.
			for i := 0; i < 2; i++ {
				status, body := h.req("GET", tc.path, nil)
				if status != tc.status || !strings.Contains(string(body), tc.contains) {
					t.Errorf("GET %s (call %d): %d %.300s, want %d containing %s", tc.path, i+1, status, body, tc.status, tc.contains)
				}
			}
		})
	}
}

func TestRequiredHeaders(t *testing.T) {
	h := start(t)
	for _, header := range []string{"X-Cr-Application", "X-Cr-Version"} {
		status, body := h.req("GET", "/v3/payment_vias", nil, header, "")
		if status != 400 || !strings.Contains(string(body), header) {
			t.Errorf("without %s: %d %s", header, status, body)
		}
	}
	lenient := start(t, func(c *mockserver.Config) { c.Cryptorefills.LenientHeaders = true })
	if status, body := lenient.raw("GET", "/v3/payment_vias", nil, nil); status != 200 {
		t.Errorf("lenient mode without headers: %d %s", status, body)
	}
}

func TestDeterministicCatalogue(t *testing.T) {
	a, b := start(t), start(t)
	c := start(t, func(c *mockserver.Config) { c.Seed = 99 })
	for _, path := range []string{"/v2/brands?country_code=FR", "/v5/products/country/JP?family_name=Steam", "/v2/homepage?country_code=KE"} {
		_, ba := a.req("GET", path, nil)
		_, bb := b.req("GET", path, nil)
		_, bc := c.req("GET", path, nil)
		if string(ba) != string(bb) {
			t.Errorf("%s differs between two mocks with the same seed", path)
		}
		if path == "/v2/brands?country_code=FR" && string(ba) == string(bc) {
			t.Errorf("%s is the same for seeds 1 and 99", path)
		}
	}
}

// TestProblemTriggers reaches every problem code of the documents, and the suspensions,
// through the public API alone (the README's trigger table).
func TestProblemTriggers(t *testing.T) {
	h := start(t)
	d := func(brand, denom string, extra ...any) obj {
		o := obj{"beneficiary_account": "jane@example.com", "brand_name": brand, "country_code": "US", "denomination": denom}
		for i := 0; i+1 < len(extra); i += 2 {
			o[extra[i].(string)] = extra[i+1]
		}
		return o
	}
	many := func(n int, item obj) []obj {
		out := make([]obj, n)
		for i := range out {
			out[i] = item
		}
		return out
	}
	cases := []struct {
		code string
		body obj
	}{
		{"AMOUNT_LESS_THEN_MINIMUM_ALLOWED", orderBody(withDelivery(d("Mock Micro", "0.5 USD")))},
		{"MAXIMUM_AMOUNT_PER_ORDER_EXCEEDED", orderBody(withDelivery(obj{"kind": "giftcard", "quantity": 5, "deliverable": obj{"brand_name": "Airbnb", "country_code": "US", "denomination": "500"}}))},
		{"DAILY_SPENDING_LIMIT_EXCEEDED", orderBody(withField("email", "jane+daily_spending_limit_exceeded@example.com"))},
		{"MONTHLY_SPENDING_LIMIT_EXCEEDED", orderBody(withField("email", "jane+monthly_spending_limit_exceeded@example.com"))},
		{"PRODUCT_COUNT_EXCEEDED", orderBody(withDelivery(many(11, d("Steam", "10 USD"))...))},
		{"MULTIPLE_LIMITED_PRODUCT_SAME_ORDER", orderBody(withDelivery(d("Mock Limited", "10 USD"), d("Mock Limited", "25 USD")))},
		{"NOT_AVAILABLE_PRODUCT", orderBody(withDelivery(d("No Such Brand", "10 USD")))},
		{"OUT_OF_STOCK", orderBody(withDelivery(d("Mock Out Of Stock", "10 USD")))},
		{"NOT_ACTIVE", orderBody(withDelivery(d("Mock Inactive", "10 USD")))},
		{"INVALID_BENEFICIARY_ACCOUNT", orderBody(withDelivery(d("Airbnb", "100 USD", "beneficiary_account", "not-an-email")))},
		{"NOT_ALLOWED_PAYMENT_VIA", orderBody(withPayment("USDC", "Solana", "GATE_PAY"))},
		{"UNSUPPORTED_PROTOCOL_COIN_COMBINATION", orderBody(withPayment("USDC", "Tron", "USER_WALLET"))},
		{"LOGIN_REQUIRED", orderBody(withDelivery(d("Rewarble VISA", "range", "product_value", 50)))},
		{"COUPON_REQUIRES_LOGIN", orderBody(withField("promo_code", "MOCK-MEMBERS"))},
		{"COUPON_NOT_FOUND", orderBody(withField("promo_code", "NO-SUCH-CODE"))},
		{"COUPON_NOT_ACTIVE", orderBody(withField("promo_code", "MOCK-NOTACTIVE"))},
		{"COUPON_ALREADY_SPENT", orderBody(withField("promo_code", "MOCK-SPENT"))},
		{"COUPON_MAX_USAGE_REACHED", orderBody(withField("promo_code", "MOCK-MAXUSED"))},
		{"COUPON_EXPIRED", orderBody(withField("promo_code", "mock-expired"))},
		{"COUPON_BELOW_MIN_AMOUNT", orderBody(withField("promo_code", "MOCK-MIN100"), withDelivery(d("Steam", "10 USD")))},
		{"COUPON_NOT_VALID_FOR_USER", orderBody(withField("promo_code", "MOCK-VIPONLY"))},
		{"COUPON_NOT_VALID_FOR_CATEGORY", orderBody(withField("promo_code", "MOCK-GAMES"))},
		{"COUPON_NOT_VALID_FOR_KIND", orderBody(withField("promo_code", "MOCK-TOPUP"))},
		{"COUPON_NOT_VALID_FOR_BRAND", orderBody(withField("promo_code", "MOCK-STEAM"))},
		{"COUPON_NOT_VALID_FOR_COUNTRY", orderBody(withField("promo_code", "MOCK-BR"))},
		{"COUPON_NOT_VALID_FOR_STORE", orderBody(withField("promo_code", "MOCK-APPSTORE"))},
		// Reference codes (lower confidence).
		{"KYC_MISSING", orderBody(withField("email", "jane+kyc_missing@example.com"))},
		{"FULLNAME_MISSING", orderBody(withPayment("USDT", "Tron", "USER_WALLET"))},
		{"INVALID_EMAIL_DOMAIN", orderBody(withField("email", "jane@mail.invalid"))},
		{"AMOUNT_TOO_LOW", orderBody(withDelivery(d("Amazon.com", "range", "product_value", 1)))},
		{"AMOUNT_TOO_HIGH", orderBody(withDelivery(d("Amazon.com", "range", "product_value", "900")))},
		{"INVALID_PRODUCT_VALUE", orderBody(withDelivery(d("Amazon.com", "range", "product_value", 10.5)))},
	}
	documented := 0
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			status, body := h.req("POST", "/v5/orders/validations", tc.body)
			if status != 200 {
				t.Fatalf("validation: %d %s", status, body)
			}
			v := decode[validation](t, body)
			if !slices.Contains(v.codes(), tc.code) {
				t.Fatalf("problems %v, want %s", v.codes(), tc.code)
			}
			// Creation applies the same checks and creates nothing.
			status, body = h.req("POST", "/v5/orders", tc.body)
			if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), tc.code) {
				t.Errorf("creation: %d %.300s, want 422 with %s", status, body, tc.code)
			}
		})
		documented++
	}
	if documented < 26 {
		t.Fatalf("only %d triggers", documented)
	}
	if _, b := h.admin("GET", "/__mock/cryptorefills/orders?partner="+h.partner, nil); strings.Contains(string(b), "order_id") {
		t.Errorf("an order with problems was created: %s", b)
	}
	// A valid order has no problems, and problems is null.
	status, body := h.req("POST", "/v5/orders/validations", orderBody())
	if status != 200 || !strings.Contains(string(body), `"problems":null`) {
		t.Errorf("valid order: %d %s", status, body)
	}
}

func TestSeveralProblemsAtOnce(t *testing.T) {
	h := start(t)
	body := orderBody(withField("promo_code", "MOCK-EXPIRED"), withDelivery(
		obj{"beneficiary_account": "nope", "brand_name": "Mock Out Of Stock", "country_code": "US", "denomination": "10 USD"}))
	_, b := h.req("POST", "/v5/orders/validations", body)
	got := decode[validation](t, b).codes()
	for _, want := range []string{"COUPON_EXPIRED", "OUT_OF_STOCK", "INVALID_BENEFICIARY_ACCOUNT"} {
		if !slices.Contains(got, want) {
			t.Errorf("problems %v lack %s", got, want)
		}
	}
}

func TestSuspensions(t *testing.T) {
	h := start(t)
	for code, body := range map[string]obj{
		"SUSPENDED_COIN":    orderBody(withPayment("DOGE", "", "USER_WALLET")),
		"SUSPENDED_NETWORK": orderBody(withPayment("TRX", "Tron", "USER_WALLET")),
	} {
		for _, path := range []string{"/v5/orders/validations", "/v5/orders"} {
			status, b := h.req("POST", path, body)
			var e struct {
				Status      int            `json:"status"`
				Detail      string         `json:"detail"`
				MoreDetails map[string]any `json:"moreDetails"`
			}
			_ = json.Unmarshal(b, &e)
			if status != 400 || e.Status != 400 || e.Detail != code || e.MoreDetails["reason"] == nil {
				t.Errorf("%s %s: %d %s", code, path, status, b)
			}
		}
	}
	// Suspensions are configurable.
	open := start(t, func(c *mockserver.Config) { c.Cryptorefills.SuspendedCoins = nil })
	if _, b := open.req("POST", "/v5/orders/validations", orderBody(withPayment("DOGE", "", "USER_WALLET"))); strings.Contains(string(b), "SUSPENDED_COIN") {
		t.Errorf("DOGE still suspended: %s", b)
	}
}

// TestArmedProblems reaches every problem code of the documents through the control API.
func TestArmedProblems(t *testing.T) {
	h := start(t)
	codes := []string{"AMOUNT_LESS_THEN_MINIMUM_ALLOWED", "MAXIMUM_AMOUNT_PER_ORDER_EXCEEDED", "DAILY_SPENDING_LIMIT_EXCEEDED",
		"MONTHLY_SPENDING_LIMIT_EXCEEDED", "PRODUCT_COUNT_EXCEEDED", "MULTIPLE_LIMITED_PRODUCT_SAME_ORDER", "NOT_AVAILABLE_PRODUCT",
		"OUT_OF_STOCK", "NOT_ACTIVE", "INVALID_BENEFICIARY_ACCOUNT", "NOT_ALLOWED_PAYMENT_VIA", "UNSUPPORTED_PROTOCOL_COIN_COMBINATION",
		"LOGIN_REQUIRED", "COUPON_REQUIRES_LOGIN", "COUPON_NOT_FOUND", "COUPON_NOT_ACTIVE", "COUPON_ALREADY_SPENT",
		"COUPON_MAX_USAGE_REACHED", "COUPON_EXPIRED", "COUPON_BELOW_MIN_AMOUNT", "COUPON_NOT_VALID_FOR_USER",
		"COUPON_NOT_VALID_FOR_CATEGORY", "COUPON_NOT_VALID_FOR_KIND", "COUPON_NOT_VALID_FOR_BRAND", "COUPON_NOT_VALID_FOR_COUNTRY",
		"COUPON_NOT_VALID_FOR_STORE"}
	for _, code := range codes {
		if status, b := h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": []string{code}, "count": 2}); status != 201 {
			t.Fatalf("arm %s: %d %s", code, status, b)
		}
		_, b := h.req("POST", "/v5/orders/validations", orderBody())
		if got := decode[validation](t, b).codes(); !slices.Equal(got, []string{code}) {
			t.Errorf("armed %s: validation reported %v", code, got)
		}
		if status, b := h.req("POST", "/v5/orders", orderBody()); status != 422 || !strings.Contains(string(b), code) {
			t.Errorf("armed %s: creation %d %s", code, status, b)
		}
		if _, b := h.req("POST", "/v5/orders/validations", orderBody()); strings.Contains(string(b), code) {
			t.Errorf("%s fired more than count=2 times", code)
		}
	}
	// Several at once, and only for that partner.
	h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": []string{"OUT_OF_STOCK", "KYC_MISSING"}})
	_, b := h.req("POST", "/v5/orders/validations", orderBody(), "X-Cr-Application", "someone-else")
	if strings.Contains(string(b), "OUT_OF_STOCK") {
		t.Error("problems armed for one partner fired for another")
	}
	_, b = h.req("POST", "/v5/orders/validations", orderBody())
	if got := decode[validation](t, b).codes(); len(got) != 2 {
		t.Errorf("armed two problems, got %v", got)
	}
	if status, _ := h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": []string{"NOT_A_CODE"}}); status != 400 {
		t.Errorf("unknown code armed: %d", status)
	}
}

func TestBadOrderRequests(t *testing.T) {
	h := start(t)
	cases := map[string]any{
		"not JSON":               `{"deliveries": [`,
		"no deliveries":          obj{"email": "a@example.com", "payment": obj{"type": "via", "payment_via": "USER_WALLET", "coin": "USDC"}},
		"empty deliveries":       orderBody(withField("deliveries", []any{})),
		"delivery naming none":   orderBody(withDelivery(obj{"beneficiary_account": "a@example.com"})),
		"wrong type":             orderBody(withField("payment", "USDC")),
		"payment type not via":   orderBody(withField("payment", obj{"type": "card", "payment_via": "USER_WALLET", "coin": "USDC"})),
		"quantity zero":          orderBody(withDelivery(obj{"kind": "giftcard", "quantity": 0, "deliverable": obj{"brand_name": "Airbnb", "country_code": "US", "denomination": "100"}})),
		"no email":               orderBody(withField("email", "")),
		"array body":             `[]`,
		"bad country in product": orderBody(withDelivery(obj{"brand_name": "Airbnb", "country_code": "XX", "denomination": "100"})),
		// Keys in another case escape the schema (Go's decoder matches them anyway): found by
		// FuzzCryptorefillsBody, where the first one panicked.
		"country key in another case":       orderBody(withDelivery(obj{"brand_name": "Airbnb", "CountrY_Code": "00", "denomination": "100"})),
		"huge quantity key in another case": orderBody(withDelivery(obj{"Quantity": 1000000000, "deliverable": obj{"brand_name": "Airbnb", "country_code": "US", "denomination": "100"}})),
	}
	for name, body := range cases {
		for _, path := range []string{"/v5/orders/validations", "/v5/orders"} {
			status, b := h.req("POST", path, body)
			var e struct {
				Status      int            `json:"status"`
				Detail      string         `json:"detail"`
				MoreDetails map[string]any `json:"moreDetails"`
			}
			if err := json.Unmarshal(b, &e); err != nil || status != 400 || e.Status != 400 || e.MoreDetails["reason"] == "" {
				t.Errorf("%s on %s: %d %s", name, path, status, b)
			}
		}
	}
	// Keys that differ from a declared field only in case are refused by the validator for
	// every operation, with the field meant (Go's decoder would otherwise match them unvalidated).
	for path, key := range map[string]string{"/v5/orders/validations": "CountrY_Code", "/v5/orders": "Quantity"} {
		body := orderBody(withDelivery(obj{key: "00", "brand_name": "Airbnb", "country_code": "US", "denomination": "100 USD"}))
		status, b := h.req("POST", path, body)
		if status != 400 || !strings.Contains(string(b), "did you mean") {
			t.Errorf("%s with key %s: %d %s", path, key, status, b)
		}
	}
	if status, b := h.req("POST", "/v5/orders", `{}`, "Content-Type", "text/plain"); status != 400 {
		t.Errorf("wrong content type: %d %s", status, b)
	}
}

// TestSpendingLimitHoldsUnderConcurrency: 32 connections create 100 USD orders for one user
// at once; the 5,000 USD daily limit admits exactly 50, as it does one at a time. (Checking
// the limit and storing the order were two steps: six trials gave 50 to 53.)
func TestSpendingLimitHoldsUnderConcurrency(t *testing.T) {
	h := start(t)
	body := mustJSON(orderBody(withField("email", "spender@example.com")))
	var created, refused atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 30 * time.Second}
	for c := 0; c < 32; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				req, _ := http.NewRequest("POST", h.url+"/v5/orders", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Cr-Application", h.partner)
				req.Header.Set("X-Cr-Version", "1.0")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusCreated:
					created.Add(1)
				case resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(string(b), "DAILY_SPENDING_LIMIT_EXCEEDED"):
					refused.Add(1)
				default:
					t.Errorf("%d %s", resp.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections() // connections dialled in a race and never used would hold the shutdown
	if created.Load() != 50 || refused.Load() != 128-50 {
		t.Fatalf("%d orders created and %d refused, want exactly 50 under the 5,000 USD daily limit", created.Load(), refused.Load())
	}
}

// TestUnknownLanguageFallsBack: a language the documents do not list is answered (in
// English), never refused (vendor documents; issue #12).
func TestUnknownLanguageFallsBack(t *testing.T) {
	h := start(t)
	for _, lang := range []string{"ko", "hi", "pl", "pt-BR", "en", "klingon", ""} {
		if status, b := h.req("GET", "/v5/products/country/US?family_name=airbnb&coin=USDC&lang="+lang, nil); status != 200 {
			t.Errorf("lang=%s: %d %s", lang, status, b)
		}
	}
	if status, _ := h.req("GET", "/v5/products/country/US?family_name=airbnb&lang="+strings.Repeat("x", 36), nil); status != 400 {
		t.Errorf("a 36-character lang (longer than any language tag): %d", status)
	}
}

// TestRateLimitFaultSendsRetryAfter: a 429 carries Retry-After, as the spec declares and
// clients honour.
func TestRateLimitFaultSendsRetryAfter(t *testing.T) {
	h := start(t)
	if status, b := h.admin("POST", "/__mock/faults", obj{"kind": "status", "status": 429, "operation": "listPaymentVias"}); status != 201 {
		t.Fatalf("arm: %d %s", status, b)
	}
	status, hdr, b := call{method: "GET", url: h.url + "/v3/payment_vias", headers: map[string]string{"X-Cr-Application": h.partner, "X-Cr-Version": "1"}}.do(t)
	if status != 429 || hdr.Get("Retry-After") != "1" || !strings.Contains(b, "TOO_MANY_REQUESTS") {
		t.Fatalf("429 fault: %d Retry-After %q %s", status, hdr.Get("Retry-After"), b)
	}
}

// TestProductCountIsAProblemNotAMalformedRequest: 11 products in one delivery are reported as
// the documented PRODUCT_COUNT_EXCEEDED, as 6+5 over two deliveries are; and GET on the
// validations path says to POST instead of looking for an order named "validations".
func TestProductCountIsAProblemNotAMalformedRequest(t *testing.T) {
	h := start(t)
	one := obj{"beneficiary_account": "jane@example.com", "brand_name": "Airbnb", "country_code": "US", "denomination": "100 USD"}
	with := func(q int) obj {
		d := maps.Clone(one)
		d["quantity"] = q
		return d
	}
	for name, body := range map[string]obj{
		"quantity 11":    orderBody(withDelivery(with(11))),
		"6+5 deliveries": orderBody(withDelivery(with(6), with(5))),
	} {
		status, b := h.req("POST", "/v5/orders/validations", body)
		if v := decode[validation](t, b); status != 200 || !slices.Contains(v.codes(), "PRODUCT_COUNT_EXCEEDED") {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
	if status, b := h.req("POST", "/v5/orders/validations", orderBody(withDelivery(with(1001)))); status != 400 {
		t.Errorf("quantity 1001 (malformed): %d %s", status, b)
	}
	status, hdr, b := call{method: "GET", url: h.url + "/v5/orders/validations", headers: map[string]string{"X-Cr-Application": h.partner, "X-Cr-Version": "1"}}.do(t)
	if status != 405 || hdr.Get("Allow") != "POST" || !strings.Contains(b, "POST /v5/orders/validations") {
		t.Fatalf("GET /v5/orders/validations: %d %v %s", status, hdr.Get("Allow"), b)
	}
}

// TestLiveFieldsPresent: the validation answer carries coupon_code and loyalty_summary as null
// (live capture), and range products carry their points.
func TestLiveFieldsPresent(t *testing.T) {
	h := start(t)
	_, b := h.req("POST", "/v5/orders/validations", orderBody())
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	for _, k := range []string{"coupon_code", "loyalty_summary"} {
		if val, ok := v[k]; !ok || val != nil {
			t.Errorf("%s: present %v, value %v; want present as null", k, ok, val)
		}
	}
	_, b = h.req("GET", "/v5/products/country/US?family_name=Amazon.com&coin=USDC", nil)
	var fams []struct {
		Products []struct {
			IsDynamic bool   `json:"is_dynamic"`
			Points    string `json:"points"`
		}
	}
	_ = json.Unmarshal(b, &fams)
	ranges := 0
	for _, f := range fams {
		for _, p := range f.Products {
			if p.IsDynamic {
				ranges++
				if p.Points == "" {
					t.Errorf("a range product without points: %s", b)
				}
			}
		}
	}
	if ranges == 0 {
		t.Fatalf("no range product for Amazon.com in the US: %s", b)
	}
}

// TestAirbnbIsFixedAndRange: in the US Airbnb offers the documents' fixed 100 USD and the
// flexible 50-500 product observed live; both can be validated.
func TestAirbnbIsFixedAndRange(t *testing.T) {
	h := start(t)
	for name, d := range map[string]obj{
		"fixed 100": {"beneficiary_account": "jane@example.com", "brand_name": "Airbnb", "country_code": "US", "denomination": "100 USD"},
		"range 75":  {"beneficiary_account": "jane@example.com", "brand_name": "Airbnb", "country_code": "US", "denomination": "range", "product_value": 75},
	} {
		status, b := h.req("POST", "/v5/orders/validations", orderBody(withDelivery(d)))
		if v := decode[validation](t, b); status != 200 || len(v.Problems) > 0 {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
	status, b := h.req("POST", "/v5/orders/validations", orderBody(withDelivery(obj{"beneficiary_account": "jane@example.com",
		"brand_name": "Airbnb", "country_code": "US", "denomination": "range", "product_value": 40})))
	if v := decode[validation](t, b); status != 200 || !slices.Contains(v.codes(), "AMOUNT_TOO_LOW") {
		t.Errorf("range 40 (below 50): %d %s", status, b)
	}
}

// TestEveryVendorCoinAndChannel: the five channels the vendor documents are listed, and every
// one of the 18 coins it reports active, dotted ones included, can be ordered (or is
// suspended by default), with an address that fits its network.
func TestEveryVendorCoinAndChannel(t *testing.T) {
	h := start(t)
	_, b := h.req("GET", "/v3/payment_vias", nil)
	var vias []struct {
		Name       string
		Available  bool
		Currencies []struct {
			Name        string
			IsSuspended bool `json:"is_suspended"`
			Networks    []struct{ Name string }
		}
	}
	if err := json.Unmarshal(b, &vias); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vias {
		names = append(names, v.Name)
	}
	if want := []string{"USER_WALLET", "GATE_PAY", "GATE_PAY_WEB", "KUCOIN_PAY", "BUYDL"}; !slices.Equal(names, want) {
		t.Fatalf("channels %v, want %v", names, want)
	}
	coins := map[string]bool{}
	addr := map[string]*regexp.Regexp{
		"TON": regexp.MustCompile(`^[A-Za-z0-9_-]{48}$`), "Sui": regexp.MustCompile(`^0x[0-9a-f]{64}$`),
		"Avalanche C-Chain": regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`), "ETH Mainnet": regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`),
	}
	for _, c := range vias[0].Currencies {
		coins[c.Name] = true
		if c.IsSuspended || c.Name == "TRX" { // suspended by default: DOGE, and TRX on Tron
			continue
		}
		network := c.Networks[0].Name
		status, b := h.req("POST", "/v5/orders", orderBody(withPayment(c.Name, network, "USER_WALLET"),
			withField("email", strings.ToLower(strings.ReplaceAll(c.Name, ".", ""))+"@example.com")))
		if status != http.StatusCreated {
			t.Errorf("%s on %s: %d %s", c.Name, network, status, b)
			continue
		}
		o := decode[order](t, b)
		if re := addr[network]; re != nil && !re.MatchString(o.WalletAddress) {
			t.Errorf("%s on %s: address %q", c.Name, network, o.WalletAddress)
		}
	}
	for _, c := range []string{"BTC", "USDC", "USDT", "ETH", "LTC", "SOL", "TON", "TRX", "SUI", "USDE", "FDUSD", "USDT.e", "USDC.e", "DOGE", "DAI", "EUROC", "WLD", "PYUSD"} {
		if !coins[c] {
			t.Errorf("coin %s is not listed", c)
		}
	}
	status, b := h.req("POST", "/v5/orders/validations", orderBody(withPayment("USDC", "Solana", "GATE_PAY")))
	if v := decode[validation](t, b); status != 200 || !slices.Contains(v.codes(), "NOT_ALLOWED_PAYMENT_VIA") {
		t.Errorf("GATE_PAY: %d %s", status, b)
	}
}

// TestCountryListThroughTheGeneratedClient: the country list lives on another host; a
// generated client made for that host (openapi.CountriesServer live, the mock's base URL
// here) reaches it.
func TestCountryListThroughTheGeneratedClient(t *testing.T) {
	h := start(t)
	countries, err := crgen.NewClientWithResponses(h.url, crgen.WithHTTPClient(h.client))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := countries.ListAvailableCountriesWithResponse(t.Context())
	if err != nil || resp.JSON200 == nil || len(*resp.JSON200) != 233 {
		t.Fatalf("country list: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
}

// TestProblemDetailsFollowTheirSchemas: every problem code, armed through the control API or
// raised by a request, carries the moreDetails the spec gives its code (ProblemCode's
// x-more-details): the allowed kinds, the supported pairs, the limits.
func TestProblemDetailsFollowTheirSchemas(t *testing.T) {
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	codes := doc.Components.Schemas["ProblemCode"].Value
	mapping, _ := codes.Extensions["x-more-details"].(map[string]any)
	if len(mapping) < 2 {
		t.Fatalf("x-more-details names %d codes", len(mapping))
	}
	schemaOf := func(code string) *openapi3.Schema {
		name := "ProblemDetails"
		if ref, ok := mapping[code].(string); ok {
			name = strings.TrimPrefix(ref, "#/components/schemas/")
		}
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Fatalf("%s: no schema %s", code, name)
		}
		return s.Value
	}
	check := func(what string, b []byte) int {
		t.Helper()
		v := decode[validation](t, b)
		for _, p := range v.Problems {
			var generic any
			raw, _ := json.Marshal(p.MoreDetails)
			_ = json.Unmarshal(raw, &generic)
			if err := schemaOf(p.Problem).VisitJSON(generic); err != nil {
				t.Errorf("%s: %s moreDetails %s break its schema: %v", what, p.Problem, raw, err)
			}
		}
		return len(v.Problems)
	}
	h := start(t)
	var all []string
	for _, c := range codes.Enum {
		all = append(all, c.(string))
	}
	if status, b := h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": all}); status != 201 {
		t.Fatalf("arm: %d %s", status, b)
	}
	_, b := h.req("POST", "/v5/orders/validations", orderBody())
	if n := check("armed", b); n != len(all) {
		t.Fatalf("%d problems answered for %d armed", n, len(all))
	}
	_, b = h.req("POST", "/v5/orders/validations", orderBody(withPayment("USDC", "Tron", "GATE_PAY")))
	if n := check("raised", b); n < 2 {
		t.Fatalf("want NOT_ALLOWED_PAYMENT_VIA and UNSUPPORTED_PROTOCOL_COIN_COMBINATION: %s", b)
	}
}

// TestOrderWebhooks: off by default (third-party evidence only); switched on, every change of
// a partner's order is POSTed as {order_id, status} to its registered URL, a failed delivery
// is retried on the partner's clock, and every attempt is in the delivery log.
func TestOrderWebhooks(t *testing.T) {
	off := start(t)
	if status, b := off.admin("POST", "/__mock/cryptorefills/webhooks", obj{"partner": off.partner, "url": "http://127.0.0.1:9/x"}); status != 400 ||
		!strings.Contains(string(b), "order_webhooks") {
		t.Fatalf("registration with the switch off: %d %s", status, b)
	}

	h := start(t, func(c *mockserver.Config) { c.Cryptorefills.OrderWebhooks = true })
	var mu sync.Mutex
	var got []map[string]string
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails
			return
		}
		got = append(got, body)
	}))
	defer receiver.Close()
	for _, u := range []string{"file:///etc/passwd", h.url + "/__mock/reset"} {
		if status, _ := h.admin("POST", "/__mock/cryptorefills/webhooks", obj{"partner": h.partner, "url": u}); status != 400 {
			t.Errorf("webhook URL %s: %d", u, status)
		}
	}
	if status, b := h.admin("POST", "/__mock/cryptorefills/webhooks", obj{"partner": h.partner, "url": receiver.URL}); status != 201 {
		t.Fatalf("register: %d %s", status, b)
	}
	o := h.create(orderBody())
	statuses := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, b := range got {
			if b["order_id"] != o.OrderID {
				t.Errorf("webhook for another order: %v", b)
			}
			out = append(out, b["status"])
		}
		return out
	}
	h.pay(o.OrderID, "")
	h.advance(10) // delivery; the failed first attempt is retried 10 s later on this partner's clock
	waitUntil(t, "the order's webhooks", func() bool {
		return slices.Contains(statuses(), "Done") && slices.Contains(statuses(), "WaitingForPayment")
	})
	_, b := h.admin("GET", "/__mock/cryptorefills/webhooks/deliveries?order_id="+o.OrderID, nil)
	if !strings.Contains(string(b), `"status":503`) || !strings.Contains(string(b), `"outcome":"delivered"`) {
		t.Fatalf("delivery log: %s", b)
	}
}

// TestMemoizedValidationStillSeesHeaders: a body-less request that passed validation is
// remembered, keyed on everything validation reads; a header the spec constrains is part of
// that key whatever case the client spells it in, so a bad value after a good one is refused.
func TestMemoizedValidationStillSeesHeaders(t *testing.T) {
	h := start(t)
	for range 2 { // the second time from the memo
		if status, b := h.req("GET", "/v3/payment_vias", nil, "x-country-iso-code", "US"); status != 200 {
			t.Fatalf("valid header: %d %.200s", status, b)
		}
	}
	for _, name := range []string{"X-Country-ISO-Code", "x-country-iso-code"} {
		if status, b := h.req("GET", "/v3/payment_vias", nil, name, "ZZ"); status != 400 || !strings.Contains(string(b), "X-Country-ISO-Code") {
			t.Errorf("%s: ZZ after a memoized US: %d %.200s", name, status, b)
		}
	}
}

// TestCreationListsProblemsAsValidation: creation checks the spending limits with the storing
// (one step), not where validation checks them; its 422 must still list the problems exactly
// as validation does, in the same order, whatever else a request has wrong or an email tag or
// the control API adds for the same codes.
func TestCreationListsProblemsAsValidation(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Cryptorefills.Rules.DailyLimitUSD = "150" })
	spender := withField("email", "spender@example.com")
	if status, b := h.req("POST", "/v5/orders", orderBody(spender)); status != 201 { // 100 of the 150 spent
		t.Fatalf("first order: %d %s", status, b)
	}
	arm := func(code string) {
		if status, b := h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": []string{code}, "count": 1}); status != 201 {
			t.Fatalf("arm %s: %d %s", code, status, b)
		}
	}
	problems := func(b []byte) string {
		var v struct{ Problems json.RawMessage }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return string(v.Problems)
	}
	badCoupon := withField("promo_code", "NO-SUCH-CODE")
	for _, c := range []struct {
		name  string
		body  obj
		armed string
		want  []string
	}{
		{"over the limit only", orderBody(spender), "", []string{"DAILY_SPENDING_LIMIT_EXCEEDED"}},
		{"over the limit, and a coupon problem before it", orderBody(spender, badCoupon), "", []string{"COUPON_NOT_FOUND", "DAILY_SPENDING_LIMIT_EXCEEDED"}},
		{"over the limit, and the same code armed", orderBody(spender, badCoupon), "DAILY_SPENDING_LIMIT_EXCEEDED", []string{"COUPON_NOT_FOUND", "DAILY_SPENDING_LIMIT_EXCEEDED"}},
		{"over the limit, and another limit armed", orderBody(spender), "MONTHLY_SPENDING_LIMIT_EXCEEDED", []string{"DAILY_SPENDING_LIMIT_EXCEEDED", "MONTHLY_SPENDING_LIMIT_EXCEEDED"}},
		{"within the limit, the code armed", orderBody(withField("email", "fresh@example.com"), badCoupon), "DAILY_SPENDING_LIMIT_EXCEEDED", []string{"COUPON_NOT_FOUND", "DAILY_SPENDING_LIMIT_EXCEEDED"}},
		{"within the limit, the code by email tag", orderBody(withField("email", "fresh+daily_spending_limit_exceeded@example.com")), "", []string{"DAILY_SPENDING_LIMIT_EXCEEDED"}},
	} {
		if c.armed != "" {
			arm(c.armed)
		}
		status, vb := h.req("POST", "/v5/orders/validations", c.body)
		if status != 200 {
			t.Fatalf("%s: validation %d %s", c.name, status, vb)
		}
		if got := decode[validation](t, vb).codes(); !slices.Equal(got, c.want) {
			t.Errorf("%s: validation listed %v, want %v", c.name, got, c.want)
		}
		if c.armed != "" {
			arm(c.armed)
		}
		status, cb := h.req("POST", "/v5/orders", c.body)
		if status != 422 {
			t.Fatalf("%s: creation %d %s", c.name, status, cb)
		}
		if v, cr := problems(vb), problems(cb); v != cr {
			t.Errorf("%s: creation's problems differ from validation's:\n validation %s\n creation   %s", c.name, v, cr)
		}
	}
}

// TestCreationAnswerFields reads every member of the documents' creation answer over HTTP: each
// points at the value it names (the answer's optional members share one allocation, so a
// crossed index would show here), and those derived from others agree with them.
func TestCreationAnswerFields(t *testing.T) {
	h := start(t)
	body := orderBody(func(b obj) { delete(b, "email"); b["user"] = obj{"email": "Buyer@Example.com"} })
	status, raw := h.req("POST", "/v5/orders", body)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, raw)
	}
	o := decode[obj](t, raw)
	d := o["deliveries"].([]any)[0].(obj)
	del := d["deliverable"].(obj)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	id, wallet, amount := o["order_id"], o["wallet_address"], o["coin_amount"]
	want := map[string]any{
		"coin": "USDC", "network": "Solana", "payment_method": "USDC-SOL", "payment_method_protocol": "SOLANA_LIKE",
		"payment_via": "USER_WALLET", "order_state": "WaitingForPayment", "payment_state": "WalletCreated",
		"sent_coin_amount": "0", "received_amount": "0", "original_price": amount, "original_coin_amount": amount,
		"payment_value": 100.0, "is_payment_processor_external": false, "payment_requested_at": o["created_at"],
		"qr_url":  h.url + "/v3/qrs/" + id.(string),
		"qr_text": "solana:" + wallet.(string) + "?amount=" + amount.(string) + "&spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
		"user":    obj{"email": "Buyer@Example.com"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(o[k], v) {
			t.Errorf("%s: %#v, want %#v", k, o[k], v)
		}
	}
	wantDel := map[string]any{
		"brand_name": "Airbnb", "family": "Airbnb", "country_code": "US", "currency_code": "USD", "delivery_type": "by_email",
		"denomination": "100 USD", "localized_denomination": "$100", "original_price": "100",
		"beneficiary_account": "jane@example.com", "coin_amount": amount,
	}
	for k, v := range wantDel {
		if !reflect.DeepEqual(del[k], v) {
			t.Errorf("deliverable %s: %#v, want %#v", k, del[k], v)
		}
	}
	if d["brand_name"] != "Airbnb" || d["kind"] != "giftcard" || d["delivery_state"] != "WaitingForPayment" {
		t.Errorf("delivery %v", d)
	}
	if p, ok := del["points"].(string); !ok || p == "" {
		t.Errorf("points %#v", del["points"])
	}
	ids := []any{id, o["payment_id"], d["id"]}
	for _, x := range ids {
		if s, _ := x.(string); !uuid.MatchString(s) {
			t.Errorf("id %#v is not a version 4 UUID", x)
		}
	}
	if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Errorf("ids %v are not distinct", ids)
	}
	if c, ok := o["created_at"].(string); !ok || c == "" {
		t.Errorf("created_at %#v", o["created_at"])
	}
}

// TestValidationSummaryDiscount: without a coupon the summary's discount is zero at the coin's
// decimals and the total is the subtotal; with MOCK-10OFF the discount is the subtotal less
// the total, a tenth of it.
func TestValidationSummaryDiscount(t *testing.T) {
	h := start(t)
	summary := func(body obj) map[string]any {
		t.Helper()
		status, b := h.req("POST", "/v5/orders/validations", body)
		if status != http.StatusOK {
			t.Fatalf("validation: %d %s", status, b)
		}
		return decode[obj](t, b)["summary"].(obj)
	}
	plain := summary(orderBody())
	if plain["discount"] != "0.00" || plain["total"] != plain["subtotal"] {
		t.Fatalf("without a coupon: %v", plain)
	}
	off := summary(orderBody(withField("promo_code", "MOCK-10OFF")))
	sub, _ := strconv.ParseFloat(off["subtotal"].(string), 64)
	total, _ := strconv.ParseFloat(off["total"].(string), 64)
	discount, _ := strconv.ParseFloat(off["discount"].(string), 64)
	if off["subtotal"] != plain["subtotal"] || math.Abs(sub-total-discount) > 0.005 || math.Abs(discount-sub/10) > 0.011 {
		t.Fatalf("MOCK-10OFF: %v (without: %v)", off, plain)
	}
}
