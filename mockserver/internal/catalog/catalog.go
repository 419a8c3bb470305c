// Package catalog owns what the mock sells and accepts: the coins and networks it is paid in,
// the brands and products of each of the 233 countries, and the prices. The catalogue is
// generated with gofakeit from a seed, one country at a time on first use, so the same seed
// always gives the same catalogue (byte-identical responses) and start-up stays fast.
//
// It knows nothing of HTTP or JSON: handlers turn its values into the API's shapes.
package catalog

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/cryptomock/cryptomock/mockserver/internal/money"
)

// ErrConfig is wrapped by every error New returns for bad options.
var ErrConfig = errors.New("catalog configuration")

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// Country is a supported country.
type Country struct{ Code, Name string }

// Options configure a catalogue.
type Options struct {
	Seed          int64
	Countries     []Country         // the supported countries, in the documents' order
	SpreadPercent string            // markup over the face value ("1.48")
	CoinRates     map[string]string // US dollars per coin, overriding the defaults
	FX            map[string]string // units of a currency per US dollar, overriding the defaults
	Suspensions   Suspensions
	LogoBaseURL   string // where logos live ("https://cdn.cryptorefills.com/logos_v2")
}

// Catalog is safe for concurrent use.
type Catalog struct {
	seed      int64
	countries []Country
	byCode    map[string]Country
	currency  map[string]string
	fx        map[string]*big.Rat
	spread    *big.Rat // 1 + spread/100
	coins     []*Coin
	logoBase  string

	mu    sync.Mutex
	cache map[string]*Assortment

	// priced remembers prices, dollar values and points: the catalogue never changes after
	// New, so each is a pure function of currency, face value and coin. Bounded by maxPriced.
	pricedMu sync.RWMutex
	priced   map[priceKey]*big.Rat
	points   map[priceKey]string
}

// maxPriced bounds each of the price memos (entries of ~200 bytes).
const maxPriced = 4096

// priceKey names a face value of a currency in a coin (nil: its dollar value). Faces whose
// numerator or denominator do not fit 64 bits are not remembered.
type priceKey struct {
	currency string
	num, den int64
	coin     *Coin
}

func keyOf(currency string, face *big.Rat, coin *Coin) (priceKey, bool) {
	if !face.Num().IsInt64() || !face.Denom().IsInt64() {
		return priceKey{}, false
	}
	return priceKey{currency, face.Num().Int64(), face.Denom().Int64(), coin}, true
}

// remembered returns what compute gives for k, from m when it is there (at most maxPriced
// kept). Callers share what they get with the memo: rationals, like strings, are never
// modified in place in the mock (money's rule), so a remembered price needs no copy.
func remembered[V any](c *Catalog, m map[priceKey]V, k priceKey, ok bool, compute func() V) V {
	if !ok {
		return compute()
	}
	c.pricedMu.RLock()
	v, hit := m[k]
	c.pricedMu.RUnlock()
	if hit {
		return v
	}
	v = compute()
	c.pricedMu.Lock()
	if len(m) < maxPriced {
		m[k] = v
	}
	c.pricedMu.Unlock()
	return v
}

// Family is a brand family of one country: the unit /v5/products lists.
type Family struct {
	Country              string
	Family               string // "Lycamobile"
	Brand                string // "Lycamobile Credits"
	BrandID              string
	Kind                 string // giftcard, mobile_recharge
	Category             string
	AdditionalCategories []string
	DeliveryType         string // by_email, by_phone
	Currency             string
	LogoSlug             string
	BgColor              string
	OutOfStock           bool
	LoginRequired        bool // e-money brands: LOGIN_REQUIRED for anonymous partner calls
	Limited              bool // rate-limited: at most one per order
	Popular              bool
	Terms                string
	RedeemMethod         []string
	Products             []*Product
}

// Product is one orderable item: a fixed denomination or a range.
type Product struct {
	ID         string
	Label      string // the exact denomination ("100 USD", "1 GB 7 days"); empty for a range
	Localized  string // "$100"
	Face       *big.Rat
	Range      *Range
	Active     bool
	OutOfStock bool
}

// Range is the span of a range product, in the family's currency.
type Range struct{ Min, Max, Step *big.Rat }

