package mockserver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/scenarios"
)

// TestNegativeCampaign sends, for every operation of both upstream APIs, requests generated
// from the specs that must be refused: missing required fields and parameters, wrong types,
// values outside enums, invalid JSON, an array for an object, oversized bodies, wrong content
// types, invalid UTF-8, absurd headers and path parameters. Every answer must be a 4xx in the
// upstream's error shape; none a 5xx; the server keeps serving; an order stored before is
// unchanged. The count and the outcome are printed.
func TestNegativeCampaign(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Limits.MaxBodyBytes = 64 << 10 })
	stored := h.create(orderBody())
	_, before := h.req("GET", "/v5/orders/"+stored.OrderID, nil)

	all, err := scenarios.Load()
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]scenarios.Scenario{} // a valid request per operation
	for _, s := range all {
		key := s.API + "." + s.Operation
		valid := s.Expect.Status/100 == 2 || (s.Expect.Status == 0 && s.Setup.Fault == nil) // streams expect states
		if _, ok := base[key]; !ok && !s.Request.Invalid && valid && len(s.Request.OmitHeaders) == 0 {
			base[key] = s
		}
	}
	docs := map[string]*openapi3.T{}
	for api, name := range map[string]string{"cryptorefills": openapi.Cryptorefills, "payscrypt": openapi.Payscrypt} {
		if docs[api], err = openapi.Load(name); err != nil {
			t.Fatal(err)
		}
	}
	creds := scenarios.Credentials{Partner: h.partner, Version: "1.0", APIKey: "test-apikey", WalletID: 1}
	vars := scenarios.Vars{"orderId": stored.OrderID, "invoice": "1"}
	outcomes := map[string]int{}
	tried := 0
	try := func(what string, s scenarios.Scenario, mutate func(*http.Request)) {
		t.Helper()
		req, err := s.NewRequest(context.Background(), h.url, creds, vars)
		if err != nil {
			t.Fatal(err)
		}
		mutate(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", s.Operation, what, err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tried++
		outcomes[fmt.Sprintf("%d", resp.StatusCode)]++
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s.%s %s: answered %d, want a 4xx: %.200s", s.API, s.Operation, what, resp.StatusCode, body)
			return
		}
		if s.API == "payscrypt" {
			if resp.Header.Get("grpc-code") == "" || resp.Header.Get("grpc-message") == "" {
				t.Errorf("%s.%s %s: no grpc-code/grpc-message headers", s.API, s.Operation, what)
			}
			return
		}
		var e struct {
			Status      int            `json:"status"`
			Detail      string         `json:"detail"`
			MoreDetails map[string]any `json:"moreDetails"`
		}
		if json.Unmarshal(body, &e) != nil || e.Status != resp.StatusCode || e.Detail == "" || e.MoreDetails["reason"] == nil {
			t.Errorf("%s.%s %s: not the HttpError shape: %.200s", s.API, s.Operation, what, body)
		}
	}
	setBody := func(b []byte, contentType string) func(*http.Request) {
		return func(r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			r.Header.Set("Content-Type", contentType)
		}
	}

	keys := make([]string, 0, len(base))
	for k := range base {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		s := base[key]
		method, path, _ := s.Route()
		op := docs[s.API].Paths.Find(path).GetOperation(method)

		// Parameters.
		for _, p := range op.Parameters {
			p := p.Value
			if p.In == "header" && p.Name == "Last-Event-ID" {
				continue
			}
			if p.Required && (p.In == "query" || p.In == "header") {
				try("without "+p.Name, s, func(r *http.Request) {
					if p.In == "header" {
						r.Header.Del(p.Name)
					} else {
						q := r.URL.Query()
						q.Del(p.Name)
						r.URL.RawQuery = q.Encode()
					}
				})
			}
			bad := ""
			switch {
			case len(p.Schema.Value.Enum) > 0:
				bad = "not-in-the-enum"
			case p.Schema.Value.Type.Is("number") || p.Schema.Value.Type.Is("integer"):
				bad = "not-a-number"
			case p.Schema.Value.MaxLength != nil:
				bad = strings.Repeat("x", int(*p.Schema.Value.MaxLength)+1)
			}
			if bad == "" {
				continue
			}
			try(p.In+" "+p.Name+" bad", s, func(r *http.Request) {
				switch p.In {
				case "header":
					r.Header.Set(p.Name, bad)
				case "query":
					q := r.URL.Query()
					q.Set(p.Name, bad)
					r.URL.RawQuery = q.Encode()
				case "path":
					r.URL.Path = strings.Replace(r.URL.Path, "/"+paramValue(s, p.Name, vars), "/"+bad, 1)
				}
			})
		}
		// Absurd values for the headers an operation declares (the QR image and the country
		// list declare none: browsers and another host call them, and they ignore headers).
		for _, p := range op.Parameters {
			if name := p.Value.Name; p.Value.In == "header" && (name == "X-Cr-Application" || name == "X-Forwarded-For") {
				try("absurd "+name, s, func(r *http.Request) { r.Header.Set(name, strings.Repeat("1.2.3.4, ", 1300)) })
			}
		}
		if s.API == "cryptorefills" {
			try("invalid UTF-8 in the query", s, func(r *http.Request) { r.URL.RawQuery += "&x=%ff%fe" })
		}
		// Hostile shapes from the hardening issue, on every operation: a DNS-rebinding Host, a
		// body announced over the cap with Expect: 100-continue.
		try("a foreign Host (DNS rebinding)", s, func(r *http.Request) { r.Host = "rebind.evil.example" })
		if op.RequestBody != nil {
			try("Expect: 100-continue over the cap", s, func(r *http.Request) {
				r.Header.Set("Expect", "100-continue")
				r.ContentLength = 1 << 30
				r.Body = io.NopCloser(io.LimitReader(zeros{}, 1<<30))
			})
		}

		// Bodies.
		if op.RequestBody == nil {
			continue
		}
		valid, err := s.Body(creds, vars)
		if err != nil || valid == nil {
			t.Fatalf("%s: no valid body to mutate", key)
		}
		try("invalid JSON", s, setBody([]byte(`{"deliveries": [`), "application/json"))
		try("an array for the object", s, setBody([]byte(`[]`), "application/json"))
		try("text/plain content type", s, setBody(valid, "text/plain"))
		try("invalid UTF-8", s, setBody(bytes.Replace(valid, []byte(`"`), []byte("\"\xff\xfe"), 1), "application/json"))
		try("a byte order mark before the JSON", s, setBody(append([]byte("\xef\xbb\xbf"), valid...), "application/json"))
		try("a gzip-encoded body", s, func(r *http.Request) {
			setBody(gzipped(valid), "application/json")(r)
			r.Header.Set("Content-Encoding", "gzip")
		})
		try("oversized body", s, setBody(append([]byte(`{"x":"`), append(bytes.Repeat([]byte("a"), 70<<10), '"', '}')...), "application/json"))
		schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
		var obj map[string]any
		_ = json.Unmarshal(valid, &obj)
		for name, prop := range schema.Properties { // 60 KB where a string goes (the body cap here is 64 KB)
			if prop.Value.Type.Is("string") || prop.Value.OneOf != nil {
				try(name+" of 60 KB", s, setBody(with(obj, name, strings.Repeat("9", 60<<10)), "application/json"))
			}
		}
		for _, name := range schema.Required {
			try("without "+name, s, setBody(without(obj, name), "application/json"))
		}
		for name, prop := range schema.Properties {
			if wrong, ok := wrongType(prop.Value); ok {
				try(name+" of the wrong type", s, setBody(with(obj, name, wrong), "application/json"))
			}
			if len(prop.Value.Enum) > 0 {
				try(name+" outside its enum", s, setBody(with(obj, name, "NOT-IN-THE-ENUM"), "application/json"))
			}
			for sub, subProp := range prop.Value.Properties { // one level down: payment.type, ...
				nested, ok := obj[name].(map[string]any)
				if !ok || len(subProp.Value.Enum) == 0 {
					continue
				}
				try(name+"."+sub+" outside its enum", s, setBody(with(obj, name, withMap(nested, sub, "NOT-IN-THE-ENUM")), "application/json"))
			}
		}
	}

	if status, _ := h.admin("GET", "/__mock/health", nil); status != 200 {
		t.Fatalf("the mock stopped serving: health %d", status)
	}
	if _, after := h.req("GET", "/v5/orders/"+stored.OrderID, nil); string(after) != string(before) {
		t.Errorf("a stored order changed during the campaign:\n%s\n%s", before, after)
	}
	want := len(openapi.OperationIDs(docs["cryptorefills"])) + len(openapi.OperationIDs(docs["payscrypt"]))
	if len(base) != want {
		t.Errorf("the campaign covered %d operations, want all %d of both upstream APIs", len(base), want)
	}
	if tried < 100 {
		t.Fatalf("only %d requests tried", tried)
	}
	t.Logf("negative campaign: %d requests over %d operations, answers by status: %v, no 5xx", tried, len(base), outcomes)
}

