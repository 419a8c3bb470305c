package mockserver_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/openapi/conformance"
)

// TestEveryFieldHasASource walks the answers the Cryptorefills mock gives (catalogue, prices,
// search, validations with and without problems, orders through their lives, stream frames,
// errors) alongside their schemas, and fails on any field that openapi/field-sources.yaml
// does not trace to the reference (api-facts tags), to the documents, or to a documented
// choice of the mock. A client developed against the mock must not come to rely on fields
// production never sends.
func TestEveryFieldHasASource(t *testing.T) {
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	sources, err := openapi.FieldSources()
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{} // field -> where it was first seen
	record := func(method, template, path string, status int, body []byte) {
		t.Helper()
		op := doc.Paths.Find(template).GetOperation(method)
		resp := op.Responses.Status(status)
		if resp == nil {
			t.Fatalf("%s %s: no %d response in the spec", method, template, status)
		}
		mt := resp.Value.Content.Get("application/json")
		var v any
		if err := json.Unmarshal(body, &v); err != nil || mt == nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		walkFields(mt.Schema, "", v, func(field string) {
			if _, ok := sent[field]; !ok {
				sent[field] = method + " " + path
			}
		})
	}

	h := start(t)
	get := func(template, path string) {
		t.Helper()
		status, b := h.req("GET", path, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, b)
		}
		record("GET", template, path, status, b)
	}
	get("/v3/payment_vias", "/v3/payment_vias")
	get("/v3/currencies", "/v3/currencies")
	get("/v2/brands", "/v2/brands?country_code=US")
	get("/v2/homepage", "/v2/homepage?country_code=US")
	for _, fam := range []string{"airbnb", "Amazon.com", "eSIM", "Lycamobile", "Steam"} {
		get("/v5/products/country/{countryCode}", "/v5/products/country/US?family_name="+fam+"&coin=USDC")
	}
	get("/v4/products/price", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC")
	get("/v4/products/price", "/v4/products/price?brand_name=Amazon.com&country_code=US&face_value=37&coin=BTC")
	get("/v2/search/{countryCode}", "/v2/search/US?q=a")
	get("/api/available-countries", "/api/available-countries")

	post := func(template string, body any, want int) []byte {
		t.Helper()
		status, b := h.req("POST", template, body)
		if status != want {
			t.Fatalf("POST %s: %d %s", template, status, b)
		}
		record("POST", template, template, status, b)
		return b
	}
	post("/v5/orders/validations", orderBody(), 200)
	rangeOrder := orderBody(withDelivery(obj{"beneficiary_account": "jane@example.com", "brand_name": "Amazon.com", "country_code": "US",
		"denomination": "range", "product_value": 37}), withField("refund_wallet_address", "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"))
	post("/v5/orders/validations", rangeOrder, 200)
	post("/v5/orders", rangeOrder, 201)
	post("/v5/orders/validations", orderBody(withField("promo_code", "MOCK-10OFF")), 200)
	post("/v5/orders/validations", orderBody(withPayment("USDC", "Tron", "GATE_PAY")), 200)
	post("/v5/orders", orderBody(withPayment("USDC", "Tron", "GATE_PAY")), 422)
	status, b := h.req("POST", "/v5/orders/validations", `{"email":`)
	record("POST", "/v5/orders/validations", "/v5/orders/validations (malformed)", status, b)
	status, b = h.req("GET", "/v5/orders/no-such-order", nil)
	record("GET", "/v5/orders/{orderId}", "/v5/orders/{unknown}", status, b)

	// Orders through their lives: created, paid and delivered (with redemption data),
	// refunded, failed delivery, and the stream's frames.
	for _, life := range [][]string{{"pay", "advance"}, {"pay", "fail_delivery", "refund"}, {"expire"}} {
		created := post("/v5/orders", orderBody(withField("email", strings.Join(life, "-")+"@example.com")), 201)
		o := decode[order](t, created)
		s := h.subscribe(o.OrderID, "")
		for _, step := range life {
			switch step {
			case "pay":
				h.pay(o.OrderID, "")
			case "advance":
				h.advance(10)
			default:
				h.transition(o.OrderID, step, http.StatusOK)
			}
		}
		get("/v5/orders/{orderId}", "/v5/orders/"+o.OrderID)
		for {
			f, err := s.next(false)
			if err != nil {
				t.Fatal(err)
			}
			if sch, name := frameSchema(doc, f); sch != nil {
				var v any
				_ = json.Unmarshal([]byte(f.Data), &v)
				walkFields(sch, name, v, func(field string) {
					if _, ok := sent[field]; !ok {
						sent[field] = "stream event " + f.Event
					}
				})
			}
			if f.Event == "stop" {
				break
			}
		}
	}

	var missing []string
	for field, where := range sent {
		if src, ok := sources[field]; !ok || strings.TrimSpace(src) == "" {
			missing = append(missing, field+"  (seen in "+where+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d fields the mock sends have no recorded source in openapi/field-sources.yaml:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(sent) < 100 {
		t.Fatalf("only %d fields seen: the walk missed answers", len(sent))
	}
	t.Logf("%d fields sent by the mock, each traced to its source", len(sent))
}

// frameSchema is the schema of a stream frame's data, and its name.
func frameSchema(doc *openapi3.T, f conformance.Frame) (*openapi3.SchemaRef, string) {
	name := map[string]string{"message": "Order", "stop": "StreamStop"}[f.Event]
	if name == "" {
		return nil, ""
	}
	return doc.Components.Schemas[name], name
}

// walkFields reports every field of v as "Schema.field", naming a field by the schema that
// declares it (a component's name, or for an inline object the field that holds it).
func walkFields(ref *openapi3.SchemaRef, name string, v any, report func(string)) {
	if ref == nil || ref.Value == nil {
		return
	}
	if ref.Ref != "" {
		name = ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	s := ref.Value
	for _, alt := range append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...) {
		if alt.Value.VisitJSON(v) == nil {
			walkFields(alt, name, v, report)
			return
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.SchemaRef{}
		owner := map[string]string{}
		collect(ref, name, props, owner)
		for k, val := range x {
			at, p := owner[k], props[k]
			if at == "" {
				at = name
			}
			report(at + "." + k)
			if p != nil {
				walkFields(p, at+"."+k, val, report)
			} else if s.AdditionalProperties.Schema != nil {
				walkFields(s.AdditionalProperties.Schema, at+"."+k, val, report)
			}
		}
	case []any:
		if s.Items != nil {
			for _, item := range x {
				walkFields(s.Items, name+"[]", item, report)
			}
		}
	}
}

// collect gathers the properties a schema declares, its allOf members' included, with the
// name of the schema declaring each.
func collect(ref *openapi3.SchemaRef, name string, props map[string]*openapi3.SchemaRef, owner map[string]string) {
	if ref.Ref != "" {
		name = ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	for k, p := range ref.Value.Properties {
		props[k], owner[k] = p, name
	}
	for _, sub := range ref.Value.AllOf {
		collect(sub, name, props, owner)
	}
}
