package money

import (
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestParseRejectsNonDecimals(t *testing.T) {
	for _, s := range []string{"", "1e5", "-1", "1.", ".5", "abc", "1,5", "NaN", "0x10", "1.2.3"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	for _, s := range []string{"0", "100", "101.48", "0.00032833"} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

func TestArithmeticIsExact(t *testing.T) {
	// 0.1 + 0.2 is exactly 0.3 here, unlike in float64.
	if got := Format(Add(MustParse("0.1"), MustParse("0.2")), 20); got != "0.30000000000000000000" {
		t.Fatalf("0.1+0.2 = %s", got)
	}
	// 100 USD at 1 USD/USDC with a 1.48% spread is 101.48 USDC.
	got := Format(Mul(MustParse("100"), MustParse("1.0148")), 2)
	if got != "101.48" {
		t.Fatalf("100*1.0148 = %s", got)
	}
	if got := Format(MustParse("0.125"), 2); got != "0.13" {
		t.Fatalf("half rounds away from zero: %s", got)
	}
	if got := Trim(MustParse("12.500"), 8); got != "12.5" {
		t.Fatalf("Trim = %s", got)
	}
	if got := Units(MustParse("1.5"), 18).String(); got != "1500000000000000000" {
		t.Fatalf("Units = %s", got)
	}
	r, err := FromFloat(50.1)
	if err != nil || Format(r, 10) != "50.1000000000" {
		t.Fatalf("FromFloat(50.1) = %v, %v", r, err)
	}
}

// TestFormatSameAsFloatString: the 64-bit path writes the digits big.Rat.FloatString writes
// (rounding half away from zero, "-0.00" kept), and Round the same exact value as parsing them.
func TestFormatSameAsFloatString(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	nums := []int64{0, 1, -1, 5, -5, 15, 25, 125, -125, 999999, math.MaxInt64, math.MinInt64 + 1, math.MinInt64, 1e18, 3, 7}
	dens := []int64{1, 2, 3, 4, 8, 10, 100, 1000, 3, 7, 1e9, 1e18, math.MaxInt64}
	fast := 0
	for i := range 20000 {
		var n, d int64
		if i < len(nums)*len(dens) {
			n, d = nums[i%len(nums)], dens[i/len(nums)%len(dens)]
		} else {
			n, d = rng.Int64N(1<<uint(1+rng.IntN(62)))-rng.Int64N(1<<40), 1+rng.Int64N(1<<uint(1+rng.IntN(62)))
		}
		r := big.NewRat(n, d)
		for _, dec := range []int{0, 1, 2, 6, 8, 18, 19, 20} {
			if got, want := Format(r, dec), r.FloatString(dec); got != want {
				t.Fatalf("Format(%v, %d) = %s, FloatString %s", r, dec, got, want)
			}
			if got, want := Round(r, dec), MustParseSigned(r.FloatString(dec)); got.Cmp(want) != 0 {
				t.Fatalf("Round(%v, %d) = %v, want %v", r, dec, got, want)
			}
			if got, want := RoundFloat(r, dec), Float(MustParseSigned(r.FloatString(dec))); got != want {
				t.Fatalf("RoundFloat(%v, %d) = %v, want %v", r, dec, got, want)
			}
			if _, _, ok := scaled(r, dec); ok {
				fast++
			}
		}
	}
	if fast < 50000 {
		t.Errorf("the 64-bit path served only %d of 160,000", fast)
	}
}

// TestParseSameAsPattern: the hand-written check accepts what the pattern it replaced
// (^[0-9]{1,30}(\.[0-9]{1,30})?$) accepts; Units and Cmp agree with big.Rat's arithmetic.
func TestParseSameAsPattern(t *testing.T) {
	re := regexp.MustCompile(`^[0-9]{1,30}(\.[0-9]{1,30})?$`)
	for _, s := range []string{"", "0", "1.", ".1", "1.5", "1..5", "1.5.5", "١", "1e5", strings.Repeat("9", 30), strings.Repeat("9", 31),
		"1." + strings.Repeat("0", 30), "1." + strings.Repeat("0", 31), "+1", "-1", "1 ", "0x1", "12.34"} {
		if got, want := plainDecimal(s), re.MatchString(s); got != want {
			t.Errorf("%q: %v, the pattern %v", s, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		r := big.NewRat(rng.Int64N(1<<uint(1+rng.IntN(62))), 1+rng.Int64N(1<<uint(1+rng.IntN(40))))
		if rng.IntN(4) == 0 {
			r.SetInt64(rng.Int64N(1000))
		}
		for _, dec := range []int{0, 6, 8, 18, 19, 25} {
			scaled := Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dec)), nil)))
			want := new(big.Int).Quo(scaled.Num(), scaled.Denom())
			if got := Units(r, dec); got.Cmp(want) != 0 {
				t.Fatalf("Units(%v, %d) = %v, want %v", r, dec, got, want)
			}
			if got, ok := Units64(r, dec); ok != want.IsInt64() || ok && got != want.Int64() {
				t.Fatalf("Units64(%v, %d) = %v, %v, want %v", r, dec, got, ok, want)
			}
		}
		o := big.NewRat(rng.Int64N(1000), 1)
		if got, want := Cmp(r, o), r.Cmp(o); got != want {
			t.Fatalf("Cmp(%v, %v) = %d, want %d", r, o, got, want)
		}
	}
}

