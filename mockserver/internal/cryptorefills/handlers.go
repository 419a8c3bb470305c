// Package cryptorefills serves the Cryptorefills partner API: it implements the generated
// strict server interface over the catalogue, the checkout rules (checkout.go), the order
// lifecycle and the event broker (stream.go). Requests reach it already validated against
// openapi/cryptorefills.yaml.
package cryptorefills

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/events"
	"github.com/cryptomock/cryptomock/mockserver/internal/faults"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/wallet"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

var _ gen.StrictServerInterface = (*Handlers)(nil)

// Deps are what the handlers work with.
type Deps struct {
	Catalog   *catalog.Catalog
	Clock     *clock.Clock
	Broker    *events.Broker
	Faults    *faults.Registry
	Rules     Rules
	Lifecycle lifecycle.Config
	PublicURL func() string // base URL the mock is reached at, for qr_url
	Stream    StreamConfig  // SSE timing
	Variants  Variants      // shapes of the seams where production varies (zero: DefaultVariants)
	Seed      int64         // chooses the shape of each value when a seam is mixed
	// OrderWebhooks switches order webhooks on (third-party evidence only), sent through
	// Webhooks.
	OrderWebhooks bool
	Webhooks      *webhook.Dispatcher
	// Changed, when set, hears of every order change (the dashboard's feed); it must not block.
	Changed func(lifecycle.Order)
}

// Handlers implements gen.StrictServerInterface.
type Handlers struct {
	catalog   *catalog.Catalog
	clock     *clock.Clock
	broker    *events.Broker
	faults    *faults.Registry
	engine    *lifecycle.Engine
	rules     Rules
	publicURL func() string
	stream    StreamConfig
	countries []gen.Country
	streams   streamCounter
	cache     *responseCache
	seams     seams
	hooks     orderHooks
	changed   func(lifecycle.Order)
	limits    []spendingLimit   // the rules' spending limits
	perUser   []lifecycle.Limit // the same, as the engine checks them
}

// New wires the handlers and the order engine, whose changes are published to the broker.
func New(d Deps) *Handlers {
	h := &Handlers{catalog: d.Catalog, clock: d.Clock, broker: d.Broker, faults: d.Faults, rules: d.Rules,
		publicURL: d.PublicURL, stream: d.Stream.withDefaults(), cache: newResponseCache(4096, 32<<20),
		seams:   seams{v: d.Variants, seed: d.Seed},
		hooks:   orderHooks{enabled: d.OrderWebhooks && d.Webhooks != nil, send: d.Webhooks, urls: map[string][]string{}},
		changed: d.Changed}
	if h.seams.v == (Variants{}) {
		h.seams.v = DefaultVariants
	}
	if h.publicURL == nil {
		h.publicURL = func() string { return "" }
	}
	h.limits = h.spendingLimits()
	for _, l := range h.limits {
		h.perUser = append(h.perUser, l.Limit)
	}
	h.engine = lifecycle.New(d.Clock, d.Lifecycle, lifecycle.Hooks{Changed: h.publish, Dropped: d.Broker.Drop})
	for _, c := range d.Catalog.Countries() {
		h.countries = append(h.countries, gen.Country{Code: gen.CountryCode(c.Code), Name: c.Name})
	}
	return h
}

// Render is an order as the public API answers it (the dashboard shows it so).
func (h *Handlers) Render(o lifecycle.Order) any { return h.order(o) }

// Engine exposes the order engine to the control API.
func (h *Handlers) Engine() *lifecycle.Engine { return h.engine }

// publish sends an order change to its stream: the order as a `message`, then `stop` once it
// is terminal. Called by the engine, under its lock, so events keep the order of changes; o
// is the engine's snapshot of this change, never modified, so the payloads are rendered from
// it only when a stream first sends them (never, for an order nobody streams).
func (h *Handlers) publish(o *lifecycle.Order) {
	h.broker.Publish(o.ID, "message", func() []byte {
		order := h.order(*o)
		data, ok := appendOrder(nil, &order)
		if !ok {
			data, _ = json.Marshal(order) // cannot fail for these types
		}
		return data
	}, false)
	h.notifyHooks(o)
	if h.changed != nil {
		h.changed(*o)
	}
	if lifecycle.Terminal(o.State) {
		h.broker.Publish(o.ID, "stop", func() []byte {
			stop, _ := json.Marshal(gen.StreamStop{OrderId: ptr(o.ID), OrderState: ptr(gen.OrderState(o.State))})
			return stop
		}, true)
	}
}

