package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/cryptomock/cryptomock/openapi"
)

func load(t *testing.T, name string) *openapi3.T {
	t.Helper()
	doc, err := openapi.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func source(t *testing.T, name string) string {
	t.Helper()
	b, err := openapi.Source(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var cryptorefillsSources = []string{"cryptorefills-it.txt", "cryptorefills-zh.txt", "cryptorefills-ko.txt", "cryptorefills-hi.txt"}

func TestSpecsLoadAndValidate(t *testing.T) {
	for _, name := range openapi.Names {
		t.Run(name, func(t *testing.T) {
			doc := load(t, name)
			if doc.OpenAPI != "3.0.3" {
				t.Errorf("openapi version %q, want 3.0.3", doc.OpenAPI)
			}
			if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
				t.Fatalf("validate: %v", err)
			}
		})
	}
}

// TestSourcesMatchSharedDocuments guards the embedded copies against drift from the project's
// shared documents, when those are beside the clone (they are in CI).
func TestSourcesMatchSharedDocuments(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "docs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("shared documents not beside this clone (%v): the embedded copies are checked by the other tests", err)
	}
	shared := map[string]bool{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		shared[string(b)] = true
	}
	for _, name := range openapi.SourceNames() {
		if !shared[source(t, name)] {
			t.Errorf("sources/%s is not byte-identical to any document in %s", name, dir)
		}
	}
	if len(openapi.SourceNames()) != len(entries) {
		t.Errorf("%d embedded sources, %d shared documents", len(openapi.SourceNames()), len(entries))
	}
}

// TestEveryExampleValidates walks every example in every spec and validates it against its
// schema, counting them so that the test cannot pass by finding none.
func TestEveryExampleValidates(t *testing.T) {
	total := 0
	for _, name := range openapi.Names {
		doc := load(t, name)
		check := func(where string, schema *openapi3.SchemaRef, value any) {
			t.Helper()
			if schema == nil || schema.Value == nil {
				t.Errorf("%s %s: example without a schema", name, where)
				return
			}
			total++
			if err := schema.Value.VisitJSON(value, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s %s: example does not validate: %v", name, where, err)
			}
		}
		checkMedia := func(where string, mt *openapi3.MediaType) {
			if mt == nil {
				return
			}
			if mt.Example != nil {
				check(where, mt.Schema, mt.Example)
			}
			for exName, ex := range mt.Examples {
				check(where+" example "+exName, mt.Schema, ex.Value.Value)
			}
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				where := method + " " + path
				if op.RequestBody != nil {
					for ct, mt := range op.RequestBody.Value.Content {
						checkMedia(where+" request "+ct, mt)
					}
				}
				for status, resp := range op.Responses.Map() {
					for ct, mt := range resp.Value.Content {
						checkMedia(where+" "+status+" "+ct, mt)
					}
				}
				for _, p := range op.Parameters {
					if p.Value.Example != nil {
						check(where+" parameter "+p.Value.Name, p.Value.Schema, p.Value.Example)
					}
				}
			}
		}
		for respName, resp := range doc.Components.Responses {
			for ct, mt := range resp.Value.Content {
				checkMedia("components/responses/"+respName+" "+ct, mt)
			}
		}
		for schemaName, s := range doc.Components.Schemas {
			if s.Value.Example != nil {
				check("components/schemas/"+schemaName, s, s.Value.Example)
			}
		}
	}
	if total < 60 {
		t.Fatalf("validated only %d examples; the specs should carry far more", total)
	}
	t.Logf("validated %d examples", total)
}

func TestOperationsAreDescribed(t *testing.T) {
	for _, name := range openapi.Names {
		doc := load(t, name)
		seen := map[string]string{}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				where := method + " " + path
				if op.OperationID == "" {
					t.Errorf("%s %s: no operationId", name, where)
				}
				if prev, dup := seen[op.OperationID]; dup {
					t.Errorf("%s: operationId %q used by %s and %s", name, op.OperationID, prev, where)
				}
				seen[op.OperationID] = where
				if op.Summary == "" {
					t.Errorf("%s %s: no summary", name, where)
				}
				if name == openapi.MockAdmin {
					continue
				}
				if op.Description == "" || op.Extensions["x-source"] == nil || op.Extensions["x-confidence"] == nil {
					t.Errorf("%s %s: needs a description, x-source and x-confidence", name, where)
				}
				if !hasSuccessExample(op) {
					t.Errorf("%s %s: no example on its success response", name, where)
				}
			}
		}
	}
}

