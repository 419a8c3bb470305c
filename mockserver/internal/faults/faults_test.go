package faults

import "testing"

func TestMatchScopesAndCounts(t *testing.T) {
	r := New()
	if _, err := r.Arm(Fault{Kind: "meteor"}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	f, _ := r.Arm(Fault{Kind: Status, Status: 503, Partner: "p1", Operation: "getOrder", Count: 2})
	r.Arm(Fault{Kind: Latency, LatencyMS: 10, Operation: "payscrypt.createPaymentOrder"})

	if _, ok := r.Match("cryptorefills", "getOrder", "p2", "", RequestKinds...); ok {
		t.Error("fault of p1 fired for p2")
	}
	if _, ok := r.Match("cryptorefills", "createOrder", "p1", "", Status); ok {
		t.Error("fault of getOrder fired for createOrder")
	}
	for i := 0; i < 2; i++ {
		got, ok := r.Match("cryptorefills", "getOrder", "p1", "o", Status)
		if !ok || got.ID != f.ID || got.Status != 503 {
			t.Fatalf("firing %d: %+v %v", i, got, ok)
		}
	}
	if _, ok := r.Match("cryptorefills", "getOrder", "p1", "o", Status); ok {
		t.Error("fault fired a third time with count 2")
	}
	if _, ok := r.Match("cryptorefills", "createOrder", "x", "", Latency); ok {
		t.Error("API-qualified operation matched the other API")
	}
	for i := 0; i < 5; i++ { // count 0: until cleared
		if _, ok := r.Match("payscrypt", "createPaymentOrder", "", "", Latency); !ok {
			t.Fatal("unlimited fault stopped firing")
		}
	}
	if n := r.Clear(""); n != 1 || len(r.List()) != 0 {
		t.Fatalf("cleared %d", n)
	}
}

func TestArmedProblems(t *testing.T) {
	r := New()
	r.ArmProblems("p", []string{"OUT_OF_STOCK", "COUPON_EXPIRED"}, 2)
	if got := r.TakeProblems("other"); got != nil {
		t.Fatal("problems leaked to another partner")
	}
	for i := 0; i < 2; i++ {
		if got := r.TakeProblems("p"); len(got) != 2 {
			t.Fatalf("take %d: %v", i, got)
		}
	}
	if got := r.TakeProblems("p"); got != nil {
		t.Fatalf("third take: %v", got)
	}
	r.ArmProblems("p", []string{"NOT_ACTIVE"}, 1)
	r.Clear("p")
	if got := r.TakeProblems("p"); got != nil {
		t.Fatal("Clear kept armed problems")
	}
}
