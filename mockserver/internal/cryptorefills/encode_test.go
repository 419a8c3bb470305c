package cryptorefills

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/jsonstr"
)

// awkward strings: every escape encoding/json makes, and invalid UTF-8.
var awkward = []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "\x00\x01\x1f\b\f\n\r\t", "é中😀",
	"\u2028\u2029", "bad \xff utf8 \xc3", "\x7f", strings.Repeat("x", 300)}

var floats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 100.5, 1e-6, 9.99e-7, 1e20, 1e21, 1.5e300, -2.5e-10, 123456789.125, math.SmallestNonzeroFloat64}

// fill sets every field of v at random: gofakeit reaches every exported field, so a field
// added to a type and not to its encoder makes the bytes differ. The test then puts awkward
// strings, floats, nils and raw JSON where the types allow.
func fill(t *testing.T, f *gofakeit.Faker, v any) {
	t.Helper()
	if err := f.Struct(v); err != nil {
		t.Fatal(err)
	}
}

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

func maybe[T any](rng *rand.Rand, v T) *T {
	if rng.IntN(4) == 0 {
		return nil
	}
	return &v
}

func awkwardDelivery(rng *rand.Rand, d *gen.OrderDelivery) {
	s := func() *string { return maybe(rng, pick(rng, awkward)) }
	d.BrandName, d.ProductName, d.Id, d.Kind = s(), s(), pick(rng, awkward), gen.ProductKind(pick(rng, awkward))
	del := &d.Deliverable
	for _, p := range []**string{&del.BarcodeImageUrl, &del.BeneficiaryAccount, &del.BrandName, &del.CoinAmount, &del.CountryCode,
		&del.CurrencyCode, &del.Denomination, &del.ErrorDescription, &del.FailureReason, &del.Family, &del.HowToRedeem,
		&del.LocalizedDenomination, &del.OperatorReference, &del.OriginalCoinAmount, &del.OriginalPrice, &del.PinCode,
		&del.PinSerial, &del.Points, &del.QrImageUrl, &del.RedeemInstructions, &del.SecurityCode} {
		*p = s()
	}
	del.DeliveryType = maybe(rng, gen.DeliveryType(pick(rng, awkward)))
	del.ProductValue = maybe(rng, pick(rng, floats))
}