func hasSuccessExample(op *openapi3.Operation) bool {
	for status, resp := range op.Responses.Map() {
		if !strings.HasPrefix(status, "2") {
			continue
		}
		for _, mt := range resp.Value.Content {
			if mt.Example != nil || len(mt.Examples) > 0 {
				return true
			}
		}
	}
	return false
}

func TestCryptorefillsCoversEveryEndpoint(t *testing.T) {
	doc := load(t, openapi.Cryptorefills)
	want := []string{
		"GET /v3/payment_vias", "GET /v2/brands", "GET /v2/homepage",
		"GET /v5/products/country/{countryCode}", "GET /v4/products/price",
		"POST /v5/orders/validations", "POST /v5/orders", "GET /v5/orders/{orderId}",
		"GET /v5/orders/{orderId}/subscribe", "GET /api/available-countries",
		"GET /v2/search/{countryCode}", "GET /v3/currencies",
	}
	for _, w := range want {
		method, path, _ := strings.Cut(w, " ")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("missing %s", w)
			continue
		}
		op := item.GetOperation(method)
		if path == "/api/available-countries" {
			if len(item.Servers) == 0 || item.Servers[0].URL != "https://cryptorefills.com" {
				t.Errorf("%s must name its own host in a per-path servers entry", w)
			}
			continue
		}
		// Both header variants of the documents, on every partner API operation.
		names := map[string]bool{}
		for _, p := range op.Parameters {
			if p.Value.In == "header" {
				names[p.Value.Name] = p.Value.Required
			}
		}
		for _, h := range []string{"X-Cr-Application", "X-Cr-Version", "X-Country-ISO-Code", "X-Forwarded-For", "User-Agent"} {
			if _, ok := names[h]; !ok {
				t.Errorf("%s: header %s not documented", w, h)
			}
		}
		if !names["X-Cr-Application"] || !names["X-Cr-Version"] {
			t.Errorf("%s: X-Cr-Application and X-Cr-Version must be required", w)
		}
	}
}

func TestSubscribeDescribesItsEvents(t *testing.T) {
	doc := load(t, openapi.Cryptorefills)
	op := doc.Paths.Find("/v5/orders/{orderId}/subscribe").Get
	if op.Responses.Status(200).Value.Content.Get("text/event-stream") == nil {
		t.Fatal("subscribe 200 is not text/event-stream")
	}
	if op.Responses.Status(404) == nil {
		t.Error("subscribe must document 404 for an unknown order")
	}
	raw, err := json.Marshal(op.Extensions["x-sse-events"])
	if err != nil {
		t.Fatal(err)
	}
	var events []struct{ Event, Schema string }
	if err := json.Unmarshal(raw, &events); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range events {
		got[e.Event] = e.Schema
		name := strings.TrimPrefix(e.Schema, "#/components/schemas/")
		if doc.Components.Schemas[name] == nil {
			t.Errorf("event %q names unknown schema %q", e.Event, e.Schema)
		}
	}
	if got["message"] != "#/components/schemas/Order" || got["stop"] == "" {
		t.Errorf("x-sse-events = %v, want message->Order and a stop event", got)
	}
}

