// Package money does exact decimal arithmetic for amounts: decimal strings in, big.Rat inside,
// decimal strings out. Money is never a float here; a float that arrives from JSON (a range
// product's value) is converted through its shortest decimal representation.
package money

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// ErrInvalid is returned for a string that is not a plain decimal number.
var ErrInvalid = errors.New("not a decimal number")

// plainDecimal reports whether s is 1-30 digits, optionally a point and 1-30 more.
func plainDecimal(s string) bool {
	whole, frac, point := strings.Cut(s, ".")
	return digits(whole) && (!point || digits(frac))
}

func digits(s string) bool {
	if len(s) == 0 || len(s) > 30 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Parse reads a non-negative plain decimal ("101.48", "100", "0.00032833").
func Parse(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if !plainDecimal(s) {
		return nil, fmt.Errorf("%q: %w", s, ErrInvalid)
	}
	if whole, frac, _ := strings.Cut(s, "."); len(whole)+len(frac) <= 18 { // fits 64 bits: no general parser
		var n uint64
		for _, digits := range [2]string{whole, frac} { // digits only (plainDecimal)
			for i := 0; i < len(digits); i++ {
				n = n*10 + uint64(digits[i]-'0')
			}
		}
		if len(frac) == 0 {
			return new(big.Rat).SetUint64(n), nil
		}
		return new(big.Rat).SetFrac(new(big.Int).SetUint64(n), new(big.Int).SetUint64(pow10[len(frac)])), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q: %w", s, ErrInvalid)
	}
	return r, nil
}

// MustParse is Parse for constants; it panics on a malformed literal.
func MustParse(s string) *big.Rat {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// FromFloat converts a JSON number through its shortest decimal form, so 50.1 is exactly 50.1.
func FromFloat(f float64) (*big.Rat, error) {
	if f < 0 || f != f || f > 1e30 {
		return nil, fmt.Errorf("%v: %w", f, ErrInvalid)
	}
	return Parse(strconv.FormatFloat(f, 'f', -1, 64))
}

// Format writes r with exactly decimals digits after the point, rounding half away from zero.
func Format(r *big.Rat, decimals int) string {
	if q, neg, ok := scaled(r, decimals); ok {
		var buf [48]byte // sign, 20 digits, point, 19 decimals
		return string(appendDecimal(buf[:0], q, neg, decimals))
	}
	return r.FloatString(decimals)
}

// pow10 holds 10^0 .. 10^19.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaled is |r| x 10^decimals rounded half away from zero, and r's sign, when numerator and
// denominator fit 64 bits and so does the result: big.Rat.FloatString's arithmetic (the same
// digits: money_test.go checks) without its allocations.
func scaled(r *big.Rat, decimals int) (q uint64, neg bool, ok bool) {
	num, den := r.Num(), r.Denom()
	if decimals < 0 || decimals >= len(pow10) || !num.IsInt64() || !den.IsUint64() {
		return 0, false, false
	}
	n, d := num.Int64(), den.Uint64()
	if n == math.MinInt64 {
		return 0, false, false
	}
	neg = n < 0
	if neg {
		n = -n
	}
	hi, lo := bits.Mul64(uint64(n), pow10[decimals])
	if hi >= d {
		return 0, false, false // the quotient needs more than 64 bits
	}
	q, rem := bits.Div64(hi, lo, d)
	if rem >= d-rem { // 2*rem >= d: half or more rounds up
		if q == math.MaxUint64 {
			return 0, false, false
		}
		q++
	}
	return q, neg, true
}

// appendDecimal writes q / 10^decimals with exactly decimals digits after the point.
func appendDecimal(b []byte, q uint64, neg bool, decimals int) []byte {
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, q/pow10[decimals], 10)
	if decimals > 0 {
		b = append(b, '.')
		var frac [20]byte
		f := q % pow10[decimals]
		for i := decimals - 1; i >= 0; i-- { // exactly decimals digits, leading zeros included
			frac[i] = byte('0' + f%10)
			f /= 10
		}
		b = append(b, frac[:decimals]...)
	}
	return b
}

// Trim writes r with at most decimals digits, dropping trailing zeros ("100", "12.5").
func Trim(r *big.Rat, decimals int) string {
	s := Format(r, decimals)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Float is for fields the upstream writes as JSON numbers (fiat values, range bounds).
func Float(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// RoundFloat is Float(Round(r, decimals)) without building the rounded rational when the
// scaled value fits 53 bits: q / 10^decimals of two exact float64s is correctly rounded, the
// nearest float64 to the quotient, as big.Rat.Float64 gives.
func RoundFloat(r *big.Rat, decimals int) float64 {
	if q, neg, ok := scaled(r, decimals); ok && q < 1<<53 && decimals <= 22 {
		f := float64(q) / math.Pow10(decimals)
		if neg {
			f = -f
		}
		return f
	}
	return Float(Round(r, decimals))
}

// Mul returns a*b.
func Mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }

// Quo returns a/b; b must not be zero.
func Quo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }

// Zero is where sums start. Like every rational in the mock it is never modified in place.
var Zero = new(big.Rat)

// Add returns a+b. When one side is zero it returns the other side itself (a sum that starts
// from zero needs no arithmetic, and no copy: no rational in the mock is modified in place
// once made, the rule every package here follows).
func Add(a, b *big.Rat) *big.Rat {
	switch {
	case a.Sign() == 0:
		return b
	case b.Sign() == 0:
		return a
	}
	return new(big.Rat).Add(a, b)
}

// Sub returns a-b; a rational less itself is Zero, without arithmetic (a total without a
// discount is the original amount itself).
func Sub(a, b *big.Rat) *big.Rat {
	if a == b {
		return Zero
	}
	return new(big.Rat).Sub(a, b)
}

// Round returns r rounded to decimals digits (half away from zero), as an exact value.
func Round(r *big.Rat, decimals int) *big.Rat {
	if q, neg, ok := scaled(r, decimals); ok && q <= math.MaxInt64 && decimals <= 18 {
		n := int64(q)
		if neg {
			n = -n
		}
		return new(big.Rat).SetFrac64(n, int64(pow10[decimals]))
	}
	return MustParseSigned(r.FloatString(decimals))
}

// MustParseSigned parses a decimal that may be negative; for values this package produced.
func MustParseSigned(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(fmt.Sprintf("money: bad literal %q", s))
	}
	return r
}

