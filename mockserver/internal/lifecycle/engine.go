package lifecycle

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("order not found")
	ErrConflict = errors.New("the order's state does not allow this")
	ErrInvalid  = errors.New("invalid request")
)

// Modes of the lifecycle.
const (
	ModeManual = "manual" // payments only when simulated through the control API
	ModeAuto   = "auto"   // every order is paid in full after AutoPayAfter
)

// Config shapes the timing of orders, on the virtual clock.
type Config struct {
	PaymentWindow   time.Duration // from creation to expiry (30 minutes in the documents)
	ProcessingDelay time.Duration // from full payment to WaitingForDelivery
	DeliveryDelay   time.Duration // from WaitingForDelivery to Done
	Mode            string
	AutoPayAfter    time.Duration
	MaxOrders       int // per partner; the oldest are forgotten beyond it
	MaxTotal        int // across all partners; the oldest are forgotten beyond it
}

// Hooks report changes. They are called with the engine's lock held, in the order the changes
// happened, and must not block or call back into the engine. Changed gets the engine's
// snapshot of the change: it is never modified afterwards, and must not be modified, so a
// hook may keep it (the event stream renders it only when someone streams it).
type Hooks struct {
	Changed func(o *Order)
	Dropped func(id string)
}

// Engine is safe for concurrent use.
//
// Lock order: Engine.mu, then the clock's scheduler lock (At, Cancel), then whatever the
// hooks take (the event broker). Clock tasks call back into the engine without any clock lock.
type Engine struct {
	mu        sync.Mutex
	clk       *clock.Clock
	cfg       Config
	hooks     Hooks
	orders    map[string]*entry
	byPartner map[string][]string
	byBuyer   map[buyer]*spender      // for spending limits
	expiring  map[string]*expiryQueue // by partner
	// fifo holds order ids oldest first, for the bound across partners; ids already forgotten
	// are skipped when met and dropped when the queue has grown to twice the live orders.
	fifo []string
}

// buyer is an end user of a partner: emails compare without case.
type buyer struct{ partner, email string }

func buyerOf(o *Order) buyer { return buyer{o.Partner, strings.ToLower(o.Email)} }

// spender is a buyer's stored orders, oldest first. Entries hold their spender, so storing
// and forgetting an order look the buyer up once (or not at all), and the limits read the
// orders without looking each up by id.
type spender struct {
	key    buyer
	orders []*entry
	first  [1]*entry // room for the first order: most buyers have one
}

// entry is a stored order. Its order is copied on write: once handed out (to the hooks or a
// caller) it is never modified again, and the next change works on a copy (edit), so hooks
// and callers share it without copies of their own.
type entry struct {
	o       *Order
	shared  bool       // o has been handed out: edit copies it first
	clk     clock.View // the partner's clock
	spender *spender   // the order's buyer
	tasks   []task
}

// expiryQueue is a partner's orders waiting for payment, oldest first, and the one clock task
// that expires them. A partner's orders fall due in the order they were created (one payment
// window after creation, on the partner's clock, which only moves forward), so one task at the
// earliest expiry serves them all: storing or forgetting an order schedules or cancels nothing.
// (Orders restored from a state file carry wall-clock times only: should the wall clock have
// been stepped back since, a new order can fall due before a restored one ahead of it, and
// waits for it, at most by the size of the step.)
type expiryQueue struct {
	ids  []string // may hold ids no longer waiting (paid, ended, forgotten): dropped when met
	task clock.Task
	at   time.Time // when task runs; zero when none is pending
}

// task is a timed transition and what it will do, for whoever asks what comes next.
type task struct {
	clock.Task
	due Due
}

// edit returns the entry's order to change: a copy when the current one has been handed out.
func (en *entry) edit() *Order {
	if en.shared {
		c := en.o.clone()
		en.o, en.shared = &c, false
	}
	return en.o
}

// share hands out the entry's order. Its slices and rationals are the engine's snapshot:
// read them, never write them.
func (en *entry) share() Order {
	en.shared = true
	return *en.o
}

// Due is a timed transition scheduled for an order, on its partner's clock.
type Due struct {
	At   time.Time
	What string
}