func TestAnswersEncodeAsEncodingJSON(t *testing.T) {
	f := gofakeit.New(3)
	rng := rand.New(rand.NewPCG(3, 5))
	raws := []json.RawMessage{json.RawMessage(`1787679708`), json.RawMessage(`"1787679708"`), json.RawMessage(`1787679708.25`), nil,
		json.RawMessage(` { "a" : 1 } `), json.RawMessage(`"<1>"`), json.RawMessage(`012`), json.RawMessage(`"12`), json.RawMessage(`-0.5`), json.RawMessage(`1.`)}
	for i := range 3000 {
		var o gen.Order
		fill(t, f, &o)
		var v gen.OrderValidation
		fill(t, f, &v)
		if i%2 == 0 { // awkward values and nils on top of gofakeit's
			o.Coin, o.OrderId, o.WalletAddress = pick(rng, awkward), pick(rng, awkward), pick(rng, awkward)
			o.CreatedAt = pick(rng, raws)
			o.PaymentRequestedAt, o.UpdatedAt = maybe(rng, pick(rng, raws)), maybe(rng, pick(rng, raws))
			o.PaymentValue, o.Network, o.Refund = maybe(rng, pick(rng, floats)), maybe(rng, pick(rng, awkward)), nil
			for k := range o.Deliveries {
				awkwardDelivery(rng, &o.Deliveries[k])
			}
			if rng.IntN(5) == 0 {
				o.Deliveries = nil
			}
			v.CouponCode, v.OriginalCoinAmount = maybe(rng, pick(rng, awkward)), maybe(rng, pick(rng, awkward))
			if rng.IntN(3) == 0 {
				v.Problems = nil
			}
			if rng.IntN(3) == 0 {
				v.LoyaltySummary, v.Summary = nil, nil
			} else {
				v.Summary = &map[string]any{"total": pick(rng, awkward), "products": rng.IntN(10), "fiat_value_usd": "1.00"}
			}
			v.Deliveries = o.Deliveries
			details := []any{nil, "x", map[string]any{"reason": pick(rng, awkward), "b<&>": true, "n": 1.5e-9, "i": 7, "nested": map[string]any{"z": nil, "a": []any{1, "s"}}},
				map[string]any{}, []string{"a"}, map[string]string{"k": "v"}, math.NaN()}
			problems := []gen.Problem{{Problem: gen.ProblemCode(pick(rng, awkward)), MoreDetails: pick(rng, details)}, {Problem: "OUT_OF_STOCK"}}
			v.Problems = &problems
			if rng.IntN(4) == 0 {
				v.Problems = nil
			}
			if rng.IntN(3) == 0 {
				v.LoyaltySummary = &map[string]any{pick(rng, awkward): pick(rng, floats), "k": pick(rng, details)}
			}
		}
		check(t, &o, appendOrder)
		check(t, &v, appendOrderValidation)
		// The typed summary writes what the generated type with the summary's map writes.
		typed := validation{OrderValidation: v}
		typed.Summary = nil
		if i%3 != 0 {
			typed.summary = &summary{subtotal: pick(rng, awkward), discount: pick(rng, awkward), total: pick(rng, awkward),
				fiatUSD: pick(rng, awkward), products: rng.IntN(200) - 100}
		}
		check(t, &typed, appendValidation)
		if typed.summary != nil {
			withMap := typed.OrderValidation
			withMap.Summary = typed.summary.asMap()
			a, aok := appendValidation(nil, &typed)
			b, bok := appendOrderValidation(nil, &withMap)
			if aok && bok && !bytes.Equal(a, b) {
				t.Fatalf("typed summary\n%s\nmap\n%s", a, b)
			}
		}
	}
}

func check[T any](t *testing.T, v *T, appendTo func([]byte, *T) ([]byte, bool)) {
	t.Helper()
	want, err := json.Marshal(v)
	got, ok := appendTo(nil, v)
	if err != nil || !ok {
		if (err == nil) != ok {
			t.Fatalf("encoding/json error %v, append ok %v for %+v", err, ok, v)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("append wrote\n%s\nencoding/json wrote\n%s", got, want)
	}
	buf := answerBuffer()
	b, ok := appendTo((*buf)[:0], v)
	if e, err := answer(201, buf, b, ok); err != nil || !bytes.Equal(e.body, append(want, '\n')) || e.status != 201 {
		t.Fatal("the answer differs from what the generated encoder writes")
	}
}

func TestFloatsEncodeAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for i := range 100000 {
		var x float64
		switch i % 3 {
		case 0:
			x = math.Float64frombits(rng.Uint64())
		case 1:
			x = rng.Float64() * math.Pow(10, float64(rng.IntN(50)-25))
		default:
			x = float64(rng.Int64N(1e12)) / 100
		}
		want, err := json.Marshal(x)
		got, ok := appendFloat(nil, x)
		if (err == nil) != ok || ok && !bytes.Equal(got, want) {
			t.Fatalf("%v: append %q (%v), encoding/json %q (%v)", x, got, ok, want, err)
		}
	}
}

