// Package invoices owns Payscrypt's state: merchants with their API keys and webhook URLs, and
// orders (invoices) with their state machine, PENDING -> CONFIRMING -> SUCCESSFUL, EXPIRED when
// expired_at passes unpaid (on the shared virtual clock), CANCELED on request. Every status
// change is reported through Hooks.Changed (the webhook dispatcher listens). It knows nothing
// of HTTP or JSON.
package invoices

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/wallet"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// Statuses (the documents' Order.Status).
const (
	Pending    = "PENDING"
	Confirming = "CONFIRMING"
	Successful = "SUCCESSFUL"
	Expired    = "EXPIRED"
	Canceled   = "CANCELED"
)

// Final reports whether no status follows.
func Final(status string) bool {
	return status == Successful || status == Expired || status == Canceled
}

// Sentinel errors, mapped to gRPC codes by the handlers.
var (
	ErrUnauthenticated  = errors.New("missing or invalid api key")
	ErrPermissionDenied = errors.New("permission denied")
	ErrInvalid          = errors.New("invalid argument")
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("the order's status does not allow this")
)

// Asset is what an invoice can be paid in.
type Asset struct {
	Name          string
	Chain         string
	Network       string
	Decimals      int   // smallest unit: 10^-Decimals
	Confirmations int64 // target_confirmations
	Format        wallet.Format
}

// Assets are the assets the mock accepts: ETH, BTC and LCCN from the WooCommerce plugin, plus
// LTC and USDT (an ERC-20) as the mock's choice. Confirmation targets are the mock's choice.
var Assets = map[string]Asset{
	"ETH":  {"ETH", "ethereum", "mainnet", 18, 12, wallet.EVM},
	"LCCN": {"LCCN", "ethereum", "mainnet", 18, 12, wallet.EVM},
	"USDT": {"USDT", "ethereum", "mainnet", 6, 12, wallet.EVM},
	"BTC":  {"BTC", "bitcoin", "mainnet", 8, 3, wallet.Bitcoin},
	"LTC":  {"LTC", "litecoin", "mainnet", 8, 6, wallet.Litecoin},
}

// AssetNames lists the assets, sorted.
func AssetNames() []string {
	var out []string
	for n := range Assets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Merchant is a Payscrypt account: one wallet, its keys and webhooks.
type Merchant struct {
	WalletID int64
	Name     string
	APIKeys  []string // valid keys
	Webhooks []string
}

// Payment is one transfer seen on the order's address.
type Payment struct {
	TxHash        string
	Value         *big.Int
	Confirmations int64
	At            time.Time
}

// Order is an invoice. big.Int fields are never modified in place.
type Order struct {
	ID                  int64
	WalletID            int64
	MerchantOrderID     string
	MerchantName        string
	Description         string
	Asset               Asset
	CallbackURL         string
	Target              *big.Int
	Value               *big.Int
	TargetConfirmations int64
	Confirmations       int64
	Variants            []string
	Status              string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	ExpiredAt           time.Time
	Payments            []Payment
}

func (o Order) clone() Order {
	o.Variants = append([]string(nil), o.Variants...)
	o.Payments = append([]Payment(nil), o.Payments...)
	return o
}

// Hooks report status changes, under the book's lock and in order, with the webhook URLs of
// the order's merchant at that moment; they must not block.
type Hooks struct {
	Changed func(o Order, webhooks []string)
}

// Book is safe for concurrent use.
//
// Lock order: Book.mu, then the clock's scheduler lock, then whatever Hooks take.
type Book struct {
	mu        sync.Mutex
	clk       *clock.Clock
	window    time.Duration
	hooks     Hooks
	merchants map[int64]*Merchant
	keys      map[string]int64 // valid api key -> wallet
	orders    map[int64]*entry
	nextOrder int64
	nextWall  int64
	max       int   // orders kept across all merchants; the oldest are forgotten beyond it
	oldest    int64 // no order below this id is kept
}

type entry struct {
	o      Order
	expiry clock.Task
}

// DefaultMaxOrders is how many orders a book keeps when New is given no bound.
const DefaultMaxOrders = 10000

// New returns an empty book whose invoices expire window after creation, keeping at most
// maxOrders orders across all merchants (0: DefaultMaxOrders): beyond that the oldest are
// forgotten, so no sequence of create_order calls grows it without bound.
func New(clk *clock.Clock, window time.Duration, maxOrders int, hooks Hooks) *Book {
	if hooks.Changed == nil {
		hooks.Changed = func(Order, []string) {}
	}
	if maxOrders <= 0 {
		maxOrders = DefaultMaxOrders
	}
	return &Book{clk: clk, window: window, hooks: hooks, merchants: map[int64]*Merchant{}, keys: map[string]int64{},
		orders: map[int64]*entry{}, nextOrder: 1000, nextWall: 0, max: maxOrders}
}

// trimLocked forgets the oldest orders beyond the bound. Ids only grow, so the oldest kept
// order is the one with the smallest id.
func (b *Book) trimLocked() {
	for len(b.orders) > b.max && b.oldest <= b.nextOrder {
		if en, ok := b.orders[b.oldest]; ok {
			en.expiry.Cancel()
			delete(b.orders, b.oldest)
		}
		b.oldest++
	}
}

// NewAPIKey returns a random key.
func NewAPIKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "pk_" + hex.EncodeToString(b)
}