func crError(status int, detail, reason string, extra map[string]any) gen.HttpError {
	return toGen(apierror.NewCR(status, detail, reason, extra))
}

func (h *Handlers) coinOrDefault(symbol *string) (*catalog.Coin, *gen.HttpError) {
	name := "USDC"
	if symbol != nil {
		name = *symbol
	}
	coin := h.catalog.Coin(name)
	if coin == nil {
		e := crError(http.StatusBadRequest, apierror.BadRequest, fmt.Sprintf("coin %q is not supported; see /v3/payment_vias", name), map[string]any{"coin": name})
		return nil, &e
	}
	return coin, nil
}

// ListAvailableCountries answers the 233 countries of the documents.
func (h *Handlers) buildListAvailableCountries(_ context.Context, _ gen.ListAvailableCountriesRequestObject) (gen.ListAvailableCountriesResponseObject, error) {
	return gen.ListAvailableCountries200JSONResponse(h.countries), nil
}

// ListPaymentVias answers the payment channels.
func (h *Handlers) buildListPaymentVias(_ context.Context, _ gen.ListPaymentViasRequestObject) (gen.ListPaymentViasResponseObject, error) {
	return gen.ListPaymentVias200JSONResponse(h.paymentVias()), nil
}

// ListCurrencies answers the coins.
func (h *Handlers) buildListCurrencies(_ context.Context, _ gen.ListCurrenciesRequestObject) (gen.ListCurrenciesResponseObject, error) {
	var out []gen.Currency
	for _, c := range h.catalog.Coins() {
		out = append(out, gen.Currency{Name: c.Symbol, IsSuspended: c.Suspended, LogoUrl: ptr(h.catalog.LogoBaseURL("coins-"+strings.ToLower(c.Symbol)) + ".webp")})
	}
	return gen.ListCurrencies200JSONResponse(out), nil
}

// ListBrands answers a country's brands grouped by kind and category.
func (h *Handlers) buildListBrands(_ context.Context, req gen.ListBrandsRequestObject) (gen.ListBrandsResponseObject, error) {
	a, _ := h.catalog.Country(string(req.Params.CountryCode))
	out := gen.BrandCatalogue{CountryCode: req.Params.CountryCode, LastUserPurchases: ptr([]gen.Brand{}), Suggestions: ptr([]gen.Brand{})}
	index := map[string]int{}
	var all, popular []gen.Brand
	for _, f := range a.Families {
		b := h.brand(f)
		key := f.Kind + "/" + f.Category
		i, ok := index[key]
		if !ok {
			i = len(out.Categories)
			index[key] = i
			out.Categories = append(out.Categories, gen.BrandCategory{Kind: gen.ProductKind(f.Kind), Category: ptr(f.Category), PopularBrands: ptr([]gen.Brand{})})
		}
		out.Categories[i].Brands = append(out.Categories[i].Brands, b)
		all = append(all, b)
		if f.Popular {
			popular = append(popular, b)
		}
	}
	out.AllBrands, out.PopularBrands = &all, &popular
	return gen.ListBrands200JSONResponse(out), nil
}

// GetHomepage answers the curated feed (shape chosen by the mock: api-facts A4.3).
func (h *Handlers) buildGetHomepage(_ context.Context, req gen.GetHomepageRequestObject) (gen.GetHomepageResponseObject, error) {
	a, _ := h.catalog.Country(string(req.Params.CountryCode))
	trending, games, mobile := []gen.Brand{}, []gen.Brand{}, []gen.Brand{}
	for _, f := range a.Families {
		switch {
		case f.Popular:
			trending = append(trending, h.brand(f))
		case f.Category == "games":
			games = append(games, h.brand(f))
		case f.Kind == "mobile_recharge":
			mobile = append(mobile, h.brand(f))
		}
	}
	return gen.GetHomepage200JSONResponse(gen.HomepageFeed{CountryCode: req.Params.CountryCode, Sections: []gen.HomepageSection{
		{Id: "trending", Title: "Trending", Brands: trending},
		{Id: "games", Title: "Games", Brands: games},
		{Id: "mobile", Title: "Top-ups and eSIMs", Brands: mobile},
	}}), nil
}

