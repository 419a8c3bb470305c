package jsonstr

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// naive is Stop byte by byte.
func naive(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// TestStopAsByteByByte: every byte value in every place of a word, and random strings with
// stops, runes and high bytes anywhere and any start, against the byte-by-byte scan.
func TestStopAsByteByByte(t *testing.T) {
	for pos := range 16 {
		for c := range 256 {
			b := []byte(strings.Repeat("a", 16))
			b[pos] = byte(c)
			if got, want := Stop(string(b), 0), naive(string(b), 0); got != want {
				t.Fatalf("byte %#x at %d: Stop %d, want %d", c, pos, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	odd := []string{`"`, `\`, "\x00", "\x1f", "\x7f", " ", "é", "€", "\xff", "\x80", "\xa2"}
	for range 200000 {
		var b strings.Builder
		for n := rng.IntN(40); b.Len() < n; {
			if rng.IntN(10) == 0 {
				b.WriteString(odd[rng.IntN(len(odd))])
			} else {
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			}
		}
		s := b.String()
		i := rng.IntN(len(s) + 1)
		if got, want := Stop(s, i), naive(s, i); got != want {
			t.Fatalf("%q from %d: Stop %d, want %d", s, i, got, want)
		}
	}
}
