package mockserver_test

import (
	"strings"
	"testing"
)

// TestEveryValidationRuleFires: each kind of rule the spec states still refuses a request
// through the mock's validation path (memo, one query parse, set-lookup enums), in body,
// query and header, with the field and the rule named in the upstream's error shape.
func TestEveryValidationRuleFires(t *testing.T) {
	h := start(t)
	order := func(delivery string) obj {
		return decode[obj](t, []byte(`{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[`+delivery+`]}`))
	}
	good := `{"beneficiary_account":"jane@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100"}`
	if status, b := h.req("POST", "/v5/orders/validations", order(good)); status != 200 {
		t.Fatalf("the good body is refused: %d %.300s", status, b)
	}
	cases := []struct {
		rule, method, path string
		body               obj
		hdr                []string
		want               []string // substrings of the refusal
	}{
		{"enum (long, body)", "POST", "/v5/orders/validations", order(strings.Replace(good, `"US"`, `"ZZ"`, 1)), nil,
			[]string{"country_code", "ZZ", "not one of the 233 allowed values"}},
		{"enum (long, query)", "GET", "/v2/brands?country_code=ZZ", nil, nil,
			[]string{"country_code", "not one of the 233 allowed values"}},
		{"enum (long, a value in the wrong case)", "GET", "/v2/brands?country_code=us", nil, nil,
			[]string{"country_code", "value us is not one of the 233 allowed values (US is: they are case-sensitive)"}},
		{"enum (long, header)", "GET", "/v3/payment_vias", nil, []string{"X-Country-ISO-Code", "ZZ"},
			[]string{"X-Country-ISO-Code", "not one of the 233 allowed values"}},
		{"enum (short, body)", "POST", "/v5/orders/validations", decode[obj](t, []byte(`{"email":"jane@example.com","payment":{"type":"nope","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[`+good+`]}`)), nil,
			[]string{"/payment/type", "allowed values"}},
		{"pattern (body)", "POST", "/v5/orders/validations", decode[obj](t, []byte(`{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"US$C"},"deliveries":[`+good+`]}`)), nil,
			[]string{"/payment/coin", "regular expression"}},
		{"pattern (path)", "GET", "/v5/orders/not!an!id", nil, nil,
			[]string{"orderId", "regular expression"}},
		{"type", "POST", "/v5/orders/validations", order(strings.Replace(good, `"US"`, `840`, 1)), nil,
			[]string{"country_code", "string"}},
		{"required", "POST", "/v5/orders/validations", order(`{"beneficiary_account":"jane@example.com","country_code":"US","denomination":"100"}`), nil,
			[]string{"brand_name"}},
		{"case-variant key", "POST", "/v5/orders/validations", order(strings.Replace(good, `"brand_name"`, `"Brand_Name"`, 1)), nil,
			[]string{"Brand_Name"}},
		// Cryptorefills tolerates unknown keys (the upstream does); the control API does not.
		{"additionalProperties", "POST", "/__mock/clock/advance", obj{"seconds": 1, "surprise": 1}, nil,
			[]string{"surprise"}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			for try := range 2 { // the second time after a memoized success of the same route
				var status int
				var b []byte
				if strings.HasPrefix(c.path, "/__mock/") {
					status, b = h.admin(c.method, c.path, c.body)
				} else {
					status, b = h.req(c.method, c.path, c.body, c.hdr...)
				}
				if status != 400 {
					t.Fatalf("try %d: %d %.300s", try, status, b)
				}
				for _, w := range c.want {
					if !strings.Contains(string(b), w) {
						t.Errorf("refusal does not say %q: %.400s", w, b)
					}
				}
			}
		})
	}
}