// Assortment is everything sold in one country.
type Assortment struct {
	Country  Country
	Currency string
	Families []*Family
}

// New builds a catalogue. It validates the options; countries are generated lazily.
func New(opts Options) (*Catalog, error) {
	if len(opts.Countries) == 0 {
		return nil, errorf("no countries")
	}
	spreadText := opts.SpreadPercent
	if spreadText == "" {
		spreadText = "1.48"
	}
	spread, err := money.Parse(spreadText)
	if err != nil {
		return nil, errorf("spread_percent %q is not a decimal", spreadText)
	}
	coins, err := buildCoins(opts.CoinRates, opts.Suspensions)
	if err != nil {
		return nil, err
	}
	c := &Catalog{
		seed:      opts.Seed,
		countries: opts.Countries,
		byCode:    map[string]Country{},
		currency:  map[string]string{},
		fx:        map[string]*big.Rat{},
		spread:    money.Add(big.NewRat(1, 1), money.Quo(spread, big.NewRat(100, 1))),
		coins:     coins,
		logoBase:  strings.TrimRight(opts.LogoBaseURL, "/"),
		cache:     map[string]*Assortment{},
		priced:    map[priceKey]*big.Rat{},
		points:    map[priceKey]string{},
	}
	if c.logoBase == "" {
		c.logoBase = "https://cdn.cryptorefills.com/logos_v2"
	}
	for _, kv := range strings.Fields(localCurrency) {
		cc, cur, _ := strings.Cut(kv, ":")
		c.currency[cc] = cur
	}
	for _, kv := range strings.Fields(unitsPerUSD) {
		cur, rate, _ := strings.Cut(kv, ":")
		c.fx[cur] = money.MustParse(rate)
	}
	for cur, rate := range opts.FX {
		r, err := money.Parse(rate)
		if err != nil || r.Sign() == 0 {
			return nil, errorf("fx rate of %s: %q is not a positive decimal", cur, rate)
		}
		c.fx[cur] = r
	}
	for _, country := range opts.Countries {
		if _, ok := c.currency[country.Code]; !ok {
			return nil, errorf("no currency known for country %s", country.Code)
		}
		c.byCode[country.Code] = country
	}
	return c, nil
}

// Countries returns the supported countries in order.
func (c *Catalog) Countries() []Country { return c.countries }

// Coins returns the accepted coins.
func (c *Catalog) Coins() []*Coin { return c.coins }

// Coin finds a coin by symbol.
func (c *Catalog) Coin(symbol string) *Coin { return findCoin(c.coins, symbol) }

// LogoBaseURL returns the logo URL of a slug without extension.
func (c *Catalog) LogoBaseURL(slug string) string { return c.logoBase + "/" + slug }

// Country returns the assortment of a country, generating it on first use.
func (c *Catalog) Country(code string) (*Assortment, bool) {
	country, ok := c.byCode[code]
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.cache[code]; ok {
		return a, true
	}
	a := c.generate(country)
	c.cache[code] = a
	return a, true
}

// FamiliesNamed returns the families whose family or brand name matches name, ignoring case
// (the documents query `family_name=airbnb`). One name can match several families.
func (a *Assortment) FamiliesNamed(name string) []*Family {
	var out []*Family
	for _, f := range a.Families {
		if strings.EqualFold(f.Family, name) || strings.EqualFold(f.Brand, name) {
			out = append(out, f)
		}
	}
	return out
}

// Brand finds a family by its exact brand name (brand names are case-sensitive, api-facts A4.2).
func (a *Assortment) Brand(name string) *Family {
	for _, f := range a.Families {
		if f.Brand == name {
			return f
		}
	}
	return nil
}

// Search returns the families whose names or category contain q, ignoring case.
func (a *Assortment) Search(q string) []*Family {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []*Family
	for _, f := range a.Families {
		if strings.Contains(strings.ToLower(f.Brand), q) || strings.Contains(strings.ToLower(f.Family), q) ||
			strings.Contains(f.Category, q) {
			out = append(out, f)
		}
	}
	return out
}

// USDValue converts an amount of the family's currency into US dollars.
func (c *Catalog) USDValue(currency string, amount *big.Rat) *big.Rat {
	k, ok := keyOf(currency, amount, nil)
	return remembered(c, c.priced, k, ok, func() *big.Rat {
		rate, ok := c.fx[currency]
		if !ok {
			rate = big.NewRat(1, 1)
		}
		return money.Quo(amount, rate)
	})
}

