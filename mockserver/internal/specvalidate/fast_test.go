package specvalidate

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/openapi"
)

func validator(t testing.TB, name string) *Validator {
	t.Helper()
	doc, err := openapi.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return New(doc)
}

// request builds a request as net/http's ServeMux hands it over: routed (Pattern), path values set.
func request(pattern, target, body string, header ...string) *http.Request {
	method, _, _ := strings.Cut(pattern, " ")
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
		r.Body = http.NoBody
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Pattern = pattern
	_, path, _ := strings.Cut(pattern, " ")
	segs, vals := strings.Split(path, "/"), strings.Split(strings.SplitN(target, "?", 2)[0], "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && i < len(vals) {
			r.SetPathValue(strings.Trim(s, "{}"), vals[i])
		}
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

var crHeaders = []string{"X-Cr-Application", "partner-1", "X-Cr-Version", "1.0"}

const (
	validatePattern = "POST /v5/orders/validations"
	validBody       = `{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[{"beneficiary_account":"jane@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD"}],"acquisition":{"utm_source":"x"}}`
	nestedBody      = `{"user":{"email":"jane@example.com"},"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"kind":"giftcard","quantity":2,"deliverable":{"brand_name":"Airbnb","country_code":"US","denomination":"range","product_value":"25.50"}}]}`
)

// fastAccepts reports what the fast path alone decides for a request.
func fastAccepts(t *testing.T, v *Validator, r *http.Request) bool {
	t.Helper()
	op := v.Route(r).fast
	if op == nil {
		t.Fatalf("%s is not compiled for the fast path", r.Pattern)
	}
	return op.accepts(r)
}

// TestFastPathTakesValidRequests: the fast path really is the one taken for the hot
// operations (otherwise the rules below would prove nothing about it).
func TestFastPathTakesValidRequests(t *testing.T) {
	cr := validator(t, openapi.Cryptorefills)
	for _, r := range []*http.Request{
		request(validatePattern, "/v5/orders/validations", validBody, crHeaders...),
		request("POST /v5/orders", "/v5/orders", nestedBody, crHeaders...),
		request("POST /v5/orders", "/v5/orders", strings.Replace(nestedBody, `"25.50"`, `25.5`, 1), crHeaders...),
		request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100.00&coin=USDC", "", crHeaders...),
		request("GET /v5/products/country/{countryCode}", "/v5/products/country/US?family_name=air+bnb&coin=USDC&lang=en", "", crHeaders...),
		request("GET /v5/orders/{orderId}", "/v5/orders/f9d624ad-dc5e-4efd-9ecf-f8fb08a22677", "", crHeaders...),
	} {
		if !fastAccepts(t, cr, r) {
			t.Errorf("%s %s: the fast path refused a valid request", r.Method, r.URL)
		}
	}
	ps := validator(t, openapi.Payscrypt)
	r := request("POST /apis/pg/create_order", "/apis/pg/create_order",
		`{"merchant_order_id":"A-1","asset_name":"ETH","target_value":"1500000000000000000","pg_wallet_id":"1"}`)
	if !fastAccepts(t, ps, r) {
		t.Error("create_order: the fast path refused a valid request")
	}
}

// TestFastPathRules: each validation rule still fires on the fast path, and the request then
// gets kin-openapi's explanation (the field named).
func TestFastPathRules(t *testing.T) {
	cr := validator(t, openapi.Cryptorefills)
	admin := validator(t, openapi.MockAdmin)
	for _, c := range []struct {
		rule, field string
		v           *Validator
		r           *http.Request
	}{
		{"type", "/deliveries/0/quantity", cr, request("POST /v5/orders", "/v5/orders", strings.Replace(nestedBody, `"quantity":2`, `"quantity":"2"`, 1), crHeaders...)},
		{"type", "/deliveries/0/quantity", cr, request("POST /v5/orders", "/v5/orders", strings.Replace(nestedBody, `"quantity":2`, `"quantity":2.5`, 1), crHeaders...)},
		{"type", "/deliveries", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"deliveries":[`, `"deliveries":{"a":[`, 1)+"}", crHeaders...)},
		{"enum", "/payment/type", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"type":"via"`, `"type":"card"`, 1), crHeaders...)},
		{"enum (set)", "/deliveries/0/country_code", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"US"`, `"XX"`, 1), crHeaders...)},
		{"pattern", "/deliveries/0/deliverable/product_value", cr, request("POST /v5/orders", "/v5/orders", strings.Replace(nestedBody, `"25.50"`, `"25,50"`, 1), crHeaders...)},
		{"required", "/payment", cr, request(validatePattern, "/v5/orders/validations", `{"deliveries":[{"brand_name":"Airbnb"}]}`, crHeaders...)},
		{"required (nested)", "/deliveries/0/deliverable/country_code", cr, request("POST /v5/orders", "/v5/orders", strings.Replace(nestedBody, `"country_code":"US",`, ``, 1), crHeaders...)},
		{"minItems", "/deliveries", cr, request(validatePattern, "/v5/orders/validations", `{"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[]}`, crHeaders...)},
		{"maxLength", "/lang", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `{"email"`, `{"lang":"`+strings.Repeat("é", 9)+`","email"`, 1), crHeaders...)},
		{"additionalProperties (schema)", "/acquisition/utm_source", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"utm_source":"x"`, `"utm_source":7`, 1), crHeaders...)},
		{"additionalProperties: false", "/", // kin-openapi names the object: 'property "nmae" is unsupported'
			admin, request("POST /__mock/payscrypt/merchants", "/__mock/payscrypt/merchants", `{"nmae":"shop"}`)},
		{"case-variant key", "/Email", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"email"`, `"Email"`, 1), crHeaders...)},
		{"case-variant key (nested)", "/payment/Coin", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"coin":"USDC"`, `"coin":"USDC","Coin":"BTC"`, 1), crHeaders...)},
		{"null", "/email", cr, request(validatePattern, "/v5/orders/validations", strings.Replace(validBody, `"jane@example.com","payment"`, `null,"payment"`, 1), crHeaders...)},
		{"query enum", "country_code", cr, request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=XX&face_value=100&coin=USDC", "", crHeaders...)},
		{"query exclusiveMinimum", "face_value", cr, request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=0&coin=USDC", "", crHeaders...)},
		{"query type", "face_value", cr, request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=ten&coin=USDC", "", crHeaders...)},
		{"query required", "coin", cr, request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100", "", crHeaders...)},
		{"header required", "X-Cr-Application", cr, request("GET /v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC", "", "X-Cr-Version", "1.0")},
		{"path enum", "countryCode", cr, request("GET /v5/products/country/{countryCode}", "/v5/products/country/XX", "", crHeaders...)},
	} {
		t.Run(c.rule, func(t *testing.T) {
			if fastAccepts(t, c.v, c.r) {
				t.Fatal("the fast path accepted it")
			}
			err := c.v.Validate(context.Background(), c.v.Route(c.r), c.r)
			if err == nil {
				t.Fatal("validation accepted it")
			}
			if p := Explain(err); p.Field != c.field {
				t.Errorf("explained as %+v, want the field %s", p, c.field)
			}
		})
	}
}

// TestFastPathNeverLooser mutates valid bodies and queries at random: whatever the fast path
// accepts, kin-openapi (with the case-variant keys rule) must accept too.
func TestFastPathNeverLooser(t *testing.T) {
	cr := validator(t, openapi.Cryptorefills)
	ps := validator(t, openapi.Payscrypt)
	rng := rand.New(rand.NewPCG(1, 2))
	type seed struct {
		v       *Validator
		pattern string
		body    string
	}
	seeds := []seed{
		{cr, validatePattern, validBody}, {cr, "POST /v5/orders", nestedBody},
		{ps, "POST /apis/pg/create_order", `{"merchant_order_id":"A-1","asset_name":"ETH","target_value":"1500000000000000000","pg_wallet_id":1}`},
		{ps, "POST /payment/v1/invoice", `{"merchant_invoice_id":"n-1","wallet_id":"12","asset":"USDT","price":"10000000","redirect_url":"https://shop.example/back"}`},
	}
	var fastYes, slowOnly, bothNo int
	for i := range 6000 {
		sd := seeds[i%len(seeds)]
		body := mutateJSON(rng, sd.body)
		_, path, _ := strings.Cut(sd.pattern, " ")
		r := request(sd.pattern, path, body, crHeaders...)
		fast := sd.v.Route(r).fast.accepts(r)
		slowErr := sd.v.slow(context.Background(), sd.v.Route(request(sd.pattern, path, body, crHeaders...)).route, request(sd.pattern, path, body, crHeaders...))
		switch {
		case fast && slowErr != nil:
			t.Fatalf("%s: the fast path accepted what kin-openapi refuses (%v):\n%s", sd.pattern, slowErr, body)
		case fast:
			fastYes++
		case slowErr == nil:
			slowOnly++
		default:
			bothNo++
		}
	}
	queryYes := 0
	for i := range 3000 {
		q := mutateQuery(rng, "brand_name=Airbnb&country_code=US&face_value=100&coin=USDC&promo_code=X")
		mk := func() *http.Request {
			return request("GET /v4/products/price", "/v4/products/price?"+q, "", crHeaders...)
		}
		fast := cr.Route(mk()).fast.accepts(mk())
		if slowErr := cr.slow(context.Background(), cr.Route(mk()).route, mk()); fast && slowErr != nil {
			t.Fatalf("query %q (#%d): the fast path accepted what kin-openapi refuses: %v", q, i, slowErr)
		}
		if fast {
			queryYes++
		}
	}
	t.Logf("bodies: fast path accepted %d, kin-openapi alone accepted %d, both refused %d", fastYes, slowOnly, bothNo)
	t.Logf("queries: fast path accepted %d of 3000", queryYes)
	if fastYes < 300 || bothNo < 300 || queryYes < 300 || queryYes > 2700 {
		t.Errorf("the mutations are too one-sided to prove anything (%d accepted, %d refused)", fastYes, bothNo)
	}
}

var jsonPool = []any{nil, true, false, 0, -1, 1, 2.5, 1e300, "", "x", "US", "USDC", "via", "giftcard", "25.50", "1", "-7",
	strings.Repeat("a", 400), "é", []any{}, []any{1}, map[string]any{}, map[string]any{"a": 1}}

var keyPool = []string{"email", "Email", "EMAIL", "payment", "deliveries", "type", "coin", "Coin", "quantity", "x", "", "pg_wallet_id", "amount", "Asset"}

// mutateJSON changes one to three things in a JSON document.
func mutateJSON(rng *rand.Rand, doc string) string {
	if rng.IntN(10) == 0 { // bytes: syntax errors, truncation
		b := []byte(doc)
		i := rng.IntN(len(b))
		switch rng.IntN(3) {
		case 0:
			return string(b[:i])
		case 1:
			const junk = "{}[],:\"\\ 0a-."
			b[i] = junk[rng.IntN(len(junk))]
			return string(b)
		default:
			return doc[:i] + " " + doc[i:]
		}
	}
	var v any
	_ = json.Unmarshal([]byte(doc), &v)
	for range 1 + rng.IntN(3) {
		v = mutateValue(rng, v, 0)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func mutateValue(rng *rand.Rand, v any, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 || rng.IntN(4) == 0 {
			switch rng.IntN(3) {
			case 0:
				x[keyPool[rng.IntN(len(keyPool))]] = jsonPool[rng.IntN(len(jsonPool))]
			case 1:
				for k := range x {
					delete(x, k)
					break
				}
			default:
				return jsonPool[rng.IntN(len(jsonPool))]
			}
			return x
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		k := keys[rng.IntN(len(keys))]
		x[k] = mutateValue(rng, x[k], depth+1)
		return x
	case []any:
		if len(x) == 0 || rng.IntN(4) == 0 {
			if rng.IntN(2) == 0 {
				return append(x, jsonPool[rng.IntN(len(jsonPool))])
			}
			return x[:0]
		}
		i := rng.IntN(len(x))
		x[i] = mutateValue(rng, x[i], depth+1)
		return x
	}
	return jsonPool[rng.IntN(len(jsonPool))]
}

// mutateQuery changes, drops, repeats or garbles one parameter of a query.
func mutateQuery(rng *rand.Rand, q string) string {
	pairs := strings.Split(q, "&")
	i := rng.IntN(len(pairs))
	k, _, _ := strings.Cut(pairs[i], "=")
	vals := []string{"", "0", "-1", "1e3", "0x10", "010", "1_0", "NaN", "Inf", "100.00", "US", "us", "XX", "BTC", "%zz", "a+b", "%55S", "true", strings.Repeat("z", 300)}
	switch rng.IntN(4) {
	case 0:
		pairs[i] = k + "=" + vals[rng.IntN(len(vals))]
	case 1:
		pairs = append(pairs[:i], pairs[i+1:]...)
	case 2:
		pairs = append(pairs, k+"="+vals[rng.IntN(len(vals))])
	default:
		pairs[i] = k
	}
	return strings.Join(pairs, "&")
}

// FuzzFastPathNeverLooser explores bodies for the validation POST and create_order: what the
// fast path accepts, kin-openapi must accept. `go test -fuzz FuzzFastPathNeverLooser`.
func FuzzFastPathNeverLooser(f *testing.F) {
	cr := validator(f, openapi.Cryptorefills)
	ps := validator(f, openapi.Payscrypt)
	for _, b := range []string{validBody, nestedBody, `{"merchant_order_id":"A","asset_name":"ETH","target_value":"1","pg_wallet_id":1}`, `{"a":"\u00e9\ud83d\ude00"}`, `[]`, `{"payment":null}`} {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, body string, payscrypt bool) {
		v, pattern, path := cr, validatePattern, "/v5/orders/validations"
		if payscrypt {
			v, pattern, path = ps, "POST /apis/pg/create_order", "/apis/pg/create_order"
		}
		fast := v.Route(request(pattern, path, body)).fast.accepts(request(pattern, path, body, crHeaders...))
		if err := v.slow(context.Background(), v.Route(request(pattern, path, body)).route, request(pattern, path, body, crHeaders...)); fast && err != nil {
			t.Fatalf("the fast path accepted what kin-openapi refuses (%v): %q", err, body)
		}
	})
}

// TestClassSameAsPattern: a pattern read as a character table matches what the regexp matches.
func TestClassSameAsPattern(t *testing.T) {
	inputs := []string{"", "a", "A-z_9", "a b", "é", "USDC", "1.5", "-1", "x\n", "\n", "a.b.c", "0", "ÿ", "abc\x00"}
	recognised := 0
	for _, p := range []string{`^[A-Za-z0-9_-]+$`, `^[A-Za-z0-9.]+$`, `^[0-9]+$`, `^[0-9]*$`, `^-?[0-9]+$`, `^https?://`, `^[a-z]+`, `^[^a]+$`, `^a+$`, `(?i)^a+$`, `^[é]+$`} {
		c := classOf(p)
		if c == nil {
			continue
		}
		recognised++
		re := regexp.MustCompile(p)
		for _, in := range inputs {
			if got, want := c.match(in), re.MatchString(in); got != want {
				t.Errorf("%s on %q: table %v, regexp %v", p, in, got, want)
			}
		}
	}
	if recognised < 4 {
		t.Errorf("only %d patterns read as tables", recognised)
	}
}

// TestLookupAsMap: an object's key lookup (a scan when it has few keys) answers as its map, for
// every object of every spec, for its own names, their case variants, prefixes and strangers.
func TestLookupAsMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	objects := 0
	for _, name := range []string{openapi.Cryptorefills, openapi.Payscrypt, openapi.MockAdmin} {
		doc, err := openapi.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		c := &compiler{formats: enumSets(doc), done: map[*openapi3.Schema]*node{}}
		for _, s := range doc.Components.Schemas {
			c.compile(s)
		}
		for _, n := range c.done {
			if n == nil || n.keys == nil {
				continue
			}
			objects++
			probes := []string{"", "x", strings.Repeat("a", 40)}
			for k := range n.keys {
				probes = append(probes, k, strings.ToUpper(k), k[:rng.IntN(len(k)+1)], k+"_", " "+k)
			}
			for _, p := range probes {
				if got, want := n.lookup(p), n.keys[p]; got != want {
					t.Fatalf("%s: lookup(%q) = %+v, the map has %+v", name, p, got, want)
				}
			}
		}
	}
	if objects < 20 {
		t.Fatalf("only %d objects compiled", objects)
	}
}

// TestFailedSchemaLeavesNothing: a schema that fails to compile midway (after its node was
// registered, for recursion) is not handed, half-built, to the next schema that refers to it.
func TestFailedSchemaLeavesNothing(t *testing.T) {
	twoTypes := &openapi3.Types{openapi3.TypeString, openapi3.TypeNumber} // the fast path takes one
	bad := openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema()).
		WithPropertyRef("b", &openapi3.SchemaRef{Value: &openapi3.Schema{Type: twoTypes}})
	bad.Required = []string{"a", "b"}
	badRef := &openapi3.SchemaRef{Value: bad}
	c := &compiler{done: map[*openapi3.Schema]*node{}}
	if _, ok := c.compile(badRef); ok {
		t.Fatal("a property of two types compiled")
	}
	parent := &openapi3.SchemaRef{Value: openapi3.NewObjectSchema().WithPropertyRef("child", badRef)}
	if n, ok := c.compile(parent); ok {
		t.Fatalf("a schema with a failed member compiled: %+v", n.lookup("child").n)
	}
	if len(c.done) != 0 {
		t.Fatalf("%d nodes left behind", len(c.done))
	}
}