// ListProducts answers the families of a brand family name in a country.
func (h *Handlers) buildListProducts(_ context.Context, req gen.ListProductsRequestObject) (gen.ListProductsResponseObject, error) {
	coin, e := h.coinOrDefault(req.Params.Coin)
	if e != nil {
		return gen.ListProducts400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(*e)}, nil
	}
	a, _ := h.catalog.Country(string(req.CountryCode))
	out := []gen.ProductFamily{}
	for _, f := range a.FamiliesNamed(req.Params.FamilyName) {
		if req.Params.BrandName != nil && f.Brand != *req.Params.BrandName {
			continue
		}
		out = append(out, h.productFamily(f, coin))
	}
	return gen.ListProducts200JSONResponse(out), nil
}

// SearchProducts answers the families matching q.
func (h *Handlers) buildSearchProducts(_ context.Context, req gen.SearchProductsRequestObject) (gen.SearchProductsResponseObject, error) {
	coin := h.catalog.Coin("USDC")
	a, _ := h.catalog.Country(string(req.CountryCode))
	out := []gen.ProductFamily{}
	for _, f := range a.Search(req.Params.Q) {
		out = append(out, h.productFamily(f, coin))
	}
	return gen.SearchProducts200JSONResponse(out), nil
}

// GetProductPrice quotes a face value of a brand in a coin.
func (h *Handlers) buildGetProductPrice(_ context.Context, req gen.GetProductPriceRequestObject) (gen.GetProductPriceResponseObject, error) {
	p := req.Params
	coin, e := h.coinOrDefault(&p.Coin)
	if e != nil {
		return gen.GetProductPrice400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(*e)}, nil
	}
	face, err := money.FromFloat(p.FaceValue)
	if err != nil {
		e := crError(http.StatusBadRequest, apierror.BadRequest, "face_value must be a positive number", nil)
		return gen.GetProductPrice400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(e)}, nil
	}
	a, _ := h.catalog.Country(string(p.CountryCode))
	notFound := func(reason string) (gen.GetProductPriceResponseObject, error) {
		e := crError(http.StatusNotFound, apierror.NotFound, reason, map[string]any{"brand_name": p.BrandName, "country_code": p.CountryCode})
		return gen.GetProductPrice404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(e)}, nil
	}
	f := a.Brand(p.BrandName)
	if f == nil {
		return notFound(fmt.Sprintf("no brand %q in %s (brand names are case-sensitive)", p.BrandName, p.CountryCode))
	}
	prod := f.FixedByFace(face)
	if prod == nil {
		if r := f.RangeProduct(); r != nil && money.Cmp(face, r.Range.Min) >= 0 && money.Cmp(face, r.Range.Max) <= 0 {
			prod = r
		}
	}
	if prod == nil {
		return notFound(fmt.Sprintf("no product of %s in %s has face value %s", p.BrandName, p.CountryCode, catalog.FormatAmount(face, f.Currency)))
	}
	amount := money.Format(h.catalog.Price(f.Currency, face, coin), coin.Decimals)
	out := gen.PriceQuote{ProductId: prod.ID, IsDynamic: prod.Range != nil, CoinAmount: amount, OriginalCoinAmount: ptr(amount),
		Coin: coin.Symbol, PaymentMethod: ptr(coin.PaymentMethod(coin.Networks[0])), DeliveryType: ptr(gen.DeliveryType(f.DeliveryType)),
		Points: ptr(h.catalog.Points(f.Currency, face)), ProductType: ptr("physical")}
	if prod.Range != nil {
		out.Range = productRange(f, prod)
	}
	return gen.GetProductPrice200JSONResponse(out), nil
}