// Price is the coin amount charged for a face value of a currency: its dollar value with the
// spread, in the coin, rounded to the coin's decimals.
func (c *Catalog) Price(currency string, face *big.Rat, coin *Coin) *big.Rat {
	k, ok := keyOf(currency, face, coin)
	return remembered(c, c.priced, k, ok && coin != nil, func() *big.Rat {
		usd := money.Mul(c.USDValue(currency, face), c.spread)
		return money.Round(money.Quo(usd, coin.USDRate), coin.Decimals)
	})
}

// Points are the loyalty points of a face value (live captures: $25 gives "22").
func (c *Catalog) Points(currency string, face *big.Rat) string {
	k, ok := keyOf(currency, face, nil)
	return remembered(c, c.points, k, ok, func() string {
		usd := money.Mul(c.USDValue(currency, face), big.NewRat(88, 100))
		return new(big.Int).Quo(usd.Num(), usd.Denom()).String()
	})
}

// FormatAmount writes a face value in a currency: "100 USD".
func FormatAmount(amount *big.Rat, currency string) string {
	return money.Trim(amount, 2) + " " + currency
}

// Localize writes a face value with its currency symbol: "$100", "€5", "100 MXN".
func Localize(amount *big.Rat, currency string) string {
	if sym, ok := currencySymbols[currency]; ok {
		return sym + money.Trim(amount, 2)
	}
	return FormatAmount(amount, currency)
}

// FixedByFace finds an active or inactive fixed product of the family with that face value.
func (f *Family) FixedByFace(face *big.Rat) *Product {
	for _, p := range f.Products {
		if p.Face != nil && money.Cmp(p.Face, face) == 0 {
			return p
		}
	}
	return nil
}

// FixedByLabel finds a fixed product by its exact denomination label.
func (f *Family) FixedByLabel(label string) *Product {
	for _, p := range f.Products {
		if p.Label != "" && p.Label == label {
			return p
		}
	}
	return nil
}

// RangeProduct returns the family's range product, if any.
func (f *Family) RangeProduct() *Product {
	for _, p := range f.Products {
		if p.Range != nil {
			return p
		}
	}
	return nil
}

// MinMax are the brand's display bounds ("$5", "$500"; plan labels for plans).
func (f *Family) MinMax() (string, string) {
	if len(f.Products) == 0 {
		return "", ""
	}
	if r := f.RangeProduct(); r != nil && len(f.Products) == 1 {
		return Localize(r.Range.Min, f.Currency), Localize(r.Range.Max, f.Currency)
	}
	first, last := f.Products[0], f.Products[len(f.Products)-1]
	label := func(p *Product) string {
		if p.Localized != "" {
			return p.Localized
		}
		return p.Label
	}
	return label(first), label(last)
}

// ---- generation ----

type template struct {
	family, brand, kind, category string
	extra                         []string
	delivery, color               string
	fixedUSD                      []float64 // fixed denominations, in US dollars, made local
	rangeUSD                      [2]float64
	usdOnly                       bool    // priced in US dollars everywhere
	exact                         bool    // fixedUSD are exact amounts of the currency, not converted
	plans                         []plan  // labelled plans (eSIM)
	share                         float64 // chance of being sold in a country (1 = everywhere)
	login, limited                bool
	outOfStock, inactive          bool
	redeem                        []string
}

type plan struct {
	label string
	usd   string
}

var esimPlans = []plan{{"1 GB 7 days", "4.5"}, {"3 GB 15 days", "9"}, {"5 GB 30 days", "14"}, {"10 GB 30 days", "22"}, {"Unlimited 3 days", "18"}}