// TestStringsEncodeAsEncodingJSON: appendString writes what encoding/json writes for strings of
// every length up to 40 with an escaped byte, a multi-byte rune, U+2028 or invalid UTF-8 at
// any place (in the overlapping last word too), and plainPrefix ends at the first byte the
// table says is not written as it is.
func TestStringsEncodeAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	odd := []string{`"`, `\`, "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "€"}
	for range 100000 {
		var b strings.Builder
		for n := rng.IntN(41); b.Len() < n; {
			if rng.IntN(12) == 0 {
				b.WriteString(odd[rng.IntN(len(odd))])
			} else {
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			}
		}
		s := b.String()
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: append wrote %s, encoding/json %s", s, got, want)
		}
		prefix := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf || !plainByte[r] })
		if prefix < 0 {
			prefix = len(s)
		}
		if got := plainPrefix(s); got != prefix {
			t.Fatalf("%q: plainPrefix %d, want %d", s, got, prefix)
		}
	}
}

// TestPlainWord: the word test agrees with the byte table on every byte in every position, and
// over random words.
func TestPlainWord(t *testing.T) {
	base := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			w := append([]byte(nil), base...)
			w[pos] = byte(c)
			want := c < utf8.RuneSelf && plainByte[c]
			if got := plainWord(jsonstr.Word(string(w))); got != want {
				t.Fatalf("byte %#x at %d: plainWord %v, want %v", c, pos, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for range 200000 {
		w := make([]byte, 8)
		want := true
		for i := range w {
			w[i] = byte(rng.IntN(256))
			if rng.IntN(3) > 0 {
				w[i] = byte(0x20 + rng.IntN(0x60))
			}
			want = want && w[i] < utf8.RuneSelf && plainByte[w[i]]
		}
		if got := plainWord(jsonstr.Word(string(w))); got != want {
			t.Fatalf("%q: plainWord %v, want %v", w, got, want)
		}
	}
}

// BenchmarkAppendOrder: encoding a typical order answer (the documents' creation) alone.
func BenchmarkAppendOrder(b *testing.B) {
	s := func(v string) *string { return &v }
	pv := 100.0
	ext := false
	o := gen.Order{Coin: "USDC", CoinAmount: "101.48", CreatedAt: []byte(`"1795314197"`), OrderId: "542a10d9-2e6e-4498-a4bb-e25d281bfe24",
		OrderState: "WaitingForPayment", Network: s("Solana"), OriginalCoinAmount: s("101.48"), OriginalPrice: s("101.48"),
		PaymentId: s("1819e9ee-8714-4e20-b75a-e91ff62ee905"), PaymentMethod: s("USDC-SOL"), PaymentMethodProtocol: s("SOLANA_LIKE"),
		PaymentState: "WalletCreated", PaymentValue: &pv, PaymentVia: s("USER_WALLET"), IsPaymentProcessorExternal: &ext,
		QrText:        s("solana:2wo6CsMAbw2YJbwK8SQ6Zyo7pjfTAWRUzhjKC38nmnhn?amount=101.48&spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
		QrUrl:         s("http://127.0.0.1:8080/v3/qrs/542a10d9-2e6e-4498-a4bb-e25d281bfe24"),
		WalletAddress: "2wo6CsMAbw2YJbwK8SQ6Zyo7pjfTAWRUzhjKC38nmnhn", ReceivedAmount: s("0"), SentCoinAmount: s("0")}
	o.Deliveries = []gen.OrderDelivery{{BrandName: s("Airbnb"), DeliveryState: "WaitingForPayment", Id: "84204136-3f3a-45c4-b374-aebc5c47403b", Kind: "giftcard",
		Deliverable: gen.Deliverable{BeneficiaryAccount: s("x@example.com"), BrandName: s("Airbnb"), CoinAmount: s("101.48"), CountryCode: s("US"),
			CurrencyCode: s("USD"), Denomination: s("100 USD"), Family: s("Airbnb"), LocalizedDenomination: s("$100"), OriginalPrice: s("100"), Points: s("88")}}}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendOrder(buf[:0], &o)
	}
	b.SetBytes(int64(len(buf)))
}

// An order whose payment_value is not a number encoding/json can write is an error for the
// strict handler's error answer, not a body of a lone newline.
func TestAnswerRefusesWhatJSONCannotEncode(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		o := gen.Order{PaymentValue: &f}
		if _, err := json.Marshal(o); err == nil {
			t.Fatalf("encoding/json encodes payment_value %v", f)
		}
		if e, err := orderAnswer(201, &o); err == nil {
			t.Fatalf("payment_value %v answered %d %q", f, e.status, e.body)
		}
	}
	o := gen.Order{OrderId: "x"}
	if e, err := orderAnswer(201, &o); err != nil || e.status != 201 || !bytes.HasSuffix(e.body, []byte("}\n")) {
		t.Fatalf("a plain order answered %v %d %q", err, e.status, e.body)
	}
}