// New returns an engine.
func New(clk *clock.Clock, cfg Config, hooks Hooks) *Engine {
	if cfg.Mode == "" {
		cfg.Mode = ModeManual
	}
	if cfg.MaxOrders <= 0 {
		cfg.MaxOrders = 10000
	}
	if cfg.MaxTotal <= 0 {
		cfg.MaxTotal = 10000
	}
	if hooks.Changed == nil {
		hooks.Changed = func(*Order) {}
	}
	if hooks.Dropped == nil {
		hooks.Dropped = func(string) {}
	}
	return &Engine{clk: clk, cfg: cfg, hooks: hooks, orders: map[string]*entry{}, byPartner: map[string][]string{},
		byBuyer: map[buyer]*spender{}, expiring: map[string]*expiryQueue{}}
}

// Create stores a new order waiting for payment and schedules its expiry. The caller fills
// the order's identity, amounts and deliveries; the engine sets states and times, and keeps
// the order's slices and rationals: the caller must not change them afterwards.
func (e *Engine) Create(o Order) Order {
	created, _ := e.CreateWithin(o, nil)
	return created
}

// CreateWithin creates the order unless it would take its user past any of limits; the
// check and the storing are one step, so concurrent creations for one user cannot all pass
// the check before any is stored. It returns the indexes of the limits that refused it (as
// Over gives them), none when it was created.
func (e *Engine) CreateWithin(o Order, limits []Limit) (Order, []int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	clk := e.clockOf(o.Partner)
	now := clk.Now()
	b := buyerOf(&o)
	sp := e.byBuyer[b]
	if over := overLocked(sp, now, o.FiatUSD, limits); len(over) > 0 {
		return Order{}, over
	}
	o.CreatedAt, o.UpdatedAt, o.ExpiresAt = now, now, now.Add(e.cfg.PaymentWindow)
	o.State, o.PaymentState = StateWaitingForPayment, PaymentWalletCreated
	o.Sent = money.Zero
	for i := range o.Deliveries {
		o.Deliveries[i].State = DeliveryWaitingForPayment
	}
	en := &entry{o: &o, clk: clk}
	e.orders[o.ID] = en
	ids := append(e.byPartner[o.Partner], o.ID)
	if len(ids) > e.cfg.MaxOrders {
		e.forgetLocked(ids[0])                      // the partner's oldest: the head of its queues
		if len(e.fifo) > 0 && e.fifo[0] == ids[0] { // a partner's oldest is often the oldest of all
			e.fifo = e.fifo[1:]
		}
		ids = ids[1:]
	}
	e.byPartner[o.Partner] = ids
	e.fifo = append(e.fifo, o.ID)
	e.trimLocked()
	e.spendLocked(en, b, sp)
	id := o.ID
	e.awaitLocked(en)
	if e.cfg.Mode == ModeAuto {
		en.tasks = append(en.tasks, task{clk.After(e.cfg.AutoPayAfter, func() { _, _ = e.Pay(id, nil) }),
			Due{At: now.Add(e.cfg.AutoPayAfter), What: "paid in full (lifecycle.mode auto)"}})
	}
	e.hooks.Changed(en.o)
	return en.share(), nil
}

// Get returns a partner's order. An order of another partner is not found.
func (e *Engine) Get(partner, id string) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.orders[id]
	if !ok || en.o.Partner != partner {
		return Order{}, ErrNotFound
	}
	return en.share(), nil
}

// Lookup returns an order whatever its partner (control API).
func (e *Engine) Lookup(id string) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	return en.share(), nil
}

// List returns the orders of a partner ("" for all), newest first.
func (e *Engine) List(partner string) []Order {
	e.mu.Lock()
	var out []Order
	for p, ids := range e.byPartner {
		if partner != "" && p != partner {
			continue
		}
		for _, id := range ids {
			out = append(out, e.orders[id].share())
		}
	}
	e.mu.Unlock()
	sortNewestFirst(out) // a copy of snapshots: sorted without holding up creations
	return out
}

// Counts is how many orders each partner holds in each state, without copying any.
func (e *Engine) Counts() map[string]map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]map[string]int{}
	for _, en := range e.orders {
		by := out[en.o.Partner]
		if by == nil {
			by = map[string]int{}
			out[en.o.Partner] = by
		}
		by[en.o.State]++
	}
	return out
}

// Limit caps what one user of a partner may spend in a window of the partner's time.
type Limit struct {
	Window time.Duration
	MaxUSD *big.Rat
}

// Over tells which of limits a user of a partner would pass with an order worth usd dollars
// more: the indexes of those limits, none when it stays within all of them.
func (e *Engine) Over(partner, email string, usd *big.Rat, limits []Limit) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return overLocked(e.byBuyer[buyer{partner, strings.ToLower(email)}], e.clockOf(partner).Now(), usd, limits)
}