// ValidateOrder dry-runs an order: 200 with the priced order and its problems (or null).
func (h *Handlers) ValidateOrder(_ context.Context, req gen.ValidateOrderRequestObject) (gen.ValidateOrderResponseObject, error) {
	q, probs, httpErr := h.evaluate(req.Params.XCrApplication, *req.Body, false)
	if httpErr != nil {
		return gen.ValidateOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(toGen(*httpErr))}, nil
	}
	v := validation{OrderValidation: gen.OrderValidation{Deliveries: []gen.OrderDelivery{}, LoyaltySummary: nil}}
	out := &v.OrderValidation
	if q.coin != nil {
		out.Coin = q.coin.Symbol
		out.CoinAmount = money.Format(q.total, q.coin.Decimals)
		out.OriginalCoinAmount = ptr(money.Format(q.original, q.coin.Decimals))
		v.summary = &summary{subtotal: *out.OriginalCoinAmount, discount: money.Format(money.Sub(q.original, q.total), q.coin.Decimals), // subtotal - discount = total
			total: out.CoinAmount, fiatUSD: money.Format(q.fiatUSD, 2), products: len(q.lines)}
		var room [12]string
		for _, d := range h.deliveries(q, freshIDs(room[:], len(q.lines))) {
			d.State = "Created"
			out.Deliveries = append(out.Deliveries, delivery(d))
		}
	} else {
		out.Coin, out.CoinAmount = req.Body.Payment.Coin, "0"
	}
	if q.coupon != "" {
		out.CouponCode = ptr(q.coupon)
	}
	if len(probs) > 0 {
		list := []gen.Problem(probs)
		out.Problems = &list
	}
	buf := answerBuffer()
	b, ok := appendValidation((*buf)[:0], &v)
	return answer(http.StatusOK, buf, b, ok)
}

// CreateOrder creates an order after the checks of validation: 201 with the wallet address,
// or 422 with the problems.
func (h *Handlers) CreateOrder(_ context.Context, req gen.CreateOrderRequestObject) (gen.CreateOrderResponseObject, error) {
	partner := req.Params.XCrApplication
	q, probs, httpErr := h.evaluate(partner, *req.Body, true) // the limits: checked with the storing, below
	if httpErr != nil {
		return gen.CreateOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(toGen(*httpErr))}, nil
	}
	if len(probs) > 0 || len(q.lines) == 0 { // not created: the problems as validation lists them
		probs = h.withLimits(probs, q.limitsAt, h.engine.Over(partner, q.email, q.fiatUSD, h.perUser))
		if len(probs) == 0 {
			probs.add(gen.NOTAVAILABLEPRODUCT, "the order has no product", nil)
		}
		return unprocessable(probs), nil
	}
	o, err := h.newOrder(partner, q, req.Body)
	if err != nil {
		return nil, err
	}
	created, over := h.engine.CreateWithin(o, h.perUser) // checked and stored in one step
	if len(over) > 0 {
		return unprocessable(h.withLimits(probs, q.limitsAt, over)), nil
	}
	order := h.order(created)
	return orderAnswer(http.StatusCreated, &order)
}

// unprocessable is creation's answer for an order with problems.
func unprocessable(probs problemList) gen.CreateOrder422JSONResponse {
	return gen.CreateOrder422JSONResponse{UnprocessableJSONResponse: gen.UnprocessableJSONResponse{
		Status: http.StatusUnprocessableEntity, Detail: string(probs[0].Problem), Problems: probs,
		MoreDetails: map[string]any{"reason": "the order has problems and was not created; validate it first with POST /v5/orders/validations"},
	}}
}

func (h *Handlers) newOrder(partner string, q *quote, body *gen.OrderRequest) (lifecycle.Order, error) {
	var room [12]string
	ids := freshIDs(room[:], 2+len(q.lines)) // the order's, the payment's, one per delivery
	sats, _ := money.Units64(q.total, 8)     // 0 past 64 bits (no total comes near): a lightning invoice refuses it
	inv := wallet.Invoice{AmountSats: sats, Expiry: 30 * time.Minute}
	if q.network.Format == wallet.Lightning { // only an invoice carries its time
		inv.Created = h.engine.Now(partner)
	}
	addr, err := wallet.New(q.network.Format, inv)
	if err != nil {
		return lifecycle.Order{}, fmt.Errorf("wallet address for %s: %w", q.network.Name, err)
	}
	o := lifecycle.Order{
		ID: ids[0], Partner: partner, Coin: q.coin.Symbol, CoinDecimals: q.coin.Decimals, Network: q.network.Name,
		PaymentMethod: q.coin.PaymentMethod(q.network), Protocol: q.network.Protocol, PaymentVia: body.Payment.PaymentVia,
		PaymentID: ids[1], WalletAddress: addr, QRText: paymentURI(q, addr),
		CoinAmount: q.total, OriginalCoinAmount: q.original, FiatUSD: q.fiatUSD, Email: q.email, PromoCode: q.coupon,
		Deliveries: h.deliveries(q, ids[2:]),
	}
	if body.RefundWalletAddress != nil {
		o.RefundWallet = *body.RefundWalletAddress
	}
	return o, nil
}

