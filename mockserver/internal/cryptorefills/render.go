package cryptorefills

import (
	"math/big"
	"strings"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
)

func ptr[T any](v T) *T { return &v }

func (h *Handlers) brand(f *catalog.Family) gen.Brand {
	base := h.catalog.LogoBaseURL(f.LogoSlug)
	lo, hi := f.MinMax()
	return gen.Brand{
		Family: f.Family, Brand: f.Brand, BrandId: f.BrandID, LogoUrl: base + ".webp", LogoBaseUrl: base,
		BgColor: ptr(f.BgColor), Min: ptr(lo), Max: ptr(hi), Category: f.Category,
		AdditionalCategories: ptr(f.AdditionalCategories), IsOutOfStock: f.OutOfStock,
		CountryCode: gen.CountryCode(f.Country), Kind: gen.ProductKind(f.Kind), ProductType: ptr("physical"),
		BrandTags: ptr([]string{}),
	}
}

func (h *Handlers) productFamily(f *catalog.Family, coin *catalog.Coin) gen.ProductFamily {
	base := h.catalog.LogoBaseURL(f.LogoSlug)
	out := gen.ProductFamily{
		CountryCode: gen.CountryCode(f.Country), Category: ptr(f.Category), AdditionalCategories: ptr(f.AdditionalCategories),
		Kind: gen.ProductKind(f.Kind), Family: f.Family, BrandId: f.BrandID, Brand: f.Brand, IsOutOfStock: f.OutOfStock,
		LogoUrl: ptr(base + ".webp"), LogoBaseUrl: ptr(base), BgColor: ptr(f.BgColor), ProductTc: ptr(f.Terms),
		RedeemMethod: ptr(f.RedeemMethod), DefaultDenomination: ptr(""),
		RichDescription: &gen.RichDescription{
			Markup: ptr("html"), Description: ptr("<p>" + f.Brand + " digital card.</p>"),
			HowToRedeem:       ptr("<p>Redeem the code on the " + f.Brand + " website or app.</p>"),
			TermAndConditions: ptr("<p>" + f.Terms + "</p>"), CountryCode: ptr(f.Country), Locale: ptr("en"),
		},
		Products: make([]gen.Product, 0, len(f.Products)),
	}
	for _, p := range f.Products {
		out.Products = append(out.Products, h.product(f, p, coin))
		if p.Label != "" && *out.DefaultDenomination == "" {
			out.DefaultDenomination = ptr(p.Label)
		}
	}
	return out
}

func (h *Handlers) product(f *catalog.Family, p *catalog.Product, coin *catalog.Coin) gen.Product {
	out := gen.Product{
		ProductId: p.ID, IsDynamic: p.Range != nil, Coin: coin.Symbol, PaymentMethod: coin.PaymentMethod(coin.Networks[0]),
		DeliveryType: gen.DeliveryType(f.DeliveryType), ProductType: ptr("physical"),
		// No product-level is_active / is_out_of_stock: no source shows them (families and
		// brands carry is_out_of_stock); NOT_ACTIVE and OUT_OF_STOCK report them in orders.
	}
	if p.Range != nil {
		out.Points = ptr(h.catalog.Points(f.Currency, p.Range.Min)) // live: "4" on the 5-500 USD range (api-facts A4.4)
		out.Range = productRange(f, p)
		out.FaceValue = &gen.FaceValue{CurrencyCode: f.Currency, Amount: gen.FaceValueAmount{
			Type: gen.Range, Min: h.seams.rangeBound(p.Range.Min, f.Currency, p.ID+"|min"), Max: h.seams.rangeBound(p.Range.Max, f.Currency, p.ID+"|max"),
		}}
		return out
	}
	amount := money.Format(h.catalog.Price(f.Currency, p.Face, coin), coin.Decimals)
	out.Denomination = ptr(p.Label)
	if p.Localized != "" {
		out.LocalizedDenomination = ptr(p.Localized)
	}
	out.CoinAmount, out.OriginalCoinAmount = ptr(amount), ptr(amount)
	out.Points = ptr(h.catalog.Points(f.Currency, p.Face))
	out.FaceValue = &gen.FaceValue{CurrencyCode: f.Currency, Amount: gen.FaceValueAmount{
		Type: gen.Fixed, Price: ptr(money.Trim(p.Face, 2)),
	}}
	return out
}