// TestCountriesMatchDocuments parses the country list of the documents (codes glued to names:
// "AXÅland IslandsALAlbania...") and compares it with the CountryCode enum and the example.
func TestCountriesMatchDocuments(t *testing.T) {
	text := source(t, "cryptorefills-zh.txt")
	_, after, ok := strings.Cut(text, "GET https://cryptorefills.com/api/available-countries")
	if !ok {
		t.Fatal("country list not found in the zh document")
	}
	line, _, _ := strings.Cut(after, "\n")
	starts := regexp.MustCompile(`[A-Z]{2}[\p{Lu}]`).FindAllStringIndex(line, -1)
	type country struct{ Code, Name string }
	var fromDoc []country
	for i, s := range starts {
		end := len(line)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		fromDoc = append(fromDoc, country{line[s[0] : s[0]+2], line[s[0]+2 : end]})
	}
	if len(fromDoc) != 233 {
		t.Fatalf("parsed %d countries from the document, want 233", len(fromDoc))
	}
	doc := load(t, openapi.Cryptorefills)
	var enum []string
	for _, v := range doc.Components.Schemas["CountryCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	exRaw, _ := json.Marshal(doc.Paths.Find("/api/available-countries").Get.Responses.Status(200).Value.Content.Get("application/json").Example)
	var example []country
	if err := json.Unmarshal(exRaw, &example); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(example, fromDoc) {
		t.Errorf("the country-list example differs from the document's list")
	}
	var docCodes []string
	for _, c := range fromDoc {
		docCodes = append(docCodes, c.Code)
	}
	if !reflect.DeepEqual(enum, docCodes) {
		t.Errorf("CountryCode enum (%d) differs from the document's codes (%d)", len(enum), len(docCodes))
	}
}

// TestProblemCodesMatchDocuments extracts the codes of the "possible errors" section (codes
// glued to their meaning: "OUT_OF_STOCKProduct is ...") and checks each is in the spec.
func TestProblemCodesMatchDocuments(t *testing.T) {
	text := source(t, "cryptorefills-zh.txt")
	start := strings.Index(text, "Order amount & limits")
	httpLevel := strings.Index(text, "HTTP-level errors")
	end := strings.Index(text[httpLevel:], "\n") + httpLevel
	end = strings.Index(text[end+1:], "\n") + end + 1
	if start < 0 || httpLevel < start {
		t.Fatal("possible-errors section not found in the zh document")
	}
	codeRE := regexp.MustCompile(`[A-Z][A-Z_]*_[A-Z]+[A-Z][a-z]`)
	extract := func(s string) []string {
		var out []string
		for _, m := range codeRE.FindAllString(s, -1) {
			out = append(out, m[:len(m)-2])
		}
		return out
	}
	problems := extract(text[start:httpLevel])
	suspensions := extract(text[httpLevel:end])
	if len(problems) != 26 {
		t.Fatalf("extracted %d problem codes from the document, want 26: %v", len(problems), problems)
	}
	if !reflect.DeepEqual(suspensions, []string{"SUSPENDED_COIN", "SUSPENDED_NETWORK"}) {
		t.Fatalf("HTTP-level codes = %v", suspensions)
	}
	doc := load(t, openapi.Cryptorefills)
	pc := doc.Components.Schemas["ProblemCode"].Value
	inEnum := map[string]bool{}
	for _, v := range pc.Enum {
		inEnum[v.(string)] = true
	}
	descriptions, _ := pc.Extensions["x-enum-descriptions"].(map[string]any)
	for _, code := range problems {
		if !inEnum[code] {
			t.Errorf("document code %s is not in the ProblemCode enum", code)
		}
		if descriptions[code] == nil {
			t.Errorf("document code %s has no meaning in x-enum-descriptions", code)
		}
	}
	// The first 26 enum values are the documents' codes, in the documents' order.
	for i, code := range problems {
		if pc.Enum[i] != code {
			t.Errorf("enum[%d] = %v, want %s", i, pc.Enum[i], code)
		}
	}
	for _, extra := range []string{"KYC_MISSING", "FULLNAME_MISSING"} {
		if !inEnum[extra] {
			t.Errorf("reference code %s missing", extra)
		}
	}
	documented, _ := json.Marshal(doc.Components.Schemas["HttpErrorDetail"].Value.Extensions["x-documented-values"])
	for _, code := range suspensions {
		if !bytes.Contains(documented, []byte(code)) {
			t.Errorf("%s is not among HttpErrorDetail's documented values", code)
		}
	}
	for schema, fields := range map[string][]string{"Problem": {"problem", "moreDetails"}, "HttpError": {"status", "detail", "moreDetails"}} {
		for _, f := range fields {
			if doc.Components.Schemas[schema].Value.Properties[f] == nil {
				t.Errorf("%s has no %s", schema, f)
			}
		}
	}
}

type curlCall struct {
	method, url string
	headers     map[string]string
	body        string
}

var curlRE = regexp.MustCompile(`(?s)curl -X (GET|POST) '([^']+)'((?:\s*\\?\s*-H '[^']+')*)(?:\s*\\?\s*-d '([^']*)')?`)
var headerRE = regexp.MustCompile(`-H '([^:]+):\s*([^']*)'`)

func curls(text string) []curlCall {
	var out []curlCall
	for _, m := range curlRE.FindAllStringSubmatch(text, -1) {
		c := curlCall{method: m[1], url: m[2], headers: map[string]string{}, body: m[4]}
		for _, h := range headerRE.FindAllStringSubmatch(m[3], -1) {
			c.headers[h[1]] = h[2]
		}
		out = append(out, c)
	}
	return out
}

// TestDocumentCurlsValidate turns every curl command of every language version into a real
// request (method, URL, headers, body) and validates it against the spec, and checks that
// every request body of the documents is one of its operation's examples, verbatim.
func TestDocumentCurlsValidate(t *testing.T) {
	doc := load(t, openapi.Cryptorefills)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cryptorefillsSources {
		calls := curls(source(t, name))
		if len(calls) != 8 {
			t.Errorf("%s: found %d curl commands, want 8", name, len(calls))
		}
		for _, c := range calls {
			req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Errorf("%s: %s %s: no operation: %v", name, c.method, c.url, err)
				continue
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{MultiError: true}}
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: %s %s does not validate: %v", name, c.method, c.url, err)
			}
			if c.body == "" {
				continue
			}
			var body any
			if err := json.Unmarshal([]byte(c.body), &body); err != nil {
				t.Errorf("%s: body of %s is not JSON: %v", name, c.url, err)
				continue
			}
			if !isExample(route.Operation, body) {
				t.Errorf("%s: body of %s %s is not among the operation's examples verbatim", name, c.method, c.url)
			}
		}
	}
}