// deliveries are the order's deliveries, one per line, with ids (one per line).
func (h *Handlers) deliveries(q *quote, ids []string) []lifecycle.Delivery {
	out := make([]lifecycle.Delivery, 0, len(q.lines))
	for i, ln := range q.lines {
		d := lifecycle.Delivery{
			ID: ids[i], Kind: ln.fam.Kind, Family: ln.fam.Family, Brand: ln.fam.Brand, Country: ln.fam.Country,
			Beneficiary: ln.beneficiary, DeliveryType: ln.fam.DeliveryType, Currency: ln.fam.Currency,
			Points: h.catalog.Points(ln.fam.Currency, ln.face), OriginalPrice: money.Trim(ln.face, 2), ProductValue: ln.productValue,
			Denomination: ln.product.Label, Localized: ln.product.Localized,
		}
		if ln.product.Range != nil {
			d.Denomination = catalog.FormatAmount(ln.face, ln.fam.Currency)
			d.Localized = catalog.Localize(ln.face, ln.fam.Currency)
		}
		if ln.coinAmount != nil {
			d.CoinAmount = money.Format(ln.coinAmount, q.coin.Decimals)
		}
		out = append(out, d)
	}
	return out
}

// paymentURI is the qr_text: a payment URI in the convention of the network.
func paymentURI(q *quote, addr string) string {
	amount := money.Trim(q.total, q.coin.Decimals)
	switch q.network.Protocol {
	case "LIGHTNING_LIKE":
		return "lightning:" + addr
	case "SOLANA_LIKE":
		if q.network.Contract != "" {
			return "solana:" + addr + "?amount=" + amount + "&spl-token=" + q.network.Contract
		}
		return "solana:" + addr + "?amount=" + amount
	case "ETHEREUM_LIKE":
		if q.network.Contract != "" { // EIP-681 token transfer, 6 decimals
			return fmt.Sprintf("ethereum:%s@%d/transfer?address=%s&uint256=%s", q.network.Contract, q.network.ChainID, addr, money.Units(q.total, 6))
		}
		return fmt.Sprintf("ethereum:%s@%d?value=%s", addr, q.network.ChainID, money.Units(q.total, 18))
	case "TRON_LIKE":
		return "tron:" + addr + "?amount=" + amount
	}
	return uriSchemes[q.coin.Symbol] + ":" + addr + "?amount=" + amount
}

// uriSchemes are the BIP21-like schemes of the coins paid on their own chains.
var uriSchemes = map[string]string{"BTC": "bitcoin", "LTC": "litecoin", "DOGE": "dogecoin"}

func toGen(e apierror.CRError) gen.HttpError {
	return gen.HttpError{Status: e.Status, Detail: e.Detail, MoreDetails: e.MoreDetails}
}

// GetOrder answers an order of the calling partner.
func (h *Handlers) GetOrder(_ context.Context, req gen.GetOrderRequestObject) (gen.GetOrderResponseObject, error) {
	o, err := h.engine.Get(req.Params.XCrApplication, req.OrderId)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return gen.GetOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(orderNotFound(req.OrderId))}, nil
	}
	order := h.order(o)
	return orderAnswer(http.StatusOK, &order)
}

func orderNotFound(id string) gen.HttpError {
	return crError(http.StatusNotFound, apierror.NotFound, fmt.Sprintf("order %s not found (orders are visible only to the partner that created them)", id), map[string]any{"order_id": id})
}

// The keys of the catalogue answers without parameters, made once (cacheKey(nil, ...) would
// allocate on every request).
var countriesKey, paymentViasKey, currenciesKey = cacheKey(nil, "countries"), cacheKey(nil, "payment_vias"), cacheKey(nil, "currencies")

// ListAvailableCountries answers from the response cache; buildListAvailableCountries computes the answer.
func (h *Handlers) ListAvailableCountries(ctx context.Context, req gen.ListAvailableCountriesRequestObject) (gen.ListAvailableCountriesResponseObject, error) {
	return cached(h, countriesKey, func() (gen.ListAvailableCountriesResponseObject, error) {
		return h.buildListAvailableCountries(ctx, req)
	})
}