func productRange(f *catalog.Family, p *catalog.Product) *gen.ProductRange {
	r := p.Range
	return &gen.ProductRange{Min: money.Float(r.Min), Max: money.Float(r.Max), Currency: f.Currency,
		StepSize: ptr(money.Float(r.Step)), Default: ptr(money.Format(r.Max, 1))}
}

func (h *Handlers) paymentVias() []gen.PaymentVia {
	var currencies []gen.PaymentCurrency
	for _, c := range h.catalog.Coins() {
		pc := gen.PaymentCurrency{Name: c.Symbol, IsSuspended: c.Suspended, Threshold: ptr(money.Format(c.Networks[0].Threshold, c.Decimals)),
			LogoUrl: ptr(h.catalog.LogoBaseURL("coins-"+strings.ToLower(c.Symbol)) + ".webp")}
		for _, n := range c.Networks {
			pn := gen.PaymentNetwork{Name: n.Name, IsSuspended: n.Suspended, Threshold: ptr(money.Format(n.Threshold, c.Decimals)), BaseToken: ptr(n.BaseToken)}
			if n.ChainID != 0 {
				pn.ChainId = ptr(n.ChainID)
			}
			if n.Engine != "" {
				pn.SmartContractEngine = ptr(n.Engine)
			}
			if n.Contract != "" {
				// Every token the mock lists (USDC, USDT) has 6 decimals on these chains.
				pn.SmartContract = &gen.SmartContract{Engine: ptr(n.Engine), Address: ptr(n.Contract), Decimals: ptr(6), Symbol: ptr(c.Symbol)}
			}
			pc.Networks = append(pc.Networks, pn)
		}
		currencies = append(currencies, pc)
	}
	vias := []gen.PaymentVia{{Name: "USER_WALLET", Available: true, Currencies: currencies}}
	// The vendor's other channels (api-facts A4.1, [DOC] S4). Integrators use only
	// USER_WALLET, and the mock refuses the others in orders (NOT_ALLOWED_PAYMENT_VIA), so it
	// lists them as not available, with no currencies: the mock's choice.
	for _, name := range otherPaymentVias {
		vias = append(vias, gen.PaymentVia{Name: name, Available: false, Currencies: []gen.PaymentCurrency{}})
	}
	return vias
}

// otherPaymentVias are the channels besides USER_WALLET that the vendor documents.
var otherPaymentVias = []string{"GATE_PAY", "GATE_PAY_WEB", "KUCOIN_PAY", "BUYDL"}

// order renders an order as the API answers it.
func (h *Handlers) order(o lifecycle.Order) gen.Order {
	out := h.orderFields(o)
	if o.UpdatedAt.After(o.CreatedAt) { // the live creation answer has no updated_at; later ones do (api-facts A4.7, A4.8)
		out.UpdatedAt = ptr(h.seams.epoch(o.UpdatedAt, o.ID, "updated_at"))
	}
	return out
}