// AddMerchant creates a merchant with a wallet id (0: the next free one) and an api key ("":
// a random one).
func (b *Book) AddMerchant(walletID int64, name, apikey string, webhooks []string) (Merchant, error) {
	for _, u := range webhooks {
		if err := webhook.CheckURL(u); err != nil {
			return Merchant{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if walletID == 0 {
		for b.nextWall++; b.merchants[b.nextWall] != nil; b.nextWall++ {
		}
		walletID = b.nextWall
	}
	if b.merchants[walletID] != nil {
		return Merchant{}, fmt.Errorf("%w: wallet %d exists", ErrInvalid, walletID)
	}
	if apikey == "" {
		apikey = NewAPIKey()
	}
	if _, taken := b.keys[apikey]; taken {
		return Merchant{}, fmt.Errorf("%w: api key already in use", ErrInvalid)
	}
	m := &Merchant{WalletID: walletID, Name: name, APIKeys: []string{apikey}, Webhooks: append([]string(nil), webhooks...)}
	b.merchants[walletID] = m
	b.keys[apikey] = walletID
	return cloneMerchant(m), nil
}

func cloneMerchant(m *Merchant) Merchant {
	c := *m
	c.APIKeys = append([]string(nil), m.APIKeys...)
	c.Webhooks = append([]string(nil), m.Webhooks...)
	return c
}

// Merchant returns a merchant by wallet id.
func (b *Book) Merchant(walletID int64) (Merchant, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.merchants[walletID]
	if !ok {
		return Merchant{}, fmt.Errorf("%w: no merchant with wallet %d", ErrNotFound, walletID)
	}
	return cloneMerchant(m), nil
}

// Now is a merchant's time: its invoices expire on it.
func (b *Book) Now(walletID int64) time.Time { return b.clk.For(tenant.Merchant(walletID)).Now() }

// WalletOf tells which merchant a valid api key belongs to.
func (b *Book) WalletOf(apikey string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, ok := b.keys[apikey]
	return w, ok
}

// InvalidateKey makes a key fail from now on, as the documents say.
func (b *Book) InvalidateKey(apikey string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, ok := b.keys[apikey]
	if !ok {
		return fmt.Errorf("%w: no such api key", ErrNotFound)
	}
	delete(b.keys, apikey)
	m := b.merchants[w]
	for i, k := range m.APIKeys {
		if k == apikey {
			m.APIKeys = append(m.APIKeys[:i], m.APIKeys[i+1:]...)
			break
		}
	}
	return nil
}

// AddWebhook adds a webhook URL to a merchant.
func (b *Book) AddWebhook(walletID int64, url string) error {
	if err := webhook.CheckURL(url); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.merchants[walletID]
	if !ok {
		return fmt.Errorf("%w: no merchant with wallet %d", ErrNotFound, walletID)
	}
	if slices.Contains(m.Webhooks, url) {
		return nil
	}
	if len(m.Webhooks) >= MaxWebhooks {
		return fmt.Errorf("%w: merchant %d has %d webhook URLs already, the most the mock keeps", ErrInvalid, walletID, MaxWebhooks)
	}
	m.Webhooks = append(m.Webhooks, url)
	return nil
}

// MaxWebhooks bounds the webhook URLs of one merchant.
const MaxWebhooks = 32

// RemoveWebhook removes a webhook URL from a merchant.
func (b *Book) RemoveWebhook(walletID int64, url string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.merchants[walletID]
	if !ok {
		return fmt.Errorf("%w: no merchant with wallet %d", ErrNotFound, walletID)
	}
	i := slices.Index(m.Webhooks, url)
	if i < 0 {
		return fmt.Errorf("%w: merchant %d has no webhook %q", ErrNotFound, walletID, url)
	}
	m.Webhooks = slices.Delete(m.Webhooks, i, i+1)
	return nil
}

// MaxValueDigits bounds amounts in the smallest unit (create_order's target_value, the control
// API's payments): 80 digits exceed any supply of any asset.
const MaxValueDigits = 80

// CreateInput is what create_order carries.
type CreateInput struct {
	WalletID        int64
	MerchantOrderID string
	MerchantName    string
	Description     string
	AssetName       string
	TargetValue     string
	CallbackURL     string
}

// Create makes an invoice for the merchant owning apikey.
func (b *Book) Create(apikey string, in CreateInput) (Order, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	walletID, ok := b.keys[apikey]
	if apikey == "" || !ok {
		return Order{}, ErrUnauthenticated
	}
	if in.WalletID != walletID {
		return Order{}, fmt.Errorf("%w: wallet %d does not belong to this api key", ErrPermissionDenied, in.WalletID)
	}
	asset, ok := Assets[strings.ToUpper(in.AssetName)]
	if !ok {
		return Order{}, fmt.Errorf("%w: asset_name %q is not supported (supported: %s)", ErrInvalid, in.AssetName, strings.Join(AssetNames(), ", "))
	}
	if len(in.TargetValue) > MaxValueDigits { // before parsing: a megabyte of digits costs seconds
		return Order{}, fmt.Errorf("%w: target_value has %d digits; amounts have at most %d (the mock's bound: no asset needs more)", ErrInvalid, len(in.TargetValue), MaxValueDigits)
	}
	if in.CallbackURL != "" {
		if u, err := url.Parse(in.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Order{}, fmt.Errorf("%w: callback_url must be an absolute http:// or https:// URL", ErrInvalid)
		}
	}
	target, ok := new(big.Int).SetString(in.TargetValue, 10)
	if !ok || target.Sign() <= 0 {
		return Order{}, fmt.Errorf("%w: target_value must be a positive integer string in the asset's smallest unit", ErrInvalid)
	}
	addr, err := wallet.New(asset.Format, wallet.Invoice{})
	if err != nil {
		return Order{}, err
	}
	clk := b.clk.For(tenant.Merchant(walletID))
	now := clk.Now()
	b.nextOrder++
	o := Order{ID: b.nextOrder, WalletID: walletID, MerchantOrderID: in.MerchantOrderID, MerchantName: in.MerchantName,
		Description: in.Description, Asset: asset, CallbackURL: in.CallbackURL, Target: target, Value: new(big.Int),
		TargetConfirmations: asset.Confirmations, Variants: []string{addr}, Status: Pending,
		CreatedAt: now, UpdatedAt: now, ExpiredAt: now.Add(b.window)}
	en := &entry{o: o}
	b.orders[o.ID] = en
	id := o.ID
	en.expiry = clk.At(o.ExpiredAt, func() { b.expire(id) })
	b.trimLocked()
	return o.clone(), nil
}

// Get returns an order.
func (b *Book) Get(id int64) (Order, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	en, ok := b.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("%w: no order %d", ErrNotFound, id)
	}
	return en.o.clone(), nil
}

// Merchants returns copies of every merchant, by wallet id.
func (b *Book) Merchants() []Merchant {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.merchantsLocked()
}

func (b *Book) merchantsLocked() []Merchant {
	var ms []Merchant
	for _, m := range b.merchants {
		ms = append(ms, cloneMerchant(m))
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].WalletID < ms[j].WalletID })
	return ms
}

