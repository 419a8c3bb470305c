package lifecycle

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
)

type recorder struct {
	mu      sync.Mutex
	states  []string
	dropped []string
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		Changed: func(o *Order) { r.mu.Lock(); r.states = append(r.states, o.State+"/"+o.PaymentState); r.mu.Unlock() },
		Dropped: func(id string) { r.mu.Lock(); r.dropped = append(r.dropped, id); r.mu.Unlock() },
	}
}

func (r *recorder) trail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.states, " > ")
}

var testCfg = Config{PaymentWindow: 30 * time.Minute, ProcessingDelay: 2 * time.Second, DeliveryDelay: 3 * time.Second}

func setup(t *testing.T, cfg Config) (*Engine, *clock.Clock, *recorder) {
	t.Helper()
	clk := clock.New()
	t.Cleanup(clk.Close)
	rec := &recorder{}
	return New(clk, cfg, rec.hooks()), clk, rec
}

func newOrder(id, partner string) Order {
	return Order{ID: id, Partner: partner, Coin: "USDC", CoinDecimals: 2, CoinAmount: money.MustParse("101.48"),
		OriginalCoinAmount: money.MustParse("101.48"), FiatUSD: money.MustParse("100"), Email: "a@example.com",
		Deliveries: []Delivery{{ID: "d1", Kind: "giftcard", Brand: "Airbnb", DeliveryType: "by_email", Denomination: "100 USD"}}}
}

func TestLifecyclePaths(t *testing.T) {
	type step func(t *testing.T, e *Engine, clk *clock.Clock)
	pay := func(amount string) step {
		return func(t *testing.T, e *Engine, _ *clock.Clock) {
			var a *big.Rat
			if amount != "" {
				a = money.MustParse(amount)
			}
			if _, err := e.Pay("o1", a); err != nil {
				t.Fatalf("pay %s: %v", amount, err)
			}
		}
	}
	advance := func(d time.Duration) step {
		return func(_ *testing.T, _ *Engine, clk *clock.Clock) { clk.Advance(d) }
	}
	apply := func(action string) step {
		return func(t *testing.T, e *Engine, _ *clock.Clock) {
			if _, err := e.Apply("o1", action, ""); err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
	}
	cases := []struct {
		name  string
		steps []step
		trail string
		final string
		sent  string
	}{
		{"happy path", []step{pay(""), advance(10 * time.Second)},
			"WaitingForPayment/WalletCreated > PaymentReceived/PaymentReceived > WaitingForDelivery/PaymentCompleted > Done/PaymentCompleted", "Done", "101.48"},
		{"expiry", []step{advance(30 * time.Minute)},
			"WaitingForPayment/WalletCreated > Expired/Expired", "Expired", "0"},
		{"partial then complete", []step{pay("50"), pay("51.48"), advance(5 * time.Second)},
			"WaitingForPayment/WalletCreated > WaitingForPayment/PartialPaymentReceived > PaymentReceived/PaymentReceived > WaitingForDelivery/PaymentCompleted > Done/PaymentCompleted", "Done", "101.48"},
		{"partial then expiry", []step{pay("50"), advance(31 * time.Minute)},
			"WaitingForPayment/WalletCreated > WaitingForPayment/PartialPaymentReceived > Expired/ExpiredAfterPaymentDetection", "Expired", "50"},
		{"overpayment completes", []step{pay("200"), advance(5 * time.Second)},
			"WaitingForPayment/WalletCreated > PaymentReceived/PaymentReceived > WaitingForDelivery/PaymentCompleted > Done/PaymentCompleted", "Done", "200"},
		{"late payment stays expired", []step{advance(31 * time.Minute), pay("101.48")},
			"WaitingForPayment/WalletCreated > Expired/Expired > Expired/ExpiredAfterPaymentDetection", "Expired", "101.48"},
		{"delivery failure to review to refund", []step{pay(""), apply(ActionFailDelivery), apply(ActionRefund), advance(time.Hour)},
			"WaitingForPayment/WalletCreated > PaymentReceived/PaymentReceived > WaitingForManualAction/PaymentReceived > Refunded/Refunded", "Refunded", "101.48"},
		{"manual review then deliver", []step{pay(""), advance(2 * time.Second), apply(ActionManualReview), advance(time.Hour), apply(ActionDeliver)},
			"WaitingForPayment/WalletCreated > PaymentReceived/PaymentReceived > WaitingForDelivery/PaymentCompleted > WaitingForManualAction/PaymentCompleted > Done/PaymentCompleted", "Done", "101.48"},
		{"cancel", []step{apply(ActionCancel), advance(time.Hour)},
			"WaitingForPayment/WalletCreated > Canceled/WalletCreated", "Canceled", "0"},
		{"payment requested, started, then received", []step{apply(ActionRequestPayment), apply(ActionPaymentStarted), pay(""), advance(5 * time.Second)},
			"WaitingForPayment/WalletCreated > WaitingForPayment/PaymentRequested > PaymentStarted/PaymentRequested > PaymentReceived/PaymentReceived > WaitingForDelivery/PaymentCompleted > Done/PaymentCompleted", "Done", "101.48"},
		{"partial payment started, then expiry", []step{apply(ActionPartialPaymentStarted), pay("50"), advance(31 * time.Minute)},
			"WaitingForPayment/WalletCreated > PartialPaymentStarted/WalletCreated > PartialPaymentStarted/PartialPaymentReceived > Expired/ExpiredAfterPaymentDetection", "Expired", "50"},
		{"payment failure", []step{apply(ActionFailPayment)},
			"WaitingForPayment/WalletCreated > PaymentFailed/PaymentFailed", "PaymentFailed", "0"},
		{"forced expiry", []step{apply(ActionExpire)},
			"WaitingForPayment/WalletCreated > Expired/Expired", "Expired", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, clk, rec := setup(t, testCfg)
			e.Create(newOrder("o1", "p1"))
			for _, s := range tc.steps {
				s(t, e, clk)
			}
			if got := rec.trail(); got != tc.trail {
				t.Errorf("trail\n got %s\nwant %s", got, tc.trail)
			}
			o, err := e.Get("p1", "o1")
			if err != nil {
				t.Fatal(err)
			}
			if o.State != tc.final || money.Trim(o.Sent, 8) != tc.sent {
				t.Errorf("final %s sent %s, want %s sent %s", o.State, money.Trim(o.Sent, 8), tc.final, tc.sent)
			}
			if o.State == StateDone && (o.Deliveries[0].Redemption == nil || o.Deliveries[0].Redemption.PinCode == "") {
				t.Error("a delivered gift card carries no code")
			}
			if o.State == StateRefunded && (o.Refund == nil || o.Refund.Amount.Cmp(o.Sent) != 0) {
				t.Error("refund must return what was sent")
			}
		})
	}
}