// ListPaymentVias answers from the response cache; buildListPaymentVias computes the answer.
func (h *Handlers) ListPaymentVias(ctx context.Context, req gen.ListPaymentViasRequestObject) (gen.ListPaymentViasResponseObject, error) {
	return cached(h, paymentViasKey, func() (gen.ListPaymentViasResponseObject, error) { return h.buildListPaymentVias(ctx, req) })
}

// ListCurrencies answers from the response cache; buildListCurrencies computes the answer.
func (h *Handlers) ListCurrencies(ctx context.Context, req gen.ListCurrenciesRequestObject) (gen.ListCurrenciesResponseObject, error) {
	return cached(h, currenciesKey, func() (gen.ListCurrenciesResponseObject, error) { return h.buildListCurrencies(ctx, req) })
}

// ListBrands answers from the response cache; buildListBrands computes the answer.
func (h *Handlers) ListBrands(ctx context.Context, req gen.ListBrandsRequestObject) (gen.ListBrandsResponseObject, error) {
	var buf [64]byte
	return cached(h, cacheKey(buf[:0], "brands", string(req.Params.CountryCode)), func() (gen.ListBrandsResponseObject, error) { return h.buildListBrands(ctx, req) })
}

// GetHomepage answers from the response cache; buildGetHomepage computes the answer.
func (h *Handlers) GetHomepage(ctx context.Context, req gen.GetHomepageRequestObject) (gen.GetHomepageResponseObject, error) {
	var buf [64]byte
	return cached(h, cacheKey(buf[:0], "homepage", string(req.Params.CountryCode)), func() (gen.GetHomepageResponseObject, error) { return h.buildGetHomepage(ctx, req) })
}

// ListProducts answers from the response cache; buildListProducts computes the answer.
func (h *Handlers) ListProducts(ctx context.Context, req gen.ListProductsRequestObject) (gen.ListProductsResponseObject, error) {
	var buf [128]byte
	key := cacheKey(buf[:0], "products", string(req.CountryCode), req.Params.FamilyName, deref(req.Params.Coin), deref(req.Params.BrandName))
	return cached(h, key, func() (gen.ListProductsResponseObject, error) { return h.buildListProducts(ctx, req) })
}

// SearchProducts answers from the response cache; buildSearchProducts computes the answer.
func (h *Handlers) SearchProducts(ctx context.Context, req gen.SearchProductsRequestObject) (gen.SearchProductsResponseObject, error) {
	var buf [128]byte
	return cached(h, cacheKey(buf[:0], "search", string(req.CountryCode), req.Params.Q), func() (gen.SearchProductsResponseObject, error) { return h.buildSearchProducts(ctx, req) })
}

// GetProductPrice answers from the response cache; buildGetProductPrice computes the answer.
func (h *Handlers) GetProductPrice(ctx context.Context, req gen.GetProductPriceRequestObject) (gen.GetProductPriceResponseObject, error) {
	p := req.Params
	var buf [128]byte
	key := cacheKeyNumber(cacheKey(buf[:0], "price", p.BrandName, string(p.CountryCode), p.Coin), p.FaceValue)
	return cached(h, key, func() (gen.GetProductPriceResponseObject, error) { return h.buildGetProductPrice(ctx, req) })
}

// cached answers from the response cache, or builds the answer and keeps it when it is a 200
// (errors are built every time and never kept).
func cached[R any](h *Handlers, key []byte, build func() (R, error)) (R, error) {
	if b, ok := h.cache.lookup(key); ok {
		if r, ok := b.(R); ok {
			return r, nil
		}
	}
	resp, err := build()
	if err == nil && isOK(resp) {
		h.cache.store(key, resp)
	}
	return resp, err
}

// isOK reports whether a catalogue answer is a 200: only those are cached.
func isOK(resp any) bool {
	switch resp.(type) {
	case gen.ListAvailableCountries200JSONResponse, gen.ListPaymentVias200JSONResponse, gen.ListCurrencies200JSONResponse,
		gen.ListBrands200JSONResponse, gen.GetHomepage200JSONResponse, gen.ListProducts200JSONResponse,
		gen.SearchProducts200JSONResponse, gen.GetProductPrice200JSONResponse:
		return true
	}
	return false
}