// Counts is how many orders each wallet holds in each status, without copying any.
func (b *Book) Counts() map[int64]map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[int64]map[string]int{}
	for _, en := range b.orders {
		by := out[en.o.WalletID]
		if by == nil {
			by = map[string]int{}
			out[en.o.WalletID] = by
		}
		by[en.o.Status]++
	}
	return out
}

// List returns the orders of a wallet (0: all), newest first.
func (b *Book) List(walletID int64) []Order {
	b.mu.Lock()
	var out []Order
	for _, en := range b.orders {
		if walletID == 0 || en.o.WalletID == walletID {
			out = append(out, en.o.clone())
		}
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID }) // copies: sorted unlocked
	return out
}

// Pay records a payment of value (nil or zero: none) and raises the confirmations of the
// payments seen so far to at least confirmations. A final order records it and keeps its
// status (a late payment).
func (b *Book) Pay(id int64, value *big.Int, confirmations int64) (Order, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	en, ok := b.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("%w: no order %d", ErrNotFound, id)
	}
	if confirmations < 0 || (value != nil && value.Sign() < 0) {
		return Order{}, fmt.Errorf("%w: value and confirmations must not be negative", ErrInvalid)
	}
	o := &en.o
	now := b.Now(o.WalletID)
	payments := append([]Payment(nil), o.Payments...)
	for i := range payments {
		if payments[i].Confirmations < confirmations {
			payments[i].Confirmations = confirmations
		}
	}
	if value != nil && value.Sign() > 0 {
		hash := make([]byte, 32)
		_, _ = rand.Read(hash)
		payments = append(payments, Payment{TxHash: "0x" + hex.EncodeToString(hash), Value: value, Confirmations: confirmations, At: now})
		o.Value = new(big.Int).Add(o.Value, value)
	} else if len(payments) == 0 {
		return Order{}, fmt.Errorf("%w: no payment to confirm: give a value", ErrInvalid)
	}
	o.Payments = payments
	o.Confirmations = payments[0].Confirmations
	for _, p := range payments {
		o.Confirmations = min(o.Confirmations, p.Confirmations)
	}
	o.UpdatedAt = now
	if o.Status == Pending && o.Value.Cmp(o.Target) >= 0 {
		en.expiry.Cancel()
		b.setStatusLocked(en, Confirming)
	}
	if o.Status == Confirming && o.Confirmations >= o.TargetConfirmations {
		b.setStatusLocked(en, Successful)
	}
	return o.clone(), nil
}

