// Package lifecycle owns Cryptorefills orders and their state machine: creation, payments,
// expiry, processing, delivery, manual review, failure, refund. It is the one place where an
// order's state changes and where timed transitions are scheduled (on the virtual clock).
// Orders are isolated per partner. It knows nothing of HTTP or JSON; every change is reported
// through Hooks.Changed so the stream layer can publish it.
package lifecycle

import (
	"math/big"
	"time"
)

// Order states (api-facts A5.1), payment states (A5.2) and delivery states (A5.3) the mock uses.
const (
	StateWaitingForPayment      = "WaitingForPayment"
	StatePaymentStarted         = "PaymentStarted"        // [3P] N3: a transaction seen, unconfirmed
	StatePartialPaymentStarted  = "PartialPaymentStarted" // [3P] N3
	StatePaymentReceived        = "PaymentReceived"
	StateWaitingForDelivery     = "WaitingForDelivery"
	StateWaitingForManualAction = "WaitingForManualAction"
	StateDone                   = "Done"
	StateExpired                = "Expired"
	StateCanceled               = "Canceled"
	StatePaymentFailed          = "PaymentFailed"
	StateRefunded               = "Refunded"

	PaymentWalletCreated = "WalletCreated"
	PaymentRequested     = "PaymentRequested" // [DOC] S1-S3
	// PartialPaymentReceived has no source: the mock's own name for "some paid, more due"
	// (openapi/README.md); the reference's sources keep the order WaitingForPayment and say
	// nothing of payment_state then.
	PaymentPartialPaymentReceived       = "PartialPaymentReceived"
	PaymentReceived                     = "PaymentReceived"
	PaymentCompleted                    = "PaymentCompleted"
	PaymentExpired                      = "Expired"
	PaymentExpiredAfterPaymentDetection = "ExpiredAfterPaymentDetection"
	PaymentFailed                       = "PaymentFailed"
	PaymentRefunded                     = "Refunded"

	DeliveryWaitingForPayment  = "WaitingForPayment"
	DeliveryWaitingForDelivery = "WaitingForDelivery"
	DeliveryDone               = "Done"
	DeliveryFailed             = "Failed"
	DeliveryCanceled           = "Canceled"
	DeliveryRefunded           = "Refunded"
)

// Terminal reports whether no further state follows (the stream sends `stop`).
func Terminal(state string) bool {
	switch state {
	case StateDone, StateExpired, StateCanceled, StatePaymentFailed, StateRefunded:
		return true
	}
	return false
}

// Order is a Cryptorefills order. Values the engine hands out are shallow copies of its
// snapshot of the order (copied on write, never modified once handed out): read their
// slices, pointers and rationals, never write them. big.Rat fields are never modified in
// place anywhere, so sharing them is safe.
type Order struct {
	ID        string
	Partner   string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time

	State        string
	PaymentState string

	Coin          string
	CoinDecimals  int
	Network       string
	PaymentMethod string
	Protocol      string
	PaymentVia    string
	PaymentID     string
	WalletAddress string
	QRText        string

	CoinAmount         *big.Rat // due
	OriginalCoinAmount *big.Rat // before any coupon
	Sent               *big.Rat // received so far
	FiatUSD            *big.Rat // payment_value

	Email        string
	RefundWallet string
	PromoCode    string
	Deliveries   []Delivery
	Payments     []Payment
	Refund       *Refund
}

// Delivery is one product of an order.
type Delivery struct {
	ID            string
	State         string
	Kind          string
	Family        string
	Brand         string
	Country       string
	Denomination  string
	Localized     string
	Beneficiary   string
	DeliveryType  string
	Currency      string
	Points        string
	CoinAmount    string
	OriginalPrice string // fiat face value
	ProductValue  *float64
	Redemption    *Redemption
	FailureReason string
}

// Redemption is what a delivered product carries.
type Redemption struct {
	PinCode            string
	PinSerial          string
	SecurityCode       string
	OperatorReference  string
	BarcodeImageURL    string
	QRImageURL         string
	RedeemInstructions string
	HowToRedeem        string
}

// Payment is one simulated transfer to the order's address.
type Payment struct {
	Amount *big.Rat
	At     time.Time
}

// Refund describes money returned.
type Refund struct {
	Amount   *big.Rat
	Currency string
	Reason   string
}

// Due is what is still to be paid (never negative).
func (o Order) Due() *big.Rat {
	d := new(big.Rat).Sub(o.CoinAmount, o.Sent)
	if d.Sign() < 0 {
		return new(big.Rat)
	}
	return d
}

func (o Order) clone() Order {
	o.Deliveries = append([]Delivery(nil), o.Deliveries...)
	o.Payments = append([]Payment(nil), o.Payments...)
	return o
}