func TestConflictsAndErrors(t *testing.T) {
	e, _, _ := setup(t, testCfg)
	e.Create(newOrder("o1", "p1"))
	for _, action := range []string{ActionDeliver, ActionFailDelivery, ActionManualReview, ActionRefund} {
		if _, err := e.Apply("o1", action, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("%s on an unpaid order: %v, want ErrConflict", action, err)
		}
	}
	if _, err := e.Apply("o1", "explode", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := e.Apply("nope", ActionCancel, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
	if _, err := e.Pay("o1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Pay("o1", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("paying nothing more on a paid order: %v", err)
	}
}

func TestPartnersAreIsolated(t *testing.T) {
	e, _, rec := setup(t, testCfg)
	e.Create(newOrder("a", "p1"))
	e.Create(newOrder("b", "p2"))
	if _, err := e.Get("p2", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal("p2 sees p1's order")
	}
	if len(e.List("p1")) != 1 || len(e.List("")) != 2 {
		t.Fatal("List")
	}
	e.Reset("p1")
	if len(e.List("")) != 1 || len(rec.dropped) != 1 || rec.dropped[0] != "a" {
		t.Fatalf("reset of p1: %d left, dropped %v", len(e.List("")), rec.dropped)
	}
}

func TestAutoModePays(t *testing.T) {
	cfg := testCfg
	cfg.Mode, cfg.AutoPayAfter = ModeAuto, 10*time.Second
	e, clk, _ := setup(t, cfg)
	e.Create(newOrder("o1", "p1"))
	clk.Advance(20 * time.Second)
	if o, _ := e.Get("p1", "o1"); o.State != StateDone {
		t.Fatalf("auto mode: %s after 20s", o.State)
	}
}

func TestMaxOrdersForgetsOldest(t *testing.T) {
	cfg := testCfg
	cfg.MaxOrders = 2
	e, _, rec := setup(t, cfg)
	for _, id := range []string{"1", "2", "3"} {
		e.Create(newOrder(id, "p"))
	}
	if _, err := e.Get("p", "1"); !errors.Is(err, ErrNotFound) || len(rec.dropped) != 1 {
		t.Fatal("oldest order not forgotten")
	}
}

// TestBuyersFollowTheirOrders holds the spending index to the stored orders: a forgotten
// order (past MaxOrders, past MaxTotal, or reset) leaves its buyer's orders and no longer
// counts toward a limit, and a buyer with no order left is not kept.
func TestBuyersFollowTheirOrders(t *testing.T) {
	cfg := testCfg
	cfg.MaxOrders, cfg.MaxTotal = 3, 4
	e, _, _ := setup(t, cfg)
	day := []Limit{{Window: 24 * time.Hour, MaxUSD: money.MustParse("250")}}
	create := func(id, partner, email string) {
		t.Helper()
		o := newOrder(id, partner)
		o.Email = email
		if _, over := e.CreateWithin(o, day); len(over) != 0 {
			t.Fatalf("order %s of %s refused", id, email)
		}
	}
	check := func(when string) {
		t.Helper()
		e.mu.Lock()
		defer e.mu.Unlock()
		n := 0
		for b, sp := range e.byBuyer {
			if sp.key != b || len(sp.orders) == 0 {
				t.Fatalf("%s: buyer %v kept with key %v and %d orders", when, b, sp.key, len(sp.orders))
			}
			for _, en := range sp.orders {
				if e.orders[en.o.ID] != en || en.spender != sp || buyerOf(en.o) != b {
					t.Fatalf("%s: buyer %v lists order %s, which is not stored as theirs", when, b, en.o.ID)
				}
				n++
			}
		}
		if n != len(e.orders) {
			t.Fatalf("%s: buyers list %d orders, %d are stored", when, n, len(e.orders))
		}
	}
	create("1", "p", "A@example.com")
	create("2", "p", "a@example.com") // the same buyer: 200 of 250 spent
	if over := e.Over("p", "a@example.com", money.MustParse("100"), day); len(over) != 1 {
		t.Fatal("200 spent + 100 passed the 250 limit")
	}
	create("3", "p", "b@example.com")
	create("4", "p", "c@example.com") // past MaxOrders: order 1 forgotten, a@ has 100 left
	check("past MaxOrders")
	if over := e.Over("p", "a@example.com", money.MustParse("150"), day); len(over) != 0 {
		t.Fatal("a forgotten order still counts toward the limit")
	}
	create("5", "q", "a@example.com") // another partner: its own buyer
	create("6", "q", "d@example.com") // past MaxTotal: the oldest of all (2) forgotten
	check("past MaxTotal")
	if _, err := e.Get("p", "2"); !errors.Is(err, ErrNotFound) {
		t.Fatal("order 2 kept past MaxTotal")
	}
	if _, ok := e.byBuyer[buyer{"p", "a@example.com"}]; ok {
		t.Fatal("a buyer with no order left is kept")
	}
	create("7", "r", "e@example.com") // past MaxTotal: forgets p's 3
	create("8", "r", "e@example.com") // and p's 4
	create("9", "q", "a@example.com") // and q's 5: a@'s only order at q, forgotten by a@'s next
	check("a buyer's only order forgotten by the buyer's next")
	if over := e.Over("q", "a@example.com", money.MustParse("200"), day); len(over) != 1 {
		t.Fatal("the order that replaced a buyer's only one does not count toward the limit")
	}
	e.Reset("p")
	check("after reset of p")
	e.Reset("")
	check("after reset")
	if len(e.byBuyer) != 0 {
		t.Fatalf("%d buyers kept after a reset", len(e.byBuyer))
	}
}

func TestOverLimits(t *testing.T) {
	e, clk, _ := setup(t, testCfg)
	e.Create(newOrder("1", "p")) // 100 USD for a@example.com
	o := newOrder("2", "p")
	o.Email = "other@example.com"
	e.Create(o)
	limits := []Limit{{Window: 24 * time.Hour, MaxUSD: money.MustParse("150")}, {Window: time.Hour, MaxUSD: money.MustParse("1000")}}
	if over := e.Over("p", "A@example.com", money.MustParse("60"), limits); len(over) != 1 || over[0] != 0 {
		t.Fatalf("100 spent + 60 against 150 and 1000: over %v, want [0]", over)
	}
	if over := e.Over("p", "a@example.com", money.MustParse("50"), limits); len(over) != 0 {
		t.Fatalf("100 spent + 50 is exactly 150: over %v", over)
	}
	if over := e.Over("q", "a@example.com", money.MustParse("140"), limits); len(over) != 0 {
		t.Fatalf("another partner's user has spent nothing: over %v", over)
	}
	clk.Advance(time.Hour) // order 1 expires unpaid: it no longer counts
	if over := e.Over("p", "a@example.com", money.MustParse("150"), limits); len(over) != 0 {
		t.Fatalf("expired unpaid order counted: over %v", over)
	}
	if _, over := e.CreateWithin(newOrder("3", "p"), limits[:1]); len(over) != 0 {
		t.Fatalf("100 within 150: refused by %v", over)
	}
	if _, over := e.CreateWithin(newOrder("4", "p"), limits); len(over) != 1 || over[0] != 0 {
		t.Fatalf("200 past 150: refused by %v, want [0]", over)
	}
}

// TestSnapshotsNeverChange holds the engine to its copy-on-write promise: what the hooks got
// and what callers got stays as it was when the order changes later.
func TestSnapshotsNeverChange(t *testing.T) {
	clk := clock.New()
	t.Cleanup(clk.Close)
	var seen []*Order
	var mu sync.Mutex
	e := New(clk, testCfg, Hooks{Changed: func(o *Order) { mu.Lock(); seen = append(seen, o); mu.Unlock() }})
	created := e.Create(newOrder("1", "p"))
	got, _ := e.Get("p", "1")
	if _, err := e.Pay("1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply("1", ActionDeliver, ""); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Fatalf("%d changes, want created, paid, delivered", len(seen))
	}
	for _, o := range []Order{created, got, *seen[0]} {
		if o.State != StateWaitingForPayment || o.Deliveries[0].State != DeliveryWaitingForPayment || o.Deliveries[0].Redemption != nil || len(o.Payments) != 0 {
			t.Fatalf("the creation's snapshot changed: %s, delivery %s", o.State, o.Deliveries[0].State)
		}
	}
	if s := seen[1]; s.State != StatePaymentReceived || len(s.Payments) != 1 || s.Deliveries[0].State != DeliveryWaitingForPayment {
		t.Fatalf("the payment's snapshot changed: %s, delivery %s", s.State, s.Deliveries[0].State)
	}
	if s := seen[2]; s.State != StateDone || s.Deliveries[0].State != DeliveryDone || s.Deliveries[0].Redemption == nil {
		t.Fatalf("the delivery's snapshot: %s, delivery %s", s.State, s.Deliveries[0].State)
	}
}

// TestOneExpiryTaskPerPartner: a partner's orders waiting for payment share one clock task;
// each still expires at its own time (its updated_at is its expiry), paid ones never, and the
// queue behind the task stays within the orders kept.
func TestOneExpiryTaskPerPartner(t *testing.T) {
	cfg := testCfg
	cfg.MaxOrders = 50
	e, clk, _ := setup(t, cfg)
	var ids []string
	for i := range 200 {
		id := fmt.Sprintf("o%d", i)
		e.Create(newOrder(id, "p"))
		ids = append(ids, id)
		clk.Advance(time.Second) // each order a second younger than the one before
	}
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d clock tasks for one partner's orders, want 1", n)
	}
	if n := len(e.expiring["p"].ids); n != 50 { // forgetting the oldest drops it from the queue's head
		t.Fatalf("the expiry queue holds %d ids for the 50 orders kept", n)
	}
	kept := ids[150:]
	for _, id := range kept[:10] { // paid: never expire
		if _, err := e.Pay(id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if next := e.Next(kept[10]); len(next) != 1 || next[0].What != "expires (Expired) unless paid" {
		t.Fatalf("next for an unpaid order: %+v", next)
	}
	if next := e.Next(kept[0]); len(next) != 1 || next[0].What == "expires (Expired) unless paid" {
		t.Fatalf("next for a paid order: %+v", next)
	}
	clk.Advance(time.Hour)
	for i, id := range kept {
		o, err := e.Get("p", id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i < 10 && o.State == StateExpired:
			t.Fatalf("%s expired after it was paid", id)
		case i >= 10 && (o.State != StateExpired || !o.UpdatedAt.Equal(o.ExpiresAt)):
			t.Fatalf("%s: %s, updated %v, due to expire %v", id, o.State, o.UpdatedAt, o.ExpiresAt)
		}
	}
	if _, ok := e.expiring["p"]; ok {
		t.Fatal("a queue left with nothing waiting")
	}
}

// TestExpiryAfterReset: a reset drops the partner's queue with its task, and orders made after
// it (on a clock whose tasks were dropped too) still expire.
func TestExpiryAfterReset(t *testing.T) {
	e, clk, _ := setup(t, testCfg)
	e.Create(newOrder("1", "p"))
	e.Reset("")
	clk.Reset()
	e.Create(newOrder("2", "p"))
	clk.Advance(31 * time.Minute)
	if o, _ := e.Get("p", "2"); o.State != StateExpired {
		t.Fatalf("an order made after a reset: %s, want Expired", o.State)
	}
}

// TestTrimKeepsPartnerQueues: beyond MaxTotal the oldest order of all is forgotten, whoever's
// it is, and each partner's queue keeps exactly its stored orders, oldest first (the trim takes
// the head of the owner's queue without scanning it; a queue out of step would leak or
// forget the wrong order later).
func TestTrimKeepsPartnerQueues(t *testing.T) {
	cfg := testCfg
	cfg.MaxTotal, cfg.MaxOrders = 5, 100
	e, _, rec := setup(t, cfg)
	type stored struct{ id, partner string }
	var model []stored // every stored order, oldest first
	for i, partner := range strings.Split("a a b c a b b c c a b a a a c b", " ") {
		id := fmt.Sprintf("o%02d", i)
		e.Create(newOrder(id, partner))
		if model = append(model, stored{id, partner}); len(model) > cfg.MaxTotal {
			model = model[1:]
		}
		want := map[string][]string{}
		for _, m := range model {
			want[m.partner] = append(want[m.partner], m.id)
		}
		e.mu.Lock()
		got := fmt.Sprint(e.byPartner)
		stored := len(e.orders)
		e.mu.Unlock()
		if got != fmt.Sprint(want) || stored != len(model) {
			t.Fatalf("after %s: queues %s, %d stored; want %s, %d", id, got, stored, fmt.Sprint(want), len(model))
		}
	}
	if len(rec.dropped) != 16-cfg.MaxTotal {
		t.Errorf("dropped %d orders, want %d", len(rec.dropped), 16-cfg.MaxTotal)
	}
}

// BenchmarkCreateAtTheCap creates orders once the store is full: one partner (its own oldest
// is forgotten), two partners taking turns (the oldest of all is forgotten, another partner's
// as often as not), and one partner whose orders all have the same buyer (as a test suite's
// fixed email does; no limits here).
func BenchmarkCreateAtTheCap(b *testing.B) {
	for _, c := range []struct {
		name     string
		partners int
		oneBuyer bool
	}{{"partners=1", 1, false}, {"partners=2", 2, false}, {"one-buyer", 1, true}} {
		b.Run(c.name, func(b *testing.B) {
			clk := clock.New()
			defer clk.Close()
			e := New(clk, testCfg, Hooks{})
			n := 0
			create := func() {
				n++
				o := newOrder(fmt.Sprintf("o-%08d", n), fmt.Sprintf("p%d", n%c.partners))
				if !c.oneBuyer {
					o.Email = fmt.Sprintf("u%d@example.com", n)
				}
				e.Create(o)
			}
			for range 10000 {
				create()
			}
			b.ResetTimer()
			for b.Loop() {
				create()
			}
		})
	}
}
