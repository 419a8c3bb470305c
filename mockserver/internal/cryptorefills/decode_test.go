package cryptorefills

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
)

var requestSeeds = []string{
	`{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[{"beneficiary_account":"jane@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD","localized_denomination":"$100"}]}`,
	`{"user":{"email":"buyer@example.com","has_accepted_newsletter":true},"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"kind":"giftcard","quantity":2,"deliverable":{"brand_name":"Amazon.com","country_code":"US","denomination":"range","product_value":"25.50","beneficiary_account":"b@example.com"}}],"acquisition":{"utm_source":"x"},"lang":"en","promo_code":"P","refund_wallet_address":"0xabc"}`,
	`{"payment":{"type":"via","payment_via":"USER_WALLET","coin":"BTC"},"deliveries":[{"brand_name":"Amazon.com","country_code":"US","denomination":"range","product_value":50.5},{"brand_name":"Lycamobile","country_code":"GB","denomination":"10 GBP","beneficiary_account":"+447700900123","quantity":1}]}`,
}

// tweaks are edits that reach every branch of the decoder and of encoding/json's rules.
var tweaks = [][2]string{
	{`"email":"jane@example.com"`, `"email":null`}, {`"email":"jane@example.com"`, `"Email":"x"`}, {`"email":"jane@example.com"`, `"email":"a\"b\\u00e9\n"`},
	{`"email":"jane@example.com"`, `"email":"jane@example.com","email":"again"`}, {`"lang":"en"`, `"lang":"\ud83d\ude00"`},
	{`"quantity":2`, `"quantity":2.0`}, {`"quantity":2`, `"quantity":-0`}, {`"quantity":2`, `"quantity":1e2`}, {`"quantity":2`, `"quantity":null`},
	{`"quantity":2`, `"quantity":"2"`}, {`"quantity":2`, `"quantity":99999999999999999999`}, {`"product_value":"25.50"`, `"product_value":null`},
	{`"product_value":"25.50"`, `"product_value":  1e3 `}, {`"product_value":"25.50"`, `"product_value":{"a":[1,2]}`},
	{`"has_accepted_newsletter":true`, `"has_accepted_newsletter":false`}, {`"has_accepted_newsletter":true`, `"has_accepted_newsletter":null`},
	{`"has_accepted_newsletter":true`, `"has_accepted_newsletter":1`}, {`"utm_source":"x"`, `"utm_source":null`}, {`"utm_source":"x"`, `"a":"1","b":"2"`},
	{`"acquisition":{"utm_source":"x"}`, `"acquisition":null`}, {`"acquisition":{"utm_source":"x"}`, `"acquisition":{}`},
	{`"user":{`, `"user":null,"x":{`}, {`"payment":{`, `"payment":null,"y":{`}, {`"deliveries":[`, `"deliveries":[null,`},
	{`"deliveries":[`, `"deliveries":[],"z":[`}, {`"coin":"USDC"`, `"coin":null`}, {`"coin":"USDC"`, `"COIN":"BTC"`}, {`"network":"Solana"`, `"network":null`},
	{`"deliverable":{`, `"deliverable":null,"w":{`}, {`"brand_name":"Amazon.com"`, `"brand_name":null`}, {`"country_code":"US"`, `"country_code":"\u0055S"`},
	{`}`, `} `}, {`}`, `}x`}, {`{`, ` {`}, {`"unknown`, `"unknown`}, {`"lang":"en"`, `"lang":"en","extra":{"deep":[{"a":null},true,false,-1.5e-3,"s"]}`},
	{`"lang":"en"`, `"lang":"\xff"`}, {`"payment"`, `"Payment"`}, {`"deliveries":[`, `"deliveries":{`},
}

// TestOrderRequestDecodesAsEncodingJSON: whenever the decoder takes a body, it decodes what
// encoding/json's decoder (the generated handler's) decodes.
func TestOrderRequestDecodesAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	taken, declined := 0, 0
	for i := range 20000 {
		body := requestSeeds[i%len(requestSeeds)]
		for range rng.IntN(4) {
			tw := tweaks[rng.IntN(len(tweaks))]
			body = strings.Replace(body, tw[0], tw[1], 1)
		}
		if rng.IntN(8) == 0 && len(body) > 2 { // a byte out of place
			k := rng.IntN(len(body))
			const junk = "{}[],:\"\\ 0an-."
			body = body[:k] + string(junk[rng.IntN(len(junk))]) + body[k+1:]
		}
		var want, got gen.OrderRequest
		err := json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&want)
		if !decodeOrderRequest([]byte(body), &got) {
			declined++
			continue
		}
		taken++
		if err != nil {
			t.Fatalf("taken, but encoding/json refuses it (%v):\n%s", err, body)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded differently from encoding/json:\n%s\ngot  %+v\nwant %+v", body, got, want)
		}
	}
	t.Logf("taken %d, declined %d", taken, declined)
	if taken < 2000 || declined < 2000 {
		t.Errorf("too one-sided to prove anything: taken %d, declined %d", taken, declined)
	}
}

// TestDecoderKnowsEveryField: the decoder's member lists are the generated types' JSON fields.
func TestDecoderKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		typ    reflect.Type
		fields []string
	}{
		{reflect.TypeFor[gen.OrderRequest](), orderRequestFields}, {reflect.TypeFor[gen.PaymentSelection](), paymentFields},
		{reflect.TypeFor[gen.UserRequest](), userFields}, {reflect.TypeFor[gen.DeliveryRequest](), deliveryFields},
		{reflect.TypeFor[gen.DeliverableRequest](), deliverableFields},
	} {
		var names []string
		for i := range c.typ.NumField() {
			name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
		slices.Sort(names)
		if !slices.Equal(names, c.fields) {
			t.Errorf("%s has the JSON fields %v; decode.go decodes %v: add the new ones to both its list and its switch", c.typ.Name(), names, c.fields)
		}
	}
}
