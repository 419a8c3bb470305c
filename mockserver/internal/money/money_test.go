package money

import "testing"

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