// overLocked is Over for a buyer's orders (nil: none stored).
func overLocked(sp *spender, now time.Time, usd *big.Rat, limits []Limit) []int {
	var over []int
	for i, l := range limits {
		if money.Cmp(sp.spentWith(usd, now.Add(-l.Window)), l.MaxUSD) > 0 {
			over = append(over, i)
		}
	}
	return over
}

// spendLocked adds a stored order to its buyer's orders: sp, the buyer's spender as it was
// looked up before this creation forgot anything (nil makes one). A spender left with no
// order has been removed from byBuyer (the creation forgot the buyer's only order) and is
// put back.
func (e *Engine) spendLocked(en *entry, b buyer, sp *spender) {
	if sp == nil {
		sp = &spender{key: b}
		sp.orders = sp.first[:0]
	}
	if len(sp.orders) == 0 {
		e.byBuyer[b] = sp
	}
	sp.orders = append(sp.orders, en)
	en.spender = sp
}

// spentWith sums usd and the dollar value of the buyer's orders created at or after since,
// leaving out orders that ended without any payment. sp may be nil (no orders: usd itself).
func (sp *spender) spentWith(usd *big.Rat, since time.Time) *big.Rat {
	if sp == nil {
		return usd
	}
	sum := usd
	for _, en := range sp.orders {
		o := en.o
		if o.CreatedAt.Before(since) {
			continue
		}
		if (o.State == StateExpired || o.State == StateCanceled || o.State == StatePaymentFailed) && o.Sent.Sign() == 0 {
			continue
		}
		sum = money.Add(sum, o.FiatUSD)
	}
	return sum
}

// Pay records a payment; nil pays exactly what is due.
func (e *Engine) Pay(id string, amount *big.Rat) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	o := en.edit()
	if amount == nil {
		amount = o.Due()
	}
	if amount.Sign() <= 0 {
		return Order{}, fmt.Errorf("%w: nothing is due on this order: give coin_amount to send more", ErrInvalid)
	}
	now := en.clk.Now()
	o.Sent = new(big.Rat).Add(o.Sent, amount)
	o.Payments = append(o.Payments, Payment{Amount: amount, At: now})
	switch {
	case awaitingPayment(o.State):
		if o.Sent.Cmp(o.CoinAmount) < 0 {
			o.PaymentState = PaymentPartialPaymentReceived
		} else {
			e.cancelTasksLocked(en)
			o.State, o.PaymentState = StatePaymentReceived, PaymentReceived
			e.scheduleLocked(en, e.cfg.ProcessingDelay, "moves to WaitingForDelivery", e.process)
		}
	case o.State == StateExpired:
		// Late payment: the order stays expired; support refunds on request (api-facts A4.7).
		o.PaymentState = PaymentExpiredAfterPaymentDetection
	}
	e.changedLocked(en)
	return en.share(), nil
}

// awaitingPayment tells whether an order can still be paid within its window: waiting, or
// with a payment seen on the chain but not confirmed (PaymentStarted, PartialPaymentStarted,
// third-party states, api-facts A5.1).
func awaitingPayment(state string) bool {
	return state == StateWaitingForPayment || state == StatePaymentStarted || state == StatePartialPaymentStarted
}

// Actions the control API can force.
const (
	ActionDeliver      = "deliver"
	ActionFailDelivery = "fail_delivery"
	ActionManualReview = "manual_review"
	ActionRefund       = "refund"
	ActionCancel       = "cancel"
	ActionExpire       = "expire"
	ActionFailPayment  = "fail_payment"
	// The payment's own steps before it is received: the documents' PaymentRequested, and the
	// third-party PaymentStarted / PartialPaymentStarted (a transaction seen, unconfirmed).
	ActionRequestPayment        = "request_payment"
	ActionPaymentStarted        = "payment_started"
	ActionPartialPaymentStarted = "partial_payment_started"
)

