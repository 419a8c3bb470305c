package cryptorefills

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestPlausibleEmailSameAsPattern: the hand-written check accepts exactly what the pattern
// it replaced accepts.
func TestPlausibleEmailSameAsPattern(t *testing.T) {
	re := regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	alphabet := []string{"a", "b", "@", ".", " ", "\t", "\n", "\f", "\r", "\v", "é", "\xff", "+", "-"}
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []string{"", "a@b.c", "a@b.", "a@.c", "@b.c", "a@b..c", "a@@b.c", "a b@c.d", "a@b.c.d", "a@b\v.c", "jane@example.com", "a@é.é", "a@b.c\n"}
	word := func(n int) string {
		s := ""
		for range n {
			s += alphabet[rng.IntN(len(alphabet))]
		}
		return s
	}
	for range 50000 {
		if rng.IntN(2) == 0 {
			cases = append(cases, word(rng.IntN(9)))
		} else { // shaped like an address, with noise
			cases = append(cases, word(1+rng.IntN(3))+"@"+word(1+rng.IntN(3))+"."+word(rng.IntN(3)))
		}
	}
	accepted := 0
	for _, s := range cases {
		got, want := plausibleEmail(s), re.MatchString(s)
		if got != want {
			t.Fatalf("%q: %v, the pattern %v", s, got, want)
		}
		if got {
			accepted++
		}
	}
	if accepted < 1000 {
		t.Errorf("only %d accepted: the cases prove little", accepted)
	}
}