// TestAddFromZero: a sum with a zero side is the other side itself; a difference of a value
// and itself is Zero itself.
func TestAddFromZero(t *testing.T) {
	x := MustParse("12.345")
	for _, sum := range []*big.Rat{Add(new(big.Rat), x), Add(x, new(big.Rat))} {
		if sum != x {
			t.Fatalf("Add with zero gave %v, not the other side itself", sum)
		}
	}
	if d := Sub(x, x); d != Zero {
		t.Fatalf("x - x gave %v, not Zero itself", d)
	}
	if d := Sub(x, MustParse("12.345")); d == Zero || d.Sign() != 0 {
		t.Fatalf("x less an equal value gave %v", d)
	}
	y := MustParse("0.655")
	if sum := Add(x, y); sum == x || sum == y || sum.Cmp(MustParse("13")) != 0 || x.Cmp(MustParse("12.345")) != 0 {
		t.Fatalf("12.345 + 0.655 = %v, operands now %v and %v", sum, x, y)
	}
}

// TestParseSameAsSetString: the 64-bit path gives what big.Rat's parser gives.
func TestParseSameAsSetString(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	cases := []string{"0", "00", "0.0", "100", "101.48", "0.00032833", "999999999999999999", "99999999999999999.9", "1.000000000000000000", " 7.5 "}
	for range 50000 {
		s := digits(1 + rng.IntN(20))
		if rng.IntN(2) == 0 {
			s += "." + digits(1+rng.IntN(20))
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		got, err := Parse(s)
		want, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if err != nil || !ok || got.Cmp(want) != 0 {
			t.Fatalf("Parse(%q) = %v, %v; SetString %v, %v", s, got, err, want, ok)
		}
	}
}

// TestCmpAsBigRat holds Cmp to big.Rat's Cmp on both signs, equal values written differently,
// cross products that need all 128 bits, and values past 64 bits (the fallback), and checks
// that amounts of 64 bits compare without allocating.
func TestCmpAsBigRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	word := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return rng.Int64N(10)
		case 1:
			return math.MaxInt64 - rng.Int64N(10)
		}
		return rng.Int64N(1 << uint(1+rng.IntN(62)))
	}
	rat := func() *big.Rat {
		r := big.NewRat(word(), 1+word()%math.MaxInt64)
		if rng.IntN(3) == 0 {
			r.Neg(r)
		}
		if rng.IntN(10) == 0 { // past 64 bits
			r.Mul(r, big.NewRat(math.MaxInt64, 3))
		}
		return r
	}
	for range 200000 {
		a, b := rat(), rat()
		if rng.IntN(5) == 0 { // the same value, or a neighbour, as another fraction
			b = new(big.Rat).Set(a)
			if rng.IntN(2) == 0 {
				b.Add(b, big.NewRat(int64(rng.IntN(3)-1), math.MaxInt64))
			}
		}
		if got, want := Cmp(a, b), a.Cmp(b); got != want {
			t.Fatalf("Cmp(%v, %v) = %d, want %d", a, b, got, want)
		}
	}
	a, b := MustParse("101.48"), MustParseSigned("-0.000001")
	threshold := Quo(MustParse("1"), MustParse("1.0001"))
	if n := testing.AllocsPerRun(100, func() { _, _ = Cmp(a, threshold), Cmp(b, threshold) }); n != 0 {
		t.Fatalf("Cmp of 64-bit amounts allocated %v times", n)
	}
}