// Apply forces a transition.
func (e *Engine) Apply(id, action, reason string) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	o := en.edit()
	paid := o.State == StatePaymentReceived || o.State == StateWaitingForDelivery
	conflict := func() (Order, error) {
		return Order{}, fmt.Errorf("%w: cannot %s an order in state %s", ErrConflict, action, o.State)
	}
	switch action {
	case ActionDeliver:
		if !paid && o.State != StateWaitingForManualAction {
			return conflict()
		}
		e.deliverLocked(en)
		return en.share(), nil
	case ActionFailDelivery, ActionManualReview:
		if !paid {
			return conflict()
		}
		e.cancelTasksLocked(en)
		o.State = StateWaitingForManualAction
		if action == ActionFailDelivery {
			if reason == "" {
				reason = "the supplier rejected the delivery"
			}
			for i := range o.Deliveries {
				o.Deliveries[i].State, o.Deliveries[i].FailureReason = DeliveryFailed, reason
			}
		}
	case ActionRefund:
		if o.Sent.Sign() == 0 || o.State == StateDone || o.State == StateRefunded {
			return conflict()
		}
		e.cancelTasksLocked(en)
		if reason == "" {
			reason = "refunded by support"
		}
		o.State, o.PaymentState = StateRefunded, PaymentRefunded
		o.Refund = &Refund{Amount: o.Sent, Currency: o.Coin, Reason: reason}
		e.setDeliveriesLocked(o, DeliveryRefunded)
	case ActionRequestPayment:
		if !awaitingPayment(o.State) || o.PaymentState != PaymentWalletCreated {
			return conflict()
		}
		o.PaymentState = PaymentRequested
	case ActionPaymentStarted, ActionPartialPaymentStarted:
		if !awaitingPayment(o.State) {
			return conflict()
		}
		o.State = map[string]string{ActionPaymentStarted: StatePaymentStarted, ActionPartialPaymentStarted: StatePartialPaymentStarted}[action]
	case ActionCancel, ActionFailPayment:
		if !awaitingPayment(o.State) {
			return conflict()
		}
		e.cancelTasksLocked(en)
		if action == ActionCancel {
			o.State = StateCanceled
		} else {
			o.State, o.PaymentState = StatePaymentFailed, PaymentFailed
		}
		e.setDeliveriesLocked(o, DeliveryCanceled)
	case ActionExpire:
		if !awaitingPayment(o.State) {
			return conflict()
		}
		e.expireLocked(en)
		return en.share(), nil
	default:
		return Order{}, fmt.Errorf("%w: unknown action %q", ErrInvalid, action)
	}
	e.changedLocked(en)
	return en.share(), nil
}

// Reset forgets the orders of a partner, or every order with partner "".
func (e *Engine) Reset(partner string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for p, ids := range e.byPartner {
		if partner != "" && p != partner {
			continue
		}
		for _, id := range ids {
			e.forgetLocked(id)
		}
		delete(e.byPartner, p)
	}
	for p, q := range e.expiring {
		if partner == "" || p == partner {
			q.task.Cancel()
			delete(e.expiring, p)
		}
	}
}

// trimLocked forgets the oldest orders of any partner beyond MaxTotal, so that any number of
// partners cannot grow the engine without bound.
func (e *Engine) trimLocked() {
	for len(e.orders) > e.cfg.MaxTotal && len(e.fifo) > 0 {
		id := e.fifo[0]
		e.fifo = e.fifo[1:]
		en, ok := e.orders[id]
		if !ok {
			continue
		}
		p := en.o.Partner
		e.forgetLocked(id)
		// The oldest of all is its partner's oldest (both queues are in creation order).
		if ids := without(e.byPartner[p], id); len(ids) > 0 {
			e.byPartner[p] = ids
		} else {
			delete(e.byPartner, p)
		}
	}
	if len(e.fifo) > 2*len(e.orders)+1024 {
		e.fifo = slices.DeleteFunc(e.fifo, func(id string) bool { _, ok := e.orders[id]; return !ok })
	}
}

func (e *Engine) forgetLocked(id string) {
	if en, ok := e.orders[id]; ok {
		e.cancelTasksLocked(en)
		delete(e.orders, id)
		if q := e.expiring[en.o.Partner]; q != nil && len(q.ids) > 0 && q.ids[0] == id {
			q.ids = q.ids[1:] // the oldest, usually: forgotten at once, not when met
		}
		if sp := en.spender; sp != nil {
			if sp.orders = without(sp.orders, en); len(sp.orders) == 0 {
				delete(e.byBuyer, sp.key)
			}
		}
		e.hooks.Dropped(id)
	}
}

// without removes x from a list kept in creation order. What is forgotten is nearly always
// the oldest, the head: taken without a scan (a scan of a partner's or a buyer's orders made
// each creation at the cap ten times dearer once two partners, or one test email, filled
// the store). The freed slot is cleared so it holds nothing.
func without[T comparable](list []T, x T) []T {
	if len(list) > 0 && list[0] == x {
		var zero T
		list[0] = zero
		return list[1:]
	}
	return slices.DeleteFunc(list, func(y T) bool { return y == x })
}