// global brands, sold in many countries. Share < 1: sold in a seeded subset.
var globalBrands = []template{
	{family: "eSIM", brand: "eSIM", kind: "mobile_recharge", category: "e-sim", delivery: "by_email", color: "#0e131f", plans: esimPlans, usdOnly: true, share: 1, redeem: []string{"qr_code"}},
	{family: "Steam", brand: "Steam", kind: "giftcard", category: "games", extra: []string{"entertainment"}, delivery: "by_email", color: "#171a21", fixedUSD: []float64{10, 20, 50, 100, 150, 200}, share: 1, redeem: []string{"online"}},
	{family: "Google Play", brand: "Google Play", kind: "giftcard", category: "entertainment", extra: []string{"games"}, delivery: "by_email", color: "#FFFFFF", fixedUSD: []float64{10, 25, 50, 100}, share: 0.8, redeem: []string{"online"}},
	{family: "Apple", brand: "Everything Apple", kind: "giftcard", category: "electronics", extra: []string{"entertainment"}, delivery: "by_email", color: "#000000", rangeUSD: [2]float64{10, 500}, share: 0.7, redeem: []string{"online", "in_store"}},
	{family: "Netflix", brand: "Netflix", kind: "giftcard", category: "streaming", extra: []string{"entertainment"}, delivery: "by_email", color: "#E50914", fixedUSD: []float64{15, 30, 60}, share: 0.7, redeem: []string{"online"}},
	{family: "Spotify", brand: "Spotify", kind: "giftcard", category: "streaming", delivery: "by_email", color: "#1DB954", fixedUSD: []float64{10, 30, 60}, share: 0.6, redeem: []string{"online"}},
	{family: "PlayStation", brand: "PlayStation", kind: "giftcard", category: "games", delivery: "by_email", color: "#003791", fixedUSD: []float64{10, 20, 50, 100}, share: 0.6, redeem: []string{"online"}},
	{family: "Xbox", brand: "Xbox", kind: "giftcard", category: "games", delivery: "by_email", color: "#107C10", fixedUSD: []float64{15, 25, 50}, share: 0.5, redeem: []string{"online"}},
	{family: "Uber", brand: "Uber", kind: "giftcard", category: "travel_flights", extra: []string{"food"}, delivery: "by_email", color: "#000000", fixedUSD: []float64{25, 50, 100}, share: 0.5, redeem: []string{"online"}},
	{family: "Airbnb", brand: "Airbnb", kind: "giftcard", category: "travel_flights", extra: []string{"entertainment"}, delivery: "by_email", color: "#FF5A5F", fixedUSD: []float64{25, 50, 100, 200, 500}, share: 0.5, redeem: []string{"online"}},
	{family: "Razer Gold", brand: "Razer Gold", kind: "giftcard", category: "games", delivery: "by_email", color: "#44D62C", rangeUSD: [2]float64{5, 200}, share: 0.4, redeem: []string{"online"}},
	{family: "Rewarble", brand: "Rewarble VISA", kind: "giftcard", category: "e-money", delivery: "by_email", color: "#1A1F71", rangeUSD: [2]float64{10, 500}, usdOnly: true, share: 0.4, login: true, limited: true, redeem: []string{"online"}},
}