// Cancel cancels an order that is not final.
func (b *Book) Cancel(id int64) (Order, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	en, ok := b.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("%w: no order %d", ErrNotFound, id)
	}
	if Final(en.o.Status) {
		return Order{}, fmt.Errorf("%w: order %d is %s", ErrConflict, id, en.o.Status)
	}
	en.expiry.Cancel()
	b.setStatusLocked(en, Canceled)
	return en.o.clone(), nil
}

func (b *Book) expire(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if en, ok := b.orders[id]; ok && en.o.Status == Pending {
		b.setStatusLocked(en, Expired)
	}
}

func (b *Book) setStatusLocked(en *entry, status string) {
	en.o.Status = status
	en.o.UpdatedAt = b.Now(en.o.WalletID)
	var urls []string
	if m := b.merchants[en.o.WalletID]; m != nil {
		urls = append(urls, m.Webhooks...)
	}
	b.hooks.Changed(en.o.clone(), urls)
}

// Reset forgets every merchant and order. Merchants of the configuration are added again by
// the caller.
func (b *Book) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, en := range b.orders {
		en.expiry.Cancel()
	}
	b.merchants, b.keys, b.orders = map[int64]*Merchant{}, map[string]int64{}, map[int64]*entry{}
	b.nextWall = 0
}

// Snapshot returns every merchant and order (for the state file).
func (b *Book) Snapshot() ([]Merchant, []Order) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ms := b.merchantsLocked()
	var os []Order
	for _, en := range b.orders {
		os = append(os, en.o.clone())
	}
	sort.Slice(os, func(i, j int) bool { return os[i].ID < os[j].ID })
	return ms, os
}

// Restore replaces the book's content with saved merchants and orders, and schedules the
// expiry of every invoice still PENDING.
func (b *Book) Restore(ms []Merchant, orders []Order) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, en := range b.orders {
		en.expiry.Cancel()
	}
	b.merchants, b.keys, b.orders = map[int64]*Merchant{}, map[string]int64{}, map[int64]*entry{}
	for _, m := range ms {
		c := cloneMerchant(&m)
		b.merchants[m.WalletID] = &c
		for _, k := range m.APIKeys {
			b.keys[k] = m.WalletID
		}
		b.nextWall = max(b.nextWall, m.WalletID)
	}
	for _, o := range orders {
		en := &entry{o: o.clone()}
		b.orders[o.ID] = en
		b.nextOrder = max(b.nextOrder, o.ID)
		if o.Status == Pending {
			id := o.ID
			en.expiry = b.clk.For(tenant.Merchant(o.WalletID)).At(o.ExpiredAt, func() { b.expire(id) })
		}
	}
}