// expireDue expires a partner's orders whose payment window has passed, oldest first, and
// sets the queue's task for the next one (the clock runs it, without any lock held).
func (e *Engine) expireDue(partner string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.expiring[partner]
	if q == nil {
		return
	}
	q.at = time.Time{}
	now := e.clockOf(partner).Now()
	for len(q.ids) > 0 {
		en, ok := e.orders[q.ids[0]]
		if ok && awaitingPayment(en.o.State) {
			if en.o.ExpiresAt.After(now) {
				e.expireAtLocked(q, en)
				return
			}
			e.expireLocked(en)
		}
		q.ids = q.ids[1:]
	}
	delete(e.expiring, partner)
}

func (e *Engine) expireLocked(en *entry) {
	e.cancelTasksLocked(en)
	o := en.edit()
	o.State = StateExpired
	if o.Sent.Sign() > 0 {
		o.PaymentState = PaymentExpiredAfterPaymentDetection
	} else {
		o.PaymentState = PaymentExpired
	}
	e.setDeliveriesLocked(o, DeliveryCanceled)
	e.changedLocked(en)
}

// process moves a paid order to WaitingForDelivery and schedules the delivery.
func (e *Engine) process(en *entry) {
	if en.o.State != StatePaymentReceived {
		return
	}
	o := en.edit()
	o.State, o.PaymentState = StateWaitingForDelivery, PaymentCompleted
	e.setDeliveriesLocked(o, DeliveryWaitingForDelivery)
	e.changedLocked(en)
	e.scheduleLocked(en, e.cfg.DeliveryDelay, "delivered (Done)", func(en *entry) {
		if en.o.State == StateWaitingForDelivery {
			e.deliverLocked(en)
		}
	})
}

func (e *Engine) deliverLocked(en *entry) {
	e.cancelTasksLocked(en)
	o := en.edit()
	o.State, o.PaymentState = StateDone, PaymentCompleted
	for i := range o.Deliveries {
		d := &o.Deliveries[i]
		d.State, d.FailureReason = DeliveryDone, ""
		d.Redemption = redemptionFor(o.ID, *d)
	}
	e.changedLocked(en)
}

func (e *Engine) setDeliveriesLocked(o *Order, state string) {
	for i := range o.Deliveries {
		if o.Deliveries[i].State != DeliveryDone {
			o.Deliveries[i].State = state
		}
	}
}

// clockOf is a partner's own time: expiries and deliveries follow it.
func (e *Engine) clockOf(partner string) clock.View { return e.clk.ForOf(tenant.PartnerKind, partner) }

// Now is a partner's time.
func (e *Engine) Now(partner string) time.Time { return e.clockOf(partner).Now() }

// awaitLocked puts an order waiting for payment in its partner's expiry queue.
func (e *Engine) awaitLocked(en *entry) {
	p := en.o.Partner
	q := e.expiring[p]
	if q == nil {
		q = &expiryQueue{}
		e.expiring[p] = q
	}
	q.ids = append(q.ids, en.o.ID)
	if len(q.ids) > 2*len(e.byPartner[p])+1024 { // ids no longer waiting, not met yet
		q.ids = slices.DeleteFunc(q.ids, func(id string) bool { en, ok := e.orders[id]; return !ok || !awaitingPayment(en.o.State) })
	}
	if q.at.IsZero() || en.o.ExpiresAt.Before(q.at) {
		e.expireAtLocked(q, en)
	}
}

// expireAtLocked sets a partner's expiry task for an order's expiry.
func (e *Engine) expireAtLocked(q *expiryQueue, en *entry) {
	q.task.Cancel()
	p := en.o.Partner
	q.at, q.task = en.o.ExpiresAt, en.clk.At(en.o.ExpiresAt, func() { e.expireDue(p) })
}

// Next lists what is scheduled for an order and not yet due, on its partner's clock.
func (e *Engine) Next(id string) []Due {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.orders[id]
	if !ok {
		return nil
	}
	now := en.clk.Now()
	var out []Due
	if awaitingPayment(en.o.State) && en.o.ExpiresAt.After(now) { // in the partner's expiry queue
		out = append(out, Due{At: en.o.ExpiresAt, What: "expires (Expired) unless paid"})
	}
	for _, t := range en.tasks {
		if t.due.At.After(now) {
			out = append(out, t.due)
		}
	}
	return out
}

