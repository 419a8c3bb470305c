package cryptorefills

import (
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
)

// Rules are the limits that validation and creation both apply.
type Rules struct {
	MaxProducts     int      // per order (documents: up to 10)
	MaxOrderUSD     *big.Rat // MAXIMUM_AMOUNT_PER_ORDER_EXCEEDED above it
	DailyLimitUSD   *big.Rat // per user email and partner, over the last 24 hours of virtual time
	MonthlyLimitUSD *big.Rat // over the last 30 days
}

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`) // api-facts A6

// accountTriggers are the account-scoped codes a user email can ask for with a plus tag
// (buyer+kyc_missing@example.com): the mock has no accounts, so this is their trigger.
var accountTriggers = map[string]bool{
	"DAILY_SPENDING_LIMIT_EXCEEDED": true, "MONTHLY_SPENDING_LIMIT_EXCEEDED": true, "LOGIN_REQUIRED": true,
	"KYC_MISSING": true, "KYC_PENDING": true, "VERIFICATION_REQUIRED": true, "FULLNAME_MISSING": true,
	"INVALID_EMAIL_DOMAIN": true,
}

// coupon is a promo code of the mock's coupon book.
type coupon struct {
	percentOff int
	fail       gen.ProblemCode // always fails with this code
	minUSD     int64           // COUPON_BELOW_MIN_AMOUNT below it
	category   string          // COUPON_NOT_VALID_FOR_CATEGORY for other categories
	kind       string          // COUPON_NOT_VALID_FOR_KIND for other kinds
	brand      string          // COUPON_NOT_VALID_FOR_BRAND for other brands
	country    string          // COUPON_NOT_VALID_FOR_COUNTRY elsewhere
}

// coupons is the coupon book (README, "Problem triggers"). Any other code is COUPON_NOT_FOUND.
var coupons = map[string]coupon{
	"MOCK-10OFF":     {percentOff: 10},
	"MOCK-NOTACTIVE": {fail: gen.COUPONNOTACTIVE},
	"MOCK-SPENT":     {fail: gen.COUPONALREADYSPENT},
	"MOCK-MAXUSED":   {fail: gen.COUPONMAXUSAGEREACHED},
	"MOCK-EXPIRED":   {fail: gen.COUPONEXPIRED},
	"MOCK-MIN100":    {percentOff: 5, minUSD: 100},
	"MOCK-VIPONLY":   {fail: gen.COUPONNOTVALIDFORUSER},
	"MOCK-GAMES":     {percentOff: 5, category: "games"},
	"MOCK-TOPUP":     {percentOff: 5, kind: "mobile_recharge"},
	"MOCK-STEAM":     {percentOff: 5, brand: "Steam"},
	"MOCK-BR":        {percentOff: 5, country: "BR"},
	"MOCK-APPSTORE":  {fail: gen.COUPONNOTVALIDFORSTORE},
	"MOCK-MEMBERS":   {fail: gen.COUPONREQUIRESLOGIN},
}

// line is one resolved product of an order.
type line struct {
	fam          *catalog.Family
	product      *catalog.Product
	face         *big.Rat
	beneficiary  string
	productValue *float64
	coinAmount   *big.Rat
}

// quote is a priced order.
type quote struct {
	coin     *catalog.Coin
	network  *catalog.Network
	lines    []line
	original *big.Rat // coin total before the coupon
	total    *big.Rat // coin total to pay
	fiatUSD  *big.Rat
	email    string
	coupon   string
	limitsAt int // where the spending limits' problems go in the list, when evaluate left them out
}

type problemList []gen.Problem

func (p *problemList) add(code gen.ProblemCode, reason string, extra map[string]any) {
	more := map[string]any{"reason": reason}
	for k, v := range extra {
		more[k] = v
	}
	*p = append(*p, gen.Problem{Problem: code, MoreDetails: more})
}

func (p problemList) has(code gen.ProblemCode) bool {
	for _, x := range p {
		if x.Problem == code {
			return true
		}
	}
	return false
}

// evaluate applies every check of validation and creation. A malformed request or a suspended
// coin/network comes back as an HTTP-level error; business-rule failures as problems next to
// whatever could be priced. With laterLimits (creation) the spending limits are left out, for
// the engine to check with the storing; q.limitsAt keeps their place (withLimits).
func (h *Handlers) evaluate(partner string, req gen.OrderRequest, laterLimits bool) (*quote, problemList, *apierror.CRError) {
	var probs problemList
	q := &quote{}

	// Who buys.
	switch {
	case req.User != nil && req.User.Email != nil && *req.User.Email != "":
		q.email = *req.User.Email
	case req.Email != nil && *req.Email != "":
		q.email = *req.Email
	default:
		e := apierror.NewCR(http.StatusBadRequest, apierror.BadRequest,
			"an email is required: give user.email (or top-level email); Cryptorefills delivers and notifies there", map[string]any{"field": "user.email"})
		return nil, nil, &e
	}

	// How they pay.
	q.coin = h.catalog.Coin(req.Payment.Coin)
	if q.coin == nil {
		probs.add(gen.UNSUPPORTEDPROTOCOLCOINCOMBINATION, fmt.Sprintf("coin %s is not supported", req.Payment.Coin),
			h.codeDetails(gen.UNSUPPORTEDPROTOCOLCOINCOMBINATION))
	} else {
		if q.coin.Suspended {
			e := apierror.NewCR(http.StatusBadRequest, "SUSPENDED_COIN", fmt.Sprintf("coin %s is temporarily suspended", q.coin.Symbol), map[string]any{"coin": q.coin.Symbol})
			return nil, nil, &e
		}
		q.network = q.coin.Networks[0]
		if req.Payment.Network != nil {
			q.network = q.coin.Network(*req.Payment.Network)
		}
		if q.network == nil {
			probs.add(gen.UNSUPPORTEDPROTOCOLCOINCOMBINATION, fmt.Sprintf("coin %s cannot be paid on network %q", q.coin.Symbol, *req.Payment.Network),
				h.codeDetails(gen.UNSUPPORTEDPROTOCOLCOINCOMBINATION))
		} else if q.network.Suspended {
			e := apierror.NewCR(http.StatusBadRequest, "SUSPENDED_NETWORK", fmt.Sprintf("network %s is temporarily suspended for %s", q.network.Name, q.coin.Symbol),
				map[string]any{"coin": q.coin.Symbol, "network": q.network.Name})
			return nil, nil, &e
		}
	}
	if req.Payment.PaymentVia != "USER_WALLET" {
		probs.add(gen.NOTALLOWEDPAYMENTVIA, fmt.Sprintf("payment_via %q is not allowed for partner orders", req.Payment.PaymentVia),
			h.codeDetails(gen.NOTALLOWEDPAYMENTVIA))
	}

	// What they buy. The validator already bounds quantities and country codes (and refuses
	// keys in another case, which Go's decoder would otherwise match unvalidated); the rules
	// check them again so that they hold whoever calls them.
	count := 0
	var room [8]int
	quantities := room[:min(len(req.Deliveries), len(room))]
	if len(req.Deliveries) > len(room) {
		quantities = make([]int, len(req.Deliveries))
	}
	for i, d := range req.Deliveries {
		n := 1
		if d.Quantity != nil {
			n = *d.Quantity
		}
		quantities[i] = n
		if n < 1 || n > 1000 {
			e := apierror.NewCR(http.StatusBadRequest, apierror.BadRequest,
				fmt.Sprintf("deliveries[%d].quantity must be between 1 and 1000", i), map[string]any{"delivery": i})
			return nil, nil, &e
		}
		count += n
	}
	if count > h.rules.MaxProducts {
		details := h.codeDetails(gen.PRODUCTCOUNTEXCEEDED)
		details["count"] = count
		probs.add(gen.PRODUCTCOUNTEXCEEDED, fmt.Sprintf("the order has %d products; at most %d are allowed", count, h.rules.MaxProducts), details)
	}
	limited := 0
	for i, d := range req.Deliveries {
		ln, err := h.resolve(i, d, q.email, &probs)
		if err != nil {
			return nil, nil, err
		}
		if ln == nil {
			continue
		}
		if ln.fam.Limited {
			limited++
		}
		for k := 0; k < quantities[i] && len(q.lines) <= h.rules.MaxProducts; k++ { // past the cap: priced no further
			q.lines = append(q.lines, *ln)
		}
	}
	if limited > 1 {
		probs.add(gen.MULTIPLELIMITEDPRODUCTSAMEORDER, "the order contains more than one rate-limited product", map[string]any{"limited_products": limited})
	}

	// Prices.
	q.original, q.total, q.fiatUSD = money.Zero, money.Zero, money.Zero
	if q.coin != nil {
		for i := range q.lines {
			ln := &q.lines[i]
			ln.coinAmount = h.catalog.Price(ln.fam.Currency, ln.face, q.coin)
			q.original = money.Add(q.original, ln.coinAmount)
			q.fiatUSD = money.Add(q.fiatUSD, h.catalog.USDValue(ln.fam.Currency, ln.face))
		}
		q.total = q.original
	}
	if req.PromoCode != nil && *req.PromoCode != "" {
		h.applyCoupon(q, strings.ToUpper(strings.TrimSpace(*req.PromoCode)), &probs)
	}

	// Limits.
	if q.network != nil && len(q.lines) > 0 && money.Cmp(q.total, q.network.Threshold) < 0 {
		probs.add(gen.AMOUNTLESSTHENMINIMUMALLOWED, fmt.Sprintf("the order total %s %s is below the minimum of %s %s on %s",
			money.Format(q.total, q.coin.Decimals), q.coin.Symbol, money.Format(q.network.Threshold, q.coin.Decimals), q.coin.Symbol, q.network.Name),
			map[string]any{"minimum": money.Format(q.network.Threshold, q.coin.Decimals)})
	}
	if money.Cmp(q.fiatUSD, h.rules.MaxOrderUSD) > 0 {
		probs.add(gen.MAXIMUMAMOUNTPERORDEREXCEEDED, fmt.Sprintf("the order is worth %s USD; the maximum per order is %s USD",
			money.Format(q.fiatUSD, 2), money.Trim(h.rules.MaxOrderUSD, 2)), h.codeDetails(gen.MAXIMUMAMOUNTPERORDEREXCEEDED))
	}
	if q.limitsAt = len(probs); !laterLimits {
		probs = h.withLimits(probs, q.limitsAt, h.engine.Over(partner, q.email, q.fiatUSD, h.perUser))
	}
	if q.coin != nil && q.network != nil && q.network.Name == "Tron" && (q.coin.Symbol == "USDT" || q.coin.Symbol == "USDC") {
		probs.add(gen.FULLNAMEMISSING, "stablecoins on Tron need the customer's full name on file", nil)
	}

	// Account-scoped triggers, then whatever the control API armed.
	local, domain, _ := strings.Cut(q.email, "@")
	if strings.HasSuffix(strings.ToLower(domain), ".invalid") {
		probs.add(gen.INVALIDEMAILDOMAIN, "the email's domain does not accept mail", map[string]any{"domain": domain})
	}
	if _, tag, ok := strings.Cut(local, "+"); ok {
		code := gen.ProblemCode(strings.ToUpper(tag))
		if accountTriggers[string(code)] && !probs.has(code) {
			probs.add(code, "triggered by the email tag +"+tag, nil)
		}
	}
	for _, code := range h.faults.TakeProblems(partner) {
		if !probs.has(gen.ProblemCode(code)) {
			probs.add(gen.ProblemCode(code), "armed through the control API", h.codeDetails(gen.ProblemCode(code)))
		}
	}
	return q, probs, nil
}

// resolve finds the product a delivery names. It returns nil (with a problem added) when the
// product cannot be ordered as asked, and an HTTP error when the delivery names nothing.
func (h *Handlers) resolve(i int, d gen.DeliveryRequest, email string, probs *problemList) (*line, *apierror.CRError) {
	brand, denom, beneficiary, country := deref(d.BrandName), deref(d.Denomination), deref(d.BeneficiaryAccount), ""
	if d.CountryCode != nil {
		country = string(*d.CountryCode)
	}
	pv := d.ProductValue
	if nd := d.Deliverable; nd != nil {
		brand, denom, country = nd.BrandName, nd.Denomination, string(nd.CountryCode)
		if nd.BeneficiaryAccount != nil {
			beneficiary = *nd.BeneficiaryAccount
		}
		if nd.ProductValue != nil {
			pv = nd.ProductValue
		}
	}
	if brand == "" || denom == "" || country == "" {
		e := apierror.NewCR(http.StatusBadRequest, apierror.BadRequest,
			fmt.Sprintf("deliveries[%d] names no product: give brand_name, country_code and denomination, flat or inside a deliverable", i), map[string]any{"delivery": i})
		return nil, &e
	}
	// where a problem is, built only for a problem (most deliveries have none)
	where := func() map[string]any {
		return map[string]any{"delivery": i, "brand_name": brand, "country_code": country, "denomination": denom}
	}
	assortment, ok := h.catalog.Country(country)
	if !ok { // the schema limits country codes; checked again, as above
		e := apierror.NewCR(http.StatusBadRequest, apierror.BadRequest,
			fmt.Sprintf("deliveries[%d].country_code %q is not one of the supported countries", i, country), where())
		return nil, &e
	}
	fam := assortment.Brand(brand)
	if fam == nil {
		probs.add(gen.NOTAVAILABLEPRODUCT, fmt.Sprintf("no brand %q in %s (brand names are case-sensitive)", brand, country), where())
		return nil, nil
	}
	ln := &line{fam: fam}
	switch {
	case denom == "range":
		ln.product = fam.RangeProduct()
		if ln.product == nil {
			probs.add(gen.NOTAVAILABLEPRODUCT, fmt.Sprintf("%s has no range product: order one of its denominations", brand), where())
			return nil, nil
		}
		value, reason := productValue(pv)
		if reason != "" {
			probs.add(gen.INVALIDPRODUCTVALUE, reason, where())
			return nil, nil
		}
		r := ln.product.Range
		bounds := map[string]any{"delivery": i, "min": money.Trim(r.Min, 2), "max": money.Trim(r.Max, 2), "currency": fam.Currency}
		if money.Cmp(value, r.Min) < 0 {
			probs.add(gen.AMOUNTTOOLOW, fmt.Sprintf("%s is below the minimum %s", catalog.FormatAmount(value, fam.Currency), catalog.FormatAmount(r.Min, fam.Currency)), bounds)
			return nil, nil
		}
		if money.Cmp(value, r.Max) > 0 {
			probs.add(gen.AMOUNTTOOHIGH, fmt.Sprintf("%s is above the maximum %s", catalog.FormatAmount(value, fam.Currency), catalog.FormatAmount(r.Max, fam.Currency)), bounds)
			return nil, nil
		}
		if steps := money.Quo(money.Sub(value, r.Min), r.Step); !steps.IsInt() {
			probs.add(gen.INVALIDPRODUCTVALUE, fmt.Sprintf("the value must be a multiple of %s from %s", money.Trim(r.Step, 4), money.Trim(r.Min, 2)), bounds)
			return nil, nil
		}
		ln.face = value
		f, _ := value.Float64()
		ln.productValue = &f
	default:
		ln.product = fam.FixedByLabel(denom)
		if ln.product == nil {
			if amount, err := money.Parse(denom); err == nil {
				ln.product = fam.FixedByFace(amount)
			}
		}
		if ln.product == nil {
			probs.add(gen.NOTAVAILABLEPRODUCT, fmt.Sprintf("%s in %s has no denomination %q: send one of the product list's denominations exactly, or \"range\" with product_value", brand, country, denom), where())
			return nil, nil
		}
		ln.face = ln.product.Face
	}
	if fam.OutOfStock || ln.product.OutOfStock {
		probs.add(gen.OUTOFSTOCK, fmt.Sprintf("%s is out of stock", brand), where())
	}
	if !ln.product.Active {
		probs.add(gen.NOTACTIVE, fmt.Sprintf("%s is inactive", brand), where())
	}
	if fam.LoginRequired && !probs.has(gen.LOGINREQUIRED) {
		probs.add(gen.LOGINREQUIRED, fmt.Sprintf("%s (%s) needs a signed-in, verified Cryptorefills user", brand, fam.Category), where())
	}
	if beneficiary == "" && fam.DeliveryType == "by_email" {
		beneficiary = email
	}
	ln.beneficiary = beneficiary
	switch {
	case fam.DeliveryType == "by_phone" && !e164RE.MatchString(beneficiary):
		probs.add(gen.INVALIDBENEFICIARYACCOUNT, fmt.Sprintf("beneficiary_account %q must be an E.164 phone number (+14155551234) for a %s top-up", beneficiary, brand),
			map[string]any{"delivery": i, "expected": "E.164 phone number"})
	case fam.DeliveryType == "by_email" && !plausibleEmail(beneficiary):
		probs.add(gen.INVALIDBENEFICIARYACCOUNT, fmt.Sprintf("beneficiary_account %q must be an email address for %s", beneficiary, brand),
			map[string]any{"delivery": i, "expected": "email address"})
	}
	return ln, nil
}

func productValue(pv *gen.ProductValue) (*big.Rat, string) {
	if pv == nil {
		return nil, "a range product needs product_value"
	}
	if f, err := pv.AsProductValue0(); err == nil {
		v, err := money.FromFloat(f)
		if err != nil {
			return nil, "product_value must be a positive number"
		}
		return v, ""
	}
	if s, err := pv.AsDecimal(); err == nil {
		if v, err := money.Parse(s); err == nil {
			return v, ""
		}
	}
	return nil, "product_value must be a positive number"
}

func (h *Handlers) applyCoupon(q *quote, code string, probs *problemList) {
	q.coupon = code
	c, ok := coupons[code]
	switch {
	case !ok:
		probs.add(gen.COUPONNOTFOUND, fmt.Sprintf("coupon %q does not exist", code), nil)
		return
	case c.fail != "":
		probs.add(c.fail, fmt.Sprintf("coupon %s cannot be used here", code), nil)
		return
	case c.minUSD > 0 && q.fiatUSD.Cmp(big.NewRat(c.minUSD, 1)) < 0:
		probs.add(gen.COUPONBELOWMINAMOUNT, fmt.Sprintf("coupon %s needs an order of at least %d USD", code, c.minUSD), map[string]any{"minimum_usd": c.minUSD})
		return
	}
	for _, ln := range q.lines {
		switch {
		case c.category != "" && ln.fam.Category != c.category:
			probs.add(gen.COUPONNOTVALIDFORCATEGORY, fmt.Sprintf("coupon %s applies to %s only", code, c.category), nil)
			return
		case c.kind != "" && ln.fam.Kind != c.kind:
			probs.add(gen.COUPONNOTVALIDFORKIND, fmt.Sprintf("coupon %s applies to %s only", code, c.kind), nil)
			return
		case c.brand != "" && ln.fam.Brand != c.brand:
			probs.add(gen.COUPONNOTVALIDFORBRAND, fmt.Sprintf("coupon %s applies to %s only", code, c.brand), nil)
			return
		case c.country != "" && ln.fam.Country != c.country:
			probs.add(gen.COUPONNOTVALIDFORCOUNTRY, fmt.Sprintf("coupon %s is valid in %s only", code, c.country), nil)
			return
		}
	}
	if q.coin != nil {
		factor := big.NewRat(int64(100-c.percentOff), 100)
		q.total = money.Round(money.Mul(q.original, factor), q.coin.Decimals)
	}
}

// combinations lists the coin/network pairs that can be paid, for moreDetails.
func (h *Handlers) combinations() []map[string]string {
	var out []map[string]string
	for _, c := range h.catalog.Coins() {
		for _, n := range c.Networks {
			out = append(out, map[string]string{"coin": c.Symbol, "network": n.Name})
		}
	}
	return out
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// withLimits puts the problems of the spending limits over (indexes into h.limits) at position
// at of probs, where evaluate lists them, and drops what an email tag or the control API added
// for the same codes after that (evaluate adds those only for codes not listed yet).
func (h *Handlers) withLimits(probs problemList, at int, over []int) problemList {
	if len(over) == 0 {
		return probs
	}
	var lim problemList
	for _, i := range over {
		h.limits[i].report(&lim)
	}
	rest := slices.DeleteFunc(slices.Clone(probs[at:]), func(p gen.Problem) bool { return lim.has(p.Problem) })
	return append(append(probs[:at:at], lim...), rest...)
}

// spendingLimit is one of the documents' spending limits: the engine checks it at creation,
// the checkout reports it at validation.
type spendingLimit struct {
	lifecycle.Limit
	code gen.ProblemCode
	span string
}

func (l spendingLimit) report(probs *problemList) {
	probs.add(l.code, fmt.Sprintf("this user would spend more than %s USD in %s", money.Trim(l.MaxUSD, 2), l.span), l.details())
}

func (l spendingLimit) details() map[string]any {
	return map[string]any{"limit_usd": money.Trim(l.MaxUSD, 2)}
}

// codeDetails are the details a problem code carries whatever raised it (a request, an email
// tag or the control API), besides its reason: the documents' for NOT_ALLOWED_PAYMENT_VIA
// (the allowed kinds) and UNSUPPORTED_PROTOCOL_COIN_COMBINATION (the supported pairs), the
// rules' for the limits (the mock's own). openapi/cryptorefills.yaml gives each code's schema
// (ProblemCode's x-more-details). A code not listed carries its reason only.
func (h *Handlers) codeDetails(code gen.ProblemCode) map[string]any {
	for _, l := range h.limits {
		if l.code == code {
			return l.details()
		}
	}
	switch code {
	case gen.NOTALLOWEDPAYMENTVIA:
		return map[string]any{"allowed": []string{"USER_WALLET"}}
	case gen.UNSUPPORTEDPROTOCOLCOINCOMBINATION:
		return map[string]any{"supported": h.combinations()}
	case gen.PRODUCTCOUNTEXCEEDED:
		return map[string]any{"maximum": h.rules.MaxProducts}
	case gen.MAXIMUMAMOUNTPERORDEREXCEEDED:
		return map[string]any{"maximum_usd": money.Trim(h.rules.MaxOrderUSD, 2)}
	}
	return map[string]any{}
}

// spendingLimits are the daily and monthly limits of the rules (api-facts A13).
func (h *Handlers) spendingLimits() []spendingLimit {
	return []spendingLimit{
		{lifecycle.Limit{Window: 24 * time.Hour, MaxUSD: h.rules.DailyLimitUSD}, gen.DAILYSPENDINGLIMITEXCEEDED, "24 hours"},
		{lifecycle.Limit{Window: 30 * 24 * time.Hour, MaxUSD: h.rules.MonthlyLimitUSD}, gen.MONTHLYSPENDINGLIMITEXCEEDED, "30 days"},
	}
}

// plausibleEmail is ^[^@\s]+@[^@\s]+\.[^@\s]+$ without the regexp engine (checkout_test.go
// holds them equal): one '@' with something before it, no
// white space (RE2's \s: tab, newline, form feed, carriage return, space), and a '.' in the
// domain with something on both sides.
func plausibleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
			return false
		}
	}
	domain := s[at+1:]
	for i := 1; i < len(domain)-1; i++ {
		if domain[i] == '.' {
			return true
		}
	}
	return false
}