func isExample(op *openapi3.Operation, body any) bool {
	mt := op.RequestBody.Value.Content.Get("application/json")
	for _, ex := range mt.Examples {
		if reflect.DeepEqual(normalize(ex.Value.Value), body) {
			return true
		}
	}
	return mt.Example != nil && reflect.DeepEqual(normalize(mt.Example), body)
}

func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// TestPayscryptFieldsMatchDocument reads the field tables of the Payscrypt document
// ("Field | Type | Label | Description") and checks every field, type and enum value.
func TestPayscryptFieldsMatchDocument(t *testing.T) {
	text := source(t, "payscrypt.txt")
	var tables [][][]string
	var cur [][]string
	inTable := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "Field | Type") || strings.HasPrefix(line, "Name | Number"):
			cur, inTable = nil, true
		case inTable && strings.HasPrefix(line, "---|"):
		case inTable && strings.Contains(line, " | "):
			cells := strings.Split(line, " | ")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			cur = append(cur, cells)
		case inTable:
			tables = append(tables, cur)
			inTable = false
		}
	}
	schemas := []string{"Order", "OrderType", "OrderStatus", "WebhookOrder", "CreateOrderRequest", "CreateOrderReply", "GetPublicOrderRequest", "GetPublicOrderReply"}
	if len(tables) != len(schemas) {
		t.Fatalf("found %d tables in the document, want %d", len(tables), len(schemas))
	}
	doc := load(t, openapi.Payscrypt)
	checked := 0
	for i, table := range tables {
		s := doc.Components.Schemas[schemas[i]].Value
		for _, row := range table {
			checked++
			if len(s.Enum) > 0 {
				if !containsValue(s.Enum, row[0]) {
					t.Errorf("%s: enum value %s of the document is missing", schemas[i], row[0])
				}
				continue
			}
			prop := s.Properties[row[0]]
			if prop == nil {
				t.Errorf("%s: field %s of the document is missing", schemas[i], row[0])
				continue
			}
			switch row[1] {
			case "int64":
				if !strings.HasSuffix(prop.Ref, "/Int64String") && !strings.HasSuffix(prop.Ref, "/Int64Input") {
					t.Errorf("%s.%s is int64: must be written as a string (proto3 JSON), got %q", schemas[i], row[0], prop.Ref)
				}
			case "Order.Status":
				if !strings.HasSuffix(prop.Ref, "/OrderStatus") {
					t.Errorf("%s.%s must be the OrderStatus enum", schemas[i], row[0])
				}
			case "bool":
				if !prop.Value.Type.Is("boolean") {
					t.Errorf("%s.%s must be a boolean", schemas[i], row[0])
				}
			}
			if len(row) > 2 && row[2] == "repeated" && !prop.Value.Type.Is("array") {
				t.Errorf("%s.%s is repeated: must be an array", schemas[i], row[0])
			}
		}
	}
	if checked < 35 {
		t.Fatalf("checked only %d rows", checked)
	}
}