// scheduleLocked runs f on the entry after d, under the engine lock, if the order still
// exists; what says what it will do.
func (e *Engine) scheduleLocked(en *entry, d time.Duration, what string, f func(*entry)) {
	id := en.o.ID
	en.tasks = append(en.tasks, task{en.clk.After(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if cur, ok := e.orders[id]; ok && cur == en {
			f(en)
		}
	}), Due{At: en.clk.Now().Add(d), What: what}})
}

func (e *Engine) cancelTasksLocked(en *entry) {
	for _, t := range en.tasks {
		t.Cancel()
	}
	en.tasks = nil
}

// changedLocked stamps the entry's order and hands it to the hooks.
func (e *Engine) changedLocked(en *entry) {
	en.edit().UpdatedAt = en.clk.Now()
	en.shared = true
	e.hooks.Changed(en.o)
}

// redemptionFor makes the redemption data of a delivered product, by kind (api-facts A4.8).
func redemptionFor(orderID string, d Delivery) *Redemption {
	switch {
	case d.DeliveryType == "by_phone":
		return &Redemption{
			OperatorReference:  "OP-" + code(10),
			RedeemInstructions: fmt.Sprintf("<p>%s was credited to %s. No code is needed.</p>", d.Denomination, d.Beneficiary),
		}
	case d.Kind == "mobile_recharge": // eSIM
		activation := "LPA:1$smdp.cryptomock.invalid$" + code(20)
		return &Redemption{
			PinCode:            activation,
			QRImageURL:         "https://cdn.cryptorefills.com/qrs/" + orderID + "/" + d.ID + ".png",
			HowToRedeem:        "Scan the QR code in your phone's mobile-network settings, or enter the activation code.",
			RedeemInstructions: "<ol><li>Open Settings &gt; Mobile data &gt; Add eSIM.</li><li>Scan the QR code sent by email.</li><li>Enable data roaming for the eSIM.</li></ol>",
		}
	default:
		return &Redemption{
			PinCode:            code(4) + "-" + code(6) + "-" + code(4),
			PinSerial:          code(8),
			BarcodeImageURL:    "https://cdn.cryptorefills.com/barcodes/" + d.ID + ".png",
			RedeemInstructions: fmt.Sprintf("<ol><li>Go to the %s website or app.</li><li>Enter the code in the gift card section.</li></ol>", d.Brand),
		}
	}
}

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func code(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

func sortNewestFirst(orders []Order) {
	sort.SliceStable(orders, func(i, j int) bool {
		if orders[i].CreatedAt.Equal(orders[j].CreatedAt) {
			return orders[i].ID > orders[j].ID
		}
		return orders[i].CreatedAt.After(orders[j].CreatedAt)
	})
}

// Snapshot returns every order (for the state file).
func (e *Engine) Snapshot() []Order {
	e.mu.Lock()
	out := make([]Order, 0, len(e.orders))
	for _, en := range e.orders {
		out = append(out, en.share())
	}
	e.mu.Unlock()
	sortNewestFirst(out) // a copy of snapshots: sorted without holding up creations
	return out
}

// Restore puts saved orders back and schedules what is still due for each: the expiry of an
// order waiting for payment, the processing or delivery of a paid one (from now).
func (e *Engine) Restore(orders []Order) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(orders) - 1; i >= 0; i-- { // oldest first, as they were created
		o := orders[i].clone()
		if o.Sent == nil {
			o.Sent = new(big.Rat)
		}
		en := &entry{o: &o, clk: e.clockOf(o.Partner)}
		e.orders[o.ID] = en
		e.byPartner[o.Partner] = append(e.byPartner[o.Partner], o.ID)
		e.fifo = append(e.fifo, o.ID)
		b := buyerOf(&o)
		e.spendLocked(en, b, e.byBuyer[b])
		switch o.State {
		case StateWaitingForPayment:
			e.awaitLocked(en)
		case StatePaymentReceived:
			e.scheduleLocked(en, e.cfg.ProcessingDelay, "moves to WaitingForDelivery", e.process)
		case StateWaitingForDelivery:
			e.scheduleLocked(en, e.cfg.DeliveryDelay, "delivered (Done)", func(en *entry) {
				if en.o.State == StateWaitingForDelivery {
					e.deliverLocked(en)
				}
			})
		}
		en.shared = true
		e.hooks.Changed(en.o) // streams start from the restored state
	}
}