func (h *Handlers) orderFields(o lifecycle.Order) gen.Order {
	dec := func(r *big.Rat) string { return money.Format(r, o.CoinDecimals) }
	sent := money.Trim(o.Sent, o.CoinDecimals)
	// The optional members point into one value (one allocation, not fifteen); the answer is
	// only ever encoded, never written through these pointers.
	b := &orderBits{v: [...]string{o.PaymentMethod, o.Network, dec(o.OriginalCoinAmount), strings.TrimRight(h.publicURL(), "/") + "/v3/qrs/" + o.ID,
		o.QRText, sent, o.PaymentVia, o.Protocol, o.PaymentID, o.Email}, paymentValue: money.RoundFloat(o.FiatUSD, 4)}
	v := &b.v
	b.user.Email = &v[9]
	created, requested := h.seams.epochs(o.CreatedAt, o.ID, "created_at", "payment_requested_at")
	b.requested = requested
	out := gen.Order{
		OrderId: o.ID, CreatedAt: created,
		WalletAddress: o.WalletAddress, PaymentMethod: &v[0], Network: &v[1], Coin: o.Coin,
		CoinAmount: dec(o.CoinAmount), OriginalPrice: &v[2], OriginalCoinAmount: &v[2],
		QrUrl: &v[3], QrText: &v[4], SentCoinAmount: &v[5], ReceivedAmount: &v[5],
		PaymentState: gen.PaymentState(o.PaymentState), PaymentVia: &v[6], PaymentRequestedAt: &b.requested,
		PaymentMethodProtocol: &v[7], PaymentId: &v[8], PaymentValue: &b.paymentValue,
		OrderState: gen.OrderState(o.State), User: &b.user,
		IsPaymentProcessorExternal: &b.external, Deliveries: make([]gen.OrderDelivery, 0, len(o.Deliveries)),
	}
	if o.RefundWallet != "" {
		out.RefundWalletAddress = ptr(o.RefundWallet)
	}
	if o.Refund != nil {
		out.Refund = &gen.Refund{Amount: ptr(dec(o.Refund.Amount)), Currency: ptr(o.Refund.Currency), Reason: ptr(o.Refund.Reason)}
	}
	for _, d := range o.Deliveries {
		out.Deliveries = append(out.Deliveries, delivery(d))
	}
	return out
}

// orderBits holds what an order answer's optional members point to.
type orderBits struct {
	v            [10]string
	paymentValue float64
	external     bool
	requested    gen.EpochSeconds
	user         struct {
		Email *string `json:"email,omitempty"`
	}
}

// deliveryBits holds what a delivery answer's optional members point to.
type deliveryBits struct {
	v    [11]string
	kind gen.DeliveryType
}

func delivery(d lifecycle.Delivery) gen.OrderDelivery {
	// The always-present fields point into one value: one allocation, not twelve.
	b := &deliveryBits{v: [...]string{d.Denomination, d.Family, d.Brand, d.Beneficiary, d.Country, d.Points, d.CoinAmount, d.Currency,
		d.OriginalPrice, d.Brand, d.Localized}, kind: gen.DeliveryType(d.DeliveryType)}
	v := &b.v
	del := gen.Deliverable{
		Denomination: &v[0], Family: &v[1], BrandName: &v[2],
		BeneficiaryAccount: &v[3], CountryCode: &v[4], DeliveryType: &b.kind,
		Points: &v[5], CoinAmount: &v[6], CurrencyCode: &v[7], OriginalPrice: &v[8],
		ProductValue: d.ProductValue,
	}
	if d.Localized != "" {
		del.LocalizedDenomination = &v[10]
	}
	if d.FailureReason != "" {
		del.FailureReason, del.ErrorDescription = ptr(d.FailureReason), ptr(d.FailureReason)
	}
	if r := d.Redemption; r != nil {
		set := func(dst **string, v string) {
			if v != "" {
				*dst = ptr(v)
			}
		}
		set(&del.PinCode, r.PinCode)
		set(&del.PinSerial, r.PinSerial)
		set(&del.SecurityCode, r.SecurityCode)
		set(&del.OperatorReference, r.OperatorReference)
		set(&del.BarcodeImageUrl, r.BarcodeImageURL)
		set(&del.QrImageUrl, r.QRImageURL)
		set(&del.RedeemInstructions, r.RedeemInstructions)
		set(&del.HowToRedeem, r.HowToRedeem)
	}
	return gen.OrderDelivery{Id: d.ID, DeliveryState: gen.DeliveryState(d.State), Kind: gen.ProductKind(d.Kind), BrandName: &v[9], Deliverable: del}
}
