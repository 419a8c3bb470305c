package catalog

import (
	"encoding/json"
	"errors"
	"math/big"
	"regexp"
	"testing"

	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/openapi"
)

func countries(t testing.TB) []Country {
	t.Helper()
	doc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		t.Fatal(err)
	}
	list, err := openapi.Countries(doc)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Country, len(list))
	for i, c := range list {
		out[i] = Country{Code: c.Code, Name: c.Name}
	}
	return out
}

func newCatalog(t testing.TB, seed int64) *Catalog {
	t.Helper()
	c, err := New(Options{Seed: seed, Countries: countries(t), Suspensions: DefaultSuspensions})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func snapshot(t *testing.T, c *Catalog) string {
	t.Helper()
	var all []*Assortment
	for _, country := range c.Countries() {
		a, _ := c.Country(country.Code)
		all = append(all, a)
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSameSeedSameCatalogue(t *testing.T) {
	a, b := snapshot(t, newCatalog(t, 42)), snapshot(t, newCatalog(t, 42))
	if a != b {
		t.Fatal("two catalogues with seed 42 differ")
	}
	if c := snapshot(t, newCatalog(t, 43)); c == a {
		t.Fatal("seeds 42 and 43 give the same catalogue")
	}
	// Generation order must not matter: generate US last in a fresh catalogue.
	fresh := newCatalog(t, 42)
	fresh.Country("ZM")
	us1, _ := fresh.Country("US")
	us2, _ := newCatalog(t, 42).Country("US")
	j1, _ := json.Marshal(us1)
	j2, _ := json.Marshal(us2)
	if string(j1) != string(j2) {
		t.Fatal("a country's catalogue depends on which countries were generated before")
	}
}

func TestEveryCountryHasAPlausibleAssortment(t *testing.T) {
	c := newCatalog(t, 1)
	if len(c.Countries()) != 233 {
		t.Fatalf("%d countries", len(c.Countries()))
	}
	cur := regexp.MustCompile(`^[A-Z]{3}$`)
	for _, country := range c.Countries() {
		a, ok := c.Country(country.Code)
		if !ok {
			t.Fatalf("%s missing", country.Code)
		}
		if !cur.MatchString(a.Currency) {
			t.Errorf("%s: currency %q", country.Code, a.Currency)
		}
		kinds := map[string]bool{}
		for _, f := range a.Families {
			kinds[f.Kind+"/"+f.Category] = true
			if len(f.Products) == 0 {
				t.Errorf("%s %s: no products", country.Code, f.Brand)
			}
			for _, p := range f.Products {
				if (p.Range == nil) == (p.Face == nil) {
					t.Errorf("%s %s: product must be fixed or range", country.Code, f.Brand)
				}
				if p.Range != nil && (p.Range.Min.Cmp(p.Range.Max) >= 0 || p.Range.Step.Sign() <= 0) {
					t.Errorf("%s %s: bad range %v-%v step %v", country.Code, f.Brand, p.Range.Min, p.Range.Max, p.Range.Step)
				}
			}
		}
		for _, want := range []string{"giftcard/games", "mobile_recharge/e-sim", "mobile_recharge/mobile_credits"} {
			if !kinds[want] {
				t.Errorf("%s: no %s product", country.Code, want)
			}
		}
	}
}

func TestDocumentedExamples(t *testing.T) {
	c := newCatalog(t, 1)
	us, _ := c.Country("US")
	airbnb := us.Brand("Airbnb")
	if airbnb == nil {
		t.Fatal("no Airbnb in the US")
	}
	card := airbnb.FixedByLabel("100 USD")
	if card == nil || card.Localized != "$100" {
		t.Fatalf("Airbnb 100 USD card: %+v", card)
	}
	// The documents' example: $100 Airbnb priced in USDC; the live API charged 101.48.
	if got := money.Format(c.Price("USD", card.Face, c.Coin("USDC")), 2); got != "101.48" {
		t.Errorf("Airbnb $100 in USDC = %s, want 101.48", got)
	}
	if got := us.FamiliesNamed("airbnb"); len(got) != 1 {
		t.Errorf("family_name=airbnb matched %d families", len(got))
	}
	if got := us.FamiliesNamed("Lycamobile"); len(got) != 2 {
		t.Errorf("Lycamobile should yield Credits and Bundle, got %d", len(got))
	}
	amazon := us.Brand("Amazon.com").RangeProduct()
	if amazon == nil || money.Trim(amazon.Range.Min, 2) != "5" || money.Trim(amazon.Range.Max, 2) != "500" || money.Trim(amazon.Range.Step, 2) != "1" {
		t.Errorf("Amazon.com range: %+v", amazon)
	}
	br, _ := c.Country("BR")
	if claro := br.Brand("Claro Credits"); claro == nil || claro.FixedByLabel("15 BRL") == nil || claro.DeliveryType != "by_phone" {
		t.Errorf("Claro Credits 15 BRL by phone missing: %+v", claro)
	}
	it, _ := c.Country("IT")
	if esim := it.Brand("eSIM"); esim == nil || esim.FixedByLabel("1 GB 7 days") == nil || esim.DeliveryType != "by_email" {
		t.Errorf("IT eSIM 1 GB 7 days missing")
	}
	if got := c.Points("USD", money.MustParse("25")); got != "22" {
		t.Errorf("points of $25 = %s, want 22 (live capture)", got)
	}
}

func TestCoinsAndSuspensions(t *testing.T) {
	c := newCatalog(t, 1)
	usdc := c.Coin("USDC")
	if usdc.Networks[0].Name != "Solana" || usdc.PaymentMethod(usdc.Networks[0]) != "USDC-SOL" {
		t.Errorf("USDC defaults to %s", usdc.Networks[0].Name)
	}
	for _, n := range []string{"Solana", "ETH Mainnet", "Base", "Arbitrum", "Polygon (Matic)"} {
		if usdc.Network(n) == nil {
			t.Errorf("USDC lacks %s", n)
		}
	}
	btc := c.Coin("BTC")
	if btc.PaymentMethod(btc.Network("Lightning")) != "BTC-LIGHTNING" || btc.PaymentMethod(btc.Network("Mainnet")) != "BTC" {
		t.Error("BTC payment methods")
	}
	if !c.Coin("DOGE").Suspended || !c.Coin("TRX").Network("Tron").Suspended || c.Coin("USDT").Network("Tron").Suspended {
		t.Error("default suspensions: DOGE, and TRX on Tron only")
	}
	if money.Format(usdc.Networks[0].Threshold, 2) != "1.00" {
		t.Errorf("USDC on Solana threshold %v", usdc.Networks[0].Threshold)
	}
}

func TestBadOptions(t *testing.T) {
	base := Options{Countries: countries(t)}
	cases := map[string]func(o *Options){
		"no countries":    func(o *Options) { o.Countries = nil },
		"bad spread":      func(o *Options) { o.SpreadPercent = "lots" },
		"unknown rate":    func(o *Options) { o.CoinRates = map[string]string{"XYZ": "1"} },
		"zero rate":       func(o *Options) { o.CoinRates = map[string]string{"BTC": "0"} },
		"bad fx":          func(o *Options) { o.FX = map[string]string{"EUR": "-1"} },
		"unknown coin":    func(o *Options) { o.Suspensions.Coins = []string{"XYZ"} },
		"unknown network": func(o *Options) { o.Suspensions.Networks = []CoinNetwork{{"USDC", "Tron"}} },
		"unknown country": func(o *Options) { o.Countries = []Country{{"ZZ", "Nowhere"}} },
	}
	for name, mutate := range cases {
		o := base
		mutate(&o)
		if _, err := New(o); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func BenchmarkGenerateCountry(b *testing.B) {
	list := countries(b)
	for i := 0; i < b.N; i++ {
		c, _ := New(Options{Seed: int64(i), Countries: list})
		c.Country("US")
	}
}

// TestPricesRemembered: a remembered price is the computed one, given again itself (shared,
// not copied), and the memo stays within its bound.
func TestPricesRemembered(t *testing.T) {
	c := newCatalog(t, 1)
	coin := c.Coin("USDC")
	face := big.NewRat(2550, 100)
	first := c.Price("EUR", face, coin)
	want := money.Round(money.Quo(money.Mul(money.Quo(face, c.fx["EUR"]), c.spread), coin.USDRate), coin.Decimals)
	if first.Cmp(want) != 0 {
		t.Fatalf("price %v, computed %v", first, want)
	}
	if again := c.Price("EUR", face, coin); again != first { // shared, never copied: no rational is modified in place
		t.Fatalf("the remembered price is %p, not the first answer %p", again, first)
	}
	if usd, again := c.USDValue("EUR", face), c.USDValue("EUR", face); usd != again || usd.Cmp(money.Quo(face, c.fx["EUR"])) != 0 {
		t.Fatalf("dollar value %v then %v", usd, again)
	}
	if p1, p2 := c.Points("USD", big.NewRat(25, 1)), c.Points("USD", big.NewRat(25, 1)); p1 != "22" || p2 != "22" {
		t.Fatalf("points %s, %s; live captures give 22 for $25", p1, p2)
	}
	for i := range 2 * maxPriced {
		c.Price("USD", big.NewRat(int64(i+1), 1), coin)
	}
	if len(c.priced) > maxPriced || len(c.points) > maxPriced {
		t.Fatalf("memo grew to %d prices, %d points", len(c.priced), len(c.points))
	}
}