func containsValue(enum []any, v string) bool {
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

func TestPayscryptErrorsCarryGrpcHeaders(t *testing.T) {
	doc := load(t, openapi.Payscrypt)
	var statuses []string
	for _, path := range []string{"/apis/pg/create_order", "/apis/pg/get_public_order"} {
		op := doc.Paths.Find(path).Post
		for status, resp := range op.Responses.Map() {
			statuses = append(statuses, status)
			for _, h := range []string{"grpc-code", "grpc-message"} {
				if resp.Value.Headers[h] == nil {
					t.Errorf("%s %s: no %s header", path, status, h)
				}
			}
		}
	}
	sort.Strings(statuses)
	if len(statuses) < 8 {
		t.Errorf("too few responses: %v", statuses)
	}
	cb := doc.Paths.Find("/apis/pg/create_order").Post.Callbacks["orderStatusChanged"]
	if cb == nil {
		t.Fatal("create_order has no webhook callback")
	}
	for _, item := range cb.Value.Map() {
		if !strings.Contains(item.Post.Description, "get_public_order") {
			t.Error("the webhook callback must carry the documents' warning to re-check with get_public_order")
		}
	}
}

// TestOperationIDsUniqueAcrossSpecs: an operationId names one operation of one API, so an
// unqualified fault or a generated client never means two (Payscrypt's create_order is
// createPaymentOrder, Cryptorefills' is createOrder).
func TestOperationIDsUniqueAcrossSpecs(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{openapi.Cryptorefills, openapi.Payscrypt, openapi.MockAdmin} {
		doc, err := openapi.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range openapi.OperationIDs(doc) {
			if other, ok := seen[id]; ok {
				t.Errorf("operationId %s is in both %s and %s", id, other, name)
			}
			seen[id] = name
		}
	}
	if len(seen) < 30 {
		t.Fatalf("only %d operations read", len(seen))
	}
}

// TestSeamsAcceptEveryCapturedShape: where production answers in more than one shape, the
// spec accepts every shape the reference records (api-facts A14), and still refuses others.
func TestSeamsAcceptEveryCapturedShape(t *testing.T) {
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	for schema, cases := range map[string]map[string]bool{
		"EpochSeconds": {`"1787679708"`: true, `1787679708`: true, `1787679999.75`: true, `"soon"`: false, `-5`: false, `null`: false},
		"RangeBound":   {`{"amount": 5, "currency": "USD"}`: true, `"50.00"`: true, `{"amount": "5"}`: false, `50`: false},
	} {
		s := doc.Components.Schemas[schema].Value
		for raw, want := range cases {
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				t.Fatal(err)
			}
			if err := s.VisitJSON(v); (err == nil) != want {
				t.Errorf("%s %s: accepted=%v, want %v (%v)", schema, raw, err == nil, want, err)
			}
		}
	}
}

// TestCountriesServerMatchesSpec: the constant clients use for the country list is the
// path-level server the spec declares.
func TestCountriesServerMatchesSpec(t *testing.T) {
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Find("/api/available-countries")
	if item == nil || len(item.Servers) != 1 || item.Servers[0].URL != openapi.CountriesServer {
		t.Fatalf("the country list's server in the spec is not openapi.CountriesServer (%s)", openapi.CountriesServer)
	}
}