// countryBrands are documented brands of particular countries (api-facts A6 examples), plus
// the US entries that make the catalogue-based problem triggers deterministic.
var countryBrands = map[string][]template{
	"US": {
		{family: "Amazon.com", brand: "Amazon.com", kind: "giftcard", category: "e-commerce", extra: []string{"electronics", "entertainment", "books_learning"}, delivery: "by_email", color: "#FFFFFF", rangeUSD: [2]float64{5, 500}, exact: true, share: 1, redeem: []string{"online"}},
		// Both true of Airbnb in the US: the documents' fixed 100 and a flexible 50-500 product
		// observed on 2026-10-09 (api-facts A14).
		{family: "Airbnb", brand: "Airbnb", kind: "giftcard", category: "travel_flights", extra: []string{"entertainment"}, delivery: "by_email", color: "#FF5A5F", fixedUSD: []float64{25, 50, 100, 200, 500}, rangeUSD: [2]float64{50, 500}, exact: true, share: 1, redeem: []string{"online"}},
		{family: "Steam", brand: "Steam", kind: "giftcard", category: "games", extra: []string{"entertainment"}, delivery: "by_email", color: "#171a21", fixedUSD: []float64{10, 20, 50, 100, 150, 200}, exact: true, share: 1, redeem: []string{"online"}},
		{family: "Lycamobile", brand: "Lycamobile Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone", color: "#003DA5", rangeUSD: [2]float64{5, 100}, exact: true, share: 1, redeem: []string{"direct_topup"}},
		{family: "Lycamobile", brand: "Lycamobile Bundle", kind: "mobile_recharge", category: "mobile_bundle", delivery: "by_phone", color: "#003DA5", fixedUSD: []float64{19, 29, 39}, exact: true, share: 1, redeem: []string{"direct_topup"}},
		{family: "Rewarble", brand: "Rewarble VISA", kind: "giftcard", category: "e-money", delivery: "by_email", color: "#1A1F71", rangeUSD: [2]float64{10, 500}, usdOnly: true, share: 1, login: true, limited: true, redeem: []string{"online"}},
		{family: "Mock Out Of Stock", brand: "Mock Out Of Stock", kind: "giftcard", category: "other_products", delivery: "by_email", color: "#999999", fixedUSD: []float64{10, 25}, exact: true, share: 1, outOfStock: true},
		{family: "Mock Inactive", brand: "Mock Inactive", kind: "giftcard", category: "other_products", delivery: "by_email", color: "#999999", fixedUSD: []float64{10, 25}, exact: true, share: 1, inactive: true},
		{family: "Mock Limited", brand: "Mock Limited", kind: "giftcard", category: "other_products", delivery: "by_email", color: "#999999", fixedUSD: []float64{10, 25}, exact: true, share: 1, limited: true},
		{family: "Mock Micro", brand: "Mock Micro", kind: "giftcard", category: "other_products", delivery: "by_email", color: "#999999", fixedUSD: []float64{0.5}, exact: true, share: 1},
	},
	"BR": {
		{family: "Claro", brand: "Claro Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone", color: "#DA291C", fixedUSD: []float64{15, 20, 30, 50}, exact: true, share: 1, redeem: []string{"direct_topup"}},
		{family: "Vivo", brand: "Vivo Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone", color: "#660099", fixedUSD: []float64{15, 20, 30, 50}, exact: true, share: 1, redeem: []string{"direct_topup"}},
		{family: "TIM", brand: "TIM Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone", color: "#004691", fixedUSD: []float64{15, 20, 30, 50}, exact: true, share: 1, redeem: []string{"direct_topup"}},
	},
	"GB": {
		{family: "Lycamobile", brand: "Lycamobile Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone", color: "#003DA5", rangeUSD: [2]float64{5, 50}, exact: true, share: 1, redeem: []string{"direct_topup"}},
		{family: "Lycamobile", brand: "Lycamobile Bundle", kind: "mobile_recharge", category: "mobile_bundle", delivery: "by_phone", color: "#003DA5", fixedUSD: []float64{10, 15, 20}, exact: true, share: 1, redeem: []string{"direct_topup"}},
	},
}

var localCategories = []string{"retail", "food", "groceries", "apparel_clothing", "home", "health_beauty", "sports_fitness", "electronics", "books_learning", "entertainment"}

func (c *Catalog) faker(code string) *gofakeit.Faker {
	h := fnv.New64a()
	h.Write([]byte(code))
	return gofakeit.New(uint64(c.seed)*1_000_003 ^ h.Sum64())
}

func (c *Catalog) generate(country Country) *Assortment {
	f := c.faker(country.Code)
	cur := c.currency[country.Code]
	a := &Assortment{Country: country, Currency: cur}
	taken := map[string]bool{}
	add := func(t template) {
		if taken[t.brand] {
			return
		}
		taken[t.brand] = true
		a.Families = append(a.Families, c.family(f, country.Code, cur, t))
	}
	for _, t := range countryBrands[country.Code] {
		add(t)
	}
	for _, t := range globalBrands {
		// Draw for every brand, sold or not, so one brand's draw never shifts another's.
		if draw := f.Float64(); t.share >= 1 || draw < t.share {
			add(t)
		}
	}
	for i, n := 0, f.IntRange(3, 6); i < n; i++ {
		name := strings.TrimSuffix(strings.Fields(f.Company())[0], ",") + " " + f.RandomString([]string{"Market", "Store", "Gift Card", "Shop", "Outlet"})
		add(template{family: name, brand: name, kind: "giftcard", category: f.RandomString(localCategories), delivery: "by_email",
			color: f.HexColor(), fixedUSD: []float64{10, 25, 50, 100}, share: 1, outOfStock: f.Float64() < 0.1, redeem: []string{"in_store", "online"}})
	}
	for i, n := 0, f.IntRange(1, 3); i < n; i++ {
		op := strings.TrimSuffix(strings.Fields(f.Company())[0], ",") + " " + f.RandomString([]string{"Mobile", "Telecom", "Wireless"})
		add(template{family: op, brand: op + " Credits", kind: "mobile_recharge", category: "mobile_credits", delivery: "by_phone",
			color: f.HexColor(), rangeUSD: [2]float64{2, 100}, share: 1, redeem: []string{"direct_topup"}})
	}
	for i, fam := range a.Families {
		fam.Popular = i < 4 && !fam.LoginRequired
	}
	return a
}

