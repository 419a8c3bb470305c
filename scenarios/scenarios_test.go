package scenarios_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/openapi/conformance"
	"github.com/cryptomock/cryptomock/scenarios"
)

var creds = scenarios.Credentials{Partner: "p", Version: "1.0", APIKey: "k", WalletID: 1}

// TestCatalogueAgainstTheSpecs: every scenario names an operation of its spec, and the request
// it sends (and every set-up body) validates against that operation, except the requests
// marked invalid, which must fail validation.
func TestCatalogueAgainstTheSpecs(t *testing.T) {
	all, err := scenarios.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 60 {
		t.Fatalf("only %d scenarios", len(all))
	}
	check, err := conformance.New(openapi.Cryptorefills, openapi.Payscrypt)
	if err != nil {
		t.Fatal(err)
	}
	vars := scenarios.Vars{"orderId": "ord_test", "invoice": "1001"}
	for _, s := range all {
		req, err := s.NewRequest(context.Background(), "http://target", creds, vars)
		if err != nil {
			t.Errorf("%s: %v", s.ID, err)
			continue
		}
		err = check.CheckRequest(req)
		if s.Request.Invalid && err == nil {
			t.Errorf("%s is marked invalid but its request validates", s.ID)
		}
		if !s.Request.Invalid && err != nil {
			t.Errorf("%s: request does not validate: %v", s.ID, err)
		}
		setups := []struct {
			api, op string
			body    any
		}{{"cryptorefills", "createOrder", s.Setup.CreateOrder}, {"payscrypt", "createPaymentOrder", s.Setup.CreateInvoice}}
		for _, su := range setups {
			if su.body == nil {
				continue
			}
			setup := scenarios.Scenario{ID: s.ID + ".setup", API: su.api, Operation: su.op, Request: scenarios.Request{Body: su.body}}
			r, err := setup.NewRequest(context.Background(), "http://target", creds, vars)
			if err == nil {
				err = check.CheckRequest(r)
			}
			if err != nil {
				t.Errorf("%s: set-up body does not validate as %s.%s: %v", s.ID, su.api, su.op, err)
			}
		}
	}
}

func TestCatalogueCoversTheIssue(t *testing.T) {
	all, _ := scenarios.Load()
	byOp := map[string]bool{}
	labels := map[string]int{}
	problems := map[string]bool{}
	for _, s := range all {
		byOp[s.API+"."+s.Operation] = true
		for _, l := range s.Labels {
			labels[l]++
		}
		for _, p := range s.Expect.Problems {
			problems[p] = true
		}
		if s.Expect.Detail != "" {
			problems[s.Expect.Detail] = true
		}
	}
	// Every operation of both upstream specs, read from the specs themselves.
	for api, name := range map[string]string{"cryptorefills": openapi.Cryptorefills, "payscrypt": openapi.Payscrypt} {
		doc, err := openapi.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range openapi.OperationIDs(doc) {
			if !byOp[api+"."+id] {
				t.Errorf("no scenario exercises %s.%s", api, id)
			}
		}
	}
	// Every problem code of the documents, and the suspensions.
	doc, _ := openapi.Load(openapi.Cryptorefills)
	for _, v := range doc.Components.Schemas["ProblemCode"].Value.Enum[:26] {
		if !problems[v.(string)] {
			t.Errorf("no scenario for problem code %s", v)
		}
	}
	for _, code := range []string{"SUSPENDED_COIN", "SUSPENDED_NETWORK"} {
		if !problems[code] {
			t.Errorf("no scenario for %s", code)
		}
	}
	for _, l := range []string{"lifecycle", "sse", "faults", "webhooks", "auth", "bad-request"} {
		if labels[l] == 0 {
			t.Errorf("no scenario labelled %s", l)
		}
	}
}

func TestDecodeIsStrict(t *testing.T) {
	cases := map[string]string{
		"unknown key":     "- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [auth], expect: {status: 1}, colour: red}",
		"bad id":          "- {id: Nope, summary: s, api: payscrypt, operation: x, labels: [auth], expect: {status: 1}}",
		"unknown label":   "- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [shiny], expect: {status: 1}}",
		"unknown need":    "- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [auth], needs: [magic], expect: {status: 1}}",
		"expects nothing": "- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [auth]}",
		"unknown api":     "- {id: a.b, summary: s, api: stripe, operation: x, labels: [auth], expect: {status: 1}}",
		"no summary":      "- {id: a.b, summary: '', api: payscrypt, operation: x, labels: [auth], expect: {status: 1}}",
	}
	for name, y := range cases {
		if _, err := scenarios.Decode([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := "- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [auth], expect: {status: 1}}"
	if _, err := scenarios.Decode([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	s := scenarios.Scenario{ID: "x.y", API: "payscrypt", Operation: "nope"}
	if _, _, err := s.Route(); err == nil {
		t.Error("an operation missing from the spec was routed")
	}
	b, _ := scenarios.FillBody(map[string]any{"pg_wallet_id": 0, "id": "0"}, creds, scenarios.Vars{"invoice": "77"})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["pg_wallet_id"] != float64(1) || m["id"] != "77" {
		t.Errorf("placeholders not filled: %s", b)
	}
}