func paramValue(s scenarios.Scenario, name string, vars scenarios.Vars) string {
	if v, ok := s.Request.Path[name]; ok {
		return v
	}
	return vars[name]
}

func without(obj map[string]any, key string) []byte {
	c := map[string]any{}
	for k, v := range obj {
		if k != key {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	return b
}

func with(obj map[string]any, key string, v any) []byte {
	b, _ := json.Marshal(withMap(obj, key, v))
	return b
}

func withMap(obj map[string]any, key string, v any) map[string]any {
	c := map[string]any{}
	for k, x := range obj {
		c[k] = x
	}
	c[key] = v
	return c
}

// wrongType returns a JSON value of another type than the schema's, when it has one.
func wrongType(s *openapi3.Schema) (any, bool) {
	switch {
	case s.Type.Is("string"):
		return 12345, true
	case s.Type.Is("object"), s.Type.Is("array"):
		return "not-this-type", true
	case s.Type.Is("integer"), s.Type.Is("number"), s.Type.Is("boolean"):
		return "not-this-type", true
	}
	return nil, false
}

// zeros is an endless body for a request that must be refused before it is read.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// TestByteOrderMarkNamed: a JSON body that starts with a UTF-8 byte order mark is refused in
// each API's error shape with a reason that names the mark (not encoding/json's "invalid
// character 'ï'"), and the same body without it passes; a gzip-encoded body is refused
// naming its Content-Encoding (not as invalid UTF-8).
func TestByteOrderMarkNamed(t *testing.T) {
	h := start(t)
	bom := "\xef\xbb\xbf"
	body := mustJSON(orderBody())
	status, b := h.req("POST", "/v5/orders/validations", bom+body)
	e := decode[struct {
		MoreDetails struct{ Reason string } `json:"moreDetails"`
	}](t, b)
	if status != http.StatusBadRequest || !strings.Contains(e.MoreDetails.Reason, "byte order mark") {
		t.Errorf("Cryptorefills with a BOM: %d %s", status, b)
	}
	if status, b := h.req("POST", "/v5/orders/validations", body); status != http.StatusOK {
		t.Errorf("Cryptorefills without the BOM: %d %s", status, b)
	}
	status, b = h.req("POST", "/v5/orders/validations", gzipped([]byte(body)), "Content-Encoding", "gzip")
	e = decode[struct {
		MoreDetails struct{ Reason string } `json:"moreDetails"`
	}](t, b)
	if status != http.StatusBadRequest || !strings.Contains(e.MoreDetails.Reason, `Content-Encoding "gzip"`) {
		t.Errorf("Cryptorefills gzip-encoded: %d %s", status, b)
	}

	status, b = h.raw("POST", "/apis/pg/create_order", bom+mustJSON(hoodie), map[string]string{"apikey": "test-apikey"})
	p := decode[struct{ Message string }](t, b)
	if status != http.StatusBadRequest || !strings.Contains(p.Message, "byte order mark") {
		t.Errorf("Payscrypt with a BOM: %d %s", status, b)
	}
}