func (c *Catalog) family(f *gofakeit.Faker, cc, localCur string, t template) *Family {
	cur := localCur
	if t.usdOnly || (t.exact && cc == "US") {
		cur = "USD"
	}
	// convert makes a dollar amount local: exact templates state amounts of the family's own
	// currency ("15 BRL"), the others are rounded to a plausible local denomination.
	convert := func(usd float64) float64 {
		if t.exact || cur == "USD" {
			return usd
		}
		return nice(usd * c.unitsPerUSD(cur))
	}
	fam := &Family{
		Country: cc, Family: t.family, Brand: t.brand, BrandID: f.UUID(), Kind: t.kind, Category: t.category,
		AdditionalCategories: append([]string{}, t.extra...), DeliveryType: t.delivery, Currency: cur,
		LogoSlug: slug(t.brand), BgColor: t.color, OutOfStock: t.outOfStock, LoginRequired: t.login, Limited: t.limited,
		RedeemMethod: append([]string{}, t.redeem...),
		Terms:        fmt.Sprintf("%s cards are delivered digitally and cannot be exchanged for cash. Valid in %s only.", t.brand, cc),
	}
	if fam.AdditionalCategories == nil {
		fam.AdditionalCategories = []string{}
	}
	newProduct := func() *Product {
		return &Product{ID: f.UUID(), Active: !t.inactive, OutOfStock: t.outOfStock}
	}
	switch {
	case len(t.plans) > 0:
		for _, pl := range t.plans {
			p := newProduct()
			p.Label, p.Face = pl.label, money.MustParse(pl.usd)
			fam.Products = append(fam.Products, p)
		}
	case len(t.fixedUSD) > 0:
		seen := map[string]bool{}
		for _, usd := range t.fixedUSD {
			amount := convert(usd)
			face := money.MustParse(strconv.FormatFloat(amount, 'f', -1, 64))
			label := FormatAmount(face, cur)
			if seen[label] {
				continue
			}
			seen[label] = true
			p := newProduct()
			p.Label, p.Localized, p.Face = label, Localize(face, cur), face
			fam.Products = append(fam.Products, p)
		}
	}
	if t.rangeUSD[1] > 0 { // a range product, alone or beside fixed ones
		lo, hi := convert(t.rangeUSD[0]), convert(t.rangeUSD[1])
		step := math.Pow(10, math.Floor(math.Log10(lo)))
		if step > 1 {
			step /= 10
		}
		p := newProduct()
		p.Range = &Range{
			Min:  money.MustParse(strconv.FormatFloat(lo, 'f', -1, 64)),
			Max:  money.MustParse(strconv.FormatFloat(hi, 'f', -1, 64)),
			Step: money.MustParse(strconv.FormatFloat(step, 'f', -1, 64)),
		}
		fam.Products = append(fam.Products, p)
	}
	return fam
}

func (c *Catalog) unitsPerUSD(cur string) float64 {
	if r, ok := c.fx[cur]; ok {
		return money.Float(r)
	}
	return 1
}

// nice rounds x to 1, 2, 2.5 or 5 times a power of ten, so local denominations look real.
func nice(x float64) float64 {
	if x <= 0 {
		return 0
	}
	exp := math.Floor(math.Log10(x))
	base := math.Pow(10, exp)
	best := 1.0
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if math.Abs(x-m*base) < math.Abs(x-best*base) {
			best = m
		}
	}
	v := best * base
	if exp < 0 {
		// keep at most two decimals: currencies worth several dollars (KWD, BHD)
		v = math.Round(v*100) / 100
		if v == 0 {
			v = 0.01
		}
	}
	return v
}

func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
