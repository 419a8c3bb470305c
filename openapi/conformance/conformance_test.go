package conformance

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cryptomock/cryptomock/openapi"
)

// TestOpenEnum: an order_state the spec does not list is an ErrOpenEnum (a live run reports
// it, tolerated); any other fault of the same frame stays a plain violation.
func TestOpenEnum(t *testing.T) {
	c, err := New(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	example := doc.Paths.Find("/v5/orders").Post.Responses.Status(201).Value.Content.Get("application/json").Example
	b, err := json.Marshal(example)
	if err != nil {
		t.Fatal(err)
	}
	ok := string(b)
	if err := c.CheckEvent("subscribeOrder", "message", b); err != nil {
		t.Fatalf("the spec's own example order: %v", err)
	}
	unknown := strings.Replace(ok, `"order_state":"WaitingForPayment"`, `"order_state":"AwaitingBlockchainMagic"`, 1)
	if unknown == ok {
		t.Fatal("the example has no order_state to change")
	}
	if err := c.CheckEvent("subscribeOrder", "message", []byte(unknown)); !errors.Is(err, ErrOpenEnum) {
		t.Fatalf("an unknown order_state: %v", err)
	}
	both := strings.Replace(unknown, `"coin_amount":"101.48"`, `"coin_amount":42`, 1)
	if both == unknown {
		t.Fatal("the example has no coin_amount to break")
	}
	if err := c.CheckEvent("subscribeOrder", "message", []byte(both)); err == nil || errors.Is(err, ErrOpenEnum) {
		t.Fatalf("an unknown state and a wrong type: %v", err)
	}
}