// Cmp compares a and b like a.Cmp(b), without big.Rat's allocating cross multiplication when
// both are integers (face values mostly are) or have numerators and denominators of at most
// 64 bits (amounts, prices and limits do): those cross products are compared in 128 bits.
func Cmp(a, b *big.Rat) int {
	if a.IsInt() && b.IsInt() {
		return a.Num().Cmp(b.Num())
	}
	if sa, sb := a.Sign(), b.Sign(); sa != sb || sa == 0 {
		return cmp.Compare(sa, sb)
	}
	an, ad, aok := parts64(a)
	bn, bd, bok := parts64(b)
	if !aok || !bok {
		return a.Cmp(b)
	}
	// Same sign: compare |a| and |b| as an*bd and bn*ad, turned round for negatives.
	h1, l1 := bits.Mul64(an, bd)
	h2, l2 := bits.Mul64(bn, ad)
	c := cmp.Compare(h1, h2)
	if c == 0 {
		c = cmp.Compare(l1, l2)
	}
	return c * a.Sign()
}

// parts64 is r's numerator's magnitude and its denominator, when both fit in 64 bits.
func parts64(r *big.Rat) (num, den uint64, ok bool) {
	n := r.Num()
	if n.BitLen() > 64 {
		return 0, 0, false
	}
	den = 1
	if !r.IsInt() { // Denom allocates for an integer (its denominator is 1 then)
		d := r.Denom()
		if d.BitLen() > 64 {
			return 0, 0, false
		}
		den = magnitude(d)
	}
	return magnitude(n), den, true
}

// magnitude is |x| for an x of at most 64 bits, read from its words without a copy.
func magnitude(x *big.Int) uint64 {
	var v uint64
	for i, w := range x.Bits() {
		v |= uint64(w) << (uint(i) * bits.UintSize)
	}
	return v
}

// Units converts an amount in whole units to an integer count of the smallest unit
// (10^decimals per unit), rounding down.
func Units(r *big.Rat, decimals int) *big.Int {
	if q, ok := units64(r, decimals); ok {
		return new(big.Int).SetUint64(q)
	}
	scaled := Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)))
	return new(big.Int).Quo(scaled.Num(), scaled.Denom())
}

// Units64 is Units as an int64, with false when it does not fit.
func Units64(r *big.Rat, decimals int) (int64, bool) {
	if q, ok := units64(r, decimals); ok && q <= math.MaxInt64 {
		return int64(q), true
	}
	if u := Units(r, decimals); u.IsInt64() {
		return u.Int64(), true
	}
	return 0, false
}

// units64 is Units in 64-bit arithmetic, when r is not negative and everything fits.
func units64(r *big.Rat, decimals int) (uint64, bool) {
	if num, den := r.Num(), r.Denom(); r.Sign() >= 0 && decimals >= 0 && decimals < len(pow10) && num.IsUint64() && den.IsUint64() {
		if hi, lo := bits.Mul64(num.Uint64(), pow10[decimals]); hi < den.Uint64() {
			q, _ := bits.Div64(hi, lo, den.Uint64())
			return q, true
		}
	}
	return 0, false
}
